// One directory of either tree, read through the directory walker and checked record by
// record: lengths, `.` and `..` first and pointing right, ECMA-119 order, Rock Ridge
// attributes, file extents inside the session and the medium.
import type { DirectoryChild, DirectoryWalker, TreeFlavour } from '../image/directory-walker.js';
import type { ChecksumArea } from '../iso9660/checksum-tags.js';
import { FLAG_DIRECTORY, isDot, isDotDot, type RawRecord } from '../iso9660/directory-record.js';
import { SECTOR } from '../iso9660/constants.js';
import type { DirPlace } from './path-table-check.js';
import { recordsInOrder } from './record-order.js';
import { checkDotRockRidge, checkRockRidgeRecord } from './rock-ridge-check.js';
import type { SessionContext } from './session-context.js';

/** A directory to read: where it is, where its parent is, its path. */
export interface DirectoryAt {
  extent: number;
  size: number;
  parentExtent: number;
  path: string;
}

/** What the directories read add to the session's totals. */
export interface DirectoryTotals {
  /** isofs.ca of the root, when the session records MD5s. */
  checksumArea: ChecksumArea | null;
  /** Records with a ZF (zisofs) entry. */
  zisofsFiles: number;
}

export class DirectoryCheck {
  constructor(
    private readonly ctx: SessionContext,
    private readonly walker: DirectoryWalker,
    private readonly totals: DirectoryTotals,
    /** The ISO 9660 tree has Rock Ridge. */
    private readonly rockRidge: boolean,
  ) {}

  /**
   * The children of a directory (not `.` and `..`), multi-extent sections joined, each
   * subdirectory entered in `places`; null when the directory cannot be read at all.
   */
  read(w: DirectoryAt, joliet: boolean, places: Map<number, DirPlace>): DirectoryChild[] | null {
    const tree = joliet ? 'Joliet ' : '';
    const rock = !joliet && this.rockRidge;
    // The directory's records and the LBA of each, read whole before they are looked at.
    const recs: RawRecord[] = [];
    const lbas: number[] = [];
    const readable = this.walker.records(w.extent, w.size, w.path, joliet, (r, lba, offset) => {
      if (r.length % 2) this.ctx.find('directory', `directory record at offset ${offset} has odd length ${r.length}`, { lba, path: w.path });
      if (r.identifierLength === 0) this.ctx.find('directory', `directory record at offset ${offset} has an empty identifier`, { lba, path: w.path });
      recs.push(r);
      lbas.push(lba);
    });
    if (!readable) return null;
    this.dotAndDotDot(w, recs, joliet, rock);
    let prev: RawRecord | null = null;
    const flavour: TreeFlavour = joliet ? 'joliet' : rock ? 'rockridge' : 'iso9660';
    const hooks = {
      record: (r: RawRecord, lba: number, k: number) => {
        if (isDot(r) || isDotDot(r)) {
          if (k > 1) this.ctx.find('directory', `${tree}\`.\` or \`..\` record in the middle of the directory`, { lba, path: w.path });
          return;
        }
        if (prev && !recordsInOrder(prev, r, joliet))
          this.ctx.find('order', `${tree}record ${JSON.stringify(showIdentifier(r.identifier, joliet))} is out of order`, { lba, path: w.path });
        prev = r;
      },
      started: (c: DirectoryChild) => {
        if (rock) checkRockRidgeRecord(this.ctx, c.rr, c.isDir, c.recordLba, c.path);
        if (c.rr.zisofs && !c.isDir) this.totals.zisofsFiles++;
      },
    };
    const out: DirectoryChild[] = [];
    const join = this.walker.children(w, flavour, (c) => out.push(c), hooks);
    for (let k = 0; k < recs.length; k++) join.take(recs[k], lbas[k]);
    join.end();
    for (const c of out) {
      if (c.isDir) {
        if (!rock || c.rr.relocated === undefined) places.set(c.record.extent, { parentExtent: w.extent, identifier: c.record.identifier });
      } else this.fileExtents(c, joliet);
    }
    return out;
  }

  /** The first two records: `.` for the directory itself, `..` for its parent. */
  private dotAndDotDot(w: DirectoryAt, recs: RawRecord[], joliet: boolean, rock: boolean): void {
    const tree = joliet ? 'Joliet ' : '';
    if (recs.length < 2 || !isDot(recs[0]) || !isDotDot(recs[1])) {
      this.ctx.find('directory', `${tree}directory does not start with its \`.\` and \`..\` records`, { lba: w.extent, path: w.path });
      return;
    }
    const dot = recs[0];
    const dotdot = recs[1];
    if (dot.extent !== w.extent || dot.size !== w.size)
      this.ctx.find('directory', `${tree}\`.\` record says ${dot.extent}+${dot.size}, the directory is ${w.extent}+${w.size}`, {
        lba: w.extent,
        path: w.path,
        expected: w.extent,
        found: dot.extent,
      });
    if (!(dot.flags & FLAG_DIRECTORY) || !(dotdot.flags & FLAG_DIRECTORY))
      this.ctx.find('directory', `${tree}\`.\` or \`..\` record is not flagged as a directory`, { lba: w.extent, path: w.path });
    // libisofs (xorriso 1.5) points every Joliet `..` at the directory itself; readers
    // ignore it, so that quirk is accepted.
    const libisofsJoliet = joliet && dotdot.extent === w.extent;
    if (dotdot.extent !== w.parentExtent && !libisofsJoliet)
      this.ctx.find('directory', `${tree}\`..\` record points at LBA ${dotdot.extent}, the parent directory is at ${w.parentExtent}`, {
        lba: w.extent,
        path: w.path,
        expected: w.parentExtent,
        found: dotdot.extent,
      });
    if (!rock) return;
    const isRoot = w.path === '';
    const { rr } = this.walker.systemUse(dot, w.extent, w.path, isRoot);
    if (isRoot) {
      this.walker.startRockRidge(rr);
      if (rr.checksumArea) this.totals.checksumArea = rr.checksumArea;
    }
    checkDotRockRidge(this.ctx, rr, w.extent, w.path);
  }

  /** Every section of a file inside the session's end and the medium. */
  private fileExtents(c: DirectoryChild, joliet: boolean): void {
    const { src, end } = this.ctx;
    for (const x of c.sections) {
      const sectors = Math.ceil(x.bytes / SECTOR);
      if (x.lba + sectors > src.sectors)
        this.ctx.find('extent', `${joliet ? 'Joliet ' : ''}file data ${x.lba}+${x.bytes} runs past the end of the medium (${src.sectors} sectors)`, {
          lba: x.lba,
          path: c.path,
        });
      else if (x.lba + sectors > end)
        this.ctx.find('extent', `${joliet ? 'Joliet ' : ''}file data ${x.lba}+${x.bytes} lies past the end of the session (LBA ${end})`, {
          lba: x.lba,
          path: c.path,
        });
      else if (x.lba < 16) this.ctx.find('extent', `file data at LBA ${x.lba} lies in the system area`, { lba: x.lba, path: c.path });
    }
  }
}

/** An identifier as text for a message: Joliet's UCS-2 big-endian, else bytes. */
function showIdentifier(id: Buffer, joliet: boolean): string {
  return joliet
    ? Buffer.from(id.subarray(0, id.length & ~1))
        .swap16()
        .toString('utf16le')
    : id.toString('latin1');
}
