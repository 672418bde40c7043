// The reserved-head commit of a head-last stream (issue 15) against the recorder model, which
// implements RESERVE TRACK on DVD+R and BD-R as MMC describes it: one session per stream, the
// disc byte for byte iso-pack -o's image at S; a reservation the drive ignores (as cdemu)
// is found before the first WRITE and the two-session commit used; an unexpected one is
// filled with the placeholder and refused; cut streams and a killed burn commit nothing.
import t from 'tap';
import { DriveCommandError } from '../dist/drive/burn-mmc.js';
import { probeForBurn } from '../dist/drive/burn-probe.js';
import { burnSession, fixDisc, type BurnOptions } from '../dist/drive/burn.js';
import { judgeReservation } from '../dist/drive/reserved-head-commit.js';
import { decodeTrackInformation, type TrackInformation } from '../dist/drive/mmc.js';
import { EMPTY_VOLUME_ID } from '../dist/session/placeholder-head.js';
import { chunks, packer, rig } from './helpers/stream-burn.js';

const pack = packer((fn) => t.teardown(fn));
const SECTOR = 2048;

const opts = (more: Partial<BurnOptions> = {}): BurnOptions => ({ multi: true, probe: probeForBurn, inputBytes: null, reserveHead: true, ...more });
const volumeId = (head: Buffer) => head.toString('latin1', 16 * SECTOR + 40, 16 * SECTOR + 72).trim();
const descriptors = (head: Buffer) => head.subarray(16 * SECTOR, 18 * SECTOR);
const senseOf = (e: unknown, key: number, asc: number, ascq: number) => e instanceof DriveCommandError && e.is(key, asc, ascq);
const OPS = { reserve: 0x53, trackInfo: 0x52, write: 0x2a, close: 0x5b };

/** A READ TRACK INFORMATION reply decoded, built from the fields given. */
function ti(f: { track: number; start: number; size: number; nwa: number | null; blank: boolean; reserved?: boolean }): TrackInformation {
  const b = Buffer.alloc(48);
  b.writeUInt16BE(46, 0);
  b[2] = f.track;
  b[6] = (f.reserved ? 0x80 : 0) | (f.blank ? 0x40 : 0) | 1;
  b[7] = f.nwa === null ? 0 : 1;
  b.writeInt32BE(f.start, 8);
  b.writeInt32BE(f.nwa ?? 0, 12);
  b.writeInt32BE(f.size, 24);
  return decodeTrackInformation(b);
}

t.test('judging a reservation from READ DISC/TRACK INFORMATION', async (t) => {
  const S = 5000;
  const head = ti({ track: 3, start: S, size: 32, nwa: S, blank: true, reserved: true });
  const next = ti({ track: 4, start: S + 32, size: 99_000, nwa: S + 32, blank: true });
  t.same(judgeReservation(S, 32, 3, { lastTrack: 4, head, next }), { kind: 'reserved', headTrack: 3, dataTrack: 4 });
  // cdemu in TAO: GOOD, and the next track still the blank invisible one at S.
  t.equal(judgeReservation(S, 32, 3, { lastTrack: 3, head: ti({ track: 3, start: S, size: 2_294_954, nwa: S, blank: true }), next: null }).kind, 'ignored');
  const wrong: [string, Parameters<typeof judgeReservation>[3]][] = [
    [
      '48 blocks reserved',
      {
        lastTrack: 4,
        head: ti({ track: 3, start: S, size: 48, nwa: S, blank: true, reserved: true }),
        next: ti({ track: 4, start: S + 48, size: 9, nwa: S + 48, blank: true }),
      },
    ],
    ['the next track elsewhere', { lastTrack: 4, head, next: ti({ track: 4, start: S + 48, size: 9, nwa: S + 48, blank: true }) }],
    ['the reservation not at S', { lastTrack: 4, head: ti({ track: 3, start: S + 16, size: 32, nwa: S + 16, blank: true, reserved: true }), next }],
    ['no track after it', { lastTrack: 3, head, next: null }],
    ['the reserved track written to', { lastTrack: 4, head: ti({ track: 3, start: S, size: 32, nwa: S + 1, blank: false, reserved: true }), next }],
  ];
  for (const [name, after] of wrong) t.equal(judgeReservation(S, 32, 3, after).kind, 'unexpected', name);
});

