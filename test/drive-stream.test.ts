// The two-session commit of a head-last stream (issue 15) against the recorder model: the
// placeholder head, the data exactly where iso-pack laid it out, the real head as a session
// of its own, per profile; a cut or damaged stream commits nothing and leaves the disc
// appendable; a killed burn is closed by -fix with the previous tree still the newest.
import t from 'tap';
import { probeForBurn } from '../dist/drive/burn-probe.js';
import { burnSession, fixDisc, type BurnOptions } from '../dist/drive/burn.js';
import { EMPTY_VOLUME_ID, emptyTreeHead, placeholderHead } from '../dist/session/placeholder-head.js';
import { chunks, packer, rig } from './helpers/stream-burn.js';

const pack = packer((fn) => t.teardown(fn));
const SECTOR = 2048;

const opts = (more: Partial<BurnOptions> = {}): BurnOptions => ({ multi: true, probe: probeForBurn, inputBytes: null, ...more });
const volumeId = (head: Buffer) => head.toString('latin1', 16 * SECTOR + 40, 16 * SECTOR + 72).trim();
const rootOf = (head: Buffer) => head.readUInt32LE(16 * SECTOR + 156 + 2);
const descriptors = (head: Buffer) => head.subarray(16 * SECTOR, 18 * SECTOR);

t.test('placeholder heads: the empty tree and a copy of the previous head up to its terminator', async (t) => {
  const e = emptyTreeHead(1000, 1_700_000_000);
  t.equal(e.length, 32 * SECTOR);
  t.equal(e[16 * SECTOR], 1);
  t.equal(volumeId(e), EMPTY_VOLUME_ID);
  t.equal(e.readUInt32LE(16 * SECTOR + 80), 32, 'volume space size 32, session-relative');
  t.equal(rootOf(e), 1020, 'root directory inside the head');
  t.equal(e[17 * SECTOR], 255, 'terminator');
  t.equal(e[20 * SECTOR], 34, "root '.' record");
  t.equal(e.readUInt32LE(20 * SECTOR + 2), 1020);
  t.equal(e.readUInt32LE(18 * SECTOR + 2), 1020, 'L path table names the root');
  t.equal(e.readUInt32BE(19 * SECTOR + 2), 1020, 'M path table names the root');
  const { image } = await pack(0, { 'a.txt': 'a\n' });
  const prev = Buffer.from(image.subarray(0, 32 * SECTOR));
  prev.fill(0x55, 30 * SECTOR, 31 * SECTOR); // something after the terminator (a checksum tag)
  const p = placeholderHead(5000, prev, 0);
  t.same(p.subarray(0, 30 * SECTOR), prev.subarray(0, 30 * SECTOR), 'descriptors copied');
  t.ok(
    p.subarray(30 * SECTOR).every((b) => b === 0),
    'nothing after the terminator',
  );
  t.equal(volumeId(placeholderHead(5000, Buffer.alloc(32 * SECTOR), 0)), EMPTY_VOLUME_ID, 'no PVD: the empty tree');
});

for (const medium of ['cdr', 'dvd+r', 'bdr'] as const) {
  t.test(`${medium}: three head-last sessions by two-session commit`, async (t) => {
    const { model, mmc } = rig(medium);
    let prevHead: Buffer | null = null;
    for (let k = 1; k <= 3; k++) {
      const S = model.nwa;
      const { stream, image } = await pack(S, { [`s${k}.txt`]: `session ${k}\n`, 'big.bin': Buffer.alloc(3_000_000 * k, k) });
      const N = image.readUInt32LE(16 * SECTOR + 80);
      const before = model.sessions.length;
      const r = await burnSession(mmc, chunks(stream), opts());
      t.equal(r.commit, 'two-session');
      t.equal(r.start, S);
      t.equal(r.sectors, N);
      t.equal(model.sessions.length, before + 2, 'two sessions closed');
      t.notOk(model.open);
      t.notOk(model.closed, 'appendable');
      const data = model.sessions[before];
      const head = model.sessions[before + 1];
      t.equal(data.start, S);
      t.equal(data.size, medium === 'cdr' ? N + 150 : N, 'data track: the session (CD: +150 pad)');
      t.same(model.read(S + 32, N - 32), image.subarray(32 * SECTOR, N * SECTOR), 'S+32…: exactly the plain image');
      const placeholder = model.read(S, 32);
      if (prevHead === null) t.equal(volumeId(placeholder), EMPTY_VOLUME_ID, 'blank disc: empty placeholder');
      else t.same(descriptors(placeholder), descriptors(prevHead), 'placeholder: the previous newest head');
      t.equal(r.head!.start, head.start);
      t.equal(head.size, medium === 'cdr' ? 300 : 32, 'head session: 32 sectors (CD: a 300-block track)');
      const real = model.read(head.start, 32);
      t.same(real, image.subarray(0, 32 * SECTOR), 'the real head, as iso-pack made it for S');
      t.ok(rootOf(real) >= S && rootOf(real) < S + N, 'its root points back into the data session');
      t.equal(r.next, model.nwa);
      prevHead = real;
    }
  });
}

