// The ISO 9660 tree with Rock Ridge: its path tables, then each directory's extent followed
// by its continuation blocks. Sizing measures every record from its identifier and the
// lengths of its System Use entries (record-budget.ts); emission encodes the same entries.
import { MAX_RECORD, SECTOR } from '../iso9660/constants.js';
import { DOT, DOTDOT, encodeRecordHead, FLAG_DIRECTORY, type RecordFields, systemUseRoom } from '../iso9660/directory-record.js';
import { type RecordFacts, type SystemUseEntry, systemUseEntries } from '../iso9660/record-budget.js';
import { CE_LENGTH, erEntry, pnEntry, putNm, putPx, putTf, slEntries, spEntry } from '../iso9660/rockridge.js';
import { encodeZf } from '../iso9660/zisofs.js';
import { type Dir, type Inode, isDir, type NodeType } from '../tree/tree.js';
import { ContinuationBlocks, entriesInRecord } from './continuation.js';
import { type Directories, type DirInfo, forEachSection, type IsoChildren, type Section, sectionCount } from './directories.js';
import { DirectoryScratch, PathTables, RecordPacker, type TreeDescriptor } from './directory-sectors.js';
import type { FileChecksums } from './md5.js';
import type { Placed, Writer } from './writer.js';

const TYPE_BITS: Record<NodeType, number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  chr: 0o020000,
  blk: 0o060000,
  fifo: 0o010000,
};

export interface IsoTreeOptions {
  /** LBA the session starts at (the isofs.ca range begins there). */
  start: number;
  /** mkisofs -r: owners 0, readable by all, write bits cleared. */
  rationalize: boolean;
  /** --md5: isofs.cx on files, isofs.ca on the root. */
  checksums?: FileChecksums;
  /** The shared zero sector and (--md5) the checksum array: placed by emission. */
  zero: Placed;
  checksumArray?: Placed;
}

/** One directory record as it is sized and written: one object per directory, refilled
 *  for each of its records (a large directory has as many records as children). */
interface IsoRecord extends RecordFields {
  /** The identifier: bytes [idStart, idEnd) of `ids`. */
  ids: Buffer;
  idStart: number;
  idEnd: number;
  inode: Inode;
  /** The child's raw name (named records). */
  name: string | undefined;
  shape: RecordShape;
}

/** A record's System Use entries and how they split between the record and a
 *  continuation area. Most records share one of a few shapes: they are made once each. */
interface RecordShape {
  entries: SystemUseEntry[];
  lengths: number[];
  /** How many of the entries stay in the record. */
  keep: number;
  /** Bytes of System Use in the record, with the CE entry when some go on. */
  inRecord: number;
}

function shapeOf(entries: SystemUseEntry[], identifierLength: number): RecordShape {
  const lengths = entries.map((e) => e.length);
  const keep = entriesInRecord(lengths, systemUseRoom(identifierLength, MAX_RECORD));
  let inRecord = keep < lengths.length ? CE_LENGTH : 0;
  for (let k = 0; k < keep; k++) inRecord += lengths[k];
  return { entries, lengths, keep, inRecord };
}

/** Places one record of `shape` in a directory's sectors, and in continuation blocks the
 *  entries that go on there; true when some do. */
function placeRecord(records: RecordPacker, ce: ContinuationBlocks, shape: RecordShape, identifierLength: number): boolean {
  records.place(identifierLength, shape.inRecord);
  if (shape.keep === shape.lengths.length) return false;
  ce.place(shape.lengths.slice(shape.keep));
  return true;
}

/** Copies an entry another encoder made into place, if it is as long as it was sized. */
function copyEntry(e: SystemUseEntry, b: Buffer, out: Buffer, at: number): void {
  if (b.length !== e.length) throw new Error(`internal: a ${e.kind} entry of ${b.length} bytes was sized at ${e.length}`);
  b.copy(out, at);
}

/** A symlink's SL entries (they depend on its target). */
function symlinkEntries(i: Inode): Buffer[] {
  return slEntries(Buffer.from(i.target ?? '', 'latin1'));
}

/** The shapes of a tree's records. Records differ in few ways that matter: a shape is made
 *  once for each, and a symlink's (SL depends on the target) every time. */
export class IsoRecordShapes {
  private readonly made = new Map<number, RecordShape>();

  /** @param checksums --md5: files carry isofs.cx, the root isofs.ca */
  constructor(private readonly checksums?: FileChecksums) {}

  /** A directory's `.` record: the root's carries SP and ER (and isofs.ca). */
  dot(isRoot: boolean): RecordShape {
    return isRoot ? shapeOf(systemUseEntries({ root: true, checksumArea: !!this.checksums }), 1) : this.dotdot();
  }

  /** A `..` record, and any other directory's `.`. */
  dotdot(): RecordShape {
    return this.shape({}, 1);
  }

