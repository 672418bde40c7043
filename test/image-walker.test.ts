// The directory walker's problem policy, on a directory built in memory: a policy that
// returns sees every problem and the walk goes past each one (cd-verify's way); a policy
// that throws stops the walk at the first (the reader's way).
import t from 'tap';
import { type DirectoryChild, DirectoryWalker, type ProblemPolicy, type WalkProblem } from '../dist/image/directory-walker.js';
import { SectorSource } from '../dist/image/sector-source.js';
import { DOT, DOTDOT, encodeDirectoryRecord, FLAG_DIRECTORY, FLAG_MULTI_EXTENT } from '../dist/iso9660/directory-record.js';

const SECTOR = 2048;
const ROOT = 20;

/** A medium of 24 sectors: the root at LBA 20 holds a subdirectory, a multi-extent file
 *  that ends without its final section, a file; its second sector a malformed record. */
function medium(): SectorSource {
  const b = Buffer.alloc(24 * SECTOR);
  let off = ROOT * SECTOR;
  const rec = (extent: number, size: number, flags: number, id: Buffer | string) =>
    (off += encodeDirectoryRecord({ extent, size, mtime: 0, flags, identifier: typeof id === 'string' ? Buffer.from(id) : id }, b, off));
  rec(ROOT, 2 * SECTOR, FLAG_DIRECTORY, DOT);
  rec(ROOT, 2 * SECTOR, FLAG_DIRECTORY, DOTDOT);
  rec(22, SECTOR, FLAG_DIRECTORY, 'A');
  rec(23, 100, FLAG_MULTI_EXTENT, 'B.;1');
  rec(23, 5, 0, 'C.;1');
  b[(ROOT + 1) * SECTOR] = 20; // shorter than a record's fixed part
  return SectorSource.fromReader({ bytes: b.length, pread: (buf, length, position) => b.copy(buf, 0, position, position + length), close: () => {} });
}

/** The children of the directory at `extent` in order, as each is given to `visit`. */
function childrenOf(w: DirectoryWalker, extent: number, size: number, path: string, visit: (c: DirectoryChild) => void = () => {}): DirectoryChild[] {
  const kids: DirectoryChild[] = [];
  const join = w.children({ extent, path }, 'iso9660', (c) => {
    visit(c);
    kids.push(c);
  });
  w.records(extent, size, path, false, join.take);
  join.end();
  return kids;
}

t.test('recording: every problem, and the walk goes on', async (t) => {
  const seen: WalkProblem[] = [];
  const w = new DirectoryWalker(medium(), (p) => void seen.push(p));
  const kids = childrenOf(w, ROOT, 2 * SECTOR, '');
  t.same(
    kids.map((c) => [c.name, c.isDir, c.sections]),
    [
      ['A', true, []],
      ['B', false, [{ lba: 23, bytes: 100 }]],
      ['C', false, [{ lba: 23, bytes: 5 }]],
    ],
  );
  t.same(
    seen.map((p) => [p.code, p.lba]),
    [
      ['multi-extent-unfinished', ROOT],
      ['bad-record', ROOT + 1],
    ],
  );
  t.ok(w.enter(ROOT, 0, ''));
  t.notOk(w.enter(ROOT, 1, 'A/x'), 'a directory reached again is not entered');
  t.notOk(w.enter(22, 1001, 'deep'), 'nor one deeper than the limit');
  t.same(
    seen.slice(2).map((p) => p.code),
    ['loop', 'too-deep'],
  );
});

t.test('throwing: the walk stops at the first problem', async (t) => {
  const stop: ProblemPolicy = (p) => {
    throw new Error(p.code);
  };
  const w = new DirectoryWalker(medium(), stop);
  const names: string[] = [];
  t.throws(() => {
    childrenOf(w, ROOT, 2 * SECTOR, '', (c) => names.push(c.name));
  }, /multi-extent-unfinished/);
  t.same(names, ['A'], 'nothing after the problem is reported');
});

t.test('a name met twice in a directory is reported once, where it repeats', async (t) => {
  const b = Buffer.alloc(22 * SECTOR);
  let off = ROOT * SECTOR;
  const rec = (extent: number, flags: number, id: Buffer | string) =>
    (off += encodeDirectoryRecord({ extent, size: SECTOR, mtime: 0, flags, identifier: typeof id === 'string' ? Buffer.from(id) : id }, b, off));
  rec(ROOT, FLAG_DIRECTORY, DOT);
  rec(ROOT, FLAG_DIRECTORY, DOTDOT);
  // Two versions of C name the same file once the version is dropped; A and D do not repeat.
  for (const id of ['A.;1', 'C.;1', 'C.;2', 'C.;3', 'D.;1']) rec(21, 0, id);
  const src = SectorSource.fromReader({ bytes: b.length, pread: (buf, length, position) => b.copy(buf, 0, position, position + length), close: () => {} });
  const seen: WalkProblem[] = [];
  const w = new DirectoryWalker(src, (p) => void seen.push(p));
  const names = childrenOf(w, ROOT, SECTOR, 'dir').map((c) => c.name);
  t.same(names, ['A', 'C', 'C', 'C', 'D']);
  t.same(
    seen.map((p) => [p.code, p.code === 'duplicate-name' ? p.name : '', p.path]),
    [
      ['duplicate-name', 'C', 'dir/C'],
      ['duplicate-name', 'C', 'dir/C'],
    ],
  );
});

t.test('the reader walks far deeper than the depth limit before the stack runs out', async (t) => {
  // A chain of directories, each holding the next: the reader descends recursively, so the
  // default limit (1000 levels) must be reached with the stack to spare.
  const { TreeWalker } = await import('../dist/image/tree-walker.js');
  const levels = 2000;
  const b = Buffer.alloc((ROOT + levels + 1) * SECTOR);
  for (let i = 0; i <= levels; i++) {
    const lba = ROOT + i;
    let off = lba * SECTOR;
    const rec = (extent: number, id: Buffer) =>
      (off += encodeDirectoryRecord({ extent, size: SECTOR, mtime: 0, flags: FLAG_DIRECTORY, identifier: id }, b, off));
    rec(lba, DOT);
    rec(i === 0 ? lba : lba - 1, DOTDOT);
    if (i < levels) rec(lba + 1, Buffer.from('D'));
  }
  const src = SectorSource.fromReader({ bytes: b.length, pread: (buf, length, position) => b.copy(buf, 0, position, position + length), close: () => {} });
  let entries = 0;
  new TreeWalker(src, { session: 1, extent: ROOT, size: SECTOR, flavour: 'iso9660' }, { maxDepth: levels + 1 }).walk(() => entries++);
  t.equal(entries, levels + 1, 'every level reported');
});
