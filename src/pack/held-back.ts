// Data written after the metadata (DESIGN §3): files whose Rock Ridge data needs a
// continuation area, held in memory while the tar streamed, and the El Torito catalog.
import { SECTOR } from '../iso9660/constants.js';
import { roundUp } from '../iso9660/numbers.js';
import type { Inode } from '../tree/tree.js';
import type { Writer } from './writer.js';

export interface HeldBack {
  inode: Inode;
  chunks: Buffer[];
}

export class HeldBackWriter implements Writer {
  constructor(private readonly held: readonly HeldBack[]) {}

  /** Gives each file its LBA. */
  size(lba: number): number {
    const first = lba;
    for (const h of this.held) {
      h.inode.lba = lba;
      lba += roundUp(h.inode.size, SECTOR) / SECTOR;
    }
    return lba - first;
  }

  /** Each file's bytes, padded to a whole sector; each is let go once out. */
  *emit(): Generator<Buffer> {
    for (const h of this.held) {
      for (const c of h.chunks) yield c;
      const pad = (SECTOR - (h.inode.size % SECTOR)) % SECTOR;
      if (pad) yield Buffer.alloc(pad);
      h.chunks = [];
    }
  }
}
