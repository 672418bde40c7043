// The Joliet tree (-J, the default): its path tables, then the extents of the directories
// it keeps, in the ISO tree's order. Records carry no System Use; they point at the same
// data as the ISO tree's.
import { SECTOR } from '../iso9660/constants.js';
import { DOT, DOTDOT, encodeRecordHead, FLAG_DIRECTORY, type RecordFields } from '../iso9660/directory-record.js';
import { jolietIdentifier } from '../iso9660/joliet-names.js';
import type { Dir } from '../tree/tree.js';
import { type Directories, type DirInfo, forEachSection, type JolietChildren, type Section, sectionCount } from './directories.js';
import { DirectoryScratch, PathTables, RecordPacker, type TreeDescriptor } from './directory-sectors.js';
import type { Placed, Writer } from './writer.js';

/** One directory record, refilled for each record of a directory. */
interface JolietRecord extends RecordFields {
  /** The identifier: bytes [idStart, idEnd) of `ids`. */
  ids: Buffer;
  idStart: number;
  idEnd: number;
}

/** A directory's sectors, from its identifiers' lengths: the records the writer's
 *  eachRecord visits, without making them. */
export function measureJolietDirectory(joliet: JolietChildren): number {
  const records = new RecordPacker();
  records.place(1, 0);
  records.place(1, 0);
  const { inodes, ids } = joliet;
  for (let k = 0; k < inodes.length; k++) for (let n = sectionCount(inodes[k]); n > 0; n--) records.place(2 * ids[k].length, 0);
  return records.sectors;
}

export class JolietTreeWriter implements Writer {
  private readonly pathTables: PathTables;
  /** Each directory's LBA and sectors; sectors -1 for one left out of the tree. */
  private readonly places: { lba: number; sectors: number }[];
  private readonly dirSectionOf = (d: Dir): Section => this.dirSection(d);

  constructor(
    private readonly dirs: Directories,
    private readonly zero: Placed,
  ) {
    this.pathTables = new PathTables(
      dirs,
      (d) => d.jolietSubdirs,
      (d) => jolietIdentifier(d.jolietId),
    );
    this.places = dirs.list.map(() => ({ lba: 0, sectors: -1 }));
    // Measured while the tar streamed when that is still right (left-directories.ts), else
    // now: the directory phase waits on this after the tar's end.
    dirs.list.forEach((d, k) => {
      if (d.jolietPath >= 0) this.places[k].sectors = d.jolietSectors ?? measureJolietDirectory(d.joliet);
    });
  }

  size(lba: number): number {
    const first = lba;
    lba += this.pathTables.place(lba);
    for (const p of this.places) {
      if (p.sectors < 0) continue;
      p.lba = lba;
      lba += p.sectors;
    }
    return lba - first;
  }

  *emit(): Generator<Buffer> {
    yield* this.pathTables.emit((k) => this.places[k].lba);
    const scratch = new DirectoryScratch();
    for (const [k, d] of this.dirs.list.entries()) {
      const p = this.places[k];
      if (p.sectors < 0) continue;
      const out = scratch.zeroed(p.sectors * SECTOR);
      const records = new RecordPacker();
      this.eachRecord(d, (r) => encodeRecordHead(r, r.ids, r.idStart, r.idEnd, 0, out, records.place(r.idEnd - r.idStart, 0)));
      if (records.sectors !== p.sectors) throw new Error(`internal error: Joliet directory ${d.jolietId} changed size between passes`);
      yield out;
    }
  }

  /** What the volume descriptor says of the tree. */
  get descriptor(): TreeDescriptor {
    return this.pathTables.descriptor(this.places[0].lba, this.places[0].sectors);
  }

  /** Visits `.`, `..`, then each child's records, as measureJolietDirectory counts them; addresses are
   *  right once every writer is sized. */
  private eachRecord(d: DirInfo, visit: (r: JolietRecord) => void): void {
    const parent = this.dirs.list[d.parent];
    const [extent, size, flags] = this.dirSection(d.dir);
    const r: JolietRecord = { ids: DOT, idStart: 0, idEnd: 1, extent, size, flags, mtime: d.dir.mtime };
    visit(r);
    [r.extent, r.size, r.flags] = this.dirSection(parent.dir);
    r.ids = DOTDOT;
    r.mtime = parent.dir.mtime;
    visit(r);
    const zero = this.zero.lba;
    const { inodes, ids } = d.joliet;
    // The directory's identifiers encoded at once; each record takes its part (two bytes
    // per UTF-16 code unit).
    r.ids = jolietIdentifier(ids.join(''));
    r.idEnd = 0;
    const section = (extent: number, size: number, flags: number) => {
      r.extent = extent;
      r.size = size;
      r.flags = flags;
      visit(r);
    };
    for (let k = 0; k < inodes.length; k++) {
      const i = inodes[k];
      r.idStart = r.idEnd;
      r.idEnd += 2 * ids[k].length;
      r.mtime = i.mtime;
      forEachSection(i, this.dirSectionOf, zero, section);
    }
  }

  private dirSection(dir: Dir): Section {
    const p = this.places[this.dirs.index(dir)];
    return [p.lba, p.sectors * SECTOR, FLAG_DIRECTORY];
  }
}
