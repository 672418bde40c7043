// zisofs (H. Peter Anvin's format, Rock Ridge entry ZF, algorithm 'pz'): the ZF entry, the
// 16-byte file header and the block pointer table, both directions, and one block's
// compression. Pure bytes in, bytes out: the reader and the writer do the I/O.
//
// A compressed file's data on the medium:
//   header   magic 37 E4 53 96 C9 DB D6 07, uncompressed size (4 bytes LE),
//            header size / 4 (= 4), log2 of the block size (15..17), 2 zero bytes
//   pointers (blocks + 1) little-endian 4-byte offsets from the start of the file data;
//            block k is bytes [p[k], p[k+1]), a zlib stream; an empty block is all zeros
//   blocks
// The ZF entry repeats the algorithm, header size, block size and uncompressed size.
// zisofs2 (xorriso's 'PZ' in ZF or a Z2 entry, 64-bit pointers) is recognised and refused.
import { deflateSync, inflateSync, constants as zc } from 'node:zlib';
import { put733 } from './numbers.js';
import { SECTOR } from './constants.js';

export const ZF_LENGTH = 16;
export const ZISOFS_MAGIC = Buffer.from([0x37, 0xe4, 0x53, 0x96, 0xc9, 0xdb, 0xd6, 0x07]);
export const ZISOFS_HEADER = 16;
/** Block sizes the kernel accepts (rock.c/compress.c: 2^15 to 2^17). */
export const MIN_BLOCK_LOG2 = 15;
export const MAX_BLOCK_LOG2 = 17;
/** The default, as mkzftree and xorriso. */
export const DEFAULT_BLOCK_LOG2 = 15;
/** zlib level iso-pack writes (xorriso's default): fixed, so that the bytes are reproducible. */
export const ZISOFS_LEVEL = 6;
/** zisofs v1 records a 32-bit uncompressed size. */
export const MAX_ZISOFS_SIZE = 0xffffffff;

export class ZisofsError extends Error {
  override name = 'ZisofsError';
}

/** What a ZF entry says (and what travels in the pax record ISOPIPE.zisofs). */
export interface ZfInfo {
  /** 'pz' (zisofs v1); anything else is refused when the data is read. */
  algorithm: string;
  /** Header size in bytes (ZF stores it in 4-byte units). */
  headerSize: number;
  blockLog2: number;
  /** Uncompressed size in bytes. */
  size: number;
}

/** The ZF entry, 16 bytes: 'pz', header size / 4, log2 block size, size as both-endian 32 bits. */
export function encodeZf(zf: ZfInfo): Buffer {
  const b = Buffer.alloc(ZF_LENGTH);
  b.write('ZF', 0, 'latin1');
  b[2] = ZF_LENGTH;
  b[3] = 1;
  b.write(zf.algorithm.slice(0, 2), 4, 'latin1');
  b[6] = zf.headerSize >> 2;
  b[7] = zf.blockLog2;
  put733(b, 8, zf.size);
  return b;
}

/** Decodes the ZF entry of `len` bytes at `off` in `a`; null when too short to mean anything. */
export function decodeZf(a: Buffer, off: number, len: number): ZfInfo | null {
  if (len < 16) return null;
  return { algorithm: a.toString('latin1', off + 4, off + 6), headerSize: a[off + 6] * 4, blockLog2: a[off + 7], size: a.readUInt32LE(off + 8) };
}

/** The pax form of a ZF entry: `pz,16,15,SIZE`. */
export function formatZf(zf: ZfInfo): string {
  return `${zf.algorithm},${zf.headerSize},${zf.blockLog2},${zf.size}`;
}

