// iso-pack's El Torito options end to end (tier 1, no judges: the image is read back with the
// codec). The readers' and a PC's view are in test/interop/eltorito.test.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBootCatalog, decodeBootInfoTable, decodeBootRecord } from '../dist/iso9660/el-torito.js';
import { ISO_PACK } from './helpers/isopack.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-eltorito-pack-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const tree = join(work, 'tree');
mkdirSync(join(tree, 'boot'), { recursive: true });
// A loader of 3 sectors and 5 bytes whose words from 64 on are known.
const loader = Buffer.alloc(3 * 2048 + 5);
for (let k = 0; k < loader.length; k++) loader[k] = (k * 7) & 0xff;
writeFileSync(join(tree, 'boot/loader.bin'), loader);
writeFileSync(join(tree, 'efi.img'), Buffer.alloc(10_000, 0xaa));
writeFileSync(join(tree, 'text.txt'), 'x'.repeat(100_000));
const mbr = join(work, 'mbr.bin');
writeFileSync(mbr, Buffer.alloc(440, 0x90));
writeFileSync(join(work, 'short'), Buffer.alloc(100));
const tar = spawnSync('tar', ['-C', tree, '-cf', '-', '.']).stdout;

function pack(args: string[], input = tar) {
  const out = join(work, `o${Math.random().toString(36).slice(2)}.iso`);
  const r = spawnSync(process.execPath, [ISO_PACK, '-q', ...args, '-o', out], { input });
  let image: Buffer | null = null;
  try {
    image = readFileSync(out);
  } catch {
    /* none on failure */
  }
  return { status: r.status, stderr: String(r.stderr), image };
}

const sector = (img: Buffer, lba: number) => img.subarray(lba * 2048, lba * 2048 + 2048);

t.test('-b -c -no-emul-boot -boot-load-size -boot-info-table', async (t) => {
  const r = pack(['-b', 'boot/loader.bin', '-c', 'boot/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', '-z']);
  t.equal(r.status, 0, r.stderr);
  const img = r.image!;
  const catalogLba = decodeBootRecord(sector(img, 17));
  t.ok(catalogLba, 'boot record at sector 17');
  t.equal(img[18 * 2048], 2, 'the Joliet SVD after it');
  const { entries } = decodeBootCatalog(sector(img, catalogLba!));
  t.equal(entries.length, 1);
  t.match(entries[0], { platform: 0, bootable: true, media: 0, sectorCount: 4 });
  const at = entries[0].lba * 2048;
  const image = img.subarray(at, at + loader.length);
  const table = decodeBootInfoTable(image);
  let sum = 0;
  const padded = Buffer.concat([loader, Buffer.alloc(3)]);
  for (let k = 64; k + 4 <= padded.length; k += 4) sum = (sum + padded.readUInt32LE(k)) >>> 0;
  t.same(table, { pvdLba: 16, fileLba: entries[0].lba, fileLength: loader.length, checksum: sum });
  t.same(image.subarray(0, 8), loader.subarray(0, 8));
  t.same(image.subarray(24, 64), Buffer.alloc(40));
  t.same(image.subarray(64), loader.subarray(64), 'not compressed under -z, bytes from 64 as tarred');
});

t.test('a later session (-C) puts the PVD LBA of its own head in the table', async (t) => {
  const r = pack(['-C', '0,1000', '-b', 'boot/loader.bin', '-no-emul-boot', '-boot-info-table']);
  t.equal(r.status, 0, r.stderr);
  const img = r.image!;
  const catalogLba = decodeBootRecord(sector(img, 17))!;
  t.ok(catalogLba >= 1000, 'the catalog in the new session');
  // A file image of a later session starts at its LBA 1000: offsets are relative to it.
  const rel = (lba: number) => lba - 1000;
  const { entries } = decodeBootCatalog(sector(img, rel(catalogLba)));
  t.equal(entries[0].sectorCount, 16, 'whole image in 2048-byte blocks without -boot-load-size');
  t.equal(decodeBootInfoTable(img.subarray(rel(entries[0].lba) * 2048)).pvdLba, 1016);
});

