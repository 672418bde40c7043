// The files a session records MD5s for, as the tree check finds them, kept small.
import { endianness } from 'node:os';
import type { DataExtent } from '../image/entry.js';

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The regular files whose MD5 a session records (AAIP isofs.cx): extents and index in
 * typed arrays, so that a tree of a million files costs a few numbers and a path each.
 */
export class ChecksummedFiles {
  private lbas = new Float64Array(256);
  private sizes = new Float64Array(256);
  private indexes = new Float64Array(256);
  private readonly paths: string[] = [];
  /** Files of other than one extent (empty, multi-extent), by position. */
  private readonly odd = new Map<number, DataExtent[]>();

  get length(): number {
    return this.paths.length;
  }

  add(path: string, extents: DataExtent[], index: number): void {
    const k = this.paths.length;
    if (k === this.lbas.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.lbas = grow(this.lbas);
      this.sizes = grow(this.sizes);
      this.indexes = grow(this.indexes);
    }
    this.paths.push(path);
    this.indexes[k] = index;
    if (extents.length === 1) {
      this.lbas[k] = extents[0].lba;
      this.sizes[k] = extents[0].bytes;
    } else {
      this.lbas[k] = extents[0]?.lba ?? 0;
      this.sizes[k] = -1;
      this.odd.set(k, extents);
    }
  }

  /** True when file `k` has exactly one extent (lba(k), size(k)). */
  single(k: number): boolean {
    return this.sizes[k] >= 0;
  }

  /** Bytes of a single-extent file. */
  size(k: number): number {
    return this.sizes[k];
  }

  path(k: number): string {
    return this.paths[k];
  }

  index(k: number): number {
    return this.indexes[k];
  }

  /** LBA the file starts at (0 for an empty file). */
  lba(k: number): number {
    return this.lbas[k];
  }

  extents(k: number): DataExtent[] {
    return this.odd.get(k) ?? [{ lba: this.lbas[k], bytes: this.sizes[k] }];
  }

  /** Positions in the order of the files' first LBA, for reading front to back. */
  byLba(): Int32Array {
    const n = this.length;
    const order = new Int32Array(n);
    let sorted = true;
    for (let k = 0; k < n; k++) {
      order[k] = k;
      if (k > 0 && this.lbas[k] < this.lbas[k - 1]) sorted = false;
    }
    if (sorted) return order;
    // Sorted as 64-bit keys, LBA above position, written as two 32-bit halves: a native
    // sort without a comparator call per step; ties stay in tree order as before.
    const keys = new BigUint64Array(n);
    const halves = new Uint32Array(keys.buffer);
    const [low, high] = LITTLE_ENDIAN ? [0, 1] : [1, 0];
    for (let k = 0; k < n; k++) {
      halves[2 * k + low] = k;
      halves[2 * k + high] = this.lbas[k];
    }
    keys.sort();
    for (let k = 0; k < n; k++) order[k] = halves[2 * k + low];
    return order;
  }
}
