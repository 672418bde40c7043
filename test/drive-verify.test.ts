// The image reader over a disc (src/drive/disc-image.ts): sessions from the drive's TOC,
// sectors by READ(10) through the Drive, as cd-verify and iso-merge read a disc. A fake
// CD-R holds two sessions made by iso-pack (the second laid out for LBA 500, 150 sectors
// after the first as on the emulated recorder); an unreadable sector is a finding naming
// the session, LBA and file, never a thrown error.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discImage, type DriveSectorReader, reportUnreadable } from '../src/drive/disc-image.js';
import { readDisc } from '../src/drive/disc.js';
import { Drive } from '../src/drive/drive.js';
import type { ImageEntry } from '../src/image/entry.js';
import type { Image } from '../src/image/image.js';
import { type Finding, FindingSink } from '../src/verify/findings.js';
import { verifyMedium } from '../src/verify/verifier.js';
import { FakeTransport, type FakeDisc } from './helpers/fake-drive.js';
import { isoPackBuilt, packBuffer } from './helpers/isopack.js';
import { gnuTar as tarOf } from './helpers/verify.js';

const SECOND = 500;

if (!isoPackBuilt()) {
  t.fail('dist/ is not built: run npx tsc first');
  process.exit();
}

const dir = mkdtempSync(join(tmpdir(), 'drive-verify-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'one/sub'), { recursive: true });
mkdirSync(join(dir, 'two'));
writeFileSync(join(dir, 'one/a.txt'), 'one\n');
const big = Buffer.alloc(300_000);
for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
writeFileSync(join(dir, 'one/sub/big.bin'), big);
writeFileSync(join(dir, 'two/b.txt'), 'two\n');
writeFileSync(join(dir, 'two/c.bin'), big.subarray(0, 100_000));

function pack(src: string, args: string[]): Buffer {
  const out = join(dir, `${src}.img`);
  const r = packBuffer(tarOf(join(dir, src)), ['--md5', ...args, '-o', out]);
  if (r.status !== 0) throw new Error(r.stderr);
  return readFileSync(out);
}
const s1 = pack('one', []);
const s2 = pack('two', ['-C', `0,${SECOND}`]);
const n1 = s1.length / 2048;
const n2 = s2.length / 2048;

/** cdemu's CD-R after two -multi sessions: TAO tracks with their pregap counted in by RTI. */
function disc(): FakeDisc {
  const sectors = new Map<number, Buffer>();
  for (let i = 0; i < n1; i++) sectors.set(i, s1.subarray(i * 2048, (i + 1) * 2048));
  for (let i = 0; i < n2; i++) sectors.set(SECOND + i, s2.subarray(i * 2048, (i + 1) * 2048));
  const end = SECOND + n2;
  return {
    profile: 0x09,
    status: 1,
    lastSessionState: 0,
    sessions: 3,
    leadOut: end,
    tracks: [
      { session: 1, rtiStart: -150, rtiSize: n1 + 150, tocStart: 0 },
      { session: 2, rtiStart: SECOND - 150, rtiSize: n2 + 150, tocStart: SECOND },
      { session: 3, rtiStart: end, rtiSize: 300_000, blank: true, nwa: end + 150, free: 300_000 },
    ],
    sectors,
  };
}

type DiscImage = Image & { reader: DriveSectorReader };

async function open(tr: FakeTransport): Promise<DiscImage> {
  const drive = new Drive(tr, { sleep: async () => {}, sleepSync: () => {}, readyTimeoutMs: 1000 });
  const { image, reader } = discImage(drive, await readDisc(drive));
  return Object.assign(image, { reader });
}

/** As cd-verify does on a disc: unreadable sectors read as zeros, then reported. */
function verify(image: DiscImage): { findings: Finding[]; summary: ReturnType<typeof verifyMedium> } {
  const findings: Finding[] = [];
  const sink = new FindingSink((f) => findings.push(f));
  image.reader.zeroFill = true;
  const summary = verifyMedium(image, sink);
  reportUnreadable(image, image.reader, sink);
  return { findings, summary };
}

function entries(image: Image, session?: number): Map<string, ImageEntry> {
  const m = new Map<string, ImageEntry>();
  image.walk(image.session(session), (e) => m.set(e.path, e));
  return m;
}

t.test('sessions come from the TOC, not from the chain at LBA 32', async (t) => {
  const image = await open(new FakeTransport(disc()));
  t.same(
    image.sessions.map((s) => [s.number, s.start, s.size]),
    [
      [1, 0, n1],
      [2, SECOND, n2],
    ],
  );
  // The newest session is the default one, its files at their absolute LBAs.
  const two = entries(image);
  t.ok(two.has('c.bin') && !two.has('a.txt'), 'session 2 holds the second tree only');
  const c = two.get('c.bin')!;
  t.ok(c.extents[0].lba >= SECOND, `c.bin at LBA ${c.extents[0].lba}, inside session 2`);
  const parts: Buffer[] = [];
  image.readContent(c, (b) => parts.push(Buffer.from(b)));
  t.ok(Buffer.concat(parts).equals(big.subarray(0, 100_000)), 'c.bin reads back');
  t.ok(entries(image, 1).has('sub/big.bin'), 'session 1 on request');
  image.close();
});

t.test('a clean disc verifies: both sessions, with their MD5s', async (t) => {
  const image = await open(new FakeTransport(disc()));
  const { findings, summary } = verify(image);
  t.same(findings, []);
  t.equal(summary.sessions, 2);
  t.ok(summary.files >= 4, `${summary.files} files checked by MD5`);
  image.close();
});

t.test('an unreadable sector in file data: a finding naming session, LBA and file', async (t) => {
  const image = await open(new FakeTransport(disc()));
  const x = entries(image, 1).get('sub/big.bin')!.extents[0];
  image.close();
  const bad = x.lba + 40;
  const tr = new FakeTransport(disc());
  tr.faults = [{ opcode: 0x28, lba: bad, sense: [3, 0x11, 0x00] }];
  const img = await open(tr);
  const { findings } = verify(img);
  t.ok(findings.length >= 1, 'found');
  const f = findings.find((f) => f.kind === 'unreadable');
  t.ok(f, `a finding at LBA ${bad}: ${JSON.stringify(findings)}`);
  t.equal(f?.session, 1);
  t.match(f?.path, /big\.bin/);
  t.equal(f?.lba, bad);
  t.match(f?.message, /^unreadable sector at LBA \d+: READ\(10\) failed: unrecovered read error \(3\/11\/00\) \(file data; checked as zeros\)$/);
  t.ok(
    findings.some((f) => f.kind === 'file-md5' && /big\.bin/.test(f.path ?? '')),
    'and the MD5 of the file fails',
  );
  t.equal(findings.filter((f) => f.kind === 'unreadable').length, 1, 'one sector, one finding');
  img.close();
});

t.test('an unreadable directory or volume descriptor: findings, not a crash', async (t) => {
  const image = await open(new FakeTransport(disc()));
  const root = image.session(2).primary.root.extent;
  image.close();
  for (const bad of [root, SECOND + 17, SECOND + 16]) {
    const tr = new FakeTransport(disc());
    tr.faults = [{ opcode: 0x28, lba: bad, sense: [3, 0x11, 0x05] }];
    const img = await open(tr);
    const { findings } = verify(img);
    const u = findings.find((f) => f.kind === 'unreadable');
    t.same([u?.session, u?.lba, u?.path], [2, bad, undefined], `LBA ${bad}: ${u?.message}`);
    img.close();
  }
});

t.test('a blank disc holds no session', async (t) => {
  const blank: FakeDisc = {
    profile: 0x09,
    status: 0,
    lastSessionState: 0,
    sessions: 1,
    tracks: [{ session: 1, rtiStart: -150, rtiSize: 333000, blank: true, nwa: -150, free: 333000 }],
  };
  const image = await open(new FakeTransport(blank));
  t.ok(image.blank);
  const { findings } = verify(image);
  t.match(findings[0]?.message, /blank/);
  image.close();
});

t.test('without zero fill (iso-merge) a bad sector is an error naming its LBA', async (t) => {
  const image = await open(new FakeTransport(disc()));
  const c = entries(image).get('c.bin')!;
  image.close();
  const tr = new FakeTransport(disc());
  tr.faults = [{ opcode: 0x28, lba: c.extents[0].lba + 3, sense: [3, 0x11, 0x00] }];
  const img = await open(tr);
  t.throws(() => img.readContent(c, () => {}), {
    message: new RegExp(`unreadable sector at LBA ${c.extents[0].lba + 3}: READ\\(10\\) failed: unrecovered read error \\(3/11/00\\)`),
  });
  img.close();
});

t.test('readSync retries as command does, and needs a synchronous transport', async (t) => {
  const tr = new FakeTransport(disc());
  const waits: number[] = [];
  const d = new Drive(tr, { sleepSync: (ms) => waits.push(ms), readyTimeoutMs: 1000 });
  tr.faults = [
    { opcode: 0x28, sense: [2, 0x04, 0x01], times: 2 },
    { opcode: 0x28, sense: [6, 0x28, 0x00] },
  ];
  t.ok(d.readSync(16, 1).equals(s1.subarray(16 * 2048, 17 * 2048)), 'the PVD after two becoming-ready and a medium change');
  t.same(waits, [10, 20]);
  t.equal(d.mediumChanges, 1);
  tr.faults = [{ opcode: 0x28, sense: [5, 0x24, 0x00] }];
  t.throws(() => d.readSync(16, 1), { name: 'DriveError', message: '/dev/sr0: READ(10) failed: invalid field in CDB (5/24/00)' });
  const asyncOnly = new Drive({ name: '/dev/sr9', execute: (c) => tr.execute(c), close() {} });
  t.throws(() => asyncOnly.readSync(16, 1), { message: /cannot send commands synchronously/ });
});