t.test('the model: RESERVE TRACK rounds, each track has its NWA, CLOSE SESSION waits for the reservation', async (t) => {
  const { model, mmc } = rig('dvd+r');
  await mmc.run('RESERVE TRACK', Buffer.from([0x53, 0, 0, 0, 0, 0, 0, 0, 20, 0]));
  const reservedInfo = decodeTrackInformation(await mmc.run('RTI', Buffer.from([0x52, 1, 0, 0, 0, 1, 0, 0, 48, 0]), { inLength: 48 }));
  t.match(
    reservedInfo,
    { track: 1, start: 0, size: 32, nextWritable: 0, nwaValid: true, blank: true, reserved: true },
    '20 blocks rounded up to 32 (16-block units)',
  );
  const invisible = decodeTrackInformation(await mmc.run('RTI', Buffer.from([0x52, 1, 0, 0, 0, 0xff, 0, 0, 48, 0]), { inLength: 48 }));
  t.match(invisible, { track: 2, nextWritable: 32, blank: true }, 'the invisible track after it');
  await mmc.run('WRITE', Buffer.from([0x2a, 0, 0, 0, 0, 32, 0, 0, 2, 0]), { data: Buffer.alloc(2 * SECTOR, 7) });
  t.ok(
    senseOf(await mmc.run('CLOSE SESSION', Buffer.from([0x5b, 0, 2, 0, 0, 0, 0, 0, 0, 0])).catch((e: unknown) => e), 5, 0x72, 3),
    'CLOSE SESSION refused while the reservation is empty',
  );
  await mmc.run('WRITE', Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]), { data: Buffer.alloc(SECTOR, 9) });
  await mmc.run('CLOSE TRACK', Buffer.from([0x5b, 0, 1, 0, 0, 1, 0, 0, 0, 0]));
  t.equal(model.read(1, 31).every((b) => b === 0) && model.blocks.has(31), true, 'CLOSE TRACK padded the reservation');
  await mmc.run('CLOSE TRACK', Buffer.from([0x5b, 0, 1, 0, 0, 2, 0, 0, 0, 0]));
  await mmc.run('CLOSE SESSION', Buffer.from([0x5b, 0, 2, 0, 0, 0, 0, 0, 0, 0]));
  t.same(model.sessions, [{ start: 0, size: 34 }]);
  t.equal(model.nwa, 34);
  await mmc.run('RESERVE TRACK', Buffer.from([0x53, 0, 0, 0, 0, 0, 0, 0, 32, 0]));
  t.ok(
    senseOf(await mmc.run('WRITE', Buffer.from([0x2a, 0, 0, 0, 0, 40, 0, 0, 1, 0]), { data: Buffer.alloc(SECTOR) }).catch((e: unknown) => e), 5, 0x21, 2),
    "a WRITE at no track's NWA is refused",
  );
});

