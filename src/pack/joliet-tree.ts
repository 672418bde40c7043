// The Joliet tree (-J, the default): its path tables, then the extents of the directories
// it keeps, in the ISO tree's order. Records carry no System Use; they point at the same
// data as the ISO tree's.
import { SECTOR } from '../iso9660/constants.js';
import { DOT, DOTDOT, encodeDirectoryRecord, FLAG_DIRECTORY } from '../iso9660/directory-record.js';
import { jolietIdentifier } from '../iso9660/joliet-names.js';
import type { Dir } from '../tree/tree.js';
import { type Directories, type DirInfo, type Section, sections } from './directories.js';
import { PathTables, RecordPacker, type TreeDescriptor } from './directory-sectors.js';
import type { Placed, Writer } from './writer.js';

interface JolietRecord {
  identifier: Buffer;
  section: Section;
  mtime: number;
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
    dirs.list.forEach((d, k) => {
      if (d.jolietPath < 0) return;
      const records = new RecordPacker();
      for (const r of this.records(d)) records.place(r.identifier.length, 0);
      this.places[k].sectors = records.sectors;
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
    for (const [k, d] of this.dirs.list.entries()) {
      const p = this.places[k];
      if (p.sectors < 0) continue;
      const out = Buffer.alloc(p.sectors * SECTOR);
      const records = new RecordPacker();
      for (const r of this.records(d)) {
        const [extent, size, flags] = r.section;
        encodeDirectoryRecord({ extent, size, mtime: r.mtime, flags, identifier: r.identifier }, out, records.place(r.identifier.length, 0));
      }
      if (records.sectors !== p.sectors) throw new Error(`internal error: Joliet directory ${d.jolietId} changed size between passes`);
      yield out;
    }
  }

  /** What the volume descriptor says of the tree. */
  get descriptor(): TreeDescriptor {
    return this.pathTables.descriptor(this.places[0].lba, this.places[0].sectors);
  }

  /** `.`, `..`, then each child's records; addresses are right once every writer is sized. */
  private *records(d: DirInfo): Generator<JolietRecord> {
    const parent = this.dirs.list[d.parent];
    yield { identifier: DOT, section: this.dirSection(d.dir), mtime: d.dir.mtime };
    yield { identifier: DOTDOT, section: this.dirSection(parent.dir), mtime: parent.dir.mtime };
    const zero = this.zero.lba;
    const { inodes, ids } = d.joliet;
    // The directory's identifiers encoded at once; each record takes its part (two bytes
    // per UTF-16 code unit).
    const bytes = jolietIdentifier(ids.join(''));
    let start = 0;
    for (let k = 0; k < inodes.length; k++) {
      const i = inodes[k];
      const identifier = bytes.subarray(start, (start += 2 * ids[k].length));
      for (const section of sections(i, this.dirSectionOf, zero)) yield { identifier, section, mtime: i.mtime };
    }
  }

  private dirSection(dir: Dir): Section {
    const p = this.places[this.dirs.index(dir)];
    return [p.lba, p.sectors * SECTOR, FLAG_DIRECTORY];
  }
}
