// Every on-disc structure of src/iso9660 both ways: encode → decode gives the value back, and
// fixed cases give the exact bytes (as pycdlib's unit tests do). Pure, milliseconds.
import t from 'tap';
import { decodeLongDate, decodeShortDate, decodeVolumeDate, encodeLongDate, encodeShortDate } from '../dist/iso9660/dates.js';
import { decodeRecord, DOT, DR, encodeDirectoryRecord, encodeRecordHead, FLAG_DIRECTORY, isDot, recordLength } from '../dist/iso9660/directory-record.js';
import { decodeVolumeDescriptor, encodeJolietDescriptor, encodePrimaryDescriptor, encodeTerminator, VD } from '../dist/iso9660/volume-descriptor.js';
import { decodePathTable, encodePathTable } from '../dist/iso9660/path-table.js';
import { put723, put733 } from '../dist/iso9660/numbers.js';
import {
  ceEntry,
  erEntry,
  nmEntries,
  pnEntry,
  putNm,
  putPx,
  putTf,
  pxEntry,
  slEntries,
  spEntry,
  SystemUseDecoder,
  tfEntry,
} from '../dist/iso9660/rockridge.js';
import {
  decodeAttributeEntries,
  decodeChecksumArea,
  decodeChecksumIndex,
  decodeSealPlan,
  decodeTag,
  encodeAttributeEntries,
  encodeChecksumArea,
  encodeChecksumIndex,
  encodeSuperblockSector,
  encodeTag,
  md5,
} from '../dist/iso9660/checksum-tags.js';
import { decodeZf, encodeZf, formatZf, parseZf } from '../dist/iso9660/zisofs.js';
import { isoName } from '../dist/iso9660/iso-names.js';
import { jolietIdentifier, jolietName } from '../dist/iso9660/joliet-names.js';
import { FormatProblem } from '../dist/iso9660/format-problem.js';

const hex = (b: Buffer) => b.toString('hex');
const problem = (t: Tap.Test, f: () => unknown, what: string) => {
  try {
    f();
    t.fail(`${what}: no error`);
  } catch (err) {
    t.ok(err instanceof FormatProblem, what);
  }
};

t.test('both-endian numbers: little-endian half, then big-endian', async (t) => {
  const b = Buffer.alloc(12, 0xee);
  put733(b, 2, 0x12345678);
  t.same([...b], [0xee, 0xee, 0x78, 0x56, 0x34, 0x12, 0x12, 0x34, 0x56, 0x78, 0xee, 0xee], '7.3.3, neighbours untouched');
  put733(b, 2, 2 ** 32 + 5);
  t.same([...b.subarray(2, 10)], [5, 0, 0, 0, 0, 0, 0, 5], 'taken modulo 2^32');
  put733(b, 2, -1);
  t.same([...b.subarray(2, 10)], Array(8).fill(0xff), '-1 is 0xffffffff');
  const c = Buffer.alloc(6, 0xee);
  put723(c, 1, 0xabcd);
  t.same([...c], [0xee, 0xcd, 0xab, 0xab, 0xcd, 0xee], '7.2.3');
  t.throws(() => put723(c, 1, 0x10000), RangeError, 'a 16-bit field refuses more');
  t.throws(() => put733(b, 5, 1), RangeError, 'a field past the end of the buffer is refused, not cut');
  t.throws(() => put723(c, 3, 1), RangeError);
});

t.test('dates: 7-byte form', async (t) => {
  const b = Buffer.alloc(7);
  for (const s of [-2208988800, -1, 0, 1000000000, 2147483648, 4102444800]) {
    encodeShortDate(s, b, 0);
    t.equal(decodeShortDate(b, 0), s, `${s} round trips`);
  }
  encodeShortDate(1700000000, b, 0); // 2023-11-14 22:13:20 UTC
  t.equal(hex(b), '7b0b0e160d1400', 'byte-exact: years since 1900, month, day, h, m, s, offset 0');
  t.equal(decodeShortDate(Buffer.alloc(7), 0), 0, 'all zeros: not specified');
  encodeShortDate(-1e12, b, 0);
  t.equal(decodeShortDate(b, 0), -2208988800, 'clamped to 1900');
  t.equal(decodeShortDate(Buffer.from([123, 11, 14, 22, 13, 20, 4]), 0), 1700000000 - 3600, 'a GMT offset of +1 h is taken off');
});

