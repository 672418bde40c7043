// iso-merge in overlay mode (the default) through the whole pipeline: the new session shows
// the union of the old tree and the tar, the tar winning for a path in both and of any type
// (file ↔ directory ↔ symlink); --remove, --session, -n, an empty stdin, a blank medium,
// hard links to old files, long-named files carried with their data, and usage errors. (The
// kernel's view of the union: test/interop/merge-overlay-kernel.test.ts.)
import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { TarParser, type TarEntry } from '../dist/tar/parser.js';
import { appendSession, describe, type Field, type HostEntry, hostTree, linkGroups, untar } from './helpers/merge.js';
import { LONG, overlayTrees, put, T0 } from './helpers/overlay.js';
import { must, node, tarOf } from './helpers/run.js';
import { needs } from './helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-overlay-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const FIELDS: Field[] = ['type', 'perm', 'owner', 'size', 'mtime', 'target', 'md5', 'dev'];
const { A, B, union } = overlayTrees(work);

const medium = join(work, 'm.iso');

function imageTree(t: Tap.Test, image: string, what: string, extra: string[] = []): Map<string, HostEntry> | null {
  if (!needs(t, 'bsdtar')) return null;
  const out = join(work, 'x-' + what.replace(/\W/g, ''));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  must('bsdtar', ['--numeric-owner', '-xpf', image, '-C', out, ...extra]);
  const tree = hostTree(out);
  rmSync(out, { recursive: true, force: true });
  return tree;
}

function same(t: Tap.Test, got: Map<string, HostEntry> | null, want: Map<string, HostEntry>, what: string) {
  if (!got) return;
  t.strictSame(
    describe(got, FIELDS, (p) => p !== ''),
    describe(want, FIELDS, (p) => p !== ''),
    `${what}: every entry`,
  );
  t.strictSame(linkGroups(got), linkGroups(want), `${what}: hard-link groups`);
}

/** iso-merge's output parsed: entries with their ISOPIPE records and data sizes. */
function parseTar(tar: Buffer): { e: TarEntry; bytes: number }[] {
  const out: { e: TarEntry; bytes: number }[] = [];
  const p = new TarParser({ entry: (e) => out.push({ e, bytes: 0 }), data: (c) => (out[out.length - 1].bytes += c.length), entryEnd: () => {} });
  p.push(tar);
  p.end();
  return out;
}

t.test('a blank medium passes stdin through unchanged', async (t) => {
  const tar = tarOf(A);
  const r = node('iso-merge', ['--dev', join(work, 'missing.iso')], { input: tar });
  t.equal(r.status, 0, r.stderr);
  t.ok(r.stdout.equals(tar), 'byte for byte');
  const empty = node('iso-merge', ['--dev', join(work, 'missing.iso'), '-n']);
  t.equal(empty.status, 0);
  t.ok(empty.stdout.equals(Buffer.alloc(1024)), '-n on a blank medium: an empty archive');
});

