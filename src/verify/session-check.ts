// The structural checks of one session: its volume descriptors, the ISO 9660 tree with its
// Rock Ridge data and the Joliet tree walked side by side (records well-formed and sorted,
// `.` and `..` right, extents inside the session and the medium, both trees naming the same
// files with the same extents), and both path tables against the directories found.
// Unlike the image reader, which stops at the first problem, every problem becomes a
// finding and the walk goes on wherever it safely can.
import type { ChecksumArea } from '../iso9660/checksum-tags.js';
import { decodeRecord, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, isDot, isDotDot, type RawRecord } from '../iso9660/directory-record.js';
import { type DataExtent, typeFromMode } from '../image/entry.js';
import type { SectorSource } from '../image/sector-source.js';
import type { SessionEntry } from '../image/sessions.js';
import { type Continuation, type RockRidge, SystemUseDecoder } from '../iso9660/rockridge.js';
import { TreeWalker } from '../image/tree-walker.js';
import {
  decodeVolumeDescriptor,
  DESCRIPTOR_BOOT,
  DESCRIPTOR_PARTITION,
  DESCRIPTOR_PRIMARY,
  DESCRIPTOR_SUPPLEMENTARY,
  DESCRIPTOR_TERMINATOR,
  isVolumeDescriptor,
  type VolumeDescriptor,
} from '../iso9660/volume-descriptor.js';
import type { FindingKind, FindingSink } from './findings.js';
import { inOrder } from './record-order.js';
import { JOLIET_MAX_PATH, jolietPathLength, jolietPathOf } from '../iso9660/joliet-path.js';
import { JOLIET_LONG_MAX, jolietName } from '../iso9660/joliet-names.js';
import { SECTOR } from '../iso9660/constants.js';
import { FormatProblem } from '../iso9660/format-problem.js';
import { isoName } from '../iso9660/iso-names.js';
import { decodePathTable } from '../iso9660/path-table.js';

/** Descriptors looked at from S+16 before a missing terminator is reported. */
const MAX_DESCRIPTORS = 64;
/** Continuation areas followed for one record (Linux follows 31). */
const MAX_CONTINUATIONS = 32;
const MAX_DEPTH = 1000;
const BATCH_SECTORS = 16;

/**
 * The regular files whose MD5 a session records (AAIP isofs.cx): extents and index in
 * typed arrays, so that a tree of a million files costs a few numbers and a path each.
 */
export class ChecksummedFiles {
  private lbas = new Float64Array(256);
  private sizes = new Float64Array(256);
  private indexes = new Float64Array(256);
  private readonly paths: string[] = [];
  /** Files of other than one extent (empty, multi-extent), by position. */
  private readonly odd = new Map<number, DataExtent[]>();

  get length(): number {
    return this.paths.length;
  }

  add(path: string, extents: DataExtent[], index: number): void {
    const k = this.paths.length;
    if (k === this.lbas.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.lbas = grow(this.lbas);
      this.sizes = grow(this.sizes);
      this.indexes = grow(this.indexes);
    }
    this.paths.push(path);
    this.indexes[k] = index;
    if (extents.length === 1) {
      this.lbas[k] = extents[0].lba;
      this.sizes[k] = extents[0].bytes;
    } else {
      this.lbas[k] = extents[0]?.lba ?? 0;
      this.sizes[k] = -1;
      this.odd.set(k, extents);
    }
  }

  /** True when file `k` has exactly one extent (lba(k), size(k)). */
  single(k: number): boolean {
    return this.sizes[k] >= 0;
  }

  /** Bytes of a single-extent file. */
  size(k: number): number {
    return this.sizes[k];
  }

  path(k: number): string {
    return this.paths[k];
  }

  index(k: number): number {
    return this.indexes[k];
  }

  /** LBA the file starts at (0 for an empty file). */
  lba(k: number): number {
    return this.lbas[k];
  }

  extents(k: number): DataExtent[] {
    return this.odd.get(k) ?? [{ lba: this.lbas[k], bytes: this.sizes[k] }];
  }

  /** Positions in the order of the files' first LBA, for reading front to back. */
  byLba(): Int32Array {
    const n = this.length;
    const order = new Int32Array(n);
    let sorted = true;
    for (let k = 0; k < n; k++) {
      order[k] = k;
      if (k > 0 && this.lbas[k] < this.lbas[k - 1]) sorted = false;
    }
    // Usually the tree lists the files in the order their data was written.
    return sorted ? order : order.sort((a, b) => this.lbas[a] - this.lbas[b]);
  }
}

export interface SessionCheck {
  session: SessionEntry;
  /** The session's own volume space size (its PVD), or null without a PVD. */
  volumeSpaceSize: number | null;
  primary: VolumeDescriptor | null;
  joliet: VolumeDescriptor | null;
  rockRidge: boolean;
  files: number;
  directories: number;
  /** Bytes of regular file data the tree describes. */
  fileBytes: number;
  /** isofs.ca of the root, when the session records MD5s. */
  checksumArea: ChecksumArea | null;
  checksummed: ChecksummedFiles;
  /** The head sectors S+16… that hold descriptors, up to and including the terminator. */
  descriptorSectors: number;
  /** Records with a ZF (zisofs) entry: the verifier inflates their content when any. */
  zisofsFiles: number;
}

