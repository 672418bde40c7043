// The Drive over a fault-injecting transport (retries for becoming ready, long write, unit
// attention; one-line errors for no medium and hard failures), and readDisc's LAST,NEXT for
// each profile family from replies shaped like the emulated drive's.
import t from 'tap';
import { Drive, DriveError } from '../src/drive/drive.js';
import { readDisc } from '../src/drive/disc.js';
import { FakeTransport, pvd, type FakeDisc } from './helpers/fake-drive.js';

const noSleep = async () => {};
const drive = (tr: FakeTransport) => new Drive(tr, { sleep: noSleep, readyTimeoutMs: 1000 });

/** cdemu's CD-R after one 300-sector -multi session: track 1 RTI start -150 size 450, NWA 450. */
function cdOneSession(): FakeDisc {
  return {
    profile: 0x09,
    status: 1,
    lastSessionState: 0,
    sessions: 2,
    leadOut: 300,
    tracks: [
      { session: 1, rtiStart: -150, rtiSize: 450, tocStart: 0 },
      { session: 2, rtiStart: 450, rtiSize: 332850, blank: true, nwa: 450, free: 332850 },
    ],
    sectors: new Map([[16, pvd('ONE', 241)]]),
  };
}

t.test('retries', async (t) => {
  const tr = new FakeTransport(cdOneSession());
  tr.faults = [
    { opcode: 0x00, sense: [2, 0x04, 0x01], times: 3 },
    { opcode: 0x00, sense: [6, 0x28, 0x00] },
  ];
  const d = drive(tr);
  await d.testUnitReady();
  t.equal(tr.sent.length, 5, 'three becoming-ready, one unit attention, then ready');
  t.equal(d.mediumChanges, 1);
  // Long write in progress on a READ is retried with the same CDB.
  tr.faults = [{ opcode: 0x51, sense: [2, 0x04, 0x08], times: 2, descriptor: true }];
  const di = await d.discInformation();
  t.equal(di.status, 'appendable');
  t.same(
    tr.sent.slice(-3).map((c) => c.cdb[0]),
    [0x51, 0x51, 0x51],
  );
  // Recovered error: success.
  tr.faults = [{ opcode: 0x51, sense: [1, 0x17, 0x01] }];
  t.equal((await d.discInformation()).sessions, 2);
});

t.test('errors', async (t) => {
  const tr = new FakeTransport(null);
  const d = drive(tr);
  await t.rejects(d.testUnitReady(), { name: 'NoMediumError', message: 'no medium in /dev/sr0', command: 'TEST UNIT READY' });
  await t.rejects(readDisc(d), { name: 'NoMediumError', message: 'no medium in /dev/sr0' });

  const tr2 = new FakeTransport(cdOneSession());
  const d2 = drive(tr2);
  tr2.faults = [{ opcode: 0x51, sense: [5, 0x24, 0x00] }];
  await t.rejects(d2.discInformation(), { name: 'DriveError', message: '/dev/sr0: READ DISC INFORMATION failed: invalid field in CDB (5/24/00)' });
  // A drive that stays busy: give up after the ready timeout, saying why.
  tr2.faults = [{ opcode: 0x00, sense: [2, 0x04, 0x07], times: 1000 }];
  const err = await d2.testUnitReady().catch((e: unknown) => e);
  t.ok(err instanceof DriveError);
  t.match((err as Error).message, /stayed busy .*operation in progress \(2\/04\/07\)/);
  // Unit attention forever: not an endless loop.
  tr2.faults = [{ opcode: 0x00, sense: [6, 0x29, 0x00], times: 1000 }];
  await t.rejects(d2.testUnitReady(), /power on, reset/);
  tr2.faults = [{ opcode: 0x00, sense: [6, 0x28, 0x00], times: 1000 }];
  await t.rejects(d2.testUnitReady(), /medium may have changed/);
  // The host adapter failed (a drive that died mid-command, a pulled cable).
  tr2.faults = [{ opcode: 0x00, transportError: 'SG_IO failed (EIO)' }];
  await t.rejects(d2.testUnitReady(), { message: '/dev/sr0: TEST UNIT READY failed: SG_IO failed (EIO)' });
});

