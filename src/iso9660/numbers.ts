// ECMA-119 §7 numeric fields. Writers fill both halves of both-endian fields identically.

// Several of these go into every directory record: bytes are stored directly, which costs
// a fraction of Buffer's checked write methods; the bounds are checked once.

/** Throws unless `bytes` bytes at `off` lie inside `b` (direct stores outside it are lost silently). */
export function checkRoom(b: Buffer, off: number, bytes: number, what = 'field'): void {
  if (!(off >= 0 && off + bytes <= b.length)) throw new RangeError(`a ${bytes}-byte ${what} at offset ${off} does not fit in ${b.length} bytes`);
}

/** 7.2.3: uint16 both-endian (LE then BE). */
export function put723(b: Buffer, off: number, v: number): void {
  if (!(v >= 0 && v <= 0xffff && Number.isInteger(v))) throw new RangeError(`${v} is not a 16-bit number`);
  checkRoom(b, off, 4);
  b[off] = v;
  b[off + 1] = v >>> 8;
  b[off + 2] = v >>> 8;
  b[off + 3] = v;
}

/** 7.3.3: uint32 both-endian (LE then BE); taken modulo 2^32, as `>>> 0` does. */
export function put733(b: Buffer, off: number, v: number): void {
  checkRoom(b, off, 8);
  const x = v >>> 0;
  b[off] = x;
  b[off + 1] = x >>> 8;
  b[off + 2] = x >>> 16;
  b[off + 3] = x >>> 24;
  b[off + 4] = x >>> 24;
  b[off + 5] = x >>> 16;
  b[off + 6] = x >>> 8;
  b[off + 7] = x;
}

/** Fixed-length a/d-character field: left-justified, space padded. */
export function putPaddedAscii(b: Buffer, off: number, len: number, s: string): void {
  b.fill(0x20, off, off + len);
  b.write(s.slice(0, len), off, len, 'latin1');
}

export function roundUp(n: number, unit: number): number {
  return Math.ceil(n / unit) * unit;
}
