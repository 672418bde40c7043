// Walks one session's directory tree and reports every entry in pre-order: Rock Ridge
// names and attributes (continuation areas followed), relocated directories put back in
// place, multi-extent files joined, hard links keyed. Falls back to Joliet or plain
// ISO 9660 names when the tree has no Rock Ridge.
//
// Every image is treated as hostile: the directory walker bounds depth, continuation chains
// and the directory sectors read, and a directory reached twice (a loop or a shared
// subtree) is an error; here entries and path bytes are bounded and every file extent is
// checked against the medium. The first problem met is an ImageError.
import { decodeRecord, FLAG_DIRECTORY, isDot, type RawRecord } from '../iso9660/directory-record.js';
import { SECTOR } from '../iso9660/constants.js';
import { FormatProblem } from '../iso9660/format-problem.js';
import {
  BATCH_SECTORS,
  type DirectoryChild,
  DirectoryWalker,
  type ProblemPolicy,
  type TreeFlavour,
  type WalkLimits,
  type WalkProblem,
} from './directory-walker.js';
import { deviceNumbers, type ImageEntry, type ImageEntryType, typeFromMode } from './entry.js';
import { ImageError } from './errors.js';
import type { SectorSource } from './sector-source.js';

export interface TreeRoot {
  /** 1-based session number, for messages. */
  session: number;
  extent: number;
  size: number;
  flavour: TreeFlavour;
}

export class TreeWalker {
  private readonly dirs: DirectoryWalker;
  private readonly limits: WalkLimits;
  private entries = 0;
  private pathBytes = 0;

  constructor(
    private readonly src: SectorSource,
    private readonly root: TreeRoot,
    limits: Partial<WalkLimits> = {},
  ) {
    this.dirs = new DirectoryWalker(src, readerPolicy(root.session), limits);
    this.limits = this.dirs.limits;
  }

  /** True when the root's `.` record announces Rock Ridge: SP as its first System Use entry,
   *  then an ER or Rock Ridge entries (directly or in a continuation area). */
  static hasRockRidge(src: SectorSource, session: number, extent: number, size: number): boolean {
    const w = new TreeWalker(src, { session, extent, size, flavour: 'iso9660' });
    const dot = w.decode(w.readDirectorySector(extent, size, ''), 0, extent, '');
    if (!dot || !isDot(dot)) return false;
    if (dot.systemUse.length < 7 || dot.systemUse.toString('latin1', 0, 2) !== 'SP') return false;
    const { rr } = w.dirs.systemUse(dot, extent, '', true);
    return rr.spSkip !== undefined && (rr.extensions === true || rr.any === true);
  }

  /** Reports every entry of the tree, the root ('' path) first, directories before their contents. */
  walk(visit: (e: ImageEntry) => void): void {
    const { extent, size } = this.root;
    const first = this.readDirectorySector(extent, size, '');
    const dot = this.decode(first, 0, extent, '');
    if (!dot || !isDot(dot)) this.fail('the root directory does not start with its `.` record', extent, '');
    const { rr, continuation } = this.dirs.systemUse(dot, extent, '', true);
    if (this.root.flavour === 'rockridge') this.dirs.startRockRidge(rr);
    const rootEntry = this.entry({ record: dot, recordLba: extent, name: '', path: '', isDir: true, sections: [], rr, continuation });
    if (rr.checksumArea) rootEntry.checksumArea = rr.checksumArea;
    rootEntry.size = size;
    rootEntry.extents = [];
    this.descend(rootEntry, extent, size, 0, visit);
  }

