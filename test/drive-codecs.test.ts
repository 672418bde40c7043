// The MMC read-side codecs byte for byte: every CDB against what MMC lays out (and what
// wodim/cdrskin sent to the emulated drive, from its command trace), every reply decoded
// from bytes built field by field.
import t from 'tap';
import * as mmc from '../src/drive/mmc.js';
import { profileInfo, profileLabel } from '../src/drive/profiles.js';

const hex = (b: Buffer) => [...b].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');

t.test('CDBs', async (t) => {
  t.equal(hex(mmc.testUnitReadyCdb()), '00 00 00 00 00 00');
  // wodim and cdrskin both send exactly this INQUIRY.
  t.equal(hex(mmc.inquiryCdb()), '12 00 00 00 24 00');
  // The READ DISC INFORMATION cdrskin sends (34 bytes).
  t.equal(hex(mmc.readDiscInformationCdb()), '51 00 00 00 00 00 00 00 22 00');
  // cdrskin: RTI of the invisible track, 20 bytes; ours asks the whole 48-byte reply.
  t.equal(hex(mmc.readTrackInformationCdb('track', 0xff, 0x14)), '52 01 00 00 00 FF 00 00 14 00');
  t.equal(hex(mmc.readTrackInformationCdb('track', 2)), '52 01 00 00 00 02 00 00 30 00');
  t.equal(hex(mmc.readTrackInformationCdb('lba', 0x12345)), '52 00 00 01 23 45 00 00 30 00');
  t.equal(hex(mmc.readTrackInformationCdb('lba', -150)), '52 00 FF FF FF 6A 00 00 30 00');
  // wodim's session-info READ TOC (format 1 in byte 2, 4 bytes) and ours (12 bytes).
  t.equal(hex(mmc.readTocCdb(1, 0, 4)), '43 00 01 00 00 00 00 00 04 00');
  t.equal(hex(mmc.readTocCdb(1)), '43 00 01 00 00 00 00 00 0C 00');
  t.equal(hex(mmc.readTocCdb(0)), '43 00 00 00 00 00 00 10 00 00');
  t.equal(hex(mmc.readTocCdb(2, 1, 0x1000)), '43 00 02 00 00 00 01 10 00 00');
  // libburn's first GET CONFIGURATION (all features, 8 bytes) and ours (profile list only).
  t.equal(hex(mmc.getConfigurationCdb(0, 0, 8)), '46 00 00 00 00 00 00 00 08 00');
  t.equal(hex(mmc.getConfigurationCdb()), '46 02 00 00 00 00 00 04 00 00');
  t.equal(hex(mmc.getConfigurationCdb(1, 0x002d, 0x20)), '46 01 00 2D 00 00 00 00 20 00');
  t.equal(hex(mmc.readCapacityCdb()), '25 00 00 00 00 00 00 00 00 00');
  t.equal(hex(mmc.read10Cdb(0x01020304, 32)), '28 00 01 02 03 04 00 00 20 00');
  t.throws(() => mmc.read10Cdb(0, 0x10000), RangeError);
  t.equal(hex(mmc.modeSense10Cdb(0x05)), '5A 08 05 00 00 00 00 00 FF 00');
  t.equal(hex(mmc.modeSense10Cdb(0x2a, 1, 0x40)), '5A 08 6A 00 00 00 00 00 40 00');
});

t.test('INQUIRY', async (t) => {
  const b = Buffer.alloc(36, 0x20);
  b[0] = 0x05;
  b[1] = 0x80;
  b.fill(0, 2, 8);
  b.write('CDEmu', 8, 'latin1');
  b.write('CD-ROM', 16, 'latin1');
  b.write('1.0', 32, 'latin1');
  t.same(mmc.decodeInquiry(b), { deviceType: 5, qualifier: 0, removable: true, vendor: 'CDEmu', product: 'CD-ROM', revision: '1.0' });
  b[0] = 0x60; // qualifier 3, type 0: a disk that is not there
  const d = mmc.decodeInquiry(b);
  t.equal(d.deviceType, 0);
  t.equal(d.qualifier, 3);
  t.throws(() => mmc.decodeInquiry(Buffer.alloc(0)), mmc.ReplyError);
  // Short replies keep what they have.
  t.equal(mmc.decodeInquiry(b.subarray(0, 20)).product, 'CD-R');
});

