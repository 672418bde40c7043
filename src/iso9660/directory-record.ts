// Directory records (ECMA-119 §9.1).
import { encodeShortDate } from './dates.js';
import { put723, put733 } from './numbers.js';

export const FLAG_DIRECTORY = 0x02;
export const FLAG_MULTI_EXTENT = 0x80;

export interface DirectoryRecord {
  extent: number;
  size: number;
  mtime: number;
  flags: number;
  identifier: Buffer;
  systemUse?: Buffer;
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
  const su = r.systemUse ?? Buffer.alloc(0);
  const idLen = r.identifier.length;
  const len = recordLength(idLen, su.length);
  out.fill(0, off, off + len);
  out[off] = len;
  put733(out, off + 2, r.extent);
  put733(out, off + 10, r.size);
  encodeShortDate(r.mtime, out, off + 18);
  out[off + 25] = r.flags;
  put723(out, off + 28, 1);
  out[off + 32] = idLen;
  r.identifier.copy(out, off + 33);
  su.copy(out, off + 33 + idLen + (idLen % 2 === 0 ? 1 : 0));
  return len;
}

export const DOT = Buffer.from([0]);
export const DOTDOT = Buffer.from([1]);
