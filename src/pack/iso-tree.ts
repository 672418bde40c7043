// The ISO 9660 tree with Rock Ridge: its path tables, then each directory's extent followed
// by its continuation blocks. Sizing measures every record from its identifier and the
// lengths of its System Use entries (record-budget.ts); emission encodes the same entries.
import { MAX_RECORD, SECTOR } from '../iso9660/constants.js';
import { DOT, DOTDOT, encodeDirectoryRecord, FLAG_DIRECTORY, systemUseRoom } from '../iso9660/directory-record.js';
import { type RecordFacts, type SystemUseEntry, systemUseEntries } from '../iso9660/record-budget.js';
import { CE_LENGTH, erEntry, nmEntries, pnEntry, pxEntry, slEntries, spEntry, tfEntry } from '../iso9660/rockridge.js';
import { encodeZf } from '../iso9660/zisofs.js';
import { type Dir, type Inode, isDir, type NodeType } from '../tree/tree.js';
import { ContinuationBlocks, entriesInRecord } from './continuation.js';
import { type Directories, type DirInfo, type Section, sections } from './directories.js';
import { PathTables, RecordPacker, type TreeDescriptor } from './directory-sectors.js';
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

/** One directory record: where it points and what its System Use holds. */
interface IsoRecord {
  identifier: Buffer;
  section: Section;
  mtime: number;
  inode: Inode;
  /** The child's raw name (named records). */
  name?: string;
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

interface Place {
  lba: number;
  sectors: number;
  ceBlocks: number;
}

export class IsoTreeWriter implements Writer {
  private readonly pathTables: PathTables;
  private readonly places: Place[];
  /** Shapes of records that are not the root's or a symlink's, by what decides them. */
  private readonly shapes = new Map<number, RecordShape>();
  private readonly dirSectionOf = (d: Dir): Section => this.dirSection(d);
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
    this.places = dirs.list.map(() => ({ lba: 0, sectors: 0, ceBlocks: 0 }));
    for (const [k, d] of dirs.list.entries()) Object.assign(this.places[k], this.measure(d));
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

  /** A directory's sectors and continuation blocks, from lengths alone. */
  private measure(d: DirInfo): Omit<Place, 'lba'> {
    const records = new RecordPacker();
    const ce = new ContinuationBlocks(0);
    for (const r of this.records(d)) {
      const { lengths, keep, inRecord } = r.shape;
      if (keep < lengths.length) {
        ce.place(lengths.slice(keep));
        const i = r.inode;
        if (r.name !== undefined && i.type === 'file' && i.size > 0 && !i.heldBack && !i.extents) this.continuationBeforeData++;
      }
      records.place(r.identifier.length, inRecord);
    }
    return { sectors: records.sectors, ceBlocks: ce.count };
  }

  private *directory(d: DirInfo): Generator<Buffer> {
    const p = this.places[this.dirs.index(d.dir)];
    const out = Buffer.alloc(p.sectors * SECTOR);
    const records = new RecordPacker();
    const ce = new ContinuationBlocks(p.lba + p.sectors);
    for (const r of this.records(d)) {
      const { lengths, keep } = r.shape;
      const bytes = this.encode(r);
      let systemUse = bytes;
      if (keep < lengths.length) {
        systemUse = bytes.slice(0, keep);
        systemUse.push(ce.fill(ce.place(lengths.slice(keep)), bytes.slice(keep)));
      }
      const [extent, size, flags] = r.section;
      const at = records.place(r.identifier.length, r.shape.inRecord);
      if (records.sectors > p.sectors) throw new Error(`internal: directory ${d.isoId} grew past the ${p.sectors} sectors it was sized at`);
      encodeDirectoryRecord({ extent, size, mtime: r.mtime, flags, identifier: r.identifier, systemUse }, out, at);
    }
    if (records.sectors !== p.sectors || ce.count !== p.ceBlocks) throw new Error(`internal error: directory ${d.isoId} changed size between passes`);
    yield out;
    if (p.ceBlocks) yield ce.bytes();
  }

