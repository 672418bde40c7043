// cd-verify's data hashing on two threads: the digests of ranges and of files (small ones
// in blocks, large ones streamed, duplicates, gaps) equal plain MD5s of the same bytes,
// with the hashing thread and without it; a read past the end fails as it would inline.
import tap from 'tap';
const t = tap;
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SectorSource } from '../dist/image/sector-source.js';
import { startHashingThread } from '../dist/verify/hashing-thread.js';
import { DataHasher } from '../dist/verify/parallel-hashing.js';

const SECTOR = 2048;
const dir = mkdtempSync(join(tmpdir(), 'isopipe-verify-hashing-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const data = randomBytes(24 << 20);
const path = join(dir, 'medium');
writeFileSync(path, data);

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

// Files in ascending position: 3,000 small ones back to back (sector aligned, some empty),
// a hard link (same extent twice), a gap wider than a block reads through, one file larger
// than a block, then small ones again.
const files: { pos: number; size: number }[] = [];
let pos = 16 * SECTOR;
for (let i = 0; i < 3000; i++) {
  const size = i % 97 === 0 ? 0 : 1 + ((i * 7919) % 8192);
  files.push({ pos, size });
  pos += Math.ceil(size / SECTOR) * SECTOR;
}
files.push({ ...files[files.length - 1] });
pos += 512 * 1024;
files.push({ pos, size: 5 * (1 << 20) + 123 });
pos += 6 << 20;
for (let i = 0; i < 50; i++) {
  files.push({ pos, size: 3000 + i });
  pos += 2 * SECTOR;
}

function check(t: typeof tap, withThread: boolean): void {
  const fd = openSync(path, 'r');
  const src = SectorSource.fromFd(fd);
  const thread = withThread ? startHashingThread(fd) : null;
  if (withThread) t.ok(thread, 'the hashing thread starts');
  const hasher = new DataHasher(src, thread);
  try {
    const ranges = hasher.startRange(3, [3, 4, 1000, 9000]);
    const positions = new Float64Array(files.map((f) => f.pos));
    const sizes = new Float64Array(files.map((f) => f.size));
    const digests = Buffer.from(hasher.hashFiles(positions, sizes, files.length));
    const wrong = files.filter((f, i) => digests.toString('hex', i * 16, i * 16 + 16) !== md5(data.subarray(f.pos, f.pos + f.size)));
    t.equal(wrong.length, 0, 'every file digest is the MD5 of its bytes');
    const r = Buffer.from(hasher.rangeDigests(ranges));
    const want = [3, 4, 1000, 9000].map((end) => md5(data.subarray(3 * SECTOR, end * SECTOR)));
    t.same(
      [0, 1, 2, 3].map((k) => r.toString('hex', k * 16, k * 16 + 16)),
      want,
      'a digest at every end of the range',
    );
    const total = files.reduce((n, f) => n + f.size, 0) + 8997 * SECTOR;
    t.equal(hasher.bytes, total, 'bytes hashed by both threads counted once');
    // A file running past the end of the medium: the read fails, whichever thread took it.
    const bad = new Float64Array([0, data.length - 100]);
    t.throws(() => hasher.hashFiles(bad, new Float64Array([SECTOR, 4 << 20]), 2), /past the end|end of the medium/);
  } finally {
    hasher.close();
    closeSync(fd);
  }
}

t.test('on this thread only', async (t) => check(t, false));
t.test('with the hashing thread', async (t) => check(t, true));
