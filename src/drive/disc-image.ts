// A disc in a drive as the image reader sees a medium: the sectors read with READ(10)
// through the Drive (not the block device, whose size the kernel keeps from the blank disc
// until a media change), and the sessions taken from the drive's TOC, not from the
// emulated-multi-session chain from LBA 32 (on a real multi-session disc LBA 16 is the
// *first* session's PVD). cd-verify and iso-merge read a disc through it.
import { FormatProblem } from '../iso9660/format-problem.js';
import { Image } from '../image/image.js';
import { SectorSource, type SectorReader } from '../image/sector-source.js';
import { SECTOR } from '../iso9660/constants.js';
import type { SessionEntry } from '../image/sessions.js';
import { decodeVolumeDescriptor, isPrimaryDescriptor } from '../iso9660/volume-descriptor.js';
import { readDisc, type DiscReport } from './disc.js';
import { type Drive, DriveError, NoMediumError, openDrive } from './drive.js';
import type { Sense } from './sense.js';
import type { FindingSink } from '../verify/findings.js';

/** Sectors per READ(10): 64 KiB, what cdrecord and libburn read at a time. */
const CHUNK = 32;

/** A sector the drive could not read: a medium or hardware error, or an LBA it refuses. */
function unreadable(s: Sense | null): boolean {
  if (!s) return false;
  if (s.key === 0x3 || s.key === 0x4) return true;
  // 5/21/00 LBA out of range, 5/64/00 illegal mode for this track (an audio track).
  return s.key === 0x5 && (s.asc === 0x21 || s.asc === 0x64);
}

/**
 * READ(10) through `drive` as a SectorReader of `sectors` sectors: 64 KiB at a time, the
 * last piece kept (the tree is read a sector at a time). A read that fails with a medium
 * error is tried again sector by sector. With `zeroFill` (cd-verify) a sector that stays
 * unreadable reads as zeros and is remembered in `unreadable` for the report, so every
 * check still runs (as readcd -noerror does); without it a FormatProblem names its LBA.
 */
export class DriveSectorReader implements SectorReader {
  readonly bytes: number;
  /** LBA → why, for every sector that could not be read. */
  readonly unreadable = new Map<number, string>();
  zeroFill = false;
  private cacheLba = -1;
  private cache: Buffer = Buffer.alloc(0);

  constructor(
    private readonly drive: Drive,
    readonly sectors: number,
    private readonly closeDrive = true,
  ) {
    this.bytes = sectors * SECTOR;
  }

  pread(buf: Buffer, length: number, position: number): number {
    if (position >= this.bytes) return 0;
    const lba = Math.floor(position / SECTOR);
    const chunk = this.chunk(lba);
    const from = position - lba * SECTOR;
    const n = Math.min(length, chunk.length - from, this.bytes - position);
    chunk.copy(buf, 0, from, from + n);
    return n;
  }

  /** Sectors from `lba` (at least one), from the cache or one READ(10). */
  private chunk(lba: number): Buffer {
    if (this.cacheLba >= 0 && lba >= this.cacheLba && lba < this.cacheLba + this.cache.length / SECTOR)
      return this.cache.subarray((lba - this.cacheLba) * SECTOR);
    const count = Math.min(CHUNK, this.sectors - lba);
    let data: Buffer;
    try {
      data = this.drive.readSync(lba, count);
    } catch (err) {
      if (!(err instanceof DriveError) || !unreadable(err.sense)) throw err;
      const parts: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        try {
          parts.push(this.drive.readSync(lba + i, 1));
        } catch (e) {
          if (!(e instanceof DriveError) || !unreadable(e.sense)) throw e;
          const why = `unreadable sector at LBA ${lba + i}: ${e.message.replace(/^[^:]*: /, '')}`;
          // Without zero fill: the good sectors before the bad one, then the error.
          if (!this.zeroFill) {
            if (i === 0) throw new FormatProblem(why, lba);
            break;
          }
          this.unreadable.set(lba + i, why);
          parts.push(Buffer.alloc(SECTOR));
        }
      }
      data = Buffer.concat(parts);
    }
    this.cacheLba = lba;
    this.cache = data;
    return data;
  }

  close(): void {
    if (this.closeDrive) this.drive.close();
  }
}