t.test('dates: 17-byte form', async (t) => {
  const b = Buffer.alloc(17);
  encodeLongDate(1700000000.75, b, 0);
  t.equal(b.toString('latin1', 0, 16), '2023111422132075', 'byte-exact digits, hundredths kept');
  t.equal(b[16], 0, 'GMT offset 0');
  t.equal(decodeLongDate(b, 0), 1700000000, 'TF long form: whole seconds');
  t.equal(decodeVolumeDate(b, 0)?.getTime(), 1700000000750, 'volume date: to the hundredth');
  encodeLongDate(null, b, 0);
  t.equal(b.toString('latin1', 0, 16), '0'.repeat(16), 'not specified');
  t.equal(decodeLongDate(b, 0), 0);
  t.equal(decodeVolumeDate(b, 0), null);
  b.write('2023x', 0, 'latin1');
  problem(t, () => decodeLongDate(b, 0), 'TF: malformed digits are a FormatProblem');
  t.equal(decodeVolumeDate(b, 0), null, 'volume date: malformed is null');
});

t.test('directory record head: identifier from a range, System Use left to the caller', async (t) => {
  const ids = Buffer.from('XXABCYY', 'latin1');
  const out = Buffer.alloc(200, 0xff);
  const su = encodeRecordHead({ extent: 12345, size: 67890, mtime: 1700000000, flags: FLAG_DIRECTORY }, ids, 2, 5, 4, out, 100);
  t.equal(su, 100 + 33 + 3, 'System Use starts after the odd-length identifier (no pad byte)');
  t.equal(
    hex(out.subarray(100, 140)),
    '28' + '00' + '39300000' + '00003039' + '32090100' + '00010932' + '7b0b0e160d1400' + '02' + '0000' + '01000001' + '03' + '414243' + 'ffffffff',
    'byte-exact, the same fields as encodeDirectoryRecord; the 4 bytes of System Use not written',
  );
  t.equal(out[99], 0xff, 'nothing before the record is touched');
  t.equal(out[140], 0xff, 'nothing after it');
  const padded = Buffer.alloc(64, 0xff);
  t.equal(encodeRecordHead({ extent: 1, size: 2, mtime: 0, flags: 0 }, ids, 2, 5, 3, padded, 0), 36, 'odd System Use after an odd identifier');
  t.equal(padded[0], 40, '33 + 3 + 3, and a pad to even');
  t.equal(padded[39], 0, 'the last pad byte is zero in a buffer that was not');
  t.equal(padded[36], 0xff, 'System Use not written');
  const even = Buffer.alloc(64, 0xff);
  t.equal(
    encodeRecordHead({ extent: 1, size: 2, mtime: 0, flags: 0 }, ids, 2, 4, 0, even, 0),
    33 + 2 + 1,
    'an even-length identifier is followed by a pad byte',
  );
  t.equal(even[0], 36, 'the record counts it');
  t.equal(even[35], 0, 'the pad byte is zero in a buffer that was not');
  t.equal(even[36], 0xff, 'and the record ends there');
  t.throws(() => encodeRecordHead({ extent: 1, size: 2, mtime: 0, flags: 0 }, ids, 2, 4, 0, even, 40), RangeError, 'a record that does not fit is refused');
});

