// The 32 head sectors (DESIGN §3): system area, PVD, El Torito boot record, Joliet SVD,
// terminator and, with --md5, the superblock tag. They name the trees, the catalog and the
// session's size, so they are the last bytes made and their writing commits the session.
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import { encodeSuperblockSector, md5 } from '../iso9660/checksum-tags.js';
import { DOT, encodeDirectoryRecord, FLAG_DIRECTORY } from '../iso9660/directory-record.js';
import { encodeBootRecord } from '../iso9660/el-torito.js';
import { encodeIsohybridMbr } from '../iso9660/isohybrid.js';
import { encodeJolietDescriptor, encodePrimaryDescriptor, encodeTerminator, type VolumeIdentity } from '../iso9660/volume-descriptor.js';
import type { Dir, Inode } from '../tree/tree.js';
import type { ChecksumArrayWriter } from './checksum-writers.js';
import type { TreeDescriptor } from './directory-sectors.js';
import type { Writer } from './writer.js';

export interface HeadParts {
  start: number;
  /** Read when the head is emitted: the tar's volume label may still set it. */
  identity: VolumeIdentity;
  root: Dir;
  iso: { readonly descriptor: TreeDescriptor };
  joliet?: { readonly descriptor: TreeDescriptor };
  /** El Torito: the catalog (its LBA set by the held-back writer). */
  bootCatalog?: Inode;
  /** -isohybrid-mbr: the MBR in the system area, pointing at the BIOS boot image. */
  isohybrid?: { code: Buffer; bootImage: Inode; diskId: number };
  checksums?: ChecksumArrayWriter;
  /** Sectors in the session, known once the writers after the data are sized. */
  sectors: () => number;
}

export class HeadWriter implements Writer {
  constructor(private readonly p: HeadParts) {}

  size(): number {
    return HEAD_SECTORS;
  }

  *emit(): Generator<Buffer> {
    const p = this.p;
    const volumeSpaceSize = p.sectors();
    const head = Buffer.alloc(HEAD_SECTORS * SECTOR);
    const rootRecord = (lba: number, sectors: number) => {
      const b = Buffer.alloc(34);
      encodeDirectoryRecord({ extent: lba, size: sectors * SECTOR, mtime: p.root.mtime, flags: FLAG_DIRECTORY, identifier: DOT }, b, 0);
      return b;
    };
    const descriptor = (t: TreeDescriptor) => ({
      volumeSpaceSize,
      pathTableSize: t.pathTableSize,
      lPathTable: t.lPathTable,
      mPathTable: t.mPathTable,
      rootRecord: rootRecord(t.rootLba, t.rootSectors),
    });
    const hy = p.isohybrid;
    // The image as a disk: one partition over all of it (the session is the whole image).
    if (hy) encodeIsohybridMbr(hy.code, hy.bootImage.lba, volumeSpaceSize * 4, hy.diskId).copy(head, 0);
    encodePrimaryDescriptor(p.identity, descriptor(p.iso.descriptor)).copy(head, 16 * SECTOR);
    let next = 17;
    // The boot record goes right after the PVD, as xorriso and mkisofs place it.
    if (p.bootCatalog) encodeBootRecord(p.bootCatalog.lba).copy(head, next++ * SECTOR);
    if (p.joliet) encodeJolietDescriptor(p.identity, descriptor(p.joliet.descriptor)).copy(head, next++ * SECTOR);
    encodeTerminator().copy(head, next * SECTOR);
    if (p.checksums) {
      // The superblock tag covers the sectors before it: known now, unlike the other tags.
      const at = next + 1;
      const plan = p.checksums.plan;
      const tag = { pos: p.start + at, rangeStart: p.start, rangeSize: at, next: plan.tree, md5: md5(head.subarray(0, at * SECTOR)) };
      encodeSuperblockSector(tag, plan).copy(head, at * SECTOR);
    }
    yield head;
  }
}
