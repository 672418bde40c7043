// The image reader's front door: open a medium, list its sessions, walk a session's tree,
// read a file's data. iso-merge, cd-verify and cd-msinfo share it.
import type { ChecksumArea } from '../iso9660/checksum-tags.js';
import type { ZfInfo } from '../iso9660/zisofs.js';
import { readZisofsData } from './zisofs-data.js';
import { ChecksumArray } from './checksum-array.js';
import type { DataExtent, ImageEntry } from './entry.js';
import { ImageError } from './errors.js';
import { SectorSource } from './sector-source.js';
import { type MediumScan, scanMedium, type SessionEntry } from './sessions.js';
import { TreeWalker, type TreeFlavour, type WalkLimits } from './tree-walker.js';
import {
  applicationUse,
  decodeVolumeDescriptor,
  DESCRIPTOR_PRIMARY,
  DESCRIPTOR_SUPPLEMENTARY,
  DESCRIPTOR_TERMINATOR,
  isVolumeDescriptor,
  type VolumeDescriptor,
} from '../iso9660/volume-descriptor.js';
import { SECTOR } from '../iso9660/constants.js';
import { FormatProblem } from '../iso9660/format-problem.js';

/** Descriptors looked at after S+16 before giving up on a terminator. */
const MAX_DESCRIPTORS = 64;

export interface SessionTree {
  session: SessionEntry;
  primary: VolumeDescriptor;
  joliet: VolumeDescriptor | null;
  /** Which tree the walk reports: Rock Ridge if the primary tree has it, else Joliet, else plain ISO 9660. */
  flavour: TreeFlavour;
}

export class Image {
  private constructor(
    readonly source: SectorSource,
    readonly scan: MediumScan,
  ) {}

  static open(path: string): Image {
    return Image.fromSource(SectorSource.open(path));
  }

  static fromSource(source: SectorSource): Image {
    const read = (lba: number, count: number): Buffer => {
      const b = Buffer.alloc(count * SECTOR);
      const have = Math.max(0, Math.min(count * SECTOR, source.bytes - lba * SECTOR));
      if (have > 0) source.readInto(b, lba * SECTOR, have);
      return b;
    };
    return new Image(source, scanMedium(read, source.sectors));
  }

  /**
   * A medium whose sessions someone else listed (a disc: the drive's TOC), not found by the
   * chain from LBA 32. Sessions are oldest first; the newest one's PVD is the scan's head.
   * There is no medium head (layout null): each session stands on its own.
   */
  static fromSessions(source: SectorSource, sessions: SessionEntry[]): Image {
    if (sessions.length === 0)
      return new Image(source, {
        kind: 'blank',
        blank: 'empty',
        head: null,
        headApplicationUse: null,
        end: 0,
        next: 0,
        layout: null,
        sessions: [],
        warnings: [],
      });
    const newest = sessions[sessions.length - 1];
    let head: VolumeDescriptor | null = null;
    let headApplicationUse: Buffer | null = null;
    const warnings: string[] = [];
    try {
      const sector = source.read(newest.start + 16, 1);
      if (isVolumeDescriptor(sector) && sector[0] === DESCRIPTOR_PRIMARY) {
        head = decodeVolumeDescriptor(sector);
        headApplicationUse = Buffer.from(applicationUse(sector));
      } else warnings.push(`session ${newest.number} has no primary volume descriptor at LBA ${newest.start + 16}`);
    } catch (err) {
      if (!(err instanceof FormatProblem)) throw err;
      warnings.push(`session ${newest.number}: LBA ${err.lba ?? newest.start + 16}: ${err.message}`);
    }
    const end = newest.start + newest.size;
    return new Image(source, { kind: 'iso', head, headApplicationUse, end, next: end, layout: null, sessions, warnings });
  }

  /** A blank medium (missing, empty, zero or pseudo-blank head): no session to read. */
  get blank(): boolean {
    return this.scan.kind === 'blank';
  }

  get sessions(): SessionEntry[] {
    return this.scan.sessions;
  }