t.test('Rock Ridge entries written in place are the entries the encoders return', async (t) => {
  const out = Buffer.alloc(400, 0xff);
  putPx(out, 10, 0o100644, 2, 1000, 1001, 77);
  t.equal(
    hex(out.subarray(10, 54)),
    '50582c01' + 'a4810000000081a4' + '0200000000000002' + 'e8030000000003e8' + 'e9030000000003e9' + '4d0000000000004d',
    'byte-exact PX',
  );
  t.same(out.subarray(10, 54), pxEntry(0o100644, 2, 1000, 1001, 77));
  t.equal(out[9], 0xff, 'PX: the byte before untouched');
  t.equal(out[54], 0xff, 'PX: the byte after untouched');
  putTf(out, 60, 1700000000, 1700000000, 1600000000);
  t.equal(
    hex(out.subarray(60, 86)),
    '54461a01' + '0e' + '7b0b0e160d1400' + '7b0b0e160d1400' + '78090d0c1a2800',
    'byte-exact TF: 2023-11-14 22:13:20 twice, then 2020-09-13 12:26:40',
  );
  t.same(out.subarray(60, 86), tfEntry(1700000000, 1700000000, 1600000000));
  t.equal(out[86], 0xff, 'TF: the byte after untouched');
  const name = 'n'.repeat(250);
  putNm(out, 100, name, 0);
  putNm(out, 350, name, 1);
  const [first, second] = nmEntries(Buffer.from(name, 'latin1'));
  t.equal(hex(out.subarray(100, 105)), '4e4dfa01' + '01', 'NM part 0: 250 bytes, CONTINUE');
  t.equal(hex(out.subarray(350, 360)), '4e4d0a01' + '00' + '6e6e6e6e6e', 'NM part 1: the last 5 bytes');
  t.same(out.subarray(100, 350), first);
  t.same(out.subarray(350, 360), second);
  t.equal(out[360], 0xff, 'NM: the byte after untouched');
});

t.test('directory record', async (t) => {
  const su = [Buffer.from('PX', 'latin1'), Buffer.from('..', 'latin1')]; // entries, one after the other
  const rec = { extent: 12345, size: 67890, mtime: 1700000000, flags: FLAG_DIRECTORY, identifier: Buffer.from('ABC'), systemUse: su };
  const out = Buffer.alloc(2048);
  const len = encodeDirectoryRecord(rec, out, 100);
  t.equal(len, recordLength(3, 4), 'length as recordLength says');
  t.equal(len, 40, '33 + 3 (odd: no pad) + 4 = 40');
  const d = decodeRecord(out, 100)!;
  t.strictSame(
    {
      length: d.length,
      extent: d.extent,
      size: d.size,
      mtime: d.mtime,
      flags: d.flags,
      identifier: d.identifier.toString(),
      systemUse: d.systemUse.toString('latin1'),
    },
    { length: 40, extent: 12345, size: 67890, mtime: 1700000000, flags: 2, identifier: 'ABC', systemUse: 'PX..' },
  );
  t.equal(
    hex(out.subarray(100, 100 + len)),
    '28' + '00' + '39300000' + '00003039' + '32090100' + '00010932' + '7b0b0e160d1400' + '02' + '0000' + '01000001' + '03' + '414243' + '50582e2e',
    'byte-exact: both-endian extent, size and volume sequence number',
  );
  t.equal(out[100 + DR.flags], FLAG_DIRECTORY);
  // Into a buffer of 0xff bytes: every byte of the record is written, both pads zero.
  const dirty = Buffer.alloc(80, 0xff);
  const even = encodeDirectoryRecord({ ...rec, identifier: Buffer.from('AB'), systemUse: [Buffer.from('PX.', 'latin1')] }, dirty, 1);
  t.equal(even, 33 + 2 + 1 + 3 + 1, 'an even identifier, then its pad; odd System Use, then the last pad');
  t.equal(
    hex(dirty.subarray(1, 1 + even)),
    '28' + '00' + '39300000' + '00003039' + '32090100' + '00010932' + '7b0b0e160d1400' + '02' + '0000' + '01000001' + '02' + '4142' + '00' + '50582e' + '00',
    'byte-exact, pads included',
  );
  t.equal(dirty[1 + even], 0xff, 'the byte after untouched');
  const dot = Buffer.alloc(34);
  encodeDirectoryRecord({ extent: 1, size: 2048, mtime: 0, flags: FLAG_DIRECTORY, identifier: DOT }, dot, 0);
  t.ok(isDot(decodeRecord(dot, 0)!), '. comes back as .');
  t.equal(decodeRecord(Buffer.alloc(34), 0), null, 'LEN_DR 0: the rest of the sector is fill');
  const bad = Buffer.from(dot);
  bad[0] = 20;
  problem(t, () => decodeRecord(bad, 0), 'a record shorter than 34 bytes');
});

