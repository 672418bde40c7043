// The write-side MMC codecs byte for byte: every CDB the burn sends and every parameter
// list, against MMC's layouts and what cdrecord and cdrskin send (the page 05h bytes are
// the ones cdrskin sent to the emulated recorder: test/fixtures/drive/).
import t from 'tap';
import {
  CloseFunction,
  blank,
  cdTaoDataParameters,
  closeTrackSession,
  decodeBufferCapacity,
  decodeWriteParametersPage,
  dvdMinusRIncrementalParameters,
  encodeWriteParametersPage,
  formatParameterList,
  formatUnit,
  modeSelect10,
  modeSelectParameterList,
  performanceDescriptor,
  preventAllowMediumRemoval,
  readBufferCapacity,
  reserveTrack,
  setCdSpeed,
  setStreaming,
  speedKBps,
  startStopUnit,
  synchronizeCache,
  testUnitReady,
  write10,
} from '../dist/drive/write-commands.js';

const hex = (b: Buffer) =>
  b
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ')
    .toUpperCase();

t.test('page 05h for a CD TAO data track, -multi, as cdrskin sends it', async (t) => {
  const page = encodeWriteParametersPage(cdTaoDataParameters({ multi: true, testWrite: false, bufe: false }), 0x32);
  t.equal(page.length, 0x34);
  // cdrskin -multi -tao -data on the emulated CD-R: 05 32 01 C4 08 00 00 00 00 00 00 00 00 00 00 96, zeros after.
  t.equal(hex(page.subarray(0, 16)), '05 32 01 C4 08 00 00 00 00 00 00 00 00 00 00 96');
  t.ok(
    page.subarray(16).every((x) => x === 0),
    'MCN, ISRC, sub-header, vendor bytes zero',
  );
  const list = modeSelectParameterList(page);
  t.equal(list.length, 60, "8-byte header + 52-byte page: cdrskin's MODE SELECT length 3Ch");
  t.equal(hex(modeSelect10(list.length)), '55 10 00 00 00 00 00 00 3C 00');
  t.ok(
    list.subarray(0, 8).every((x) => x === 0),
    'mode parameter header all zero, no block descriptor',
  );
});

t.test('page 05h variants: finalize, BURN-Free, test write, 36h length, DVD-R incremental', async (t) => {
  t.equal(
    hex(encodeWriteParametersPage(cdTaoDataParameters({ multi: false, testWrite: false, bufe: true })).subarray(0, 5)),
    '05 32 41 04 08',
    'BUFE + TAO, multi 00b',
  );
  t.equal(
    hex(encodeWriteParametersPage(cdTaoDataParameters({ multi: true, testWrite: true, bufe: true })).subarray(0, 5)),
    '05 32 51 C4 08',
    'cdrecord -dummy -multi: 51h C4h',
  );
  const long = encodeWriteParametersPage(cdTaoDataParameters({ multi: true, testWrite: false, bufe: false }), 0x36);
  t.equal(long.length, 0x38);
  t.equal(long[1], 0x36);
  const dvd = encodeWriteParametersPage(dvdMinusRIncrementalParameters({ multi: true, testWrite: false, bufe: true }));
  t.equal(hex(dvd.subarray(0, 16)), '05 32 60 E5 08 10 00 00 00 00 00 00 00 10 00 96', 'BUFE+LS_V, packet; multi, FP, mode 5; link size 16; packet size 16');
  t.throws(() => encodeWriteParametersPage(cdTaoDataParameters({ multi: true, testWrite: false, bufe: false }), 0x20), /page length/);
});

t.test('page 05h decodes what it encodes, PS masked on select', async (t) => {
  const p = cdTaoDataParameters({ multi: true, testWrite: true, bufe: true });
  const page = encodeWriteParametersPage(p, 0x36);
  t.same(decodeWriteParametersPage(page), { ...p, pageLength: 0x36 });
  const withPs = Buffer.from(page);
  withPs[0] |= 0x80;
  t.equal(modeSelectParameterList(withPs)[8], 0x05, 'PS bit cleared');
  t.throws(() => decodeWriteParametersPage(Buffer.alloc(16)), /not a write parameters page/);
});

