// Media whose earlier sessions were written by xorriso and genisoimage: iso-merge must carry
// their Rock Ridge names, modes, owners, symlinks, devices, hard links, relocated deep
// directories and multi-extent files into the new session, and --mirror must reuse their
// extents.
import t from 'tap';
import {
  chmodSync,
  chownSync,
  closeSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendSession,
  describe,
  type Field,
  type HostEntry,
  hostListing,
  hostTree,
  kernelComparable,
  kernelListing,
  linkGroups,
  md5,
} from '../helpers/merge.js';
import { must, node, tarOf } from '../helpers/run.js';
import { KERNEL_ORACLE, needs } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-foreign-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const T0 = 1_620_000_000;
const FIELDS: Field[] = ['type', 'perm', 'owner', 'size', 'mtime', 'target', 'md5', 'dev'];

function put(root: string, rel: string, data: string | Buffer, mode = 0o644) {
  const p = join(root, rel);
  writeFileSync(p, data);
  chmodSync(p, mode);
  utimesSync(p, T0, T0);
}

/** The old tree: every kind of entry the other writers record. */
const old = join(work, 'old');
mkdirSync(join(old, 'd'), { recursive: true });
put(old, 'a.txt', 'a\n', 0o640);
chownSync(join(old, 'a.txt'), 1000, 100);
linkSync(join(old, 'a.txt'), join(old, 'a-link'));
put(old, 'bin.dat', Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) & 0xff)));
put(old, 'd/x', 'x\n', 0o4755);
put(old, 'Long-' + 'n'.repeat(180) + '.txt', 'long\n');
put(old, 'ünïcödé ✓.txt', 'utf-8\n');
symlinkSync('d/x', join(old, 'sym'));
symlinkSync('../../etc', join(old, 'up'));
must('mkfifo', [join(old, 'fifo')]);
must('mknod', [join(old, 'tty'), 'c', '4', '64']);
must('mknod', [join(old, 'disk'), 'b', '8', '16']);
let deep = old;
for (let i = 1; i <= 10; i++) mkdirSync((deep = join(deep, 'level' + i)));
put(old, deep.slice(old.length + 1) + '/bottom', 'deep\n');

// The new tar adds one file.
const add = join(work, 'add');
mkdirSync(add);
put(add, 'added', 'added by isopipe\n');

function bsdtarTree(t: Tap.Test, image: string, tag: string): Map<string, HostEntry> | null {
  if (!needs(t, 'bsdtar')) return null;
  const out = join(work, 'x-' + tag);
  mkdirSync(out);
  must('bsdtar', ['--numeric-owner', '-xpf', image, '-C', out]);
  const tree = hostTree(out);
  rmSync(out, { recursive: true, force: true });
  return tree;
}

function expectUnion(): Map<string, HostEntry> {
  const want = hostTree(old);
  for (const [p, e] of hostTree(add)) if (p !== '') want.set(p, e);
  return want;
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

t.test('a medium begun by xorriso', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const medium = join(work, 'x.iso');
  must('xorriso', ['-dev', 'stdio:' + medium, '-hardlinks', 'on', '-map', old, '/', '-commit']);
  const r = appendSession(tarOf(add), medium, ['-v']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /overlay on session 1: .* \(\d+ references, 1 files with data\)/, 'only the long-named file travels with data');
  const want = expectUnion();
  same(t, bsdtarTree(t, medium, 'x1'), want, 'bsdtar');
  const out = join(work, 'xo');
  must('xorriso', ['-osirrox', 'on:device_files', '-hardlinks', 'on', '-indev', medium, '-extract', '/', out]);
  same(t, hostTree(out), want, 'xorriso');

  // --mirror over xorriso's session: every unchanged file refers to xorriso's extents.
  const both = join(work, 'both');
  must('cp', ['-a', old, both]);
  must('cp', ['-a', join(add, 'added'), both]);
  const before = readFileSync(medium).length;
  const m = appendSession(tarOf(both), medium, ['--mirror', '-v']);
  t.equal(m.status, 0, m.stderr);
  t.match(m.stderr, /reused 6 files/, 'a.txt, a-link, bin.dat, d/x, the unicode name and added (the long name travels with data)');
  t.ok(readFileSync(medium).length - before < 200_000, 'bin.dat (300 kB) is not written again');
  same(t, bsdtarTree(t, medium, 'x2'), want, 'bsdtar after --mirror');
  if (needs(t, KERNEL_ORACLE)) {
    const k = kernelListing(medium);
    t.equal(k.status, 0);
    t.strictSame(kernelComparable(k.lines), kernelComparable(hostListing(both)), 'kernel');
  }
});