  /** A named record. */
  child(name: string, i: Inode, identifierLength: number): RecordShape {
    if (i.type === 'symlink')
      return shapeOf(systemUseEntries({ nameLength: name.length, slLengths: symlinkEntries(i).map((b) => b.length) }), identifierLength);
    const file = i.type === 'file';
    const device = i.type === 'chr' || i.type === 'blk';
    const zisofs = file && !!i.zisofs;
    const checksumIndex = file && (this.checksums?.indexOf(i) ?? null) !== null;
    return this.shape({ nameLength: name.length, device, zisofs, checksumIndex }, identifierLength);
  }

  /** The shape of a record with these facts (not the root's, not a symlink's) and identifier length. */
  private shape(f: RecordFacts, identifierLength: number): RecordShape {
    const key = ((((f.nameLength ?? -1) + 1) * 256 + identifierLength) * 2 + +!!f.device) * 4 + +!!f.zisofs * 2 + +!!f.checksumIndex;
    let shape = this.made.get(key);
    if (!shape) this.made.set(key, (shape = shapeOf(systemUseEntries(f), identifierLength)));
    return shape;
  }
}

/** A directory's sectors and continuation blocks, from lengths alone: the records the
 *  writer's eachRecord visits, with their shapes, without making them. `continued` hears of
 *  each child record some of whose entries go on in a continuation block. */
export function measureIsoDirectory(
  shapes: IsoRecordShapes,
  iso: IsoChildren,
  isRoot: boolean,
  continued?: (i: Inode) => void,
): { sectors: number; ceBlocks: number } {
  const records = new RecordPacker();
  const ce = new ContinuationBlocks(0);
  placeRecord(records, ce, shapes.dot(isRoot), 1);
  placeRecord(records, ce, shapes.dotdot(), 1);
  const { names, inodes, idEnds } = iso;
  for (let k = 0; k < inodes.length; k++) {
    const i = inodes[k];
    const idLength = idEnds[k] - (k ? idEnds[k - 1] : 0);
    const shape = shapes.child(names[k], i, idLength);
    for (let n = sectionCount(i); n > 0; n--) if (placeRecord(records, ce, shape, idLength)) continued?.(i);
  }
  return { sectors: records.sectors, ceBlocks: ce.count };
}

interface Place {
  lba: number;
  sectors: number;
  ceBlocks: number;
}

export class IsoTreeWriter implements Writer {
  private readonly pathTables: PathTables;
  private readonly places: Place[];
  private readonly shapes: IsoRecordShapes;
  private readonly dirSectionOf = (d: Dir): Section => this.dirSection(d);
  private readonly scratch = new DirectoryScratch();
  /** Regular files whose Rock Ridge data needs a continuation area but whose data precedes it. */
  continuationBeforeData = 0;

  constructor(
    private readonly dirs: Directories,
    private readonly opt: IsoTreeOptions,
  ) {
    this.pathTables = new PathTables(
      dirs,
      (d) => d.isoSubdirs,
      (d) => Buffer.from(d.isoId, 'latin1'),
    );
    this.shapes = new IsoRecordShapes(opt.checksums);
    this.places = dirs.list.map((d, k) => ({ lba: 0, ...this.measure(d, k === 0) }));
  }

  size(lba: number): number {
    const first = lba;
    lba += this.pathTables.place(lba);
    for (const p of this.places) {
      p.lba = lba;
      lba += p.sectors + p.ceBlocks;
    }
    return lba - first;
  }

  *emit(): Generator<Buffer> {
    yield* this.pathTables.emit((k) => this.places[k].lba);
    for (const d of this.dirs.list) yield* this.directory(d);
  }

  /** What the volume descriptor says of the tree. */
  get descriptor(): TreeDescriptor {
    return this.pathTables.descriptor(this.places[0].lba, this.places[0].sectors);
  }

  /** A directory's sectors and continuation blocks: measured while the tar streamed when
   *  that is still right (a measure with continuation blocks is not kept, see
   *  left-directories.ts), else now. The directory phase waits on this after the tar's end. */
  private measure(d: DirInfo, isRoot: boolean): Omit<Place, 'lba'> {
    if (d.isoSectors !== undefined) return { sectors: d.isoSectors, ceBlocks: 0 };
    return measureIsoDirectory(this.shapes, d.iso, isRoot, (i) => {
      if (i.type === 'file' && i.size > 0 && !i.heldBack && !i.extents) this.continuationBeforeData++;
    });
  }

