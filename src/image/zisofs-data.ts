// A zisofs-compressed file's content, uncompressed, block by block (DESIGN §6): the header
// and pointer table are read and checked first, then each block is read and inflated. Memory
// is the pointer table (4 bytes per 32 KiB at most) and one block. Every problem — a missing
// header, a pointer outside the data, bad zlib, a block of the wrong length — is an
// ImageError naming the file, never a crash or a runaway allocation.
import { type ZfInfo, blockCount, decodeHeader, decodePointers, decompressBlock, ZISOFS_HEADER, ZisofsError, zfProblem } from '../iso9660/zisofs.js';
import { type DataExtent } from './entry.js';
import { FormatProblem, ImageError } from './errors.js';
import { SECTOR, type SectorSource } from './sector-source.js';

/** Reads `length` bytes at `offset` of a file's data (its sections in order) into a buffer. */
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

/**
 * Calls `onChunk` with the uncompressed content of a zisofs file, one block at a time (each
 * chunk valid only during the call). `extents` hold the compressed bytes.
 */
export function readZisofsData(
  source: SectorSource,
  entry: { path: string; extents: readonly DataExtent[]; zf: ZfInfo },
  onChunk: (chunk: Buffer) => void,
  session?: number,
): void {
  const { zf, extents } = entry;
  const place = { session, lba: extents[0]?.lba, path: entry.path };
  try {
    const problem = zfProblem(zf);
    if (problem) throw new ZisofsError(problem);
    if (zf.size === 0) return;
    const stored = extents.reduce((n, x) => n + x.bytes, 0);
    const header = decodeHeader(readRange(source, extents, 0, Math.min(stored, ZISOFS_HEADER)));
    if (header.size !== zf.size) throw new ZisofsError(`zisofs file header says ${header.size} bytes, its ZF entry ${zf.size}`);
    const blocks = blockCount(zf.size, zf.blockLog2);
    const tableBytes = 4 * (blocks + 1);
    if (ZISOFS_HEADER + tableBytes > stored) throw new ZisofsError(`zisofs block pointer table of ${blocks + 1} entries runs past the file's ${stored} bytes of data`);
    const pointers = decodePointers(readRange(source, extents, ZISOFS_HEADER, tableBytes), blocks, stored, zf.blockLog2);
    const bs = 2 ** zf.blockLog2;
    for (let k = 0; k < blocks; k++) {
      const data = readRange(source, extents, pointers[k], pointers[k + 1] - pointers[k]);
      onChunk(decompressBlock(data, Math.min(bs, zf.size - k * bs), k));
    }
  } catch (err) {
    if (err instanceof ZisofsError || err instanceof FormatProblem) throw new ImageError(err.message, place);
    throw err;
  }
}