t.test('names', async (t) => {
  t.equal(isoName(Buffer.from('README.TXT;1'), false), 'README.TXT');
  t.equal(isoName(Buffer.from('MAKEFILE.;1'), false), 'MAKEFILE', 'version and trailing dot dropped');
  t.equal(isoName(Buffer.from('DIR.X'), true), 'DIR.X', 'directories keep theirs');
  for (const name of ['plain.txt', 'ünïcödé', 'emoji 😀.bin']) {
    const id = jolietIdentifier(name);
    t.equal(Buffer.from(jolietName(id, true), 'latin1').toString('utf8'), name, `Joliet ${name} round trips`);
  }
  t.equal(hex(jolietIdentifier('Ab')), '00410062', 'byte-exact UCS-2 big-endian');
});

t.test('volume descriptors', async (t) => {
  const id = { systemId: 'LINUX', volumeId: 'CDROM', volumeSetId: 'SET', publisherId: 'PUB', preparerId: 'PREP', applicationId: 'APP', date: 1700000000 };
  const root = Buffer.alloc(34);
  encodeDirectoryRecord({ extent: 40, size: 2048, mtime: 1700000000, flags: FLAG_DIRECTORY, identifier: DOT }, root, 0);
  const geo = { volumeSpaceSize: 123, pathTableSize: 10, lPathTable: 19, mPathTable: 20, rootRecord: root };
  const p = encodePrimaryDescriptor(id, geo);
  t.equal(p.length, 2048);
  t.equal(hex(p.subarray(0, 8)), '01' + Buffer.from('CD001').toString('hex') + '0100', 'byte-exact: type, CD001, version');
  const d = decodeVolumeDescriptor(p);
  t.match(d, {
    type: 1,
    version: 1,
    jolietLevel: 0,
    systemId: 'LINUX',
    volumeId: 'CDROM',
    volumeSpaceSize: 123,
    logicalBlockSize: 2048,
    pathTableSize: 10,
    lPathTable: 19,
    mPathTable: 20,
    root: { extent: 40, size: 2048, flags: FLAG_DIRECTORY },
    volumeSetId: 'SET',
    publisherId: 'PUB',
    preparerId: 'PREP',
    applicationId: 'APP',
  });
  t.equal(d.created?.getTime(), 1700000000000);
  t.equal(d.modified?.getTime(), 1700000000000);
  t.equal(p[VD.fileStructureVersion], 1);
  const j = decodeVolumeDescriptor(encodeJolietDescriptor(id, geo));
  t.match(j, { type: 2, jolietLevel: 3, volumeSpaceSize: 123, root: { extent: 40 } });
  const term = encodeTerminator();
  t.equal(hex(term.subarray(0, 7)), 'ff' + Buffer.from('CD001').toString('hex') + '01', 'byte-exact terminator');
  t.ok(term.subarray(7).every((x) => x === 0));
  t.throws(() => decodeVolumeDescriptor(term), /not a primary or supplementary/);
});

t.test('path tables', async (t) => {
  const entries = [
    { identifier: Buffer.from([0]), extent: 40, parent: 1 },
    { identifier: Buffer.from('A'), extent: 41, parent: 1 },
    { identifier: Buffer.from('BB'), extent: 70000, parent: 2 },
  ];
  for (const little of [true, false]) {
    const b = encodePathTable(entries, little);
    const d = decodePathTable(b, little);
    t.equal(d.malformedAt, null);
    t.strictSame(
      d.entries.map(({ identifier, extent, parent }) => ({ identifier: hex(identifier), extent, parent })),
      entries.map((e) => ({ ...e, identifier: hex(e.identifier) })),
      `${little ? 'L' : 'M'} round trips`,
    );
    t.strictSame(
      d.entries.map((e) => e.offset),
      [0, 10, 20],
    );
  }
  t.equal(hex(encodePathTable(entries.slice(2), true)), '0200' + '70110100' + '0200' + '4242', 'byte-exact L record');
  t.equal(hex(encodePathTable(entries.slice(2), false)), '0200' + '00011170' + '0002' + '4242', 'byte-exact M record');
  const cut = encodePathTable(entries, true).subarray(0, 25);
  t.strictSame(decodePathTable(cut, true).malformedAt, 20, 'a record cut short stops decoding where it starts');
});

