// Child lists made while the tar streams (src/pack/left-directories.ts): made for the
// directories the tar has left, and at the end the same directories, names and counts as
// lists made then, whether a list is fresh, stale (the tar went back into its directory) or
// cut by the Joliet path limit; and the extents measured with the lists are those the tree
// writers would measure at the end, or not kept.
import t from 'tap';
import { JOLIET_MAX_PATH, jolietPathLength, longestJolietName } from '../dist/iso9660/joliet-path.js';
import { childLists, Directories, type DirInfo } from '../dist/pack/directories.js';
import { IsoRecordShapes, measureIsoDirectory } from '../dist/pack/iso-tree.js';
import { measureJolietDirectory } from '../dist/pack/joliet-tree.js';
import { LeftDirectories } from '../dist/pack/left-directories.js';
import { type Dir, type Inode, isDir, newDir, newInode, splitPath, Tree } from '../dist/tree/tree.js';

const attrs = { perm: 0o644, uid: 0, gid: 0, mtime: 1700000000 };

/** A tree from tar-like paths ('x/' a directory), and the lists a LeftDirectories made. */
function build(paths: string[], jolietMax: number | null = 64, make: (path: string) => Inode = plain): { tree: Tree; left: LeftDirectories } {
  const tree = new Tree(() => ({ ...attrs, perm: 0o755 }));
  const left = new LeftDirectories(tree.root, jolietMax, new IsoRecordShapes());
  for (const path of paths) {
    const parts = splitPath(path);
    tree.set(parts, make(path), path);
    left.entered(parts);
  }
  return { tree, left };
}

/** A directory for 'x/', else an empty file. */
function plain(path: string): Inode {
  return path.endsWith('/') ? newDir({ ...attrs, perm: 0o755 }) : newInode('file', attrs);
}

function dirAt(tree: Tree, path: string): Dir {
  const i = tree.lookup(splitPath(path));
  if (!i || !isDir(i)) throw new Error(`${path}: no directory`);
  return i;
}

/** Everything Directories gives the tree writers, by path rather than by object. */
function described(d: InstanceType<typeof Directories>) {
  const name = (i: Inode) => (isDir(i) ? `dir#${d.index(i)}` : `${i.type}#${i.serial}`);
  return {
    renamed: d.jolietRenamed,
    leftOut: d.jolietLeftOut,
    list: d.list.map((x) => ({
      parent: x.parent,
      isoId: x.isoId,
      jolietId: x.jolietId,
      jolietPath: x.jolietPath,
      iso: { names: x.iso.names, inodes: x.iso.inodes.map(name), idText: x.iso.idText, idEnds: [...x.iso.idEnds] },
      joliet: { ids: x.joliet.ids, inodes: x.joliet.inodes.map(name), dirs: x.joliet.dirs },
      subdirCount: x.subdirCount,
      isoSubdirs: x.isoSubdirs,
      jolietSubdirs: x.jolietSubdirs,
    })),
  };
}

t.test('longestJolietName is the longest name jolietPathLength lets in', async (t) => {
  for (const parent of [1, 4, 122, 238, 239, 240]) {
    const n = longestJolietName(parent);
    t.ok(n < 0 || jolietPathLength(parent, n) <= JOLIET_MAX_PATH, `${n} units fit below ${parent}`);
    t.ok(jolietPathLength(parent, n + 1) > JOLIET_MAX_PATH, `${n + 1} units do not`);
  }
});

t.test('a list is made for each directory the tar has left, not for those it is in', async (t) => {
  const { tree, left } = build(['a/', 'a/x', 'a/s/', 'a/s/y', 'a/z', 'b/', 'b/s/', 'b/s/t/', 'b/s/t/u']);
  const made = new Set([...left.lists.keys()]);
  t.ok(made.has(dirAt(tree, 'a/s')), 'a/s: the tar went on to a/z');
  t.ok(made.has(dirAt(tree, 'a')), 'a: the tar went on to b');
  t.notOk(made.has(dirAt(tree, 'b')), 'b holds the last entry');
  t.notOk(made.has(dirAt(tree, 'b/s')), 'b/s holds the last entry');
  t.notOk(made.has(dirAt(tree, 'b/s/t')), 'b/s/t holds the last entry');
  t.notOk(made.has(tree.root), 'the root is never left');
  t.equal(made.size, 2);
  t.strictSame(left.lists.get(dirAt(tree, 'a'))!.iso.names, ['s', 'x', 'z'], "a's children when the tar left it");
});

