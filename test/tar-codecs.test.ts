// The tar header and isopipe's pax records both ways: encode → decode gives the entry back,
// and fixed cases give the exact bytes. Pure, milliseconds.
import t from 'tap';
import { BLOCK, decodeHeader, decodePax, encodeEntryHeader, encodeGlobalHeader, paddingFor, type OutEntry } from '../dist/tar/header.js';
import {
  encodeIsopipeRecords,
  encodeReference,
  encodeUnchanged,
  extentBytes,
  formatExtents,
  isopipeRecords,
  isUnchanged,
  parseExtents,
} from '../dist/tar/isopipe-records.js';

const base: OutEntry = { path: 'dir/file.txt', type: 'file', mode: 0o644, uid: 1000, gid: 100, size: 5, mtime: 1700000000, uname: 'u', gname: 'g' };

/** The header blocks an entry encodes to, decoded: the pax records (if any) and the main header. */
function decodeEntry(b: Buffer): { pax: Map<string, string>; main: ReturnType<typeof decodeHeader> } {
  const first = decodeHeader(b.subarray(0, BLOCK));
  if (first.type !== 'pax') return { pax: new Map(), main: first };
  const bodyBlocks = Math.ceil(first.size / BLOCK);
  const pax = decodePax(b.subarray(BLOCK, BLOCK + first.size));
  return { pax, main: decodeHeader(b.subarray(BLOCK * (1 + bodyBlocks), BLOCK * (2 + bodyBlocks))) };
}

t.test('a plain ustar entry round trips in one block, byte-exact fields', async (t) => {
  const b = encodeEntryHeader(base);
  t.equal(b.length, BLOCK, 'no extended header needed');
  const h = decodeHeader(b);
  t.match(h, { name: 'dir/file.txt', mode: 0o644, uid: 1000, gid: 100, size: 5, mtime: 1700000000, type: 'file', typeflag: '0', uname: 'u', gname: 'g' });
  t.equal(b.toString('latin1', 100, 108), '0000644\0', 'mode: octal, NUL');
  t.equal(b.toString('latin1', 124, 136), '00000000005\0', 'size');
  t.equal(b.toString('latin1', 136, 148), '14524770400\0', 'mtime 1700000000 in octal');
  t.equal(b.toString('latin1', 257, 265), 'ustar\x0000', 'POSIX magic and version');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  t.equal(parseInt(b.toString('latin1', 148, 154), 8), sum, 'checksum');
  t.equal(paddingFor(5), 507);
  t.equal(paddingFor(512), 0);
});

t.test('the header checksum: the unsigned sum, or the signed one some old tars wrote', async (t) => {
  const b = encodeEntryHeader(base);
  b[508] = 0xe9; // a byte above 127 in the block's unused tail
  let unsigned = 0;
  for (let i = 0; i < BLOCK; i++) unsigned += i >= 148 && i < 156 ? 0x20 : b[i];
  const withSum = (sum: number) => {
    const h = Buffer.from(b);
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    return h;
  };
  t.equal(decodeHeader(withSum(unsigned)).name, base.path, 'unsigned sum accepted');
  t.equal(decodeHeader(withSum(unsigned - 256)).name, base.path, 'signed sum accepted');
  t.throws(() => decodeHeader(withSum(unsigned - 1)), /bad header checksum/, 'any other sum refused');
  // Summed a word at a time where the block is 4-byte aligned, a byte at a time elsewhere.
  const odd = Buffer.alloc(BLOCK + 1).subarray(1);
  withSum(unsigned).copy(odd);
  t.equal(decodeHeader(odd).name, base.path, 'a block at an odd offset');
  const high = withSum(0);
  high.fill(0xff, 345, 500); // every lane near its limit
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : high[i];
  high.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  t.equal(decodeHeader(high).typeflag, '0', 'many bytes of 255');
});

t.test('every type round trips', async (t) => {
  const cases: OutEntry[] = [
    { ...base, type: 'dir', path: 'd', size: 0 },
    { ...base, type: 'symlink', path: 's', size: 0, linkname: '../target' },
    { ...base, type: 'link', path: 'h', size: 0, linkname: 'dir/file.txt' },
    { ...base, type: 'chr', path: 'c', size: 0, devmajor: 1, devminor: 3 },
    { ...base, type: 'blk', path: 'b', size: 0, devmajor: 8, devminor: 1 },
    { ...base, type: 'fifo', path: 'f', size: 0 },
  ];
  for (const e of cases) {
    const { main } = decodeEntry(encodeEntryHeader(e));
    t.match(main, { type: e.type, linkname: e.linkname ?? '', devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0 }, e.type);
    t.equal(main.name, e.type === 'dir' ? e.path + '/' : e.path, `${e.type}: name`);
  }
});

