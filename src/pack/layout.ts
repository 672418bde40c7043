// Lays out the metadata of one session once all data has been placed (DESIGN §3):
// path tables, ISO 9660 directories with Rock Ridge and their continuation blocks, the
// Joliet tables and directories, the shared zero sector, held-back file data, padding.
//
// Two passes over the directories: the first sizes every directory from record lengths
// alone, which fixes every LBA; the second encodes. Children's names and order are
// recomputed per directory in each pass rather than kept, so memory stays per entry small.
import { HEAD_SECTORS, MAX_RECORD, MAX_SECTION_BYTES, SECTOR } from '../iso9660/constants.js';
import { encodeJolietDescriptor, encodePrimaryDescriptor, encodeTerminator, type VolumeIdentity } from '../iso9660/volume-descriptor.js';
import { DOT, DOTDOT, encodeDirectoryRecord, FLAG_DIRECTORY, FLAG_MULTI_EXTENT, recordLength, systemUseRoom } from '../iso9660/directory-record.js';
import { assignIsoNames, compareIsoNames, isoIdentifier } from '../iso9660/iso-names.js';
import { assignJolietNames, compareJolietNames, jolietIdentifier } from '../iso9660/joliet-names.js';
import { JOLIET_MAX_PATH, JOLIET_ROOT_PATH, jolietPathLength } from '../iso9660/joliet-path.js';
import { roundUp } from '../iso9660/numbers.js';
import { encodePathTable, type PathTableEntry, pathTableRecordLength } from '../iso9660/path-table.js';
import {
  CE_LENGTH,
  erEntry,
  nmEntries,
  nmEntryLengths,
  pnEntry,
  PN_LENGTH,
  pxEntry,
  PX_LENGTH,
  slEntries,
  spEntry,
  tfEntry,
  TF_LENGTH,
} from '../iso9660/rockridge.js';
import { type Dir, type Extent, type Inode, isDir, type Node, type NodeType } from '../tree/tree.js';
import { ContinuationBlocks, entriesInRecord } from './continuation.js';
import { CHECKSUM_INDEX_ENTRY_LENGTH } from '../iso9660/record-budget.js';
import { encodeZf, ZF_LENGTH } from '../iso9660/zisofs.js';
import { CHECKSUM_AREA_ENTRY_LENGTH, type FileChecksums } from './md5.js';
import { encodeBootRecord } from '../iso9660/el-torito.js';
import { encodeIsohybridMbr, ISOHYBRID_CYLINDER_SECTORS } from '../iso9660/isohybrid.js';
import { encodeSuperblockSector, md5, type SealPlan } from '../iso9660/checksum-tags.js';

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
  /** --md5: isofs.cx on files, isofs.ca on the root, the checksum array and libisofs's tags. */
  checksums?: FileChecksums;
  /** El Torito: the catalog (held back with the data); the head gets a boot record. */
  bootCatalog?: Inode;
  /** -isohybrid-mbr: the MBR in the system area, pointing at the BIOS boot image. */
  isohybrid?: { code: Buffer; bootImage: Inode; diskId: number };
}

export interface HeldBack {
  inode: Inode;
  chunks: Buffer[];
}

interface DirInfo {
  dir: Dir;
  /** Index of the parent in `dirs` (the root's is itself, 0). */
  parent: number;
  /** Identifier in the parent (latin1 bytes for ISO, UTF-16 text for Joliet). */
  isoId: string;
  jolietId: string;
  /** Children in each tree's order with their identifiers. */
  iso: Named[];
  joliet: Named[];
  subdirCount: number;
  isoSubdirs: number[];
  jolietSubdirs: number[];
  isoLba: number;
  isoSectors: number;
  ceLba: number;
  ceBlocks: number;
  jolietLba: number;
  jolietSectors: number;
  /** Length of its Joliet path as libisofs measures it (joliet-path.ts); -1 when the
   *  directory is not in the Joliet tree. */
  jolietPath: number;
}

interface Named {
  node: Node;
  /** ISO identifier (latin1) or Joliet name (UTF-16). */
  id: string;
}

const TYPE_BITS: Record<NodeType, number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  chr: 0o020000,
  blk: 0o060000,
  fifo: 0o010000,
};

