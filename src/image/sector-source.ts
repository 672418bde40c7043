// The reader's only I/O: whole sectors read from an image file or block device by LBA.
// Every read is checked against the medium's size, so a damaged image gives an error
// naming the LBA instead of a short read.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { SECTOR } from '../iso9660/constants.js';
import { FormatProblem } from '../iso9660/format-problem.js';

/**
 * Where the bytes come from when it is not a descriptor (a disc read with READ(10)):
 * `pread` fills `buf[0, length)` from byte `position` and returns how many bytes it read
 * (0 at the end); a sector that cannot be read throws a FormatProblem naming its LBA.
 */
export interface SectorReader {
  bytes: number;
  pread(buf: Buffer, length: number, position: number): number;
  close(): void;
}

export class SectorSource {
  /** Size of the medium in bytes. */
  readonly bytes: number;

  private constructor(
    private readonly fd: number,
    bytes: number,
    private readonly ownsFd: boolean,
    private readonly reader: SectorReader | null = null,
  ) {
    this.bytes = bytes;
  }

  /** A medium read by someone else's reader (a disc in a drive), closed with the source. */
  static fromReader(reader: SectorReader): SectorSource {
    return new SectorSource(-1, reader.bytes, false, reader);
  }

  /** Opens an image file or block device read-only. */
  static open(path: string): SectorSource {
    const fd = openSync(path, 'r');
    try {
      return new SectorSource(fd, mediumBytes(fd), true);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Wraps a descriptor someone else opened (and will close). */
  static fromFd(fd: number): SectorSource {
    return new SectorSource(fd, mediumBytes(fd), false);
  }

  /** Whole sectors on the medium (a partial last sector does not count). */
  get sectors(): number {
    return Math.floor(this.bytes / SECTOR);
  }

  /** True when `bytes` bytes from `lba` lie on the medium. */
  holds(lba: number, bytes: number): boolean {
    return lba * SECTOR + bytes <= this.bytes;
  }

  /** `count` sectors from `lba`; throws a FormatProblem when they are not all on the medium. */
  read(lba: number, count: number): Buffer {
    const buf = Buffer.allocUnsafe(count * SECTOR);
    this.readInto(buf, lba * SECTOR, count * SECTOR);
    return buf;
  }

  /** `length` bytes at byte `position` into `buf` (from its start). */
  readInto(buf: Buffer, position: number, length: number): void {
    if (position + length > this.bytes)
      throw new FormatProblem(`reading ${length} bytes would run past the end of the medium (${this.bytes} bytes)`, Math.floor(position / SECTOR));
    let done = 0;
    while (done < length) {
      const n = this.reader
        ? this.reader.pread(buf.subarray(done), length - done, position + done)
        : readSync(this.fd, buf, done, length - done, position + done);
      if (n === 0) throw new FormatProblem('unexpected end of the medium', Math.floor((position + done) / SECTOR));
      done += n;
    }
  }

  close(): void {
    this.reader?.close();
    if (this.ownsFd) closeSync(this.fd);
  }
}

/** Size in bytes of a regular file, or of a block device (from sysfs: fstat gives 0). */
function mediumBytes(fd: number): number {
  const st = fstatSync(fd);
  if (st.isFile()) return st.size;
  if (st.isBlockDevice()) {
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >>> 12) & 0xfff00);
    const sectors512 = Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'latin1').trim());
    if (!Number.isSafeInteger(sectors512)) throw new Error(`cannot tell the size of block device ${major}:${minor}`);
    return sectors512 * 512;
  }
  throw new Error('the medium is neither a regular file nor a block device');
}
