// The interop harness judged on its own: listings it must accept, and the differences it must
// report (so that a passing interop test means something). No readers, no images.
import t from 'tap';
import { compareListings, escapeName, formatDifference, formatEntry, isEqual, listDir, parseListing, unescapeName, type Entry } from './helpers/listing.js';
import { compareWithModel, extensionOf, int32Time, jolietName, models, rationalize, relevantNotes } from './helpers/model.js';
import { isoinfoId, pathTableProblems } from './helpers/readers.js';
import { streamProblem, streamToImage } from './helpers/stream.js';
import { crc32 } from 'node:zlib';
import { createHash } from 'node:crypto';
import { chmodSync, lutimesSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { must } from './helpers/run.js';

const e = (path: string, type: string, more: Partial<Entry> = {}): Entry => ({
  path,
  type,
  mode: type === 'dir' ? '0755' : '0644',
  uid: '1234',
  gid: '5678',
  size: type === 'dir' ? '4096' : '3',
  mtime: '1600000000',
  nlink: type === 'dir' ? '2' : '1',
  target: '-',
  md5: type === 'file' ? `md5-${path}` : '-',
  ...more,
});

const long = `${'n'.repeat(100)}.txt`;
const source: Entry[] = [
  e('/', 'dir', { nlink: '3' }),
  e('/d', 'dir'),
  e('/d/a', 'file'),
  e(`/d/${long}`, 'file'),
  e(`/d/${'n'.repeat(100)}.dat`, 'file'),
  e('/d/link', 'symlink', { target: 'a', size: '1', mode: '0777' }),
  e('/d/star*', 'file'),
  e('/late', 'file', { mtime: '4102444800' }),
];
const M = models({ jolietLimit: 64, kernelDates32: true });

t.test('listing lines and names round-trip', async (t) => {
  const { entries, notes } = parseListing('/\tdir\t0755\t0\t0\t2048\t0\t2\t-\t-\n#kmsg\tdebug\tx\n');
  t.equal(entries.length, 1);
  t.same(notes, ['#kmsg\tdebug\tx']);
  for (const raw of ['plain', 'tab\there', 'back\\slash', 'new\nline', '日本😀']) {
    t.equal(unescapeName(escapeName(raw)).toString('utf8'), raw, `escape round-trip ${JSON.stringify(raw)}`);
  }
  t.equal(escapeName(Buffer.from([0x61, 0xe9, 0x62])), 'a\\xe9b', 'invalid UTF-8 escaped like the oracle');
});

t.test('compareListings reports every kind of difference', async (t) => {
  const a = [e('/x', 'file'), e('/y', 'file')];
  t.ok(isEqual(compareListings(a, a)), 'equal to itself');
  const d = compareListings(a, [e('/x', 'file', { mtime: '1' }), e('/z', 'file')]);
  t.equal(d.missing.length, 1);
  t.equal(d.extra.length, 1);
  t.same(d.changed, [{ path: '/x', fields: [{ field: 'mtime', expected: '1600000000', found: '1' }] }]);
  t.match(formatDifference(d), /missing \(1\)[\s\S]*unexpected \(1\)[\s\S]*mtime expected 1600000000 found 1/);
});

t.test('Rock Ridge readers: exact, and a wrong field fails', async (t) => {
  const kernelView = source.map((x) => (x.path === '/late' ? { ...x, mtime: int32Time(x.mtime) } : x));
  t.ok(isEqual(compareWithModel(M.kernel, source, kernelView).diff), 'the kernel view of the source is accepted');
  const bad = kernelView.map((x) => (x.path === '/d/a' ? { ...x, uid: '0' } : x));
  t.notOk(isEqual(compareWithModel(M.kernel, source, bad).diff), 'a wrong owner is reported');
  const lost = kernelView.filter((x) => x.path !== '/d/link');
  t.notOk(isEqual(compareWithModel(M.kernel, source, lost).diff), 'a lost symlink is reported');
  t.equal(int32Time('2147483648'), '-2147483648');
});

t.test('Joliet readers: truncated names are paired by content, bad truncations fail', async (t) => {
  const j = (x: Entry, name?: string): Entry => ({ ...x, path: name ?? x.path, mode: '0555', uid: '0', gid: '0', mtime: int32Time(x.mtime) });
  const ok = [
    j(source[0]),
    j(source[1]),
    j(source[2]),
    j(source[3], `/d/${'n'.repeat(60)}.txt`), // 64 units, extension kept
    j(source[4], `/d/${'n'.repeat(58)}~1.dat`), // made unique
    j(source[6], '/d/star_'),
    j(source[7]),
  ];
  const c = compareWithModel(M.kernelJoliet, source, ok);
  t.ok(isEqual(c.diff), `accepted ${formatDifference(c.diff)}`);
  const swapped = ok.map((x) => (x.path.endsWith('.txt') ? { ...x, md5: 'other' } : x));
  t.notOk(isEqual(compareWithModel(M.kernelJoliet, source, swapped).diff), 'wrong content under a truncated name is reported');
  const tooLong = ok.map((x) => (x.path.endsWith('.txt') ? { ...x, path: `/d/${'n'.repeat(61)}.txt` } : x));
  t.notOk(isEqual(compareWithModel(M.kernelJoliet, source, tooLong).diff), 'a 65-unit Joliet name is reported');
  const noExt = ok.map((x) => (x.path.endsWith('.txt') ? { ...x, path: `/d/${'n'.repeat(64)}` } : x));
  t.notOk(isEqual(compareWithModel(M.kernelJoliet, source, noExt).diff), 'a truncation that drops the extension is reported');
  const withSymlink = [...ok, j(source[5])];
  t.notOk(isEqual(compareWithModel(M.kernelJoliet, source, withSymlink).diff), 'a symlink in the Joliet tree is reported');
  const dup = [...ok, { ...ok[2] }];
  t.not(compareWithModel(M.kernelJoliet, source, dup).notes.length, 0, 'duplicate names are reported');
});

t.test('plain ISO 9660 view: any mangled d-character name, paired by content', async (t) => {
  const iso = (x: Entry, name: string): Entry => ({
    ...x,
    path: name,
    mode: '0555',
    uid: '0',
    gid: '0',
    mtime: int32Time(x.mtime),
    ...(x.type === 'symlink' ? { type: 'file', size: '0', target: '-', md5: 'd41d8cd98f00b204e9800998ecf8427e' } : {}),
  });
  const ok = [
    iso(source[0], '/'),
    iso(source[1], '/D'),
    iso(source[2], '/D/A.;1'),
    iso(source[3], '/D/NNNNNNNNNNNNNNNNNNNNNNNNNNN.TXT;1'),
    iso(source[4], '/D/NNNNNNNNNNNNNNNNNNNNNNNNNNN.DAT;1'),
    iso(source[5], '/D/LINK.;1'),
    iso(source[6], '/D/STAR_.;1'),
    iso(source[7], '/LATE.;1'),
  ];
  const c = compareWithModel(M.kernelIso, source, ok);
  t.ok(isEqual(c.diff), `accepted ${formatDifference(c.diff)}`);
  const lower = ok.map((x) => (x.path === '/D/A.;1' ? { ...x, path: '/D/a.;1' } : x));
  t.notOk(isEqual(compareWithModel(M.kernelIso, source, lower).diff), 'a lowercase ISO name is reported');
  const tooLong = ok.map((x) => (x.path.endsWith('TXT;1') ? { ...x, path: `/D/${'N'.repeat(28)}.TXT;1` } : x));
  t.notOk(isEqual(compareWithModel(M.kernelIso, source, tooLong).diff), 'a 32-character ISO name is reported');
  t.not(compareWithModel(M.kernelIso, source, [...ok, { ...ok[2] }]).notes.length, 0, 'a name used twice is reported');
});

t.test('path table check', async (t) => {
  const dir = (raw: string, extent: string) => ({ ...e(raw, 'dir'), raw, extent });
  const tree = [dir('/', '20'), dir('/A', '21'), dir('/B', '22'), dir('/A/C', '23')] as never;
  const good = [
    { index: 1, parent: 1, extent: 20, name: '' },
    { index: 2, parent: 1, extent: 21, name: 'A' },
    { index: 3, parent: 1, extent: 22, name: 'B' },
    { index: 4, parent: 2, extent: 23, name: 'C' },
  ];
  t.same(pathTableProblems(good, tree, true), []);
  t.not(
    pathTableProblems(
      [good[0], good[2], good[1], good[3]].map((x, i) => ({ ...x, index: i + 1, parent: x.parent === 2 ? 3 : x.parent })),
      tree,
      true,
    ).length,
    0,
    'siblings out of order',
  );
  t.not(pathTableProblems(good.slice(0, 3), tree, true).length, 0, 'a directory missing');
  t.not(
    pathTableProblems(
      good.map((x) => (x.name === 'C' ? { ...x, extent: 99 } : x)),
      tree,
      true,
    ).length,
    0,
    'a wrong extent',
  );
});

t.test('name rules', async (t) => {
  t.equal(jolietName('a*b/c:d;e?f\\g\th'), 'a_b_c_d_e_f_g_h');
  t.equal(jolietName('😀'), '😀', 'outside the BMP kept (as a surrogate pair)');
  t.equal(extensionOf('archive.tar.gz'), '.gz');
  t.equal(extensionOf('.hidden'), '');
  t.equal(isoinfoId('1234', true), 'o2322');
  t.equal(isoinfoId('4000000', true), 'o17204', 'isoinfo cuts the owner to 5 octal digits');
  t.same(rationalize(e('/f', 'file', { mode: '4750' })), e('/f', 'file', { mode: '0555', uid: '0', gid: '0' }));
  t.same(rationalize(e('/f', 'file', { mode: '0640' })).mode, '0444');
  t.same(rationalize(e('/d', 'dir', { mode: '0700' })).mode, '0555');
  t.same(relevantNotes(['special/blk: Invalid argument', 'bsdtar exit 1'], ['special/blk']), []);
  t.same(relevantNotes(['other: broken', 'bsdtar exit 1'], ['special/blk']), ['other: broken', 'bsdtar exit 1']);
});

t.test('stream helper follows docs/stream-format.md', async (t) => {
  const S = 2048;
  const header = Buffer.alloc(S);
  header.write('ISOPIPE-HEADLAST', 0, 'latin1');
  header.writeUInt32LE(1, 16);
  header.writeUInt32LE(64, 20);
  header.writeUInt32LE(32, 28);
  const body = Buffer.alloc(32 * S, 7);
  const head = Buffer.alloc(32 * S, 9);
  const trailer = Buffer.alloc(S);
  trailer.write('ISOPIPE-TRAILER.', 0, 'latin1');
  trailer.writeUInt32LE(1, 16);
  trailer.writeUInt32LE(64, 20);
  trailer.writeUInt32LE(64, 24);
  trailer.writeUInt32LE(crc32(Buffer.concat([header, body, head])) >>> 0, 28);
  const stream = Buffer.concat([header, body, head, trailer]);
  t.equal(streamProblem(stream), null);
  t.ok(streamToImage(stream).equals(Buffer.concat([head, body])), 'head first, then the body');
  t.not(streamProblem(stream.subarray(0, stream.length - S)), null, 'without its trailer');
  const wrongN = Buffer.from(stream);
  wrongN.writeUInt32LE(96, stream.length - S + 24);
  t.match(streamProblem(wrongN), /N 96/);
});

t.test("listDir lists a host tree as the kernel oracle's --list-dir does", async (t) => {
  // The expected tree of every interop test; test/interop/listing-oracle.test.ts holds it
  // to the oracle itself on the whole fixture.
  const root = mkdtempSync(join(tmpdir(), 'isopipe-listdir-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'f'), 'abc');
  chmodSync(join(root, 'sub', 'f'), 0o4751);
  must('touch', ['-d', '@-1.5', join(root, 'sub', 'f')]); // before 1970, with a fraction: tv_sec is the floor
  writeFileSync(Buffer.concat([Buffer.from(`${root}/b`), Buffer.from([0xe9])]), ''); // not UTF-8
  symlinkSync('-', join(root, 'dash'));
  lutimesSync(join(root, 'dash'), 7, 7);
  must('mkfifo', [join(root, 'p')]);
  for (const p of ['sub', '']) utimesSync(join(root, p), 100, 100);
  const lines = listDir(root).map(formatEntry);
  t.same(
    lines.map((l) => l.split('\t')[0]),
    ['/', '/b\\xe9', '/dash', '/p', '/sub', '/sub/f'],
    'pre-order, bytewise, non-UTF-8 escaped',
  );
  const by = (p: string) => lines.find((l) => l.startsWith(p + '\t'))!.split('\t');
  const md5 = createHash('md5').update('abc').digest('hex');
  t.same(by('/sub/f').slice(1), ['file', '4751', String(process.getuid!()), String(process.getgid!()), '3', '-2', '1', '-', md5]);
  t.same(by('/dash').slice(1, 3).concat(by('/dash').slice(5)), ['symlink', '0777', '1', '7', '1', '\\x2d', '-'], 'a symlink to "-" is escaped');
  t.equal(by('/p')[1], 'fifo');
  t.same([by('/sub')[1], by('/sub')[6], by('/sub')[7]], ['dir', '100', '2']);
});
