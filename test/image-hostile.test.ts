// Hostile images: a corpus made by patching bytes of a good image (directory loops, extents
// and sizes past the end, endless continuation chains, bad names, truncation…). Each must
// make iso-merge fail within a second with exit 1 and one line naming the session, the LBA
// and the path — and write nothing to stdout, so iso-pack cannot build a session from it.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageError } from '../dist/image/errors.js';
import { Image } from '../dist/image/image.js';
import { OldTree } from '../dist/merge/old-tree.js';
import { must, node } from './helpers/run.js';
import { needs } from './helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-hostile-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const SECTOR = 2048;
const LONG = 'L'.repeat(150);

const src = join(work, 'src');
mkdirSync(join(src, 'sub/deeper'), { recursive: true });
writeFileSync(join(src, 'a.txt'), 'a\n');
writeFileSync(join(src, 'sub/deeper/x'), 'x\n');
writeFileSync(join(src, LONG), 'long\n');
symlinkSync('a.txt', join(src, 's'));
const goodPath = join(work, 'good.iso');
must(process.execPath, [new URL('../bin/iso-pack.js', import.meta.url).pathname, '-q', '-o', goodPath], { input: must('tar', ['-C', src, '-cf', '-', '.']) });
const good = readFileSync(goodPath);

interface Rec {
  off: number;
  name: string;
  extent: number;
  size: number;
}

/** Records of a one-sector directory, named by Rock Ridge NM (or '.'/'..'). */
function records(b: Buffer, lba: number): Rec[] {
  const out: Rec[] = [];
  for (let off = lba * SECTOR; b[off] !== 0 && off < (lba + 1) * SECTOR; off += b[off]) {
    const idLen = b[off + 32];
    const id = b[off + 33];
    let name = idLen === 1 && id === 0 ? '.' : idLen === 1 && id === 1 ? '..' : '';
    const nm = b.indexOf('NM', off + 33, 'latin1');
    if (!name && nm > 0 && nm < off + b[off]) name = b.toString('latin1', nm + 5, nm + b[nm + 2]);
    out.push({ off, name, extent: b.readUInt32LE(off + 2), size: b.readUInt32LE(off + 10) });
  }
  return out;
}

const put733 = (b: Buffer, off: number, v: number) => {
  b.writeUInt32LE(v >>> 0, off);
  b.writeUInt32BE(v >>> 0, off + 4);
};

