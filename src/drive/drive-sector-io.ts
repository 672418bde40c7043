// An overwritable disc (DVD+RW, DVD-RAM, formatted BD-RE) as sector I/O for the emulated
// multi-session medium (src/media/emulated-medium.ts): READ(10) and WRITE(10) through the
// drive, as growisofs writes such discs, not the block device; sync() is SYNCHRONIZE CACHE.
// Synchronous (Drive.commandSync), like the medium logic it serves.
import { SECTOR } from '../iso9660/constants.js';
import type { SectorIo } from '../media/sector-io.js';
import { LONG_TIMEOUT_MS, WRITE_TIMEOUT_MS } from './burn-mmc.js';
import type { Drive } from './drive.js';
import { synchronizeCache, write10 } from './write-commands.js';

/** Blocks per READ(10)/WRITE(10): 64 KiB, a BD cluster and two DVD ECC blocks. */
const PIECE = 32;

function sectorsOf(bytes: number, position: number, what: string): { lba: number; count: number } {
  if (bytes % SECTOR !== 0 || position % SECTOR !== 0)
    throw new Error(`internal: ${what} of ${bytes} bytes at byte ${position} is not whole 2048-byte sectors`);
  return { lba: position / SECTOR, count: bytes / SECTOR };
}

export class DriveSectorIo implements SectorIo {
  readonly kind = 'device';
  readonly syncName = 'SYNCHRONIZE CACHE';

  constructor(
    private readonly drive: Drive,
    /** The disc's capacity in sectors (READ CAPACITY): reads stop there, writes may not pass it. */
    private readonly sectors: number,
    private readonly closeDrive = true,
  ) {}

  size(): number {
    return this.sectors * SECTOR;
  }

  readAt(buf: Buffer, offset: number, length: number, position: number): number {
    const { lba, count } = sectorsOf(length, position, 'a read');
    const n = Math.max(0, Math.min(count, this.sectors - lba));
    for (let done = 0; done < n; ) {
      const k = Math.min(PIECE, n - done);
      this.drive.readSync(lba + done, k).copy(buf, offset + done * SECTOR);
      done += k;
    }
    return n * SECTOR;
  }

  writeAt(data: Buffer, offset: number, length: number, position: number): number {
    const { lba, count } = sectorsOf(length, position, 'a write');
    if (lba + count > this.sectors) throw new Error(`write past the end of the disc (LBA ${lba + count} of ${this.sectors})`);
    for (let done = 0; done < count; ) {
      const k = Math.min(PIECE, count - done);
      const from = offset + done * SECTOR;
      // Random access: a WRITE retried after a long write in progress or a unit attention
      // lands on the same LBA and overwrites the same bytes (Drive's retry policy).
      this.drive.commandSync('WRITE(10)', write10(lba + done, k), {
        direction: 'out',
        data: data.subarray(from, from + k * SECTOR),
        timeoutMs: WRITE_TIMEOUT_MS,
        readyTimeoutMs: WRITE_TIMEOUT_MS,
      });
      done += k;
    }
    return length;
  }

  sync(): void {
    this.drive.commandSync('SYNCHRONIZE CACHE', synchronizeCache(false), { timeoutMs: LONG_TIMEOUT_MS, readyTimeoutMs: LONG_TIMEOUT_MS });
  }

  truncate(): void {
    // A disc has a fixed size: nothing to cut back.
  }

  close(): void {
    if (this.closeDrive) this.drive.close();
  }
}