for (const medium of ['dvd+r', 'bdr'] as const) {
  t.test(`${medium}: three head-last sessions by the reserved-head commit`, async (t) => {
    const { model, mmc } = rig(medium);
    for (let k = 1; k <= 3; k++) {
      const S = model.nwa;
      const { stream, image } = await pack(S, { [`s${k}.txt`]: `session ${k}\n`, 'big.bin': Buffer.alloc(3_000_000 * k, k) });
      const N = image.readUInt32LE(16 * SECTOR + 80);
      const before = model.sessions.length;
      const traced = model.trace.length;
      const r = await burnSession(mmc, chunks(stream), opts());
      t.equal(r.commit, 'reserved-head');
      t.equal(r.reservation, 'reserved');
      t.equal(r.head, null, 'no head session');
      t.equal(r.start, S);
      t.equal(r.sectors, N);
      t.equal(r.written, N);
      t.equal(model.sessions.length, before + 1, 'one session: no extra session');
      t.same(model.sessions[before], { start: S, size: N }, 'the session is exactly the image: 0 extra blocks');
      t.same(
        model.sessionTracks.get(before),
        [
          { start: S, size: 32 },
          { start: S + 32, size: N - 32 },
        ],
        'reserved head track, data track',
      );
      t.notOk(model.open);
      t.notOk(model.closed, 'appendable');
      t.ok(model.read(S, N).equals(image), "the disc at S is byte for byte iso-pack -o's image for S");
      t.equal(r.next, S + N);
      t.equal(model.nwa, S + N);
      // The check comes before the first WRITE, and the head is the last WRITE.
      const ops = model.trace.slice(traced).map((c) => c[0]);
      const reserve = ops.indexOf(OPS.reserve);
      const firstWrite = ops.indexOf(OPS.write);
      t.ok(reserve >= 0 && ops.slice(reserve, firstWrite).includes(OPS.trackInfo), 'READ TRACK INFORMATION after RESERVE TRACK, before the first WRITE');
      const writes = model.trace.slice(traced).filter((c) => c[0] === OPS.write);
      t.equal(writes[0].readUInt32BE(2), S + 32, 'the first WRITE at S+32');
      t.equal(writes[writes.length - 1].readUInt32BE(2), S, 'the last WRITE: the head at S');
    }
  });
}

t.test('without --multi the reserved-head session finalizes the disc', async (t) => {
  const { model, mmc } = rig('bdr');
  const { stream } = await pack(0, { 'a.txt': 'a\n' });
  const r = await burnSession(mmc, chunks(stream), opts({ multi: false }));
  t.equal(r.commit, 'reserved-head');
  t.ok(r.closed);
  t.ok(model.closed);
  t.equal(model.sessions.length, 1);
});

for (const medium of ['dvd+r', 'bdr'] as const) {
  t.test(`${medium}: a reservation the drive ignores (as cdemu) is found before any WRITE: two-session commit`, async (t) => {
    const { model, mmc } = rig(medium);
    model.ignoreReservations = true;
    for (let k = 1; k <= 2; k++) {
      const S = model.nwa;
      const { stream, image } = await pack(S, { [`s${k}.txt`]: `session ${k}\n`, 'big.bin': Buffer.alloc(2_000_000, k) });
      const N = image.readUInt32LE(16 * SECTOR + 80);
      const before = model.sessions.length;
      const traced = model.trace.length;
      const r = await burnSession(mmc, chunks(stream), opts());
      t.equal(r.commit, 'two-session');
      t.equal(r.reservation, 'ignored');
      t.equal(model.sessions.length, before + 2, 'data session and head session');
      t.same(model.sessions[before], { start: S, size: N });
      t.ok(model.read(S + 32, N - 32).equals(image.subarray(32 * SECTOR)), 'the data where iso-pack laid it out');
      t.ok(model.read(r.head!.start, 32).equals(image.subarray(0, 32 * SECTOR)), 'the real head in its own session');
      const ops = model.trace.slice(traced).map((c) => c[0]);
      const reserve = ops.indexOf(OPS.reserve);
      const firstWrite = ops.indexOf(OPS.write);
      t.ok(reserve >= 0 && reserve < firstWrite, 'RESERVE TRACK was sent before any WRITE');
      t.ok(ops.slice(reserve, firstWrite).includes(OPS.trackInfo), 'and checked before the first WRITE');
      t.equal(
        model.trace
          .slice(traced)
          .find((c) => c[0] === OPS.write)!
          .readUInt32BE(2),
        S,
        'the first WRITE: the placeholder at S',
      );
    }
  });
}

t.test('CD keeps the two-session commit: no RESERVE TRACK sent', async (t) => {
  const { model, mmc } = rig('cdr');
  const { stream } = await pack(0, { 'a.txt': 'a\n' });
  const r = await burnSession(mmc, chunks(stream), opts());
  t.equal(r.commit, 'two-session');
  t.equal(r.reservation, 'not-for-profile');
  t.notOk(model.opcodes().includes(OPS.reserve));
});