t.test('without --multi the head session finalizes the disc', async (t) => {
  const { model, mmc } = rig('dvd+r');
  const { stream } = await pack(0, { 'a.txt': 'a\n' });
  const r = await burnSession(mmc, chunks(stream), opts({ multi: false }));
  t.ok(r.closed);
  t.ok(model.closed);
  t.equal(model.sessions.length, 2);
});

for (const medium of ['cdr', 'dvd+r', 'bdr'] as const) {
  t.test(`${medium}: a stream cut at several offsets or with a bad trailer commits nothing; the next append works`, async (t) => {
    const { model, mmc } = rig(medium);
    const first = await pack(0, { 'one.txt': 'one\n' });
    await burnSession(mmc, chunks(first.stream), opts());
    const committed = model.read(model.sessions[1].start, 32);
    const S = model.nwa;
    const big = await pack(S, { 'big.bin': Buffer.alloc(6_000_000, 5), 'two.txt': 'two\n' });
    const len = big.stream.length;
    const damaged = Buffer.from(big.stream);
    damaged[len - SECTOR + 28] ^= 0xff; // the trailer's CRC
    const cuts: [string, Buffer][] = [
      ['cut at 60%', big.stream.subarray(0, Math.floor((len * 0.6) / SECTOR) * SECTOR)],
      ['cut mid-sector', big.stream.subarray(0, len - 40 * SECTOR - 100)],
      ['cut before the trailer', big.stream.subarray(0, len - SECTOR)],
      ['bad trailer', damaged],
    ];
    for (const [name, cut] of cuts) {
      const at = model.nwa;
      const sessions = model.sessions.length;
      const again = at === S ? big.stream : (await pack(at, { 'big.bin': Buffer.alloc(6_000_000, 5), 'two.txt': 'two\n' })).stream;
      const input =
        name === 'bad trailer' && at !== S
          ? (() => {
              const d = Buffer.from(again);
              d[d.length - SECTOR + 28] ^= 0xff;
              return d;
            })()
          : at === S
            ? cut
            : again.subarray(0, Math.min(cut.length, again.length - SECTOR));
      await t.rejects(
        burnSession(mmc, chunks(input), opts({ ringBytes: 3 << 20 })),
        { name: 'BurnError', message: /nothing was committed: the \d+ blocks burned at LBA \d+ are unreferenced.*stays appendable/ },
        name,
      );
      t.equal(model.sessions.length, sessions + 1, `${name}: one session closed`);
      t.notOk(model.open, `${name}: nothing left open`);
      t.notOk(model.closed, `${name}: appendable`);
      t.same(descriptors(model.read(model.sessions[sessions].start, 32)), descriptors(committed), `${name}: the newest session shows the previous tree`);
      if (medium === 'cdr') t.ok(model.sessions[sessions].size >= 300, `${name}: a CD track of at least 300 blocks`);
    }
    const next = await pack(model.nwa, { 'three.txt': 'three\n' });
    const r = await burnSession(mmc, chunks(next.stream), opts());
    t.equal(r.commit, 'two-session', 'the next append succeeds');
    t.same(model.read(r.head!.start, 32), next.image.subarray(0, 32 * SECTOR));
  });
}

t.test('a burn killed mid-stream (no close): -fix closes it with the placeholder, the next append works', async (t) => {
  const { model, mmc } = rig('cdr');
  const first = await pack(0, { 'one.txt': 'one\n' });
  await burnSession(mmc, chunks(first.stream), opts());
  const committed = model.read(model.sessions[1].start, 32);
  const S = model.nwa;
  const big = await pack(S, { 'big.bin': Buffer.alloc(6_000_000, 5) });
  model.faults.push({ match: (c) => c.cdb[0] === 0x2a && c.cdb.readInt32BE(2) >= S + 1024, dead: true });
  await t.rejects(burnSession(mmc, chunks(big.stream), opts({ ringBytes: 3 << 20 })), { name: 'BurnError' });
  t.ok(model.open, 'the track is left open, as after SIGKILL');
  model.dead = false;
  model.faults = [];
  const fix = await fixDisc(mmc, { multi: true, probe: probeForBurn });
  t.equal(fix.action, 'closed');
  t.same(descriptors(model.read(model.sessions[2].start, 32)), descriptors(committed), 'the newest session shows the previous tree');
  const next = await pack(model.nwa, { 'two.txt': 'two\n' });
  const r = await burnSession(mmc, chunks(next.stream), opts());
  t.equal(r.commit, 'two-session');
});

t.test('refusals before any WRITE: a stream for another LBA, one too big for the disc', async (t) => {
  {
    const { model, mmc } = rig('dvd+r');
    const { stream } = await pack(4096, { 'a.txt': 'a\n' });
    await t.rejects(burnSession(mmc, chunks(stream), opts()), { message: /stream was built for LBA 4096, the disc's next writable address is 0/ });
    t.equal(model.writes().length, 0);
  }
  {
    const { model, mmc } = rig('bdr');
    model.claimedFree = 100;
    const { stream } = await pack(0, { 'a.bin': Buffer.alloc(1_000_000, 1) });
    await t.rejects(burnSession(mmc, chunks(stream), opts({ inputBytes: stream.length })), {
      message: /does not fit: the BD-R sequential recording has 100 blocks free/,
    });
    t.equal(model.writes().length, 0);
  }
});
