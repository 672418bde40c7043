// A session's libisofs checksum array (the MD5s iso-pack --md5 and xorriso -md5 on record),
// read on demand: files' MD5s by their isofs.cx index, one sector cached, so that memory
// does not grow with the number of files. The array is only offered when isofs.ca fits the
// session and the medium and the array matches its own MD5 (its last entry); anything else
// is no array at all, never an error: recorded MD5s are a bonus, not part of the tree.
import { createHash } from 'node:crypto';
import { type ChecksumArea, checksumArrayBytes, MD5_BYTES } from '../iso9660/checksum-tags.js';
import type { SectorSource } from './sector-source.js';
import type { SessionEntry } from './sessions.js';
import { SECTOR } from '../iso9660/constants.js';

const CHUNK = 1 << 20;

/**
 * Why `area` cannot name a usable array of the session on a medium of `mediumSectors`, or
 * null when it can. Pure.
 */
export function checksumAreaProblem(area: ChecksumArea, session: Pick<SessionEntry, 'start' | 'size'>, mediumSectors: number): string | null {
  if (area.algorithm !== 'MD5' || area.size !== MD5_BYTES)
    return `checksums of type ${JSON.stringify(area.algorithm)} and size ${area.size}; only MD5 (16) is known`;
  if (area.count < 2) return `${area.count} entries; an array has at least 2`;
  if (area.start > area.end || area.end < session.start || area.end > session.start + session.size)
    return `range ${area.start}–${area.end} does not lie in the session at LBA ${session.start}–${session.start + session.size}`;
  const sectors = Math.ceil(checksumArrayBytes(area.count - 2) / SECTOR);
  if (area.end + sectors > mediumSectors)
    return `an array of ${area.count} entries at LBA ${area.end} runs past the end of the medium (${mediumSectors} sectors)`;
  return null;
}

export class ChecksumArray {
  private cachedSector = -1;
  private readonly cache = Buffer.alloc(SECTOR);

  private constructor(
    private readonly src: SectorSource,
    /** LBA of the first entry (the session MD5). */
    private readonly lba: number,
    /** Entries, session MD5 and the array's own MD5 included. */
    readonly count: number,
  ) {}

  /** The array `area` names, or null when it is unusable or does not match its own MD5. */
  static open(src: SectorSource, session: Pick<SessionEntry, 'start' | 'size'>, area: ChecksumArea): ChecksumArray | null {
    if (checksumAreaProblem(area, session, src.sectors) !== null) return null;
    // Its own MD5, streamed: the entries before the last one, hashed in chunks.
    const body = (area.count - 1) * MD5_BYTES;
    const h = createHash('md5');
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let done = 0; done < body; ) {
      const n = Math.min(CHUNK, body - done);
      src.readInto(buf, area.end * SECTOR + done, n);
      h.update(buf.subarray(0, n));
      done += n;
    }
    const last = Buffer.alloc(MD5_BYTES);
    src.readInto(last, area.end * SECTOR + body, MD5_BYTES);
    if (!h.digest().equals(last)) return null;
    return new ChecksumArray(src, area.end, area.count);
  }

  /** The MD5 recorded for file index `index` (1…count-2) as 32 lowercase hex digits, or
   *  undefined for an index outside the file entries. */
  fileMd5(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 1 || index > this.count - 2) return undefined;
    const pos = index * MD5_BYTES;
    const sector = Math.floor(pos / SECTOR);
    if (sector !== this.cachedSector) {
      this.src.readInto(this.cache, (this.lba + sector) * SECTOR, SECTOR);
      this.cachedSector = sector;
    }
    const off = pos % SECTOR;
    return this.cache.toString('hex', off, off + MD5_BYTES);
  }
}