t.test('WRITE(10), SYNCHRONIZE CACHE, CLOSE TRACK/SESSION, RESERVE TRACK', async (t) => {
  t.equal(hex(write10(0, 32)), '2A 00 00 00 00 00 00 00 20 00');
  t.equal(hex(write10(0x1234, 16)), '2A 00 00 00 12 34 00 00 10 00', "cdrskin's form");
  t.equal(hex(write10(-150, 1)), '2A 00 FF FF FF 6A 00 00 01 00', 'signed LBA of a CD pregap');
  t.throws(() => write10(0, 0x10000));
  t.equal(hex(synchronizeCache()), '35 00 00 00 00 00 00 00 00 00');
  t.equal(hex(synchronizeCache(true)), '35 02 00 00 00 00 00 00 00 00', 'Immed, as cdrskin');
  t.equal(hex(closeTrackSession(CloseFunction.SESSION, 0, true)), '5B 01 02 00 00 00 00 00 00 00', 'cdrskin closing a CD session');
  t.equal(hex(closeTrackSession(CloseFunction.TRACK, 1, true)), '5B 01 01 00 00 01 00 00 00 00', 'cdrskin closing DVD+R track 1');
  t.equal(hex(closeTrackSession(CloseFunction.FINALIZE, 0)), '5B 00 06 00 00 00 00 00 00 00');
  t.equal(hex(closeTrackSession(CloseFunction.FINALIZE_MINIMAL, 0x102)), '5B 00 05 00 01 02 00 00 00 00');
  t.equal(hex(reserveTrack(0x20)), '53 00 00 00 00 00 00 00 20 00');
  t.equal(hex(reserveTrack(0x01020304)), '53 00 00 00 00 01 02 03 04 00');
});

t.test('speed: SET CD SPEED, SET STREAMING and its descriptor', async (t) => {
  t.equal(speedKBps(1, 'cd'), 177);
  t.equal(speedKBps(2, 'cd'), 353, 'cdrecord speed=2: 352.8 kB/s rounded up');
  t.equal(speedKBps(4, 'dvd'), 5540);
  t.equal(speedKBps(2, 'bd'), 8991);
  t.equal(speedKBps(1000, 'bd'), 0xffff, 'capped at the field');
  t.equal(hex(setCdSpeed(353)), 'BB 00 FF FF 01 61 00 00 00 00 00 00');
  t.equal(hex(setCdSpeed(0xffff, 0x1e78)), 'BB 00 1E 78 FF FF 00 00 00 00 00 00');
  t.equal(hex(setStreaming()), 'B6 00 00 00 00 00 00 00 00 00 1C 00', "cdrskin's CDB: 28-byte list");
  const d = performanceDescriptor(2_295_103, 5540);
  t.equal(hex(d), '00 00 00 00 00 00 00 00 00 23 05 3F 00 00 15 A4 00 00 03 E8 00 00 15 A4 00 00 03 E8');
});

t.test('READ BUFFER CAPACITY, START STOP UNIT, PREVENT ALLOW, TEST UNIT READY', async (t) => {
  t.equal(hex(readBufferCapacity()), '5C 00 00 00 00 00 00 00 0C 00', 'as cdrskin');
  t.same(decodeBufferCapacity(Buffer.from('000a000000400000001c0000', 'hex')), { size: 0x400000, free: 0x1c0000 });
  t.throws(() => decodeBufferCapacity(Buffer.alloc(8)), /too short/);
  t.equal(hex(startStopUnit(true)), '1B 00 00 00 02 00', 'eject');
  t.equal(hex(startStopUnit(false, true)), '1B 01 00 00 03 00', 'load');
  t.equal(hex(preventAllowMediumRemoval(true)), '1E 00 00 00 01 00');
  t.equal(hex(preventAllowMediumRemoval(false)), '1E 00 00 00 00 00');
  t.equal(hex(testUnitReady()), '00 00 00 00 00 00');
});

t.test('BLANK and FORMAT UNIT', async (t) => {
  t.equal(hex(blank('fast')), 'A1 11 00 00 00 00 00 00 00 00 00 00', 'cdrecord blank=fast: minimal, Immed');
  t.equal(hex(blank('all', false)), 'A1 00 00 00 00 00 00 00 00 00 00 00');
  t.equal(hex(formatUnit()), '04 11 00 00 00 00');
  t.equal(hex(formatParameterList(0x26, 0xffffffff)), '00 02 00 08 FF FF FF FF 98 00 00 00', 'DVD+RW full format (growisofs)');
  t.equal(hex(formatParameterList(0x30, 11_826_176, 0x000000, false)), '00 00 00 08 00 B4 74 00 C0 00 00 00', 'BD-RE with spare areas');
});
