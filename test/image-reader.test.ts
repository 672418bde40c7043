// The image reader against images made by other tools: genisoimage, xorriso (as mkisofs,
// native with -md5 on, multi-session) and bsdtar. Every tree must equal the source
// directory: names, types, modes, owners, sizes, mtimes, symlink targets, devices, hard
// links, and the content read back through the reader's extents.
import t from 'tap';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  linkSync,
  utimesSync,
  writeFileSync,
  chownSync,
  chmodSync,
  lutimesSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Image } from '../dist/image/image.js';
import type { ImageEntry } from '../dist/image/entry.js';
import { describe, type Field, type HostEntry, hostTree, linkGroups, md5 } from './helpers/merge.js';
import { must } from './helpers/run.js';
import { needs } from './helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-image-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const T0 = 1_600_000_000;

/** A tree with every kind of entry the reader must get right. */
function makeFixture(root: string): void {
  mkdirSync(root);
  let n = 0;
  const file = (rel: string, data: string | Buffer, mode = 0o644) => {
    writeFileSync(join(root, rel), data);
    chmodSync(join(root, rel), mode);
    utimesSync(join(root, rel), T0 + ++n * 61, T0 + n * 61);
  };
  file('a.txt', 'hello\n');
  chownSync(join(root, 'a.txt'), 1234, 5678);
  linkSync(join(root, 'a.txt'), join(root, 'hl.txt'));
  file('empty', '');
  file('big.bin', Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff)));
  file('setuid', '#!/bin/sh\n', 0o4755);
  file('L'.repeat(196) + '.txt', 'long name\n');
  file('grüße-✓.txt', 'utf8\n');
  file('emoji-😀.txt', 'astral\n');
  mkdirSync(join(root, 'd/sub'), { recursive: true });
  file('d/sub/x', 'x\n', 0o600);
  chmodSync(join(root, 'd'), 0o751);
  let deep = root;
  for (let i = 1; i <= 10; i++) mkdirSync((deep = join(deep, String(i))));
  writeFileSync(join(deep, 'f'), 'deep\n');
  symlinkSync('a.txt', join(root, 'rel'));
  symlinkSync('/etc/passwd', join(root, 'abs'));
  symlinkSync('nowhere/x', join(root, 'dangling'));
  must('mkfifo', [join(root, 'fifo')]);
  must('mknod', [join(root, 'chr'), 'c', '1', '3']);
  must('mknod', [join(root, 'blk'), 'b', '7', '200']);
  for (const l of ['rel', 'abs', 'dangling']) lutimesSync(join(root, l), T0, T0);
}

const src = join(work, 'src');
makeFixture(src);
const host = hostTree(src);

interface Listed {
  tree: Map<string, HostEntry>;
  entries: Map<string, ImageEntry>;
}

/** The reader's view of an image (session `n`, default the newest) in the host's terms,
 *  content read back through the extents. */
function readImage(path: string, n?: number): Listed {
  const img = Image.open(path);
  try {
    const s = img.session(n);
    const tree = new Map<string, HostEntry>();
    const entries = new Map<string, ImageEntry>();
    let ino = 0;
    const inodes = new Map<string, number>();
    img.walk(s, (e) => {
      entries.set(e.path, e);
      const h: HostEntry = { type: e.type, perm: e.perm, uid: e.uid, gid: e.gid, size: e.type === 'file' ? e.size : 0, mtime: Math.floor(e.mtime), ino: ++ino };
      if (e.type === 'file') {
        const hash = (() => {
          const chunks: Buffer[] = [];
          img.readData(e, (c) => chunks.push(Buffer.from(c)), 4096);
          return md5(Buffer.concat(chunks));
        })();
        h.md5 = hash;
        if (e.linkKey) {
          if (!inodes.has(e.linkKey)) inodes.set(e.linkKey, h.ino);
          h.ino = inodes.get(e.linkKey)!;
        }
      }
      if (e.type === 'symlink') h.target = e.target;
      if (e.type === 'chr' || e.type === 'blk') h.dev = `${e.major}:${e.minor}`;
      tree.set(e.path, h);
    });
    return { tree, entries };
  } finally {
    img.close();
  }
}

const ALL: Field[] = ['type', 'perm', 'owner', 'size', 'mtime', 'target', 'md5', 'dev'];
const notRoot = (p: string) => p !== '';
/** Hard-link groups of non-empty files (writers cannot mark empty ones without serials). */
const groups = (tree: Map<string, HostEntry>) => linkGroups(new Map([...tree].filter(([, e]) => e.size > 0)));

function sameTree(t: Tap.Test, got: Listed, fields: Field[], what: string) {
  t.equal(got.tree.size, host.size, `${what}: ${host.size} entries`);
  t.strictSame(describe(got.tree, fields, notRoot), describe(host, fields, notRoot), `${what}: every entry equals the source`);
  t.strictSame(groups(got.tree), groups(host), `${what}: hard-link groups`);
}

t.test('genisoimage -R -J (relocated deep directory, PN high/low devices)', async (t) => {
  if (!needs(t, 'genisoimage')) return;
  const img = join(work, 'g.iso');
  must('genisoimage', ['-quiet', '-R', '-J', '-joliet-long', '-o', img, src], { stdio: ['ignore', 'pipe', 'pipe'] });
  const got = readImage(img);
  sameTree(t, got, ALL, 'genisoimage');
  t.notOk(
    [...got.tree.keys()].some((p) => /rr_moved/i.test(p)),
    'the relocation directory is hidden',
  );
  t.ok(got.entries.get('L'.repeat(196) + '.txt')!.continuation, 'the long name needed a continuation area');
  t.notOk(got.entries.get('a.txt')!.continuation, 'a short name did not');
});