t.test('SUSP and Rock Ridge entries', async (t) => {
  t.equal(hex(spEntry()), '5350070' + '1beef00', 'byte-exact SP');
  t.equal(hex(ceEntry(1, 2, 3)).length, 56, 'CE is 28 bytes');
  const long = Buffer.from('n'.repeat(255), 'latin1'); // two NM entries, the longest name read
  const target = Buffer.from('/abs//x/../' + 't'.repeat(300) + '/./end/', 'latin1');
  const dec = new SystemUseDecoder();
  const ce = dec.feed(
    Buffer.concat([
      spEntry(),
      erEntry(),
      pxEntry(0o100644, 2, 1000, 1001, 77),
      tfEntry(1700000000, 1600000000, -1000000000),
      pnEntry(8, 1),
      ...nmEntries(long),
      ...slEntries(target),
      ceEntry(50, 100, 200),
    ]),
  );
  t.strictSame(ce, { block: 50, offset: 100, length: 200 }, 'CE comes back');
  t.match(dec.rr, {
    spSkip: 0,
    extensions: true,
    mode: 0o100644,
    nlink: 2,
    uid: 1000,
    gid: 1001,
    serial: 77,
    mtime: 1700000000,
    atime: 1600000000,
    ctime: -1000000000,
    name: long.toString('latin1'),
    target: target.toString('latin1'),
    any: true,
  });
  t.match(dec.rr, { devHigh: 0, devLow: (8 << 8) | 1 }, 'PN: a number the kernel splits as major 8, minor 1');
  const sl = slEntries(Buffer.from('a/b'));
  t.equal(hex(sl[0]), '534c0b01' + '00' + '000161' + '000162', 'byte-exact SL: two components');
  t.equal(hex(nmEntries(Buffer.from('ab'))[0]), '4e4d0701' + '00' + '6162', 'byte-exact NM');
});

t.test('checksum tags and AAIP attributes', async (t) => {
  const tag = { type: 'tree' as const, pos: 100, rangeStart: 32, rangeSize: 68, next: 101, md5: md5(Buffer.from('x')) };
  const d = decodeTag(encodeTag(tag))!;
  t.match(d, { type: 'tree', pos: 100, rangeStart: 32, rangeSize: 68, next: 101, selfOk: true });
  t.ok(d.md5.equals(tag.md5));
  const plan = { tree: 1, array: 2, entries: 3, session: 4 };
  t.strictSame(
    decodeSealPlan(encodeSuperblockSector({ pos: 48, rangeStart: 32, rangeSize: 16, next: 100, md5: tag.md5 }, plan)),
    plan,
    'seal plan round trips',
  );
  const attrs = [
    { name: 'isofs.cx', value: encodeChecksumIndex(5) },
    { name: 'user.x', value: Buffer.alloc(600, 7) },
  ];
  const back = decodeAttributeEntries(encodeAttributeEntries(attrs));
  t.strictSame(
    back.map((a) => [a.name, hex(a.value)]),
    attrs.map((a) => [a.name, hex(a.value)]),
    'AL entries round trip, long values split',
  );
  t.equal(decodeChecksumIndex(encodeChecksumIndex(70000)), 70000);
  t.match(decodeChecksumArea(encodeChecksumArea({ start: 32, end: 1000, count: 12 })), { start: 32, end: 1000, count: 12, size: 16, algorithm: 'MD5' });
});

t.test('ZF entry and its pax text', async (t) => {
  const zf = { algorithm: 'pz', headerSize: 16, blockLog2: 15, size: 123456 };
  const b = encodeZf(zf);
  t.match(decodeZf(b, 0, b.length), zf);
  t.match(parseZf(formatZf(zf)), zf);
});