/** Parses `formatZf` text; throws ZisofsError for anything else. */
export function parseZf(text: string): ZfInfo {
  const m = /^([\x21-\x7e]{2}),([0-9]+),([0-9]+),([0-9]+)$/.exec(text);
  if (!m) throw new ZisofsError(`malformed zisofs record ${JSON.stringify(text)} (ALG,HEADER,LOG2,SIZE expected)`);
  const zf = { algorithm: m[1], headerSize: Number(m[2]), blockLog2: Number(m[3]), size: Number(m[4]) };
  const problem = zfProblem(zf);
  if (problem) throw new ZisofsError(problem);
  return zf;
}

/** zisofs2's algorithm names (libisofs doc/zisofs2_format.txt); 'Z2' stands for its own entry. */
const ZISOFS2_ALGORITHMS = ['PZ', 'XZ', 'L4', 'ZD', 'B2'];

/** Why a ZF entry cannot be read as zisofs v1, or null when it can. */
export function zfProblem(zf: ZfInfo): string | null {
  if (zf.algorithm === 'Z2' || ZISOFS2_ALGORITHMS.includes(zf.algorithm))
    return `zisofs2 compression (${zf.algorithm}) is not supported, only zisofs v1 (pz): extract the file with xorriso -osirrox on`;
  if (zf.algorithm === '') return 'ZF entry shorter than 16 bytes';
  if (zf.algorithm !== 'pz') return `unknown zisofs algorithm ${JSON.stringify(zf.algorithm)} in its ZF entry`;
  if (zf.headerSize !== ZISOFS_HEADER) return `zisofs header size ${zf.headerSize} in its ZF entry (16 expected)`;
  if (zf.blockLog2 < MIN_BLOCK_LOG2 || zf.blockLog2 > MAX_BLOCK_LOG2) return `zisofs block size 2^${zf.blockLog2} in its ZF entry (2^15 to 2^17 expected)`;
  if (!Number.isSafeInteger(zf.size) || zf.size < 0 || zf.size > MAX_ZISOFS_SIZE) return `zisofs uncompressed size ${zf.size} out of range`;
  return null;
}

export function blockCount(size: number, blockLog2: number): number {
  return Math.ceil(size / 2 ** blockLog2);
}

/** Bytes of header and pointer table before the first block. */
export function tableEnd(size: number, blockLog2: number): number {
  return ZISOFS_HEADER + 4 * (blockCount(size, blockLog2) + 1);
}

export function encodeHeader(size: number, blockLog2: number): Buffer {
  const b = Buffer.alloc(ZISOFS_HEADER);
  ZISOFS_MAGIC.copy(b, 0);
  b.writeUInt32LE(size, 8);
  b[12] = ZISOFS_HEADER >> 2;
  b[13] = blockLog2;
  return b;
}

/** The file header's fields; throws ZisofsError when it is not a zisofs v1 header. */
export function decodeHeader(b: Buffer): { size: number; headerSize: number; blockLog2: number } {
  if (b.length < ZISOFS_HEADER || !b.subarray(0, 8).equals(ZISOFS_MAGIC))
    throw new ZisofsError('no zisofs file header (magic number) at the start of the data');
  return { size: b.readUInt32LE(8), headerSize: b[12] * 4, blockLog2: b[13] };
}

export function encodePointers(pointers: readonly number[]): Buffer {
  const b = Buffer.alloc(4 * pointers.length);
  pointers.forEach((p, k) => b.writeUInt32LE(p, 4 * k));
  return b;
}

/**
 * The block pointer table of a file whose data holds `dataBytes` bytes, checked: each
 * pointer at or after the table, none decreasing, none past the data, no block longer than
 * zlib can make of one block. Throws ZisofsError naming the first bad pointer.
 */
