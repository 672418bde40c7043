// El Torito codec (src/iso9660/el-torito.ts), byte-exact against the layouts of the El Torito
// 1.0 specification and what xorriso 1.5 (libisofs) writes for
// `-b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4` and with an EFI entry after
// -eltorito-alt-boot.
import t from 'tap';
import {
  BootInfoChecksum,
  decodeBootCatalog,
  decodeBootInfoTable,
  decodeBootRecord,
  encodeBootCatalog,
  encodeBootInfoTable,
  encodeBootRecord,
  PLATFORM_EFI,
  PLATFORM_X86,
  wholeImageSectorCount,
} from '../dist/iso9660/el-torito.js';
import { encodeIsohybridMbr, ISOHYBRID_CYLINDER_SECTORS } from '../dist/iso9660/isohybrid.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

t.test('boot record volume descriptor: type 0, CD001, version 1, system id, catalog LBA at 71', async (t) => {
  const b = encodeBootRecord(33);
  t.equal(b.length, 2048);
  t.same(b.subarray(0, 7), hex('00 4344303031 01'));
  t.equal(b.toString('latin1', 7, 39), 'EL TORITO SPECIFICATION\0\0\0\0\0\0\0\0\0');
  t.same(b.subarray(39, 71), Buffer.alloc(32), 'boot identifier unused');
  t.same(b.subarray(71, 75), hex('21000000'), 'catalog LBA little-endian (xorriso: 33)');
  t.same(b.subarray(75), Buffer.alloc(2048 - 75));
  t.equal(decodeBootRecord(b), 33);
  const pvd = Buffer.from(b);
  pvd[0] = 1;
  t.equal(decodeBootRecord(pvd), null, 'a PVD is no boot record');
});

t.test('BIOS catalog as xorriso writes it: validation entry, default entry, nothing else', async (t) => {
  const cat = encodeBootCatalog([{ platform: PLATFORM_X86, bootable: true, media: 0, loadSegment: 0, systemType: 0, sectorCount: 4, lba: 34 }]);
  // The first 64 bytes of xorriso -as mkisofs's catalog for the same entry (LBA 34).
  t.same(
    cat.subarray(0, 64),
    hex(`01000000 00000000 00000000 00000000 00000000 00000000 00000000 aa5555aa
         88000000 00000400 22000000 00000000 00000000 00000000 00000000 00000000`),
  );
  t.same(cat.subarray(64), Buffer.alloc(2048 - 64));
  const back = decodeBootCatalog(cat);
  t.same(back.entries, [{ platform: 0, bootable: true, media: 0, loadSegment: 0, systemType: 0, sectorCount: 4, lba: 34 }]);
});

t.test('validation entry checksum makes the 16-bit words sum to 0; an id string is kept', async (t) => {
  const cat = encodeBootCatalog([{ platform: PLATFORM_EFI, bootable: true, media: 0, loadSegment: 0, systemType: 0, sectorCount: 1, lba: 50 }], 'ISOPIPE');
  let sum = 0;
  for (let k = 0; k < 32; k += 2) sum += cat.readUInt16LE(k);
  t.equal(sum & 0xffff, 0);
  t.equal(cat[1], 0xef);
  t.equal(decodeBootCatalog(cat).id, 'ISOPIPE');
  const bad = Buffer.from(cat);
  bad[5] ^= 1;
  t.throws(() => decodeBootCatalog(bad), /checksum/);
});

