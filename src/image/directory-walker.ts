// The one directory walker of the image reader and of cd-verify: reads directories in
// batches, joins multi-extent files, follows Rock Ridge continuation areas, finds the
// directory a CL relocates, and bounds loops, depth, continuation chains and the
// directory sectors read. Every image is hostile: each problem goes to a problem policy,
// which throws to stop the walk (the reader) or returns to let it go on past the problem
// (cd-verify, which records a finding). How a problem is worded is the policy's.
//
// The walker keeps no tree and imposes no order: the reader descends as it reads, cd-verify
// reads a directory whole before it looks at it.
import { decodeRecord, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, isDot, isDotDot, type RawRecord } from '../iso9660/directory-record.js';
import { SECTOR } from '../iso9660/constants.js';
import { FormatProblem } from '../iso9660/format-problem.js';
import { isoName } from '../iso9660/iso-names.js';
import { jolietName } from '../iso9660/joliet-names.js';
import { type Continuation, type RockRidge, SystemUseDecoder } from '../iso9660/rockridge.js';
import type { DataExtent } from './entry.js';
import type { SectorSource } from './sector-source.js';

export type TreeFlavour = 'rockridge' | 'joliet' | 'iso9660';

export interface WalkLimits {
  /** Directory levels below the root. */
  maxDepth: number;
  maxEntries: number;
  /** Continuation areas followed for one record (Linux follows 31). */
  maxContinuations: number;
  /** Bytes of one path. */
  maxPathBytes: number;
  /** Bytes of all paths reported together: bounds what a consumer that keeps them holds. */
  maxTotalPathBytes: number;
  /** Directory sectors read, in mediums: more means overlapping or repeated directories. */
  directoryReads: number;
}

export const DEFAULT_LIMITS: WalkLimits = {
  maxDepth: 1000,
  maxEntries: 20_000_000,
  maxContinuations: 32,
  maxPathBytes: 32 * 1024,
  maxTotalPathBytes: 1024 * 1024 * 1024,
  directoryReads: 1,
};

/** What the walker met, where: `lba` and `path` as the reader reports them; other places
 *  cd-verify reports instead are named by the problem's own fields. */
export type WalkProblem = { lba: number; path: string } & (
  | { code: 'loop' | 'directory-budget' }
  | { code: 'too-deep' | 'continuation-chain'; limit: number }
  /** `size` is 0 or not a whole number of sectors. */
  | { code: 'directory-size'; size: number; joliet: boolean }
  | { code: 'directory-outside-session'; sectors: number; joliet: boolean }
  | { code: 'directory-past-medium'; size: number; mediumSectors: number; joliet: boolean }
  /** A record that does not decode: the rest of its sector is skipped. */
  | { code: 'bad-record'; message: string }
  | { code: 'sector-tail'; offset: number }
  | { code: 'multi-extent-unfinished' | 'multi-extent-section'; joliet: boolean }
  | { code: 'multi-extent-directory'; childPath: string; joliet: boolean }
  /** A System Use entry or continuation area the decoder rejects; decoding stops there. */
  | { code: 'system-use'; message: string }
  | { code: 'continuation-crosses'; offset: number; length: number }
  | { code: 'continuation-past-medium' | 'continuation-outside-session' }
  /** `path`: the record by its plain ISO 9660 or Joliet name; `dirPath`: its directory. */
  | { code: 'invalid-name'; name: string; dirPath: string; rockRidge: boolean }
  | { code: 'duplicate-name'; name: string; joliet: boolean }
  /** `lba`: where the CL points; `recordLba`: the placeholder record. */
  | { code: 'relocation-outside' | 'relocation-not-directory'; recordLba: number }
);

/** Throws to stop the walk; returns to let it go on past the problem. */
export type ProblemPolicy = (problem: WalkProblem) => void;

/** Takes a record read at `offset` of the sector at `lba`. */
export type RecordVisitor = (r: RawRecord, lba: number, offset: number) => void;

/** A directory's records joined into children as they are taken (`DirectoryWalker.children`). */
export interface ChildJoiner {
  /** The next record of the directory, in order. */
  take(r: RawRecord, lba: number): void;
  /** After the last record: a multi-extent file left unfinished is given as it is. */
  end(): void;
}

