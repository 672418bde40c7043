// Directory records (ECMA-119 §9.1), both ways over one table of offsets (DR). Decoding is
// pure: a record that is malformed gives a FormatProblem; the walker adds where it was found.
import { decodeShortDate, encodeShortDate } from './dates.js';
import { FormatProblem } from './format-problem.js';
import { put723, put733 } from './numbers.js';

export const FLAG_HIDDEN = 0x01;
export const FLAG_DIRECTORY = 0x02;
export const FLAG_MULTI_EXTENT = 0x80;

/** Offsets inside a directory record (ECMA-119 §9.1). */
export const DR = {
  length: 0,
  extent: 2,
  size: 10,
  date: 18,
  flags: 25,
  unitSize: 26,
  gapSize: 27,
  volumeSequenceNumber: 28,
  identifierLength: 32,
  identifier: 33,
} as const;

export interface DirectoryRecord {
  extent: number;
  size: number;
  mtime: number;
  flags: number;
  identifier: Buffer;
  /** System Use entries, one after the other. */
  systemUse?: readonly Buffer[];
}

/** Bytes the record takes: even, a pad byte after an even-length identifier. */
export function recordLength(identifierLength: number, systemUseLength: number): number {
  const n = 33 + identifierLength + (identifierLength % 2 === 0 ? 1 : 0) + systemUseLength;
  return n + (n % 2);
}

/** Room left for System Use entries in a record of at most `max` bytes. */
export function systemUseRoom(identifierLength: number, max: number): number {
  return max - 33 - identifierLength - (identifierLength % 2 === 0 ? 1 : 0);
}

export function encodeDirectoryRecord(r: DirectoryRecord, out: Buffer, off: number): number {
  const idLen = r.identifier.length;
  let suLength = 0;
  if (r.systemUse) for (const e of r.systemUse) suLength += e.length;
  const len = recordLength(idLen, suLength);
  out.fill(0, off, off + len);
  out[off] = len;
  put733(out, off + DR.extent, r.extent);
  put733(out, off + DR.size, r.size);
  encodeShortDate(r.mtime, out, off + DR.date);
  out[off + DR.flags] = r.flags;
  put723(out, off + DR.volumeSequenceNumber, 1);
  out[off + DR.identifierLength] = idLen;
  r.identifier.copy(out, off + DR.identifier);
  let at = off + DR.identifier + idLen + (idLen % 2 === 0 ? 1 : 0);
  if (r.systemUse) for (const e of r.systemUse) at += e.copy(out, at);
  return len;
}

export const DOT = Buffer.from([0]);
export const DOTDOT = Buffer.from([1]);

// Decoding.

export interface RawRecord {
  /** LEN_DR: bytes this record takes in its sector. */
  length: number;
  extent: number;
  /** Data Length of this extent (one section of a multi-extent file). */
  size: number;
  mtime: number;
  flags: number;
  /** File identifier bytes (0x00 = `.`, 0x01 = `..`). */
  identifier: Buffer;
  /** System Use field (SUSP entries), a view into the sector. */
  systemUse: Buffer;
}

/**
 * The record at `off` of a directory sector, or null when the rest of the sector is
 * zero fill (LEN_DR 0: continue at the next sector).
 */
export function decodeRecord(sector: Buffer, off: number): RawRecord | null {
  const length = sector[off];
  if (length === 0) return null;
  if (length < 34) throw new FormatProblem(`directory record of ${length} bytes at offset ${off} is shorter than 34 bytes`);
  if (off + length > sector.length) throw new FormatProblem(`directory record at offset ${off} (${length} bytes) crosses the end of its sector`);
  const idLen = sector[off + DR.identifierLength];
  if (idLen === 0 || 33 + idLen > length)
    throw new FormatProblem(`directory record at offset ${off} has an identifier length of ${idLen} in a record of ${length} bytes`);
  if (sector[off + DR.unitSize] !== 0 || sector[off + DR.gapSize] !== 0)
    throw new FormatProblem(`directory record at offset ${off} describes an interleaved file, which is not supported`);
  const suStart = off + DR.identifier + idLen + (idLen % 2 === 0 ? 1 : 0);
  return {
    length,
    extent: sector.readUInt32LE(off + DR.extent),
    size: sector.readUInt32LE(off + DR.size),
    mtime: decodeShortDate(sector, off + DR.date),
    flags: sector[off + DR.flags],
    identifier: sector.subarray(off + DR.identifier, off + DR.identifier + idLen),
    systemUse: sector.subarray(Math.min(suStart, off + length), off + length),
  };
}

export function isDot(r: RawRecord): boolean {
  return r.identifier.length === 1 && r.identifier[0] === 0;
}

export function isDotDot(r: RawRecord): boolean {
  return r.identifier.length === 1 && r.identifier[0] === 1;
}
