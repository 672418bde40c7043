// Emulated multi-session on an image file or block device (DESIGN §5), compatible with
// xorriso/libisoburn: sessions from LBA 32 aligned to 32 sectors, each with its own
// session-relative PVD, and a 64 KiB medium head at LBA 0–31 that is the commit point.
// Synchronous I/O: one writer, large positional writes, fsync between the commit steps.
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, realpathSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { isUnderDev } from './device-path.js';
import { lockImageFile, MediumBusyError, openBlockDeviceExclusive, type MediumLock } from './medium-lock.js';
import { isVolumeDescriptor } from '../iso9660/volume-descriptor.js';
import { SESSION_ALIGNMENT, scanMedium, type MediumScan } from '../image/sessions.js';
import { applicationUseHasClosedMark, blankHeadWithCapacity, hasClosedMark, planMediumHead, recordedCapacity, type SectorWrite } from './medium-head.js';
import { chainFrom32, mediumHeadProblem } from './head-check.js';
import { describeForeignContent } from './foreign-content.js';
import { blockDeviceBytes } from './capacity.js';
import { MediumMissingError, MediumRefusal, NotIsoMediumError, type Medium, type MediumStatus, type SessionCommit } from './medium.js';
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import { roundUp } from '../iso9660/numbers.js';

const ZEROS = Buffer.alloc(1 << 20);

export interface OpenOptions {
  /** Open for writing (cd-write), exclusively; a missing file is created. */
  write: boolean;
  /** A path that does not exist becomes a new image file (cd-write --create); never under /dev. */
  create?: boolean;
  /** Seconds to wait for another writer to finish (cd-write --wait); default 0. */
  waitSeconds?: number;
  /** --capacity / --media, in sectors; a block device's own size also limits. */
  capacity?: number | null;
  /** Treat a medium holding something else as blank, and a closed one as appendable. */
  force?: boolean;
  /** Called at the named points of a commit (crash tests stop the process there). */
  onPhase?: (phase: string) => void;
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EFBIG: 'file too large for this file system or limit',
    EIO: 'input/output error',
    EROFS: 'read-only file system',
    EDQUOT: 'disk quota exceeded',
  };
  return e?.code ? `${why[e.code] ?? e.message} (${e.code})` : String(err);
}

export class EmulatedMedium implements Medium {
  private fd: number | null;
  private readonly isBlockDevice: boolean;
  private sizeBytes: number;
  /** File size when opened: what abandon() cuts a file back to. */
  private readonly originalBytes: number;
  private created = false;
  /** Set once a session committed: a file created for it stays. */
  private committed = false;
  private lock: MediumLock | null = null;
  /** Set once the commit write has been attempted: the session is no longer ours to undo. */
  private committing = false;
  /** End (LBA) of the highest write since opening. */
  private writtenEnd = 0;
  private scanCache: MediumScan | null = null;
  readonly capacity: number | null;
  /** The capacity the medium head records (cd-write --create --media), or null. */
  readonly recordedCapacity: number | null;

  private constructor(
    readonly name: string,
    private readonly opts: OpenOptions,
    fd: number | null,
  ) {
    this.fd = fd;
    if (fd === null) {
      this.isBlockDevice = false;
      this.sizeBytes = 0;
    } else {
      const st = fstatSync(fd);
      this.isBlockDevice = st.isBlockDevice();
      if (!st.isFile() && !this.isBlockDevice) throw new NotIsoMediumError(`${name} is neither a regular file nor a block device`);
      this.sizeBytes = this.isBlockDevice ? (blockDeviceBytes(st.rdev) ?? 0) : st.size;
    }
    this.originalBytes = this.sizeBytes;
    this.recordedCapacity = fd === null ? null : recordedCapacity(this.readSectors(16, 1));
    // --capacity/--media win over what the medium recorded (and are recorded at the next
    // commit); a block device's own size always limits.
    const given = opts.capacity ?? this.recordedCapacity;
    const limits = [given, this.isBlockDevice ? Math.floor(this.sizeBytes / SECTOR) : null].filter((x): x is number => x !== null);
    this.capacity = limits.length ? Math.min(...limits) : null;
  }