export function decodePointers(b: Buffer, blocks: number, dataBytes: number, blockLog2: number): number[] {
  if (b.length < 4 * (blocks + 1)) throw new ZisofsError(`zisofs block pointer table of ${blocks + 1} entries runs past the file's data`);
  const first = ZISOFS_HEADER + 4 * (blocks + 1);
  const longest = maxCompressedBlock(blockLog2);
  const out: number[] = [];
  for (let k = 0; k <= blocks; k++) {
    const p = b.readUInt32LE(4 * k);
    if (p < first || p > dataBytes) throw new ZisofsError(`zisofs block pointer ${k} (${p}) lies outside the file's data (${first} to ${dataBytes})`);
    if (k > 0 && p < out[k - 1]) throw new ZisofsError(`zisofs block pointer ${k} (${p}) lies before the one before it (${out[k - 1]})`);
    if (k > 0 && p - out[k - 1] > longest)
      throw new ZisofsError(`zisofs block ${k - 1} of ${p - out[k - 1]} bytes is longer than any compressed block (${longest})`);
    out.push(p);
  }
  return out;
}

/** zlib's worst case for one block (deflateBound, generously): a longer block is hostile. */
function maxCompressedBlock(blockLog2: number): number {
  const n = 2 ** blockLog2;
  return n + (n >> 8) + 64;
}

/** One block, zlib-compressed at the fixed level; an all-zero block is stored as nothing. */
export function compressBlock(block: Buffer): Buffer {
  if (isZero(block)) return Buffer.alloc(0);
  return deflateSync(block, { level: ZISOFS_LEVEL, memLevel: 9, strategy: zc.Z_DEFAULT_STRATEGY });
}

/**
 * One block back: `expected` bytes (the block size, less for the last block). An empty
 * block is zeros. Bad zlib data, or a block that inflates to another length, throws.
 */
export function decompressBlock(data: Buffer, expected: number, index: number): Buffer {
  if (data.length === 0) return Buffer.alloc(expected);
  let out: Buffer;
  try {
    // maxOutputLength bounds a hostile block (a "zip bomb") to one block's worth.
    out = inflateSync(data, { maxOutputLength: Math.max(expected, 1) });
  } catch (err) {
    throw new ZisofsError(`zisofs block ${index} does not inflate (${(err as Error).message})`);
  }
  if (out.length !== expected) throw new ZisofsError(`zisofs block ${index} inflates to ${out.length} bytes, ${expected} expected`);
  return out;
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * A whole file compressed (header, pointers, blocks), or null when that would not be
 * shorter in sectors than the file stored plain (mkisofs keeps such files plain).
 */
export function compressFile(data: Buffer, blockLog2 = DEFAULT_BLOCK_LOG2, sector = SECTOR): Buffer | null {
  if (data.length === 0 || data.length > MAX_ZISOFS_SIZE) return null;
  const bs = 2 ** blockLog2;
  const blocks = blockCount(data.length, blockLog2);
  const parts: Buffer[] = [];
  const pointers: number[] = [tableEnd(data.length, blockLog2)];
  for (let k = 0; k < blocks; k++) {
    const c = compressBlock(data.subarray(k * bs, Math.min(data.length, (k + 1) * bs)));
    parts.push(c);
    pointers.push(pointers[k] + c.length);
  }
  const total = pointers[blocks];
  if (Math.ceil(total / sector) >= Math.ceil(data.length / sector)) return null;
  return Buffer.concat([encodeHeader(data.length, blockLog2), encodePointers(pointers), ...parts], total);
}

/** A whole compressed file back (for tests and small files; the reader goes block by block). */
export function decompressFile(data: Buffer, zf: ZfInfo): Buffer {
  const problem = zfProblem(zf);
  if (problem) throw new ZisofsError(problem);
  const h = decodeHeader(data);
  const blocks = blockCount(zf.size, zf.blockLog2);
  const p = decodePointers(data.subarray(ZISOFS_HEADER), blocks, data.length, zf.blockLog2);
  if (h.size !== zf.size) throw new ZisofsError(`zisofs file header says ${h.size} bytes, its ZF entry ${zf.size}`);
  const bs = 2 ** zf.blockLog2;
  const out: Buffer[] = [];
  for (let k = 0; k < blocks; k++) out.push(decompressBlock(data.subarray(p[k], p[k + 1]), Math.min(bs, zf.size - k * bs), k));
  return Buffer.concat(out, zf.size);
}