/** One name of a directory, its sections joined (several records for a multi-extent file). */
interface Child {
  record: RawRecord;
  recordLba: number;
  /** Rock Ridge name, else the ISO or Joliet identifier as a name. */
  name: string;
  /** The name under its directory's path. */
  path: string;
  isDir: boolean;
  sections: DataExtent[];
  rr: RockRidge;
  checksumIndex?: number;
  checksumArea?: ChecksumArea;
}

interface DirWork {
  path: string;
  extent: number;
  size: number;
  parentExtent: number;
  depth: number;
  /** The Joliet directory describing the same directory, when there is one. */
  joliet: { extent: number; size: number; parentExtent: number; path: string } | null;
}

/** A directory as the path table must list it. */
interface DirPlace {
  parentExtent: number;
  identifier: Buffer;
}

export class SessionChecker {
  private readonly end: number;
  private readonly n: number;
  private skip = 0;
  private dirSectorsRead = 0;
  private readonly visited = new Set<number>();
  private readonly visitedJoliet = new Set<number>();
  private readonly isoDirs = new Map<number, DirPlace>();
  private readonly jolietDirs = new Map<number, DirPlace>();
  private readonly result: SessionCheck;
  /** Some directory could not be read whole: the path tables cannot be held against the tree. */
  private incomplete = false;

  constructor(
    private readonly src: SectorSource,
    private readonly session: SessionEntry,
    private readonly sink: FindingSink,
  ) {
    this.n = session.number;
    this.end = session.start + session.size;
    this.result = {
      session,
      volumeSpaceSize: null,
      primary: null,
      joliet: null,
      rockRidge: false,
      files: 0,
      directories: 0,
      fileBytes: 0,
      checksumArea: null,
      checksummed: new ChecksummedFiles(),
      descriptorSectors: 0,
      zisofsFiles: 0,
    };
  }

  private find(kind: FindingKind, message: string, where: { lba?: number; path?: string; expected?: string | number; found?: string | number } = {}): void {
    this.sink.add({ kind, session: this.n, ...where, message });
  }

  /**
   * Runs every check. `afterRoot` is called once, as soon as the root directory has been
   * read (result.checksumArea is known then), or at the end when there is no root.
   */
  check(afterRoot?: (partial: SessionCheck) => void): SessionCheck {
    const r = this.result;
    this.afterRoot = afterRoot;
    this.descriptors();
    if (!r.primary) return this.rootDone();
    const pvd = r.primary;
    r.rockRidge = this.rootOk(pvd.root.extent) && TreeWalker.hasRockRidge(this.src, this.n, pvd.root.extent, pvd.root.size);
    const jolietRoot = r.joliet && this.rootOk(r.joliet.root.extent) ? r.joliet.root : null;
    this.walk(pvd.root.extent, pvd.root.size, jolietRoot);
    this.rootDone();
    this.pathTables(pvd, this.isoDirs, pvd.root.extent, false);
    if (r.joliet && jolietRoot) this.pathTables(r.joliet, this.jolietDirs, jolietRoot.extent, true);
    return r;
  }

  private afterRoot: ((partial: SessionCheck) => void) | undefined;

  private rootDone(): SessionCheck {
    const call = this.afterRoot;
    this.afterRoot = undefined;
    call?.(this.result);
    return this.result;
  }

  private rootOk(extent: number): boolean {
    return this.src.holds(extent, SECTOR);
  }

  // ------------------------------------------------------------ volume descriptors

  private descriptors(): void {
    const s = this.session;
    const r = this.result;
    let terminator = false;
    for (let i = 0; i < MAX_DESCRIPTORS; i++) {
      const lba = s.start + 16 + i;
      if (!this.src.holds(lba, SECTOR)) {
        this.find('descriptor', `the volume descriptor set runs past the end of the medium at LBA ${lba}`, { lba });
        return;
      }
      const sector = this.src.read(lba, 1);
      if (!isVolumeDescriptor(sector)) {
        if (i === 0) this.find('descriptor', 'no volume descriptor at the session start + 16', { lba });
        else this.find('descriptor', 'the volume descriptor set ends without a terminator', { lba });
        return;
      }
      const type = sector[0];
      r.descriptorSectors = i + 1;
      if (i === 0 && type !== DESCRIPTOR_PRIMARY)
        this.find('descriptor', `the first volume descriptor has type ${type}, not a primary one`, { lba, expected: DESCRIPTOR_PRIMARY, found: type });
      if (type === DESCRIPTOR_TERMINATOR) {
        terminator = true;
        if (sector[6] !== 1) this.find('descriptor', `terminator version ${sector[6]} is not 1`, { lba });
        for (let k = 7; k < SECTOR; k++)
          if (sector[k] !== 0) {
            this.find('descriptor', `terminator byte ${k} is not zero`, { lba, found: sector[k] });
            break;
          }
        break;
      }
      if (type === DESCRIPTOR_PRIMARY || type === DESCRIPTOR_SUPPLEMENTARY) {
        let vd: VolumeDescriptor;
        try {
          vd = decodeVolumeDescriptor(sector);
        } catch (err) {
          this.find('descriptor', (err as Error).message, { lba });
          continue;
        }
        for (const p of vd.problems) this.find('descriptor', p, { lba });
        if (type === DESCRIPTOR_PRIMARY) {
          if (r.primary) this.find('descriptor', 'a second primary volume descriptor', { lba });
          else {
            r.primary = vd;
            r.volumeSpaceSize = vd.volumeSpaceSize;
            this.primaryFields(sector, vd, lba);
          }
        } else if (vd.jolietLevel && !r.joliet) {
          r.joliet = vd;
          this.descriptorGeometry(vd, lba, 'Joliet');
        }
      } else if (type !== DESCRIPTOR_BOOT && type !== DESCRIPTOR_PARTITION) {
        this.find('descriptor', `volume descriptor of unknown type ${type}`, { lba, found: type });
      }
    }
    if (!terminator && r.descriptorSectors >= MAX_DESCRIPTORS)
      this.find('descriptor', `no terminator among the first ${MAX_DESCRIPTORS} volume descriptors`, { lba: s.start + 16 });
  }