/** One name of a directory: its first record, multi-extent sections joined. */
export interface DirectoryChild {
  record: RawRecord;
  recordLba: number;
  /** Rock Ridge name, else the ISO 9660 or Joliet identifier as a name. */
  name: string;
  path: string;
  isDir: boolean;
  sections: DataExtent[];
  rr: RockRidge;
  /** The Rock Ridge data needed a continuation area. */
  continuation: boolean;
}

export interface ChildHooks {
  /** Every record in directory order, `.` and `..` included; `k` counts from 0. */
  record?(r: RawRecord, lba: number, k: number): void;
  /** A child's first record decoded and named, before its other sections are joined. */
  started?(c: DirectoryChild): void;
}

/** The directory the CL of a placeholder record stands for. */
export interface Relocated {
  dot: RawRecord;
  dotdot: RawRecord;
  rr: RockRidge;
}

/** Directory sectors read at a time. */
export const BATCH_SECTORS = 16;
/** What a record of a tree read without Rock Ridge carries: shared, as nobody changes a
 *  child's attributes (a relocated directory gets a merged copy). */
const NO_SYSTEM_USE: { rr: RockRidge; continuation: boolean } = Object.freeze({ rr: Object.freeze({}), continuation: false });
const CE_CACHE = 8;

export function childPath(parent: string, name: string): string {
  return parent === '' ? name : parent + '/' + name;
}

/** A record's name without Rock Ridge: its ISO 9660 or Joliet identifier. */
function plainName(r: RawRecord, joliet: boolean): string {
  const dir = (r.flags & FLAG_DIRECTORY) !== 0;
  const start = r.identifierStart;
  const end = start + r.identifierLength;
  return joliet ? jolietName(r.sector, dir, start, end) : isoName(r.sector, dir, start, end);
}

/** The path of the record a System Use field belongs to (for `.` and `..`: their directory's),
 *  made only for a problem or a continuation area. */
function recordPath(r: RawRecord, dirPath: string): string {
  return isDot(r) || isDotDot(r) ? dirPath : childPath(dirPath, plainName(r, false));
}

export class DirectoryWalker {
  readonly limits: WalkLimits;
  /** Directory sectors read so far, for the budget. */
  private sectorsRead = 0;
  private readonly visited = new Set<number>();
  private readonly ceCache = new Map<number, Buffer>();
  /** SUSP LEN_SKP from the root's SP entry. */
  private skip = 0;