/** A file's sections: contiguous from `lba`, or an earlier session's list. */
export function fileSections(i: Inode): Extent[] {
  if (i.extents) return i.extents;
  const out: Extent[] = [];
  for (let off = 0; off < i.size; off += MAX_SECTION_BYTES) out.push({ lba: i.lba + off / SECTOR, bytes: Math.min(MAX_SECTION_BYTES, i.size - off) });
  return out;
}

function byRawName(a: Node, b: Node): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A raw-byte name as UTF-16 for Joliet (invalid UTF-8 becomes U+FFFD). */
function utf16(latin1Bytes: string): string {
  return Buffer.from(latin1Bytes, 'latin1').toString('utf8');
}

export class SessionLayout {
  private readonly dirs: DirInfo[] = [];
  private readonly infoOf = new Map<Dir, number>();
  private isoPathTable: number[] = [];
  private jolietPathTable: number[] = [];
  private isoPtLba = [0, 0];
  private jolietPtLba = [0, 0];
  private isoPtSize = 0;
  private jolietPtSize = 0;
  private zeroLba = 0;
  private heldEnd = 0;
  /** --md5: where the tree tag, the checksum array and the session tag go. */
  private seal: SealPlan | null = null;
  /** Absolute LBA just past the session (a multiple of 32 sectors from its start). */
  readonly end: number;
  /** Regular files whose Rock Ridge data needs a continuation area but whose data precedes it. */
  continuationBeforeData = 0;
  /** Names the Joliet tree had to shorten or change (characters replaced, invalid UTF-8). */
  jolietRenamed = 0;
  /** Files and directories left out of the Joliet tree: their path is too long, or a
   *  directory above them was left out. */
  jolietLeftOut = 0;

  constructor(
    root: Dir,
    private readonly heldBack: HeldBack[],
    private readonly opt: LayoutOptions,
  ) {
    // 1. Directories in pre-order of the ISO tree; serial numbers in the same walk. Each
    //    directory's children are named and ordered once, here, for both passes.
    let serial = 1;
    root.serial = serial++;
    const stack: [Dir, number, string, string, number][] = [[root, 0, '\0', '\0', JOLIET_ROOT_PATH]];
    while (stack.length) {
      const [dir, parent, isoId, jolietId, jolietPath] = stack.pop()!;
      const index = this.dirs.length;
      this.infoOf.set(dir, index);
      const iso = this.isoChildren(dir);
      const joliet = opt.joliet ? this.jolietChildren(dir, jolietPath) : [];
      let subdirCount = 0;
      for (const c of iso) if (isDir(c.node.inode)) subdirCount++;
      this.dirs.push({
        dir,
        parent: index === 0 ? 0 : parent,
        isoId,
        jolietId,
        iso,
        joliet,
        subdirCount,
        isoSubdirs: [],
        jolietSubdirs: [],
        isoLba: 0,
        isoSectors: 0,
        ceLba: 0,
        ceBlocks: 0,
        jolietLba: 0,
        jolietSectors: 0,
        jolietPath: opt.joliet ? jolietPath : -1,
      });
      const jolietIds = new Map<Node, string>();
      for (const c of joliet) if (isDir(c.node.inode)) jolietIds.set(c.node, c.id);
      const subdirs: [Dir, number, string, string, number][] = [];
      for (const c of iso) {
        c.node.inode.serial ??= serial++;
        if (!isDir(c.node.inode)) continue;
        const id = jolietIds.get(c.node);
        subdirs.push([c.node.inode, index, c.id, id ?? '', id === undefined ? -1 : jolietPathLength(jolietPath, id.length)]);
      }
      for (let k = subdirs.length - 1; k >= 0; k--) stack.push(subdirs[k]);
    }
    if (this.dirs.length > 65535) throw new Error(`${this.dirs.length} directories: ISO 9660 path tables can number at most 65535`);
    // Subdirectory lists in each tree's order, for the path tables.
    for (const d of this.dirs) {
      for (const c of d.iso) if (isDir(c.node.inode)) d.isoSubdirs.push(this.infoOf.get(c.node.inode)!);
      for (const c of d.joliet) if (isDir(c.node.inode)) d.jolietSubdirs.push(this.infoOf.get(c.node.inode)!);
    }

    // 2. Sizes.
    for (const d of this.dirs) {
      this.isoDirectory(d, true);
      if (d.jolietPath >= 0) this.jolietDirectory(d, true);
    }
    this.isoPathTable = breadthFirst(this.dirs, (d) => d.isoSubdirs);
    this.isoPtSize = this.isoPathTable.reduce((n, k) => n + pathTableRecordLength(this.dirs[k].isoId.length), 0);
    if (opt.joliet) {
      this.jolietPathTable = breadthFirst(this.dirs, (d) => d.jolietSubdirs);
      this.jolietPtSize = this.jolietPathTable.reduce((n, k) => n + pathTableRecordLength(k === 0 ? 1 : 2 * this.dirs[k].jolietId.length), 0);
    }

    // 3. Addresses, in the order the sectors are written.
    let lba = opt.dataEnd;
    const ptSectors = (size: number) => roundUp(size, SECTOR) / SECTOR;
    this.isoPtLba = [lba, lba + ptSectors(this.isoPtSize)];
    lba += 2 * ptSectors(this.isoPtSize);
    for (const d of this.dirs) {
      d.isoLba = lba;
      d.ceLba = lba + d.isoSectors;
      lba += d.isoSectors + d.ceBlocks;
    }
    if (opt.joliet) {
      this.jolietPtLba = [lba, lba + ptSectors(this.jolietPtSize)];
      lba += 2 * ptSectors(this.jolietPtSize);
      for (const d of this.dirs) {
        if (d.jolietPath < 0) continue;
        d.jolietLba = lba;
        lba += d.jolietSectors;
      }
    }
    // libisofs's order: the tree tag after the directories, the session tag after the array.
    const treeTag = lba;
    if (opt.checksums) lba++;
    this.zeroLba = lba++;
    for (const h of heldBack) {
      h.inode.lba = lba;
      lba += roundUp(h.inode.size, SECTOR) / SECTOR;
    }
    this.heldEnd = lba;
    if (opt.checksums) {
      const array = lba;
      lba += opt.checksums.arraySectors;
      this.seal = { tree: treeTag, array, entries: opt.checksums.count + 2, session: lba++ };
    }
    // -isohybrid-mbr: whole cylinders of 64 heads x 32 sectors (1 MiB), as xorriso pads, so
    // that the MBR's partition and CHS geometry describe the image exactly.
    this.end = opt.start + roundUp(lba - opt.start, opt.isohybrid ? ISOHYBRID_CYLINDER_SECTORS : HEAD_SECTORS);
  }