  /** Zero fields and geometry of the PVD, as strict readers (libarchive) check them. */
  private primaryFields(sector: Buffer, vd: VolumeDescriptor, lba: number): void {
    const zero = (from: number, to: number, what: string) => {
      for (let k = from; k < to; k++)
        if (sector[k] !== 0) {
          this.find('descriptor', `PVD ${what} (byte ${k}) is not zero`, { lba, found: sector[k] });
          return;
        }
    };
    zero(7, 8, 'unused field');
    zero(72, 80, 'unused field');
    zero(88, 120, 'unused field');
    zero(1395, SECTOR, 'reserved area');
    if (vd.fileStructureVersion !== 1) this.find('descriptor', `file structure version ${vd.fileStructureVersion} is not 1`, { lba });
    // libisoburn's convention (and ours): a session's PVD gives the session's own length.
    const end = this.session.start + vd.volumeSpaceSize;
    if (end > this.src.sectors)
      this.find('medium', `the session ends at LBA ${end}, past the end of the medium (${this.src.sectors} sectors): truncated`, {
        lba: this.src.sectors,
        expected: end,
        found: this.src.sectors,
      });
    this.descriptorGeometry(vd, lba, 'PVD');
  }

  private descriptorGeometry(vd: VolumeDescriptor, lba: number, what: string): void {
    const inSession = (x: number) => x >= this.session.start && x < this.end;
    if (!inSession(vd.root.extent))
      this.find('extent', `${what} root directory at LBA ${vd.root.extent} lies outside the session`, { lba, found: vd.root.extent });
    if (vd.root.size === 0 || vd.root.size % SECTOR)
      this.find('directory', `${what} root directory size ${vd.root.size} is not a whole number of sectors`, { lba });
    if (!inSession(vd.lPathTable))
      this.find('path-table', `${what} L path table at LBA ${vd.lPathTable} lies outside the session`, { lba, found: vd.lPathTable });
    if (vd.mPathTable !== 0 && !inSession(vd.mPathTable))
      this.find('path-table', `${what} M path table at LBA ${vd.mPathTable} lies outside the session`, { lba, found: vd.mPathTable });
  }

  // ------------------------------------------------------------ directories

  /** The records of a directory extent, checked; null when it cannot be read at all. */
  private records(extent: number, size: number, path: string, joliet: boolean): { records: RawRecord[]; lbas: number[] } | null {
    const tree = joliet ? 'Joliet directory' : 'directory';
    if (size === 0 || size % SECTOR) this.find('directory', `${tree} size ${size} is not a whole, non-zero number of sectors`, { lba: extent, path });
    const sectors = Math.ceil(size / SECTOR);
    if (sectors === 0) return null;
    if (extent < this.session.start || extent + sectors > this.end) {
      this.find('extent', `${tree} ${extent}+${sectors} sectors lies outside the session (LBA ${this.session.start}–${this.end - 1})`, { lba: extent, path });
      if (!this.src.holds(extent, sectors * SECTOR)) return null;
    }
    if (!this.src.holds(extent, sectors * SECTOR)) {
      this.find('extent', `${tree} ${extent}+${sectors} sectors runs past the end of the medium (${this.src.sectors} sectors)`, { lba: extent, path });
      return null;
    }
    this.dirSectorsRead += sectors;
    if (this.dirSectorsRead > this.src.sectors * 2) {
      this.find('directory', 'the directories add up to more sectors than the medium holds: overlapping or repeated directories; the walk stops', {
        lba: extent,
        path,
      });
      return null;
    }
    const records: RawRecord[] = [];
    const lbas: number[] = [];
    for (let s = 0; s < sectors; s += BATCH_SECTORS) {
      const count = Math.min(BATCH_SECTORS, sectors - s);
      const buf = this.src.read(extent + s, count);
      for (let k = 0; k < count; k++) {
        const lba = extent + s + k;
        const sector = buf.subarray(k * SECTOR, (k + 1) * SECTOR);
        let off = 0;
        while (off < SECTOR) {
          const len = sector[off];
          if (len === 0) {
            for (let z = off + 1; z < SECTOR; z++)
              if (sector[z] !== 0) {
                this.find('directory', `non-zero byte at offset ${z} after the last record of the sector`, { lba, path });
                break;
              }
            break;
          }
          let r: RawRecord | null;
          try {
            r = decodeRecord(sector, off);
          } catch (err) {
            this.find('directory', `${(err as Error).message}; rest of the sector skipped`, { lba, path });
            this.incomplete = true;
            break;
          }
          if (!r) break;
          if (len % 2) this.find('directory', `directory record at offset ${off} has odd length ${len}`, { lba, path });
          if (r.identifier.length === 0) this.find('directory', `directory record at offset ${off} has an empty identifier`, { lba, path });
          records.push(r);
          lbas.push(lba);
          off += len;
        }
      }
    }
    return { records, lbas };
  }

