// Pure parts of the medium: volume descriptor decoding, session discovery on hostile and
// well-formed layouts, and the medium head plan (what is written in which step).
import t from 'tap';
import { asPseudoBlank, decodeVolumeDescriptor, descriptorSet, encodeTerminator } from '../dist/iso9660/volume-descriptor.js';
import { MAX_SESSIONS, scanMedium, type ReadSectors } from '../dist/image/sessions.js';
import { CLOSED_MARK_OFFSET, hasClosedMark, planMediumHead } from '../dist/media/medium-head.js';
import { describeForeignContent } from '../dist/media/foreign-content.js';
import { decodeTag, encodeTag, md5 } from '../dist/iso9660/checksum-tags.js';
import { mediaCapacity, parseCapacity } from '../dist/media/capacity.js';
import { normaliseCdrecordArgv, resolveDevicePath } from '../dist/media/device-path.js';
import { SECTOR } from '../dist/iso9660/constants.js';
import { decodeVolumeDate } from '../dist/iso9660/dates.js';

function both32(b: Buffer, off: number, v: number): void {
  b.writeUInt32LE(v, off);
  b.writeUInt32BE(v, off + 4);
}

/** A minimal PVD (or SVD) as writers lay it out. */
function pvd(size: number, opts: { root?: number; volid?: string; type?: number; date?: string } = {}): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[0] = opts.type ?? 1;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  b.fill(0x20, 40, 72);
  b.write(opts.volid ?? 'VOL', 40, 'latin1');
  both32(b, 80, size);
  b.writeUInt16LE(2048, 128);
  b.writeUInt16BE(2048, 130);
  b[156] = 34;
  both32(b, 158, opts.root ?? 20);
  both32(b, 166, 2048);
  b[156 + 25] = 2;
  b.write(opts.date ?? '2024010203040500', 813, 'latin1');
  b[881] = 1;
  return b;
}

/** A medium held in memory as a map of sectors; everything else reads as zeros. */
function medium(sectors: Map<number, Buffer>, size: number): { read: ReadSectors; size: number } {
  const read: ReadSectors = (lba, count) => {
    const n = Math.max(0, Math.min(count, size - lba));
    const out = Buffer.alloc(n * SECTOR);
    for (let i = 0; i < n; i++) sectors.get(lba + i)?.copy(out, i * SECTOR);
    return out;
  };
  return { read, size };
}

/** A head-layout medium: sessions [start, size], head at 16 with the absolute end. */
function headMedium(sessions: [number, number][], extra: (m: Map<number, Buffer>) => void = () => {}) {
  const m = new Map<number, Buffer>();
  for (const [s, n] of sessions) {
    m.set(s + 16, pvd(n, { volid: `S${s}`, root: s + 18 }));
    m.set(s + 17, encodeTerminator());
  }
  const [ls, ln] = sessions[sessions.length - 1];
  m.set(16, pvd(ls + ln, { volid: `S${ls}`, root: ls + 18 }));
  m.set(17, encodeTerminator());
  extra(m);
  const end = ls + ln;
  return medium(m, Math.ceil(end / 32) * 32);
}

t.test('volume descriptor decoding', async (t) => {
  const d = decodeVolumeDescriptor(pvd(1234, { root: 99, volid: 'HELLO' }));
  t.equal(d.type, 1);
  t.equal(d.volumeSpaceSize, 1234);
  t.equal(d.volumeId, 'HELLO');
  t.equal(d.root.extent, 99);
  t.same(d.problems, []);
  t.equal(d.created?.toISOString(), '2024-01-02T03:04:05.000Z');

  const bad = pvd(100);
  bad.writeUInt32BE(101, 84);
  t.match(decodeVolumeDescriptor(bad).problems, [/volume space size: both-endian halves differ/]);
  t.throws(() => decodeVolumeDescriptor(Buffer.alloc(SECTOR)), /no CD001/);
  t.throws(() => decodeVolumeDescriptor(encodeTerminator()), /type 255/);
  t.throws(() => decodeVolumeDescriptor(Buffer.alloc(100)), /100 bytes/);

  const svd = pvd(10, { type: 2 });
  svd.fill(0, 40, 72);
  Buffer.from('\u0000J\u0000o\u0000l\u0000i', 'latin1').copy(svd, 40);
  svd.write('%/E', 88, 'latin1');
  const j = decodeVolumeDescriptor(svd);
  t.equal(j.jolietLevel, 3);
  t.equal(j.volumeId, 'Joli');
});