  /** Sectors from `dataEnd` to `end`, in LBA order. */
  *body(): Generator<Buffer> {
    yield* this.metadata();
    const sums = this.opt.checksums;
    // The array with its session MD5 unset, and a blank session tag: checksum-seal.ts
    // fills them in once the head is known.
    if (sums) yield Buffer.concat([sums.array(), Buffer.alloc(SECTOR)]);
    const last = this.seal ? this.seal.session + 1 : this.heldEnd;
    if (this.end > last) yield Buffer.alloc((this.end - last) * SECTOR);
  }

  /** --md5: where the head-dependent checksums go (null without --md5). */
  get sealPlan(): SealPlan | null {
    return this.seal;
  }

  /** Path tables, directories, the zero sector and the held-back data. */
  private *metadata(): Generator<Buffer> {
    yield* this.pathTables(
      this.isoPathTable,
      (d) => Buffer.from(d.isoId, 'latin1'),
      (d) => d.isoLba,
    );
    for (const d of this.dirs) yield* this.isoDirectory(d, false);
    if (this.opt.joliet) {
      yield* this.pathTables(
        this.jolietPathTable,
        (d) => (d.parent === 0 && d === this.dirs[0] ? DOT : jolietIdentifier(d.jolietId)),
        (d) => d.jolietLba,
      );
      for (const d of this.dirs) if (d.jolietPath >= 0) yield* this.jolietDirectory(d, false);
    }
    if (this.seal) yield Buffer.alloc(SECTOR); // the tree tag, sealed later
    yield Buffer.alloc(SECTOR);
    for (const h of this.heldBack) {
      for (const c of h.chunks) yield c;
      const pad = (SECTOR - (h.inode.size % SECTOR)) % SECTOR;
      if (pad) yield Buffer.alloc(pad);
      h.chunks = [];
    }
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
    const hy = this.opt.isohybrid;
    // The image as a disk: one partition over all of it (the session is the whole image).
    if (hy) encodeIsohybridMbr(hy.code, hy.bootImage.lba, volumeSpaceSize * 4, hy.diskId).copy(head, 0);
    encodePrimaryDescriptor(this.opt.identity, {
      volumeSpaceSize,
      pathTableSize: this.isoPtSize,
      lPathTable: this.isoPtLba[0],
      mPathTable: this.isoPtLba[1],
      rootRecord: rootRecord(root.isoLba, root.isoSectors),
    }).copy(head, 16 * SECTOR);
    let next = 17;
    // The boot record goes right after the PVD, as xorriso and mkisofs place it.
    if (this.opt.bootCatalog) encodeBootRecord(this.opt.bootCatalog.lba).copy(head, next++ * SECTOR);
    if (this.opt.joliet) {
      encodeJolietDescriptor(this.opt.identity, {
        volumeSpaceSize,
        pathTableSize: this.jolietPtSize,
        lPathTable: this.jolietPtLba[0],
        mPathTable: this.jolietPtLba[1],
        rootRecord: rootRecord(root.jolietLba, root.jolietSectors),
      }).copy(head, next++ * SECTOR);
    }
    encodeTerminator().copy(head, next * SECTOR);
    if (this.seal) {
      // The superblock tag covers the sectors before it: known now, unlike the other tags.
      const at = next + 1;
      const tag = { pos: this.opt.start + at, rangeStart: this.opt.start, rangeSize: at, next: this.seal.tree, md5: md5(head.subarray(0, at * SECTOR)) };
      encodeSuperblockSector(tag, this.seal).copy(head, at * SECTOR);
    }
    return head;
  }