  /**
   * Opens `path`; a missing path is a blank medium. For writing, takes the medium for this
   * process alone (medium-lock.ts): flock on an image file, O_EXCL on a block device; a
   * missing file is created empty under the lock and removed again unless a session commits.
   */
  static open(path: string, opts: OpenOptions): EmulatedMedium {
    if (!opts.write) {
      let fd: number | null = null;
      try {
        fd = openSync(path, constants.O_RDONLY);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot open ${path}: ${describeError(err)}`);
        missingMedium(path, opts); // (cd-write --dummy --create: a blank medium to check against)
      }
      return new EmulatedMedium(path, opts, fd);
    }
    const wait = { waitSeconds: opts.waitSeconds ?? 0 };
    // Bounded: each retry means another writer created or removed the file meanwhile.
    for (let attempt = 0; ; attempt++) {
      let fd: number;
      let created = false;
      try {
        fd = openSync(path, constants.O_RDWR);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot open ${path}: ${describeError(err)}`);
        missingMedium(path, opts);
        try {
          fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o666);
          created = true;
        } catch (err2) {
          if ((err2 as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
          throw new Error(`cannot create ${path}: ${describeError(err2)}`);
        }
      }
      if (fstatSync(fd).isBlockDevice()) {
        // O_EXCL on a block device: refuse one that is mounted or in use.
        closeSync(fd);
        try {
          fd = openBlockDeviceExclusive(path, wait);
        } catch (err) {
          if (err instanceof MediumBusyError) throw err;
          throw new Error(`cannot open ${path} exclusively: ${describeError(err)}`);
        }
        return new EmulatedMedium(path, opts, fd);
      }
      let lock: MediumLock;
      try {
        lock = lockImageFile(path, fd, wait);
      } catch (err) {
        closeSync(fd); // (a file we created stays: another writer has it locked now)
        throw err;
      }
      // The file we locked must still be the one at `path`: a writer that created it may
      // have removed it again while we waited.
      const mine = fstatSync(fd);
      let current: ReturnType<typeof statSync> | null = null;
      try {
        current = statSync(path);
      } catch {
        current = null;
      }
      if (mine.nlink === 0 || !current || current.ino !== mine.ino || current.dev !== mine.dev) {
        lock.release();
        closeSync(fd);
        if (attempt < 100) continue;
        throw new Error(`cannot open ${path}: it keeps being replaced by another program`);
      }
      const medium = new EmulatedMedium(path, opts, fd);
      medium.lock = lock;
      medium.created = created;
      return medium;
    }
  }

  get sectors(): number {
    return Math.ceil(this.sizeBytes / SECTOR);
  }

