// iso-merge's pax writer: what it writes reads back the same through iso-pack's parser,
// GNU tar and bsdtar — raw-byte names, long paths and targets, big ids, dates before 1970
// and with fractions, devices, hard links, and the ISOPIPE.* records.
import t from 'tap';
import { TarParser, type TarEntry } from '../dist/tar/parser.js';
import { run } from './helpers/run.js';
import { needs } from './helpers/skip.js';
import { encodeEntryHeader, END_OF_ARCHIVE, type OutEntry, paddingFor } from '../dist/tar/header.js';

function archive(entries: { e: OutEntry; data?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { e, data } of entries) {
    parts.push(encodeEntryHeader(e));
    if (data) parts.push(data, Buffer.alloc(paddingFor(data.length)));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** Parses `tar` fed in pieces of `sizes` bytes (in turn); all at once when none. */
function parse(tar: Buffer, sizes: number[] = []): { entries: TarEntry[]; data: Map<string, Buffer> } {
  const entries: TarEntry[] = [];
  const data = new Map<string, Buffer>();
  let cur: TarEntry | null = null;
  const p = new TarParser({
    entry: (e) => {
      entries.push((cur = e));
      data.set(e.path, Buffer.alloc(0));
    },
    data: (c) => data.set(cur!.path, Buffer.concat([data.get(cur!.path)!, c])),
    entryEnd: () => {},
  });
  if (sizes.length === 0) p.push(tar);
  for (let off = 0, k = 0; off < tar.length; k++) {
    if (sizes.length === 0) break;
    const n = sizes[k % sizes.length];
    p.push(tar.subarray(off, off + n));
    off += n;
  }
  p.end();
  return { entries, data };
}

const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const longPath = 'dir/' + 'p'.repeat(120) + '/' + 'q'.repeat(120) + '/file';
const nonUtf8 = 'caf\xe9-latin1';
const utf8 = latin1('grüße/😀.txt');
const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_600_000_000 };

const entries: { e: OutEntry; data?: Buffer }[] = [
  { e: { ...base, path: 'plain.txt', type: 'file', size: 5, uname: 'alice', gname: 'staff' }, data: Buffer.from('hello') },
  { e: { ...base, path: longPath, type: 'file', size: 3 }, data: Buffer.from('abc') },
  { e: { ...base, path: nonUtf8, type: 'file' } },
  { e: { ...base, path: utf8, type: 'file' } },
  { e: { ...base, path: 'ids', type: 'file', uid: 3_000_000, gid: 4_000_000 } },
  { e: { ...base, path: 'old', type: 'file', mtime: -86400 * 365 * 5 } },
  { e: { ...base, path: 'frac', type: 'file', mtime: 1_600_000_000.25, atime: 1_600_000_001, ctime: 1_600_000_002.5 } },
  { e: { ...base, path: 'd', type: 'dir', mode: 0o751 } },
  { e: { ...base, path: 'lnk', type: 'symlink', mode: 0o777, linkname: '../' + 'x'.repeat(200) } },
  { e: { ...base, path: 'hard', type: 'link', linkname: 'plain.txt' } },
  { e: { ...base, path: 'dev', type: 'chr', devmajor: 1, devminor: 3 } },
  { e: { ...base, path: 'bigdev', type: 'blk', devmajor: 259, devminor: 3_000_000 } },
  { e: { ...base, path: 'fifo', type: 'fifo', mode: 0o600 } },
  {
    e: {
      ...base,
      path: 'ref',
      type: 'file',
      records: [
        ['ISOPIPE.extents', '1234+4294965248,3331+1000'],
        ['ISOPIPE.size', '4294966248'],
      ],
    },
  },
];
const tar = archive(entries);

t.test("iso-pack's parser reads back every field", async (t) => {
  const { entries: got, data } = parse(tar);
  const by = new Map(got.map((e) => [e.path.replace(/\/$/, ''), e]));
  t.equal(got.length, entries.length);
  t.equal(data.get('plain.txt')!.toString(), 'hello');
  t.equal(by.get('plain.txt')!.uname, 'alice');
  t.equal(data.get(longPath)!.toString(), 'abc', 'a path of 250 bytes');
  t.ok(by.has(nonUtf8), 'a name that is not UTF-8 keeps its bytes');
  t.ok(by.has(utf8), 'a UTF-8 name keeps its bytes');
  t.match(by.get('ids')!, { uid: 3_000_000, gid: 4_000_000 });
  t.equal(by.get('old')!.mtime, -86400 * 365 * 5, 'an mtime before 1970');
  t.match(by.get('frac')!, { mtime: 1_600_000_000.25, atime: 1_600_000_001, ctime: 1_600_000_002.5 });
  t.match(by.get('d')!, { type: 'dir', mode: 0o751 });
  t.equal(by.get('lnk')!.linkname, '../' + 'x'.repeat(200), 'a symlink target of 203 bytes');
  t.match(by.get('hard')!, { type: 'link', linkname: 'plain.txt' });
  t.match(by.get('dev')!, { type: 'chr', devmajor: 1, devminor: 3 });
  t.match(by.get('bigdev')!, { type: 'blk', devmajor: 259, devminor: 3_000_000 });
  t.match(by.get('fifo')!, { type: 'fifo', mode: 0o600 });
  const ref = by.get('ref')!;
  t.equal(ref.isopipe.get('extents'), '1234+4294965248,3331+1000');
  t.equal(ref.isopipe.get('size'), '4294966248');
  t.equal(ref.size, 0, 'a reference has no data');
});

t.test('the same entries whatever pieces the stream arrives in', async (t) => {
  // Headers and pax bodies are decoded in place when a piece holds them whole and gathered
  // when they are split; a piece may also start at an odd byte of its buffer.
  const whole = parse(tar);
  const odd = Buffer.alloc(tar.length + 1);
  tar.copy(odd, 1);
  const misaligned = odd.subarray(1);
  for (const sizes of [[1], [7], [511], [512], [513], [1000, 24], [4096], [300, 1700, 2]]) {
    for (const [what, input] of [
      ['aligned', tar],
      ['at an odd offset', misaligned],
    ] as const) {
      const got = parse(input, sizes);
      t.strictSame(got.entries, whole.entries, `pieces of ${sizes.join(', ')} bytes, ${what}: the same entries`);
      t.strictSame(got.data, whole.data, `pieces of ${sizes.join(', ')} bytes, ${what}: the same data`);
    }
  }
});

t.test('owner and group names as each header has them, when they repeat and when they change', async (t) => {
  const owners = ['alice', 'alina', 'alice', 'alpha', 'alina', '', 'alice', 'alicf'];
  const tar = archive(owners.map((o, k) => ({ e: { ...base, path: `f${k}`, type: 'file' as const, uname: o, gname: o.toUpperCase() } })));
  const { entries: got } = parse(tar);
  t.strictSame(
    got.map((e) => [e.uname, e.gname]),
    owners.map((o) => [o, o.toUpperCase()]),
  );
});

t.test('GNU tar lists the same archive', async (t) => {
  if (!needs(t, 'tar')) return;
  const r = run('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' } });
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout.toString('latin1');
  t.match(out, /-rw-r--r-- 0\/0\s+5 2020-09-13 12:26 plain\.txt/);
  t.ok(out.includes(longPath), 'long path');
  t.ok(out.includes(utf8), 'UTF-8 name');
  t.match(out, /3000000\/4000000 .* ids/);
  t.match(out, /1965-01-0\d .* old/);
  t.match(out, /drwxr-x--x .* d\//);
  t.ok(out.includes('lnk -> ../' + 'x'.repeat(200)));
  t.match(out, /hard link to plain\.txt/);
  t.match(out, /crw-r--r-- 0\/0\s+1,3 .* dev/);
  // GNU tar names the vendor keys it skips (ISOPIPE.*, SCHILY.dev*, hdrcharset) and
  // complains about nothing else.
  const other = r.stderr.split('\n').filter((l) => l && !/Ignoring unknown extended header keyword '(ISOPIPE\.|SCHILY\.dev|hdrcharset)/.test(l));
  t.strictSame(other, [], 'no other complaints');
});

t.test('bsdtar lists the same archive', async (t) => {
  if (!needs(t, 'bsdtar')) return;
  const r = run('bsdtar', ['--numeric-owner', '-tvf', '-'], { input: tar, env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' } });
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout.toString('latin1');
  t.ok(out.includes(longPath), 'long path');
  t.ok(out.includes(utf8), 'UTF-8 name');
  t.match(out, /3000000\s+4000000 .* ids/);
  t.ok(out.includes('lnk -> ../' + 'x'.repeat(200)));
  t.match(out, /hard link to plain\.txt|link to plain\.txt/);
});

t.test('a GNU volume label reaches iso-pack as one', async (t) => {
  const tar = archive([{ e: { ...base, path: 'BACKUP_2026', type: 'label' } }, { e: { ...base, path: 'x', type: 'file' } }]);
  let label = '';
  const names: string[] = [];
  const p = new TarParser({ entry: (e) => names.push(e.path), data: () => {}, entryEnd: () => {}, volumeLabel: (l) => (label = l) });
  p.push(tar);
  p.end();
  t.equal(label, 'BACKUP_2026');
  t.strictSame(names, ['x'], 'and is no file');
});

t.test("a pax global header at the end (iso-merge --mirror's unchanged mark): the parser keeps it, tar tools skip it", async (t) => {
  const { encodeGlobalHeader } = await import('../dist/tar/header.js');
  const g = encodeGlobalHeader([['ISOPIPE.unchanged', '7']]);
  t.equal(g.length, 1024, 'one header block and one block of records');
  t.equal(g[156], 'g'.charCodeAt(0), "typeflag 'g'");
  t.equal(g.toString('latin1', 512, 512 + 23), '23 ISOPIPE.unchanged=7\n', 'the record, its length counting itself');
  const file = encodeEntryHeader({ ...base, path: 'a', type: 'file', size: 2 });
  const tar = Buffer.concat([file, Buffer.from('hi'), Buffer.alloc(510), g, END_OF_ARCHIVE]);
  const entries: TarEntry[] = [];
  const p = new TarParser({ entry: (e) => entries.push(e), data: () => {}, entryEnd: () => {} });
  p.push(tar);
  p.end();
  t.equal(entries.length, 1, 'no entry made of it');
  t.equal(entries[0].isopipe.size, 0, 'the entry before it is untouched');
  t.equal(p.globalRecords.get('ISOPIPE.unchanged'), '7');
  for (const tool of ['tar', 'bsdtar']) {
    if (!needs(t, tool)) continue;
    const r = run(tool, ['-tf', '-'], { input: tar });
    t.equal(r.status, 0, `${tool} reads it: ${r.stderr}`);
    t.equal(String(r.stdout).trim(), 'a', `${tool} lists the file alone`);
  }
});