t.test('xorriso -as mkisofs -R -J', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const img = join(work, 'x.iso');
  must('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-joliet-long', '-o', img, src]);
  sameTree(t, readImage(img), ALL, 'xorriso -as mkisofs');
});

t.test('xorriso native with -md5 on, and xorriso relocation into the root', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const img = join(work, 'x5.iso');
  must('xorriso', ['-md5', 'on', '-compliance', 'deep_paths_off', '-outdev', img, '-map', src, '/', '-commit']);
  const got = readImage(img);
  sameTree(t, got, ALL, 'xorriso -md5 on');
});

t.test('bsdtar --format iso9660 (Rock Ridge strict)', async (t) => {
  if (!needs(t, 'bsdtar')) return;
  const img = join(work, 'b.iso');
  must('bsdtar', ['--format', 'iso9660', '--options', 'iso9660:rockridge=strict', '-cf', img, '-C', src, '.']);
  const got = readImage(img);
  // bsdtar writes no device numbers it cannot map and keeps everything else.
  sameTree(
    t,
    got,
    ALL.filter((f) => f !== 'dev'),
    'bsdtar',
  );
});

t.test('Joliet-only and plain ISO 9660 images', async (t) => {
  if (!needs(t, 'genisoimage')) return;
  const small = join(work, 'small');
  mkdirSync(join(small, 'Dir'), { recursive: true });
  writeFileSync(join(small, 'Dir', 'Mixed Case.txt'), 'joliet\n');
  writeFileSync(join(small, 'top.txt'), 'top\n');
  const j = join(work, 'j.iso');
  must('genisoimage', ['-quiet', '-J', '-o', j, small]);
  const img = Image.open(j);
  t.equal(img.session().flavour, 'joliet');
  img.close();
  t.strictSame([...readImage(j).tree.keys()].sort(), ['', 'Dir', 'Dir/Mixed Case.txt', 'top.txt'], 'Joliet names, case kept');
  t.equal(readImage(j).tree.get('Dir/Mixed Case.txt')!.md5, md5(Buffer.from('joliet\n')));
  const p = join(work, 'p.iso');
  must('genisoimage', ['-quiet', '-o', p, small]);
  const plain = Image.open(p);
  t.equal(plain.session().flavour, 'iso9660');
  plain.close();
  t.strictSame([...readImage(p).tree.keys()].sort(), ['', 'DIR', 'DIR/MIXED_CA.TXT', 'TOP.TXT'], 'ISO names without their version');
});

t.test('xorriso multi-session: every session keeps its own tree', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const img = join(work, 'ms.iso');
  const s = join(work, 'ms');
  mkdirSync(s);
  writeFileSync(join(s, 'one'), '1\n');
  must('xorriso', ['-dev', 'stdio:' + img, '-map', s, '/', '-commit']);
  writeFileSync(join(s, 'two'), '2\n');
  must('xorriso', ['-dev', 'stdio:' + img, '-map', s, '/', '-rm', '/one', '--', '-commit']);
  must('xorriso', ['-dev', 'stdio:' + img, '-map', join(src, 'd'), '/d', '-commit']);
  const image = Image.open(img);
  t.equal(image.sessions.length, 3, 'three sessions');
  image.close();
  t.strictSame([...readImage(img, 1).tree.keys()].sort(), ['', 'one']);
  t.strictSame([...readImage(img, 2).tree.keys()].sort(), ['', 'two']);
  t.strictSame([...readImage(img, 3).tree.keys()].sort(), ['', 'd', 'd/sub', 'd/sub/x', 'two']);
  t.strictSame([...readImage(img).tree.keys()].sort(), [...readImage(img, 3).tree.keys()].sort(), 'the newest is the default');
});

t.test('a multi-extent file (two records, 0x80 on the first) is one file', async (t) => {
  if (!needs(t, 'genisoimage')) return;
  // genisoimage writes x1 and x2 in directory order with contiguous data; turning x2's
  // record into x1's second section gives a two-section file, as a >4 GiB file has.
  const m = join(work, 'me');
  mkdirSync(m);
  writeFileSync(join(m, 'x1'), Buffer.alloc(2048, 0x61));
  writeFileSync(join(m, 'x2'), Buffer.alloc(100, 0x62));
  const img = join(work, 'me.iso');
  must('genisoimage', ['-quiet', '-R', '-o', img, m]);
  const b = readFileSync(img);
  const rootLba = b.readUInt32LE(16 * 2048 + 156 + 2);
  const dir = rootLba * 2048;
  let off = dir;
  const recs: number[] = [];
  while (b[off] !== 0) {
    recs.push(off);
    off += b[off];
  }
  const id = (o: number) => b.toString('latin1', o + 33, o + 33 + b[o + 32]);
  const r1 = recs.find((o) => id(o) === 'X1.;1')!;
  const r2 = recs.find((o) => id(o) === 'X2.;1')!;
  t.ok(r1 && r2 && r2 === r1 + b[r1], 'x1 and x2 are adjacent records');
  b[r1 + 25] |= 0x80;
  b.write('X1', r2 + 33, 'latin1');
  const nm = b.indexOf('NM', r2 + 33, 'latin1');
  b.write('x1', nm + 5, 'latin1');
  const fd = openSync(img, 'r+');
  writeSync(fd, b, dir, 2048, dir);
  closeSync(fd);
  const got = readImage(img);
  const e = got.entries.get('x1')!;
  t.equal(e.extents.length, 2, 'two sections');
  t.equal(e.size, 2148);
  t.equal(got.tree.get('x1')!.md5, md5(Buffer.concat([Buffer.alloc(2048, 0x61), Buffer.alloc(100, 0x62)])), 'content of both sections in order');
  t.notOk(got.entries.has('x2'));
});
