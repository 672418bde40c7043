// El Torito (the "Bootable CD-ROM Format Specification" 1.0, 1995): the boot record volume
// descriptor, the boot catalog (validation entry, initial/default entry, section headers and
// section entries) and the boot info table isolinux and GRUB expect mkisofs to patch into
// their image. Pure bytes in/bytes out (DESIGN §8).
import { SECTOR } from './constants.js';

export const PLATFORM_X86 = 0x00;
export const PLATFORM_PPC = 0x01;
export const PLATFORM_MAC = 0x02;
export const PLATFORM_EFI = 0xef;

export const MEDIA_NO_EMULATION = 0;
const BOOTABLE = 0x88;
const NOT_BOOTABLE = 0x00;
const HEADER_MORE = 0x90;
const HEADER_LAST = 0x91;
const ENTRY = 32;
const SYSTEM_ID = 'EL TORITO SPECIFICATION';

/** One boot image as the catalog describes it. */
export interface BootEntry {
  platform: number;
  /** false for -no-boot: listed, but the BIOS must not boot it. */
  bootable: boolean;
  media: number;
  /** Real-mode segment to load at; 0 means the BIOS default, 0x7C0. */
  loadSegment: number;
  /** Partition type for hard-disk emulation (0 otherwise). */
  systemType: number;
  /** Virtual (512-byte) sectors the BIOS loads. */
  sectorCount: number;
  /** The image's LBA ("relative block address" of the spec, absolute on the medium). */
  lba: number;
}

/** Sector 17 and on: type 0, "CD001", version 1, the system id, the catalog's LBA at 71. */
export function encodeBootRecord(catalogLba: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[0] = 0;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  b.write(SYSTEM_ID, 7, 'latin1'); // padded with zeros to 32 bytes, as libisofs and mkisofs do
  b.writeUInt32LE(catalogLba, 71);
  return b;
}

/** The catalog LBA of a boot record descriptor, or null when the sector is not one. */
export function decodeBootRecord(b: Buffer): number | null {
  if (b.length < 75 || b[0] !== 0 || b.toString('latin1', 1, 6) !== 'CD001' || b[6] !== 1) return null;
  if (b.toString('latin1', 7, 7 + SYSTEM_ID.length) !== SYSTEM_ID) return null;
  return b.readUInt32LE(71);
}

/** Sum of the little-endian 16-bit words of a validation entry (0 when it is valid). */
function wordSum(e: Buffer): number {
  let s = 0;
  for (let k = 0; k < ENTRY; k += 2) s = (s + e.readUInt16LE(k)) & 0xffff;
  return s;
}

function validationEntry(platform: number, id: string): Buffer {
  const e = Buffer.alloc(ENTRY);
  e[0] = 1;
  e[1] = platform;
  e.write(id.slice(0, 24), 4, 'latin1');
  e[30] = 0x55;
  e[31] = 0xaa;
  e.writeUInt16LE((0x10000 - wordSum(e)) & 0xffff, 28);
  return e;
}

function bootEntry(x: BootEntry, e: Buffer, at: number): void {
  e[at] = x.bootable ? BOOTABLE : NOT_BOOTABLE;
  e[at + 1] = x.media;
  e.writeUInt16LE(x.loadSegment, at + 2);
  e[at + 4] = x.systemType;
  e.writeUInt16LE(x.sectorCount, at + 6);
  e.writeUInt32LE(x.lba, at + 8);
}

/**
 * The catalog sector: the validation entry names the first image's platform, the first
 * image is the initial/default entry, the others follow in sections, one per run of
 * entries of the same platform (as libisofs groups them); the last header is 0x91.
 */
export function encodeBootCatalog(entries: BootEntry[], id = ''): Buffer {
  if (entries.length === 0) throw new Error('a boot catalog needs at least one entry');
  const sections: BootEntry[][] = [];
  for (const x of entries.slice(1)) {
    const last = sections[sections.length - 1];
    if (last && last[0].platform === x.platform) last.push(x);
    else sections.push([x]);
  }
  const size = ENTRY * (2 + sections.length + entries.length - 1);
  if (size > SECTOR) throw new Error(`${entries.length} boot entries do not fit in one catalog sector`);
  const b = Buffer.alloc(SECTOR);
  validationEntry(entries[0].platform, id).copy(b, 0);
  bootEntry(entries[0], b, ENTRY);
  let at = 2 * ENTRY;
  sections.forEach((s, k) => {
    b[at] = k === sections.length - 1 ? HEADER_LAST : HEADER_MORE;
    b[at + 1] = s[0].platform;
    b.writeUInt16LE(s.length, at + 2);
    at += ENTRY;
    for (const x of s) {
      bootEntry(x, b, at);
      at += ENTRY;
    }
  });
  return b;
}

