// Emulated multi-session on an image file or block device (DESIGN §5), compatible with
// xorriso/libisoburn: sessions from LBA 32 aligned to 32 sectors, each with its own
// session-relative PVD, and a 64 KiB medium head at LBA 0–31 that is the commit point.
// Synchronous I/O: one writer, large positional writes, fsync between the commit steps.
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { SESSION_ALIGNMENT, scanMedium, type MediumScan } from '../image/sessions.js';
import { applicationUseHasClosedMark, planMediumHead, type SectorWrite } from './medium-head.js';
import { describeForeignContent } from './foreign-content.js';
import { blockDeviceBytes } from './capacity.js';
import { MediumRefusal, NotIsoMediumError, type Medium, type MediumStatus, type SessionCommit } from './medium.js';
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import { roundUp } from '../iso9660/numbers.js';

const ZEROS = Buffer.alloc(1 << 20);

export interface OpenOptions {
  /** Open for writing (cd-write); a missing file is created on the first write. */
  write: boolean;
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
  /** Set once the commit write has been attempted: the session is no longer ours to undo. */
  private committing = false;
  /** End (LBA) of the highest write since opening. */
  private writtenEnd = 0;
  private scanCache: MediumScan | null = null;
  readonly capacity: number | null;

  private constructor(readonly name: string, private readonly opts: OpenOptions, fd: number | null) {
    this.fd = fd;
    if (fd === null) {
      this.isBlockDevice = false;
      this.sizeBytes = 0;
    } else {
      const st = fstatSync(fd);
      this.isBlockDevice = st.isBlockDevice();
      if (!st.isFile() && !this.isBlockDevice) throw new NotIsoMediumError(`${name} is neither a regular file nor a block device`);
      this.sizeBytes = this.isBlockDevice ? blockDeviceBytes(st.rdev) ?? 0 : st.size;
    }
    this.originalBytes = this.sizeBytes;
    const limits = [opts.capacity ?? null, this.isBlockDevice ? Math.floor(this.sizeBytes / SECTOR) : null].filter((x): x is number => x !== null);
    this.capacity = limits.length ? Math.min(...limits) : null;
  }

  /** Opens `path`; a missing path is a blank medium (created on the first write). */
  static open(path: string, opts: OpenOptions): EmulatedMedium {
    let fd: number | null = null;
    try {
      fd = openSync(path, opts.write ? constants.O_RDWR : constants.O_RDONLY);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new Error(`cannot open ${path}: ${describeError(err)}`);
    }
    if (fd !== null && opts.write && fstatSync(fd).isBlockDevice()) {
      // O_EXCL on a block device: refuse one that is mounted or in use.
      closeSync(fd);
      try {
        fd = openSync(path, constants.O_RDWR | constants.O_EXCL);
      } catch (err) {
        throw new Error(`cannot open ${path} exclusively (mounted or in use?): ${describeError(err)}`);
      }
    }
    return new EmulatedMedium(path, opts, fd);
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
      sessions: scan.kind === 'iso' ? scan.sessions.map((s) => ({ number: s.number, start: s.start, size: s.size, volumeId: s.volumeId, date: s.created })) : [],
      warnings: [...scan.warnings],
      damage: scan.truncated ? `the volume ends at LBA ${scan.end} but ${this.name} holds only ${this.sectors} sectors: it looks truncated` : null,
    };
  }

  private ensureOpenForWrite(): number {
    if (!this.opts.write) throw new Error(`${this.name} was opened read-only`);
    if (this.fd === null) {
      try {
        this.fd = openSync(this.name, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o666);
      } catch (err) {
        throw new Error(`cannot create ${this.name}: ${describeError(err)}`);
      }
      this.created = true;
    }
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
    const plan = planMediumHead({ current, currentLayout: layout, sessionHead: head, start, end, closed: opts.close, replaceSystemArea: forced });
    this.writeAll(plan.prepare);
    this.sync();
    this.phase('head-prepared');
    // From here on the new head may be (partly) on the medium: abandon() must not cut back.
    this.committing = true;
    this.writeAll(plan.commit);
    this.sync();
    this.phase('committed');
    if (plan.finish.length) {
      this.writeAll(plan.finish);
      this.sync();
    }
    this.scanCache = null;
  }

  private writeAll(writes: SectorWrite[]): void {
    for (const w of writes) this.write(w.lba, w.data);
  }

  abandon(): void {
    if (this.fd === null || this.isBlockDevice || this.committing) return;
    try {
      if (this.created) {
        closeSync(this.fd);
        this.fd = null;
        unlinkSync(this.name);
      } else if (fstatSync(this.fd).size > this.originalBytes) {
        // (fstat, not sizeBytes: a write that failed half way may have grown the file)
        ftruncateSync(this.fd, this.originalBytes);
        fsyncSync(this.fd);
      }
      this.sizeBytes = this.originalBytes;
    } catch {
      // Best effort: what was written lies past the committed end and is overwritten by the next append.
    }
  }

  release(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export { MediumRefusal, NotIsoMediumError };
