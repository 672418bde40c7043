// The isohybrid MBR (syslinux's isohdpfx.bin, mkisofs/xorriso -isohybrid-mbr): the first 512
// bytes of the system area, so that a BIOS booting the image as a disk (a USB stick) runs
// isolinux. Layout as libisofs writes it: 432 bytes of boot code, the 512-byte block of the
// El Torito boot image (64-bit little-endian), a disk id, one partition of type 0x17 from
// block 0 over the image, with the CHS of a 64-head, 32-sector geometry; 55 AA.
export const ISOHYBRID_CODE_BYTES = 432;
const HEADS = 64;
const SECTORS = 32;
/** One cylinder in 2048-byte sectors (1 MiB): xorriso pads an isohybrid image to whole ones. */
export const ISOHYBRID_CYLINDER_SECTORS = (HEADS * SECTORS * 512) / 2048;

/** @param code the boot code (isohdpfx.bin; its first 432 bytes are used)
 *  @param bootImageLba LBA (2048-byte) of the El Torito BIOS boot image
 *  @param imageBlocks size of the image in 512-byte blocks
 *  @param diskId the MBR's disk signature */
export function encodeIsohybridMbr(code: Buffer, bootImageLba: number, imageBlocks: number, diskId: number): Buffer {
  if (code.length < ISOHYBRID_CODE_BYTES)
    throw new Error(`an isohybrid MBR template has at least ${ISOHYBRID_CODE_BYTES} bytes (isohdpfx.bin), this one ${code.length}`);
  const b = Buffer.alloc(512);
  code.copy(b, 0, 0, ISOHYBRID_CODE_BYTES);
  b.writeBigUInt64LE(BigInt(bootImageLba) * 4n, 432);
  b.writeUInt32LE(diskId >>> 0, 440);
  const p = 446;
  b[p] = 0x80;
  // CHS of block 0: head 0, sector 1, cylinder 0.
  b[p + 1] = 0;
  b[p + 2] = 1;
  b[p + 3] = 0;
  b[p + 4] = 0x17;
  const cylinders = Math.min(1024, Math.max(1, Math.ceil(imageBlocks / (HEADS * SECTORS))));
  const lastCyl = cylinders - 1;
  b[p + 5] = HEADS - 1;
  b[p + 6] = SECTORS | ((lastCyl >> 2) & 0xc0);
  b[p + 7] = lastCyl & 0xff;
  b.writeUInt32LE(0, p + 8);
  b.writeUInt32LE(Math.min(0xffffffff, imageBlocks), p + 12);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}
