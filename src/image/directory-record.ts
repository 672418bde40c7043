// Directory records (ECMA-119 §9.1) decoded from a directory sector. Pure: a record that
// is malformed gives a FormatProblem; the walker adds where it was found.
import { FormatProblem } from '../iso9660/format-problem.js';
import { decodeShortDate } from '../iso9660/dates.js';

export const FLAG_HIDDEN = 0x01;
export const FLAG_DIRECTORY = 0x02;
export const FLAG_MULTI_EXTENT = 0x80;

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
  const idLen = sector[off + 32];
  if (idLen === 0 || 33 + idLen > length) throw new FormatProblem(`directory record at offset ${off} has an identifier length of ${idLen} in a record of ${length} bytes`);
  if (sector[off + 26] !== 0 || sector[off + 27] !== 0) throw new FormatProblem(`directory record at offset ${off} describes an interleaved file, which is not supported`);
  const suStart = off + 33 + idLen + (idLen % 2 === 0 ? 1 : 0);
  return {
    length,
    extent: sector.readUInt32LE(off + 2),
    size: sector.readUInt32LE(off + 10),
    mtime: decodeShortDate(sector, off + 18),
    flags: sector[off + 25],
    identifier: sector.subarray(off + 33, off + 33 + idLen),
    systemUse: sector.subarray(Math.min(suStart, off + length), off + length),
  };
}

export function isDot(r: RawRecord): boolean {
  return r.identifier.length === 1 && r.identifier[0] === 0;
}

export function isDotDot(r: RawRecord): boolean {
  return r.identifier.length === 1 && r.identifier[0] === 1;
}

/** An ISO 9660 identifier as a name: version (`;1`) and a then trailing dot dropped, as
 *  libarchive does. Case is kept. */
export function isoName(identifier: Buffer, directory: boolean): string {
  let s = identifier.toString('latin1');
  if (!directory) {
    const semi = s.lastIndexOf(';');
    if (semi >= 0) s = s.slice(0, semi);
    if (s.endsWith('.')) s = s.slice(0, -1);
  }
  return s;
}

/** A Joliet identifier (UCS-2 big-endian, UTF-16 surrogates allowed) as raw UTF-8 bytes in
 *  a latin1 string; the `;1` version is dropped. */
export function jolietName(identifier: Buffer, directory: boolean): string {
  const ascii = asciiUcs2(identifier);
  let s = ascii ?? Buffer.from(identifier.subarray(0, identifier.length & ~1)).swap16().toString('utf16le');
  if (!directory) {
    const semi = s.lastIndexOf(';');
    if (semi >= 0 && /^;[0-9]+$/.test(s.slice(semi))) s = s.slice(0, semi);
  }
  // ASCII is its own UTF-8.
  return ascii !== null ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** A UCS-2 name that is all ASCII (most are), without the three buffers of the general path. */
function asciiUcs2(id: Buffer): string | null {
  let s = '';
  for (let k = 0; k + 1 < id.length; k += 2) {
    if (id[k] !== 0 || id[k + 1] >= 0x80) return null;
    s += String.fromCharCode(id[k + 1]);
  }
  return s;
}
