// Rewritable discs against in-process models (the emulated recorder offers no erasable
// media): blank=fast|all on CD-RW, --format on DVD+RW and BD-RE, and overwritable discs
// written with the same emulated multi-session as image files, through READ(10)/WRITE(10) —
// the sectors on the disc equal the image file's for the same sessions. Refusals send
// nothing that changes the disc; faults end in one clear line.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarOfFiles } from './helpers/tar-of-files.js';
import { CdRwModel, OverwritableModel, type RewritableMedium } from './helpers/rewritable-model.js';
import { BurnMmc, type Sleep } from '../dist/drive/burn-mmc.js';
import { probeForBurn } from '../dist/drive/burn-probe.js';
import { burnSession } from '../dist/drive/burn.js';
import { Drive } from '../dist/drive/drive.js';
import { EraseError, blankDisc, blankRefusal, formatDisc } from '../dist/drive/erase.js';
import { currentProfile, overwritableMedium, probeOverwritable } from '../dist/drive/overwritable.js';
import { overwritableDiscImage } from '../dist/drive/disc-image.js';
import { profileInfo } from '../dist/drive/profiles.js';
import { EmulatedMedium } from '../dist/media/emulated-medium.js';
import { writeSession } from '../dist/media/write-session.js';

const ISO_PACK = new URL('../bin/iso-pack.js', import.meta.url).pathname;
const CD_WRITE = new URL('../bin/cd-write.js', import.meta.url).pathname;
const SECTOR = 2048;
const work = mkdtempSync(join(tmpdir(), 'isopipe-rewritable-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** `iso-pack --prev 0,LBA -o FILE` of a few files. */
async function image(lba: number, files: Record<string, Buffer | string>): Promise<Buffer> {
  const out = join(work, `img-${n++}.iso`);
  const r = spawnSync(process.execPath, [ISO_PACK, '--prev', `0,${lba}`, '-o', out], {
    input: await tarOfFiles(files),
    env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return readFileSync(out);
}

async function* chunks(b: Buffer, size = 100_000): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

/** A clock that does not wait. */
function fakeSleep(): Sleep & { total: number } {
  const f = (async (ms: number) => {
    f.total += ms;
  }) as Sleep & { total: number };
  f.total = 0;
  return f;
}

const hex = (b: Buffer) =>
  b
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ')
    .toUpperCase();
const ops = (trace: Buffer[]) => trace.map((c) => c[0]);
/** Commands that change a disc. */
const CHANGING = [0xa1, 0x04, 0x2a, 0x35, 0x5b, 0x55];

function writeOpts(img: Buffer) {
  return {
    multi: true,
    inputBytes: img.length,
    peek: (s: number, k: number) => (img.length >= (s + k) * SECTOR ? img.subarray(s * SECTOR, (s + k) * SECTOR) : null),
  };
}

t.test('blank refusals: write-once, read-only, overwritable, DVD-RW fast, no disc', async (t) => {
  t.equal(blankRefusal(profileInfo(0x0a), 'fast', '/dev/sr0'), null, 'CD-RW blanks fast');
  t.equal(blankRefusal(profileInfo(0x14), 'all', '/dev/sr0'), null, 'DVD-RW blanks all');
  t.match(blankRefusal(profileInfo(0x14), 'fast', '/dev/sr0'), /one DAO session only.*use blank=all/);
  t.match(blankRefusal(profileInfo(0x09), 'all', '/dev/sr0'), /CD-R, a write-once medium: it cannot be blanked/);
  t.match(blankRefusal(profileInfo(0x41), 'all', '/dev/sr0'), /write-once/);
  t.match(blankRefusal(profileInfo(0x08), 'all', '/dev/sr0'), /CD-ROM \(read-only\)/);
  t.match(blankRefusal(profileInfo(0x1a), 'all', '/dev/sr0'), /overwritable media are never blanked.*--format formats it/);
  t.match(blankRefusal(null, 'all', '/dev/sr0'), /no disc in \/dev\/sr0/);

  for (const medium of ['dvd+r', 'cdrom', 'dvd+rw', 'none'] as RewritableMedium[]) {
    const model = new OverwritableModel(medium);
    await t.rejects(blankDisc(new BurnMmc(model, fakeSleep()), 'all'), { name: 'MediumRefusal' }, medium);
    t.same(
      ops(model.trace).filter((o) => CHANGING.includes(o)),
      [],
      `${medium}: nothing that changes the disc was sent`,
    );
  }
});

t.test('CD-RW: a burned disc blanked fast (BLANK Immed, polled with progress), then burned again from LBA 0', async (t) => {
  const model = new CdRwModel();
  const sleep = fakeSleep();
  const mmc = new BurnMmc(model, sleep);
  const first = await image(0, { 'old.txt': 'old\n' });
  await burnSession(mmc, chunks(first), { ...writeOpts(first), probe: probeForBurn });
  t.equal(model.sessions.length, 1);

  const progress: (number | null)[] = [];
  const r = await blankDisc(mmc, 'fast', { sleep, onProgress: (f) => progress.push(f) });
  t.equal(r.profile, 'CD-RW');
  t.same(model.blanks.map(hex), ['A1 11 00 00 00 00 00 00 00 00 00 00'], 'one BLANK: minimal, Immed');
  t.equal(model.sessions.length, 0, 'the disc is blank');
  t.equal(progress.length, 3, 'one progress report per not-ready poll');
  t.ok(
    progress.every((p, i) => p !== null && p > 0 && p < 1 && (i === 0 || p > progress[i - 1]!)),
    'rising progress from the sense',
  );

  const again = await image(0, { 'new.txt': 'new\n' });
  const b = await burnSession(mmc, chunks(again), { ...writeOpts(again), probe: probeForBurn });
  t.equal(b.start, 0, 'the first session of the blanked disc starts at 0');
  t.equal(model.sessions.length, 1);
  t.ok(model.read(16, 1).equals(again.subarray(16 * SECTOR, 17 * SECTOR)), "the new session's PVD is on the disc");
});

t.test('CD-RW: blank=all refused by the drive, or the drive dying mid-blank: one line', async (t) => {
  const refused = new CdRwModel();
  refused.faults.push({ match: (c) => c.cdb[0] === 0xa1, sense: [5, 0x24, 0] });
  const e1 = await blankDisc(new BurnMmc(refused, fakeSleep()), 'all', { sleep: fakeSleep() }).catch((e: Error) => e);
  t.type(e1, EraseError);
  t.match((e1 as Error).message, /^blank=all on the CD-RW in \/dev\/model0: BLANK failed: invalid field in CDB \(5\/24\/00\); the disc is as it was$/);

  const dies = new CdRwModel();
  dies.faults.push({ match: (c) => c.cdb[0] === 0x00 && dies.busy > 0 && dies.busy < dies.blankPolls, dead: true });
  const e2 = await blankDisc(new BurnMmc(dies, fakeSleep()), 'all', { sleep: fakeSleep() }).catch((e: Error) => e);
  t.type(e2, EraseError);
  t.notMatch((e2 as Error).message, /\n/, 'one line');
  t.match(
    (e2 as Error).message,
    /^blank=all on the CD-RW in \/dev\/model0: TEST UNIT READY: the drive stopped answering \(no answer \(timeout\)\); the state of the disc is unknown, it is neither blank nor what it held: run blank=all again$/,
  );
});

t.test('DVD+RW: unformatted disc refused with the hint; --format sends 26h with the listed size, survives long-write polls', async (t) => {
  const model = new OverwritableModel('dvd+rw', 2_295_104, { formatted: false });
  const drive = new Drive(model, { sleep: fakeSleep(), sleepSync: () => {} });
  const profile = (await currentProfile(drive))!;
  await t.rejects(probeOverwritable(drive, profile), {
    name: 'MediumRefusal',
    message: 'the DVD+RW in /dev/model1 is not formatted: format it first: cd-write --format dev=/dev/model1',
  });
  t.same(
    ops(model.trace).filter((o) => CHANGING.includes(o)),
    [],
    'nothing written',
  );

  const sleep = fakeSleep();
  const mmc = new BurnMmc(model, sleep);
  // Two "long write in progress" answers among the polls: waited out like format in progress.
  model.faults.push({ match: (c) => c.cdb[0] === 0x00 && model.busy === 2, sense: [2, 0x04, 0x08], times: 2 });
  const progress: (number | null)[] = [];
  const r = await formatDisc(mmc, { sleep, onProgress: (f) => progress.push(f) });
  t.equal(r.action, 'formatted');
  t.equal(hex(model.formatList!), '00 02 00 08 00 23 05 40 98 00 00 00', 'Immed, one descriptor: 2,295,104 blocks, type 26h');
  t.ok(model.formatted && model.busy === 0);
  t.equal(progress.filter((p) => p !== null).length, 4, 'progress from the format-in-progress polls');
  t.equal(progress.filter((p) => p === null).length, 2, 'the long-write answers carry none');

  const again = await formatDisc(mmc, { sleep });
  t.equal(again.action, 'nothing', 'a formatted disc is left alone');
  const before = model.trace.length;
  const forced = await formatDisc(mmc, { sleep, force: true });
  t.equal(forced.action, 'formatted', '--force formats again');
  t.ok(model.trace.slice(before).some((c) => c[0] === 0x04));
});

t.test('BD-RE: 30h with the spare size the drive lists; a drive without the format, DVD-RAM and CD-R refused', async (t) => {
  const model = new OverwritableModel('bd-re', 11_826_176, { formatted: false });
  const sleep = fakeSleep();
  const r = await formatDisc(new BurnMmc(model, sleep), { sleep });
  t.equal(r.action, 'formatted');
  t.equal(hex(model.formatList!), '00 02 00 08 00 B4 74 00 C0 00 30 00', 'type 30h, sub-type 0, spare parameter 3000h as listed');

  const noFull = new OverwritableModel('dvd+rw', 2_295_104, { formatted: false });
  noFull.offers = [0x00];
  await t.rejects(formatDisc(new BurnMmc(noFull, sleep), { sleep }), {
    name: 'MediumRefusal',
    message: /does not offer format 26h for the DVD\+RW \(it lists: 00h\)/,
  });
  const ram = new OverwritableModel('dvd-ram');
  await t.rejects(formatDisc(new BurnMmc(ram, sleep), { sleep }), { message: /DVD-RAM: it comes formatted/ });
  const cdr = new OverwritableModel('dvd+r');
  await t.rejects(formatDisc(new BurnMmc(cdr, sleep), { sleep }), { message: /formats DVD\+RW and BD-RE only/ });
  for (const m of [noFull, ram, cdr])
    t.same(
      ops(m.trace).filter((o) => CHANGING.includes(o)),
      [],
      `${m.medium}: nothing sent that changes the disc`,
    );
});

t.test('BD-RE: the drive dies while formatting: one line, the state named', async (t) => {
  const model = new OverwritableModel('bd-re', 11_826_176, { formatted: false });
  model.faults.push({ match: (c) => c.cdb[0] === 0x00 && model.busy === 2, dead: true });
  const sleep = fakeSleep();
  const e = await formatDisc(new BurnMmc(model, sleep), { sleep }).catch((x: Error) => x);
  t.type(e, EraseError);
  t.equal(
    (e as Error).message,
    '--format of the BD-RE in /dev/model1: TEST UNIT READY: the drive stopped answering (no answer (timeout)); the state of the disc is unknown, it is not fully formatted: run --format --force again',
  );
});

for (const medium of ['dvd+rw', 'bd-re', 'dvd-ram'] as RewritableMedium[]) {
  t.test(`${medium}: two appended sessions through the drive equal the same sessions on an image file`, async (t) => {
    const model = new OverwritableModel(medium, 40_000, { formatted: medium === 'dvd-ram' });
    const sleep = fakeSleep();
    if (medium !== 'dvd-ram') await formatDisc(new BurnMmc(model, sleep), { sleep });
    const drive = new Drive(model, { sleep, sleepSync: () => {} });
    const file = join(work, `${medium}.iso`);
    writeFileSync(file, '');

    let next = 32;
    for (let k = 1; k <= 2; k++) {
      const img = await image(next, { [`s${k}.txt`]: `session ${k}\n`, 'big.bin': Buffer.alloc(70_000 * k, k) });
      const onFile = EmulatedMedium.open(file, { write: true });
      let fileNext: number;
      try {
        fileNext = writeSession(onFile, [img], writeOpts(img)).next;
      } finally {
        onFile.release();
      }
      const disc = await probeOverwritable(drive, (await currentProfile(drive))!);
      const before = model.trace.length;
      const onDisc = overwritableMedium(drive, disc, { write: true, capacity: null }, false);
      let r: ReturnType<typeof writeSession>;
      try {
        r = writeSession(onDisc, [img], writeOpts(img));
      } finally {
        onDisc.release();
      }
      t.equal(r.start, next, `session ${k} at ${next}`);
      t.equal(r.next, fileNext, 'the same next writable address as on the file');
      const bytes = readFileSync(file);
      t.ok(model.read(0, bytes.length / SECTOR).equals(bytes), `after session ${k}: the disc's sectors equal the image file's`);
      t.equal(model.read(bytes.length / SECTOR, 64).equals(Buffer.alloc(64 * SECTOR)), true, 'nothing past it');

      // The medium head (LBA 0-31) goes last, with SYNCHRONIZE CACHE before and after it.
      const cmds = model.trace.slice(before);
      const headWrites = cmds.map((c, i) => [c, i] as const).filter(([c]) => c[0] === 0x2a && c.readUInt32BE(2) < 32);
      t.ok(headWrites.length > 0, 'the head is rewritten');
      const firstHead = headWrites[0][1];
      const lastHead = headWrites[headWrites.length - 1][1];
      const lastChange = cmds
        .slice(0, firstHead)
        .filter((c) => CHANGING.includes(c[0]))
        .pop();
      t.equal(lastChange?.[0], 0x35, 'SYNCHRONIZE CACHE after the session, before the head rewrite (only reads between)');
      t.equal(cmds[lastHead + 1][0], 0x35, 'and right after it');
      t.notOk(
        cmds.slice(lastHead + 1).some((c) => c[0] === 0x2a && c.readUInt32BE(2) >= 32),
        'no session sector after the head',
      );
      next = r.next;
    }
    // cd-msinfo's and the readers' view through the drive (READ(10), not the block device).
    const reader = overwritableMedium(drive, await probeOverwritable(drive, (await currentProfile(drive))!), { write: false, capacity: null }, false);
    const st = reader.status();
    reader.release();
    t.equal(st.state, 'appendable');
    t.same(
      st.sessions.map((s) => s.start),
      [32, st.sessions[1].start],
      'two sessions',
    );
    t.equal(st.next, next);
    t.equal(st.capacity, 40_000, 'capacity from READ CAPACITY');
    const { image: img } = await overwritableDiscImage(drive, profileInfo(model.profile), false);
    t.equal(img.sessions.length, 2, 'the image reader (cd-verify, iso-merge) finds both sessions');
    img.close();
  });
}

t.test('overwritable: a session larger than the disc is refused before any WRITE; a write error is one line, nothing committed', async (t) => {
  const model = new OverwritableModel('dvd+rw', 200);
  const drive = new Drive(model, { sleep: fakeSleep(), sleepSync: () => {} });
  const img = await image(32, { 'big.bin': Buffer.alloc(600_000, 1) });
  const medium = overwritableMedium(drive, await probeOverwritable(drive, profileInfo(0x1a)), { write: true, capacity: null }, false);
  t.throws(() => writeSession(medium, [img], writeOpts(img)), { name: 'MediumRefusal', message: /does not fit.*nothing written/ });
  medium.release();
  t.equal(model.writes().length, 0, 'no WRITE(10)');

  const bad = new OverwritableModel('dvd+rw', 40_000);
  bad.faults.push({ match: (c) => c.cdb[0] === 0x2a && c.cdb.readUInt32BE(2) >= 64, sense: [3, 0x0c, 0] });
  const d2 = new Drive(bad, { sleep: fakeSleep(), sleepSync: () => {} });
  const m2 = overwritableMedium(d2, await probeOverwritable(d2, profileInfo(0x1a)), { write: true, capacity: null }, false);
  const small = await image(32, { 'b.bin': Buffer.alloc(200_000, 2) });
  const e = (() => {
    try {
      writeSession(m2, [small], writeOpts(small));
      return null;
    } catch (x) {
      return x as Error;
    }
  })();
  m2.release();
  t.match(e?.message, /^write error at LBA 64: \/dev\/model1: WRITE\(10\) failed: write error \(3\/0C\/00\); nothing committed$/);
  t.notOk(
    bad.writes().some((c) => c.readUInt32BE(2) < 32),
    'the medium head was not touched',
  );
});

t.test('cd-write: blank= and --format are for drives; --blank keeps its image-file meaning', async (t) => {
  const img = join(work, 'plain.iso');
  const run = (args: string[]) => spawnSync(process.execPath, [CD_WRITE, ...args], { input: '', encoding: 'utf8' });
  const a = run(['blank=fast', `dev=${img}`]);
  t.equal(a.status, 2);
  t.match(
    a.stderr,
    /blank=fast erases or formats a disc in an optical drive; .*plain\.iso is an image file or block device, which isopipe never erases \(cd-write --create --blank makes a new blank image file\)/,
  );
  const b = run(['--format', `dev=${img}`]);
  t.equal(b.status, 2);
  t.match(b.stderr, /^cd-write: --format erases or formats a disc in an optical drive/);
  const c = run(['blank=track', `dev=${img}`]);
  t.match(c.stderr, /blank=fast or blank=all \(no single tracks or sessions\)/);
  const d = run(['--blank=all', '--format', `dev=${img}`]);
  t.match(d.stderr, /one at a time/);
  const e = run(['--create', '--blank', `dev=${img}`]);
  t.equal(e.status, 0, '--create --blank still makes a blank image file');
  const help = run(['--help']);
  t.match(help.stdout, /blank=fast\|all/);
  t.match(help.stdout, /--format, -format/);
});

t.test('overwritable: long write in progress and a unit attention during WRITE(10) are waited out, the same LBA written again', async (t) => {
  const model = new OverwritableModel('bd-re', 40_000);
  model.faults.push({ match: (c) => c.cdb[0] === 0x2a && c.cdb.readUInt32BE(2) === 64, sense: [2, 0x04, 0x08], times: 2 });
  model.faults.push({ match: (c) => c.cdb[0] === 0x2a && c.cdb.readUInt32BE(2) === 96, sense: [6, 0x28, 0x00], times: 1 });
  const drive = new Drive(model, { sleep: fakeSleep(), sleepSync: () => {} });
  const img = await image(32, { 'b.bin': Buffer.alloc(200_000, 3) });
  const medium = overwritableMedium(drive, await probeOverwritable(drive, profileInfo(0x43)), { write: true, capacity: null }, false);
  const r = writeSession(medium, [img], writeOpts(img));
  medium.release();
  t.equal(r.start, 32);
  t.equal(model.writes().filter((c) => c.readUInt32BE(2) === 64).length, 3, 'LBA 64 sent three times');
  t.equal(model.writes().filter((c) => c.readUInt32BE(2) === 96).length, 2, 'LBA 96 twice');
  t.ok(model.read(32 + 32, img.length / SECTOR - 32).equals(img.subarray(32 * SECTOR)), 'the session data is on the disc');
  t.ok(model.read(32 + 16, 1).equals(img.subarray(16 * SECTOR, 17 * SECTOR)), "the session's own head too");
});

t.test("cd-write's drive path: blank=fast then the session in one run; --format then an overwritable disc handed to the image-file session code", async (t) => {
  const { writeOnDrive } = await import('../dist/cli/cd-write-drive.js');
  const inquiry = { deviceType: 5, vendor: 'MODEL', product: 'RW', revision: '1' };
  const base = { multi: true, dummy: false, fix: false, eject: false, json: false, verbose: false };

  const cdrw = new CdRwModel();
  cdrw.blankPolls = 1;
  const old = await image(0, { 'old.txt': 'old\n' });
  await burnSession(new BurnMmc(cdrw, fakeSleep()), chunks(old), { ...writeOpts(old), probe: probeForBurn });
  const s1 = await image(0, { 'new.txt': 'new\n' });
  const file = join(work, 'cdrw-s1.iso');
  writeFileSync(file, s1);
  const opener = (m: CdRwModel | OverwritableModel) => async () => ({ drive: new Drive(m, { sleep: fakeSleep(), sleepSync: () => {} }), inquiry });
  const status = await writeOnDrive('/dev/null', { ...base, source: file, erase: { blank: 'fast' }, writeAfter: true }, opener(cdrw) as never);
  t.equal(status, 0);
  t.equal(cdrw.blanks.length, 1, 'blanked once');
  t.equal(cdrw.sessions.length, 1, 'then one new session');
  t.ok(cdrw.read(16, 1).equals(s1.subarray(16 * SECTOR, 17 * SECTOR)), "it is the new session's");

  const dvd = new OverwritableModel('dvd+rw', 40_000, { formatted: false });
  dvd.formatPolls = 1;
  const s2 = await image(32, { 'a.txt': 'a\n' });
  const f2 = join(work, 'dvd-s1.iso');
  writeFileSync(f2, s2);
  let handed = 0;
  const st2 = await writeOnDrive(
    '/dev/null',
    {
      ...base,
      source: f2,
      erase: { format: true },
      writeAfter: true,
      overwritable: (medium) => {
        handed++;
        t.ok(dvd.locked, 'the tray is locked while the session is written');
        writeSession(medium, [s2], writeOpts(s2));
        return 0;
      },
    },
    opener(dvd) as never,
  );
  t.equal(st2, 0);
  t.equal(handed, 1, 'the formatted DVD+RW went to the image-file session code');
  t.ok(dvd.formatList, 'formatted first');
  t.notOk(dvd.locked, 'and unlocked after');
  t.ok(dvd.read(32 + 16, 1).equals(s2.subarray(16 * SECTOR, 17 * SECTOR)));
});
