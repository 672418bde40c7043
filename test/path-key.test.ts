// pathKey (src/tree/tree.ts): the key iso-merge looks paths up by, the same text as
// splitPath(path).join('/') for every spelling, cut out of the path where tar's own
// spelling allows, and a `..` refused with splitPath's message.
import t from 'tap';
import { pathKey, splitPath } from '../dist/tree/tree.js';

function same(t: Tap.Test, paths: string[]): void {
  t.same(
    paths.map((p) => pathKey(p)),
    paths.map((p) => splitPath(p).join('/')),
    paths.slice(0, 4).join(' | '),
  );
}

t.test('paths as tar writes them', async (t) => {
  same(t, ['./', './a/', './a/x', './a/b/', './a/b/z', 'a', 'a/', 'a/b/c', 'a/b/c/']);
  t.equal(pathKey('./a/b/c.dat'), 'a/b/c.dat');
  t.equal(pathKey('a/b/'), 'a/b');
  t.equal(pathKey('./'), '');
});

t.test('other spellings give splitPath’s key', async (t) => {
  same(t, ['.', '', '/', '//', './/', '././a', '/abs/x', 'a//b', 'a/./b', 'a/.', 'a/b/.', 'a//', './a//', '.a', 'a/.b', 'a/..b', '...', 'a/.../b']);
  t.equal(pathKey('/abs/x'), 'abs/x');
  t.equal(pathKey('a//b/./c/'), 'a/b/c');
  t.equal(pathKey('a/.b/..c'), 'a/.b/..c');
});

t.test('`..` is refused wherever it stands', async (t) => {
  for (const p of ['..', '../a', './..', 'a/..', 'a/../b', 'a/b/../', './a/..//']) t.throws(() => pathKey(p), { message: `'${p}' has a '..' component` }, p);
});

t.test('many random paths', async (t) => {
  let seed = 11;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const names = ['a', 'b', '.', '', '.x', '..y', 'x.dat', 'long-name-0001.dat'];
  const paths: string[] = [];
  for (let i = 0; i < 3000; i++) {
    let p = Array.from({ length: 1 + next(4) }, () => names[next(names.length)]).join('/');
    if (next(3) === 0) p = `./${p}`;
    if (next(4) === 0) p += '/';
    paths.push(p);
  }
  same(t, paths);
});
