// Sense data: fixed and descriptor formats to key/ASC/ASCQ, the meanings burners print, and
// how each condition is treated (retried, no medium, fatal).
import t from 'tap';
import { classifySense, decodeSense, describeSense, senseCode } from '../src/drive/sense.js';
import { descriptorSense, fixedSense } from './helpers/fake-drive.js';

t.test('fixed format', async (t) => {
  // wodim's sense for READ TOC on a blank CD-R on the emulated drive (from its output).
  const s = decodeSense(Buffer.from('70 00 05 00 00 00 00 0A 00 00 00 00 24 00 00 00'.split(' ').map((x) => parseInt(x, 16))))!;
  t.same([s.responseCode, s.key, s.asc, s.ascq, s.information, s.progress], [0x70, 5, 0x24, 0, null, null]);
  t.equal(describeSense(s), 'invalid field in CDB (5/24/00)');
  // VALID bit: information field holds the failing LBA.
  const w = fixedSense(3, 0x0c, 0);
  w[0] = 0xf0;
  w.writeUInt32BE(123456, 3);
  const ws = decodeSense(w)!;
  t.same([ws.key, ws.information, describeSense(ws)], [3, 123456, 'write error (3/0C/00)']);
  // Deferred errors (71h) decode the same way.
  t.equal(decodeSense(Buffer.from([0x71, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x08]))!.ascq, 8);
  // Progress of a long operation (SKSV, bytes 16-17).
  const p = fixedSense(2, 0x04, 0x07);
  const withProgress = Buffer.concat([p, Buffer.alloc(0)]);
  withProgress[15] = 0x80;
  withProgress.writeUInt16BE(0x8000, 16);
  t.equal(decodeSense(withProgress)!.progress, 0x8000);
  // A truncated sense buffer still gives the key.
  t.same(decodeSense(Buffer.from([0x70, 0, 0x06]))!.key, 6);
});

t.test('descriptor format', async (t) => {
  const s = decodeSense(descriptorSense(2, 0x3a, 0x01))!;
  t.same([s.responseCode, s.key, s.asc, s.ascq], [0x72, 2, 0x3a, 1]);
  t.equal(describeSense(s), 'medium not present (2/3A/01)');
  // Information descriptor (type 00h) and sense-key-specific progress (type 02h).
  const b = Buffer.from([0x72, 3, 0x0c, 0x00, 0, 0, 0, 20, 0x00, 0x0a, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x39, 0x02, 0x06, 0, 0, 0x80, 0x40, 0x00, 0]);
  const d = decodeSense(b)!;
  t.same([d.information, d.progress], [12345, 0x4000]);
});

t.test('no sense', async (t) => {
  t.equal(decodeSense(Buffer.alloc(0)), null);
  t.equal(decodeSense(Buffer.alloc(18)), null);
  t.equal(decodeSense(Buffer.from([0x7f, 0, 0])), null);
});

t.test('meanings and classes', async (t) => {
  const cases: [number, number, number, string, string][] = [
    [2, 0x04, 0x01, 'becoming ready', 'retry'],
    [2, 0x04, 0x08, 'long write in progress', 'retry'],
    [2, 0x04, 0x07, 'operation in progress', 'retry'],
    [2, 0x04, 0x04, 'format in progress', 'retry'],
    [2, 0x04, 0x00, 'not ready, cause not reportable', 'retry'],
    [2, 0x04, 0x02, 'not ready, initializing command required', 'fatal'],
    [2, 0x3a, 0x00, 'medium not present', 'no-medium'],
    [2, 0x3a, 0x02, 'medium not present', 'no-medium'],
    [6, 0x28, 0x00, 'medium may have changed', 'medium-changed'],
    [6, 0x29, 0x00, 'power on, reset or bus device reset occurred', 'retry'],
    [5, 0x20, 0x00, 'invalid command operation code', 'fatal'],
    [5, 0x24, 0x00, 'invalid field in CDB', 'fatal'],
    [5, 0x21, 0x02, 'invalid address for write', 'fatal'],
    [5, 0x30, 0x09, 'current session not fixated for append', 'fatal'],
    [3, 0x0c, 0x09, 'write error, loss of streaming (buffer underrun)', 'fatal'],
    [7, 0x27, 0x00, 'write protected', 'fatal'],
    [5, 0x63, 0x00, 'end of user area encountered on this track', 'fatal'],
    [1, 0x17, 0x01, 'recovered error', 'recovered'],
    [0xb, 0x47, 0x00, 'aborted command', 'retry'],
  ];
  for (const [k, a, q, meaning, cls] of cases) {
    const s = decodeSense(fixedSense(k, a, q))!;
    t.equal(describeSense(s), `${meaning} (${senseCode(s)})`, meaning);
    t.equal(classifySense(s), cls, `${senseCode(s)} is ${cls}`);
  }
});