t.test('CD-R with one session (cdemu numbers)', async (t) => {
  const tr = new FakeTransport(cdOneSession());
  const r = await readDisc(drive(tr));
  t.same(r.msinfo, { last: 0, next: 450 });
  t.equal(r.state, 'appendable');
  t.equal(r.profile.name, 'CD-R');
  t.same(
    r.tracks.map((x) => [x.number, x.session, x.start, x.size, x.state, x.kind]),
    [
      [1, 1, 0, 300, 'complete', 'data'],
      [2, 2, 450, 332850, 'blank', 'data'],
    ],
  );
  t.same(r.sessions, [{ number: 1, start: 0, size: 241, volumeId: 'ONE', date: null }]);
  t.same([r.next, r.free, r.capacity], [450, 332850, 450 + 332850]);
  // CD: LAST from READ TOC format 1, NEXT from the invisible track 0xFF.
  const rti = tr.sent.filter((c) => c.cdb[0] === 0x52).map((c) => c.cdb.readUInt32BE(2));
  t.same(rti, [1, 2, 0xff]);
  t.ok(
    tr.sent.some((c) => c.cdb[0] === 0x43 && c.cdb[2] === 1),
    'READ TOC format 1 asked',
  );
});

t.test('CD-R in SAO write mode: set to TAO before the NWA, as wodim and xorriso do', async (t) => {
  const disc = { ...cdOneSession(), writeType: 2 };
  const tr = new FakeTransport(disc);
  const r = await readDisc(drive(tr), null, { taoWriteMode: true });
  t.same(r.msinfo, { last: 0, next: 450 });
  const select = tr.sent.find((c) => c.cdb[0] === 0x55)!;
  t.ok(select, 'MODE SELECT sent');
  t.equal(select.data![8 + 2], 0x41, 'BUFE kept, write type TAO');
  t.equal(select.data![8 + 3], 0xc4, 'multi-session and track mode kept');
  // Already TAO: nothing is selected. Without the option: the drive's SAO answer.
  const tr2 = new FakeTransport(cdOneSession());
  await readDisc(drive(tr2), null, { taoWriteMode: true });
  t.notOk(tr2.sent.some((c) => c.cdb[0] === 0x55));
  const r3 = await readDisc(drive(new FakeTransport({ ...cdOneSession(), writeType: 2 })));
  t.same(r3.msinfo, { last: 0, next: 300 });
});

t.test('Drive.mediumStatus is readDisc', async (t) => {
  const st = await drive(new FakeTransport(cdOneSession())).mediumStatus();
  t.same([st.state, st.next, st.free, st.sessions.length, st.msinfo], ['appendable', 450, 332850, 1, { last: 0, next: 450 }]);
});

t.test('CD-R with two sessions', async (t) => {
  const disc = cdOneSession();
  disc.sessions = 3;
  disc.tracks = [
    { session: 1, rtiStart: -150, rtiSize: 450, tocStart: 0 },
    { session: 2, rtiStart: 450, rtiSize: 450, tocStart: 600 },
    { session: 3, rtiStart: 1050, rtiSize: 332850, blank: true, nwa: 1050, free: 332850 },
  ];
  disc.sectors!.set(616, pvd('TWO', 841));
  const r = await readDisc(drive(new FakeTransport(disc)));
  t.same(r.msinfo, { last: 600, next: 1050 });
  t.same(
    r.sessions.map((s) => [s.number, s.start, s.size, s.volumeId]),
    [
      [1, 0, 241, 'ONE'],
      [2, 600, 241, 'TWO'],
    ],
  );
});