t.test('GET CONFIGURATION', async (t) => {
  // Header (data length 4 + 8 + 8 + 4), current profile 0x001B; profile list feature with
  // DVD+R (current) and CD-R; then feature 0x002D (TAO) version 2, persistent, current.
  const b = Buffer.from([
    0x00, 0x00, 0x00, 0x1c, 0, 0, 0x00, 0x1b, 0x00, 0x00, 0x03, 0x08, 0x00, 0x1b, 0x01, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x2d, 0x0b, 0x04, 0x46, 0x00, 0x00,
    0x10,
  ]);
  const c = mmc.decodeConfiguration(b);
  t.equal(c.currentProfile, 0x1b);
  t.same(c.profiles, [
    { code: 0x1b, current: true },
    { code: 0x09, current: false },
  ]);
  t.equal(c.features.length, 2);
  t.same({ ...c.features[1], data: [...c.features[1].data] }, { code: 0x2d, version: 2, persistent: true, current: true, data: [0x46, 0, 0, 0x10] });
  // Only the header (libburn's first 8-byte probe).
  t.same(mmc.decodeConfiguration(b.subarray(0, 8)), { currentProfile: 0x1b, features: [], profiles: [] });
  t.throws(() => mmc.decodeConfiguration(Buffer.alloc(4)), mmc.ReplyError);
});

t.test('profiles', async (t) => {
  const names: [number, string, string, string | null][] = [
    [0x08, 'CD-ROM', 'rom', null],
    [0x09, 'CD-R', 'sequential', 'invisible'],
    [0x0a, 'CD-RW', 'sequential', 'invisible'],
    [0x10, 'DVD-ROM', 'rom', null],
    [0x11, 'DVD-R sequential recording', 'sequential', 'last-track'],
    [0x12, 'DVD-RAM', 'overwritable', null],
    [0x13, 'DVD-RW restricted overwrite', 'overwritable', null],
    [0x14, 'DVD-RW sequential recording', 'sequential', 'last-track'],
    [0x1a, 'DVD+RW', 'overwritable', null],
    [0x1b, 'DVD+R', 'sequential', 'invisible'],
    [0x2b, 'DVD+R/DL', 'sequential', 'invisible'],
    [0x40, 'BD-ROM', 'rom', null],
    [0x41, 'BD-R sequential recording', 'sequential', 'last-track'],
    [0x42, 'BD-R random recording', 'overwritable', null],
    [0x43, 'BD-RE', 'overwritable', null],
  ];
  for (const [code, name, kind, nwaBy] of names) {
    const p = profileInfo(code);
    t.same([p.name, p.kind, p.nwaBy], [name, kind, nwaBy], name);
  }
  t.equal(profileLabel(0x41), '0x0041 BD-R sequential recording');
  t.equal(profileInfo(0).name, 'no current profile');
  t.equal(profileInfo(0x50).name, 'unknown profile 0x0050');
});

function discInfo(fields: Partial<Record<number, number>>): Buffer {
  const b = Buffer.alloc(34);
  b.writeUInt16BE(32, 0);
  for (const [k, v] of Object.entries(fields)) b[Number(k)] = v!;
  return b;
}