  /** The directory's records in order: `.`, `..`, then each child's (one per section).
   *  Addresses in them are right once every writer is sized; sizing reads only lengths. */
  private *records(d: DirInfo): Generator<IsoRecord> {
    const parent = this.dirs.list[d.parent];
    const isRoot = d === this.dirs.list[0];
    const self = d.dir;
    const dotShape = isRoot ? shapeOf(systemUseEntries({ root: true, checksumArea: !!this.opt.checksums }), 1) : this.shape({}, 1);
    yield { identifier: DOT, section: this.dirSection(self), mtime: self.mtime, inode: self, shape: dotShape };
    yield { identifier: DOTDOT, section: this.dirSection(parent.dir), mtime: parent.dir.mtime, inode: parent.dir, shape: this.shape({}, 1) };
    const zero = this.opt.zero.lba;
    const { names, inodes, idText, idEnds } = d.iso;
    const ids = Buffer.from(idText, 'latin1');
    for (let k = 0; k < inodes.length; k++) {
      const i = inodes[k];
      const identifier = ids.subarray(k ? idEnds[k - 1] : 0, idEnds[k]);
      const shape = this.shape(this.facts(names[k], i), identifier.length);
      for (const section of sections(i, this.dirSectionOf, zero)) yield { identifier, section, mtime: i.mtime, inode: i, name: names[k], shape };
    }
  }

  /** The shape of a record with these facts (not the root's) and identifier length. */
  private shape(f: RecordFacts, identifierLength: number): RecordShape {
    if (f.slLengths) return shapeOf(systemUseEntries(f), identifierLength);
    const key = ((((f.nameLength ?? -1) + 1) * 256 + identifierLength) * 2 + +!!f.device) * 4 + +!!f.zisofs * 2 + +!!f.checksumIndex;
    let shape = this.shapes.get(key);
    if (!shape) this.shapes.set(key, (shape = shapeOf(systemUseEntries(f), identifierLength)));
    return shape;
  }

  private dirSection(dir: Dir): Section {
    const p = this.places[this.dirs.index(dir)];
    return [p.lba, p.sectors * SECTOR, FLAG_DIRECTORY];
  }

  private facts(name: string, i: Inode): RecordFacts {
    return {
      nameLength: name.length,
      device: i.type === 'chr' || i.type === 'blk',
      zisofs: i.type === 'file' && !!i.zisofs,
      slLengths: i.type === 'symlink' ? this.sl(i).map((b) => b.length) : undefined,
      checksumIndex: i.type === 'file' && (this.opt.checksums?.indexOf(i) ?? null) !== null,
    };
  }

  private sl(i: Inode): Buffer[] {
    return slEntries(Buffer.from(i.target ?? '', 'latin1'));
  }

  /** The bytes of a record's entries, each as long as record-budget.ts said. */
  private encode(r: IsoRecord): Buffer[] {
    const nm = r.name !== undefined ? nmEntries(Buffer.from(r.name, 'latin1')) : [];
    const sl = r.name !== undefined && r.inode.type === 'symlink' ? this.sl(r.inode) : [];
    return r.shape.entries.map((e) => {
      const b = this.entry(e, r.inode, nm, sl);
      if (b.length !== e.length) throw new Error(`internal: a ${e.kind} entry of ${b.length} bytes was sized at ${e.length}`);
      return b;
    });
  }

  private entry(e: SystemUseEntry, i: Inode, nm: Buffer[], sl: Buffer[]): Buffer {
    const sums = this.opt.checksums;
    switch (e.kind) {
      case 'SP':
        return spEntry();
      case 'PX':
        return this.px(i);
      case 'TF':
        return tfEntry(i.mtime, i.atime ?? i.mtime, i.ctime ?? i.mtime);
      case 'PN':
        return pnEntry(i.major ?? 0, i.minor ?? 0);
      case 'ZF':
        return encodeZf(i.zisofs!);
      case 'NM':
        return nm[e.part];
      case 'SL':
        return sl[e.part];
      case 'CX':
        return Buffer.concat(sums!.indexEntries(sums!.indexOf(i)!));
      case 'ER':
        return erEntry();
      case 'CA':
        return Buffer.concat(sums!.areaEntries(this.opt.start, this.opt.checksumArray!.lba));
    }
  }

  private px(i: Inode): Buffer {
    const a = this.attrs(i);
    return pxEntry(TYPE_BITS[i.type] | a.perm, this.nlink(i), a.uid, a.gid, i.serial ?? 0);
  }

  private attrs(i: Inode): { perm: number; uid: number; gid: number } {
    if (!this.opt.rationalize) return i;
    if (i.type === 'symlink') return { perm: 0o777, uid: 0, gid: 0 };
    const anyX = i.perm & 0o111 || i.type === 'dir' ? 0o111 : 0;
    return { perm: 0o444 | anyX, uid: 0, gid: 0 };
  }

  private nlink(i: Inode): number {
    if (!isDir(i)) return Math.max(1, i.links);
    return 2 + this.dirs.list[this.dirs.index(i)].subdirCount;
  }
}