  /** Decodes a record's System Use entries (continuations followed): Rock Ridge and AAIP
   *  (isofs.cx, isofs.ca), with the image reader's decoder. `path` names the record's
   *  directory (for a `.` record: the directory itself). */
  private systemUse(r: RawRecord, lba: number, path: string, dot: boolean, rootDot = false): RockRidge {
    const d = new SystemUseDecoder();
    try {
      const su = r.systemUse;
      const first = rootDot || this.skip === 0 ? su : su.subarray(Math.min(this.skip, su.length));
      let ce: Continuation | null = d.feed(first);
      let hops = 0;
      while (ce) {
        if (++hops > MAX_CONTINUATIONS) throw new FormatProblem(`more than ${MAX_CONTINUATIONS} chained continuation areas`, lba);
        if (ce.offset >= SECTOR || ce.length > SECTOR - ce.offset)
          throw new FormatProblem(`continuation area ${ce.block}:${ce.offset}+${ce.length} crosses the end of its sector`, ce.block);
        if (!this.src.holds(ce.block, SECTOR)) throw new FormatProblem(`continuation area at LBA ${ce.block} lies past the end of the medium`, ce.block);
        if (ce.block >= this.end)
          this.find('extent', `continuation area at LBA ${ce.block} lies past the end of the session`, { lba: ce.block, path: recordPath(path, r, dot) });
        ce = d.feed(this.src.read(ce.block, 1).subarray(ce.offset, ce.offset + ce.length));
      }
    } catch (err) {
      if (!(err instanceof FormatProblem)) throw err;
      this.find('rock-ridge', err.message, { lba: err.lba ?? lba, path: recordPath(path, r, dot) });
    }
    return d.rr;
  }

  /** The children of a directory (not `.`/`..`), multi-extent sections joined, with checks. */
  private children(w: { extent: number; size: number; parentExtent: number; path: string }, joliet: boolean, places: Map<number, DirPlace>): Child[] | null {
    const read = this.records(w.extent, w.size, w.path, joliet);
    if (!read) {
      this.incomplete = true;
      return null;
    }
    const tree = joliet ? 'Joliet ' : '';
    const rock = !joliet && this.result.rockRidge;
    const isRoot = w.path === '';
    const { records: recs, lbas } = read;
    if (recs.length < 2 || !isDot(recs[0]) || !isDotDot(recs[1])) {
      this.find('directory', `${tree}directory does not start with its \`.\` and \`..\` records`, { lba: w.extent, path: w.path });
    } else {
      const dot = recs[0];
      const dotdot = recs[1];
      if (dot.extent !== w.extent || dot.size !== w.size)
        this.find('directory', `${tree}\`.\` record says ${dot.extent}+${dot.size}, the directory is ${w.extent}+${w.size}`, {
          lba: w.extent,
          path: w.path,
          expected: w.extent,
          found: dot.extent,
        });
      if (!(dot.flags & FLAG_DIRECTORY) || !(dotdot.flags & FLAG_DIRECTORY))
        this.find('directory', `${tree}\`.\` or \`..\` record is not flagged as a directory`, { lba: w.extent, path: w.path });
      // libisofs (xorriso 1.5) points every Joliet `..` at the directory itself; readers
      // ignore it, so that quirk is accepted.
      const libisofsJoliet = joliet && dotdot.extent === w.extent;
      if (dotdot.extent !== w.parentExtent && !libisofsJoliet)
        this.find('directory', `${tree}\`..\` record points at LBA ${dotdot.extent}, the parent directory is at ${w.parentExtent}`, {
          lba: w.extent,
          path: w.path,
          expected: w.parentExtent,
          found: dotdot.extent,
        });
      if (rock) {
        const rr = this.systemUse(dot, w.extent, w.path, true, isRoot);
        if (isRoot) {
          this.skip = rr.spSkip ?? 0;
          if (rr.checksumArea) this.result.checksumArea = rr.checksumArea;
        }
        if (rr.mode === undefined) this.find('rock-ridge', '`.` record has no PX entry', { lba: w.extent, path: w.path });
      }
    }
    const out: Child[] = [];
    let pending: Child | null = null;
    const names = new Set<string>();
    let prevId: Buffer | null = null;
    let prevDir = false;
    for (let k = 0; k < recs.length; k++) {
      const r = recs[k];
      const lba = lbas[k];
      if (isDot(r) || isDotDot(r)) {
        if (k > 1) this.find('directory', `${tree}\`.\` or \`..\` record in the middle of the directory`, { lba, path: w.path });
        continue;
      }
      const dir = (r.flags & FLAG_DIRECTORY) !== 0;
      if (prevId && !inOrder(prevId, prevDir, r.identifier, dir, joliet))
        this.find('order', `${tree}record ${JSON.stringify(showIdentifier(r.identifier, joliet))} is out of order`, { lba, path: w.path });
      prevId = r.identifier;
      prevDir = dir;
      if (pending) {
        if (!r.identifier.equals(pending.record.identifier)) {
          this.find('directory', `${tree}multi-extent file ends without its final section`, { lba, path: w.path });
          out.push(pending);
          pending = null;
        } else {
          const last = pending.sections[pending.sections.length - 1];
          if (last && last.bytes % SECTOR !== 0)
            this.find('extent', `${tree}non-final section of a multi-extent file is not whole sectors`, { lba, path: w.path });
          if (r.size > 0) pending.sections.push({ lba: r.extent, bytes: r.size });
          if (!(r.flags & FLAG_MULTI_EXTENT)) {
            out.push(pending);
            pending = null;
          }
          continue;
        }
      }
      const rr = rock ? this.systemUse(r, lba, w.path, false) : {};
      const name = rock && rr.name !== undefined ? rr.name : plainName(r, joliet);
      const path = childPath(w.path, name);
      if (name === '' || name.includes('/') || name.includes('\0') || name === '.' || name === '..')
        this.find(rock ? 'rock-ridge' : 'directory', `invalid name ${JSON.stringify(name)}`, { lba, path: w.path });
      else if (names.has(name) && !rr.relocated) this.find('directory', `${tree}two entries are named ${JSON.stringify(name)}`, { lba, path });
      names.add(name);
      if (rock) this.rockRidgeRecord(rr, dir, lba, path);
      if (rr.zisofs && !dir) this.result.zisofsFiles++;
      if (dir && r.flags & FLAG_MULTI_EXTENT) this.find('directory', `${tree}directory record flagged multi-extent`, { lba, path });
      const c: Child = { record: r, recordLba: lba, name, path, isDir: dir, sections: !dir && r.size > 0 ? [{ lba: r.extent, bytes: r.size }] : [], rr };
      if (rr.checksumIndex !== undefined) c.checksumIndex = rr.checksumIndex;
      if (!dir && r.flags & FLAG_MULTI_EXTENT) pending = c;
      else out.push(c);
    }
    if (pending) {
      this.find('directory', `${tree}multi-extent file ends without its final section`, { lba: w.extent, path: w.path });
      out.push(pending);
    }
    for (const c of out) {
      if (c.isDir) {
        if (!rock || c.rr.relocated === undefined) places.set(c.record.extent, { parentExtent: w.extent, identifier: c.record.identifier });
      } else this.fileExtents(c, c.path, joliet);
    }
    return out;
  }

