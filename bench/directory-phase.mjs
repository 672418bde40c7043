#!/usr/bin/env node
// iso-pack's directory phase (after the tar's end: naming, sizing and writing both trees)
// of two builds, timed in one process, alternately, over the same tar. This machine's noise
// (±20 % between runs of the same command) hides a change of a few per cent in
// `bench/run.sh`; here both builds see the same noise, run after run.
//
//   node bench/directory-phase.mjs OLD_CHECKOUT NEW_CHECKOUT TAR [RUNS]
//
// Each checkout must be built (dist/). The tar is read into each build's packer once; then
// each run lays the session out and writes it to /dev/null. The JIT is warm after the
// first run, so the figures are lower than the cold phase in a real iso-pack: compare the
// two builds, not these times with bench/run.sh's.
import { openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './median.mjs';

const [oldRoot, newRoot, tar, runsArg = '15'] = process.argv.slice(2);
if (!oldRoot || !newRoot || !tar) {
  console.error('usage: node bench/directory-phase.mjs OLD_CHECKOUT NEW_CHECKOUT TAR [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg);

/** A build's packer with the whole tar read; `phase()` times one layout and write. */
async function loaded(root) {
  const dist = (m) => import(pathToFileURL(resolve(root, 'dist', m)).href);
  const { Packer } = await dist('pack/packer.js');
  const { TarParser } = await dist('tar/parser.js');
  const { SessionOutput } = await dist('session/output.js');
  const out = new SessionOutput(openSync('/dev/null', 'w'), 0, { kind: 'stream' });
  const date = 1700000000;
  const identity = { systemId: 'LINUX', volumeId: 'BENCH', volumeSetId: '', publisherId: '', preparerId: '', applicationId: 'BENCH', date };
  const packer = new Packer(
    { start: 0, joliet: true, jolietMax: 64, rationalize: false, identity, excludes: [], holdBackLimit: 16 << 20, impliedDate: date },
    out,
  );
  const parser = new TarParser(packer);
  const fd = openSync(tar, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) parser.push(buf.subarray(0, n));
  parser.end();
  return {
    phase() {
      const t0 = process.hrtime.bigint();
      packer.finish().write(out);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    },
  };
}

const builds = [await loaded(oldRoot), await loaded(newRoot)];
const times = [[], []];
for (let k = 0; k < runs; k++) {
  // Alternate which goes first, so neither always runs in the other's wake.
  const order = k % 2 ? [1, 0] : [0, 1];
  for (const b of order) times[b].push(builds[b].phase());
}
const [o, n] = times.map(median);
console.log(
  `directory phase, ${runs} runs each, alternated: old median ${o.toFixed(1)} ms (min ${Math.min(...times[0]).toFixed(1)}), new median ${n.toFixed(1)} ms (min ${Math.min(...times[1]).toFixed(1)}), new/old ${(n / o).toFixed(3)}`,
);
