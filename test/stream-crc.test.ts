// The head-last stream's CRC-32 (src/session/stream-crc.ts): node:zlib's at first, libdeflate's
// once the stream is long, where koffi and libdeflate load. The value must be zlib's for any
// split of the bytes, across the switch; iso-pack's trailer must carry it, and cd-write must
// still refuse a stream damaged past the switch.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { decodeStreamTrailer } from '../src/session/format.js';
import { LONG_STREAM_BYTES } from '../src/session/pipe-size.js';
import { StreamCrc } from '../src/session/stream-crc.js';
import { bin, hasKoffi, node, patternedBytes, shQuote as q, tarOf } from './helpers/run.js';
import { IN_CI } from './helpers/skip.js';

const SECTOR = 2048;
const hasLibdeflate = /\blibdeflate\.so\.0\b/.test(spawnSync('/sbin/ldconfig', ['-p']).stdout?.toString() ?? '');

t.test('the standard check value, and nothing for no bytes', async (t) => {
  const c = new StreamCrc();
  t.equal(c.value, 0);
  c.update(Buffer.alloc(0));
  t.equal(c.value, 0);
  c.update(Buffer.from('123456789'));
  t.equal(c.value, 0xcbf43926);
});

t.test("a long stream in uneven pieces: zlib's value across the switch", async (t) => {
  const whole = patternedBytes(LONG_STREAM_BYTES + (5 << 20) + 777, 3);
  const c = new StreamCrc();
  let at = 0;
  let switchedAt = -1;
  // Pieces of odd sizes at odd offsets (subarrays of one buffer), empty ones among them.
  for (let i = 0; at < whole.length; i++) {
    const n = Math.min(whole.length - at, i % 7 === 3 ? 0 : ((i * 7919) % (1 << 20)) + 1);
    c.update(whole.subarray(at, at + n));
    at += n;
    if (switchedAt < 0 && c.engine === 'libdeflate') switchedAt = at;
    if (i % 10 === 0) t.equal(c.value, crc32(whole.subarray(0, at)) >>> 0, `after ${at} bytes`);
  }
  t.equal(c.value, crc32(whole) >>> 0, 'the whole stream');
  if (hasKoffi && hasLibdeflate) t.ok(switchedAt >= LONG_STREAM_BYTES, `libdeflate takes over once the stream is long (at ${switchedAt})`);
  else if (IN_CI) t.fail('CI=true: koffi and libdeflate0 must be installed (scripts/setup.sh)');
  else t.equal(c.engine, 'zlib', 'without koffi or libdeflate, zlib to the end');
});

t.test('a short stream stays with zlib', async (t) => {
  const c = new StreamCrc();
  c.update(Buffer.alloc(LONG_STREAM_BYTES - 1));
  t.equal(c.engine, 'zlib');
});

t.test('iso-pack to a pipe and cd-write: a long stream whole and damaged', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-crc-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
  const tree = join(work, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'a.txt'), 'first\n');
  writeFileSync(join(tree, 'big.bin'), patternedBytes(LONG_STREAM_BYTES + (8 << 20), 9));
  writeFileSync(join(tree, 'z.txt'), 'last\n');
  const tarFile = join(work, 't.tar');
  writeFileSync(tarFile, tarOf(tree, ['--format=gnu', '--sort=name']));

  // Through a shell's pipe, as a user runs it: stdout a pipe gives the head-last stream.
  const streamFile = join(work, 'stream');
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', `${q(process.execPath)} ${q(bin('iso-pack'))} -q < ${q(tarFile)} | cat > ${q(streamFile)}`], { env });
  t.equal(r.status, 0, String(r.stderr));
  const stream = readFileSync(streamFile);
  t.ok(stream.length > LONG_STREAM_BYTES + (8 << 20), 'a long stream');
  const trailer = decodeStreamTrailer(stream.subarray(stream.length - SECTOR));
  t.equal(trailer?.crc32, crc32(stream.subarray(0, stream.length - SECTOR)) >>> 0, "the trailer's CRC is zlib's over every byte before it");

  const plain = join(work, 'plain.iso');
  t.equal(node('iso-pack', ['-q', '-o', plain], { input: readFileSync(tarFile), env }).status, 0);
  // --multi --force: a medium left open, with the session at LBA 0 (closing one marks its head).
  const medium = join(work, 'medium.iso');
  const w = node('cd-write', ['--create', '--multi', '--force', '--dev', medium], { input: stream });
  t.equal(w.status, 0, String(w.stderr));
  t.ok(readFileSync(medium).equals(readFileSync(plain)), 'cd-write took the stream: the medium is the plain image');

  const damaged = Buffer.from(stream);
  damaged[LONG_STREAM_BYTES + (4 << 20) + 5] ^= 0x10;
  const other = join(work, 'other.iso');
  t.equal(node('cd-write', ['--create', '--blank', '--dev', other]).status, 0);
  const blank = readFileSync(other);
  const d = node('cd-write', ['--dev', other], { input: damaged });
  t.equal(d.status, 1);
  t.equal(String(d.stderr), 'cd-write: stream checksum does not match its trailer: damaged\n');
  t.ok(readFileSync(other).equals(blank), 'the medium is as it was');
});
