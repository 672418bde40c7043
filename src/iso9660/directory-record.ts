// Directory records (ECMA-119 §9.1), both ways over one table of offsets (DR). Decoding is
// pure: a record that is malformed gives a FormatProblem; the walker adds where it was found.
import { decodeShortDate, encodeShortDate } from './dates.js';
import { FormatProblem } from './format-problem.js';
import { checkRoom, put723, put733 } from './numbers.js';

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
  let suLength = 0;
  if (r.systemUse) for (const e of r.systemUse) suLength += e.length;
  let at = encodeRecordHead(r, r.identifier, 0, r.identifier.length, suLength, out, off);
  if (r.systemUse) for (const e of r.systemUse) at += e.copy(out, at);
  return recordLength(r.identifier.length, suLength);
}

/** A record's fields without its System Use. */
export type RecordFields = Omit<DirectoryRecord, 'identifier' | 'systemUse'>;

/**
 * Writes a record at `off`: its fields, its identifier (bytes [idStart, idEnd) of `ids`)
 * and its pad bytes, all but its `systemUseLength` bytes of System Use, which the caller
 * writes at the offset returned, every one of them. For writers that put the System Use
 * entries straight into the sector.
 */
export function encodeRecordHead(r: RecordFields, ids: Buffer, idStart: number, idEnd: number, systemUseLength: number, out: Buffer, off: number): number {
  const idLen = idEnd - idStart;
  const len = recordLength(idLen, systemUseLength);
  checkRoom(out, off, len, 'record');
  // Every byte of the record is stored once: a directory has a record per child, and a
  // Buffer.fill per record costs more than its few bytes.
  out[off] = len;
  out[off + 1] = 0; // extended attribute record length
  put733(out, off + DR.extent, r.extent);
  put733(out, off + DR.size, r.size);
  encodeShortDate(r.mtime, out, off + DR.date);
  out[off + DR.flags] = r.flags;
  out[off + DR.unitSize] = 0;
  out[off + DR.gapSize] = 0;
  put723(out, off + DR.volumeSequenceNumber, 1);
  out[off + DR.identifierLength] = idLen;
  // Stored byte by byte: for identifiers of a few dozen bytes that costs less than a call
  // into Buffer.copy, and every record has one.
  for (let k = 0; k < idLen; k++) out[off + DR.identifier + k] = ids[idStart + k];
  // The pad byte after an even-length identifier, and a last pad to even after System Use.
  const systemUse = off + DR.identifier + idLen + (idLen % 2 === 0 ? 1 : 0);
  if (idLen % 2 === 0) out[systemUse - 1] = 0;
  if (systemUse + systemUseLength < off + len) out[off + len - 1] = 0;
  return systemUse;
}

export const DOT = Buffer.from([0]);
export const DOTDOT = Buffer.from([1]);

// Decoding.

/**
 * A directory record as decoded: its fields, and views into the sector it was read from
 * made only when asked for (decoding runs for every record of every directory).
 */
export class RawRecord {
  constructor(
    /** The sector (or any buffer) the record was decoded from. */
    readonly sector: Buffer,
    /** Where the record starts in `sector`. */
    readonly offset: number,
    /** LEN_DR: bytes this record takes in its sector. */
    readonly length: number,
    readonly extent: number,
    /** Data Length of this extent (one section of a multi-extent file). */
    readonly size: number,
    readonly flags: number,
    /** Bytes of the file identifier, which starts at `identifierStart` of `sector`. */
    readonly identifierLength: number,
    /** Where the System Use field (SUSP entries) starts in `sector`; it ends with the record. */
    readonly systemUseStart: number,
  ) {}

  /** Where the file identifier starts in `sector`. */
  get identifierStart(): number {
    return this.offset + DR.identifier;
  }

  /** File identifier bytes (0x00 = `.`, 0x01 = `..`), a view into the sector. */
  get identifier(): Buffer {
    return this.sector.subarray(this.identifierStart, this.identifierStart + this.identifierLength);
  }

  /** Recording date and time (seconds since the epoch; 0: not specified). */
  get mtime(): number {
    return decodeShortDate(this.sector, this.offset + DR.date);
  }

  /** The end of the System Use field in `sector`. */
  get systemUseEnd(): number {
    return this.offset + this.length;
  }

  /** The System Use field, a view into the sector. */
  get systemUse(): Buffer {
    return this.sector.subarray(this.systemUseStart, this.systemUseEnd);
  }
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
  return new RawRecord(
    sector,
    off,
    length,
    sector.readUInt32LE(off + DR.extent),
    sector.readUInt32LE(off + DR.size),
    sector[off + DR.flags],
    idLen,
    Math.min(suStart, off + length),
  );
}

export function isDot(r: RawRecord): boolean {
  return r.identifierLength === 1 && r.sector[r.identifierStart] === 0;
}

export function isDotDot(r: RawRecord): boolean {
  return r.identifierLength === 1 && r.sector[r.identifierStart] === 1;
}
