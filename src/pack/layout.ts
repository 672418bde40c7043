// Lays out the metadata of one session once all data has been placed (DESIGN §3):
// path tables, ISO 9660 directories with Rock Ridge and their continuation blocks, the
// Joliet tables and directories, the shared zero sector, held-back file data, padding.
import { HEAD_SECTORS, MAX_RECORD, MAX_SECTION_BYTES, SECTOR } from '../iso9660/constants.js';
import { encodeJolietDescriptor, encodePrimaryDescriptor, encodeTerminator, VolumeIdentity } from '../iso9660/descriptors.js';
import { DOT, DOTDOT, encodeDirectoryRecord, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, recordLength, systemUseRoom } from '../iso9660/directory-record.js';
import { assignIsoNames, compareIsoNames, IsoName, isoIdentifier } from '../iso9660/iso-names.js';
import { assignJolietNames, compareJolietNames, jolietIdentifier } from '../iso9660/joliet-names.js';
import { roundUp } from '../iso9660/numbers.js';
import { encodePathTable, PathTableEntry, pathTableSize } from '../iso9660/path-table.js';
import { erEntry, nmEntries, pnEntry, pxEntry, slEntries, spEntry, tfEntry } from '../iso9660/rockridge.js';
import { Dir, Extent, Inode, isDir, Node, NodeType } from '../tree/tree.js';
import { ContinuationBlocks, splitSystemUse } from './continuation.js';

export interface LayoutOptions {
  /** LBA the session starts at. */
  start: number;
  /** First LBA after the file data. */
  dataEnd: number;
  joliet: boolean;
  jolietMax: number;
  /** mkisofs -r: owners 0, readable by all, write bits cleared. */
  rationalize: boolean;
  identity: VolumeIdentity;
}

export interface HeldBack {
  inode: Inode;
  chunks: Buffer[];
}

interface Child {
  node: Node;
  iso: IsoName;
}

interface DirInfo {
  dir: Dir;
  parent: number;
  /** Identifier in its parent (ISO and Joliet); the root's are empty. */
  isoId: Buffer;
  jolietId: Buffer;
  isoChildren: Child[];
  jolietChildren: { node: Node; text: string }[];
  /** Indexes of subdirectories in the ISO and the Joliet order. */
  isoSubdirs: number[];
  jolietSubdirs: number[];
  isoLba: number;
  isoSectors: number;
  ceLba: number;
  ceBlocks: number;
  jolietLba: number;
  jolietSectors: number;
}

const TYPE_BITS: Record<NodeType, number> = {
  file: 0o100000, dir: 0o040000, symlink: 0o120000, chr: 0o020000, blk: 0o060000, fifo: 0o010000,
};

/** The identifier length iso-pack may use for a file (31 characters and `;1`). */
const MAX_FILE_IDENTIFIER = 33;

/** Rock Ridge TF for an inode: MODIFY alone unless the tar gave more (keeps records short). */
function tf(i: Inode): Buffer {
  return tfEntry(i.mtime, i.atime ?? i.mtime, i.ctime ?? i.mtime);
}

/** True when a regular file's Rock Ridge data cannot fit in its directory record, so that
 *  its data must follow the metadata for libarchive's sake (DESIGN §3). Decided per name
 *  before the ISO name is known, so it assumes the longest identifier. */
export function fileNeedsContinuation(nameBytes: number): boolean {
  const room = systemUseRoom(MAX_FILE_IDENTIFIER, MAX_RECORD);
  return 44 + 26 + 5 + nameBytes > room;
}

export function sectionsFor(lba: number, size: number): Extent[] {
  if (size === 0) return [];
  const out: Extent[] = [];
  for (let off = 0; off < size; off += MAX_SECTION_BYTES) {
    out.push({ lba: lba + off / SECTOR, bytes: Math.min(MAX_SECTION_BYTES, size - off) });
  }
  return out;
}