t.test('READ DISC INFORMATION', async (t) => {
  // cdemu after one -multi session on CD-R: appendable, last session empty, 2 sessions,
  // first/last track in last session 2.
  const a = mmc.decodeDiscInformation(discInfo({ 2: 0x01, 3: 1, 4: 2, 5: 2, 6: 2 }));
  t.same(
    {
      status: a.status,
      last: a.lastSessionState,
      erasable: a.erasable,
      first: a.firstTrack,
      sessions: a.sessions,
      ftls: a.firstTrackInLastSession,
      ltls: a.lastTrackInLastSession,
    },
    { status: 'appendable', last: 'empty', erasable: false, first: 1, sessions: 2, ftls: 2, ltls: 2 },
  );
  t.equal(mmc.decodeDiscInformation(discInfo({ 2: 0x00 })).status, 'blank');
  const closed = mmc.decodeDiscInformation(discInfo({ 2: 0x0e, 4: 3, 6: 3 }));
  t.same([closed.status, closed.lastSessionState], ['complete', 'complete']);
  const rw = mmc.decodeDiscInformation(discInfo({ 2: 0x1f, 7: 0x03 }));
  t.same([rw.status, rw.erasable, rw.backgroundFormat, rw.lastSessionState], ['other', true, 3, 'complete']);
  t.equal(mmc.decodeDiscInformation(discInfo({ 2: 0x05 })).lastSessionState, 'incomplete');
  t.equal(mmc.decodeDiscInformation(discInfo({ 2: 0x09 })).lastSessionState, 'damaged');
  // 16-bit counts: MSBs in bytes 9-11.
  const wide = mmc.decodeDiscInformation(discInfo({ 2: 1, 4: 0x2c, 9: 0x01, 5: 0x2d, 10: 0x01, 6: 0x2e, 11: 0x01 }));
  t.same([wide.sessions, wide.firstTrackInLastSession, wide.lastTrackInLastSession], [300, 301, 302]);
  // Lead-in / last possible lead-out (MSF on CD): 79:59:74 is the lead-out of a 80 min CD-R.
  const b = discInfo({ 2: 1 });
  b.writeUInt32BE(0x00614f4a, 20);
  b.writeUInt32BE(0x00610a00, 16);
  const m = mmc.decodeDiscInformation(b);
  t.equal(mmc.msfFieldToLba(m.lastPossibleLeadOut), (97 * 60 + 79) * 75 + 74 - 450150);
  t.equal(mmc.msfFieldToLba(0x004f3b4a), 359849); // 79:59:74
  t.equal(mmc.msfToLba(0, 2, 0), 0);
  t.throws(() => mmc.decodeDiscInformation(Buffer.alloc(6)), mmc.ReplyError);
});

function trackInfo(f: {
  track?: number;
  session?: number;
  b5?: number;
  b6?: number;
  b7?: number;
  start?: number;
  nwa?: number;
  free?: number;
  size?: number;
  lra?: number;
  msb?: [number, number];
  length?: number;
}): Buffer {
  const b = Buffer.alloc(f.length ?? 48);
  b.writeUInt16BE((f.length ?? 48) - 2, 0);
  b[2] = f.track ?? 1;
  b[3] = f.session ?? 1;
  b[5] = f.b5 ?? 0;
  b[6] = f.b6 ?? 0;
  b[7] = f.b7 ?? 0;
  b.writeInt32BE(f.start ?? 0, 8);
  b.writeInt32BE(f.nwa ?? 0, 12);
  b.writeInt32BE(f.free ?? 0, 16);
  b.writeInt32BE(f.size ?? 0, 24);
  if (b.length >= 32) b.writeInt32BE(f.lra ?? 0, 28);
  if (f.msb && b.length >= 34) [b[32], b[33]] = f.msb;
  return b;
}

t.test('READ TRACK INFORMATION', async (t) => {
  // cdemu's CD-R track 1 after a 300-sector TAO session: start -150 (pregap counted), size 450.
  const done = mmc.decodeTrackInformation(trackInfo({ track: 1, session: 1, b5: 0x04, b6: 0x01, start: -150, size: 450 }));
  t.same(
    [done.track, done.session, done.trackMode, done.dataMode, done.blank, done.damage, done.reserved, done.nwaValid, done.start, done.size],
    [1, 1, 4, 1, false, false, false, false, -150, 450],
  );
  // The invisible track: blank, NWA valid.
  const next = mmc.decodeTrackInformation(trackInfo({ track: 2, session: 2, b5: 0x04, b6: 0x41, b7: 0x01, start: 450, nwa: 450, free: 332850, size: 332850 }));
  t.same([next.blank, next.nwaValid, next.nextWritable, next.freeBlocks], [true, true, 450, 332850]);
  // Damaged, reserved, packet/fixed, copy, LRA.
  const odd = mmc.decodeTrackInformation(trackInfo({ b5: 0x35, b6: 0xbf, b7: 0x03, lra: 999 }));
  t.same(
    [odd.damage, odd.copy, odd.trackMode, odd.reserved, odd.blank, odd.packet, odd.fixedPacket, odd.dataMode, odd.lraValid, odd.lastRecorded],
    [true, true, 5, true, false, true, true, 15, true, 999],
  );
  // Track/session MSBs (MMC-5 bytes 32-33).
  const wide = mmc.decodeTrackInformation(trackInfo({ track: 0x2c, session: 0x2d, msb: [1, 1] }));
  t.same([wide.track, wide.session], [300, 301]);
  // A 28-byte (MMC-2) reply: no MSBs, no read compatibility.
  const short = mmc.decodeTrackInformation(trackInfo({ track: 7, session: 3, length: 28, msb: [1, 1] }));
  t.same([short.track, short.session, short.readCompatibility], [7, 3, null]);
  t.throws(() => mmc.decodeTrackInformation(Buffer.alloc(20)), mmc.ReplyError);
});