  /** Children in ISO 9660 order with their identifiers (latin1). */
  private isoChildren(dir: Dir): Named[] {
    const nodes = [...dir.children.values()].sort(byRawName);
    const names = assignIsoNames(nodes.map((n) => ({ name: n.name, isDir: isDir(n.inode) })));
    const order = nodes.map((_, k) => k).sort((a, b) => compareIsoNames(names[a], names[b]));
    return order.map((k) => ({ node: nodes[k], id: isoIdentifier(names[k]).toString('latin1') }));
  }

  /** Files and directories (Joliet has no place for the rest) in Joliet order, those
   *  whose path stays within JOLIET_MAX_PATH; none below a directory left out (path -1). */
  private jolietChildren(dir: Dir, path: number): Named[] {
    const nodes = [...dir.children.values()].filter((n) => n.inode.type === 'file' || n.inode.type === 'dir').sort(byRawName);
    if (path < 0) {
      this.jolietLeftOut += nodes.length;
      return [];
    }
    const texts = nodes.map((n) => utf16(n.name));
    const names = assignJolietNames(
      nodes.map((n, k) => ({ name: texts[k], isDir: isDir(n.inode) })),
      this.opt.jolietMax,
    );
    const out: Named[] = [];
    nodes.forEach((node, k) => {
      const id = names[k].text;
      if (jolietPathLength(path, id.length) > JOLIET_MAX_PATH) {
        this.jolietLeftOut++;
        return;
      }
      // A name that is not UTF-8 came through utf16() with U+FFFD in it: changed too.
      if (names[k].changed || (texts[k].includes('\ufffd') && Buffer.from(texts[k], 'utf8').toString('latin1') !== node.name)) this.jolietRenamed++;
      out.push({ node, id });
    });
    return out.sort((a, b) => compareJolietNames(a.id, isDir(a.node.inode), b.id, isDir(b.node.inode)));
  }

  private *pathTables(order: number[], id: (d: DirInfo) => Buffer, lba: (d: DirInfo) => number): Generator<Buffer> {
    const number = new Map<number, number>();
    for (const [k, dirIndex] of order.entries()) number.set(dirIndex, k + 1);
    const entries: PathTableEntry[] = order.map((k) => {
      const d = this.dirs[k];
      return { identifier: k === 0 ? DOT : id(d), extent: lba(d), parent: number.get(d.parent)! };
    });
    for (const little of [true, false]) {
      const t = encodePathTable(entries, little);
      yield Buffer.concat([t, Buffer.alloc(roundUp(t.length, SECTOR) - t.length)]);
    }
  }

  private attrs(i: Inode): { perm: number; uid: number; gid: number } {
    if (!this.opt.rationalize) return i;
    if (i.type === 'symlink') return { perm: 0o777, uid: 0, gid: 0 };
    const anyX = i.perm & 0o111 || i.type === 'dir' ? 0o111 : 0;
    return { perm: 0o444 | anyX, uid: 0, gid: 0 };
  }

  private nlink(i: Inode): number {
    if (!isDir(i)) return Math.max(1, i.links);
    return 2 + this.dirs[this.infoOf.get(i)!].subdirCount;
  }

