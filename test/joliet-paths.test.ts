// The Joliet path limit (src/iso9660/joliet-path.ts): iso-pack leaves out what libisofs
// leaves out (paths over 240 bytes as it counts them), says how many names Joliet changed or
// left out (non-UTF-8 names included), and cd-verify accepts both its images and xorriso's.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOLIET_MAX_PATH, jolietPathLength, jolietPathOf } from '../src/iso9660/joliet-path.js';
import { run } from './helpers/run.js';
import { needs } from './helpers/skip.js';
import { describe, gnuTar, tool, verify } from './helpers/verify.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-joliet-paths-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test("the measure is libisofs's: 1 for the root, 1 + 2 per unit for each component", async (t) => {
  t.equal(jolietPathOf(''), 1);
  t.equal(jolietPathOf('a'), 4);
  t.equal(jolietPathOf('/ab/c'), 1 + 5 + 3);
  t.equal(jolietPathLength(1, 119), 240, 'one 119-unit name below the root is the longest that fits');
  t.equal(JOLIET_MAX_PATH, 240);
});

// d60/e60: 1 + 121 + 121 = 243 > 240, so e60 and everything in it go; d60/f fits.
const D = 'd'.repeat(60);
const E = 'e'.repeat(60);
const src = join(work, 's');
mkdirSync(join(src, D, E, 'sub'), { recursive: true });
writeFileSync(join(src, D, 'f'), 'fits\n');
writeFileSync(join(src, D, E, 'g'), 'too deep\n');
writeFileSync(join(src, D, E, 'sub', 'h'), 'deeper\n');
writeFileSync(join(src, 'ok'), 'ok\n');
writeFileSync(Buffer.concat([Buffer.from(`${src}/bad`), Buffer.from([0xff]), Buffer.from('name')]), 'x'); // not UTF-8
// A name that needs shortening.
writeFileSync(join(src, 'n'.repeat(70) + '.txt'), 'long\n');

function jolietPaths(image: string): string[] {
  const r = run('isoinfo', ['-J', '-f', '-i', image]);
  return r.stdout
    .toString('latin1')
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

t.test('iso-pack: the Joliet tree leaves out paths over 240, and the warning counts every name', async (t) => {
  const image = join(work, 'pack.iso');
  const tar = gnuTar(src);
  const r = tool('iso-pack', ['-o', image], tar);
  t.equal(r.status, 0, r.stderr.toString());
  t.match(
    r.stderr.toString(),
    /2 name\(s\) were shortened or changed in the Joliet tree .*; 4 file\(s\) and directories were left out of it \(paths over 240 bytes/,
    'two names changed (one cut, one not UTF-8), four left out (e60, g, sub, h)',
  );
  if (needs(t, 'isoinfo')) {
    const paths = jolietPaths(image);
    t.ok(paths.includes(`/${D}/f`), 'a path of 240 or less stays');
    t.notOk(
      paths.some((p) => p.includes(E)),
      'the directory over the limit and its contents are left out',
    );
    t.ok(
      paths.some((p) => p.startsWith('/bad') && p.endsWith('name')),
      'the non-UTF-8 name is there, changed',
    );
  }
  const v = verify(['--dev', image]);
  t.equal(v.status, 0, `cd-verify finds nothing ${describe(v)}`);
  const withTar = verify(['--dev', image], tar);
  t.equal(withTar.status, 0, `cd-verify --tar finds nothing ${describe(withTar)}`);
});

t.test('iso-pack: a tree without such paths gets no warning', async (t) => {
  const plain = join(work, 'plain');
  mkdirSync(join(plain, 'a/b'), { recursive: true });
  writeFileSync(join(plain, 'a/b/c'), 'c\n');
  const r = tool('iso-pack', ['-o', join(work, 'plain.iso')], gnuTar(plain));
  t.equal(r.status, 0);
  t.equal(r.stderr.toString(), '', 'no warning');
});

t.test('cd-verify: an xorriso image that leaves out paths over 240 has no finding', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const image = join(work, 'xorriso.iso');
  const r = run('xorriso', ['-as', 'mkisofs', '-R', '-J', '-o', image, src]);
  t.equal(r.status, 0, r.stderr.toString());
  t.match(r.stderr.toString(), /larger than 240/, 'xorriso left a path out');
  const v = verify(['--dev', image]);
  t.equal(v.status, 0, `cd-verify finds nothing ${describe(v)}`);
});

t.test('jolietText: raw name bytes to the UTF-16 text a Joliet name starts from', async (t) => {
  const { jolietText } = await import('../src/iso9660/joliet-names.js');
  t.equal(jolietText('plain-ascii.txt'), 'plain-ascii.txt');
  t.equal(jolietText(Buffer.from('café €', 'utf8').toString('latin1')), 'café €', 'UTF-8 bytes decoded');
  t.equal(jolietText(Buffer.from([0x61, 0xff, 0x62]).toString('latin1')), 'a\ufffdb', 'invalid UTF-8 becomes U+FFFD');
  t.equal(jolietText(Buffer.from('😀', 'utf8').toString('latin1')).length, 2, 'beyond the BMP: a surrogate pair');
});