t.test('17-byte dates', async (t) => {
  const b = Buffer.alloc(17);
  b.write('2024060708091011', 0, 'latin1');
  b.writeInt8(8, 16); // UTC+2
  t.equal(decodeVolumeDate(b, 0)?.toISOString(), '2024-06-07T06:09:10.110Z');
  b.write('0000000000000000', 0, 'latin1');
  t.equal(decodeVolumeDate(b, 0), null, 'not specified');
  b.write('2024139908091011', 0, 'latin1');
  t.equal(decodeVolumeDate(b, 0), null, 'month 13');
  b.write('20x4010101010101', 0, 'latin1');
  t.equal(decodeVolumeDate(b, 0), null, 'not digits');
  t.equal(decodeVolumeDate(b, 10), null, 'outside the buffer');
});

t.test('blank media', async (t) => {
  t.equal(scanMedium(medium(new Map(), 0).read, 0).kind, 'blank', 'empty');
  const zero = scanMedium(medium(new Map(), 100).read, 100);
  t.match(zero, { kind: 'blank', blank: 'zero', next: 32, sessions: [] });
  const pseudo = new Map([
    [16, asPseudoBlank(pvd(500))],
    [17, encodeTerminator()],
  ]);
  t.match(scanMedium(medium(pseudo, 600).read, 600), { kind: 'blank', blank: 'pseudo-blank', next: 32 });
  const unfinished = new Map([
    [17, encodeTerminator()],
    [18, pvd(5, { type: 2 })],
  ]);
  t.match(scanMedium(medium(unfinished, 64).read, 64), { kind: 'blank', blank: 'unfinished-head' });
});

t.test('foreign media', async (t) => {
  const mbr = Buffer.alloc(SECTOR);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const s = scanMedium(medium(new Map([[0, mbr]]), 64).read, 64);
  t.match(s, { kind: 'foreign', foreign: /no ISO 9660 volume descriptor/ });
  t.equal(describeForeignContent(Buffer.concat([mbr, Buffer.alloc(SECTOR)])), 'a partition table or boot sector');
  const gpt = Buffer.alloc(4096);
  gpt.write('EFI PART', 512, 'latin1');
  t.equal(describeForeignContent(gpt), 'a GPT partition table');
  const ext = Buffer.alloc(4096);
  ext.writeUInt16LE(0xef53, 1080);
  t.equal(describeForeignContent(ext), 'an ext2/3/4 file system');
  t.equal(describeForeignContent(Buffer.alloc(4096, 7)), 'unrecognised data');

  const boot = new Map([[16, pvd(50, { type: 0 })]]);
  t.match(scanMedium(medium(boot, 64).read, 64), { kind: 'foreign', foreign: /type 0/ });
  const sizeZero = new Map([[16, pvd(0)]]);
  t.match(scanMedium(medium(sizeZero, 64).read, 64), { kind: 'foreign', foreign: /size of 0/ });
  // A partial unfinished head with a non-zero system area is not blank: somebody else's data.
  const withMbr = new Map([
    [0, mbr],
    [17, encodeTerminator()],
  ]);
  t.equal(scanMedium(medium(withMbr, 64).read, 64).kind, 'foreign');
});