t.test("the root's own entry is in the root: the directories below it are left", async (t) => {
  const { tree, left } = build(['a/', 'a/s/', 'a/s/x', './', 'b']);
  t.strictSame(new Set(left.lists.keys()), new Set([dirAt(tree, 'a'), dirAt(tree, 'a/s')]));
});

t.test('a directory the tar goes back into keeps its first list, which the end finds stale', async (t) => {
  const paths = ['a/x', 'b/y', 'a/w', 'b/v', 'a/u'];
  const { tree, left } = build(paths);
  const a = dirAt(tree, 'a');
  t.strictSame(left.lists.get(a)!.iso.names, ['x'], 'made once, when the tar first left a');
  t.strictSame(left.lists.get(dirAt(tree, 'b'))!.iso.names, ['y'], 'and b, when it first left b');
  const fresh = build(paths).tree;
  t.strictSame(described(new Directories(tree.root, 64, left.lists)), described(new Directories(fresh.root, 64)), 'the end lists what a lists now');
  t.strictSame(described(new Directories(tree.root, 64, left.lists)).list[1].iso.names, ['u', 'w', 'x'], "a's three files, not the one the early list saw");
});

t.test('a name replaced by another inode, or a file replaced by a directory, makes a list stale', async (t) => {
  const paths = ['a/x', 'a/y', 'b/z'];
  const { tree, left } = build(paths);
  const fresh = build(paths).tree;
  for (const tr of [tree, fresh]) {
    tr.set(['a', 'x'], newInode('symlink', attrs), 'a/x'); // same names, another inode
    tr.set(['a', 'y', 'deeper'], newInode('file', attrs), 'a/y/deeper'); // y becomes a directory
  }
  t.strictSame(described(new Directories(tree.root, 64, left.lists)), described(new Directories(fresh.root, 64)));
});

t.test('with and without early lists, the same directories and counts under the Joliet limits', async (t) => {
  // d60/e60 leaves e60 out (1 + 121 + 121 > 240) with all below it; f fits; the long names
  // are cut to the limit and then collide; the latin1 byte 0xff is not UTF-8.
  const D = 'd'.repeat(60);
  const E = 'e'.repeat(60);
  const long = 'n'.repeat(70);
  const paths = [
    'ok',
    `${D}/`,
    `${D}/f`,
    `${D}/${E}/`,
    `${D}/${E}/g`,
    `${D}/${E}/sub/h`,
    `${D}/${long}.txt`,
    `${D}/${long}.dat`,
    `bad\xffname`,
    'k/',
    `k/${long}1`,
    `k/${long}2`,
    'k/q/',
    'k/q/r',
    'ok2',
  ];
  for (const jolietMax of [64, 103, null]) {
    const { tree, left } = build(paths, jolietMax);
    t.ok(left.lists.size >= 3, `${left.lists.size} directories listed early`);
    const fresh = build(paths, jolietMax).tree;
    const early = described(new Directories(tree.root, jolietMax, left.lists));
    const late = described(new Directories(fresh.root, jolietMax));
    t.strictSame(early, late, `jolietMax ${jolietMax}: the same`);
    if (jolietMax === 64) {
      // Below d60 (measure 122) a name may be 58 units: e60 goes with g, sub and h, and so
      // do the two long names, cut to 64.
      t.equal(late.leftOut, 6, 'e60, g, sub, h and the two long names left out');
      t.ok(late.renamed >= 3, `${late.renamed} renamed`);
    }
  }
  // Every directory listed early, the limit applied afterwards: the same again.
  const { tree } = build(paths);
  const all = new Map<Dir, ReturnType<typeof childLists>>();
  const walk = (d: Dir) => {
    all.set(d, childLists(d, 64));
    for (const c of d.children.values()) if (isDir(c)) walk(c);
  };
  walk(tree.root);
  t.strictSame(described(new Directories(tree.root, 64, all)), described(new Directories(build(paths).tree.root, 64)));
});