t.test('a medium begun by genisoimage (relocated deep directories)', async (t) => {
  if (!needs(t, 'genisoimage')) return;
  const medium = join(work, 'g.iso');
  const first = join(work, 'g1.iso');
  must('genisoimage', ['-quiet', '-R', '-J', '-joliet-long', '-C', '0,32', '-o', first, old], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.equal(node('cd-write', ['--create', '--dev', medium, '--multi', first]).status, 0, 'cd-write takes genisoimage -C output');
  const r = appendSession(tarOf(add), medium);
  t.equal(r.status, 0, r.stderr);
  const got = bsdtarTree(t, medium, 'g');
  same(t, got, expectUnion(), 'bsdtar');
  if (got)
    t.notOk(
      [...got.keys()].some((p) => /rr_moved/i.test(p)),
      'no relocation directory',
    );
});

t.test('a multi-extent file of an old session stays one file', async (t) => {
  if (!needs(t, 'genisoimage')) return;
  // genisoimage writes x1 then x2 with contiguous data; x2's record becomes x1's second
  // section, as in a file over 4 GiB (see image-reader.test.ts).
  const m = join(work, 'me');
  mkdirSync(m);
  put(m, 'x1', Buffer.alloc(2048, 0x61));
  put(m, 'x2', Buffer.alloc(100, 0x62));
  const first = join(work, 'me1.iso');
  must('genisoimage', ['-quiet', '-R', '-C', '0,32', '-o', first, m], { stdio: ['ignore', 'pipe', 'pipe'] });
  const b = readFileSync(first);
  const rootLba = b.readUInt32LE(16 * 2048 + 156 + 2) - 32; // laid out for LBA 32
  const dir = rootLba * 2048;
  let off = dir;
  const id = (o: number) => b.toString('latin1', o + 33, o + 33 + b[o + 32]);
  while (b[off] !== 0 && id(off) !== 'X1.;1') off += b[off];
  const r2 = off + b[off];
  t.equal(id(r2), 'X2.;1');
  b[off + 25] |= 0x80;
  b.write('X1', r2 + 33, 'latin1');
  b.write('x1', b.indexOf('NM', r2 + 33, 'latin1') + 5, 'latin1');
  const fd = openSync(first, 'r+');
  writeSync(fd, b, dir, 2048, dir);
  closeSync(fd);
  const medium = join(work, 'me.iso');
  t.equal(node('cd-write', ['--create', '--dev', medium, '--multi', first]).status, 0);
  const merged = node('iso-merge', ['--dev', medium, '-n']);
  t.match(merged.stdout.toString('latin1'), /ISOPIPE\.extents=\d+\+2048,\d+\+100\n/, 'the reference lists both sections');
  const r = appendSession(tarOf(add), medium);
  t.equal(r.status, 0, r.stderr);
  const got = bsdtarTree(t, medium, 'me');
  if (got) {
    t.equal(got.get('x1')?.md5, md5(Buffer.concat([Buffer.alloc(2048, 0x61), Buffer.alloc(100, 0x62)])), 'both sections, in order');
    t.notOk(got.has('x2'));
  }
  if (needs(t, KERNEL_ORACLE)) {
    const k = kernelListing(medium);
    t.ok(
      k.lines.some((l) => l.startsWith('/x1\tfile\t') && l.includes('\t2148\t')),
      'kernel: x1 of 2148 bytes',
    );
  }
});
