// Walks one session's directory tree and reports every entry in pre-order: Rock Ridge
// names and attributes (continuation areas followed), relocated directories put back in
// place, multi-extent files joined, hard links keyed. Falls back to Joliet or plain
// ISO 9660 names when the tree has no Rock Ridge.
//
// Every image is treated as hostile: depth, entries, continuation chains, path bytes and
// the directory sectors read are bounded; every extent is checked against the medium; a
// directory reached twice (a loop or a shared subtree) is an error.
import { decodeRecord, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, isDot, isDotDot, type RawRecord } from '../iso9660/directory-record.js';
import { type DataExtent, deviceNumbers, type ImageEntry, type ImageEntryType, typeFromMode } from './entry.js';
import { ImageError } from './errors.js';
import type { SectorSource } from './sector-source.js';
import { type Continuation, type RockRidge, SystemUseDecoder } from '../iso9660/rockridge.js';
import { SECTOR } from '../iso9660/constants.js';
import { FormatProblem } from '../iso9660/format-problem.js';
import { isoName } from '../iso9660/iso-names.js';
import { jolietName } from '../iso9660/joliet-names.js';

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
}

export const DEFAULT_LIMITS: WalkLimits = {
  maxDepth: 1000,
  maxEntries: 20_000_000,
  maxContinuations: 32,
  maxPathBytes: 32 * 1024,
  maxTotalPathBytes: 1024 * 1024 * 1024,
};

export interface TreeRoot {
  /** 1-based session number, for messages. */
  session: number;
  extent: number;
  size: number;
  flavour: TreeFlavour;
}

/** One decoded record of a directory (several records for a multi-extent file). */
interface Child {
  record: RawRecord;
  name: string;
  rr: RockRidge;
  continuation: boolean;
  sections: DataExtent[];
  recordLba: number;
}

const BATCH_SECTORS = 16;
const CE_CACHE = 8;

export class TreeWalker {
  private readonly limits: WalkLimits;
  private entries = 0;
  private pathBytes = 0;
  private directorySectors = 0;
  private readonly visitedDirs = new Set<number>();
  private readonly ceCache = new Map<number, Buffer>();
  /** SUSP LEN_SKP from the root's SP entry. */
  private skip = 0;