  private px(i: Inode): Buffer {
    const a = this.attrs(i);
    return pxEntry(TYPE_BITS[i.type] | a.perm, this.nlink(i), a.uid, a.gid, i.serial ?? 0);
  }

  private tf(i: Inode): Buffer {
    return tfEntry(i.mtime, i.atime ?? i.mtime, i.ctime ?? i.mtime);
  }

  /** Rock Ridge entries of a named record: their lengths, and the bytes unless sizing. */
  private rockRidge(node: Node, sizing: boolean): { lengths: number[]; entries?: Buffer[] } {
    const i = node.inode;
    const sl = i.type === 'symlink' ? slEntries(Buffer.from(i.target ?? '', 'latin1')) : [];
    const device = i.type === 'chr' || i.type === 'blk';
    // ZF before NM: a long name goes to a continuation area, ZF stays in the record.
    const zf = i.type === 'file' && i.zisofs ? [ZF_LENGTH] : [];
    const lengths = [PX_LENGTH, TF_LENGTH, ...(device ? [PN_LENGTH] : []), ...zf, ...nmEntryLengths(node.name.length), ...sl.map((b) => b.length)];
    const index = i.type === 'file' ? (this.opt.checksums?.indexOf(i) ?? null) : null;
    if (index !== null) lengths.push(CHECKSUM_INDEX_ENTRY_LENGTH);
    if (sizing) return { lengths };
    const entries = [this.px(i), this.tf(i)];
    if (device) entries.push(pnEntry(i.major ?? 0, i.minor ?? 0));
    if (zf.length) entries.push(encodeZf(i.zisofs!));
    entries.push(...nmEntries(Buffer.from(node.name, 'latin1')), ...sl);
    if (index !== null) entries.push(...this.opt.checksums!.indexEntries(index));
    return { lengths, entries };
  }

  /** (LBA, bytes, flags) of each directory record a child needs. */
  private sections(i: Inode, tree: 'iso' | 'joliet'): [number, number, number][] {
    if (isDir(i)) {
      const d = this.dirs[this.infoOf.get(i)!];
      return tree === 'iso' ? [[d.isoLba, d.isoSectors * SECTOR, FLAG_DIRECTORY]] : [[d.jolietLba, d.jolietSectors * SECTOR, FLAG_DIRECTORY]];
    }
    if (i.type !== 'file' || i.size === 0) return [[this.zeroLba, 0, 0]];
    if (!i.extents && i.size <= MAX_SECTION_BYTES) return [[i.lba, i.size, 0]];
    const s = fileSections(i);
    return s.map((e, k) => [e.lba, e.bytes, k < s.length - 1 ? FLAG_MULTI_EXTENT : 0]);
  }

  private isoDirectory(d: DirInfo, sizing: boolean): Buffer[] {
    const records = new DirectoryWriter(sizing ? null : d.isoSectors);
    const ce = new ContinuationBlocks(d.ceLba, sizing);
    const parent = this.dirs[d.parent];
    const add = (
      identifier: Buffer,
      su: { lengths: number[]; entries?: Buffer[] },
      extent: number,
      size: number,
      flags: number,
      mtime: number,
      file?: Inode,
    ) => {
      const keep = entriesInRecord(su.lengths, systemUseRoom(identifier.length, MAX_RECORD));
      let suLength = 0;
      for (let k = 0; k < keep; k++) suLength += su.lengths[k];
      if (keep < su.lengths.length) {
        suLength += CE_LENGTH;
        if (sizing && file && file.type === 'file' && file.size > 0 && !file.heldBack && !file.extents) this.continuationBeforeData++;
      }
      if (sizing) {
        const cePart = su.lengths.slice(keep);
        if (cePart.length) ce.place(cePart);
        records.size(identifier.length, suLength);
        return;
      }
      const parts = su.entries!.slice(0, keep);
      if (keep < su.lengths.length) parts.push(ce.place(su.lengths.slice(keep), su.entries!.slice(keep))!);
      records.add({ extent, size, mtime, flags, identifier, systemUse: Buffer.concat(parts) });
    };
    const self = d.dir;
    const isRoot = d === this.dirs[0];
    const own = (i: Inode, extra: Buffer[] = []) =>
      sizing
        ? { lengths: [...extra.map((b) => b.length), PX_LENGTH, TF_LENGTH] }
        : { lengths: [...extra.map((b) => b.length), PX_LENGTH, TF_LENGTH], entries: [...extra, this.px(i), this.tf(i)] };
    const selfSu = isRoot ? own(self, [spEntry()]) : own(self);
    if (isRoot) {
      selfSu.lengths.push(erEntry().length);
      selfSu.entries?.push(erEntry());
      if (this.opt.checksums) {
        selfSu.lengths.push(CHECKSUM_AREA_ENTRY_LENGTH);
        selfSu.entries?.push(...this.opt.checksums.areaEntries(this.opt.start, this.seal!.array));
      }
    }
    add(DOT, selfSu, d.isoLba, d.isoSectors * SECTOR, FLAG_DIRECTORY, self.mtime);
    add(DOTDOT, own(parent.dir), parent.isoLba, parent.isoSectors * SECTOR, FLAG_DIRECTORY, parent.dir.mtime);
    for (const c of d.iso) {
      const su = this.rockRidge(c.node, sizing);
      const id = Buffer.from(c.id, 'latin1');
      for (const [extent, size, flags] of this.sections(c.node.inode, 'iso')) add(id, su, extent, size, flags, c.node.inode.mtime, c.node.inode);
    }
    if (sizing) {
      d.isoSectors = records.sectors;
      d.ceBlocks = ce.count;
      return [];
    }
    const extent = records.bytes();
    if (extent.length !== d.isoSectors * SECTOR || ce.count !== d.ceBlocks) throw new Error(`internal error: directory ${d.isoId} changed size between passes`);
    return d.ceBlocks ? [extent, ce.bytes()] : [extent];
  }