  private descend(dir: ImageEntry, extent: number, size: number, depth: number, visit: (e: ImageEntry) => void): void {
    if (!this.dirs.enter(extent, depth, dir.path)) return;
    // A directory is read a batch of sectors at a time, and a batch's children are handled
    // (subdirectories walked) before the next batch is read: only one batch's children are
    // held per level, and each level adds one frame to the stack. The directory itself is
    // reported just before its first child: a relocation directory (rr_moved) that holds
    // nothing but relocated directories is an artifact of the writer, not part of the tree,
    // and is never reported.
    let shown = false;
    let sawRelocated = false;
    const flavour = this.root.flavour;
    const sectors = this.dirs.directorySectors(extent, size, dir.path, flavour === 'joliet');
    const kids: DirectoryChild[] = [];
    const join = this.dirs.children({ extent, path: dir.path }, flavour, (c) => kids.push(c));
    const batches = Math.ceil(sectors / BATCH_SECTORS);
    // A pass per batch, and a last one for a multi-extent file the directory leaves unfinished.
    for (let b = 0; b <= batches; b++) {
      const from = b * BATCH_SECTORS;
      if (b < batches) this.dirs.readRecords(extent, from, Math.min(BATCH_SECTORS, sectors - from), dir.path, join.take);
      else join.end();
      for (const c of kids) {
        if (c.rr.relocated) {
          sawRelocated = true;
          continue;
        }
        if (!shown) {
          shown = true;
          visit(dir);
        }
        this.count(c.path, c.recordLba);
        if (c.rr.childLink !== undefined) {
          const target = this.dirs.relocated(c);
          if (!target) continue;
          const { dot, rr } = target;
          if (rr.childLink !== undefined) this.fail('Rock Ridge CL leads to another CL', dot.extent, c.path);
          // Attributes from the directory's own `.` record, else from the placeholder.
          const attrs = rr.mode !== undefined ? rr : { ...c.rr, mode: undefined };
          const e = this.entry({ ...c, record: dot, rr: { ...attrs, childLink: undefined, relocated: undefined } });
          this.descend(e, dot.extent, dot.size, depth + 1, visit);
          continue;
        }
        const e = this.entry(c);
        if (e.type === 'dir') this.descend(e, c.record.extent, c.record.size, depth + 1, visit);
        else visit(e);
      }
      kids.length = 0;
    }
    if (!shown && !(depth > 0 && flavour === 'rockridge' && sawRelocated)) visit(dir);
  }

  /** The first sector of a directory, checked against the medium. */
  private readDirectorySector(extent: number, size: number, path: string): Buffer {
    if (size === 0) this.fail('directory of size 0', extent, path);
    if (!this.src.holds(extent, SECTOR)) this.fail(`directory at LBA ${extent} lies past the end of the medium (${this.src.sectors} sectors)`, extent, path);
    return this.src.read(extent, 1);
  }

  private decode(sector: Buffer, off: number, lba: number, path: string): RawRecord | null {
    try {
      return decodeRecord(sector, off);
    } catch (err) {
      if (err instanceof FormatProblem) this.fail(err.message, err.lba ?? lba, path);
      throw err;
    }
  }

  private entry(c: DirectoryChild): ImageEntry {
    const path = c.path;
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

  private fail(reason: string, lba: number, path: string): never {
    throw new ImageError(reason, { session: this.root.session, lba, path });
  }
}

/** The reader's problem policy: a problem that keeps the tree from being read is an
 *  ImageError; one that does not (a conformance slip) is let pass. */
function readerPolicy(session: number): ProblemPolicy {
  return (p) => {
    const reason = readerReason(p);
    if (reason !== null) throw new ImageError(reason, { session, lba: p.lba, path: p.path });
  };
}

function readerReason(p: WalkProblem): string | null {
  switch (p.code) {
    case 'loop':
      return `directory extent at LBA ${p.lba} is reached a second time (a directory loop or a shared directory)`;
    case 'too-deep':
      return `directories nested deeper than ${p.limit} levels`;
    case 'directory-budget':
      return 'the directories read add up to more sectors than the medium holds: overlapping or repeated directories';
    case 'directory-size':
      // A directory of part of a sector can still be read.
      return p.size === 0 ? 'directory of size 0' : null;
    case 'directory-past-medium':
      return `directory extent ${p.lba}+${p.size} lies past the end of the medium (${p.mediumSectors} sectors)`;
    case 'bad-record':
    case 'system-use':
      return p.message;
    case 'multi-extent-unfinished':
      return 'a multi-extent file ends without its final section';
    case 'multi-extent-section':
      return 'a multi-extent file has a non-final section that is not a whole number of sectors';
    case 'multi-extent-directory':
      return 'a directory record is flagged multi-extent';
    case 'continuation-chain':
      return `more than ${p.limit} chained Rock Ridge continuation areas`;
    case 'continuation-crosses':
      return `continuation area ${p.offset}+${p.length} crosses the end of its sector`;
    case 'continuation-past-medium':
      return `continuation area at LBA ${p.lba} lies past the end of the medium`;
    case 'invalid-name':
      return `invalid file name ${JSON.stringify(p.name)}`;
    case 'duplicate-name':
      return `two entries have the name ${JSON.stringify(p.name)}`;
    case 'relocation-outside':
      return `Rock Ridge CL points at LBA ${p.lba}, past the end of the medium`;
    case 'relocation-not-directory':
      return `Rock Ridge CL points at LBA ${p.lba}, which does not hold a directory`;
    case 'directory-outside-session':
    case 'continuation-outside-session':
    case 'sector-tail':
      return null;
  }
}