t.test('DVD+R and BD-R: track-based', async (t) => {
  const dvd: FakeDisc = {
    profile: 0x1b,
    status: 1,
    lastSessionState: 0,
    sessions: 3,
    tracks: [
      { session: 1, rtiStart: 0, rtiSize: 336, trackMode: 7 },
      { session: 2, rtiStart: 336, rtiSize: 336, trackMode: 7 },
      { session: 3, rtiStart: 672, rtiSize: 2294432, blank: true, nwa: 672, free: 2294432, trackMode: 7 },
    ],
  };
  const tr = new FakeTransport(dvd);
  const r = await readDisc(drive(tr));
  t.same(r.msinfo, { last: 336, next: 672 });
  t.same(
    r.sessions.map((s) => [s.start, s.size]),
    [
      [0, 336],
      [336, 336],
    ],
  );
  t.notOk(
    tr.sent.some((c) => c.cdb[0] === 0x43),
    'no READ TOC on DVD',
  );
  t.equal(
    tr.sent
      .filter((c) => c.cdb[0] === 0x52)
      .pop()!
      .cdb.readUInt32BE(2),
    0xff,
    'DVD+R: NWA of the invisible track',
  );

  const bd: FakeDisc = { ...dvd, profile: 0x41, invisible: { session: 3, rtiStart: 0, rtiSize: 0, nwa: 0 } };
  const tb = new FakeTransport(bd);
  const rb = await readDisc(drive(tb));
  t.same(rb.msinfo, { last: 336, next: 672 }, 'BD-R: NWA of the last track in the last session, not 0xFF');
  t.equal(
    tb.sent
      .filter((c) => c.cdb[0] === 0x52)
      .pop()!
      .cdb.readUInt32BE(2),
    3,
  );
});

t.test('blank, closed, ROM, damaged', async (t) => {
  // cdemu's blank CD-R: NWA -150 in some drives' RTI; msinfo refused as xorriso does.
  const blank: FakeDisc = {
    profile: 0x09,
    status: 0,
    lastSessionState: 0,
    sessions: 1,
    tracks: [{ session: 1, rtiStart: -150, rtiSize: 333000, blank: true, nwa: -150, free: 333000 }],
  };
  const rb = await readDisc(drive(new FakeTransport(blank)));
  t.same([rb.state, rb.msinfo, rb.next, rb.sessions.length], ['blank', null, 0, 0]);
  t.match(rb.msinfoRefusal, /blank disc: there is no session to import/);

  const closed: FakeDisc = {
    profile: 0x09,
    status: 2,
    lastSessionState: 3,
    sessions: 2,
    leadOut: 750,
    tracks: [
      { session: 1, rtiStart: -150, rtiSize: 450, tocStart: 0 },
      { session: 2, rtiStart: 450, rtiSize: 450, tocStart: 600 },
    ],
  };
  const tc = new FakeTransport(closed);
  const rc = await readDisc(drive(tc));
  t.same([rc.state, rc.msinfo, rc.free, rc.sessions.length], ['closed', null, 0, 2]);
  t.match(rc.msinfoRefusal, /closed disc/);
  t.notOk(
    tc.sent.some((c) => c.cdb[0] === 0x52 && c.cdb.readUInt32BE(2) === 0xff),
    'no NWA asked of a closed disc',
  );

  const rom: FakeDisc = { ...closed, profile: 0x08, sessions: 1, tracks: [{ session: 1, rtiStart: 0, rtiSize: 300 }] };
  const rr = await readDisc(drive(new FakeTransport(rom)));
  t.same([rr.state, rr.msinfo, rr.profile.name], ['closed', null, 'CD-ROM']);
  t.equal(rr.msinfoRefusal, '/dev/sr0 holds a read-only CD-ROM disc: not writable');

  // An interrupted burn: session 2's track damaged, no NWA.
  const dam: FakeDisc = {
    profile: 0x1b,
    status: 1,
    lastSessionState: 1,
    sessions: 2,
    tracks: [
      { session: 1, rtiStart: 0, rtiSize: 336 },
      { session: 2, rtiStart: 336, rtiSize: 100, damaged: true },
    ],
  };
  const rd = await readDisc(drive(new FakeTransport(dam)));
  t.equal(rd.msinfo, null);
  t.match(rd.msinfoRefusal, /no next writable address/);
  t.match(rd.warnings.join('\n'), /track 2 \(session 2\) is damaged/);
  t.equal(rd.sessions.length, 1);
  t.ok(rd.damage);
});
