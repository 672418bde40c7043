// FileChecksums hashes on a worker thread through a ring of shared memory: the digests must
// be exactly those of the data, in the order files were seen, whatever the chunk sizes, the
// ring's wrap-around and the reuse of the caller's buffer after each update.
import t from 'tap';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { FileChecksums, Md5Error } from '../dist/pack/md5.js';
import { patternedBytes } from './helpers/run.js';

type Inode = Parameters<FileChecksums['begin']>[0];
const inode = () => ({}) as Inode;
const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** Feeds `data` in chunks of `sizes` (cycled) through one reused buffer, as readChunks does. */
function feed(sums: FileChecksums, data: Buffer, sizes: number[], scratch: Buffer): void {
  for (let off = 0, k = 0; off < data.length; k++) {
    const n = Math.min(sizes[k % sizes.length], data.length - off);
    data.copy(scratch, 0, off, off + n);
    sums.update(scratch.subarray(0, n));
    scratch.fill(0xa5, 0, n); // the chunk is only valid during the call
    off += n;
  }
}

function entry(array: Buffer, index: number): string {
  return array.subarray(index * 16, index * 16 + 16).toString('hex');
}

t.test('files of all sizes, references between them, and empty files', (t) => {
  const sums = new FileChecksums();
  const scratch = Buffer.alloc(4 << 20);
  const expected: string[] = [];
  const inodes: Inode[] = [];
  // Larger than the ring's pieces, sizes that make the ring wrap at odd offsets, many small.
  const sizes = [0, 1, 3, 2048, 5000, 1 << 20, (3 << 20) + 7, 9 << 20, 65537, 0, 17];
  for (let f = 0; f < 400; f++) {
    const i = inode();
    inodes.push(i);
    if (f % 37 === 5) {
      const hex = patternedBytes(16, f).toString('hex');
      sums.reference(i, hex, `ref-${f}`);
      expected.push(hex);
      continue;
    }
    const size = f < sizes.length ? sizes[f] : (f * 7919) % 9000;
    const data = patternedBytes(size, f);
    sums.begin(i);
    feed(sums, data, [1 << 20, 4096, 100, 3 << 20], scratch);
    sums.end();
    expected.push(md5(data).toString('hex'));
  }
  const file = inode();
  sums.reference(file, undefined, 'no-md5'); // nothing recorded, no slot
  t.equal(sums.count, expected.length, 'one slot per file with an MD5');
  t.equal(sums.indexOf(file), null, 'a reference without an MD5 has no index');
  for (const [k, i] of inodes.entries()) t.equal(sums.indexOf(i), k + 1, `file ${k} at index ${k + 1}`, { diagnostic: false });
  const array = sums.array();
  t.equal(array.length, sums.arraySectors * 2048);
  t.equal(entry(array, 0), '0'.repeat(32), 'session MD5 left to the seal');
  t.equal(entry(array, 1), EMPTY_MD5, 'an empty file has the MD5 of nothing');
  t.same(
    expected.map((_, k) => entry(array, k + 1)),
    expected,
    'every file MD5 in order',
  );
  t.equal(entry(array, expected.length + 1), '0'.repeat(32), 'entries MD5 left to the seal');
  t.same(sums.array(), array, 'array() again gives the same bytes');
  let late: unknown;
  try {
    sums.reference(inode(), 'ff'.repeat(16), 'late');
  } catch (err) {
    late = err;
  }
  t.ok(late instanceof Md5Error, 'no file after the array was taken');
  t.end();
});

t.test('100,000 small files', (t) => {
  const sums = new FileChecksums();
  const scratch = Buffer.alloc(8192);
  const hashes: string[] = [];
  for (let f = 0; f < 100_000; f++) {
    const data = patternedBytes(1 + (f % 8192), f);
    sums.begin(inode());
    feed(sums, data, [8192], scratch);
    sums.end();
    if (f % 997 === 0) hashes[f] = md5(data).toString('hex');
  }
  const array = sums.array();
  t.equal(sums.count, 100_000);
  for (const [f, h] of hashes.entries()) if (h) t.equal(entry(array, f + 1), h, `file ${f}`, { diagnostic: false });
  t.end();
});

t.test('a file that never ended gives its data to no one', (t) => {
  const sums = new FileChecksums();
  const [a, b] = [inode(), inode()];
  sums.begin(a);
  sums.update(patternedBytes(5000, 1));
  sums.begin(b);
  sums.update(patternedBytes(300, 2));
  sums.end();
  t.equal(sums.indexOf(a), null, 'the unfinished file has no MD5');
  t.equal(sums.indexOf(b), 1);
  t.equal(entry(sums.array(), 1), md5(patternedBytes(300, 2)).toString('hex'), 'the next file hashes only its own data');
  t.end();
});

t.test('a malformed recorded MD5 is an error naming the file', (t) => {
  const sums = new FileChecksums();
  t.throws(() => sums.reference(inode(), 'xyz', 'old/file'), { message: /'old\/file': malformed ISOPIPE\.md5/ });
  t.end();
});

t.test('an undrained hasher does not keep the process alive', (t) => {
  const url = new URL('../dist/pack/md5.js', import.meta.url).href;
  const script = `import { FileChecksums } from '${url}';
    const s = new FileChecksums(); s.begin({}); s.update(Buffer.alloc(1 << 20)); s.end(); s.begin({});`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
  t.equal(r.status, 0, `exits by itself: ${r.stderr}`);
  t.end();
});
