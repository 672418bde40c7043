#!/usr/bin/env node
// iso-pack, iso-merge --mirror or the floor filter once V8 is warm: the same engines as the
// tools (from dist/), run PASSES times on a tar file with their output thrown away, then once
// on IN to stdout. warm-split.sh times only that last run, from tar's start: what the tool
// would cost with no start-up and no code left to compile, which no launcher can give.
//
//   node bench/warm-tools.mjs WARM.tar PASSES READY IN pack [--prev LAST,NEXT] > OUT
//   node bench/warm-tools.mjs WARM.tar PASSES READY IN mirror --dev MEDIUM > OUT
//   node bench/warm-tools.mjs WARM.tar PASSES READY IN floor > OUT
//
// --marks FILE appends, for the timed run only, a line `MODE EVENT EPOCH_MS` as each event
// passes: loaded (mirror: the old tree is read), first (the first input read), eof (the
// input's end), end (the last byte written); --as NAME names the tool there instead of MODE.
// READY is created once warm, and only then is IN opened: a fifo, which holds tar back until
// then, or - for stdin when that is a pipe from another of these.
// The wiring follows src/cli/iso-pack.ts and iso-merge.ts for their default options;
// warm-split.sh checks first that the same bytes come out as from the installed tools.
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { openMediumImage } from '../dist/cli/medium-image.js';
import { JOLIET_MAX } from '../dist/iso9660/joliet-names.js';
import { Merger } from '../dist/merge/merger.js';
import { DEFAULT_HASH_LIMIT } from '../dist/merge/mirror.js';
import { OldTree } from '../dist/merge/old-tree.js';
import { TarOutput } from '../dist/merge/tar-output.js';
import { Packer } from '../dist/pack/packer.js';
import { SessionOutput } from '../dist/session/output.js';
import { tarChunks } from '../dist/tar/input.js';
import { TarParser } from '../dist/tar/parser.js';
import { floorCopy } from './stream-floor.mjs';

const [warmTar, passesText, ready, inPath, mode, ...rest] = process.argv.slice(2);
const option = (name) => {
  const i = rest.indexOf(name);
  return i < 0 ? undefined : rest[i + 1];
};
if (!ready || !['pack', 'mirror', 'floor'].includes(mode)) {
  console.error('usage: warm-tools.mjs WARM.tar PASSES READY IN pack|mirror|floor [--prev LAST,NEXT] [--dev MEDIUM]');
  process.exit(2);
}
const date = Number(process.env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000));
const prev = option('--prev');
const start = prev === undefined ? 0 : Number(prev.split(',')[1]);
const medium = mode === 'mirror' ? await openMediumImage(option('--dev')) : null;

const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

const marksFile = option('--marks');
const markName = option('--as') ?? mode;
let timed = false;
function mark(event) {
  if (timed && marksFile) appendFileSync(marksFile, `${markName} ${event} ${Date.now()}\n`);
}

/** Every chunk of the tar on `input` into `parser`, marking the first read and the end. */
function feed(input, parser) {
  let first = true;
  for (const chunk of tarChunks(input)) {
    if (first) mark('first');
    first = false;
    parser.push(chunk);
  }
  mark('eof');
  parser.end();
}

function pack(input, output) {
  const identity = {
    systemId: 'LINUX',
    volumeId: 'ISOPIPE',
    volumeSetId: '',
    publisherId: '',
    preparerId: '',
    applicationId: `ISOPIPE ${version}`,
    date,
  };
  const st = fstatSync(output);
  const out = new SessionOutput(output, start, { kind: st.isFile() || st.isBlockDevice() ? 'plain' : 'stream' });
  const packer = new Packer(
    {
      start,
      joliet: true,
      jolietMax: JOLIET_MAX,
      rationalize: false,
      identity,
      excludes: [],
      holdBackLimit: 64 * 1024 * 1024,
      impliedDate: Math.floor(date),
    },
    out,
  );
  feed(input, new TarParser(packer));
  packer.finish().write(out);
}

function mirror(input, output) {
  const old = OldTree.load(medium, medium.session());
  mark('loaded');
  const out = new TarOutput(output);
  const merger = new Merger({ mode: 'mirror', remove: [], hashLimit: DEFAULT_HASH_LIMIT }, old, medium, out);
  feed(input, new TarParser(merger));
  merger.finish();
  out.finish();
}

function floor(input, output) {
  floorCopy(input, output, mark);
}

const work = { pack, mirror, floor }[mode];
// The warm-up writes where the timed run will: a scratch file beside READY when stdout is one.
const toFile = fstatSync(1).isFile();
const scratch = `${ready}.out`;
for (let i = 0; i < Number(passesText); i++) {
  const input = openSync(warmTar, 'r');
  const output = openSync(toFile ? scratch : '/dev/null', 'w');
  work(input, output);
  closeSync(output);
  closeSync(input);
}
rmSync(scratch, { force: true });
globalThis.gc?.();
writeFileSync(ready, '');
const input = inPath === '-' ? 0 : openSync(inPath, 'r');
timed = true;
work(input, 1);
mark('end');
medium?.close();