  private rockRidgeRecord(rr: RockRidge, dir: boolean, lba: number, path: string): void {
    if (rr.mode === undefined) {
      this.find('rock-ridge', 'record has no PX entry', { lba, path });
      return;
    }
    const t = typeFromMode(rr.mode);
    if (t === null) this.find('rock-ridge', `PX mode 0${rr.mode.toString(8)} names no file type`, { lba, path });
    else if ((t === 'dir') !== dir && rr.childLink === undefined)
      this.find('rock-ridge', `PX says ${t} but the directory record says ${dir ? 'directory' : 'file'}`, { lba, path });
    if (t === 'symlink' && !rr.target) this.find('rock-ridge', 'symlink without an SL target', { lba, path });
    if (t !== 'symlink' && rr.target !== undefined) this.find('rock-ridge', 'SL entry on a record that is no symlink', { lba, path });
  }

  /** Every section of a file inside the session's end and the medium. */
  private fileExtents(c: Child, path: string, joliet: boolean): void {
    for (const x of c.sections) {
      const sectors = Math.ceil(x.bytes / SECTOR);
      if (x.lba + sectors > this.src.sectors)
        this.find('extent', `${joliet ? 'Joliet ' : ''}file data ${x.lba}+${x.bytes} runs past the end of the medium (${this.src.sectors} sectors)`, {
          lba: x.lba,
          path,
        });
      else if (x.lba + sectors > this.end)
        this.find('extent', `${joliet ? 'Joliet ' : ''}file data ${x.lba}+${x.bytes} lies past the end of the session (LBA ${this.end})`, { lba: x.lba, path });
      else if (x.lba < 16) this.find('extent', `file data at LBA ${x.lba} lies in the system area`, { lba: x.lba, path });
    }
  }

  // ------------------------------------------------------------ the walk