t.test('session chain from LBA 32', async (t) => {
  const m = headMedium([
    [32, 24],
    [64, 25],
    [96, 172],
  ]);
  const s = scanMedium(m.read, m.size);
  t.equal(s.kind, 'iso');
  t.equal(s.layout, 'head');
  t.equal(s.end, 268);
  t.equal(s.next, 288);
  t.same(
    s.sessions.map((x) => [x.number, x.start, x.size, x.volumeId]),
    [
      [1, 32, 24, 'S32'],
      [2, 64, 25, 'S64'],
      [3, 96, 172, 'S96'],
    ],
  );
  t.same(s.warnings, []);
});

t.test('a plain image at LBA 0 is one session', async (t) => {
  const m = new Map([
    [16, pvd(182, { root: 28 })],
    [17, encodeTerminator()],
  ]);
  const s = scanMedium(medium(m, 182).read, 182);
  t.match(s, { kind: 'iso', layout: 'single', end: 182, next: 192 });
  t.same(
    s.sessions.map((x) => [x.start, x.size]),
    [[0, 182]],
  );
});

t.test('growisofs alignment to 16 is probed', async (t) => {
  // Session 1 ends at 72: growisofs puts session 2 at 80, libisoburn would at 96.
  const m = headMedium([
    [32, 40],
    [80, 30],
  ]);
  const s = scanMedium(m.read, m.size);
  t.same(
    s.sessions.map((x) => [x.start, x.size]),
    [
      [32, 40],
      [80, 30],
    ],
  );
});

t.test('hostile chains end with a warning, never a hang', async (t) => {
  const broken = headMedium(
    [
      [32, 24],
      [64, 25],
      [96, 172],
    ],
    (m) => m.delete(64 + 16),
  );
  const b = scanMedium(broken.read, broken.size);
  t.same(
    b.sessions.map((x) => x.start),
    [32],
  );
  t.match(b.warnings, [/broken at session 2, LBA 64/]);

  const zeroSize = headMedium(
    [
      [32, 24],
      [64, 25],
    ],
    (m) => m.set(64 + 16, pvd(0)),
  );
  const z = scanMedium(zeroSize.read, zeroSize.size);
  t.same(
    z.sessions.map((x) => x.start),
    [32],
  );
  t.match(z.warnings, [/volume space size 0/]);

  const pastEnd = headMedium(
    [
      [32, 24],
      [64, 25],
    ],
    (m) => m.set(64 + 16, pvd(100000)),
  );
  const p = scanMedium(pastEnd.read, pastEnd.size);
  t.equal(p.sessions[1].size, pastEnd.size - 64, 'clamped to the medium, as xorriso does');
  t.match(p.warnings, [/past the medium/]);

  const truncated = headMedium([[32, 24]]);
  const tr = scanMedium(truncated.read, 40);
  t.match(tr.warnings, [/looks truncated/]);

  // A head claiming 2^32-1 sectors and a PVD of size 1 every 32 sectors: bounded.
  const read: ReadSectors = (lba, count) => {
    const out = Buffer.alloc(count * SECTOR);
    for (let i = 0; i < count; i++) {
      const l = lba + i;
      if (l === 16) pvd(0xffffffff).copy(out, i * SECTOR);
      else if (l >= 48 && l % 32 === 16) pvd(1).copy(out, i * SECTOR);
    }
    return out;
  };
  const started = Date.now();
  const h = scanMedium(read, 0xffffffff);
  t.equal(h.sessions.length, MAX_SESSIONS);
  t.match(h.warnings, [/looks truncated|sessions/]);
  t.ok(Date.now() - started < 20000, 'finishes');
  t.throws(() => scanMedium(read, -1), RangeError);
});

