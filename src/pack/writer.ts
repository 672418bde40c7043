// The session after the file data is a sequence of writers (DESIGN §8), as libisofs builds
// an image: every writer first takes its sectors, in LBA order, which fixes every address;
// then each emits its bytes, free to name any other writer's address.
import { SECTOR } from '../iso9660/constants.js';

export interface Writer {
  /** Takes its sectors from `lba` on; returns how many. */
  size(lba: number): number;
  /** Its bytes: exactly the sectors size() took. A writer may reuse a buffer it yielded
   *  once the next is asked for: each is to be copied out before then. */
  emit(): Iterable<Buffer>;
}

/** A writer whose address others name. */
export interface Placed {
  readonly lba: number;
}

/** Writers in LBA order, sized together and emitted together. */
export class Writers {
  private readonly sectors: number[] = [];

  constructor(private readonly list: readonly Writer[]) {}

  /** Sizes every writer from `lba` on; returns the LBA after the last. */
  size(lba: number): number {
    for (const w of this.list) {
      const n = w.size(lba);
      this.sectors.push(n);
      lba += n;
    }
    return lba;
  }

  *emit(): Generator<Buffer> {
    for (let k = 0; k < this.list.length; k++) {
      let bytes = 0;
      for (const b of this.list[k].emit()) {
        bytes += b.length;
        yield b;
      }
      if (bytes !== this.sectors[k] * SECTOR)
        throw new Error(`internal: ${this.list[k].constructor.name} emitted ${bytes} bytes for the ${this.sectors[k]} sectors it took`);
    }
  }
}
