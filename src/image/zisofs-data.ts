// A zisofs-compressed file's content, uncompressed, block by block (DESIGN §6): the header
// and pointer table are read and checked first, then each block is read and inflated when
// asked for. Memory is the pointer table (4 bytes per 32 KiB at most) and one block. Every
// problem — a missing header, a pointer outside the data, bad zlib, a block of the wrong
// length — is an ImageError naming the file, never a crash or a runaway allocation.
import { type ZfInfo, blockCount, decodeHeader, decodePointers, decompressBlock, ZISOFS_HEADER, ZisofsError, zfProblem } from '../iso9660/zisofs.js';
import type { DataExtent } from './entry.js';
import { ImageError } from './errors.js';
import type { SectorSource } from './sector-source.js';
import { SECTOR } from '../iso9660/constants.js';
import { FormatProblem } from '../iso9660/format-problem.js';

/** Reads `length` bytes at `offset` of a file's data (its sections in order). */
function readRange(source: SectorSource, extents: readonly DataExtent[], offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  let base = 0;
  for (const x of extents) {
    if (done === length) break;
    const at = offset + done;
    if (at < base + x.bytes) {
      const n = Math.min(length - done, base + x.bytes - at);
      source.readInto(out.subarray(done), x.lba * SECTOR + (at - base), n);
      done += n;
    }
    base += x.bytes;
  }
  if (done < length) throw new ZisofsError(`zisofs data ends at byte ${base}, ${offset + length} needed`);
  return out;
}

export interface ZisofsEntry {
  path: string;
  /** Where the compressed bytes are. */
  extents: readonly DataExtent[];
  zf: ZfInfo;
}

/** One zisofs file opened for reading its content at any offset (sequential reads inflate each block once). */
export class ZisofsFile {
  private blockIndex = -1;
  private block: Buffer = Buffer.alloc(0);
  private readonly blockSize: number;

  private constructor(
    private readonly source: SectorSource,
    private readonly entry: ZisofsEntry,
    private readonly pointers: number[],
    private readonly session: number | undefined,
  ) {
    this.blockSize = 2 ** entry.zf.blockLog2;
  }

  /** Reads and checks the header and pointer table; throws ImageError. */
  static open(source: SectorSource, entry: ZisofsEntry, session?: number): ZisofsFile {
    const { zf, extents } = entry;
    return guard(entry, session, () => {
      const problem = zfProblem(zf);
      if (problem) throw new ZisofsError(problem);
      if (zf.size === 0) return new ZisofsFile(source, entry, [], session);
      const stored = extents.reduce((n, x) => n + x.bytes, 0);
      const header = decodeHeader(readRange(source, extents, 0, Math.min(stored, ZISOFS_HEADER)));
      if (header.size !== zf.size) throw new ZisofsError(`zisofs file header says ${header.size} bytes, its ZF entry ${zf.size}`);
      const blocks = blockCount(zf.size, zf.blockLog2);
      const tableBytes = 4 * (blocks + 1);
      if (ZISOFS_HEADER + tableBytes > stored)
        throw new ZisofsError(`zisofs block pointer table of ${blocks + 1} entries runs past the file's ${stored} bytes of data`);
      const pointers = decodePointers(readRange(source, extents, ZISOFS_HEADER, tableBytes), blocks, stored, zf.blockLog2);
      return new ZisofsFile(source, entry, pointers, session);
    });
  }

  get size(): number {
    return this.entry.zf.size;
  }

  get blocks(): number {
    return Math.max(0, this.pointers.length - 1);
  }

  /** Uncompressed block `k` (valid until the next call). */
  blockAt(k: number): Buffer {
    if (k !== this.blockIndex) {
      const p = this.pointers;
      this.block = guard(this.entry, this.session, () =>
        decompressBlock(readRange(this.source, this.entry.extents, p[k], p[k + 1] - p[k]), Math.min(this.blockSize, this.size - k * this.blockSize), k),
      );
      this.blockIndex = k;
    }
    return this.block;
  }

  /** Copies `length` bytes of content from `offset` into `buf`. */
  readInto(buf: Buffer, offset: number, length: number): void {
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const k = Math.floor(at / this.blockSize);
      const b = this.blockAt(k);
      const within = at - k * this.blockSize;
      const n = Math.min(length - done, b.length - within);
      if (n <= 0) throw new ImageError(`reading past the end of the zisofs content (${this.size} bytes)`, { session: this.session, path: this.entry.path });
      b.copy(buf, done, within, within + n);
      done += n;
    }
  }
}

function guard<T>(entry: ZisofsEntry, session: number | undefined, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ZisofsError || err instanceof FormatProblem)
      throw new ImageError(err.message, { session, lba: entry.extents[0]?.lba, path: entry.path });
    throw err;
  }
}

/**
 * Calls `onChunk` with the uncompressed content of a zisofs file, one block at a time (each
 * chunk valid only during the call).
 */
export function readZisofsData(source: SectorSource, entry: ZisofsEntry, onChunk: (chunk: Buffer) => void, session?: number): void {
  const f = ZisofsFile.open(source, entry, session);
  for (let k = 0; k < f.blocks; k++) onChunk(f.blockAt(k));
}