t.test('medium head plan: appending to a head layout', async (t) => {
  const current = Buffer.alloc(32 * SECTOR);
  current.fill(0xab, 0, 512); // an isohybrid MBR, say
  pvd(96, { volid: 'OLD' }).copy(current, 16 * SECTOR);
  encodeTerminator().copy(current, 17 * SECTOR);
  const session = Buffer.alloc(32 * SECTOR);
  pvd(64, { volid: 'NEW', root: 200 }).copy(session, 16 * SECTOR);
  pvd(64, { volid: 'NEWJ', type: 2, root: 210 }).copy(session, 17 * SECTOR);
  encodeTerminator().copy(session, 18 * SECTOR);
  const plan = planMediumHead({ current, currentLayout: 'head', sessionHead: session, start: 64, end: 160, closed: false });
  t.same(
    plan.prepare.map((w) => [w.lba, w.data.length / SECTOR]),
    [[18, 14]],
    'system area kept; the old set (PVD, terminator) stays whole: only 18–31 prepared',
  );
  t.same(plan.prepare[0].data.subarray(0, SECTOR), encodeTerminator(), 'the new terminator at 18');
  // Old set PVD, SVD, terminator; new set PVD, terminator: old 17 must become a terminator first.
  const oldJoliet = Buffer.from(current);
  pvd(96, { type: 2 }).copy(oldJoliet, 17 * SECTOR);
  encodeTerminator().copy(oldJoliet, 18 * SECTOR);
  const short = Buffer.alloc(32 * SECTOR);
  pvd(64, { root: 200 }).copy(short, 16 * SECTOR);
  encodeTerminator().copy(short, 17 * SECTOR);
  const plan2 = planMediumHead({ current: oldJoliet, currentLayout: 'head', sessionHead: short, start: 64, end: 160, closed: false });
  t.same(
    plan2.prepare.map((w) => [w.lba, w.data.length / SECTOR]),
    [[17, 15]],
  );
  t.same(plan2.prepare[0].data.subarray(0, SECTOR), encodeTerminator(), 'sector 17 becomes a terminator first');
  // Old and new sets both PVD, SVD, terminator (isopipe on isopipe): the old Joliet SVD stays.
  const plan3 = planMediumHead({ current: oldJoliet, currentLayout: 'head', sessionHead: session, start: 64, end: 160, closed: false });
  t.same(
    plan3.prepare.map((w) => w.lba),
    [18],
  );
  t.same(
    plan.commit.map((w) => [w.lba, w.data.length / SECTOR]),
    [[16, 2]],
    'commit: one 4 KiB write of 16–17',
  );
  const p16 = decodeVolumeDescriptor(plan.commit[0].data.subarray(0, SECTOR));
  const p17 = decodeVolumeDescriptor(plan.commit[0].data.subarray(SECTOR));
  t.equal(p16.volumeSpaceSize, 160);
  t.equal(p16.volumeId, 'NEW');
  t.equal(p17.volumeSpaceSize, 160, 'SVD patched too');
  t.notOk(hasClosedMark(plan.commit[0].data.subarray(0, SECTOR)));
  t.equal(decodeVolumeDescriptor(session.subarray(16 * SECTOR)).volumeSpaceSize, 64, 'session head untouched');
});

t.test('medium head plan: blank medium, closing, system area from the session', async (t) => {
  const session = Buffer.alloc(32 * SECTOR);
  session.fill(0x11, 0, 100);
  pvd(64, { root: 40 }).copy(session, 16 * SECTOR);
  encodeTerminator().copy(session, 17 * SECTOR);
  const plan = planMediumHead({ current: Buffer.alloc(0), currentLayout: 'blank', sessionHead: session, start: 64, end: 96, closed: true });
  t.same(
    plan.prepare.map((w) => [w.lba, w.data.length / SECTOR]),
    [
      [0, 16],
      [16, 16],
    ],
  );
  t.equal(plan.prepare[0].data[0], 0x11, "session's system area used on a zero medium");
  t.equal(plan.prepare[1].data.toString('latin1', 1, 6), 'CDXX1', 'pseudo-blank until the commit');
  const p16 = plan.commit[0].data.subarray(0, SECTOR);
  t.ok(hasClosedMark(p16));
  t.equal(p16.toString('latin1', CLOSED_MARK_OFFSET, CLOSED_MARK_OFFSET + 14), 'ISOPIPE-CLOSED');
  const reopened = planMediumHead({
    current: Buffer.alloc(0),
    currentLayout: 'blank',
    sessionHead: plan.commit[0].data.length ? Buffer.concat([Buffer.alloc(16 * SECTOR), p16, encodeTerminator()]) : session,
    end: 96,
    closed: false,
  });
  t.notOk(hasClosedMark(reopened.commit[0].data.subarray(0, SECTOR)), 'a stale mark is cleared');
});