  private walk(rootExtent: number, rootSize: number, jolietRoot: { extent: number; size: number } | null): void {
    const r = this.result;
    this.isoDirs.set(rootExtent, { parentExtent: rootExtent, identifier: Buffer.from([0]) });
    if (jolietRoot) this.jolietDirs.set(jolietRoot.extent, { parentExtent: jolietRoot.extent, identifier: Buffer.from([0]) });
    const stack: DirWork[] = [
      {
        path: '',
        extent: rootExtent,
        size: rootSize,
        parentExtent: rootExtent,
        depth: 0,
        joliet: jolietRoot ? { ...jolietRoot, parentExtent: jolietRoot.extent, path: '' } : null,
      },
    ];
    while (stack.length) {
      const w = stack.pop()!;
      if (this.visited.has(w.extent)) {
        this.find('directory', `directory at LBA ${w.extent} is reached a second time (a loop or a shared directory)`, { lba: w.extent, path: w.path });
        continue;
      }
      this.visited.add(w.extent);
      if (w.depth > MAX_DEPTH) {
        this.find('directory', `directories nested deeper than ${MAX_DEPTH} levels`, { lba: w.extent, path: w.path });
        continue;
      }
      r.directories++;
      const kids = this.children(w, false, this.isoDirs);
      if (w.depth === 0) this.rootDone();
      if (!kids) continue;
      // The Rock Ridge view: relocated directories at their logical place, their records
      // in the relocation directory skipped.
      const view: Child[] = [];
      for (const c of kids) {
        if (c.rr.relocated) continue;
        if (c.rr.childLink !== undefined) {
          const target = this.relocatedDir(c, w.path);
          if (target) view.push(target);
          continue;
        }
        view.push(c);
      }
      for (const c of view) {
        if (!c.isDir) {
          const t = r.rockRidge && c.rr.mode !== undefined ? typeFromMode(c.rr.mode) : 'file';
          if (t !== 'file') continue;
          r.files++;
          const size = c.sections.reduce((n, x) => n + x.bytes, 0);
          r.fileBytes += size;
          if (c.checksumIndex !== undefined) r.checksummed.add(c.path, c.sections, c.checksumIndex);
        }
      }
      let jolietKids: Child[] | null = null;
      if (w.joliet) {
        if (this.visitedJoliet.has(w.joliet.extent)) {
          this.find('joliet', `Joliet directory at LBA ${w.joliet.extent} is reached a second time`, { lba: w.joliet.extent, path: w.path });
        } else {
          this.visitedJoliet.add(w.joliet.extent);
          jolietKids = this.children(w.joliet, true, this.jolietDirs);
        }
      }
      const pairs = jolietKids ? this.compareTrees(w, view, jolietKids) : new Map<Child, Child>();
      const subdirs: DirWork[] = [];
      for (const c of view) {
        if (!c.isDir) continue;
        const jc = pairs.get(c);
        subdirs.push({
          path: childPath(w.path, c.name),
          extent: c.record.extent,
          size: c.record.size,
          depth: w.depth + 1,
          parentExtent: this.relocatedParent.get(c.record.extent) ?? w.extent,
          joliet:
            jc && w.joliet ? { extent: jc.record.extent, size: jc.record.size, parentExtent: w.joliet.extent, path: childPath(w.joliet.path, jc.name) } : null,
        });
      }
      for (let k = subdirs.length - 1; k >= 0; k--) stack.push(subdirs[k]);
    }
  }

  /** `..` extent of each directory reached through a CL (its real ISO 9660 parent). */
  private readonly relocatedParent = new Map<number, number>();

  /** The directory a CL placeholder stands for, as a child of the placeholder's directory. */
  private relocatedDir(c: Child, parentPath: string): Child | null {
    const lba = c.rr.childLink!;
    const path = childPath(parentPath, c.name);
    if (!this.src.holds(lba, SECTOR) || lba >= this.end) {
      this.find('rock-ridge', `CL points at LBA ${lba}, outside the session`, { lba: c.recordLba, path });
      return null;
    }
    const sector = this.src.read(lba, 1);
    let dot: RawRecord | null = null;
    let dotdot: RawRecord | null = null;
    try {
      dot = decodeRecord(sector, 0);
      if (dot) dotdot = decodeRecord(sector, dot.length);
    } catch {
      /* reported below */
    }
    if (!dot || !isDot(dot) || dot.extent !== lba || !(dot.flags & FLAG_DIRECTORY) || !dotdot) {
      this.find('rock-ridge', `CL points at LBA ${lba}, which does not hold a directory`, { lba: c.recordLba, path });
      return null;
    }
    this.relocatedParent.set(lba, dotdot.extent);
    this.isoDirs.set(lba, { parentExtent: dotdot.extent, identifier: c.record.identifier });
    const rr = this.systemUse(dot, lba, path, true);
    return { ...c, record: dot, isDir: true, sections: [], rr: { ...c.rr, ...rr, childLink: undefined, relocated: undefined, mode: rr.mode ?? c.rr.mode } };
  }

