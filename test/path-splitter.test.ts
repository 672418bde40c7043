// PathSplitter (src/tree/tree.ts): a tar's paths in stream order split exactly as
// splitPath splits each alone, whether an entry extends the previous one's directory (the
// reused components) or not, and a `..` refused either way.
import t from 'tap';
import { PathSplitter, splitPath } from '../dist/tree/tree.js';

/** Each path through one splitter, against splitPath of the same path. */
function same(t: Tap.Test, paths: string[]): void {
  const s = new PathSplitter();
  const got = paths.map((p) => s.split(p));
  t.same(
    got,
    paths.map((p) => splitPath(p)),
    paths.slice(0, 4).join(' | '),
  );
}

t.test('a tar in stream order', async (t) => {
  same(t, ['./', './a/', './a/x', './a/y', './a/b/', './a/b/z', './a/w', './c', './c/', './c/d']);
  same(t, ['a', 'a/', 'a/b', 'a/b/', 'a/b/c', 'a/b/d', 'a/e']);
  same(t, ['/abs/x', '/abs/y', 'abs/z', './abs/q']);
});

t.test('odd spellings fall back to splitPath and give its parts', async (t) => {
  same(t, ['a/b', 'a/./', 'a/.', 'a/c', 'a//d', 'a//e', 'a/f//', 'a/g', 'a/', 'a']);
  same(t, ['./x/y/', './x/y/.', './x/y//', './x/y/z', '.', '', '/', './', 'x/y/z/']);
  // The same directory spelled two ways: components are compared, not spellings.
  same(t, ['d/e/f', 'd//e/g', 'd/e/h', './d/e/i', 'd/e/./j']);
});

t.test('a name that looks like the previous directory', async (t) => {
  same(t, ['ab/c', 'abc', 'ab/cd', 'a/b/c', 'a/bc', 'a/b', 'a/b/d']);
});

t.test('`..` is refused where the previous directory matches too', async (t) => {
  const s = new PathSplitter();
  t.same(s.split('./a/b'), ['a', 'b']);
  t.throws(() => s.split('./a/..'), /'\.\/a\/\.\.' has a '\.\.' component/);
  t.throws(() => s.split('./a/../x'), /'\.\.' component/);
  t.same(s.split('./a/c'), ['a', 'c']);
  t.throws(() => s.split('../a/c'), /'\.\.' component/);
});

t.test('each call returns an array of its own', async (t) => {
  const s = new PathSplitter();
  const first = s.split('d/x');
  first.push('changed');
  const second = s.split('d/y');
  t.same(second, ['d', 'y']);
  t.same(s.split('d/z'), ['d', 'z']);
});

t.test('many random paths in a random order', async (t) => {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const names = ['a', 'b', 'ab', '.', '', 'x.dat', 'long-name-0001.dat'];
  const paths: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const depth = 1 + next(4);
    const parts = Array.from({ length: depth }, () => names[next(names.length)]);
    let p = parts.join('/');
    if (next(3) === 0) p = `./${p}`;
    if (next(4) === 0) p += '/';
    paths.push(p);
    // Runs of siblings, as a tar lists them.
    for (let k = next(5); k > 0; k--) paths.push(`${p.replace(/[^/]*\/?$/, '')}${names[next(names.length)]}`);
  }
  same(t, paths);
});
