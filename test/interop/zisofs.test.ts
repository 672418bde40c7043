// Issue 17 (zisofs), judged by the readers that decompress: the Linux kernel (the oracle),
// xorriso (osirrox extraction) and bsdtar read every compressed file of an iso-pack -z image
// back to its bytes; a session xorriso wrote with -zisofs is appended to by iso-merge (its
// compressed files carried as references), restored with --data and checked by cd-verify,
// and xorriso still reads the result; a -z append grows the medium by about the compressed
// size.
import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Image } from '../../dist/image/image.js';
import { kernelListing, md5, untar } from '../helpers/merge.js';
import { must, run, tarOf } from '../helpers/run.js';
import { KERNEL_ORACLE, needs } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-zisofs-interop-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const BIN = (tool: string) => new URL(`../../bin/${tool}.js`, import.meta.url).pathname;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const cmd = (tool: string) => `${q(process.execPath)} ${q(BIN(tool))}`;
const T0 = 1_700_000_000;

const src = join(work, 'src');
const text = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => `${seed}: record ${i} status=ok\n`).join(''));
const noise = Buffer.concat(Array.from({ length: 4000 }, (_, i) => createHash('sha256').update(`n${i}`).digest()));
function put(root: string, rel: string, data: Buffer) {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
  utimesSync(p, T0, T0);
}
put(src, 'a.log', text(50_000, 1));
put(src, 'dir/b.log', text(3_000, 2));
put(src, 'dir/exact-block', Buffer.alloc(32768 * 3, 'z'));
put(src, 'zeros', Buffer.alloc(200_000));
put(src, 'noise', noise);
put(src, 'small', Buffer.from('one sector\n'));

function md5Tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const n of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${n.name}` : n.name;
      if (n.isDirectory()) walk(join(dir, n.name), r);
      else out.set(r, md5(readFileSync(join(dir, n.name))));
    }
  };
  walk(root, '');
  return out;
}

function compressedPaths(image: string, session?: number): string[] {
  const img = Image.open(image);
  const out: string[] = [];
  try {
    img.walk(img.session(session), (e) => {
      if (e.zisofs) out.push(e.path);
    });
  } finally {
    img.close();
  }
  return out.sort();
}

const image = join(work, 'z.iso');
must(process.execPath, [BIN('iso-pack'), '-q', '-z', '--md5', '-o', image], { input: tarOf(src) });
const expected = md5Tree(src);

t.test('iso-pack -z: every compressed file reads back to its bytes', async (t) => {
  t.same(compressedPaths(image), ['a.log', 'dir/b.log', 'dir/exact-block', 'zeros']);
  t.test('kernel', async (t) => {
    if (!needs(t, KERNEL_ORACLE)) return;
    const k = kernelListing(image);
    t.equal(k.status, 0, k.stderr);
    for (const [path, m] of expected) {
      const line = k.lines.find((l) => l.startsWith(`/${path}\t`));
      t.ok(line?.endsWith(`\t${m}`), `${path}: ${line}`);
    }
  });
  t.test('xorriso (osirrox)', async (t) => {
    if (!needs(t, 'xorriso')) return;
    const out = join(work, 'xorriso-out');
    must('xorriso', ['-osirrox', 'on', '-indev', image, '-extract', '/', out]);
    t.same(md5Tree(out), expected);
    const md5s = run('xorriso', ['-md5', 'on', '-indev', image, '-check_md5_r', 'FAILURE', '/', '--']);
    t.match(md5s.stdout.toString() + md5s.stderr, /File contents and their MD5 checksums match/);
  });
  t.test('bsdtar', async (t) => {
    if (!needs(t, 'bsdtar')) return;
    const out = join(work, 'bsdtar-out');
    mkdirSync(out);
    must('bsdtar', ['-xf', image, '-C', out]);
    t.same(md5Tree(out), expected);
  });
});

t.test('a session xorriso wrote with -zisofs: appended to, restored, verified', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const medium = join(work, 'xorriso.iso');
  must('xorriso', ['-outdev', medium, '-md5', 'on', '-zisofs', 'level=6', '-map', src, '/', '-set_filter_r', '--zisofs', '/', '--', '-commit']);
  const before = compressedPaths(medium);
  t.ok(before.includes('a.log'), `xorriso compressed ${before.join(' ')}`);
  const size1 = statSync(medium).size;
  const add = join(work, 'add');
  put(add, 'added.txt', Buffer.from('added by isopipe\n'));
  const r = run(
    'bash',
    [
      '-o',
      'pipefail',
      '-c',
      `prev=$(${cmd('cd-msinfo')} --dev ${q(medium)}) && ${cmd('iso-merge')} --dev ${q(medium)} | ${cmd('iso-pack')} -q --md5 --prev "$prev" | ${cmd('cd-write')} --dev ${q(medium)} --multi`,
    ],
    { input: tarOf(add) },
  );
  t.equal(r.status, 0, r.stderr);
  const grown = statSync(medium).size - size1;
  t.ok(grown <= 256 * 1024, `the medium grew by ${grown} bytes: metadata only`);
  t.same(compressedPaths(medium, 2), before, 'the compressed files keep their ZF entry');

  const whole = join(work, 'whole');
  untar(tarOf(src), whole);
  put(whole, 'added.txt', Buffer.from('added by isopipe\n'));
  const want = md5Tree(whole);
  const restored = join(work, 'restored');
  untar(must(process.execPath, [BIN('iso-merge'), '--data', '-n', '--dev', medium]), restored);
  t.same(md5Tree(restored), want, 'iso-merge --data restores the content');
  const x = join(work, 'xorriso-2');
  must('xorriso', ['-osirrox', 'on', '-indev', medium, '-extract', '/', x]);
  t.same(md5Tree(x), want, 'xorriso reads the new session');
  const v = run(process.execPath, [BIN('cd-verify'), '--dev', medium], { input: must('tar', ['-C', whole, '-cf', '-', '.']) });
  t.notMatch(v.stdout.toString(), /"kind":"(content|size|file-md5|session-md5)"/, v.stdout.toString());
  t.match(v.stderr, /2 session\(s\)/);
  if (needs(t, KERNEL_ORACLE)) {
    const k = kernelListing(medium);
    t.equal(k.status, 0, k.stderr);
    for (const [path, m] of want)
      t.ok(
        k.lines.some((l) => l.startsWith(`/${path}\t`) && l.endsWith(`\t${m}`)),
        `kernel: ${path}`,
      );
  }
});

t.test('a -z append grows the medium by about the compressed size', async (t) => {
  const medium = join(work, 'grow.iso');
  writeFileSync(medium, '');
  const bigText = text(400_000, 3); // about 9 MB, a few hundred KB compressed
  const add = join(work, 'grow-src');
  put(add, 'big.log', bigText);
  const r = run(
    'bash',
    [
      '-o',
      'pipefail',
      '-c',
      `prev=$(${cmd('cd-msinfo')} --dev ${q(medium)}) && ${cmd('iso-pack')} -q -z --prev "$prev" | ${cmd('cd-write')} --dev ${q(medium)} --multi`,
    ],
    { input: tarOf(add) },
  );
  t.equal(r.status, 0, r.stderr);
  const img = Image.open(medium);
  let stored = 0;
  img.walk(img.session(), (e) => {
    if (e.path === 'big.log') stored = e.size;
  });
  img.close();
  const grown = statSync(medium).size;
  t.ok(stored > 0 && stored < bigText.length / 4, `${bigText.length} bytes stored in ${stored}`);
  t.ok(grown >= stored && grown <= stored + 256 * 1024, `the medium holds ${grown} bytes: the compressed size and metadata`);
});