  /**
   * Both trees must describe the same files with the same extents. Returns the Joliet
   * directory matched to each Rock Ridge directory: by name, else in order among the rest
   * (Joliet names may be shortened).
   */
  private compareTrees(w: DirWork, rock: Child[], joliet: Child[]): Map<Child, Child> {
    const key = (c: Child) => c.sections.map((x) => `${x.lba}+${x.bytes}`).join(',');
    // Files by their first LBA (a number: no key text for every file), then by all extents.
    const rockFiles = new Map<number, Child[]>();
    for (const c of rock) {
      if (c.isDir || c.sections.length === 0) continue;
      const t = c.rr.mode !== undefined ? typeFromMode(c.rr.mode) : 'file';
      if (t !== 'file') continue;
      const k = c.sections[0].lba;
      const list = rockFiles.get(k);
      if (list) list.push(c);
      else rockFiles.set(k, [c]);
    }
    const jw = w.joliet!;
    for (const j of joliet) {
      if (j.isDir || j.sections.length === 0) continue;
      const list = rockFiles.get(j.sections[0].lba);
      let at = -1;
      if (list) for (let i = list.length - 1; i >= 0 && at < 0; i--) if (sameSections(list[i].sections, j.sections)) at = i;
      if (at >= 0) list!.splice(at, 1);
      else
        this.find(
          'joliet',
          `Joliet file ${JSON.stringify(j.name)} (data ${key(j)}) has no file with the same extents in the ${this.result.rockRidge ? 'Rock Ridge' : 'ISO 9660'} tree`,
          {
            lba: j.recordLba,
            path: childPath(jw.path, j.name),
            found: key(j),
          },
        );
    }
    // What libisofs leaves out on purpose (paths over 240 bytes; joliet-path.ts) is not a finding.
    const parentLength = jolietPathOf(jw.path);
    const mayLeaveOut = (c: Child) =>
      jolietPathLength(parentLength, Math.min(Buffer.from(c.name, 'latin1').toString('utf8').length, JOLIET_LONG_MAX)) > JOLIET_MAX_PATH;
    for (const list of rockFiles.values())
      for (const c of list)
        if (!mayLeaveOut(c))
          this.find('joliet', `the Joliet tree has no file with the extents of this file (${key(c)})`, {
            lba: c.recordLba,
            path: childPath(w.path, c.name),
            expected: key(c),
          });

    const pairs = new Map<Child, Child>();
    const rockDirs = rock.filter((c) => c.isDir);
    const jolietDirs = joliet.filter((c) => c.isDir);
    const freeJ = new Set(jolietDirs);
    for (const c of rockDirs) {
      const j = jolietDirs.find((d) => freeJ.has(d) && d.name === c.name);
      if (j) {
        pairs.set(c, j);
        freeJ.delete(j);
      }
    }
    // Directories Joliet may leave out pair last, so that shortened names pair with the rest.
    const unmatched = rockDirs.filter((c) => !pairs.has(c) && !isRelocationDir(w.path, c.name));
    const restR = [...unmatched.filter((c) => !mayLeaveOut(c)), ...unmatched.filter(mayLeaveOut)];
    const restJ = [...freeJ];
    for (let k = 0; k < Math.min(restR.length, restJ.length); k++) pairs.set(restR[k], restJ[k]);
    for (let k = restJ.length; k < restR.length; k++)
      if (!mayLeaveOut(restR[k]))
        this.find('joliet', 'directory missing from the Joliet tree', { lba: restR[k].recordLba, path: childPath(w.path, restR[k].name) });
    for (let k = restR.length; k < restJ.length; k++)
      this.find(
        'joliet',
        `Joliet directory ${JSON.stringify(restJ[k].name)} has no counterpart in the ${this.result.rockRidge ? 'Rock Ridge' : 'ISO 9660'} tree`,
        {
          lba: restJ[k].recordLba,
          path: childPath(jw.path, restJ[k].name),
        },
      );
    return pairs;
  }

  // ------------------------------------------------------------ path tables

  private pathTables(vd: VolumeDescriptor, dirs: Map<number, DirPlace>, rootExtent: number, joliet: boolean): void {
    const what = joliet ? 'Joliet ' : '';
    const size = vd.pathTableSize;
    const sectors = Math.ceil(size / SECTOR);
    if (size === 0) {
      this.find('path-table', `${what}path table size is 0`, { lba: vd.lPathTable });
      return;
    }
    const read = (lba: number, which: string): Buffer | null => {
      if (!this.src.holds(lba, sectors * SECTOR)) {
        this.find('path-table', `${what}${which} path table ${lba}+${size} runs past the end of the medium`, { lba });
        return null;
      }
      if (size > 64 * 1024 * 1024) {
        this.find('path-table', `${what}${which} path table of ${size} bytes is implausibly large`, { lba });
        return null;
      }
      return this.src.read(lba, sectors).subarray(0, size);
    };
    const l = read(vd.lPathTable, 'L');
    const m = vd.mPathTable !== 0 ? read(vd.mPathTable, 'M') : null;
    if (vd.mPathTable === 0) this.find('path-table', `${what}no M path table`, { lba: vd.lPathTable });
    const le = l ? this.decodePathTable(l, true, vd.lPathTable, `${what}L`) : null;
    const be = m ? this.decodePathTable(m, false, vd.mPathTable, `${what}M`) : null;
    if (le && be) {
      const n = Math.min(le.length, be.length);
      for (let k = 0; k < n; k++) {
        const a = le[k];
        const b = be[k];
        if (a.extent !== b.extent || a.parent !== b.parent || !a.identifier.equals(b.identifier)) {
          this.find('path-table', `${what}L and M path tables differ at entry ${k + 1}`, {
            lba: b.lba,
            expected: `${a.extent}/${a.parent}`,
            found: `${b.extent}/${b.parent}`,
          });
          break;
        }
      }
      if (le.length !== be.length) this.find('path-table', `${what}L path table has ${le.length} entries, M has ${be.length}`, { lba: vd.mPathTable });
    }
    for (const [table, lba] of [
      [le, vd.lPathTable],
      [be, vd.mPathTable],
    ] as const) {
      if (!table) continue;
      this.pathTableAgainstTree(table, dirs, rootExtent, joliet, lba);
    }
  }