t.test('medium head plan: the newest session at LBA 0 keeps LBA 18–31 until the commit', async (t) => {
  const current = Buffer.alloc(32 * SECTOR);
  pvd(182, { root: 28 }).copy(current, 16 * SECTOR);
  pvd(182, { root: 30, type: 2 }).copy(current, 17 * SECTOR);
  encodeTerminator().copy(current, 18 * SECTOR);
  current.fill(0x77, 31 * SECTOR); // file data of the old session
  const session = Buffer.alloc(32 * SECTOR);
  pvd(64, { root: 250 }).copy(session, 16 * SECTOR);
  pvd(64, { root: 260, type: 2 }).copy(session, 17 * SECTOR);
  encodeTerminator().copy(session, 18 * SECTOR);
  const plan = planMediumHead({ current, currentLayout: 'single', sessionHead: session, start: 64, end: 256, closed: false });
  t.same(plan.prepare, [], 'nothing before the commit');
  t.same(
    plan.commit.map((w) => [w.lba, w.data.length / SECTOR]),
    [[16, 3]],
    'descriptors only, through the terminator',
  );
  t.throws(
    () => planMediumHead({ current, currentLayout: 'head', sessionHead: Buffer.alloc(32 * SECTOR), start: 64, end: 1, closed: false }),
    /no volume descriptor set/,
  );
  t.same(
    descriptorSet(session)?.map((d) => d.type),
    [1, 2, 255],
  );
});

