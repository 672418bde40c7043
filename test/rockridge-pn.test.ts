// PN device numbers (rockridge.ts pnEntry): the dev_t form where Linux, libarchive and
// libisofs all read it, Linux's MKDEV form for minors of 256 and more (docs/readers.md);
// and the image reader decodes both back to the same numbers.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { pnEntry, pnKernelOnly } from '../src/iso9660/rockridge.js';
import { deviceNumbers } from '../src/image/entry.js';
import { have, run } from './helpers/run.js';
import { describe, tool, verify } from './helpers/verify.js';

/** What each reader makes of a PN: Linux (fs/isofs/rock.c), and libarchive/libisofs (one
 *  64-bit dev_t, high << 32 | low, split by glibc's major()/minor()). */
function linux(high: number, low: number): string {
  if (low & ~0xff && high === 0) return `${(low >>> 8) & 0xfff}:${low & 0xff}`; // MKDEV(low >> 8, low & 0xff), 12-bit major
  const dev = ((high << 20) | low) >>> 0;
  return `${dev >>> 20}:${dev & 0xfffff}`;
}
function libarchive(high: number, low: number): string | null {
  if (high !== 0) return null; // a dev_t above 32 bits: mknod fails with EINVAL
  return `${(low >>> 8) & 0xfff}:${(low & 0xff) | ((low >>> 12) & 0xfff00)}`;
}

const fields = (b: Buffer) => ({ high: b.readUInt32LE(4), low: b.readUInt32LE(12), highBE: b.readUInt32BE(8), lowBE: b.readUInt32BE(16) });

t.test('PN bytes: signature, length 20, version 1, both-endian fields', async (t) => {
  const b = pnEntry(259, 0);
  t.same([...b.subarray(0, 4)], [0x50, 0x4e, 20, 1]);
  t.equal(b.length, 20);
  const f = fields(b);
  t.same(f, { high: 0, low: 0x10300, highBE: 0, lowBE: 0x10300 }, '259:0 as the dev_t 0x10300');
  t.same(fields(pnEntry(8, 1)), { high: 0, low: 0x801, highBE: 0, lowBE: 0x801 }, '8:1 unchanged from the 16-bit form');
  t.same(fields(pnEntry(7, 300)), { high: 7, low: 300, highBE: 7, lowBE: 300 }, '7:300 as MKDEV(7, 300)');
  t.same(fields(pnEntry(4095, 1048575)), { high: 4095, low: 1048575, highBE: 4095, lowBE: 1048575 });
});

t.test('every reader gets the numbers back where any encoding allows it', async (t) => {
  const cases: [number, number][] = [
    [259, 0],
    [7, 300],
    [8, 1],
    [4095, 1048575],
    [511, 255],
    [4095, 255],
    [1, 3],
    [0, 5],
    [136, 0],
    [202, 256],
  ];
  for (const [ma, mi] of cases) {
    const { high, low } = fields(pnEntry(ma, mi));
    const want = `${ma}:${mi}`;
    t.equal(linux(high, low), want, `${want}: Linux`);
    if (mi < 256) t.equal(libarchive(high, low), want, `${want}: libarchive and libisofs`);
    else t.equal(libarchive(high, low), null, `${want}: libarchive and libisofs refuse it rather than make another device`);
    t.equal(pnKernelOnly(ma, mi), mi >= 256, `${want}: kernel-only exactly when the minor is 256 or more`);
    const back = deviceNumbers(high, low);
    t.equal(`${back.major}:${back.minor}`, want, `${want}: the image reader (cd-verify, iso-merge)`);
  }
});

t.test("the image reader decodes xorriso's dev_t form for every number too", async (t) => {
  for (const [ma, mi] of [
    [7, 300],
    [4095, 1048575],
    [259, 70000],
  ]) {
    const low = ((mi & 0xff) | (ma << 8) | ((mi & 0xfff00) << 12)) >>> 0;
    t.same(deviceNumbers(0, low), { major: ma, minor: mi }, `${ma}:${mi}`);
  }
});

t.test('iso-pack | cd-verify: the numbers come back from the image, with one warning for the kernel-only ones', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-pn-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const end = new Promise((r) => p.on('end', r));
  const devices: [string, 'block-device' | 'character-device', number, number][] = [
    ['nvme0n1', 'block-device', 259, 0],
    ['loop300', 'block-device', 7, 300],
    ['sda1', 'block-device', 8, 1],
    ['max', 'character-device', 4095, 1048575],
  ];
  for (const [name, type, devmajor, devminor] of devices) p.entry({ name, type, devmajor, devminor, mode: 0o600, mtime: new Date(1_700_000_000_000) });
  p.finalize();
  await end;
  const tar = Buffer.concat(chunks);
  const image = join(work, 'dev.iso');
  const r = tool('iso-pack', ['-o', image], tar);
  t.equal(r.status, 0);
  t.equal(
    r.stderr.toString().trim(),
    'iso-pack: warning: 2 device node(s) with a minor number above 255: Linux reads them, bsdtar and xorriso cannot recreate them (docs/readers.md)',
  );
  const v = verify(['--dev', image], tar);
  t.equal(v.status, 0, `cd-verify compares every device number with the tar's ${describe(v)}`);
  if (have('bsdtar')) {
    const list = run('bsdtar', ['-tvf', image]).stdout.toString();
    t.match(list, /259,0 .* nvme0n1/, 'bsdtar lists 259:0');
    t.match(list, /8,1 .* sda1/, 'and 8:1');
  }
});