  private decodePathTable(b: Buffer, little: boolean, lba: number, what: string): PathTableRecord[] | null {
    const { entries, malformedAt } = decodePathTable(b, little);
    const out = entries.map((e) => ({ extent: e.extent, parent: e.parent, identifier: e.identifier, lba: lba + Math.floor(e.offset / SECTOR) }));
    if (malformedAt === null) return out;
    this.find('path-table', `${what} path table record at byte ${malformedAt} is malformed (identifier length ${b[malformedAt]})`, {
      lba: lba + Math.floor(malformedAt / SECTOR),
    });
    return out.length ? out : null;
  }

  private pathTableAgainstTree(table: PathTableRecord[], dirs: Map<number, DirPlace>, rootExtent: number, joliet: boolean, tableLba: number): void {
    const what = joliet ? 'Joliet path table' : 'path table';
    let problems = 0;
    const report = (message: string, where: { lba: number; expected?: string | number; found?: string | number }) => {
      if (++problems <= 20) this.find('path-table', message, where);
    };
    if (this.incomplete) {
      // Only what the table says about itself: the tree it describes was not read whole.
      for (let k = 1; k < table.length; k++) {
        const e = table[k];
        if (e.parent < 1 || e.parent > k) report(`${what} entry ${k + 1} names parent ${e.parent}, not an earlier entry`, { lba: e.lba, found: e.parent });
        else if (e.extent < this.session.start || e.extent >= this.end)
          report(`${what} entry ${k + 1} points at LBA ${e.extent}, outside the session`, { lba: e.lba, found: e.extent });
      }
      if (problems > 20) this.find('path-table', `${what}: ${problems - 20} more problems not listed`, { lba: tableLba });
      return;
    }
    if (table.length !== dirs.size)
      report(`${what} lists ${table.length} directories, the tree has ${dirs.size}`, { lba: tableLba, expected: dirs.size, found: table.length });
    const seen = new Set<number>();
    for (let k = 0; k < table.length; k++) {
      const e = table[k];
      if (k === 0) {
        if (e.extent !== rootExtent || e.parent !== 1 || !(e.identifier.length === 1 && e.identifier[0] === 0))
          report(`${what} entry 1 is not the root directory (LBA ${rootExtent})`, { lba: e.lba, expected: rootExtent, found: e.extent });
        seen.add(e.extent);
        continue;
      }
      const place = dirs.get(e.extent);
      if (!place) {
        report(`${what} entry ${k + 1} points at LBA ${e.extent}, where the tree has no directory`, { lba: e.lba, found: e.extent });
        continue;
      }
      seen.add(e.extent);
      if (e.parent < 1 || e.parent > k) {
        report(`${what} entry ${k + 1} names parent ${e.parent}, not an earlier entry`, { lba: e.lba, found: e.parent });
        continue;
      }
      const parent = table[e.parent - 1];
      if (parent.extent !== place.parentExtent)
        report(`${what} entry ${k + 1} (LBA ${e.extent}) names a parent at LBA ${parent.extent}, the tree's is at ${place.parentExtent}`, {
          lba: e.lba,
          expected: place.parentExtent,
          found: parent.extent,
        });
      if (!e.identifier.equals(place.identifier))
        report(
          `${what} entry ${k + 1} (LBA ${e.extent}) has identifier ${JSON.stringify(e.identifier.toString('latin1'))}, its directory record ${JSON.stringify(place.identifier.toString('latin1'))}`,
          {
            lba: e.lba,
          },
        );
      const prev = table[k - 1];
      if (k > 1 && (e.parent < prev.parent || (e.parent === prev.parent && !inOrder(prev.identifier, true, e.identifier, true, joliet))))
        report(`${what} entry ${k + 1} is out of order`, { lba: e.lba });
    }
    for (const [extent] of dirs) if (!seen.has(extent)) report(`${what} does not list the directory at LBA ${extent}`, { lba: tableLba, expected: extent });
    if (problems > 20) this.find('path-table', `${what}: ${problems - 20} more problems not listed`, { lba: tableLba });
  }
}

interface PathTableRecord {
  extent: number;
  parent: number;
  identifier: Buffer;
  /** Sector the record starts in. */
  lba: number;
}

/** An identifier as text for a message: Joliet's UCS-2 big-endian, else bytes. */
function showIdentifier(id: Buffer, joliet: boolean): string {
  return joliet
    ? Buffer.from(id.subarray(0, id.length & ~1))
        .swap16()
        .toString('utf16le')
    : id.toString('latin1');
}

function sameSections(a: DataExtent[], b: DataExtent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].lba !== b[i].lba || a[i].bytes !== b[i].bytes) return false;
  return true;
}

/** Where a record is, for a finding made before its Rock Ridge name is known. */
function recordPath(dirPath: string, r: RawRecord, dot: boolean): string {
  return dot ? dirPath : childPath(dirPath, plainName(r, false));
}

/** A record's name without Rock Ridge: its ISO 9660 or Joliet identifier. */
function plainName(r: RawRecord, joliet: boolean): string {
  const dir = (r.flags & FLAG_DIRECTORY) !== 0;
  return joliet ? jolietName(r.identifier, dir) : isoName(r.identifier, dir);
}

function childPath(parent: string, name: string): string {
  return parent === '' ? name : parent + '/' + name;
}

/** Writers' relocation directories, which Joliet trees do not have. */
function isRelocationDir(parentPath: string, name: string): boolean {
  return parentPath === '' && /^\.?rr_moved$/i.test(name);
}