t.test('what ustar cannot hold goes in pax records, and comes back', async (t) => {
  const long = 'x/'.repeat(60) + 'y'.repeat(120);
  const binary = Buffer.from([0x66, 0xff, 0x66]).toString('latin1');
  const e: OutEntry = {
    ...base,
    path: long,
    linkname: undefined,
    uid: 2 ** 22,
    size: 0,
    mtime: -1000000000.5,
    atime: 1.25,
    records: encodeReference({ extents: '100+2048,300+5', size: 2053, md5: '0123456789abcdef0123456789abcdef' }),
  };
  const { pax, main } = decodeEntry(encodeEntryHeader(e));
  t.equal(pax.get('path'), long);
  t.equal(pax.get('uid'), String(2 ** 22));
  t.equal(pax.get('mtime'), '-1000000000.5');
  t.equal(pax.get('atime'), '1.25');
  t.strictSame(
    [...isopipeRecords(pax)!],
    [
      ['extents', '100+2048,300+5'],
      ['size', '2053'],
      ['md5', '0123456789abcdef0123456789abcdef'],
    ],
    'ISOPIPE records in order',
  );
  t.equal(main.type, 'file');
  const bin = decodeEntry(encodeEntryHeader({ ...base, path: binary }));
  t.equal(bin.pax.get('path'), binary, 'a name that is not UTF-8 comes back byte for byte');
  t.equal(bin.pax.get('hdrcharset'), 'BINARY');
});

t.test('global header', async (t) => {
  const b = encodeGlobalHeader(encodeUnchanged(3));
  const h = decodeHeader(b.subarray(0, BLOCK));
  t.equal(h.type, 'pax-global');
  const rec = decodePax(b.subarray(BLOCK, BLOCK + h.size));
  t.strictSame([...rec], [['ISOPIPE.unchanged', '3']]);
  t.ok(isUnchanged(rec), 'read back as unchanged');
  t.notOk(isUnchanged(new Map([['comment', 'x']])));
  t.equal(b.toString('latin1', BLOCK, BLOCK + h.size), '23 ISOPIPE.unchanged=3\n', 'byte-exact record: its length counts itself');
});

t.test('pax records: lengths, keys and values, and what is refused', async (t) => {
  const pax = (text: string) => decodePax(Buffer.from(text, 'latin1'));
  t.strictSame(
    [...pax('8 k=v=w\n10 path=\xe9\n')],
    [
      ['k', 'v=w'],
      ['path', '\xe9'],
    ],
    'the first = splits; values are raw bytes',
  );
  t.strictSame([...pax('0000000000000000024 k=v\n')], [['k', 'v']], 'a length of 19 digits (leading zeros)');
  t.strictSame([...pax('6 k=v\n\0\0\0')], [['k', 'v']], 'NUL padding ends the records');
  const refused: [string, string][] = [
    ['6 k=v', 'malformed pax extended header'],
    ['7 k=v\n', 'malformed pax extended header'],
    ['5 k=v\n', 'malformed pax extended header'],
    ['x6 k=v\n', 'malformed pax extended header'],
    [' 6 k=v\n', 'malformed pax extended header'],
    ['6k=v\n', 'malformed pax extended header'],
    ['6 =vv\n', 'malformed pax record'],
    ['6 kvv\n6 k=v\n', 'malformed pax record'],
  ];
  for (const [text, message] of refused) t.throws(() => pax(text), { message }, JSON.stringify(text));
});

t.test('ISOPIPE.extents text', async (t) => {
  const x = [
    { lba: 100, bytes: 4096 },
    { lba: 7, bytes: 5 },
  ];
  t.equal(formatExtents(x), '100+4096,7+5', 'byte-exact');
  t.strictSame(parseExtents(formatExtents(x)), x, 'round trips');
  t.strictSame(parseExtents(''), [], "'' is no sections");
  t.equal(extentBytes(x), 4101);
  for (const bad of ['1+', '+1', '1+2,', 'a+1', '1-2', '1+2+3']) t.equal(parseExtents(bad), null, `'${bad}' is malformed`);
  for (const bad of ['1+2,,3+4', ',1+2', '1+2 3+4', '1 +2']) t.equal(parseExtents(bad), null, `'${bad}' is malformed`);
  t.strictSame(
    parseExtents(' 64+4519 , 007+1'),
    [
      { lba: 64, bytes: 4519 },
      { lba: 7, bytes: 1 },
    ],
    'spaces around sections and leading zeros are read too',
  );
  t.strictSame(
    parseExtents('1234567890123456+1'),
    [{ lba: 1234567890123456, bytes: 1 }],
    'a number of 16 digits (past the digit-by-digit path) is read as Number() reads it',
  );
  t.strictSame(parseExtents('123456789012345+999999999999999'), [{ lba: 123456789012345, bytes: 999999999999999 }], 'the longest numbers read digit by digit');
  t.strictSame(
    encodeReference({ extents: '1+2', size: 2 }),
    [
      ['ISOPIPE.extents', '1+2'],
      ['ISOPIPE.size', '2'],
    ],
    'no zisofs, no md5: two records',
  );
  t.strictSame(
    encodeReference({ extents: '1+2', size: 2, zisofs: 'pz,16,15,9', md5: 'ab' }).map(([k]) => k),
    ['ISOPIPE.extents', 'ISOPIPE.size', 'ISOPIPE.zisofs', 'ISOPIPE.md5'],
  );
  const recs = new Map([
    ['extents', '1+2'],
    ['size', '2'],
  ]);
  t.strictSame(isopipeRecords(new Map(encodeIsopipeRecords(recs))), recs, 'records → pax → records');
  t.equal(isopipeRecords(new Map([['path', 'x']])), null, 'none: null');
});
