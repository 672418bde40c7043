// --md5's sectors after the metadata, where libisofs puts them: the tree tag right after the
// directories (a ZeroSector, blank.ts), the checksum array and the session tag at the end. Both tags and two array
// entries cover the head, so they are written blank and sealed once the head is known
// (src/session/checksum-seal.ts, following the plan the head carries).
import { SECTOR } from '../iso9660/constants.js';
import type { SealPlan } from '../iso9660/checksum-tags.js';
import type { FileChecksums } from './md5.js';
import type { Placed, Writer } from './writer.js';

export class ChecksumArrayWriter implements Writer, Placed {
  lba = 0;

  constructor(
    private readonly sums: FileChecksums,
    private readonly treeTag: Placed,
  ) {}

  size(lba: number): number {
    this.lba = lba;
    return this.sums.arraySectors + 1;
  }

  /** The array with its session MD5 unset, then a blank session tag. */
  *emit(): Generator<Buffer> {
    yield Buffer.concat([this.sums.array(), Buffer.alloc(SECTOR)]);
  }

  /** Where the head-dependent checksums go. */
  get plan(): SealPlan {
    return { tree: this.treeTag.lba, array: this.lba, entries: this.sums.count + 2, session: this.lba + this.sums.arraySectors };
  }
}
