// iso-pack -z: one file compressed as its data streams past (zisofs v1). The block pointer
// table precedes the blocks, so the compressed blocks are held until the file ends, up to
// a bound; the tar header gives the size, so the table's length is known from the start.
// A file gives up and is stored plain when its compressed form would pass the bound, when
// it does not shrink (checked as it goes, so incompressible data is not compressed to the
// end), or when at the end it would not take fewer sectors. The blocks held so far are then
// inflated back and written plain: memory is the bound, never the file.
import { SECTOR } from '../iso9660/constants.js';
import { blockCount, compressBlock, decompressBlock, encodeHeader, encodePointers, tableEnd, type ZfInfo, ZISOFS_HEADER } from '../iso9660/zisofs.js';

/** Blocks compressed before the running ratio is judged. */
const JUDGE_AFTER_BLOCKS = 4;

export interface ZisofsOptions {
  blockLog2: number;
  /** Bytes of compressed data one file may hold in memory. */
  holdLimit: number;
}

export class ZisofsCompressor {
  private readonly bs: number;
  private readonly block: Buffer;
  private fill = 0;
  private readonly blocks: Buffer[] = [];
  private held = 0;
  private raw = 0;
  /** Set once the file is going plain. */
  gaveUp = false;

  constructor(
    readonly size: number,
    private readonly opt: ZisofsOptions,
  ) {
    this.bs = 2 ** opt.blockLog2;
    this.block = Buffer.allocUnsafe(Math.min(this.bs, size));
  }

  /** Takes a piece of the file; false when the file has just given up (then call plain()). */
  push(chunk: Buffer): boolean {
    let done = 0;
    while (done < chunk.length) {
      const n = Math.min(chunk.length - done, this.block.length - this.fill);
      chunk.copy(this.block, this.fill, done, done + n);
      this.fill += n;
      done += n;
      if (this.fill === this.block.length || this.raw + this.fill === this.size) {
        if (!this.compress()) {
          this.pending = chunk.subarray(done);
          return false;
        }
      }
    }
    return true;
  }

  /** The rest of the chunk that made the file give up, still to be written plain. */
  pending: Buffer = Buffer.alloc(0);

  private compress(): boolean {
    // A copy: zlib's result is a view of a 16 KiB buffer, which would stay alive with it.
    const c = Buffer.from(compressBlock(this.block.subarray(0, this.fill)));
    this.blocks.push(c);
    this.held += c.length;
    this.raw += this.fill;
    this.fill = 0;
    const tooBig = this.held + tableEnd(this.size, this.opt.blockLog2) > this.opt.holdLimit;
    const notShrinking = this.blocks.length >= JUDGE_AFTER_BLOCKS && this.held >= this.raw;
    if (tooBig || notShrinking) this.gaveUp = true;
    return !this.gaveUp;
  }

  /**
   * The file's bytes as it will be stored plain so far (the held blocks inflated back, then
   * the rest of the chunk that gave up). Frees what was held.
   */
  *plain(): Generator<Buffer> {
    this.gaveUp = true;
    for (let k = 0; k < this.blocks.length; k++) {
      const b = this.blocks[k];
      this.blocks[k] = Buffer.alloc(0);
      yield decompressBlock(b, Math.min(this.bs, this.size - k * this.bs), k);
    }
    this.blocks.length = 0;
    if (this.fill) yield Buffer.from(this.block.subarray(0, this.fill));
    if (this.pending.length) yield this.pending;
    this.pending = Buffer.alloc(0);
  }

  /**
   * After the whole file: the zisofs form (header, pointer table, blocks) and its ZF fields,
   * or null when stored plain it takes no more sectors (then call plain()).
   */
  finish(): { parts: Buffer[]; bytes: number; zf: ZfInfo } | null {
    if (this.gaveUp || this.raw !== this.size) return null;
    const n = blockCount(this.size, this.opt.blockLog2);
    const pointers = [tableEnd(this.size, this.opt.blockLog2)];
    for (let k = 0; k < n; k++) pointers.push(pointers[k] + this.blocks[k].length);
    const bytes = pointers[n];
    if (Math.ceil(bytes / SECTOR) >= Math.ceil(this.size / SECTOR)) return null;
    return {
      parts: [encodeHeader(this.size, this.opt.blockLog2), encodePointers(pointers), ...this.blocks],
      bytes,
      zf: { algorithm: 'pz', headerSize: ZISOFS_HEADER, blockLog2: this.opt.blockLog2, size: this.size },
    };
  }
}