t.test('medium head plan: libisofs tags are cleared from the copy, the superblock tag relocated', async (t) => {
  const tag = (type: 'superblock' | 'tree', pos: number, start = 64) =>
    encodeTag({ type, pos, rangeStart: start, rangeSize: pos - start, next: 200, md5: Buffer.alloc(16, 7) });
  const session = Buffer.alloc(32 * SECTOR);
  pvd(64, { root: 250 }).copy(session, 16 * SECTOR);
  pvd(64, { root: 260, type: 2 }).copy(session, 17 * SECTOR);
  encodeTerminator().copy(session, 18 * SECTOR);
  tag('superblock', 64 + 19).copy(session, 19 * SECTOR);
  tag('tree', 999).copy(session, 25 * SECTOR); // stale: not the session's superblock tag
  const current = Buffer.alloc(32 * SECTOR);
  pvd(64, { root: 40 }).copy(current, 16 * SECTOR);
  encodeTerminator().copy(current, 17 * SECTOR);
  const plan = planMediumHead({ current, currentLayout: 'head', sessionHead: session, start: 64, end: 128, closed: false });
  // The medium head as it ends up: every step applied in order.
  const after = Buffer.from(current);
  for (const w of [...plan.prepare, ...plan.commit, ...plan.finish]) w.data.copy(after, w.lba * SECTOR);
  const tags = [...Array(32).keys()]
    .map((k) => decodeTag(after.subarray(k * SECTOR, (k + 1) * SECTOR)))
    .map((d, k) => (d ? k : -1))
    .filter((k) => k >= 0);
  t.same(tags, [19], 'one tag left, after the terminator');
  const rl = decodeTag(after.subarray(19 * SECTOR, 20 * SECTOR))!;
  t.same([rl.type, rl.pos, rl.rangeStart, rl.rangeSize, rl.next, rl.selfOk], ['relocated-superblock', 19, 0, 19, 64, true]);
  t.ok(rl.md5.equals(md5(after.subarray(0, 19 * SECTOR))), 'its MD5 covers the medium head as written, volume size patched');
  t.same(
    plan.finish.map((w) => w.lba),
    [19],
    'written after the commit',
  );
  for (const w of [...plan.prepare, ...plan.commit]) t.notOk(w.data.includes('libisofs_'), `no tag written before the commit (LBA ${w.lba})`);

  // A session at LBA 0 is the medium head: its own tags stay as they are.
  const at0 = Buffer.from(session);
  tag('superblock', 19, 0).copy(at0, 19 * SECTOR);
  const plan0 = planMediumHead({ current: Buffer.alloc(0), currentLayout: 'blank', sessionHead: at0, start: 0, end: 64, closed: false });
  t.same(plan0.finish, []);
  const after0 = Buffer.alloc(32 * SECTOR);
  for (const w of [...plan0.prepare, ...plan0.commit]) w.data.copy(after0, w.lba * SECTOR);
  t.equal(decodeTag(after0.subarray(19 * SECTOR, 20 * SECTOR))?.type, 'superblock');

  // The newest session at LBA 0 ('single'): its old tag goes before the commit, the
  // relocated one takes its place after it; file data in LBA 20-31 is not touched.
  const single = Buffer.alloc(32 * SECTOR);
  pvd(182, { root: 28 }).copy(single, 16 * SECTOR);
  pvd(182, { root: 30, type: 2 }).copy(single, 17 * SECTOR);
  encodeTerminator().copy(single, 18 * SECTOR);
  encodeTag({ type: 'superblock', pos: 19, rangeStart: 0, rangeSize: 19, next: 40, md5: Buffer.alloc(16) }).copy(single, 19 * SECTOR);
  single.fill(0x77, 20 * SECTOR);
  const ps = planMediumHead({ current: single, currentLayout: 'single', sessionHead: session, start: 192, end: 256, closed: false });
  t.same(
    ps.prepare.map((w) => [w.lba, w.data.equals(Buffer.alloc(SECTOR))]),
    [[19, true]],
    'the old tag zeroed first',
  );
  t.same(
    ps.finish.map((w) => [w.lba, decodeTag(w.data)?.type, decodeTag(w.data)?.next]),
    [[19, 'relocated-superblock', 192]],
  );
  t.ok(
    [...ps.prepare, ...ps.commit, ...ps.finish].every((w) => w.lba + w.data.length / SECTOR <= 20),
    'LBA 20-31 (old file data) untouched',
  );
});

t.test('capacity and device options', async (t) => {
  t.equal(parseCapacity('1000'), 1000);
  t.equal(parseCapacity('1000s'), 1000);
  t.equal(parseCapacity('700M'), 358400);
  t.equal(parseCapacity('4.7GB'), 2294921);
  t.equal(parseCapacity('64k'), 32);
  t.throws(() => parseCapacity('lots'), /SECTORS or a size/);
  t.throws(() => parseCapacity('10q'), /unknown unit/);
  t.throws(() => parseCapacity('0'), /out of range/);
  t.throws(() => parseCapacity('1.5'), /whole number/);
  t.equal(mediaCapacity('cd80'), 360000);
  t.equal(mediaCapacity('BD25'), 12219392);
  t.throws(() => mediaCapacity('floppy'), /cd74, cd80/);
  t.equal(resolveDevicePath('x.iso', {}), 'x.iso');
  t.equal(resolveDevicePath(undefined, { CDR_DEVICE: 'stdio:/tmp/y.iso' }), '/tmp/y.iso');
  t.throws(() => resolveDevicePath(undefined, {}), /no medium given/);
  t.same(normaliseCdrecordArgv(['dev=/a=b', '-multi', '-v', 'speed=4', '-data', 'file=x', '--', '-multi'], ['dev', 'speed'], ['multi', 'data']), [
    '--dev=/a=b',
    '--multi',
    '-v',
    '--speed=4',
    '--data',
    'file=x',
    '--',
    '-multi',
  ]);
});
