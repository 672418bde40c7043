// Splits a record's System Use entries between the record and continuation areas, and
// places those areas in the blocks that follow a directory (DESIGN §3, reference §4.1).
import { SECTOR } from '../iso9660/constants.js';
import { CE_LENGTH, ceEntry } from '../iso9660/rockridge.js';

export interface SystemUseSplit {
  inRecord: Buffer[];
  /** Entries for continuation areas; empty when everything fits in the record. */
  overflow: Buffer[];
}

function total(entries: readonly Buffer[]): number {
  let n = 0;
  for (const e of entries) n += e.length;
  return n;
}

/** Keeps as many leading entries in the record as fit next to a CE entry. */
export function splitSystemUse(entries: Buffer[], room: number): SystemUseSplit {
  if (total(entries) <= room) return { inRecord: entries, overflow: [] };
  let used = CE_LENGTH;
  let i = 0;
  while (i < entries.length && used + entries[i].length <= room) used += entries[i++].length;
  return { inRecord: entries.slice(0, i), overflow: entries.slice(i) };
}

interface Area {
  block: number;
  offset: number;
  entries: Buffer[];
  length: number;
}

/** Continuation blocks of one directory, filled front to back; areas never cross a block. */
export class ContinuationBlocks {
  private blocks: Buffer[] = [];
  private block = 0;
  private offset = 0;

  /** @param baseLba LBA of the first continuation block (0 while only sizing). */
  constructor(private readonly baseLba: number) {}

  /** Places `entries` in one or more chained areas; returns the CE entry for the record. */
  place(entries: Buffer[]): Buffer {
    const areas: Area[] = [];
    let i = 0;
    while (i < entries.length) {
      const need = (k: number) => entries[k].length + (k < entries.length - 1 ? CE_LENGTH : 0);
      if (this.offset + need(i) > SECTOR) {
        this.block++;
        this.offset = 0;
      }
      const area: Area = { block: this.block, offset: this.offset, entries: [], length: 0 };
      while (i < entries.length && this.offset + area.length + need(i) <= SECTOR) {
        area.entries.push(entries[i]);
        area.length += entries[i++].length;
      }
      if (i < entries.length) area.length += CE_LENGTH;
      this.offset += area.length;
      areas.push(area);
    }
    for (let k = 0; k < areas.length; k++) {
      const a = areas[k];
      const buf = this.blockBuffer(a.block);
      let off = a.offset;
      for (const e of a.entries) off += e.copy(buf, off);
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

  get count(): number {
    return this.blocks.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.blocks);
  }
}
