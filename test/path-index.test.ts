// The old tree's path index: every path found at its number through the table's growth,
// raw latin1 bytes kept exactly, absent paths and near misses not found, and a path added
// twice found at its newest number (as a Map would), before and after a rehash.
import t from 'tap';
import { PathIndex } from '../dist/merge/path-index.js';

t.test('paths are found at their numbers across growth', async (t) => {
  const x = new PathIndex();
  const paths: string[] = [''];
  for (let i = 0; i < 5000; i++) paths.push(`d${i % 37}/s${i % 11}/file-${i}.dat`);
  paths.push('caf\xe9/\xff\x01name', 'p'.repeat(70000));
  for (const p of paths) x.add(p);
  t.equal(x.size, paths.length);
  let bad = 0;
  paths.forEach((p, n) => {
    if (x.find(p) !== n || x.path(n) !== p) bad++;
  });
  t.equal(bad, 0, 'every path at its number, and back');
  t.equal(x.path(paths.length - 2), 'caf\xe9/\xff\x01name', 'latin1 bytes kept');
  for (const absent of ['d0', 'd0/s0/file-0.da', 'd0/s0/file-0.datx', 'caf\xe8/\xff\x01name', '/'])
    t.equal(x.find(absent), undefined, `'${absent}' is not there`);
});

t.test('a path added twice is found at its newest number', async (t) => {
  const x = new PathIndex();
  x.add('a');
  x.add('b');
  x.add('a');
  t.equal(x.find('a'), 2);
  for (let i = 0; i < 3000; i++) x.add(`f${i}`); // several rehashes
  t.equal(x.find('a'), 2, 'still after a rehash');
  t.equal(x.find('b'), 1);
  t.equal(x.path(0), 'a');
});
