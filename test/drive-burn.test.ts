// The burn engine against a recorder model (test/helpers/recorder-model.ts): the command
// sequence per profile, every refusal before the first WRITE, and the faults the emulated
// recorder cannot produce (long write in progress, unit attention, write errors, not ready,
// no medium, a full disc, a drive that dies) — each a retried success or a one-line error
// that says what the disc holds. Images come from iso-pack, built for the model's NWA.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarOfFiles as tarOf } from './helpers/tar-of-files.js';
import { BurnMmc, type Sleep } from '../dist/drive/burn-mmc.js';
import { probeForBurn } from '../dist/drive/burn-probe.js';
import { CD_PAD_BLOCKS, burnSession, fixDisc, type BurnOptions } from '../dist/drive/burn.js';
import { RecorderModel, on, type ModelMedium } from './helpers/recorder-model.js';

const ISO_PACK = new URL('../bin/iso-pack.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-burn-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const SECTOR = 2048;

/** A plain image from iso-pack laid out for `lba` (what `iso-pack --prev X,lba -o FILE` makes). */
async function image(
  lba: number,
  files: Record<string, Buffer | string> = { 'a.txt': 'hello\n', 'big.bin': Buffer.alloc(300_000, 7) },
  pipe = false,
): Promise<Buffer> {
  const out = join(work, `img-${n++}.iso`);
  const args = [ISO_PACK, '--prev', `0,${lba}`, ...(pipe ? [] : ['-o', out])];
  const r = spawnSync(process.execPath, args, { input: await tarOf(files), env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return pipe ? r.stdout : readFileSync(out);
}

async function* chunks(b: Buffer, size = 100_000, delayMs = 0): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    yield b.subarray(i, i + size);
  }
}

/** A clock that does not wait: retries are counted, not slept. */
function fakeSleep(): Sleep & { total: number } {
  const f = (async (ms: number) => {
    f.total += ms;
  }) as Sleep & { total: number };
  f.total = 0;
  return f;
}

function setup(medium: ModelMedium) {
  const model = new RecorderModel(medium);
  const sleep = fakeSleep();
  const mmc = new BurnMmc(model, sleep);
  return { model, mmc, sleep };
}

function opts(img: Buffer, more: Partial<BurnOptions> = {}): BurnOptions {
  return {
    multi: true,
    probe: probeForBurn,
    inputBytes: img.length,
    peek: (s, n) => (img.length >= (s + n) * SECTOR ? img.subarray(s * SECTOR, (s + n) * SECTOR) : null),
    ...more,
  };
}

const hex = (b: Buffer) => b.toString('hex').toUpperCase();
const volumeOf = (img: Buffer) => img.readUInt32LE(16 * SECTOR + 80);

t.test('CD-R: three sessions with --multi, TAO track, page 05h, 32-block WRITEs, no CLOSE TRACK', async (t) => {
  const { model, mmc } = setup('cdr');
  let expectStart = 0;
  for (let k = 1; k <= 3; k++) {
    const img = await image(model.nwa, { [`s${k}.txt`]: `session ${k}\n`, 'big.bin': Buffer.alloc(100_000 * k, k) });
    const before = model.trace.length;
    const r = await burnSession(mmc, chunks(img), opts(img));
    const sectors = volumeOf(img);
    t.equal(r.start, expectStart, `session ${k} at the NWA`);
    t.equal(r.sectors, sectors);
    t.equal(r.written, Math.max(300, sectors + CD_PAD_BLOCKS), 'padded: 300 blocks minimum, 150 run-out blocks');
    t.notOk(r.closed);
    t.same(model.sessions[k - 1], { start: expectStart, size: r.written });
    t.ok(model.read(expectStart, sectors).equals(img.subarray(0, sectors * SECTOR)), 'the image, byte for byte, head first');
    t.ok(
      model.read(expectStart + sectors, r.written - sectors).every((x) => x === 0),
      'zero padding',
    );
    const cdbs = model.trace.slice(before);
    const writes = cdbs.filter((c) => c[0] === 0x2a);
    let lba = expectStart;
    for (const w of writes) {
      t.equal(w.readInt32BE(2), lba, 'consecutive LBAs');
      lba += w.readUInt16BE(7);
    }
    t.ok(
      writes.slice(0, -1).every((w) => w.readUInt16BE(7) === 32),
      '64 KiB pieces',
    );
    const ops = cdbs.map((c) => c[0]);
    t.ok(ops.indexOf(0x55) < ops.indexOf(0x2a), 'MODE SELECT before the first WRITE');
    t.notOk(ops.includes(0x5b) && cdbs.some((c) => c[0] === 0x5b && (c[2] & 7) === 1), 'no CLOSE TRACK on CD');
    t.equal(hex(cdbs.find((c) => c[0] === 0x5b)!), '5B010200000000000000', 'CLOSE SESSION, Immed');
    t.ok(ops.lastIndexOf(0x35) < ops.indexOf(0x5b), 'SYNCHRONIZE CACHE before CLOSE SESSION');
    t.equal(model.multiField, 3, 'multi-session 11b');
    t.equal(model.writeType, 1, 'TAO');
    t.equal(r.next, model.nwa, 'next writable address read back');
    expectStart = model.nwa;
    t.notOk(model.locked, 'tray unlocked after the burn');
  }
  t.equal(model.sessions[1].start, model.sessions[0].size + 11_400, 'real CD spacing, not hard-coded');
  t.notOk(model.closed);
});

t.test('CD-R without --multi: the session closes the disc; the next burn is refused before any WRITE', async (t) => {
  const { model, mmc } = setup('cdr');
  const img = await image(0);
  const r = await burnSession(mmc, chunks(img), opts(img, { multi: false }));
  t.ok(r.closed);
  t.equal(model.multiField, 0);
  t.ok(model.closed);
  const writes = model.writes().length;
  await t.rejects(burnSession(mmc, chunks(img), opts(img)), { name: 'MediumRefusal', message: /closed \(finalized\)/ });
  t.equal(model.writes().length, writes, 'no WRITE');
});

t.test('DVD+R and BD-R: no page 05h, CLOSE TRACK with the track number, then CLOSE SESSION or finalize', async (t) => {
  for (const [medium, finalize] of [
    ['dvd+r', 5],
    ['bdr', 6],
  ] as const) {
    const { model, mmc } = setup(medium);
    for (let k = 1; k <= 2; k++) {
      const img = await image(model.nwa, { [`f${k}`]: `x${k}` });
      const before = model.trace.length;
      const r = await burnSession(mmc, chunks(img), opts(img, { multi: k === 1 }));
      const cdbs = model.trace.slice(before);
      t.notOk(
        cdbs.some((c) => c[0] === 0x55),
        `${medium}: no MODE SELECT`,
      );
      t.equal(r.written, volumeOf(img), `${medium}: no padding`);
      const closes = cdbs.filter((c) => c[0] === 0x5b).map(hex);
      t.same(
        closes,
        [
          `5B01010000${k.toString(16).padStart(2, '0')}00000000`,
          k === 1 ? '5B010200000000000000' : `5B01${finalize.toString(16).padStart(2, '0')}00000000000000`,
        ],
        `${medium} session ${k}`,
      );
    }
    t.ok(model.closed, `${medium} finalized by the session without --multi`);
    t.equal(model.sessions[1].start, model.sessions[0].size, 'next session right after the previous one');
  }
});

t.test('refusals: nothing written', async (t) => {
  const cases: [string, (m: RecorderModel) => void, () => Promise<Buffer>, Partial<BurnOptions>, RegExp][] = [
    [
      'stale --prev (built for an older NWA)',
      () => {},
      () => image(11_400),
      {},
      /(built for LBA 11400|not built for LBA 0), the disc's next writable address.*run cd-msinfo again/,
    ],
    ['too big', (m) => (m.claimedFree = 200), () => image(0), {}, /does not fit: the CD-R has 200 blocks free/],
    ['no disc', (m) => (m.medium = 'none'), () => image(0), {}, /no disc in \/dev\/model0/],
    ['ROM', (m) => (m.medium = 'cdrom'), () => image(0), {}, /is a CD-ROM \(read-only\)/],
    ['-dummy on DVD+R', (m) => (m.medium = 'dvd+r'), () => image(0), { dummy: true }, /-dummy: a DVD\+R has no test-write mode/],
    [
      'head-last stream for another LBA',
      () => {},
      () => image(11_400, undefined, true),
      { inputBytes: null, peek: undefined },
      /stream was built for LBA 11400, the disc's next writable address is 0: run cd-msinfo again/,
    ],
    ['not an image', () => {}, async () => Buffer.alloc(40 * SECTOR, 1), {}, /neither an isopipe head-last stream nor an ISO 9660 image/],
    ['open session', (m) => (m.open = { start: 0, next: 500 }), () => image(0), {}, /left open by an interrupted burn: run 'cd-write -fix --multi/],
  ];
  for (const [name, arrange, make, more, message] of cases) {
    const { model, mmc } = setup('cdr');
    arrange(model);
    const img = await make();
    await t.rejects(burnSession(mmc, chunks(img), opts(img, more)), { message }, name);
    t.equal(model.writes().length, 0, `${name}: no WRITE(10)`);
    t.notOk(
      model.trace.some((c) => c[0] === 0x55 || c[0] === 0x5b || c[0] === 0x35),
      `${name}: no MODE SELECT, SYNC or CLOSE either`,
    );
  }
  // A stale --prev on a pipe, where the root directory is not in the first 32 sectors, is
  // caught by the PVD's plausibility before any WRITE too.
  const { model, mmc } = setup('cdr');
  model.sessions.push({ start: 0, size: 1000 });
  const stale = await image(0);
  await t.rejects(burnSession(mmc, chunks(stale), opts(stale, { peek: undefined, inputBytes: null })), { message: /not built for LBA 12400/ });
  t.equal(model.writes().length, 0);
});

t.test('long write in progress and not ready: the same WRITE again after a growing wait', async (t) => {
  const { model, mmc, sleep } = setup('cdr');
  model.faults.push({ match: on.write((lba) => lba === 64), sense: [2, 0x04, 0x08], times: 5 });
  model.faults.push({ match: on.op(0x00), sense: [2, 0x04, 0x01], times: 2 });
  model.faults.push({ match: on.op(0x5b), sense: [2, 0x04, 0x07], times: 1 });
  const img = await image(0);
  const r = await burnSession(mmc, chunks(img), opts(img));
  t.same(r.retries['2/04/08'], 5);
  t.ok(sleep.total >= 10 + 20 + 40 + 80 + 160, 'backs off 10, 20, 40 … ms');
  t.equal(model.writes().filter((w) => w.readInt32BE(2) === 64).length, 6, 'LBA 64 sent six times, never skipped');
  t.ok(model.read(0, r.sectors).equals(img.subarray(0, r.sectors * SECTOR)));
  t.equal(model.sessions.length, 1);
});

t.test('a drive busy forever: a bounded wait, then an error naming the state of the disc', async (t) => {
  const { model, mmc } = setup('cdr');
  model.faults.push({ match: on.write((lba) => lba === 96), sense: [2, 0x04, 0x08], times: 1e9 });
  const img = await image(0);
  await t.rejects(burnSession(mmc, chunks(img), opts(img)), {
    name: 'BurnError',
    message:
      /^WRITE\(10\) failed: long write in progress \(2\/04\/08\) at LBA 96; 96 of \d+ blocks written; the disc now has an open session \(earlier sessions still mount\); 'cd-write -fix --multi' closes it$/,
  });
});

t.test('unit attention mid-burn: go on when the track still ends where the WRITE begins, else stop', async (t) => {
  {
    const { model, mmc } = setup('cdr');
    model.faults.push({ match: on.write((lba) => lba === 128), sense: [6, 0x28, 0], times: 1 });
    const img = await image(0);
    const r = await burnSession(mmc, chunks(img), opts(img));
    t.ok(model.read(0, r.sectors).equals(img.subarray(0, r.sectors * SECTOR)), 'burned whole after the unit attention');
  }
  {
    const { model, mmc } = setup('cdr');
    // The medium changed under the burn: the drive's track no longer ends at 128.
    model.faults.push({ match: (c, m) => on.write((lba) => lba === 128)(c) && !!(m.open && (m.open.next = 7)), sense: [6, 0x28, 0], times: 1 });
    const img = await image(0);
    await t.rejects(burnSession(mmc, chunks(img), opts(img)), {
      name: 'BurnError',
      message: /the medium changed during the burn .* no longer ends at LBA 128/,
    });
  }
});

t.test('write error at an LBA, then -fix closes the session and the next append works', async (t) => {
  const { model, mmc } = setup('cdr');
  model.faults.push({ match: on.write((lba) => lba === 160), sense: [3, 0x0c, 0x00] });
  const img = await image(0);
  await t.rejects(burnSession(mmc, chunks(img), opts(img)), {
    name: 'BurnError',
    message: /^WRITE\(10\) failed: write error \(3\/0C\/00\) at LBA 160; 160 of \d+ blocks written; the disc now has an open session/,
  });
  t.ok(model.open, 'the track is left open, not closed over a broken session');
  await t.rejects(burnSession(mmc, chunks(img), opts(img)), { name: 'MediumRefusal', message: /cd-write -fix/ });
  const fixed = await fixDisc(mmc, { multi: true, probe: probeForBurn });
  t.same(fixed, { action: 'closed', state: 'appendable' });
  t.equal(model.sessions.length, 1);
  t.same(await fixDisc(mmc, { multi: true, probe: probeForBurn }), { action: 'nothing', state: 'appendable' }, 'nothing left to fix');
  const img2 = await image(model.nwa);
  const r = await burnSession(mmc, chunks(img2), opts(img2));
  t.equal(r.start, 160 + 11_400);
  t.equal(model.sessions.length, 2);
});

t.test('no medium, a full disc, a drive that dies: one line with the state of the disc', async (t) => {
  const img = await image(0);
  {
    const { model, mmc } = setup('cdr');
    // The disc leaves the drive at LBA 64: from then on every command says so.
    let gone = false;
    model.faults.push({ match: (c) => (gone ||= on.write((lba) => lba === 64)(c)), sense: [2, 0x3a, 0x00], times: 1e9 });
    await t.rejects(burnSession(mmc, chunks(img), opts(img)), {
      name: 'BurnError',
      message: /medium not present \(2\/3A\/00\) at LBA 64; 64 of \d+ blocks written; the disc is gone from the drive/,
    });
  }
  {
    const { model, mmc } = setup('dvd+r');
    model.capacity = 100; // the drive claims more free blocks than the disc has
    model.claimedFree = 1_000_000;
    await t.rejects(burnSession(mmc, chunks(img), opts(img)), {
      name: 'BurnError',
      message: /logical block address out of range \(5\/21\/00\) at LBA 96; 96 of \d+ blocks written; the disc now has an open session/,
    });
  }
  {
    const { model, mmc } = setup('bdr');
    model.faults.push({ match: on.write((lba) => lba === 128), dead: true });
    await t.rejects(burnSession(mmc, chunks(img), opts(img)), {
      name: 'BurnError',
      message: /WRITE\(10\): the drive stopped answering \(no answer \(timeout\)\) after 128 of \d+ blocks; the state of the disc is unknown/,
    });
    t.notOk(
      model.trace.slice(-5).some((c) => c[0] === 0x5b),
      'no CLOSE sent to a dead drive',
    );
  }
});

t.test('a cut input: refused before any WRITE while it fits the fifo, else the session is left open', async (t) => {
  {
    const { model, mmc } = setup('cdr');
    const img = await image(0, { 'big.bin': Buffer.alloc(1_000_000, 9) });
    const cut = img.subarray(0, img.length - 100 * SECTOR);
    await t.rejects(burnSession(mmc, chunks(cut), opts(cut, { inputBytes: null, peek: undefined })), {
      name: 'BurnError',
      message: /cut short; 0 of \d+ blocks written; nothing was written; the disc is as it was/,
    });
    t.equal(model.writes().length, 0, 'the fifo held it all: nothing burned');
  }
  {
    const { model, mmc } = setup('cdr');
    const img = await image(0, { 'big.bin': Buffer.alloc(12_000_000, 9) });
    const cut = img.subarray(0, img.length - 200 * SECTOR);
    await t.rejects(burnSession(mmc, chunks(cut), opts(cut, { inputBytes: null, peek: undefined, ringBytes: 1 << 20 })), {
      name: 'BurnError',
      message: /cut short.*the disc now has an open session/,
    });
    t.ok(model.open);
    t.notOk(
      model.trace.some((c) => c[0] === 0x5b),
      'not closed',
    );
  }
});

t.test('a slow producer: the fifo fills first and the burn waits for data, never writes a partial block', async (t) => {
  const { model, mmc } = setup('cdr');
  const img = await image(0, { 'big.bin': Buffer.alloc(2_000_000, 3) });
  const r = await burnSession(mmc, chunks(img, 50_000, 2), opts(img, { inputBytes: null, peek: undefined, ringBytes: 4 << 20 }));
  t.ok(model.read(0, r.sectors).equals(img.subarray(0, r.sectors * SECTOR)));
  t.ok(model.writes().every((w) => w.readUInt16BE(7) >= 1));
});

t.test('-dummy on CD-R: the test-write bit, nothing recorded, nothing closed', async (t) => {
  const { model, mmc } = setup('cdr');
  const img = await image(0);
  const r = await burnSession(mmc, chunks(img), opts(img, { dummy: true }));
  t.ok(r.dummy);
  t.ok(model.testWrite);
  t.equal(model.sessions.length, 0);
  t.ok(model.dummyBlocks > 0);
  t.notOk(model.trace.some((c) => c[0] === 0x5b));
});

t.test('speed= and -eject', async (t) => {
  {
    const { model, mmc } = setup('cdr');
    const img = await image(0);
    await burnSession(mmc, chunks(img), opts(img, { speed: 4, eject: true }));
    t.equal(hex(model.speedCdb!), 'BB00FFFF02C2000000000000', 'SET CD SPEED 4x = 706 kB/s');
    t.ok(model.ejected);
  }
  {
    const { model, mmc } = setup('dvd+r');
    const img = await image(0);
    await burnSession(mmc, chunks(img), opts(img, { speed: 2 }));
    t.equal(model.speedCdb![0], 0xb6, 'SET STREAMING on DVD');
  }
});

t.test('cd-write on an image file: -eject is a no-op that -v names; --help gives both meanings of -fix', async (t) => {
  const img = join(work, 'eject-medium.iso');
  const r = spawnSync(process.execPath, [new URL('../bin/cd-write.js', import.meta.url).pathname, '-eject', '-v', '-dummy', '--create', `dev=${img}`], {
    input: '',
    encoding: 'utf8',
  });
  t.match(r.stderr, /^cd-write: note: -eject has no effect: there is nothing to eject on an image file or block device$/m);
  t.notMatch(r.stderr, /is for optical drives/);
  const help = spawnSync(process.execPath, [new URL('../bin/cd-write.js', import.meta.url).pathname, '--help'], { encoding: 'utf8' });
  t.match(help.stdout, /-fix .*torn or stale.*interrupted burn/s);
});

t.test('a drive that refuses the write parameters: nothing written, tray unlocked', async (t) => {
  const { model, mmc } = setup('cdr');
  model.faults.push({ match: on.op(0x55), sense: [5, 0x26, 0x00] });
  const img = await image(0);
  await t.rejects(burnSession(mmc, chunks(img), opts(img)), {
    name: 'BurnError',
    message: /^MODE SELECT\(10\) failed: .*\(5\/26\/00\); nothing was written; the disc is as it was$/,
  });
  t.equal(model.writes().length, 0);
  t.notOk(model.locked);
});

t.test('DVD-R sequential: page 05h for incremental recording, CLOSE TRACK, then CLOSE SESSION (the page decides)', async (t) => {
  const { model, mmc } = setup('dvd-r');
  for (const multi of [true, false]) {
    const img = await image(model.nwa);
    const before = model.trace.length;
    const r = await burnSession(mmc, chunks(img), opts(img, { multi }));
    t.equal(r.closed, !multi);
    t.equal(model.writeType, 0, 'write type incremental');
    t.equal(model.linkSize, 16);
    t.ok(model.fixedPacket);
    t.equal(model.multiField, multi ? 3 : 0);
    const closes = model.trace
      .slice(before)
      .filter((c) => c[0] === 0x5b)
      .map((c) => c[2] & 7);
    t.same(closes, [1, 2], 'CLOSE TRACK, CLOSE SESSION');
  }
  t.ok(model.closed);
  t.equal(model.sessions.length, 2);
});