/** Every directory of both trees with its sectors as the tree writers measure them now, by
 *  ISO identifier path (no early measures involved). */
function measuredNow(root: Dir, jolietMax: number | null): Map<string, { iso: number; ceBlocks: number; joliet: number | undefined }> {
  const dirs = new Directories(root, jolietMax);
  const shapes = new IsoRecordShapes();
  const out = new Map<string, { iso: number; ceBlocks: number; joliet: number | undefined }>();
  for (const d of dirs.list) {
    const iso = measureIsoDirectory(shapes, d.iso, d === dirs.list[0]);
    out.set(pathOf(dirs.list, d), { iso: iso.sectors, ceBlocks: iso.ceBlocks, joliet: d.jolietPath >= 0 ? measureJolietDirectory(d.joliet) : undefined });
  }
  return out;
}

function pathOf(list: DirInfo[], d: DirInfo): string {
  return d === list[0] ? '' : `${pathOf(list, list[d.parent])}/${d.isoId}`;
}

/** Directories' early measures, by ISO identifier path: those it kept. */
function keptEarly(root: Dir, jolietMax: number | null, left: LeftDirectories): Map<string, { iso: number | undefined; joliet: number | undefined }> {
  const dirs = new Directories(root, jolietMax, left.lists);
  return new Map(dirs.list.map((d) => [pathOf(dirs.list, d), { iso: d.isoSectors, joliet: d.jolietSectors }]));
}

/** Files of many kinds and sizes, so that the directories span several sectors. */
function varied(path: string): Inode {
  if (path.endsWith('/')) return plain(path);
  const n = Number(/(\d+)$/.exec(path)?.[1] ?? 0);
  const kind = n % 5;
  const i = newInode(kind === 1 ? 'symlink' : kind === 2 ? 'chr' : 'file', attrs);
  if (kind === 1) i.target = 'x/'.repeat(n % 40);
  if (kind === 3) {
    i.size = (n + 1) * 3001;
    i.lba = 40 + n;
  }
  if (kind === 4) {
    i.size = 5 * 2 ** 30; // two sections
    i.lba = 1000;
  }
  return i;
}

t.test('an early measure is the one the tree writers make at the end', async (t) => {
  const paths: string[] = [];
  for (const d of ['a', 'b', 'c']) {
    paths.push(`${d}/`);
    // In b, long names meet long symlink targets: their entries spill out of the records.
    const count = d === 'b' ? 400 : 39;
    for (let k = 0; k < count; k++) paths.push(`${d}/${'name-'.repeat(1 + (k % 6))}${k}`);
    paths.push(`${d}/sub/`, `${d}/sub/f1`);
  }
  paths.push('last');
  for (const jolietMax of [64, null]) {
    const { tree, left } = build(paths, jolietMax, varied);
    const now = measuredNow(tree.root, jolietMax);
    const early = keptEarly(tree.root, jolietMax, left);
    let kept = 0;
    for (const [path, m] of early) {
      const end = now.get(path)!;
      t.equal(m.joliet, path === '' ? undefined : end.joliet, `${path}: Joliet sectors`);
      if (m.iso === undefined) {
        // Not kept: the root's, and those with continuation blocks.
        t.ok(path === '' || end.ceBlocks > 0, `${path}: ISO sectors left for the end`);
        continue;
      }
      kept++;
      t.equal(m.iso, end.iso, `${path}: ISO sectors`);
      t.equal(end.ceBlocks, 0);
    }
    t.equal(kept, 5, 'a, c and the subdirectories measured early');
    t.equal(early.get('/B')!.iso, undefined, "b's long symlinks go on in continuation blocks");
    t.ok(now.get('/B')!.iso > 3, `b spans ${now.get('/B')!.iso} sectors`);
  }
});

