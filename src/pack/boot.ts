// El Torito in iso-pack (docs/eltorito.md): which tar files are boot images, holding an
// image that wants a boot info table until its checksum is known, and the catalog.
//
// An image with -boot-info-table is held in memory while it streams (bounded by
// BOOT_IMAGE_LIMIT: boot loaders are tens of KiB), then placed at the next free sector
// like any file, with bytes 8-63 patched: the PVD's LBA is the session start + 16, its own
// LBA is where it is placed, its length and checksum are known by then. So nothing is
// patched after it left. Other images stream as plain files. The catalog, which needs
// every image's LBA, is a writer after the held-back data (layout.ts).
import { SECTOR } from '../iso9660/constants.js';
import {
  BOOT_INFO_TABLE_OFFSET,
  type BootEntry,
  BootInfoChecksum,
  encodeBootCatalog,
  encodeBootInfoTable,
  MEDIA_NO_EMULATION,
  wholeImageSectorCount,
} from '../iso9660/el-torito.js';
import type { Inode } from '../tree/tree.js';
import type { Writer } from './writer.js';

/** An image held for its boot info table may take this much memory. */
export const BOOT_IMAGE_LIMIT = 64 * 1024 * 1024;

export interface BootImageSpec {
  /** Path in the tree, components joined by '/', raw bytes in latin1. */
  path: string;
  platform: number;
  bootable: boolean;
  /** Load segment (0: the BIOS default 0x7C0). */
  loadSegment: number;
  /** -boot-load-size in 512-byte sectors; undefined: the whole image. */
  loadSize?: number;
  infoTable: boolean;
}

export interface BootPlan {
  /** -c: the catalog's path, components joined by '/'; undefined: hidden, in no directory. */
  catalog?: string;
  images: BootImageSpec[];
  /** -isohybrid-mbr: the MBR template's bytes (isohdpfx.bin). */
  isohybridMbr?: Buffer;
}

/** One -boot-info-table image while its data streams. */
export class HeldBootImage {
  readonly chunks: Buffer[] = [];
  private readonly sum = new BootInfoChecksum();
  private bytes = 0;

  constructor(readonly path: string) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > BOOT_IMAGE_LIMIT)
      throw new Error(`boot image '${this.path}' is larger than ${BOOT_IMAGE_LIMIT >> 20} MiB, the most iso-pack holds to write its boot info table`);
    this.sum.update(chunk);
    this.chunks.push(Buffer.from(chunk));
  }

  /** The image with its boot info table, once it is placed at `lba`. */
  patched(pvdLba: number, lba: number): Buffer {
    const image = Buffer.concat(this.chunks);
    if (image.length < 64) throw new Error(`boot image '${this.path}' is ${image.length} bytes, too short for a boot info table (64)`);
    encodeBootInfoTable({ pvdLba, fileLba: lba, fileLength: image.length, checksum: this.sum.digest() }).copy(image, BOOT_INFO_TABLE_OFFSET);
    return image;
  }
}

/** The catalog: one sector after the held-back data, the only boot sector whose LBA the
 *  layout picks. Its inode is in the tree under -c, hidden without. */
export class BootCatalogWriter implements Writer {
  private readonly sector: Buffer;

  /** @param inodes the images found in the tree, in the plan's order */
  constructor(
    readonly inode: Inode,
    plan: BootPlan,
    inodes: Inode[],
  ) {
    inode.size = SECTOR;
    // Its data follows the metadata, as held-back data does.
    inode.heldBack = true;
    this.sector = encodeBootCatalog(
      plan.images.map(
        (s, k): BootEntry => ({
          platform: s.platform,
          bootable: s.bootable,
          media: MEDIA_NO_EMULATION,
          loadSegment: s.loadSegment,
          systemType: 0,
          sectorCount: s.loadSize ?? wholeImageSectorCount(inodes[k].size),
          lba: inodes[k].lba,
        }),
      ),
    );
  }

  size(lba: number): number {
    this.inode.lba = lba;
    return 1;
  }

  *emit(): Generator<Buffer> {
    yield this.sector;
  }
}
