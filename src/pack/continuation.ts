// Splits a record's System Use entries between the record and continuation areas, and
// places those areas in the blocks that follow a directory (DESIGN §3, reference §4.1).
// Placing works on entry lengths alone, so the layout can size directories without
// encoding them; emission then places the same entries the same way and fills them in.
import { SECTOR } from '../iso9660/constants.js';
import { CE_LENGTH, ceEntry } from '../iso9660/rockridge.js';

/** How many leading entries stay in the record: all when they fit, else as many as fit
 *  next to a CE entry. */
export function entriesInRecord(lengths: readonly number[], room: number): number {
  let total = 0;
  for (const n of lengths) total += n;
  if (total <= room) return lengths.length;
  let used = CE_LENGTH;
  let i = 0;
  while (i < lengths.length && used + lengths[i] <= room) used += lengths[i++];
  return i;
}

export interface Area {
  block: number;
  offset: number;
  first: number;
  count: number;
  length: number;
}

/** Continuation blocks of one directory, filled front to back; areas never cross a block. */
export class ContinuationBlocks {
  private blocks: Buffer[] = [];
  private block = 0;
  private offset = 0;
  private used = false;

  /** @param baseLba LBA of the first continuation block */
  constructor(private readonly baseLba: number) {}

  /** Places entries of these lengths in chained areas. */
  place(lengths: readonly number[]): Area[] {
    this.used = true;
    const areas: Area[] = [];
    let i = 0;
    const need = (k: number) => lengths[k] + (k < lengths.length - 1 ? CE_LENGTH : 0);
    while (i < lengths.length) {
      if (this.offset + need(i) > SECTOR) {
        this.block++;
        this.offset = 0;
      }
      const area: Area = { block: this.block, offset: this.offset, first: i, count: 0, length: 0 };
      while (i < lengths.length && this.offset + area.length + need(i) <= SECTOR) {
        area.length += lengths[i++];
        area.count++;
      }
      if (i < lengths.length) area.length += CE_LENGTH;
      this.offset += area.length;
      areas.push(area);
    }
    return areas;
  }

  /** Writes the entries into the areas place() gave them, chained; returns the CE entry
   *  for the record. */
  fill(areas: readonly Area[], entries: readonly Buffer[]): Buffer {
    for (let k = 0; k < areas.length; k++) {
      const a = areas[k];
      const buf = this.blockBuffer(a.block);
      let off = a.offset;
      for (let e = a.first; e < a.first + a.count; e++) off += entries[e].copy(buf, off);
      if (k < areas.length - 1) {
        const next = areas[k + 1];
        ceEntry(this.baseLba + next.block, next.offset, next.length).copy(buf, off);
      }
    }
    return ceEntry(this.baseLba + areas[0].block, areas[0].offset, areas[0].length);
  }

  private blockBuffer(k: number): Buffer {
    while (this.blocks.length <= k) this.blocks.push(Buffer.alloc(SECTOR));
    return this.blocks[k];
  }

  /** Blocks used so far. */
  get count(): number {
    return this.used ? this.block + 1 : 0;
  }

  bytes(): Buffer {
    while (this.blocks.length < this.count) this.blocks.push(Buffer.alloc(SECTOR));
    return Buffer.concat(this.blocks);
  }
}
