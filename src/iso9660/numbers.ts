// ECMA-119 §7 numeric fields. Writers fill both halves of both-endian fields identically.

/** 7.2.3: uint16 both-endian (LE then BE). */
export function put723(b: Buffer, off: number, v: number): void {
  b.writeUInt16LE(v, off);
  b.writeUInt16BE(v, off + 2);
}

/** 7.3.3: uint32 both-endian (LE then BE). */
export function put733(b: Buffer, off: number, v: number): void {
  b.writeUInt32LE(v >>> 0, off);
  b.writeUInt32BE(v >>> 0, off + 4);
}

/** Fixed-length a/d-character field: left-justified, space padded. */
export function putPaddedAscii(b: Buffer, off: number, len: number, s: string): void {
  b.fill(0x20, off, off + len);
  b.write(s.slice(0, len), off, len, 'latin1');
}

export function roundUp(n: number, unit: number): number {
  return Math.ceil(n / unit) * unit;
}
