// Writers of zeros: one sector at a known LBA (the shared sector that every empty file,
// symlink and device points at, DESIGN §3; --md5's tree tag, sealed later), and the
// padding that ends a session.
import { SECTOR } from '../iso9660/constants.js';
import { roundUp } from '../iso9660/numbers.js';
import type { Placed, Writer } from './writer.js';

export class ZeroSector implements Writer, Placed {
  lba = 0;

  size(lba: number): number {
    this.lba = lba;
    return 1;
  }

  *emit(): Generator<Buffer> {
    yield Buffer.alloc(SECTOR);
  }
}

/** Zeros up to a multiple of `multiple` sectors from the session start. */
export class Padding implements Writer {
  private sectors = 0;

  constructor(
    private readonly start: number,
    private readonly multiple: number,
  ) {}

  size(lba: number): number {
    this.sectors = this.start + roundUp(lba - this.start, this.multiple) - lba;
    return this.sectors;
  }

  *emit(): Generator<Buffer> {
    if (this.sectors) yield Buffer.alloc(this.sectors * SECTOR);
  }
}