t.test('a measure goes with its list when the tar goes back into the directory', async (t) => {
  const paths = ['a/', ...Array.from({ length: 60 }, (_, k) => `a/${'x'.repeat(30)}${k}`), 'b/', 'b/y'];
  const { tree, left } = build(paths);
  const a = dirAt(tree, 'a');
  t.ok(left.lists.get(a)!.isoSectors! >= 1, 'a measured when the tar left it');
  for (let k = 0; k < 60; k++) tree.set(['a', `${'z'.repeat(30)}${k}`], newInode('file', attrs), 'a/z');
  const early = keptEarly(tree.root, 64, left);
  t.equal(early.get('/A')!.iso, undefined, 'not kept: a has more children now');
  t.equal(early.get('/A')!.joliet, undefined);
  t.not(left.lists.get(a)!.isoSectors, measuredNow(tree.root, 64).get('/A')!.iso, 'and it would have been wrong');
});

t.test('an ISO measure with continuation blocks is not kept; the Joliet one is', async (t) => {
  // A Rock Ridge name of 200 bytes does not fit in its record.
  const { tree, left } = build(['a/', `a/${'n'.repeat(200)}`, 'a/short', 'b']);
  const lists = left.lists.get(dirAt(tree, 'a'))!;
  t.equal(lists.isoSectors, undefined, 'left for the end, which counts the files continued after their data');
  t.equal(lists.jolietSectors, 1);
  t.equal(keptEarly(tree.root, 64, left).get('/A')!.joliet, 1);
});

t.test('a Joliet measure is not kept for a list the path limit cuts', async (t) => {
  // Below d60 (path 122) a name may be 58 units: the 70-unit names are left out there.
  const D = 'd'.repeat(60);
  const paths = [`${D}/`, ...Array.from({ length: 40 }, (_, k) => `${D}/${'n'.repeat(68)}${k}`), 'b'];
  const { tree, left } = build(paths);
  const lists = left.lists.get(dirAt(tree, D))!;
  t.ok(lists.jolietSectors! > 1, `${lists.jolietSectors} sectors as named without the limit`);
  const early = keptEarly(tree.root, 64, left);
  const name = [...early.keys()].find((p) => p !== '')!;
  t.equal(early.get(name)!.joliet, undefined, 'not kept');
  t.ok(early.get(name)!.iso !== undefined, 'the ISO measure is');
  t.equal(measuredNow(tree.root, 64).get(name)!.joliet, 1, 'the end measures the cut list: . and .. alone');
});

t.test('each directory knows where its subdirectories are in both trees', async (t) => {
  const D = 'd'.repeat(60);
  // In q, Joliet orders the names apart from their order by bytes (a-b, a.b): it compares a
  // file's name before its extension, so the file a.b comes before the directory a-b.
  const paths = [
    'q/',
    'q/a-b/',
    'q/a-b/f',
    'q/a.b',
    'z/',
    'z/a',
    'y/',
    'x',
    `${D}/`,
    `${D}/b/`,
    `${D}/${'n'.repeat(68)}/`,
    `${D}/c`,
    'w/',
    'w/v/',
    'w/v/u',
    'last',
  ];
  const { tree, left } = build(paths);
  for (const dirs of [new Directories(tree.root, 64, left.lists), new Directories(tree.root, 64)]) {
    for (const d of dirs.list) {
      // By path: the root's identifier is a NUL byte, which has no place in a test's name.
      const name = pathOf(dirs.list, d) || '/';
      const at = (inodes: Inode[]) => inodes.flatMap((i, k) => (isDir(i) ? [k] : []));
      t.strictSame(d.joliet.dirs, at(d.joliet.inodes), `${name}: Joliet positions of directories`);
      t.equal(d.subdirCount, at(d.iso.inodes).length, `${name}: subdirectories`);
      t.strictSame(
        d.isoSubdirs,
        at(d.iso.inodes).map((k) => dirs.index(d.iso.inodes[k] as Dir)),
        `${name}: in ISO order`,
      );
      t.strictSame(
        d.jolietSubdirs,
        at(d.joliet.inodes).map((k) => dirs.index(d.joliet.inodes[k] as Dir)),
        `${name}: in Joliet order`,
      );
    }
    const q = dirs.list[dirs.index(dirAt(tree, 'q'))];
    t.strictSame(q.joliet.ids, ['a.b', 'a-b'], 'the Joliet order');
    t.strictSame(q.joliet.dirs, [1]);
  }
});
