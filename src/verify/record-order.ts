// Whether two directory records follow each other in a valid order. ECMA-119 §9.3 sorts by
// name, then extension (each padded with spaces), then version descending; libisofs sorts
// by the plain bytes of the identifier without its version, which agrees for d-characters
// but not for every byte. Readers scan directories linearly, so a record is reported out
// of order only when it breaks both rules. Joliet applies the same rules to UCS-2 units.
import { FLAG_DIRECTORY, type RawRecord } from '../iso9660/directory-record.js';

/** Code units of an identifier: bytes (ISO 9660) or big-endian 16-bit units (Joliet). */
function units(id: Buffer, joliet: boolean): number[] {
  const out: number[] = [];
  if (joliet) for (let i = 0; i + 1 < id.length; i += 2) out.push(id.readUInt16BE(i));
  else for (const b of id) out.push(b);
  return out;
}

interface Parts {
  /** Name and extension split at the first dot and at the last dot (writers differ when a
   *  name holds several). */
  first: [number[], number[]];
  last: [number[], number[]];
  version: number;
  /** The identifier without its version, for the byte-order rule. */
  bare: number[];
}

const DOT = 0x2e;
const SEMI = 0x3b;

function parts(id: Buffer, dir: boolean, joliet: boolean): Parts {
  const u = units(id, joliet);
  if (dir) return { first: [u, []], last: [u, []], version: 0, bare: u };
  const semi = u.lastIndexOf(SEMI);
  let version = 0;
  let bare = u;
  if (semi >= 0) {
    const digits = u.slice(semi + 1);
    if (digits.length > 0 && digits.every((c) => c >= 0x30 && c <= 0x39)) {
      version = Number(String.fromCharCode(...digits));
      bare = u.slice(0, semi);
    }
  }
  const split = (dot: number): [number[], number[]] => (dot < 0 ? [bare, []] : [bare.slice(0, dot), bare.slice(dot + 1)]);
  return { first: split(bare.indexOf(DOT)), last: split(bare.lastIndexOf(DOT)), version, bare };
}

function unitAt(id: Buffer, i: number, joliet: boolean): number {
  return joliet ? (id[i] << 8) | id[i + 1] : id[i];
}

/** Bytes of the identifier of `length` bytes at `start` of `id` before its `;version`. */
function bareLength(id: Buffer, start: number, length: number, dir: boolean, joliet: boolean): number {
  if (dir) return length;
  const step = joliet ? 2 : 1;
  let k = length - step;
  while (k >= 0 && unitAt(id, start + k, joliet) >= 0x30 && unitAt(id, start + k, joliet) <= 0x39) k -= step;
  return k >= 0 && k < length - step && unitAt(id, start + k, joliet) === SEMI ? k : length;
}

/** Byte order of the `la` bytes at `as` of `a` against the `lb` at `bs` of `b` (Buffer.compare, no views). */
function compareHeads(a: Buffer, as: number, la: number, b: Buffer, bs: number, lb: number): number {
  const n = Math.min(la, lb);
  for (let i = 0; i < n; i++) if (a[as + i] !== b[bs + i]) return a[as + i] - b[bs + i];
  return la - lb;
}

function comparePadded(a: number[], b: number[]): number {
  const len = Math.max(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const x = i < a.length ? a[i] : 0x20;
    const y = i < b.length ? b[i] : 0x20;
    if (x !== y) return x - y;
  }
  return 0;
}

function compareBytes(a: number[], b: number[]): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * True when a record with identifier `b` may follow one with identifier `a` in the same
 * directory (equal identifiers are the sections of a multi-extent file).
 */
export function inOrder(a: Buffer, aDir: boolean, b: Buffer, bDir: boolean, joliet: boolean): boolean {
  return inOrderAt(a, 0, a.length, aDir, b, 0, b.length, bDir, joliet);
}

/** inOrder for two directory records, their identifiers read where they lie in their sectors. */
export function recordsInOrder(a: RawRecord, b: RawRecord, joliet: boolean): boolean {
  const aDir = (a.flags & FLAG_DIRECTORY) !== 0;
  const bDir = (b.flags & FLAG_DIRECTORY) !== 0;
  return inOrderAt(a.sector, a.identifierStart, a.identifierLength, aDir, b.sector, b.identifierStart, b.identifierLength, bDir, joliet);
}

/** inOrder for the identifiers of `la` bytes at `as` of `a` and `lb` bytes at `bs` of `b`. */
function inOrderAt(a: Buffer, as: number, la: number, aDir: boolean, b: Buffer, bs: number, lb: number, bDir: boolean, joliet: boolean): boolean {
  // Fast path, right for nearly every directory: the identifiers without their versions
  // are in plain byte order (for Joliet, big-endian units compare as bytes).
  const c = compareHeads(a, as, bareLength(a, as, la, aDir, joliet), b, bs, bareLength(b, bs, lb, bDir, joliet));
  if (c < 0 || compareHeads(a, as, la, b, bs, lb) === 0) return true;
  const pa = parts(a.subarray(as, as + la), aDir, joliet);
  const pb = parts(b.subarray(bs, bs + lb), bDir, joliet);
  for (const k of ['first', 'last'] as const) {
    const ecma = comparePadded(pa[k][0], pb[k][0]) || comparePadded(pa[k][1], pb[k][1]) || pb.version - pa.version;
    if (ecma < 0) return true;
  }
  return compareBytes(pa.bare, pb.bare) < 0;
}