  /** A directory's extent, its System Use entries written straight into it, and its
   *  continuation blocks. */
  private *directory(d: DirInfo): Generator<Buffer> {
    const p = this.places[this.dirs.index(d.dir)];
    const out = this.scratch.zeroed(p.sectors * SECTOR);
    const records = new RecordPacker();
    const ce = new ContinuationBlocks(p.lba + p.sectors);
    this.eachRecord(d, (r) => {
      const { entries, lengths, keep, inRecord } = r.shape;
      const at = records.place(r.idEnd - r.idStart, inRecord);
      if (records.sectors > p.sectors) throw new Error(`internal: directory ${d.isoId} grew past the ${p.sectors} sectors it was sized at`);
      let su = encodeRecordHead(r, r.ids, r.idStart, r.idEnd, inRecord, out, at);
      if (keep === lengths.length) {
        for (const e of entries) {
          this.putEntry(e, r, out, su);
          su += e.length;
        }
        return;
      }
      // Those that do not fit go on in a continuation area, chained by a CE entry.
      const bytes = Buffer.alloc(lengths.reduce((a, b) => a + b, 0));
      const parts: Buffer[] = [];
      let off = 0;
      for (const e of entries) {
        this.putEntry(e, r, bytes, off);
        parts.push(bytes.subarray(off, (off += e.length)));
      }
      for (let k = 0; k < keep; k++) su += parts[k].copy(out, su);
      ce.fill(ce.place(lengths.slice(keep)), parts.slice(keep)).copy(out, su);
    });
    if (records.sectors !== p.sectors || ce.count !== p.ceBlocks) throw new Error(`internal error: directory ${d.isoId} changed size between passes`);
    yield out;
    if (p.ceBlocks) yield ce.bytes();
  }

  /** Visits the directory's records in order: `.`, `..`, then each child's (one per
   *  section), as measureIsoDirectory counts them. Addresses in them are right once every writer is
   *  sized. */
  private eachRecord(d: DirInfo, visit: (r: IsoRecord) => void): void {
    const parent = this.dirs.list[d.parent];
    const self = d.dir;
    const [extent, size, flags] = this.dirSection(self);
    const r: IsoRecord = {
      ids: DOT,
      idStart: 0,
      idEnd: 1,
      extent,
      size,
      flags,
      mtime: self.mtime,
      inode: self,
      name: undefined,
      shape: this.shapes.dot(d === this.dirs.list[0]),
    };
    visit(r);
    [r.extent, r.size, r.flags] = this.dirSection(parent.dir);
    r.ids = DOTDOT;
    r.mtime = parent.dir.mtime;
    r.inode = parent.dir;
    r.shape = this.shapes.dotdot();
    visit(r);
    const zero = this.opt.zero.lba;
    const { names, inodes, idText, idEnds } = d.iso;
    r.ids = Buffer.from(idText, 'latin1');
    const section = (extent: number, size: number, flags: number) => {
      r.extent = extent;
      r.size = size;
      r.flags = flags;
      visit(r);
    };
    for (let k = 0; k < inodes.length; k++) {
      const i = inodes[k];
      r.idStart = k ? idEnds[k - 1] : 0;
      r.idEnd = idEnds[k];
      r.inode = i;
      r.name = names[k];
      r.mtime = i.mtime;
      r.shape = this.shapes.child(names[k], i, r.idEnd - r.idStart);
      forEachSection(i, this.dirSectionOf, zero, section);
    }
  }

  private dirSection(dir: Dir): Section {
    const p = this.places[this.dirs.index(dir)];
    return [p.lba, p.sectors * SECTOR, FLAG_DIRECTORY];
  }

  /** Writes entry `e` of record `r` at `at` of `out`, as long as record-budget.ts said. */
  private putEntry(e: SystemUseEntry, r: IsoRecord, out: Buffer, at: number): void {
    const i = r.inode;
    const sums = this.opt.checksums;
    // The entries every record has are written in place; the rare ones are copied in.
    switch (e.kind) {
      case 'SP':
        copyEntry(e, spEntry(), out, at);
        break;
      case 'PX':
        this.putPx(i, out, at);
        break;
      case 'TF':
        putTf(out, at, i.mtime, i.atime ?? i.mtime, i.ctime ?? i.mtime);
        break;
      case 'PN':
        copyEntry(e, pnEntry(i.major ?? 0, i.minor ?? 0), out, at);
        break;
      case 'ZF':
        copyEntry(e, encodeZf(i.zisofs!), out, at);
        break;
      case 'NM':
        putNm(out, at, r.name!, e.part);
        break;
      case 'SL':
        copyEntry(e, symlinkEntries(i)[e.part], out, at);
        break;
      case 'CX':
        copyEntry(e, Buffer.concat(sums!.indexEntries(sums!.indexOf(i)!)), out, at);
        break;
      case 'ER':
        copyEntry(e, erEntry(), out, at);
        break;
      case 'CA':
        copyEntry(e, Buffer.concat(sums!.areaEntries(this.opt.start, this.opt.checksumArray!.lba)), out, at);
        break;
    }
  }

  /** PX, with mkisofs -r's owners and permissions when asked. */
  private putPx(i: Inode, out: Buffer, at: number): void {
    let { perm, uid, gid } = i;
    if (this.opt.rationalize) {
      uid = gid = 0;
      perm = i.type === 'symlink' ? 0o777 : 0o444 | (i.perm & 0o111 || i.type === 'dir' ? 0o111 : 0);
    }
    putPx(out, at, TYPE_BITS[i.type] | perm, this.nlink(i), uid, gid, i.serial ?? 0);
  }

  private nlink(i: Inode): number {
    if (!isDir(i)) return Math.max(1, i.links);
    return 2 + this.dirs.list[this.dirs.index(i)].subdirCount;
  }
}
