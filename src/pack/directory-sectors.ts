// What both tree writers share: records packed into a directory's sectors, and a tree's
// pair of path tables (L, then M).
import { SECTOR } from '../iso9660/constants.js';
import { DOT, recordLength } from '../iso9660/directory-record.js';
import { roundUp } from '../iso9660/numbers.js';
import { encodePathTable, type PathTableEntry, pathTableRecordLength } from '../iso9660/path-table.js';
import type { Directories, DirInfo } from './directories.js';

/** Places records in sectors; a record never crosses a sector boundary. */
export class RecordPacker {
  private offset = SECTOR;
  sectors = 0;

  /** Accounts for a record of the given lengths; returns its offset in the directory. */
  place(identifierLength: number, systemUseLength: number): number {
    const len = recordLength(identifierLength, systemUseLength);
    if (this.offset + len > SECTOR) {
      this.sectors++;
      this.offset = 0;
    }
    const at = this.offset;
    this.offset += len;
    return (this.sectors - 1) * SECTOR + at;
  }
}

/** One buffer for a tree's directory extents, one after another: each directory is
 *  encoded into it, yielded, and copied out before the next is asked for (Writer.emit).
 *  A buffer per directory left them to the garbage collector, many at once (bench/RESULTS.md,
 *  eighteenth round). */
export class DirectoryScratch {
  private buffer = Buffer.alloc(0);

  /** `bytes` zeros, valid until the next call. */
  zeroed(bytes: number): Buffer {
    if (bytes > this.buffer.length) this.buffer = Buffer.alloc(Math.max(bytes, 2 * this.buffer.length));
    return this.buffer.fill(0, 0, bytes).subarray(0, bytes);
  }
}

export interface TreeDescriptor {
  pathTableSize: number;
  lPathTable: number;
  mPathTable: number;
  rootLba: number;
  rootSectors: number;
}

/** A tree's path tables: directories breadth first, the root's identifier DOT. */
export class PathTables {
  private readonly order: number[];
  /** Bytes of one table. */
  readonly size: number;
  /** LBAs of the L and the M table. */
  readonly lba = [0, 0];

  constructor(
    private readonly dirs: Directories,
    subdirs: (d: DirInfo) => number[],
    private readonly id: (d: DirInfo) => Buffer,
  ) {
    this.order = dirs.breadthFirst(subdirs);
    this.size = this.order.reduce((n, k) => n + pathTableRecordLength(k === 0 ? 1 : id(dirs.list[k]).length), 0);
  }

  place(lba: number): number {
    const sectors = roundUp(this.size, SECTOR) / SECTOR;
    this.lba[0] = lba;
    this.lba[1] = lba + sectors;
    return 2 * sectors;
  }

  /** What a volume descriptor says of the tree, given its root's extent. */
  descriptor(rootLba: number, rootSectors: number): TreeDescriptor {
    return { pathTableSize: this.size, lPathTable: this.lba[0], mPathTable: this.lba[1], rootLba, rootSectors };
  }

  /** Both tables, each zero-padded to whole sectors. */
  *emit(extent: (index: number) => number): Generator<Buffer> {
    const number = new Map<number, number>();
    for (const [k, dirIndex] of this.order.entries()) number.set(dirIndex, k + 1);
    const entries: PathTableEntry[] = this.order.map((k) => {
      const d = this.dirs.list[k];
      return { identifier: k === 0 ? DOT : this.id(d), extent: extent(k), parent: number.get(d.parent)! };
    });
    for (const little of [true, false]) {
      const t = encodePathTable(entries, little);
      yield Buffer.concat([t, Buffer.alloc(roundUp(t.length, SECTOR) - t.length)]);
    }
  }
}