  constructor(
    private readonly src: SectorSource,
    private readonly root: TreeRoot,
    limits: Partial<WalkLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** True when the root's `.` record announces Rock Ridge: SP as its first System Use entry,
   *  then an ER or Rock Ridge entries (directly or in a continuation area). */
  static hasRockRidge(src: SectorSource, session: number, extent: number, size: number): boolean {
    const w = new TreeWalker(src, { session, extent, size, flavour: 'iso9660' });
    const dot = w.decode(w.readDirectorySector(extent, size, ''), 0, extent, '');
    if (!dot || !isDot(dot)) return false;
    if (dot.systemUse.length < 7 || dot.systemUse.toString('latin1', 0, 2) !== 'SP') return false;
    const rr = w.child(dot, extent, '', true).rr;
    return rr.spSkip !== undefined && (rr.extensions === true || rr.any === true);
  }

  /** Reports every entry of the tree, the root ('' path) first, directories before their contents. */
  walk(visit: (e: ImageEntry) => void): void {
    const { extent, size } = this.root;
    const first = this.readDirectorySector(extent, size, '');
    const dot = this.decode(first, 0, extent, '');
    if (!dot || !isDot(dot)) this.fail('the root directory does not start with its `.` record', extent, '');
    const rootChild = this.child(dot, extent, '', true);
    if (this.root.flavour === 'rockridge') this.skip = rootChild.rr.spSkip ?? 0;
    const rootEntry = this.entry(rootChild, '');
    if (rootChild.rr.checksumArea) rootEntry.checksumArea = rootChild.rr.checksumArea;
    rootEntry.size = size;
    rootEntry.extents = [];
    this.descend(rootEntry, extent, size, 0, visit);
  }

  private descend(dir: ImageEntry, extent: number, size: number, depth: number, visit: (e: ImageEntry) => void): void {
    if (depth > this.limits.maxDepth) this.fail(`directories nested deeper than ${this.limits.maxDepth} levels`, extent, dir.path);
    if (this.visitedDirs.has(extent))
      this.fail(`directory extent at LBA ${extent} is reached a second time (a directory loop or a shared directory)`, extent, dir.path);
    this.visitedDirs.add(extent);
    // Records are handled as they are decoded (no list of a directory's children is
    // kept), and the directory itself is reported just before its first child: a
    // relocation directory (rr_moved) that holds nothing but relocated directories is an
    // artifact of the writer, not part of the tree, and is never reported.
    let shown = false;
    let sawRelocated = false;
    const names = new Set<string>();
    for (const c of this.directoryRecords(extent, size, dir.path)) {
      if (c.rr.relocated) {
        sawRelocated = true;
        continue;
      }
      if (!shown) {
        shown = true;
        visit(dir);
      }
      const path = dir.path === '' ? c.name : dir.path + '/' + c.name;
      if (names.has(c.name)) this.fail(`two entries have the name ${JSON.stringify(c.name)}`, c.recordLba, path);
      names.add(c.name);
      this.count(path, c.recordLba);
      if (c.rr.childLink !== undefined) {
        const target = c.rr.childLink;
        const { record, rr } = this.relocated(target, path);
        // Attributes from the directory's own `.` record, else from the placeholder.
        const attrs = rr.mode !== undefined ? rr : { ...c.rr, mode: undefined };
        const e = this.entry({ ...c, record, rr: { ...attrs, childLink: undefined, relocated: undefined } }, path);
        this.descend(e, record.extent, record.size, depth + 1, visit);
        continue;
      }
      const e = this.entry(c, path);
      if (e.type === 'dir') this.descend(e, c.record.extent, c.record.size, depth + 1, visit);
      else visit(e);
    }
    if (!shown && !(depth > 0 && this.root.flavour === 'rockridge' && sawRelocated)) visit(dir);
  }

  /** The first sector of a directory, checked against the medium. */
  private readDirectorySector(extent: number, size: number, path: string): Buffer {
    if (size === 0) this.fail('directory of size 0', extent, path);
    if (!this.src.holds(extent, SECTOR)) this.fail(`directory at LBA ${extent} lies past the end of the medium (${this.src.sectors} sectors)`, extent, path);
    return this.src.read(extent, 1);
  }

  /** The `.` record of a directory relocated with CL: its extent, size and attributes. */
  private relocated(lba: number, path: string): { record: RawRecord; rr: RockRidge } {
    if (!this.src.holds(lba, SECTOR)) this.fail(`Rock Ridge CL points at LBA ${lba}, past the end of the medium`, lba, path);
    const sector = this.src.read(lba, 1);
    let dot: RawRecord | null = null;
    try {
      dot = decodeRecord(sector, 0);
    } catch {
      // not a directory record: reported below
    }
    if (!dot || !isDot(dot) || dot.extent !== lba || !(dot.flags & FLAG_DIRECTORY))
      this.fail(`Rock Ridge CL points at LBA ${lba}, which does not hold a directory`, lba, path);
    const c = this.child(dot, lba, path, false);
    if (c.rr.childLink !== undefined) this.fail('Rock Ridge CL leads to another CL', lba, path);
    return { record: dot, rr: c.rr };
  }

  /** The records of a directory other than `.` and `..`, multi-extent sections joined. */
  private *directoryRecords(extent: number, size: number, path: string): Generator<Child> {
    const sectors = Math.ceil(size / SECTOR);
    if (sectors === 0) this.fail('directory of size 0', extent, path);
    if (!this.src.holds(extent, sectors * SECTOR))
      this.fail(`directory extent ${extent}+${size} lies past the end of the medium (${this.src.sectors} sectors)`, extent, path);
    this.directorySectors += sectors;
    if (this.directorySectors > this.src.sectors)
      this.fail('the directories read add up to more sectors than the medium holds: overlapping or repeated directories', extent, path);
    let pending: Child | null = null;
    for (let s = 0; s < sectors; s += BATCH_SECTORS) {
      const n = Math.min(BATCH_SECTORS, sectors - s);
      const buf = this.src.read(extent + s, n);
      for (let k = 0; k < n; k++) {
        const lba = extent + s + k;
        const sector = buf.subarray(k * SECTOR, (k + 1) * SECTOR);
        let off = 0;
        while (off < SECTOR) {
          const r = this.decode(sector, off, lba, path);
          if (!r) break;
          off += r.length;
          if (isDot(r) || isDotDot(r)) continue;
          if (pending) {
            if (!r.identifier.equals(pending.record.identifier)) this.fail('a multi-extent file ends without its final section', lba, path);
            this.addSection(pending, r, lba, path);
            if (!(r.flags & FLAG_MULTI_EXTENT)) {
              yield pending;
              pending = null;
            }
            continue;
          }
          const c = this.child(r, lba, path, false);
          if (r.flags & FLAG_MULTI_EXTENT) {
            if (r.flags & FLAG_DIRECTORY) this.fail('a directory record is flagged multi-extent', lba, path);
            pending = c;
          } else yield c;
        }
      }
    }
    if (pending) this.fail('a multi-extent file ends without its final section', extent, path);
  }

  private addSection(c: Child, r: RawRecord, lba: number, path: string): void {
    const last = c.sections[c.sections.length - 1];
    if (last && last.bytes % SECTOR !== 0) this.fail('a multi-extent file has a non-final section that is not a whole number of sectors', lba, path);
    if (r.size > 0) c.sections.push({ lba: r.extent, bytes: r.size });
  }

  private decode(sector: Buffer, off: number, lba: number, path: string): RawRecord | null {
    try {
      return decodeRecord(sector, off);
    } catch (err) {
      this.rethrow(err, lba, path);
    }
  }

  /** One record decoded with its name and Rock Ridge attributes (continuations followed). */
  private child(r: RawRecord, lba: number, parentPath: string, rootDot: boolean): Child {
    let rr: RockRidge = {};
    let continuation = false;
    const flavour = this.root.flavour;
    const dir = (r.flags & FLAG_DIRECTORY) !== 0;
    const fallback = flavour === 'joliet' ? jolietName(r.identifier, dir) : isoName(r.identifier, dir);
    const where = isDot(r) || isDotDot(r) ? parentPath : parentPath === '' ? fallback : parentPath + '/' + fallback;
    if (flavour === 'rockridge' || rootDot) {
      try {
        const d = new SystemUseDecoder();
        let ce: Continuation | null = d.feed(rootDot ? r.systemUse : r.systemUse.subarray(Math.min(this.skip, r.systemUse.length)));
        let hops = 0;
        while (ce) {
          if (++hops > this.limits.maxContinuations)
            throw new FormatProblem(`more than ${this.limits.maxContinuations} chained Rock Ridge continuation areas`, lba);
          continuation = true;
          ce = d.feed(this.continuationArea(ce));
        }
        rr = d.rr;
      } catch (err) {
        this.rethrow(err, lba, where);
      }
    }
    let name = fallback;
    if (flavour === 'rockridge' && rr.name !== undefined) name = rr.name;
    if (!isDot(r) && !isDotDot(r)) {
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
        this.fail(`invalid file name ${JSON.stringify(name)}`, lba, where);
    }
    const sections: DataExtent[] = r.size > 0 && !dir ? [{ lba: r.extent, bytes: r.size }] : [];
    return { record: r, name, rr, continuation, sections, recordLba: lba };
  }

  private continuationArea(ce: Continuation): Buffer {
    if (ce.offset >= SECTOR || ce.length > SECTOR - ce.offset)
      throw new FormatProblem(`continuation area ${ce.offset}+${ce.length} crosses the end of its sector`, ce.block);
    if (!this.src.holds(ce.block, SECTOR)) throw new FormatProblem(`continuation area at LBA ${ce.block} lies past the end of the medium`, ce.block);
    let sector = this.ceCache.get(ce.block);
    if (!sector) {
      sector = this.src.read(ce.block, 1);
      if (this.ceCache.size >= CE_CACHE) this.ceCache.delete(this.ceCache.keys().next().value as number);
      this.ceCache.set(ce.block, sector);
    }
    return sector.subarray(ce.offset, ce.offset + ce.length);
  }

  private entry(c: Child, path: string): ImageEntry {
    const r = c.record;
    const rr = c.rr;
    const recordDir = (r.flags & FLAG_DIRECTORY) !== 0;
    let type: ImageEntryType = recordDir ? 'dir' : 'file';
    if (this.root.flavour === 'rockridge' && rr.mode !== undefined) {
      const t = typeFromMode(rr.mode);
      if (t !== null && (t === 'dir') !== recordDir && rr.childLink === undefined)
        this.fail(`Rock Ridge says ${t} but the directory record says ${recordDir ? 'directory' : 'file'}`, c.recordLba, path);
      if (t !== null) type = t;
    }
    const rock = this.root.flavour === 'rockridge';
    const e: ImageEntry = {
      path,
      type,
      perm: rock && rr.mode !== undefined ? rr.mode & 0o7777 : recordDir ? 0o555 : 0o444,
      uid: rr.uid ?? 0,
      gid: rr.gid ?? 0,
      mtime: rr.mtime ?? r.mtime,
      size: 0,
      extents: [],
      nlink: rr.nlink ?? 1,
      continuation: c.continuation,
      zisofs: rr.zisofs === true,
      recordLba: c.recordLba,
    };
    if (rr.zf) e.zf = rr.zf;
    if (rr.atime !== undefined) e.atime = rr.atime;
    if (rr.ctime !== undefined) e.ctime = rr.ctime;
    if (rr.serial !== undefined) e.serial = rr.serial;
    switch (type) {
      case 'dir':
        e.size = r.size;
        break;
      case 'file': {
        for (const x of c.sections)
          if (!this.src.holds(x.lba, x.bytes))
            this.fail(`file data ${x.lba}+${x.bytes} lies past the end of the medium (${this.src.bytes} bytes)`, c.recordLba, path);
        e.extents = c.sections;
        e.size = c.sections.reduce((n, x) => n + x.bytes, 0);
        if (rr.checksumIndex !== undefined) e.checksumIndex = rr.checksumIndex;
        if (e.nlink > 1) {
          if (e.size > 0) e.linkKey = `${c.sections[0].lba}+${e.size}`;
          else if (e.serial) e.linkKey = `s${e.serial}`;
        }
        break;
      }
      case 'symlink':
        if (rr.target === undefined || rr.target === '') this.fail('symlink without a Rock Ridge SL target', c.recordLba, path);
        e.target = rr.target;
        break;
      case 'chr':
      case 'blk':
        Object.assign(e, deviceNumbers(rr.devHigh ?? 0, rr.devLow ?? 0));
        break;
    }
    return e;
  }

  private count(path: string, lba: number): void {
    if (++this.entries > this.limits.maxEntries) this.fail(`more than ${this.limits.maxEntries} entries in the tree`, lba, path);
    if (path.length > this.limits.maxPathBytes) this.fail(`path longer than ${this.limits.maxPathBytes} bytes`, lba, path.slice(0, 200) + '…');
    this.pathBytes += path.length;
    if (this.pathBytes > this.limits.maxTotalPathBytes) this.fail(`the tree's paths add up to more than ${this.limits.maxTotalPathBytes} bytes`, lba, path);
  }

  private rethrow(err: unknown, lba: number, path: string): never {
    if (err instanceof FormatProblem) this.fail(err.message, err.lba ?? lba, path);
    throw err;
  }

  private fail(reason: string, lba: number, path: string): never {
    throw new ImageError(reason, { session: this.root.session, lba, path });
  }
}