  private jolietDirectory(d: DirInfo, sizing: boolean): Buffer[] {
    const records = new DirectoryWriter(sizing ? null : d.jolietSectors);
    const parent = this.dirs[d.parent];
    const add = (identifier: Buffer, extent: number, size: number, flags: number, mtime: number) => {
      if (sizing) records.size(identifier.length, 0);
      else records.add({ extent, size, mtime, flags, identifier });
    };
    add(DOT, d.jolietLba, d.jolietSectors * SECTOR, FLAG_DIRECTORY, d.dir.mtime);
    add(DOTDOT, parent.jolietLba, parent.jolietSectors * SECTOR, FLAG_DIRECTORY, parent.dir.mtime);
    for (const c of d.joliet) {
      const id = jolietIdentifier(c.id);
      for (const [extent, size, flags] of this.sections(c.node.inode, 'joliet')) add(id, extent, size, flags, c.node.inode.mtime);
    }
    if (sizing) {
      d.jolietSectors = records.sectors;
      return [];
    }
    return [records.bytes()];
  }
}

/** Packs records into sectors; a record never crosses a sector boundary. */
class DirectoryWriter {
  /** The whole directory, allocated once: the sizing pass told how many sectors it takes
   *  (one buffer per sector cost more than the encoding on this VM). */
  private readonly out: Buffer | null;
  private offset = SECTOR;
  sectors = 0;

  /** @param sectors the size the sizing pass found; null when sizing */
  constructor(sectors: number | null) {
    this.out = sectors === null ? null : Buffer.alloc(sectors * SECTOR);
  }

  /** Accounts for a record of the given lengths; returns its offset in the directory. */
  size(identifierLength: number, systemUseLength: number): number {
    const len = recordLength(identifierLength, systemUseLength);
    if (this.offset + len > SECTOR) {
      this.sectors++;
      this.offset = 0;
    }
    const at = this.offset;
    this.offset += len;
    return (this.sectors - 1) * SECTOR + at;
  }

  add(r: Parameters<typeof encodeDirectoryRecord>[0]): void {
    const at = this.size(r.identifier.length, r.systemUse?.length ?? 0);
    if (this.out!.length < this.sectors * SECTOR) throw new Error(`internal: directory grew past the ${this.out!.length / SECTOR} sectors it was sized at`);
    encodeDirectoryRecord(r, this.out!, at);
  }

  bytes(): Buffer {
    if (this.out!.length !== this.sectors * SECTOR) throw new Error(`internal: directory of ${this.sectors} sectors was sized at ${this.out!.length / SECTOR}`);
    return this.out!;
  }
}

function breadthFirst(dirs: DirInfo[], subdirs: (d: DirInfo) => number[]): number[] {
  const order = [0];
  for (let k = 0; k < order.length; k++) order.push(...subdirs(dirs[order[k]]));
  return order;
}