/** Reads a catalog back; throws on a bad validation entry or header. */
export function decodeBootCatalog(b: Buffer): { id: string; entries: BootEntry[] } {
  if (b.length < 2 * ENTRY) throw new Error('boot catalog shorter than two entries');
  const v = b.subarray(0, ENTRY);
  if (v[0] !== 1 || v[30] !== 0x55 || v[31] !== 0xaa) throw new Error('boot catalog: no validation entry (header 1, key 55 AA)');
  if (wordSum(v) !== 0) throw new Error('boot catalog: validation entry checksum is wrong');
  const read = (at: number, platform: number): BootEntry => ({
    platform,
    bootable: b[at] === BOOTABLE,
    media: b[at + 1],
    loadSegment: b.readUInt16LE(at + 2),
    systemType: b[at + 4],
    sectorCount: b.readUInt16LE(at + 6),
    lba: b.readUInt32LE(at + 8),
  });
  const entries = [read(ENTRY, v[1])];
  let at = 2 * ENTRY;
  while (at + ENTRY <= b.length && (b[at] === HEADER_MORE || b[at] === HEADER_LAST)) {
    const last = b[at] === HEADER_LAST;
    const platform = b[at + 1];
    const n = b.readUInt16LE(at + 2);
    at += ENTRY;
    for (let k = 0; k < n; k++, at += ENTRY) {
      if (at + ENTRY > b.length) throw new Error('boot catalog: a section runs past its end');
      entries.push(read(at, platform));
    }
    if (last) break;
  }
  return { id: v.toString('latin1', 4, 28).replace(/\0+$/, ''), entries };
}

/** Offset and size of the boot info table in a boot image (mkisofs -boot-info-table). */
export const BOOT_INFO_TABLE_OFFSET = 8;
export const BOOT_INFO_TABLE_END = 64;

export interface BootInfo {
  pvdLba: number;
  fileLba: number;
  fileLength: number;
  /** 32-bit sum of the image's little-endian words from byte 64 on. */
  checksum: number;
}

/** Accumulates the boot info checksum over an image's bytes as they stream. */
export class BootInfoChecksum {
  private sum = 0;
  private offset = 0;
  /** Bytes of a word split across chunks. */
  private partial = Buffer.alloc(4);
  private partialLength = 0;

  update(chunk: Buffer): void {
    let k = 0;
    if (this.offset < BOOT_INFO_TABLE_END) k = Math.min(chunk.length, BOOT_INFO_TABLE_END - this.offset);
    this.offset += k;
    while (k < chunk.length) {
      if (this.partialLength > 0 || chunk.length - k < 4) {
        const n = Math.min(4 - this.partialLength, chunk.length - k);
        chunk.copy(this.partial, this.partialLength, k, k + n);
        this.partialLength += n;
        k += n;
        this.offset += n;
        if (this.partialLength === 4) {
          this.sum = (this.sum + this.partial.readUInt32LE(0)) >>> 0;
          this.partialLength = 0;
        }
        continue;
      }
      const whole = (chunk.length - k) & ~3;
      for (let j = k; j < k + whole; j += 4) this.sum = (this.sum + chunk.readUInt32LE(j)) >>> 0;
      k += whole;
      this.offset += whole;
    }
  }

  /** The sum; a last word shorter than 4 bytes counts zero-padded, as the sector is. */
  digest(): number {
    if (this.partialLength === 0) return this.sum;
    const w = Buffer.alloc(4);
    this.partial.copy(w, 0, 0, this.partialLength);
    return (this.sum + w.readUInt32LE(0)) >>> 0;
  }
}

/** The 56 bytes that go at offset 8 of the image: four little-endian words, 40 zeros. */
export function encodeBootInfoTable(t: BootInfo): Buffer {
  const b = Buffer.alloc(BOOT_INFO_TABLE_END - BOOT_INFO_TABLE_OFFSET);
  b.writeUInt32LE(t.pvdLba, 0);
  b.writeUInt32LE(t.fileLba, 4);
  b.writeUInt32LE(t.fileLength, 8);
  b.writeUInt32LE(t.checksum >>> 0, 12);
  return b;
}

export function decodeBootInfoTable(image: Buffer): BootInfo {
  if (image.length < BOOT_INFO_TABLE_END) throw new Error('boot image shorter than 64 bytes has no room for a boot info table');
  const o = BOOT_INFO_TABLE_OFFSET;
  return { pvdLba: image.readUInt32LE(o), fileLba: image.readUInt32LE(o + 4), fileLength: image.readUInt32LE(o + 8), checksum: image.readUInt32LE(o + 12) };
}

/** Virtual sectors (512 bytes) of a whole image in whole 2048-byte blocks, as xorriso
 *  loads an image without -boot-load-size; 16 bits at most. */
export function wholeImageSectorCount(bytes: number): number {
  return Math.min(0xffff, Math.ceil(bytes / SECTOR) * (SECTOR / 512));
}