t.test('BIOS and EFI entries, hidden catalog', async (t) => {
  const r = pack(['-b', 'boot/loader.bin', '-no-emul-boot', '-eltorito-alt-boot', '-e', 'efi.img', '-no-emul-boot']);
  t.equal(r.status, 0, r.stderr);
  const { entries } = decodeBootCatalog(sector(r.image!, decodeBootRecord(sector(r.image!, 17))!));
  t.same(
    entries.map((e) => [e.platform, e.sectorCount]),
    [
      [0, 16],
      [0xef, 20],
    ],
  );
  t.same(r.image!.subarray(entries[1].lba * 2048, entries[1].lba * 2048 + 10_000), Buffer.alloc(10_000, 0xaa));
});

t.test('bad boot options and inputs: one line naming the problem', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [['-b', 'nope.bin', '-no-emul-boot'], 1, /^iso-pack: boot image \(-b\) 'nope\.bin' is not in the tar/],
    [['-b', 'boot', '-no-emul-boot'], 1, /'boot' is a directory, not a regular file/],
    [['-b', 'boot/loader.bin'], 2, /-no-emul-boot/],
    [['-no-emul-boot'], 2, /without a boot image/],
    [['-b', 'boot/loader.bin', '-no-emul-boot', '-eltorito-alt-boot'], 2, /not followed by -b or -e/],
    [['-b', 'boot/loader.bin', '-e', 'efi.img', '-no-emul-boot'], 2, /already has the image.*-eltorito-alt-boot/],
    [['-b', 'boot/loader.bin', '-no-emul-boot', '-boot-load-size', '0'], 2, /-boot-load-size 0/],
    [['-b', 'boot/loader.bin', '-no-emul-boot', '-boot-load-size', 'x'], 2, /wants a number/],
    [['-b', 'boot/loader.bin', '-no-emul-boot', '-c', 'boot/loader.bin'], 2, /names a boot image/],
    [['-b', 'boot/loader.bin', '-no-emul-boot', '-c', 'boot'], 1, /is a directory in the tar/],
    [['-b', '../x', '-no-emul-boot'], 2, /-b \.\.\/x/],
    [['-isohybrid-mbr', mbr], 2, /-isohybrid-mbr needs a BIOS boot image/],
    [['-isohybrid-mbr', mbr, '-e', 'efi.img'], 1, /-isohybrid-mbr needs a BIOS boot image/],
    [['-isohybrid-mbr', mbr, '-b', 'boot/loader.bin', '-no-emul-boot'], 1, /add -boot-info-table/],
    [['-isohybrid-mbr', join(work, 'short'), '-b', 'boot/loader.bin', '-no-emul-boot'], 2, /not an MBR template/],
    [['-isohybrid-mbr', join(work, 'missing'), '-b', 'boot/loader.bin', '-no-emul-boot'], 1, /cannot read .*missing.*ENOENT/],
    [['-C', '0,100', '-isohybrid-mbr', mbr, '-b', 'boot/loader.bin', '-no-emul-boot'], 2, /first session/],
  ];
  for (const [args, status, re] of cases) {
    const r = pack(args);
    t.equal(r.status, status, args.join(' '));
    t.match(r.stderr, re, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(r.image, null, 'no image left behind');
  }
});

t.test("-isohybrid-mbr: the template's code, the image's block, whole MiB", async (t) => {
  const r = pack(['-isohybrid-mbr', mbr, '-b', 'boot/loader.bin', '-no-emul-boot', '-boot-info-table']);
  t.equal(r.status, 0, r.stderr);
  const img = r.image!;
  const { entries } = decodeBootCatalog(sector(img, decodeBootRecord(sector(img, 17))!));
  t.same(img.subarray(0, 432), Buffer.alloc(432, 0x90), 'the first 432 bytes of the template');
  t.equal(img.readUInt32LE(432), entries[0].lba * 4);
  t.equal(img.readUInt32LE(446 + 12), img.length / 512, 'the partition covers the image');
  t.equal(img.length % (1 << 20), 0);
  t.same(img.subarray(510, 512), Buffer.from([0x55, 0xaa]));
});