const rootLba = good.readUInt32LE(16 * SECTOR + 156 + 2);
const root = records(good, rootLba);
const rec = (rs: Rec[], name: string) => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no record ${name}`);
  return r;
};
const sub = rec(root, 'sub');
/** The long-named file's record: its NM is in a continuation area, so find it by its CE. */
const longRec = root.find(
  (r) => r.name === '' && good.indexOf('CE', r.off + 33, 'latin1') < r.off + good[r.off] && good.indexOf('CE', r.off + 33, 'latin1') > 0,
)!;
const deeper = rec(records(good, sub.extent), 'deeper');

/** The CE entry of a record: offset of the entry and the area it points to. */
function ceOf(b: Buffer, r: Rec): { at: number; block: number; offset: number; length: number } {
  const at = b.indexOf('CE', r.off + 33, 'latin1');
  if (at < 0 || at > r.off + b[r.off]) throw new Error('record has no CE');
  return { at, block: b.readUInt32LE(at + 4), offset: b.readUInt32LE(at + 12), length: b.readUInt32LE(at + 20) };
}

interface Case {
  name: string;
  patch: (b: Buffer) => Buffer;
  message: RegExp;
}

const cases: Case[] = [
  {
    name: 'a directory that contains its grandparent (loop)',
    patch: (b) => (put733(b, deeper.off + 2, rootLba), b),
    message: /session 1, LBA \d+, '\/sub\/deeper': directory extent at LBA \d+ is reached a second time/,
  },
  {
    name: 'a directory that contains itself',
    patch: (b) => (put733(b, sub.off + 2, rootLba), b),
    message: /'\/sub': directory extent .* reached a second time/,
  },
  {
    name: 'a file extent past the end of the medium',
    patch: (b) => (put733(b, rec(root, 'a.txt').off + 2, 0xffffff00), b),
    message: /LBA \d+, '\/a\.txt': file data 4294967040\+2 lies past the end of the medium/,
  },
  {
    name: 'an absurd file size',
    patch: (b) => (put733(b, rec(root, 'a.txt').off + 10, 0xffffffff), b),
    message: /'\/a\.txt': file data \d+\+4294967295 lies past the end/,
  },
  {
    name: 'an absurd directory size',
    patch: (b) => (put733(b, sub.off + 10, 0xfffff800), b),
    message: /'\/sub': directory extent \d+\+4294965248 lies past the end of the medium/,
  },
  {
    name: 'a continuation chain that never ends',
    patch: (b) => {
      const ce = ceOf(b, longRec);
      // The area becomes one CE entry pointing at itself.
      const area = ce.block * SECTOR + ce.offset;
      b.fill(0, area, area + ce.length);
      b.write('CE', area, 'latin1');
      b[area + 2] = 28;
      b[area + 3] = 1;
      put733(b, area + 4, ce.block);
      put733(b, area + 12, ce.offset);
      put733(b, area + 20, 28);
      return b;
    },
    message: /LBA \d+, '\/L+': more than 32 chained Rock Ridge continuation areas/,
  },
  {
    name: 'a continuation area past the end of the medium',
    patch: (b) => (put733(b, ceOf(b, longRec).at + 4, 0x7ffffff0), b),
    message: /LBA 2147483632, '\/L+': continuation area at LBA 2147483632 lies past the end of the medium/,
  },
  {
    name: 'a continuation area crossing its sector',
    patch: (b) => {
      const ce = ceOf(b, longRec);
      put733(b, ce.at + 12, 2040);
      put733(b, ce.at + 20, 100);
      return b;
    },
    message: /continuation area 2040\+100 crosses the end of its sector/,
  },
  {
    name: 'a truncated image',
    patch: (b) => b.subarray(0, (sub.extent + 1) * SECTOR),
    message: /session 1, LBA \d+, '\/[^']+': (file data|directory extent) \d+\+\d+ lies past the end of the medium/,
  },
  {
    name: 'a name with a slash (path escape)',
    patch: (b) => {
      const r = rec(root, 'a.txt');
      const nm = b.indexOf('NM', r.off + 33, 'latin1');
      b.write('../', nm + 5, 'latin1'); // "a.txt" → "../xt"
      return b;
    },
    message: /LBA \d+, '\/A\.TXT': invalid file name "\.\.\/xt"/,
  },
  {
    name: 'a directory record shorter than its fixed part',
    patch: (b) => ((b[rec(root, 's').off] = 20), b),
    message: /LBA \d+, '\/': directory record of 20 bytes at offset \d+ is shorter than 34 bytes/,
  },
  {
    name: 'an identifier longer than its record',
    patch: (b) => ((b[rec(root, 's').off + 32] = 200), b),
    message: /LBA \d+, '\/': directory record at offset \d+ has an identifier length of 200/,
  },
  {
    name: 'a multi-extent file without its final section',
    patch: (b) => {
      const files = root.filter((r) => r.name === 's');
      b[files[0].off + 25] |= 0x80;
      return b;
    },
    message: /a multi-extent file ends without its final section/,
  },
  {
    name: 'a root directory past the end of the medium',
    patch: (b) => (put733(b, 16 * SECTOR + 156 + 2, 0x10000000), b),
    message: /session 1, LBA 16: the root directory at LBA 268435456 lies past the end of the medium/,
  },
];

function check(t: Tap.Test, image: string, c: Case) {
  // In process: the reader must give up within a second.
  const t0 = Date.now();
  let err: Error | null = null;
  try {
    const img = Image.open(image);
    try {
      OldTree.load(img, img.session());
    } finally {
      img.close();
    }
  } catch (e) {
    err = e as Error;
  }
  const ms = Date.now() - t0;
  t.ok(err instanceof ImageError, `the reader throws an ImageError (${err?.message})`);
  t.ok(ms < 1000, `the reader gives up within a second (${ms} ms)`);
  // Through the CLI: exit 1, one line, nothing on stdout (the bound on time only catches
  // hangs: process start-up on a loaded machine is not the reader's).
  const tarIn = must('tar', ['-C', src, '-cf', '-', 'a.txt']);
  for (const [mode, args, input] of [
    ['overlay', [], tarIn],
    ['data', ['--data', '-n'], Buffer.alloc(0)],
  ] as const) {
    const r = node('iso-merge', ['--dev', image, ...args], { input, timeout: 20_000 });
    t.equal(r.status, 1, `${mode}: exit 1`);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, `${mode}: one line on stderr`);
    t.match(lines[0], /^iso-merge: /, `${mode}: names the tool`);
    t.match(lines[0], c.message, `${mode}: says what and where`);
    t.equal(r.stdout.length, 0, `${mode}: nothing on stdout`);
  }
}

for (const c of cases) {
  t.test(c.name, async (t) => {
    const image = join(work, 'bad.iso');
    writeFileSync(image, c.patch(Buffer.from(good)));
    check(t, image, c);
  });
}

t.test('a Rock Ridge CL that points at file data', async (t) => {
  if (!needs(t, 'genisoimage')) return;
  let d = join(work, 'deep');
  for (let i = 1; i <= 9; i++) mkdirSync((d = join(d, String(i))), { recursive: true });
  writeFileSync(join(d, 'f'), 'deep\n');
  const image = join(work, 'cl.iso');
  must('genisoimage', ['-quiet', '-R', '-o', image, join(work, 'deep')]);
  const b = readFileSync(image);
  const cl = b.indexOf(Buffer.from([0x43, 0x4c, 12, 1]));
  t.ok(cl > 0, 'the image has a CL entry');
  const fileLba = b.indexOf('deep\n', 0, 'latin1') / SECTOR;
  put733(b, cl + 4, fileLba);
  writeFileSync(image, b);
  check(t, image, {
    name: 'cl',
    patch: (x) => x,
    message: /LBA \d+, '\/1\/2\/3\/4\/5\/6\/7\/8': Rock Ridge CL points at LBA \d+, which does not hold a directory/,
  });
});

t.test('the same image unpatched merges fine (the corpus tests the patches, not the base)', async (t) => {
  const r = node('iso-merge', ['--dev', goodPath, '-n']);
  t.equal(r.status, 0, r.stderr);
  t.ok(r.stdout.length > 1024);
});

t.test('a chain of directories deeper than any real tree (no loop)', async (t) => {
  // Built from scratch: LBA 20 is the root, each directory holds one subdirectory in the
  // next sector, 1100 levels down.
  const { encodeDirectoryRecord, DOT, DOTDOT, FLAG_DIRECTORY } = await import('../dist/iso9660/directory-record.js');
  const { encodePrimaryDescriptor, encodeTerminator } = await import('../dist/iso9660/volume-descriptor.js');
  const levels = 1100;
  const total = 20 + levels + 1;
  const b = Buffer.alloc(total * SECTOR);
  const rec = (extent: number, id: Buffer, out: Buffer, off: number) =>
    encodeDirectoryRecord({ extent, size: SECTOR, mtime: 0, flags: FLAG_DIRECTORY, identifier: id }, out, off);
  for (let i = 0; i <= levels; i++) {
    const lba = 20 + i;
    let off = lba * SECTOR;
    off += rec(lba, DOT, b, off);
    off += rec(i === 0 ? lba : lba - 1, DOTDOT, b, off);
    if (i < levels) rec(lba + 1, Buffer.from('D'), b, off);
  }
  const root = Buffer.alloc(34);
  rec(20, DOT, root, 0);
  const id = { systemId: '', volumeId: 'DEEP', volumeSetId: '', publisherId: '', preparerId: '', applicationId: '', date: 0 };
  encodePrimaryDescriptor(id, { volumeSpaceSize: total, pathTableSize: 10, lPathTable: 18, mPathTable: 19, rootRecord: root }).copy(b, 16 * SECTOR);
  encodeTerminator().copy(b, 17 * SECTOR);
  const image = join(work, 'deep.iso');
  writeFileSync(image, b);
  check(t, image, { name: 'deep', patch: (x) => x, message: /session 1, LBA \d+, '\/D\/D\/D.*': directories nested deeper than 1000 levels/ });
});
