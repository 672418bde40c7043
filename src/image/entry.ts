// What the image reader reports for each name in a session's tree: metadata only, and the
// file's data as extents on the medium (never the data itself).
import type { ChecksumArea } from '../iso9660/checksum-tags.js';
import type { ZfInfo } from '../iso9660/zisofs.js';

export type ImageEntryType = 'file' | 'dir' | 'symlink' | 'chr' | 'blk' | 'fifo' | 'sock';

export interface DataExtent {
  lba: number;
  bytes: number;
}

export interface ImageEntry {
  /** Path from the root without a leading slash ('' for the root), raw bytes in a latin1 string. */
  path: string;
  type: ImageEntryType;
  /** Permission bits and setuid/setgid/sticky (no type bits). */
  perm: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  atime?: number;
  ctime?: number;
  /** Bytes of content: a regular file's size (sum of its sections), 0 for others but directories. */
  size: number;
  /** A regular file's sections in file order, each non-empty; [] for an empty file. */
  extents: DataExtent[];
  /** Symlink target, raw bytes in a latin1 string. */
  target?: string;
  major?: number;
  minor?: number;
  /** Link count from PX (1 without Rock Ridge). */
  nlink: number;
  /** PX file serial number, when the image records one. */
  serial?: number;
  /**
   * Names with the same key are hard links to one file: same extent and size for non-empty
   * files, same PX serial for empty ones; only set when the link count is above 1.
   */
  linkKey?: string;
  /** The Rock Ridge data of the record needed a continuation area (CE). */
  continuation: boolean;
  /** zisofs-compressed data (Rock Ridge ZF): the extents hold compressed bytes. */
  zisofs: boolean;
  /** The ZF entry's fields when `zisofs`: `size` above is the stored (compressed) size, `zf.size` the content's. */
  zf?: ZfInfo;
  /** LBA of the directory sector that holds the record, for messages. */
  recordLba: number;
  /** A regular file's index in its session's checksum array (AAIP isofs.cx), when recorded. */
  checksumIndex?: number;
  /** The root only: where the session's checksum array is (AAIP isofs.ca), when recorded. */
  checksumArea?: ChecksumArea;
}

/** File type from the type bits of a POSIX st_mode, or null when they name no type. */
export function typeFromMode(mode: number): ImageEntryType | null {
  switch (mode & 0o170000) {
    case 0o140000:
      return 'sock';
    case 0o120000:
      return 'symlink';
    case 0o100000:
      return 'file';
    case 0o060000:
      return 'blk';
    case 0o040000:
      return 'dir';
    case 0o020000:
      return 'chr';
    case 0o010000:
      return 'fifo';
    default:
      return null;
  }
}

/** Device numbers from a PN entry. high 0: a Linux dev_t in `low` (old 16-bit form for small
 *  numbers); otherwise high = major, low = minor (genisoimage, large numbers). */
export function deviceNumbers(high: number, low: number): { major: number; minor: number } {
  if (high === 0) return { major: (low >>> 8) & 0xfff, minor: (low & 0xff) | ((low >>> 12) & 0xfff00) };
  return { major: high, minor: low };
}