  readSectors = (lba: number, count: number): Buffer => {
    const b = Buffer.alloc(count * SECTOR);
    if (this.fd === null) return b.subarray(0, 0);
    const pos = lba * SECTOR;
    if (pos >= this.sizeBytes) return b.subarray(0, 0);
    let got = 0;
    while (got < b.length) {
      const n = readSync(this.fd, b, got, b.length - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return b.subarray(0, got);
  };

  scan(): MediumScan {
    if (!this.scanCache) this.scanCache = scanMedium(this.readSectors, this.sectors);
    return this.scanCache;
  }

  status(): MediumStatus {
    const scan = this.scan();
    const headProblem = mediumHeadProblem(this.readSectors, this.sectors, scan);
    if (headProblem && scan.kind === 'foreign') return { ...this.blankStatus(), damage: headProblem, headProblem };
    if (scan.kind === 'foreign' && !this.opts.force) {
      const what = describeForeignContent(this.readSectors(0, HEAD_SECTORS + 1));
      throw new NotIsoMediumError(`${this.name} is not an ISO 9660 medium: it holds ${what} (${scan.foreign})`);
    }
    const closed = scan.kind === 'iso' && applicationUseHasClosedMark(scan.headApplicationUse);
    const state = scan.kind === 'iso' ? (closed ? 'closed' : 'appendable') : 'blank';
    const next = scan.kind === 'iso' ? scan.next : HEAD_SECTORS;
    return {
      state,
      next,
      capacity: this.capacity,
      free: this.capacity === null ? null : Math.max(0, this.capacity - next),
      sessions:
        scan.kind === 'iso' ? scan.sessions.map((s) => ({ number: s.number, start: s.start, size: s.size, volumeId: s.volumeId, date: s.created })) : [],
      warnings: [...scan.warnings],
      damage: scan.truncated ? `the volume ends at LBA ${scan.end} but ${this.name} holds only ${this.sectors} sectors: it looks truncated` : headProblem,
      headProblem,
    };
  }

  private blankStatus(): MediumStatus {
    return {
      state: 'blank',
      next: HEAD_SECTORS,
      capacity: this.capacity,
      free: this.capacity === null ? null : this.capacity - HEAD_SECTORS,
      sessions: [],
      warnings: [],
      damage: null,
    };
  }

  /**
   * cd-write -fix: rewrites the medium head (LBA 0–31 only) from the newest complete session
   * found from LBA 32, when the head does not show it. Crash-safe in the sense that matters:
   * nothing outside LBA 0–31 is written, so a -fix cut short can simply run again.
   */
  fixHead(): { changed: boolean; session: number; start: number; end: number } {
    const scan = this.scan();
    const problem = mediumHeadProblem(this.readSectors, this.sectors, scan);
    const chain = chainFrom32(this.readSectors, this.sectors);
    if (!problem) {
      if (scan.kind !== 'iso')
        throw new MediumRefusal(`${this.name} holds no session${scan.kind === 'blank' ? ' (it is blank)' : ''}: there is no head to fix; nothing written`);
      const newest = scan.sessions[scan.sessions.length - 1];
      return { changed: false, session: newest?.number ?? 0, start: newest?.start ?? 0, end: scan.end };
    }
    if (chain.length === 0)
      throw new MediumRefusal(`${problem.replace(/; it looks torn.*$/, '')}, and no complete session follows from LBA 32 to rebuild it from; nothing written`);
    const newest = chain[chain.length - 1];
    const end = newest.start + newest.size;
    const current = this.readSectors(0, HEAD_SECTORS);
    const sessionHead = this.readSectors(newest.start, HEAD_SECTORS);
    const pvd16 = Buffer.alloc(SECTOR);
    current.copy(pvd16, 0, 16 * SECTOR, 17 * SECTOR);
    const plan = planMediumHead({
      current,
      currentLayout: 'head',
      sessionHead,
      start: newest.start,
      end,
      closed: isVolumeDescriptor(pvd16) && hasClosedMark(pvd16),
      capacity: this.opts.capacity ?? this.recordedCapacity,
    });
    this.writeAll(plan.prepare);
    this.sync();
    this.phase('fix-prepared');
    this.writeAll(plan.commit);
    this.sync();
    this.phase('fix-committed');
    if (plan.finish.length) {
      this.writeAll(plan.finish);
      this.sync();
    }
    this.committed = true;
    this.scanCache = null;
    return { changed: true, session: chain.length, start: newest.start, end };
  }

  private ensureOpenForWrite(): number {
    if (!this.opts.write || this.fd === null) throw new Error(`${this.name} was opened read-only`);
    return this.fd;
  }

  write(lba: number, data: Buffer): void {
    const sectors = data.length / SECTOR;
    if (this.capacity !== null && lba + sectors > this.capacity)
      throw new MediumRefusal(`session does not fit: it reaches LBA ${lba + sectors} but ${this.name} holds ${this.capacity} sectors; nothing committed`);
    const fd = this.ensureOpenForWrite();
    let off = 0;
    try {
      while (off < data.length) off += writeSync(fd, data, off, data.length - off, lba * SECTOR + off);
    } catch (err) {
      throw new Error(`write error at LBA ${lba + Math.floor(off / SECTOR)}: ${describeError(err)}; nothing committed`);
    }
    this.sizeBytes = Math.max(this.sizeBytes, lba * SECTOR + data.length);
    this.writtenEnd = Math.max(this.writtenEnd, lba + sectors);
  }

  read(lba: number, buf: Buffer): void {
    const fd = this.ensureOpenForWrite();
    for (let got = 0; got < buf.length; ) {
      const n = readSync(fd, buf, got, buf.length - got, lba * SECTOR + got);
      if (n === 0) throw new Error(`${this.name} ends before LBA ${lba + Math.floor(got / SECTOR)}, which was just written; nothing committed`);
      got += n;
    }
  }

  private writeZeros(from: number, to: number): void {
    for (let lba = from; lba < to; ) {
      const n = Math.min(to - lba, ZEROS.length / SECTOR);
      this.write(lba, ZEROS.subarray(0, n * SECTOR));
      lba += n;
    }
  }

  private sync(): void {
    try {
      fsyncSync(this.ensureOpenForWrite());
    } catch (err) {
      throw new Error(`fsync of ${this.name} failed: ${describeError(err)}; nothing committed`);
    }
  }

  private phase(name: string): void {
    this.opts.onPhase?.(name);
  }

  commit(session: SessionCommit, opts: { close: boolean }): void {
    const { start, head, volumeSize } = session;
    if (start % SESSION_ALIGNMENT !== 0) throw new Error(`internal: session start ${start} is not aligned`);
    const scan = this.scan();
    const end = start + volumeSize;
    // 1. padding to a multiple of 32 sectors, then everything so far on disk.
    this.writeZeros(Math.max(this.writtenEnd, start + HEAD_SECTORS), roundUp(end, SESSION_ALIGNMENT));
    this.sync();
    this.phase('data-synced');
    // 2. the session's own head (at LBA 0 it is the medium head, written below).
    if (start !== 0) {
      this.write(start, head);
      this.sync();
      this.phase('session-head-synced');
    }
    // 3. the medium head, in two steps (medium-head.ts says why).
    const forced = scan.kind === 'foreign';
    const current = this.readSectors(0, HEAD_SECTORS);
    const layout = scan.kind === 'iso' && scan.layout ? scan.layout : 'blank';
    const plan = planMediumHead({
      current,
      currentLayout: layout,
      sessionHead: head,
      start,
      end,
      closed: opts.close,
      replaceSystemArea: forced,
      capacity: this.opts.capacity ?? this.recordedCapacity,
    });
    this.writeAll(plan.prepare);
    this.sync();
    this.phase('head-prepared');
    // From here on the new head may be (partly) on the medium: abandon() must not cut back.
    this.committing = true;
    this.writeAll(plan.commit);
    this.sync();
    this.phase('committed');
    this.committed = true;
    if (plan.finish.length) {
      this.writeAll(plan.finish);
      this.sync();
    }
    // Bytes past the new committed end are debris of an earlier run killed before its
    // commit (or of this one's padding beyond it): a file ends at the next writable address.
    const keep = roundUp(end, SESSION_ALIGNMENT) * SECTOR;
    if (!this.isBlockDevice && this.fd !== null && fstatSync(this.fd).size > keep) {
      try {
        ftruncateSync(this.fd, keep);
        fsyncSync(this.fd);
        this.sizeBytes = keep;
      } catch {
        // the session is committed; the debris stays until the next commit
      }
    }
    this.scanCache = null;
  }

  private writeAll(writes: SectorWrite[]): void {
    for (const w of writes) this.write(w.lba, w.data);
  }

  abandon(): void {
    if (this.fd === null || this.isBlockDevice || this.committing) return;
    try {
      // (a file created for this session is removed by release(), under the lock)
      if (fstatSync(this.fd).size > this.originalBytes) {
        // (fstat, not sizeBytes: a write that failed half way may have grown the file)
        ftruncateSync(this.fd, this.originalBytes);
        fsyncSync(this.fd);
      }
      this.sizeBytes = this.originalBytes;
    } catch {
      // Best effort: what was written lies past the committed end and is overwritten by the next append.
    }
  }

  /** Whether this call created the medium's file (cd-write --create on a missing path). */
  get wasCreated(): boolean {
    return this.created;
  }

  /**
   * Keeps a file created by this call although no session committed (cd-write --create
   * --blank). With a capacity, the file gets a blank head that records it.
   */
  keepCreated(): void {
    if (this.fd === null) return;
    if (this.opts.capacity) {
      this.write(0, blankHeadWithCapacity(this.opts.capacity));
      this.sync();
    }
    this.committed = true;
  }

  /** Closes the medium and drops the lock; a file created for a session that never committed goes. */
  release(): void {
    if (this.fd !== null) {
      if (this.created && !this.committed) unlinkQuietly(this.name); // while still locked
      this.lock?.release();
      closeSync(this.fd);
    }
    this.fd = null;
    this.lock = null;
  }
}

/**
 * A medium path that does not exist: fine only when the caller said to create it
 * (cd-write --create), and never under /dev, where a missing name means a missing drive.
 */
function missingMedium(path: string, opts: OpenOptions): void {
  if (isUnderDev(path, realpathSync))
    throw new MediumMissingError(`${path} does not exist (no such drive?); isopipe never creates files under /dev${opts.write ? ': nothing written' : ''}`);
  if (!opts.create)
    throw new MediumMissingError(
      opts.write
        ? `${path} does not exist: nothing written (cd-write --create makes a new image file there)`
        : `${path} does not exist: no medium there (cd-write --create makes a new image file; see cd-write(1))`,
    );
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

export { MediumMissingError, MediumRefusal, NotIsoMediumError, MediumBusyError };