t.test('READ TOC formats 0, 1, 2', async (t) => {
  const b = Buffer.alloc(4 + 3 * 8);
  b.writeUInt16BE(b.length - 2, 0);
  b[2] = 1;
  b[3] = 2;
  const desc = (i: number, track: number, adrCtl: number, start: number) => {
    b[4 + 8 * i + 1] = adrCtl;
    b[4 + 8 * i + 2] = track;
    b.writeInt32BE(start, 4 + 8 * i + 4);
  };
  desc(0, 1, 0x14, 0);
  desc(1, 2, 0x14, 450);
  desc(2, 0xaa, 0x14, 750);
  t.same(mmc.decodeToc(b), {
    firstTrack: 1,
    lastTrack: 2,
    tracks: [
      { track: 1, adr: 1, control: 4, start: 0 },
      { track: 2, adr: 1, control: 4, start: 450 },
      { track: 0xaa, adr: 1, control: 4, start: 750 },
    ],
  });
  // The declared length wins over trailing bytes.
  const trimmed = Buffer.concat([b, Buffer.alloc(16, 0xee)]);
  t.equal(mmc.decodeToc(trimmed).tracks.length, 3);

  const s = Buffer.from([0, 10, 1, 2, 0, 0x14, 2, 0, 0, 0, 0x01, 0xc2]);
  t.same(mmc.decodeSessionInfo(s), { firstSession: 1, lastSession: 2, control: 4, firstTrackInLastSession: 2, start: 450 });
  t.throws(() => mmc.decodeSessionInfo(s.subarray(0, 4)), mmc.ReplyError);

  const f = Buffer.alloc(4 + 2 * 11);
  f.writeUInt16BE(f.length - 2, 0);
  f[2] = 1;
  f[3] = 1;
  f.set([1, 0x14, 0, 0xa2, 0, 0, 0, 0, 0, 4, 0], 4);
  f.set([1, 0x54, 0, 0xb0, 2, 36, 0, 1, 0x4f, 0x3b, 0x4a], 15);
  const full = mmc.decodeFullToc(f);
  t.same([full.firstSession, full.lastSession, full.entries.length], [1, 1, 2]);
  t.same(full.entries[0], { session: 1, adr: 1, control: 4, tno: 0, point: 0xa2, min: 0, sec: 0, frame: 0, pmin: 0, psec: 4, pframe: 0 });
  t.same(
    [full.entries[1].adr, full.entries[1].point, mmc.msfToLba(full.entries[1].min, full.entries[1].sec, full.entries[1].frame)],
    [5, 0xb0, 2 * 4500 + 36 * 75 - 150],
  );
});

t.test('READ CAPACITY and MODE SENSE(10)', async (t) => {
  t.same(mmc.decodeCapacity(Buffer.from([0, 0, 0x01, 0x2b, 0, 0, 8, 0])), { lastLba: 299, blockLength: 2048 });
  t.throws(() => mmc.decodeCapacity(Buffer.alloc(4)), mmc.ReplyError);
  // Header with no block descriptors, then page 05h (length 0x32), PS set.
  const page = Buffer.alloc(2 + 0x32);
  page[0] = 0x85;
  page[1] = 0x32;
  page[2] = 0x61; // BUFE + write type TAO
  const reply = Buffer.concat([Buffer.from([0, 6 + page.length, 0, 0, 0, 0, 0, 0]), page]);
  const m = mmc.decodeModeSense10(reply);
  t.same([m.code, m.savable, m.bytes.length, m.bytes[2]], [5, true, 0x34, 0x61]);
  // With an 8-byte block descriptor before the page.
  const withBd = Buffer.concat([Buffer.from([0, 14 + page.length, 0, 0, 0, 0, 0, 8]), Buffer.alloc(8), page]);
  t.equal(mmc.decodeModeSense10(withBd).bytes.length, 0x34);
  t.throws(() => mmc.decodeModeSense10(Buffer.alloc(8)), mmc.ReplyError);
});