  /**
   * `session`: the session's sectors when extents are to be held against them (cd-verify);
   * without it, only the medium bounds them (the reader).
   */
  constructor(
    private readonly src: SectorSource,
    private readonly problem: ProblemPolicy,
    limits: Partial<WalkLimits> = {},
    private readonly session: { start: number; end: number } | null = null,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Takes the SUSP LEN_SKP of the root's SP entry for the records that follow. */
  startRockRidge(rootRr: RockRidge): void {
    this.skip = rootRr.spSkip ?? 0;
  }

  /** Whether to read the directory at `extent`: not reached before, not too deep. */
  enter(extent: number, depth: number, path: string): boolean {
    if (this.visited.has(extent)) {
      this.problem({ code: 'loop', lba: extent, path });
      return false;
    }
    this.visited.add(extent);
    if (depth > this.limits.maxDepth) {
      this.problem({ code: 'too-deep', limit: this.limits.maxDepth, lba: extent, path });
      return false;
    }
    return true;
  }

  /**
   * The sectors of the directory at `extent` to read with `readRecords`, its extent checked
   * against the session, the medium and the walk's budget; 0 when it cannot be read at all.
   */
  directorySectors(extent: number, size: number, path: string, joliet: boolean): number {
    if (size === 0 || size % SECTOR) this.problem({ code: 'directory-size', size, joliet, lba: extent, path });
    const sectors = Math.ceil(size / SECTOR);
    if (sectors === 0) return 0;
    const session = this.session;
    const outside = session !== null && (extent < session.start || extent + sectors > session.end);
    if (outside) this.problem({ code: 'directory-outside-session', sectors, joliet, lba: extent, path });
    if (!this.src.holds(extent, sectors * SECTOR)) {
      if (!outside) this.problem({ code: 'directory-past-medium', size, mediumSectors: this.src.sectors, joliet, lba: extent, path });
      return 0;
    }
    this.sectorsRead += sectors;
    if (this.sectorsRead > this.src.sectors * this.limits.directoryReads) {
      this.problem({ code: 'directory-budget', lba: extent, path });
      return 0;
    }
    return sectors;
  }

  /**
   * Gives `visit` every record of sectors [from, from + count) of the directory at `extent`
   * in order, `.` and `..` included. A caller reads a directory batch by batch (BATCH_SECTORS)
   * when it must act on a batch's children before it reads on (the reader descends).
   */
  readRecords(extent: number, from: number, count: number, path: string, visit: RecordVisitor): void {
    const buf = this.src.read(extent + from, count);
    for (let k = 0; k < count; k++) {
      const lba = extent + from + k;
      const sector = buf.subarray(k * SECTOR, (k + 1) * SECTOR);
      let off = 0;
      while (off < SECTOR) {
        if (sector[off] === 0) {
          for (let z = off + 1; z < SECTOR; z++)
            if (sector[z] !== 0) {
              this.problem({ code: 'sector-tail', offset: z, lba, path });
              break;
            }
          break;
        }
        let r: RawRecord | null;
        try {
          r = decodeRecord(sector, off);
        } catch (err) {
          if (!(err instanceof FormatProblem)) throw err;
          this.problem({ code: 'bad-record', message: err.message, lba: err.lba ?? lba, path });
          break;
        }
        if (!r) break;
        visit(r, lba, off);
        off += r.length;
      }
    }
  }

  /** Every record of a directory, in order (`directorySectors`, then `readRecords`); false
   *  when the directory cannot be read at all. */
  records(extent: number, size: number, path: string, joliet: boolean, visit: RecordVisitor): boolean {
    const sectors = this.directorySectors(extent, size, path, joliet);
    for (let s = 0; s < sectors; s += BATCH_SECTORS) this.readRecords(extent, s, Math.min(BATCH_SECTORS, sectors - s), path, visit);
    return sectors > 0;
  }

  /**
   * Joins a directory's records, taken in order, into its children (not `.` and `..`):
   * multi-extent sections joined, names checked. `visit` gets each child once it is
   * whole; `end()` after the last record. Callbacks, not generators: cd-verify takes every
   * record and child of both trees, and resuming generators for each cost more than the
   * rest of the loop.
   */
  children(dir: { extent: number; path: string }, flavour: TreeFlavour, visit: (c: DirectoryChild) => void, hooks: ChildHooks = {}): ChildJoiner {
    const joliet = flavour === 'joliet';
    const rock = flavour === 'rockridge';
    const names = new Set<string>();
    let pending: DirectoryChild | null = null;
    let k = 0;
    const take = (r: RawRecord, lba: number): void => {
      hooks.record?.(r, lba, k++);
      if (isDot(r) || isDotDot(r)) return;
      if (pending) {
        if (r.identifier.equals(pending.record.identifier)) {
          const last = pending.sections[pending.sections.length - 1];
          if (last && last.bytes % SECTOR !== 0) this.problem({ code: 'multi-extent-section', joliet, lba, path: dir.path });
          if (r.size > 0) pending.sections.push({ lba: r.extent, bytes: r.size });
          if (!(r.flags & FLAG_MULTI_EXTENT)) {
            visit(pending);
            pending = null;
          }
          return;
        }
        // The record after an unfinished file starts a child of its own.
        this.problem({ code: 'multi-extent-unfinished', joliet, lba, path: dir.path });
        visit(pending);
        pending = null;
      }
      const { rr, continuation } = rock ? this.systemUse(r, lba, dir.path) : NO_SYSTEM_USE;
      const isDir = (r.flags & FLAG_DIRECTORY) !== 0;
      const name = rock && rr.name !== undefined ? rr.name : plainName(r, joliet);
      const path = childPath(dir.path, name);
      // One lookup per name: a name that was there leaves the set's size as it was.
      const namesBefore = names.size;
      names.add(name);
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
        this.problem({ code: 'invalid-name', name, dirPath: dir.path, rockRidge: rock, lba, path: childPath(dir.path, plainName(r, joliet)) });
      else if (names.size === namesBefore && !rr.relocated) this.problem({ code: 'duplicate-name', name, joliet, lba, path });
      const c: DirectoryChild = {
        record: r,
        recordLba: lba,
        name,
        path,
        isDir,
        sections: !isDir && r.size > 0 ? [{ lba: r.extent, bytes: r.size }] : [],
        rr,
        continuation,
      };
      hooks.started?.(c);
      if (isDir && r.flags & FLAG_MULTI_EXTENT) this.problem({ code: 'multi-extent-directory', childPath: path, joliet, lba, path: dir.path });
      if (!isDir && r.flags & FLAG_MULTI_EXTENT) pending = c;
      else visit(c);
    };
    const end = (): void => {
      if (!pending) return;
      this.problem({ code: 'multi-extent-unfinished', joliet, lba: dir.extent, path: dir.path });
      const last = pending;
      pending = null;
      visit(last);
    };
    return { take, end };
  }

  /**
   * A record's System Use entries decoded, continuation areas followed: Rock Ridge and AAIP.
   * `dirPath` is the record's directory (for `.`: the directory itself). `rootDot`: the
   * root's `.` record, which carries the SP entry and so is read without LEN_SKP.
   */
  systemUse(r: RawRecord, lba: number, dirPath: string, rootDot = false): { rr: RockRidge; continuation: boolean } {
    const d = new SystemUseDecoder();
    let continuation = false;
    try {
      const start = rootDot ? r.systemUseStart : Math.min(r.systemUseStart + this.skip, r.systemUseEnd);
      let ce: Continuation | null = d.feed(r.sector, start, r.systemUseEnd);
      let hops = 0;
      while (ce) {
        if (++hops > this.limits.maxContinuations) {
          this.problem({ code: 'continuation-chain', limit: this.limits.maxContinuations, lba, path: recordPath(r, dirPath) });
          break;
        }
        continuation = true;
        const area = this.continuationArea(ce, recordPath(r, dirPath));
        if (!area) break;
        ce = d.feed(area);
      }
    } catch (err) {
      if (!(err instanceof FormatProblem)) throw err;
      this.problem({ code: 'system-use', message: err.message, lba: err.lba ?? lba, path: recordPath(r, dirPath) });
    }
    return { rr: d.rr, continuation };
  }

  /** The bytes of a continuation area, or null when it cannot be read. */
  private continuationArea(ce: Continuation, path: string): Buffer | null {
    if (ce.offset >= SECTOR || ce.length > SECTOR - ce.offset) {
      this.problem({ code: 'continuation-crosses', offset: ce.offset, length: ce.length, lba: ce.block, path });
      return null;
    }
    if (!this.src.holds(ce.block, SECTOR)) {
      this.problem({ code: 'continuation-past-medium', lba: ce.block, path });
      return null;
    }
    if (this.session && ce.block >= this.session.end) this.problem({ code: 'continuation-outside-session', lba: ce.block, path });
    let sector = this.ceCache.get(ce.block);
    if (!sector) {
      sector = this.src.read(ce.block, 1);
      if (this.ceCache.size >= CE_CACHE) this.ceCache.delete(this.ceCache.keys().next().value as number);
      this.ceCache.set(ce.block, sector);
    }
    return sector.subarray(ce.offset, ce.offset + ce.length);
  }

  /** The directory a CL placeholder stands for: its `.` and `..` records and attributes. */
  relocated(c: DirectoryChild): Relocated | null {
    const target = c.rr.childLink!;
    const where = { recordLba: c.recordLba, lba: target, path: c.path };
    if (!this.src.holds(target, SECTOR) || (this.session !== null && target >= this.session.end)) {
      this.problem({ code: 'relocation-outside', ...where });
      return null;
    }
    const sector = this.src.read(target, 1);
    let dot: RawRecord | null = null;
    let dotdot: RawRecord | null = null;
    try {
      dot = decodeRecord(sector, 0);
      if (dot) dotdot = decodeRecord(sector, dot.length);
    } catch {
      // not a directory: reported below
    }
    if (!dot || !isDot(dot) || dot.extent !== target || !(dot.flags & FLAG_DIRECTORY) || !dotdot) {
      this.problem({ code: 'relocation-not-directory', ...where });
      return null;
    }
    return { dot, dotdot, rr: this.systemUse(dot, target, c.path).rr };
  }
}