export class SessionLayout {
  private dirs: DirInfo[] = [];
  private isoPathTable: number[] = [];
  private jolietPathTable: number[] = [];
  private isoPtLba = [0, 0];
  private jolietPtLba = [0, 0];
  private isoPtSize = 0;
  private jolietPtSize = 0;
  private zeroLba = 0;
  /** Absolute LBA just past the session (a multiple of 32 sectors from its start). */
  readonly end: number;
  /** Held-back files as placed after the zero sector. */
  private readonly heldBack: HeldBack[];
  /** Regular files whose Rock Ridge data needs a continuation area but whose data precedes it. */
  readonly continuationBeforeData: string[] = [];
  readonly jolietRenamed: number = 0;

  constructor(root: Dir, heldBack: HeldBack[], private readonly opt: LayoutOptions) {
    this.heldBack = heldBack;
    let renamed = 0;
    // 1. Directories in pre-order (ISO order), names, serial numbers.
    let serial = 1;
    const serialOf = (i: Inode) => (i.serial ??= serial++);
    const visit = (dir: Dir, parent: number, isoId: Buffer, jolietId: Buffer) => {
      serialOf(dir);
      const index = this.dirs.length;
      const entries = [...dir.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const isoNames = assignIsoNames(entries.map((n) => ({ name: n.name, isDir: isDir(n.inode) })));
      const isoChildren = entries.map((node, k) => ({ node, iso: isoNames[k] })).sort((a, b) => compareIsoNames(a.iso, b.iso));
      let jolietChildren: DirInfo['jolietChildren'] = [];
      if (opt.joliet) {
        const visible = entries.filter((n) => n.inode.type === 'file' || n.inode.type === 'dir');
        const names = assignJolietNames(visible.map((n) => ({ name: utf16(n.name), isDir: isDir(n.inode) })), opt.jolietMax);
        renamed += names.filter((n) => n.changed).length;
        jolietChildren = visible
          .map((node, k) => ({ node, text: names[k].text }))
          .sort((a, b) => compareJolietNames(a.text, isDir(a.node.inode), b.text, isDir(b.node.inode)));
      }
      const info: DirInfo = {
        dir, parent, isoId, jolietId, isoChildren, jolietChildren, isoSubdirs: [], jolietSubdirs: [],
        isoLba: 0, isoSectors: 0, ceLba: 0, ceBlocks: 0, jolietLba: 0, jolietSectors: 0,
      };
      this.dirs.push(info);
      const jolietIdOf = new Map(jolietChildren.map((c) => [c.node, jolietIdentifier(c.text)]));
      const subIndex = new Map<Node, number>();
      for (const c of isoChildren) {
        serialOf(c.node.inode);
        if (isDir(c.node.inode)) {
          subIndex.set(c.node, this.dirs.length);
          info.isoSubdirs.push(this.dirs.length);
          visit(c.node.inode, index, isoIdentifier(c.iso), jolietIdOf.get(c.node) ?? Buffer.alloc(0));
        }
      }
      info.jolietSubdirs = jolietChildren.filter((c) => isDir(c.node.inode)).map((c) => subIndex.get(c.node)!);
    };
    visit(root, 0, DOT, DOT);
    (this as { jolietRenamed: number }).jolietRenamed = renamed;
    if (this.dirs.length > 65535) throw new Error(`${this.dirs.length} directories: ISO 9660 path tables can number at most 65535`);

    // 2. Sizes: directory extents, continuation blocks, path tables.
    for (const d of this.dirs) {
      const iso = this.isoDirectory(d, true);
      d.isoSectors = iso.extent.length / SECTOR;
      d.ceBlocks = iso.ce.length / SECTOR;
      if (opt.joliet) d.jolietSectors = this.jolietDirectory(d).length / SECTOR;
    }
    this.isoPathTable = breadthFirst(this.dirs, (d) => d.isoSubdirs);
    this.isoPtSize = pathTableSize(this.pathEntries(this.isoPathTable, (d) => d.isoId, () => 0));
    if (opt.joliet) {
      this.jolietPathTable = breadthFirst(this.dirs, (d) => d.jolietSubdirs);
      this.jolietPtSize = pathTableSize(this.pathEntries(this.jolietPathTable, (d) => d.jolietId, () => 0));
    }

    // 3. Addresses, in the order the sectors are written.
    let lba = opt.dataEnd;
    const ptSectors = (size: number) => roundUp(size, SECTOR) / SECTOR;
    this.isoPtLba = [lba, lba + ptSectors(this.isoPtSize)];
    lba += 2 * ptSectors(this.isoPtSize);
    for (const d of this.dirs) {
      d.isoLba = lba;
      lba += d.isoSectors;
      d.ceLba = lba;
      lba += d.ceBlocks;
    }
    if (opt.joliet) {
      this.jolietPtLba = [lba, lba + ptSectors(this.jolietPtSize)];
      lba += 2 * ptSectors(this.jolietPtSize);
      for (const d of this.dirs) {
        d.jolietLba = lba;
        lba += d.jolietSectors;
      }
    }
    this.zeroLba = lba++;
    for (const h of heldBack) {
      h.inode.extents = sectionsFor(lba, h.inode.size);
      lba += roundUp(h.inode.size, SECTOR) / SECTOR;
    }
    this.end = opt.start + roundUp(lba - opt.start, HEAD_SECTORS);
    this.findContinuationBeforeData();
  }

  /** Sectors from `dataEnd` to `end`, in LBA order. */
  *body(): Generator<Buffer> {
    const o = this.opt;
    yield* this.pathTables(this.isoPathTable, (d) => d.isoId, (d) => d.isoLba, this.isoPtSize);
    for (const d of this.dirs) {
      const { extent, ce } = this.isoDirectory(d, false);
      yield extent;
      if (ce.length) yield ce;
    }
    if (o.joliet) {
      yield* this.pathTables(this.jolietPathTable, (d) => d.jolietId, (d) => d.jolietLba, this.jolietPtSize);
      for (const d of this.dirs) yield this.jolietDirectory(d);
    }
    yield Buffer.alloc(SECTOR);
    for (const h of this.heldBack) {
      for (const c of h.chunks) yield c;
      const pad = (SECTOR - (h.inode.size % SECTOR)) % SECTOR;
      if (pad) yield Buffer.alloc(pad);
      h.chunks = [];
    }
    const used = this.zeroLba + 1 + this.heldBack.reduce((n, h) => n + roundUp(h.inode.size, SECTOR) / SECTOR, 0);
    if (this.end > used) yield Buffer.alloc((this.end - used) * SECTOR);
  }

  /** The 32 head sectors: system area, PVD, Joliet SVD, terminator, zeros. */
  head(volumeSpaceSize = this.end - this.opt.start): Buffer {
    const head = Buffer.alloc(HEAD_SECTORS * SECTOR);
    const root = this.dirs[0];
    const rootRecord = (lba: number, sectors: number) => {
      const b = Buffer.alloc(34);
      encodeDirectoryRecord({ extent: lba, size: sectors * SECTOR, mtime: root.dir.mtime, flags: FLAG_DIRECTORY, identifier: DOT }, b, 0);
      return b;
    };
    encodePrimaryDescriptor(this.opt.identity, {
      volumeSpaceSize, pathTableSize: this.isoPtSize, lPathTable: this.isoPtLba[0], mPathTable: this.isoPtLba[1],
      rootRecord: rootRecord(root.isoLba, root.isoSectors),
    }).copy(head, 16 * SECTOR);
    let next = 17;
    if (this.opt.joliet) {
      encodeJolietDescriptor(this.opt.identity, {
        volumeSpaceSize, pathTableSize: this.jolietPtSize, lPathTable: this.jolietPtLba[0], mPathTable: this.jolietPtLba[1],
        rootRecord: rootRecord(root.jolietLba, root.jolietSectors),
      }).copy(head, next++ * SECTOR);
    }
    encodeTerminator().copy(head, next * SECTOR);
    return head;
  }

  private pathEntries(order: number[], id: (d: DirInfo) => Buffer, lba: (d: DirInfo) => number): PathTableEntry[] {
    const number = new Map<number, number>();
    order.forEach((dirIndex, k) => number.set(dirIndex, k + 1));
    return order.map((dirIndex) => {
      const d = this.dirs[dirIndex];
      return { identifier: id(d), extent: lba(d), parent: number.get(d.parent)! };
    });
  }

  private *pathTables(order: number[], id: (d: DirInfo) => Buffer, lba: (d: DirInfo) => number, size: number): Generator<Buffer> {
    const entries = this.pathEntries(order, id, lba);
    const padded = roundUp(size, SECTOR);
    for (const little of [true, false]) {
      const t = encodePathTable(entries, little);
      yield Buffer.concat([t, Buffer.alloc(padded - t.length)]);
    }
  }

  private attrs(i: Inode): { perm: number; uid: number; gid: number } {
    if (!this.opt.rationalize) return { perm: i.perm, uid: i.uid, gid: i.gid };
    if (i.type === 'symlink') return { perm: 0o777, uid: 0, gid: 0 };
    const anyX = i.perm & 0o111 || i.type === 'dir' ? 0o111 : 0;
    return { perm: 0o444 | anyX, uid: 0, gid: 0 };
  }

  private nlink(i: Inode): number {
    if (!isDir(i)) return Math.max(1, i.links);
    let n = 2;
    for (const c of i.children.values()) if (isDir(c.inode)) n++;
    return n;
  }

  private px(i: Inode): Buffer {
    const a = this.attrs(i);
    return pxEntry(TYPE_BITS[i.type] | a.perm, this.nlink(i), a.uid, a.gid, i.serial ?? 0);
  }

  private rockRidge(node: Node): Buffer[] {
    const i = node.inode;
    const entries = [this.px(i), tf(i)];
    if (i.type === 'chr' || i.type === 'blk') entries.push(pnEntry(i.major ?? 0, i.minor ?? 0));
    entries.push(...nmEntries(Buffer.from(node.name, 'latin1')));
    if (i.type === 'symlink') entries.push(...slEntries(Buffer.from(i.target ?? '', 'latin1')));
    return entries;
  }

  /** Directory records of one file or directory: one per section of a multi-extent file. */
  private sections(node: Node, dirLba: (d: Dir) => [number, number]): { extent: number; size: number; flags: number }[] {
    const i = node.inode;
    if (isDir(i)) {
      const [lba, sectors] = dirLba(i);
      return [{ extent: lba, size: sectors * SECTOR, flags: FLAG_DIRECTORY }];
    }
    if (i.type !== 'file' || i.size === 0) return [{ extent: this.zeroLba, size: 0, flags: 0 }];
    return i.extents.map((e, k) => ({ extent: e.lba, size: e.bytes, flags: k < i.extents.length - 1 ? FLAG_MULTI_EXTENT : 0 }));
  }

  private dirLbaMap?: Map<Dir, DirInfo>;
  private infoOf(d: Dir): DirInfo {
    if (!this.dirLbaMap) this.dirLbaMap = new Map(this.dirs.map((x) => [x.dir, x]));
    return this.dirLbaMap.get(d)!;
  }

  private isoDirectory(d: DirInfo, sizing: boolean): { extent: Buffer; ce: Buffer } {
    const records = new DirectoryWriter();
    const ce = new ContinuationBlocks(sizing ? 0 : d.ceLba);
    const parent = this.dirs[d.parent];
    const add = (identifier: Buffer, su: Buffer[], extent: number, size: number, flags: number, mtime: number) => {
      const split = splitSystemUse(su, systemUseRoom(identifier.length, MAX_RECORD));
      const inRecord = split.overflow.length ? [...split.inRecord, ce.place(split.overflow)] : split.inRecord;
      records.add({ extent, size, mtime, flags, identifier, systemUse: Buffer.concat(inRecord) });
    };
    const self = d.dir;
    const selfSu = d.parent === 0 && d === this.dirs[0] ? [spEntry(), this.px(self), tf(self), erEntry()] : [this.px(self), tf(self)];
    add(DOT, selfSu, d.isoLba, d.isoSectors * SECTOR, FLAG_DIRECTORY, self.mtime);
    add(DOTDOT, [this.px(parent.dir), tf(parent.dir)], parent.isoLba, parent.isoSectors * SECTOR, FLAG_DIRECTORY, parent.dir.mtime);
    for (const c of d.isoChildren) {
      const su = this.rockRidge(c.node);
      const id = isoIdentifier(c.iso);
      for (const s of this.sections(c.node, (sub) => { const x = this.infoOf(sub); return [x.isoLba, x.isoSectors]; }))
        add(id, su, s.extent, s.size, s.flags, c.node.inode.mtime);
    }
    return { extent: records.bytes(), ce: ce.bytes() };
  }

  private jolietDirectory(d: DirInfo): Buffer {
    const records = new DirectoryWriter();
    const parent = this.dirs[d.parent];
    records.add({ extent: d.jolietLba, size: d.jolietSectors * SECTOR, mtime: d.dir.mtime, flags: FLAG_DIRECTORY, identifier: DOT });
    records.add({ extent: parent.jolietLba, size: parent.jolietSectors * SECTOR, mtime: parent.dir.mtime, flags: FLAG_DIRECTORY, identifier: DOTDOT });
    for (const c of d.jolietChildren) {
      const id = jolietIdentifier(c.text);
      for (const s of this.sections(c.node, (sub) => { const x = this.infoOf(sub); return [x.jolietLba, x.jolietSectors]; }))
        records.add({ ...s, mtime: c.node.inode.mtime, identifier: id });
    }
    return records.bytes();
  }

  private findContinuationBeforeData(): void {
    for (const d of this.dirs)
      for (const c of d.isoChildren) {
        const i = c.node.inode;
        if (i.type !== 'file' || i.size === 0 || i.heldBack || i.reference) continue;
        const su = this.rockRidge(c.node);
        if (splitSystemUse(su, systemUseRoom(isoIdentifier(c.iso).length, MAX_RECORD)).overflow.length)
          this.continuationBeforeData.push(c.node.name);
      }
  }
}

/** Packs records into sectors; a record never crosses a sector boundary. */
class DirectoryWriter {
  private sectors: Buffer[] = [Buffer.alloc(SECTOR)];
  private offset = 0;

  add(r: Parameters<typeof encodeDirectoryRecord>[0]): void {
    const len = recordLength(r.identifier.length, r.systemUse?.length ?? 0);
    if (this.offset + len > SECTOR) {
      this.sectors.push(Buffer.alloc(SECTOR));
      this.offset = 0;
    }
    this.offset += encodeDirectoryRecord(r, this.sectors[this.sectors.length - 1], this.offset);
  }

  bytes(): Buffer {
    return this.sectors.length === 1 ? this.sectors[0] : Buffer.concat(this.sectors);
  }
}

function breadthFirst(dirs: DirInfo[], subdirs: (d: DirInfo) => number[]): number[] {
  const order = [0];
  for (let k = 0; k < order.length; k++) order.push(...subdirs(dirs[order[k]]));
  return order;
}

/** A raw-byte name as UTF-16 for Joliet (invalid UTF-8 becomes U+FFFD). */
function utf16(latin1Bytes: string): string {
  return Buffer.from(latin1Bytes, 'latin1').toString('utf8');
}