  /** Session `number` (1-based; default the newest) with its descriptors and tree flavour. */
  session(number?: number): SessionTree {
    if (this.scan.kind === 'blank') throw new ImageError('the medium is blank: it holds no session', {});
    if (this.scan.kind !== 'iso') throw new ImageError(`the medium is not an ISO 9660 image (${this.scan.foreign})`, {});
    const list = this.scan.sessions;
    // By number, not position: a disc's list may skip a session whose burn never finished.
    const n = number ?? list[list.length - 1]?.number;
    const s = number === undefined ? list[list.length - 1] : list.find((x) => x.number === number);
    if (!Number.isInteger(n) || !s) throw new ImageError(`there is no session ${number}: the medium has ${list.length}`, {});
    let primary: VolumeDescriptor | null = null;
    let joliet: VolumeDescriptor | null = null;
    for (let i = 0; i < MAX_DESCRIPTORS; i++) {
      const lba = s.start + 16 + i;
      if (!this.source.holds(lba, SECTOR)) break;
      const sector = this.source.read(lba, 1);
      if (!isVolumeDescriptor(sector)) break;
      const type = sector[0];
      if (type === DESCRIPTOR_TERMINATOR) break;
      try {
        if (type === DESCRIPTOR_PRIMARY && !primary) primary = decodeVolumeDescriptor(sector);
        else if (type === DESCRIPTOR_SUPPLEMENTARY && !joliet) {
          const svd = decodeVolumeDescriptor(sector);
          if (svd.jolietLevel) joliet = svd;
        }
      } catch (err) {
        throw new ImageError((err as Error).message, { session: n, lba });
      }
    }
    if (!primary) throw new ImageError('no primary volume descriptor', { session: n, lba: s.start + 16 });
    const rootOk = (vd: VolumeDescriptor) => vd.root.size > 0 && this.source.holds(vd.root.extent, SECTOR);
    if (!rootOk(primary))
      throw new ImageError(`the root directory at LBA ${primary.root.extent} lies past the end of the medium`, { session: n, lba: s.start + 16 });
    let flavour: TreeFlavour = 'iso9660';
    if (TreeWalker.hasRockRidge(this.source, n, primary.root.extent, primary.root.size)) flavour = 'rockridge';
    else if (joliet && rootOk(joliet)) flavour = 'joliet';
    return { session: s, primary, joliet, flavour };
  }

  /** Reports every entry of a session's tree in pre-order (root first). */
  walk(tree: SessionTree, visit: (e: ImageEntry) => void, limits: Partial<WalkLimits> = {}): void {
    const vd = tree.flavour === 'joliet' ? tree.joliet! : tree.primary;
    const walker = new TreeWalker(this.source, { session: tree.session.number, extent: vd.root.extent, size: vd.root.size, flavour: tree.flavour }, limits);
    walker.walk(visit);
  }

  /**
   * The checksum array the root's isofs.ca names (ImageEntry.checksumArea of the walk's
   * root), or null when it does not fit the session and the medium or fails its own MD5.
   */
  checksumArray(tree: SessionTree, area: ChecksumArea): ChecksumArray | null {
    return ChecksumArray.open(this.source, tree.session, area);
  }

  /**
   * Reads a regular file's data in chunks of at most `chunkBytes`; each chunk is only valid
   * during the call.
   */
  readData(entry: { path: string; extents: readonly DataExtent[] }, onChunk: (chunk: Buffer) => void, chunkBytes = 1 << 20, session?: number): void {
    const buf = Buffer.allocUnsafe(chunkBytes);
    for (const x of entry.extents) {
      let done = 0;
      while (done < x.bytes) {
        const n = Math.min(chunkBytes, x.bytes - done);
        try {
          this.source.readInto(buf, x.lba * SECTOR + done, n);
        } catch (err) {
          if (err instanceof FormatProblem)
            throw new ImageError(`reading file data ${x.lba}+${x.bytes}: ${err.message}`, { session, lba: x.lba, path: entry.path });
          throw err;
        }
        onChunk(buf.subarray(0, n));
        done += n;
      }
    }
  }

  /**
   * A regular file's content: its data as stored, or uncompressed when the file is
   * zisofs-compressed (`zf`), in chunks valid only during the call.
   */
  readContent(
    entry: { path: string; extents: readonly DataExtent[]; zf?: ZfInfo },
    onChunk: (chunk: Buffer) => void,
    chunkBytes = 1 << 20,
    session?: number,
  ): void {
    if (entry.zf) readZisofsData(this.source, { path: entry.path, extents: entry.extents, zf: entry.zf }, onChunk, session);
    else this.readData(entry, onChunk, chunkBytes, session);
  }

  close(): void {
    this.source.close();
  }
}