t.test('without --reserve-head nothing is reserved on DVD+R', async (t) => {
  const { model, mmc } = rig('dvd+r');
  const { stream } = await pack(0, { 'a.txt': 'a\n' });
  const r = await burnSession(mmc, chunks(stream), opts({ reserveHead: false }));
  t.equal(r.commit, 'two-session');
  t.equal(r.reservation, null);
  t.notOk(model.opcodes().includes(OPS.reserve));
});

t.test('an unexpected reservation (48 blocks): no data written, the placeholder fills it, a clear refusal', async (t) => {
  const { model, mmc } = rig('dvd+r');
  const first = await pack(0, { 'one.txt': 'one\n' });
  await burnSession(mmc, chunks(first.stream), opts());
  const committed = model.read(0, 32);
  model.reserveExtra = 16;
  const S = model.nwa;
  const { stream } = await pack(S, { 'two.txt': 'two\n' });
  const traced = model.trace.length;
  await t.rejects(burnSession(mmc, chunks(stream), opts()), {
    name: 'BurnError',
    message: /did not reserve the head's track as asked.*no data was written.*stays appendable/,
  });
  const writes = model.trace.slice(traced).filter((c) => c[0] === OPS.write);
  t.same(
    writes.map((c) => c.readUInt32BE(2)),
    [S],
    'one WRITE: the placeholder into the reservation',
  );
  t.same(model.sessions[1], { start: S, size: 48 }, 'the reservation closed as a session of its own');
  t.notOk(model.open);
  t.notOk(model.closed);
  t.same(descriptors(model.read(S, 32)), descriptors(committed), 'it shows the previous tree');
});

for (const medium of ['dvd+r', 'bdr'] as const) {
  t.test(`${medium}: a stream cut at several offsets or with a bad trailer commits nothing; the next append works`, async (t) => {
    const { model, mmc } = rig(medium);
    // On a blank disc the placeholder is the empty volume.
    {
      const { stream } = await pack(0, { 'big.bin': Buffer.alloc(6_000_000, 3) });
      await t.rejects(burnSession(mmc, chunks(stream.subarray(0, 5_000_000)), opts({ ringBytes: 3 << 20 })), {
        name: 'BurnError',
        message: /nothing was committed: the \d+ blocks burned at LBA 32 are unreferenced, the reserved head track got/,
      });
      t.equal(model.sessions.length, 1);
      t.notOk(model.open);
      t.equal(volumeId(model.read(0, 32)), EMPTY_VOLUME_ID, 'blank disc: the empty volume');
    }
    const first = await pack(model.nwa, { 'one.txt': 'one\n' });
    await burnSession(mmc, chunks(first.stream), opts());
    const committed = model.read(model.sessions[1].start, 32);
    for (const name of ['cut at 60%', 'cut mid-sector', 'cut before the trailer', 'bad trailer']) {
      const at = model.nwa;
      const sessions = model.sessions.length;
      const { stream } = await pack(at, { 'big.bin': Buffer.alloc(6_000_000, 5), 'two.txt': 'two\n' });
      const len = stream.length;
      const input =
        name === 'cut at 60%'
          ? stream.subarray(0, Math.floor((len * 0.6) / SECTOR) * SECTOR)
          : name === 'cut mid-sector'
            ? stream.subarray(0, len - 40 * SECTOR - 100)
            : name === 'cut before the trailer'
              ? stream.subarray(0, len - SECTOR)
              : (() => {
                  const d = Buffer.from(stream);
                  d[len - SECTOR + 28] ^= 0xff;
                  return d;
                })();
      await t.rejects(
        burnSession(mmc, chunks(input), opts({ ringBytes: 3 << 20 })),
        { name: 'BurnError', message: /nothing was committed.*stays appendable/ },
        name,
      );
      t.equal(model.sessions.length, sessions + 1, `${name}: one session closed`);
      t.equal(model.sessions[sessions].start, at);
      t.notOk(model.open, `${name}: nothing left open`);
      t.notOk(model.closed, `${name}: appendable`);
      t.same(descriptors(model.read(at, 32)), descriptors(committed), `${name}: the newest session shows the previous tree`);
    }
    const next = await pack(model.nwa, { 'three.txt': 'three\n' });
    const r = await burnSession(mmc, chunks(next.stream), opts());
    t.equal(r.commit, 'reserved-head', 'the next append succeeds');
    t.ok(model.read(r.start, r.sectors).equals(next.image));
  });
}