t.test('session 1, then session 2 as an overlay: the union, the tar winning', async (t) => {
  t.equal(appendSession(tarOf(A), medium).status, 0);
  const merged = node('iso-merge', ['--dev', medium, '-v'], { input: tarOf(B) });
  t.equal(merged.status, 0, merged.stderr);
  const entries = parseTar(merged.stdout);
  const by = (p: string) => entries.filter((x) => x.e.path.replace(/^\.\//, '').replace(/\/$/, '') === p);
  t.match(by('d/x')[0].e.isopipe.get('extents'), /^\d+\+2$/, 'an old file travels as a reference');
  t.equal(by('d/x')[0].bytes, 0, 'with no data');
  t.equal(by('d/x')[0].e.isopipe.get('size'), '2');
  t.equal(by(LONG)[0].bytes, 33, 'the long-named old file travels with its data');
  t.notOk(by(LONG)[0].e.isopipe.has('extents'));
  t.equal(by('h2')[0].e.type, 'file', 'h2 (h1 replaced) is now the reference of its group');
  t.same(
    by('r').map((x) => x.e.type),
    ['dir'],
    "r: only the tar's directory",
  );
  t.same(
    by('q').map((x) => x.e.type),
    ['symlink'],
    "q: only the tar's symlink",
  );
  t.same(by('q/deep/z'), [], 'nothing under the directory the symlink replaced');
  t.match(merged.stderr, /overlay on session 1: \d+ entries from stdin, \d+ carried \(\d+ references, 1 files with data\)/);

  t.equal(appendSession(tarOf(B), medium).status, 0);
  const want = hostTree(union());
  same(t, imageTree(t, medium, 'union'), want, 'bsdtar');
  if (needs(t, 'xorriso')) {
    const out = join(work, 'xo');
    must('xorriso', ['-osirrox', 'on:device_files', '-hardlinks', 'on', '-indev', medium, '-extract', '/', out]);
    same(t, hostTree(out), want, 'xorriso');
  }
});

t.test('--remove drops old and new paths, directories with everything under them', async (t) => {
  const C = join(work, 'C');
  mkdirSync(C);
  put(C, 'c.log', 'dropped too\n');
  put(C, 'c', 'kept\n');
  const r = appendSession(tarOf(C), medium, ['--remove', '*.log', '--remove', 'd']);
  t.equal(r.status, 0, r.stderr);
  const E = union();
  rmSync(join(E, 'keep.log'));
  rmSync(join(E, 'd'), { recursive: true });
  cpSync(join(C, 'c'), join(E, 'c'), { preserveTimestamps: true });
  same(t, imageTree(t, medium, 'removed'), hostTree(E), 'bsdtar');
});

t.test('--session 1: roll back to session 1, then add', async (t) => {
  const D = join(work, 'D');
  mkdirSync(D);
  put(D, 'rolled', 'back\n');
  t.equal(appendSession(tarOf(D), medium, ['--session', '1']).status, 0);
  const E = join(work, 'E1');
  untar(tarOf(A), E);
  cpSync(join(D, 'rolled'), join(E, 'rolled'), { preserveTimestamps: true });
  same(t, imageTree(t, medium, 'rolled'), hostTree(E), 'bsdtar');
});

t.test('an empty stdin and -n carry the old tree unchanged', async (t) => {
  const before = imageTree(t, medium, 'before');
  for (const args of [['-n'], []]) {
    const r = appendSession(Buffer.alloc(0), medium, args);
    t.equal(r.status, 0, r.stderr);
    if (before) same(t, imageTree(t, medium, 'again'), before, `after ${args.join(' ') || 'empty stdin'}`);
  }
});

t.test('a hard link in the tar to an old file the tar does not carry', async (t) => {
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const end = new Promise((r) => p.on('end', r));
  p.entry({ name: 'alias', type: 'link', linkname: 'rolled', mtime: new Date(T0 * 1000) });
  p.finalize();
  await end;
  const r = appendSession(Buffer.concat(chunks), medium);
  t.equal(r.status, 0, r.stderr);
  const tree = imageTree(t, medium, 'alias');
  if (tree) {
    t.equal(tree.get('alias')?.md5, tree.get('rolled')?.md5);
    t.ok(
      linkGroups(tree).some((g) => g.includes('alias') && g.includes('rolled')),
      'alias and rolled are one file',
    );
  }
});

t.test('usage and medium errors', async (t) => {
  const cases: [string[], number, RegExp, Buffer?][] = [
    [['--mirror', '--data'], 2, /--mirror and --data exclude each other/],
    [['--session', '0'], 2, /--session wants a session number/],
    [['--session', '99'], 2, /there is no session 99: the medium has \d+/], // as cd-verify (#12)
    [['--bogus'], 2, /unknown option '--bogus'/],
    [['--data'], 2, /--data takes no tar on stdin/, Buffer.from('not empty')],
    [['extra'], 2, /unexpected argument 'extra'/],
  ];
  for (const [args, status, re, input] of cases) {
    const r = node('iso-merge', ['--dev', medium, ...args], { input: input ?? Buffer.alloc(0) });
    t.equal(r.status, status, args.join(' '));
    t.match(r.stderr, re);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(r.stdout.length, 0, 'nothing on stdout');
  }
  const noDev = node('iso-merge', [], { input: Buffer.alloc(0), env: { ...process.env, CDR_DEVICE: '' } });
  t.equal(noDev.status, 2);
  t.match(noDev.stderr, /no medium given/);
  const foreign = join(work, 'foreign.bin');
  writeFileSync(foreign, Buffer.alloc(1 << 20, 0x5a));
  const f = node('iso-merge', ['--dev', foreign, '-n']);
  t.equal(f.status, 1);
  t.match(f.stderr, /^iso-merge: the medium is not an ISO 9660 image/);
  const env = node('iso-merge', ['-n'], { env: { ...process.env, CDR_DEVICE: medium } });
  t.equal(env.status, 0, 'CDR_DEVICE names the medium');
  const cdr = node('iso-merge', ['dev=' + medium, '-n']);
  t.equal(cdr.status, 0, 'dev= as cdrecord spells it');
  t.ok(cdr.stdout.equals(env.stdout), 'same output');
  t.match(node('iso-merge', ['--help']).stdout.toString(), /^Usage: iso-merge/);
  t.match(node('iso-merge', ['--version']).stdout.toString(), /^iso-merge \(isopipe\) \d+\.\d+\.\d+/);
});
