// The old tree's paths, numbered in the order they were added, and found again by path.
// Held as latin1 bytes in one buffer with an open-addressing hash table over typed arrays,
// not as a JS string each in a Map: a large tree then costs its path bytes and 16 bytes an
// entry, none of it objects the garbage collector copies while the tree is read.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over a path's bytes (latin1: one byte per character). */
function hashText(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ (s.charCodeAt(i) & 0xff), FNV_PRIME);
  return h >>> 0;
}

/** Writes `s`'s bytes at `at` of `bytes` and returns hashText(s), in one pass: for paths of
 *  a few dozen bytes a loop costs less than the call into Buffer.write. */
function storeHashed(bytes: Buffer, at: number, s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    bytes[at + i] = c;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h >>> 0;
}

export class PathIndex {
  private count = 0;
  private bytes = Buffer.allocUnsafe(1 << 16);
  /** Where path n starts in `bytes`; path n ends where path n+1 starts. */
  private starts = new Uint32Array(1025);
  private hashes = new Uint32Array(1024);
  /** Slots of n+1 for path n, 0 for free; at most half full. */
  private slots = new Uint32Array(2048);

  get size(): number {
    return this.count;
  }

  /** Adds `path` as number `size`; a path added again is found at its newest number. */
  add(path: string): void {
    const n = this.count;
    if (n + 1 === this.hashes.length) this.growEntries();
    if (2 * (n + 1) > this.slots.length) this.rehash(this.slots.length * 2);
    const start = this.starts[n];
    if (start + path.length > this.bytes.length) this.growBytes(start + path.length);
    const h = storeHashed(this.bytes, start, path);
    this.starts[n + 1] = start + path.length;
    this.hashes[n] = h;
    this.slots[this.slotOf(path, h)] = n + 1;
    this.count = n + 1;
  }

  /** The number of `path`, or undefined. */
  find(path: string): number | undefined {
    const slot = this.slots[this.slotOf(path, hashText(path))];
    return slot === 0 ? undefined : slot - 1;
  }

  /** Path number `n`. */
  path(n: number): string {
    return this.bytes.toString('latin1', this.starts[n], this.starts[n + 1]);
  }

  /** The slot holding `path` (hash `h`), or the free slot where it would go. */
  private slotOf(path: string, h: number): number {
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const held = this.slots[s];
      if (held === 0 || (this.hashes[held - 1] === h && this.equals(held - 1, path))) return s;
    }
  }

  private equals(n: number, path: string): boolean {
    const start = this.starts[n];
    if (this.starts[n + 1] - start !== path.length) return false;
    for (let i = 0; i < path.length; i++) if (this.bytes[start + i] !== (path.charCodeAt(i) & 0xff)) return false;
    return true;
  }

  /** Whether paths `a` and `b` are the same (hash first, then bytes). */
  private sameEntries(a: number, b: number): boolean {
    if (this.hashes[a] !== this.hashes[b]) return false;
    const bytes = this.bytes;
    return bytes.subarray(this.starts[a], this.starts[a + 1]).equals(bytes.subarray(this.starts[b], this.starts[b + 1]));
  }

  private growBytes(atLeast: number): void {
    let size = this.bytes.length * 2;
    while (size < atLeast) size *= 2;
    const bytes = Buffer.allocUnsafe(size);
    this.bytes.copy(bytes, 0, 0, this.starts[this.count]);
    this.bytes = bytes;
  }

  private growEntries(): void {
    const starts = new Uint32Array(this.starts.length * 2);
    starts.set(this.starts);
    this.starts = starts;
    const hashes = new Uint32Array(this.hashes.length * 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  private rehash(size: number): void {
    const slots = new Uint32Array(size);
    const mask = size - 1;
    // In order, so that a path added twice keeps its newest number.
    for (let n = 0; n < this.count; n++) {
      let s = this.hashes[n] & mask;
      while (slots[s] !== 0 && !this.sameEntries(slots[s] - 1, n)) s = (s + 1) & mask;
      slots[s] = n + 1;
    }
    this.slots = slots;
  }
}
