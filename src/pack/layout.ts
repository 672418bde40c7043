// Lays out the session once all file data has been placed (DESIGN §3): the head at the
// session start, then, after the data, a sequence of writers (writer.ts) — the ISO 9660
// tree, the Joliet tree, --md5's tree tag, the shared zero sector, held-back data, the El
// Torito catalog, --md5's checksum array, padding. An option adds or leaves out a writer; none of them branches on
// another's presence beyond the addresses it names.
import { HEAD_SECTORS } from '../iso9660/constants.js';
import { ISOHYBRID_CYLINDER_SECTORS } from '../iso9660/isohybrid.js';
import type { VolumeIdentity } from '../iso9660/volume-descriptor.js';
import type { SessionSink } from '../session/output.js';
import type { Dir, Inode } from '../tree/tree.js';
import { Padding, ZeroSector } from './blank.js';
import type { BootCatalogWriter } from './boot.js';
import { ChecksumArrayWriter } from './checksum-writers.js';
import { type ChildLists, Directories } from './directories.js';
import { HeadWriter } from './head.js';
import { type HeldBack, HeldBackWriter } from './held-back.js';
import { IsoTreeWriter } from './iso-tree.js';
import { JolietTreeWriter } from './joliet-tree.js';
import type { FileChecksums } from './md5.js';
import { type Writer, Writers } from './writer.js';

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
  /** El Torito: the catalog, after the held-back data; the head gets a boot record. */
  bootCatalog?: BootCatalogWriter;
  /** -isohybrid-mbr: the MBR in the system area, pointing at the BIOS boot image. */
  isohybrid?: { code: Buffer; bootImage: Inode; diskId: number };
}

export class SessionLayout {
  private readonly headWriter: Writers;
  private readonly body: Writers;
  /** Absolute LBA just past the session (a multiple of 32 sectors from its start). */
  readonly end: number;
  /** Regular files whose Rock Ridge data needs a continuation area but whose data precedes it. */
  readonly continuationBeforeData: number;
  /** Names the Joliet tree had to shorten or change (characters replaced, invalid UTF-8). */
  readonly jolietRenamed: number;
  /** Files and directories left out of the Joliet tree: their path is too long, or a
   *  directory above them was left out. */
  readonly jolietLeftOut: number;

  /** @param early child lists made while the tar streamed (left-directories.ts) */
  constructor(
    root: Dir,
    heldBack: HeldBack[],
    early: ReadonlyMap<Dir, ChildLists>,
    private readonly opt: LayoutOptions,
  ) {
    const dirs = new Directories(root, opt.joliet ? opt.jolietMax : null, early);
    const zero = new ZeroSector();
    const treeTag = opt.checksums && new ZeroSector();
    const checksums = opt.checksums && new ChecksumArrayWriter(opt.checksums, treeTag!);
    const iso = new IsoTreeWriter(dirs, { start: opt.start, rationalize: opt.rationalize, checksums: opt.checksums, zero, checksumArray: checksums });
    const joliet = opt.joliet ? new JolietTreeWriter(dirs, zero) : undefined;
    // -isohybrid-mbr: whole cylinders of 64 heads x 32 sectors (1 MiB), as xorriso pads, so
    // that the MBR's partition and CHS geometry describe the image exactly.
    const padding = new Padding(opt.start, opt.isohybrid ? ISOHYBRID_CYLINDER_SECTORS : HEAD_SECTORS);
    const body: (Writer | undefined)[] = [iso, joliet, treeTag, zero, new HeldBackWriter(heldBack), opt.bootCatalog, checksums, padding];
    this.body = new Writers(body.filter((w) => w !== undefined));
    this.headWriter = new Writers([
      new HeadWriter({
        start: opt.start,
        identity: opt.identity,
        root,
        iso,
        joliet,
        bootCatalog: opt.bootCatalog?.inode,
        isohybrid: opt.isohybrid,
        checksums,
        sectors: () => this.sectors,
      }),
    ]);
    this.headWriter.size(opt.start);
    this.end = this.body.size(opt.dataEnd);
    this.continuationBeforeData = iso.continuationBeforeData;
    this.jolietRenamed = dirs.jolietRenamed;
    this.jolietLeftOut = dirs.jolietLeftOut;
  }

  /** Sectors in the session, head to padding. */
  get sectors(): number {
    return this.end - this.opt.start;
  }

  /** The 32 head sectors. */
  head(): Buffer {
    return Buffer.concat([...this.headWriter.emit()]);
  }

  /** Writes the sectors after the data, then the head: the session's commit point. */
  write(out: SessionSink): void {
    for (const b of this.body.emit()) out.append(b);
    out.finish(this.head(), this.sectors);
  }
}
