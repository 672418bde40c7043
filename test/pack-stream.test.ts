// The head-last stream (docs/stream-format.md): turned into an image it is byte-identical to
// iso-pack -o, and a stream cut anywhere never ends in a valid trailer — not even when a file
// inside the session is itself a complete head-last stream, whose trailer then sits on a
// sector boundary of the outer stream.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarOf } from './helpers/run.js';
import { crc32 } from 'node:zlib';
import { decodeStreamHeader, decodeStreamTrailer } from '../dist/session/format.js';
import { contentFor, nameOfLength } from './fixture/fixture.js';
import { ISO_PACK, isoPackBuilt, packBuffer } from './helpers/isopack.js';
import { splitStream, streamProblem, streamToImage } from './helpers/stream.js';

const SECTOR = 2048;
const EPOCH = { SOURCE_DATE_EPOCH: '1700000000' };
const work = mkdtempSync(join(tmpdir(), 'isopipe-stream-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function sortedTar(dir: string): Buffer {
  return tarOf(dir, ['--format=gnu', '--sort=name']);
}

/** iso-pack -o FILE. */
function packToFile(input: Buffer, args: string[]): Buffer {
  const out = join(work, 'o.iso');
  const r = spawnSync(process.execPath, [ISO_PACK, ...args, '-o', out], { input, env: { ...process.env, ...EPOCH }, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`iso-pack -o: exit ${r.status}: ${r.stderr}`);
  const b = readFileSync(out);
  rmSync(out);
  return b;
}

/** iso-pack with stdout a pipe: the head-last stream. */
function packToPipe(input: Buffer, args: string[]): Buffer {
  const r = packBuffer(input, args, EPOCH);
  if (r.status !== 0) throw new Error(`iso-pack | : exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** A receiver's verdict by format.js: does the (cut) stream end in a trailer that matches it? */
function validTrailer(stream: Buffer, prefixCrc?: number): boolean {
  if (stream.length < 2 * SECTOR || stream.length % SECTOR !== 0) return false;
  const trailer = decodeStreamTrailer(stream.subarray(stream.length - SECTOR));
  if (!trailer) return false;
  const header = decodeStreamHeader(stream.subarray(0, SECTOR));
  const crc = prefixCrc ?? crc32(stream.subarray(0, stream.length - SECTOR));
  return trailer.start === header.start && trailer.sectors + 2 === stream.length / SECTOR && trailer.crc32 === crc >>> 0;
}

if (!isoPackBuilt()) {
  t.fail('iso-pack is not built (dist/cli/iso-pack.js): run npx tsc -p tsconfig.json');
} else {
  const src = join(work, 'src');
  mkdirSync(join(src, 'd', 'e'), { recursive: true });
  writeFileSync(join(src, 'small.txt'), 'small\n');
  writeFileSync(join(src, 'empty'), '');
  writeFileSync(join(src, 'd', 'sector.bin'), contentFor('sector', SECTOR));
  writeFileSync(join(src, 'd', 'e', 'odd.bin'), contentFor('odd', 3 * SECTOR + 5));
  // A name long enough for a Rock Ridge continuation area: its data is held back.
  writeFileSync(join(src, 'd', nameOfLength(240, 'held')), contentFor('held', 70000));
  const plainTar = sortedTar(src);
  const inner = packToPipe(plainTar, []);
  // Now a session holding a complete stream as a file, sector-aligned inside the outer body.
  writeFileSync(join(src, 'inner.stream'), inner);
  const tar = sortedTar(src);

  t.test('the complete stream is valid and matches -o', async (t) => {
    for (const prev of [null, '0,64', '1000,12345']) {
      const args = prev ? ['-C', prev] : [];
      const stream = packToPipe(tar, args);
      t.equal(streamProblem(stream), null, `stream ${args.join(' ')} passes the receiver's checks`);
      t.ok(validTrailer(stream), 'format.js agrees the trailer is valid');
      const parts = splitStream(stream);
      t.equal(parts.start, prev ? Number(prev.split(',')[1]) : 0, 'header and trailer carry the start LBA');
      const image = packToFile(tar, args);
      t.equal(parts.sectors * SECTOR, image.length, 'N is the -o image length in sectors');
      t.ok(streamToImage(stream).equals(image), `stream turned into an image is byte-identical to -o ${args.join(' ')}`);
      t.equal(image.subarray(16 * SECTOR, 16 * SECTOR + 6).toString('latin1'), '\x01CD001', 'the -o image has its PVD at sector 16');
    }
  });

  t.test('stdout a regular file gives the plain image, like -o', async (t) => {
    const out = join(work, 'stdout.iso');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${ISO_PACK}" > "${out}"`], { input: tar, env: { ...process.env, ...EPOCH } });
    t.equal(r.status, 0, r.stderr.toString());
    t.ok(readFileSync(out).equals(packToFile(tar, [])), 'byte-identical to -o');
  });

  t.test('a stream cut at any point has no valid trailer', async (t) => {
    const stream = packToPipe(tar, []);
    const sectors = stream.length / SECTOR;
    // Every sector boundary: the prefix CRC runs along, so each check is cheap.
    let crc = 0;
    let valid = 0;
    const innerTrailerAt: number[] = [];
    for (let k = 1; k < sectors; k++) {
      const cut = stream.subarray(0, k * SECTOR);
      if (decodeStreamTrailer(cut.subarray(cut.length - SECTOR))) innerTrailerAt.push(k);
      // crc covers sectors 0 .. k-2 (all but the candidate trailer).
      if (validTrailer(cut, crc)) valid++;
      if (streamProblem(cut) === null) valid++;
      crc = crc32(stream.subarray((k - 1) * SECTOR, k * SECTOR), crc);
    }
    t.equal(valid, 0, `none of the ${sectors - 1} sector-aligned cuts ends in a valid trailer`);
    t.ok(innerTrailerAt.length >= 1, `the embedded stream puts a trailer-looking sector on a boundary (at ${innerTrailerAt.join(', ')})`);
    // Cuts inside a sector, around the boundaries and at pseudo-random points.
    let bad = 0;
    let seed = 12345;
    const offsets = new Set<number>([0, 1, SECTOR - 1, SECTOR + 1, stream.length - 1, stream.length - SECTOR + 1, stream.length - 2 * SECTOR - 1]);
    for (let i = 0; i < 300; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      offsets.add(seed % stream.length);
    }
    for (const off of offsets) {
      const cut = stream.subarray(0, off);
      if (streamProblem(cut) === null || validTrailer(cut)) bad++;
    }
    t.equal(bad, 0, `none of ${offsets.size} cuts inside sectors is valid`);
    t.equal(streamProblem(stream), null, 'while the whole stream is');
  });

  t.test('a stream with its last sector altered is refused', async (t) => {
    const stream = Buffer.from(packToPipe(tar, []));
    const flip = (off: number) => {
      const b = Buffer.from(stream);
      b[off] ^= 1;
      return b;
    };
    t.not(streamProblem(flip(stream.length - 2 * SECTOR)), null, 'a flipped bit in the head breaks the CRC');
    t.not(streamProblem(flip(SECTOR + 100)), null, 'a flipped bit in the body breaks the CRC');
    t.not(streamProblem(flip(stream.length - SECTOR + 24)), null, 'a wrong N is refused');
    t.notOk(validTrailer(flip(stream.length - 2 * SECTOR)), 'format.js: the CRC no longer matches');
  });
}
