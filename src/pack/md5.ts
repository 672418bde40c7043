// iso-pack --md5: libisofs-compatible checksums (src/iso9660/checksum-tags.ts), so that
// `xorriso -check_md5` and cd-verify can verify a session years later without its source.
// - Each file's MD5 is computed as its data streams through (one pass, nothing held), or
//   taken from the tar for a file of an earlier session (pax ISOPIPE.md5).
// - Every file with an MD5 gets an index (AAIP isofs.cx) in the order its data came, the
//   root an isofs.ca naming the array; the array follows the session's last data.
// - The session MD5 (array entry 0), the array's own MD5 and the tree and session tags
//   cover sectors from the session start, head included: they are filled in by a second
//   pass once the head is known (src/session/checksum-seal.ts); the array is written with
//   those two entries zero.
import { createHash, type Hash } from 'node:crypto';
import { SECTOR } from '../iso9660/constants.js';
import {
  attributeEntriesLength,
  checksumArrayBytes,
  encodeAttributeEntries,
  encodeChecksumArea,
  encodeChecksumIndex,
  MD5_BYTES,
} from '../iso9660/checksum-tags.js';
import type { Inode } from '../tree/tree.js';

/** Bytes of the AL entry that carries the root's isofs.ca. */
export const CHECKSUM_AREA_ENTRY_LENGTH = attributeEntriesLength([{ name: 'isofs.ca', value: encodeChecksumArea({ start: 0, end: 0, count: 0 }) }]);

const HEX32 = /^[0-9a-fA-F]{32}$/;

export class Md5Error extends Error {}

export class FileChecksums {
  /** MD5s in the order files were seen, 16 bytes each: slot k is array entry k + 1. A file
   *  the tar later replaces keeps its slot, which nothing then refers to. */
  private digests = Buffer.alloc(64 * MD5_BYTES);
  /** Slot of each file's MD5: one number per file, no object per digest. */
  private readonly slots = new Map<Inode, number>();
  private used = 0;
  private current: Hash | null = null;
  private currentInode: Inode | null = null;
  private readonly indexTemplate = encodeAttributeEntries([{ name: 'isofs.cx', value: encodeChecksumIndex(0) }])[0];

  /** A file's data begins (call even for an empty file). */
  begin(inode: Inode): void {
    this.current = createHash('md5');
    this.currentInode = inode;
  }

  update(chunk: Buffer): void {
    this.current?.update(chunk);
  }

  /** The current file's data has ended. */
  end(): void {
    if (this.current && this.currentInode) this.store(this.currentInode, this.current.digest());
    this.current = null;
    this.currentInode = null;
  }

  /** A file of an earlier session: its recorded MD5 (32 hex digits), or none. */
  reference(inode: Inode, hex: string | undefined, path: string): void {
    if (hex === undefined) return;
    if (!HEX32.test(hex)) throw new Md5Error(`'${path}': malformed ISOPIPE.md5 ${JSON.stringify(hex)} (32 hex digits expected)`);
    this.store(inode, Buffer.from(hex, 'hex'));
  }

  private store(inode: Inode, digest: Buffer): void {
    if ((this.used + 1) * MD5_BYTES > this.digests.length) {
      const grown = Buffer.alloc(this.digests.length * 2);
      this.digests.copy(grown);
      this.digests = grown;
    }
    digest.copy(this.digests, this.used * MD5_BYTES);
    this.slots.set(inode, this.used++);
  }

  /** The index of a file's MD5 in the array (1…N); null for a file without an MD5. */
  indexOf(inode: Inode): number | null {
    const k = this.slots.get(inode);
    return k === undefined ? null : k + 1;
  }

  /** File entries in the array. */
  get count(): number {
    return this.used;
  }

  /** The AL entries of a file's record (isofs.cx). */
  indexEntries(index: number): Buffer[] {
    const e = Buffer.from(this.indexTemplate);
    e.writeUInt32BE(index, e.length - 4);
    return [e];
  }

  /** The AL entries of the root's `.` record (isofs.ca): session MD5 over [start, end), the
   *  array at `end`. */
  areaEntries(start: number, end: number): Buffer[] {
    return encodeAttributeEntries([{ name: 'isofs.ca', value: encodeChecksumArea({ start, end, count: this.count + 2 }) }]);
  }

  /** Sectors the array takes. */
  get arraySectors(): number {
    return Math.ceil(checksumArrayBytes(this.count) / SECTOR);
  }

  /** The array, zero-padded to whole sectors: the files by index between a zero session
   *  MD5 and a zero MD5 of all entries, both left to the seal. */
  array(): Buffer {
    const entries = Buffer.alloc(this.arraySectors * SECTOR);
    this.digests.copy(entries, MD5_BYTES, 0, this.used * MD5_BYTES);
    return entries;
  }
}