t.test('alternative entries: one section per run of a platform, the last header 0x91', async (t) => {
  const e = (platform: number, lba: number, bootable = true) => ({ platform, bootable, media: 0, loadSegment: 0, systemType: 0, sectorCount: 4, lba });
  const cat = encodeBootCatalog([e(0, 40), e(0xef, 41), e(0xef, 42, false), e(0, 43)]);
  // header 0x90 platform EF count 2, two entries, header 0x91 platform 0 count 1, one entry.
  t.same(cat.subarray(64, 68), hex('90ef0200'));
  t.same(cat.subarray(96, 108), hex('88000000 00000400 29000000'));
  t.same(cat.subarray(128, 140), hex('00000000 00000400 2a000000'), '-no-boot: indicator 00');
  t.same(cat.subarray(160, 164), hex('91000100'));
  t.same(cat.subarray(192, 204), hex('88000000 00000400 2b000000'));
  t.same(cat.subarray(224), Buffer.alloc(2048 - 224));
  t.same(
    decodeBootCatalog(cat).entries.map((x) => [x.platform, x.lba, x.bootable]),
    [
      [0, 40, true],
      [0xef, 41, true],
      [0xef, 42, false],
      [0, 43, true],
    ],
  );
  t.throws(() => encodeBootCatalog([]), /at least one/);
  t.throws(() => encodeBootCatalog(Array.from({ length: 40 }, (_, k) => e(k % 2, k))), /do not fit/);
});

t.test('boot info table: PVD LBA, file LBA, length, checksum of the words from byte 64', async (t) => {
  const table = encodeBootInfoTable({ pvdLba: 16, fileLba: 34, fileLength: 38912, checksum: 0x8811c780 });
  t.equal(table.length, 56);
  // What xorriso patched into isolinux.bin 6.04 at LBA 34 (bytes 8..23 of the image).
  t.same(table.subarray(0, 16), hex('10000000 22000000 00980000 80c71188'));
  t.same(table.subarray(16), Buffer.alloc(40));
  const image = Buffer.alloc(100);
  table.copy(image, 8);
  t.same(decodeBootInfoTable(image), { pvdLba: 16, fileLba: 34, fileLength: 38912, checksum: 0x8811c780 });
});

t.test('the streaming checksum skips bytes 0-63, wraps at 32 bits, and is chunking-blind', async (t) => {
  const image = Buffer.alloc(64 + 4 * 5 + 3, 0xee);
  image.writeUInt32LE(0xffffffff, 64);
  image.writeUInt32LE(2, 68);
  // Reference: words from 64, the 3-byte tail zero-padded.
  let want = 0;
  const padded = Buffer.concat([image, Buffer.alloc(1)]);
  for (let k = 64; k < padded.length; k += 4) want = (want + padded.readUInt32LE(k)) >>> 0;
  for (const step of [1, 3, 5, 7, 64, 65, 1000]) {
    const c = new BootInfoChecksum();
    for (let k = 0; k < image.length; k += step) c.update(image.subarray(k, k + step));
    t.equal(c.digest(), want, `chunks of ${step}`);
  }
  const empty = new BootInfoChecksum();
  empty.update(Buffer.alloc(64, 1));
  t.equal(empty.digest(), 0, 'nothing after the table sums to 0');
});

t.test('whole-image load size in 2048-byte blocks, as xorriso without -boot-load-size', async (t) => {
  t.equal(wholeImageSectorCount(38912), 76);
  t.equal(wholeImageSectorCount(1), 4);
  t.equal(wholeImageSectorCount(2049), 8);
  t.equal(wholeImageSectorCount(1 << 30), 0xffff);
});

t.test('isohybrid MBR: code, boot image block, disk id, one 0x17 partition, 55 AA (as xorriso writes it)', async (t) => {
  const code = Buffer.alloc(432, 0xcc);
  const mbr = encodeIsohybridMbr(code, 34, 2048, 0x036b936f);
  t.same(mbr.subarray(0, 432), code);
  // xorriso -as mkisofs -isohybrid-mbr isohdpfx.bin for isolinux.bin at LBA 34, a 1 MiB image.
  t.same(
    mbr.subarray(432),
    hex(
      `8800000000000000 6f936b03 0000
    80000100 173f2000 00000000 00080000` +
        '00'.repeat(48) +
        '55aa',
    ),
  );
  const big = encodeIsohybridMbr(code, 20, 4096 * 2048, 0);
  t.same(big.subarray(446 + 5, 446 + 8), hex('3fe0ff'), 'cylinder 1023 at most: its high bits in the sector byte');
  t.equal(ISOHYBRID_CYLINDER_SECTORS, 512);
  t.throws(() => encodeIsohybridMbr(Buffer.alloc(100), 1, 1, 0), /at least 432/);
});