/**
 * The image reader's session list from the drive's: each session's PVD read for its dates.
 * A session whose root directory lies past everything written (a burn killed after its
 * head, then closed by cd-write -fix) holds a tree whose metadata was never burned: readers
 * go on from the sessions before it, as they do from the newest complete session of an
 * image file. (A streamed session's head points back into its data session: that is kept.)
 */
export function discSessions(report: Pick<DiscReport, 'sessions'>, reader: SectorSource): SessionEntry[] {
  const written = report.sessions.reduce((m, s) => Math.max(m, s.start + s.size), 0);
  const out: SessionEntry[] = [];
  for (const s of report.sessions) {
    let created: Date | null = null;
    let modified: Date | null = null;
    try {
      const sector = reader.read(s.start + 16, 1);
      if (isPrimaryDescriptor(sector)) {
        const vd = decodeVolumeDescriptor(sector);
        ({ created, modified } = vd);
        if (vd.root.extent >= written) continue;
      }
    } catch {
      // An unreadable PVD: the session check says so with its LBA.
    }
    out.push({ number: s.number, start: s.start, size: s.size, volumeId: s.volumeId, created, modified });
  }
  return out;
}

/** An Image over the disc in `drive`, whose state readDisc gave as `report`. */
export function discImage(drive: Drive, report: Pick<DiscReport, 'sessions'>, closeDrive = true): { image: Image; reader: DriveSectorReader } {
  const end = report.sessions.reduce((m, s) => Math.max(m, s.start + s.size), 0);
  const reader = new DriveSectorReader(drive, end, closeDrive);
  const source = SectorSource.fromReader(reader);
  try {
    return { image: Image.fromSessions(source, discSessions(report, source)), reader };
  } catch (err) {
    source.close();
    throw err;
  }
}

/**
 * Opens the drive at `path` and reads its disc as an Image (closing the drive with it).
 * null for an overwritable disc (DVD+RW, DVD-RAM, BD-RE): its sessions are emulated in the
 * ISO image and it is read through the block device like any other (medium.md).
 */
export async function openDiscImage(path: string): Promise<{ image: Image; reader: DriveSectorReader; report: DiscReport } | null> {
  const { drive, inquiry } = await openDrive(path);
  try {
    const report = await readDisc(drive, inquiry);
    if (report.profile.kind === 'overwritable') {
      drive.close();
      return null;
    }
    return { ...discImage(drive, report), report };
  } catch (err) {
    drive.close();
    if (err instanceof NoMediumError) throw new Error(`no medium in ${path}: insert a disc`);
    throw err;
  }
}

/**
 * One 'unreadable' finding per sector the reader could not read, naming its session and the
 * file whose data it holds (or the session's metadata). Runs after the checks, which saw
 * those sectors as zeros; the file walks here read only directories.
 */
export function reportUnreadable(image: Image, reader: DriveSectorReader, sink: FindingSink): void {
  if (reader.unreadable.size === 0) return;
  const bad = [...reader.unreadable.keys()].sort((a, b) => a - b);
  const owner = new Map<number, { session?: number; path?: string }>();
  for (const s of image.sessions) {
    const inside = bad.filter((l) => l >= s.start && l < s.start + s.size);
    if (inside.length === 0) continue;
    for (const l of inside) owner.set(l, { session: s.number });
    try {
      image.walk(image.session(s.number), (e) => {
        if (e.type !== 'file') return;
        for (const x of e.extents) {
          const last = x.lba + Math.ceil(x.bytes / SECTOR);
          for (const l of inside) if (l >= x.lba && l < last) owner.set(l, { session: s.number, path: e.path });
        }
      });
    } catch {
      // A tree that cannot be walked: its session check has said why.
    }
  }
  for (const l of bad) {
    const o = owner.get(l) ?? {};
    const what =
      o.path !== undefined ? 'file data' : o.session !== undefined ? 'session metadata (descriptors, path tables or directories)' : 'outside every session';
    sink.add({ kind: 'unreadable', ...o, lba: l, message: `${reader.unreadable.get(l)} (${what}; checked as zeros)` });
  }
}