for (const [where, stop] of [
  ['mid-data', (S: number) => (lba: number) => lba >= S + 32 + 1024],
  ['before the head (data track closed)', (S: number) => (lba: number) => lba === S],
] as const) {
  t.test(`a reserved-head burn killed ${where}: -fix fills the reservation with the placeholder, the next append works`, async (t) => {
    const { model, mmc } = rig('dvd+r');
    const first = await pack(0, { 'one.txt': 'one\n' });
    await burnSession(mmc, chunks(first.stream), opts());
    const committed = model.read(0, 32);
    const S = model.nwa;
    const big = await pack(S, { 'big.bin': Buffer.alloc(6_000_000, 5) });
    model.faults.push({ match: (c) => c.cdb[0] === OPS.write && stop(S)(c.cdb.readInt32BE(2)), dead: true });
    await t.rejects(burnSession(mmc, chunks(big.stream), opts({ ringBytes: 3 << 20 })), { name: 'BurnError' });
    t.ok(model.open, 'the session is left open, as after SIGKILL');
    model.dead = false;
    model.faults = [];
    await t.rejects(burnSession(mmc, chunks(big.stream), opts()), { message: /-fix/ }, 'the next burn asks for -fix');
    const fix = await fixDisc(mmc, { multi: true, probe: probeForBurn });
    t.equal(fix.action, 'closed');
    t.equal(fix.state, 'appendable');
    t.notOk(model.open);
    t.equal(model.sessions[1].start, S);
    t.same(descriptors(model.read(S, 32)), descriptors(committed), 'the newest session shows the previous tree');
    const next = await pack(model.nwa, { 'two.txt': 'two\n' });
    const r = await burnSession(mmc, chunks(next.stream), opts());
    t.equal(r.commit, 'reserved-head');
    t.ok(model.read(r.start, r.sectors).equals(next.image));
  });
}

t.test('sectors per session: plain N, reserved-head N, two-session N + 32 (DVD+R and BD-R models)', async (t) => {
  for (const medium of ['dvd+r', 'bdr'] as const) {
    const spent: Record<string, number> = {};
    for (const how of ['plain', 'reserved-head', 'two-session'] as const) {
      const { model, mmc } = rig(medium);
      const { stream, image } = await pack(0, { 'a.bin': Buffer.alloc(1_000_000, 1) });
      const N = image.readUInt32LE(16 * SECTOR + 80);
      await burnSession(mmc, chunks(how === 'plain' ? image : stream), opts({ reserveHead: how === 'reserved-head' }));
      spent[how] = model.nwa - N;
      t.comment(`${medium} ${how}: N = ${N}, NWA after ${model.nwa}, sessions ${model.sessions.length}`);
    }
    t.same(spent, { plain: 0, 'reserved-head': 0, 'two-session': 32 }, `${medium}: blocks beyond N`);
  }
});

t.test('a reserved-head burn killed after its head was written: -fix closes the session and the commit stands', async (t) => {
  const { model, mmc } = rig('bdr');
  const S = 0;
  const { stream, image } = await pack(S, { 'big.bin': Buffer.alloc(2_000_000, 5) });
  // The drive dies on the SYNCHRONIZE CACHE after the head's WRITE (the only WRITE at S).
  model.faults.push({ match: (c, m) => c.cdb[0] === 0x35 && m.blocks.has(S), dead: true });
  await t.rejects(burnSession(mmc, chunks(stream), opts()), { name: 'BurnError' });
  t.ok(model.open, 'the session is left open');
  model.dead = false;
  model.faults = [];
  const fix = await fixDisc(mmc, { multi: true, probe: probeForBurn });
  t.equal(fix.action, 'closed');
  t.same(model.sessions, [{ start: S, size: image.length / SECTOR }], 'one session: the head and the data');
  t.ok(model.read(S, image.length / SECTOR).equals(image), 'the real head stays: the commit stands');
});
