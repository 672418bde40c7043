// Child lists made while the tar streams (src/pack/left-directories.ts): made for the
// directories the tar has left, and at the end the same directories, names and counts as
// lists made then, whether a list is fresh, stale (the tar went back into its directory) or
// cut by the Joliet path limit.
import t from 'tap';
import { JOLIET_MAX_PATH, jolietPathLength, longestJolietName } from '../dist/iso9660/joliet-path.js';
import { childLists, Directories } from '../dist/pack/directories.js';
import { LeftDirectories } from '../dist/pack/left-directories.js';
import { type Dir, type Inode, isDir, newDir, newInode, splitPath, Tree } from '../dist/tree/tree.js';

const attrs = { perm: 0o644, uid: 0, gid: 0, mtime: 1700000000 };

/** A tree from tar-like paths ('x/' a directory), and the lists a LeftDirectories made. */
function build(paths: string[], jolietMax: number | null = 64): { tree: Tree; left: LeftDirectories } {
  const tree = new Tree(() => ({ ...attrs, perm: 0o755 }));
  const left = new LeftDirectories(tree.root, jolietMax);
  for (const path of paths) {
    const parts = splitPath(path);
    tree.set(parts, path.endsWith('/') ? newDir({ ...attrs, perm: 0o755 }) : newInode('file', attrs), path);
    left.entered(parts);
  }
  return { tree, left };
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
      joliet: { ids: x.joliet.ids, inodes: x.joliet.inodes.map(name) },
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
