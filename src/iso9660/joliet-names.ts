// Joliet identifiers: UCS-2 big-endian (UTF-16 surrogate pairs for characters beyond the
// BMP, as xorriso's joliet_utf16), at most 64 code units (103 with --joliet-long).
// Longer names are cut keeping the extension and made unique with `~N`; no file is dropped.
import { comparePadded, firstFreeMangled, NameSpace } from './iso-names.js';

export const JOLIET_MAX = 64;
export const JOLIET_LONG_MAX = 103;
/** An extension longer than this is not worth keeping when a name must be cut. */
const MAX_KEPT_EXT = 16;

const FORBIDDEN = /[\u0000-\u001f*/:;?\\]/g;

export interface JolietName {
  text: string;
  /** True when the name differs from the Rock Ridge name (cut or characters replaced). */
  changed: boolean;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** A raw-byte name (a latin1 string) as the UTF-16 text a Joliet name starts from: invalid
 *  UTF-8 becomes U+FFFD. ASCII is its own UTF-8, and nearly every name is ASCII. */
export function jolietText(rawName: string): string {
  return NON_ASCII.test(rawName) ? Buffer.from(rawName, 'latin1').toString('utf8') : rawName;
}

/** Cuts a UTF-16 string to at most `max` code units without splitting a surrogate pair. */
function cutUnits(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}

/** A name cut to `max` units with room for `tag` (e.g. `~3`) before its extension, split
 *  around the tag. */
function cutAround(name: string, isDir: boolean, max: number, tagLength: number): [string, string] {
  const dot = isDir ? -1 : name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= MAX_KEPT_EXT + 1 ? name.slice(dot) : '';
  const base = ext ? name.slice(0, dot) : name;
  return [cutUnits(base, max - ext.length - tagLength), ext];
}

/** Unique Joliet names for the children of one directory, in input order: names that fit
 *  first, then the others cut, with `~N` (the smallest N that is free) where needed. */
export function assignJolietNames(names: readonly { name: string; isDir: boolean }[], max: number): JolietName[] {
  const out: JolietName[] = new Array(names.length);
  const taken = new NameSpace();
  const pending: number[] = [];
  names.forEach((n, i) => {
    const clean = n.name.replace(FORBIDDEN, '_');
    if (clean === n.name && clean.length <= max && taken.claim(clean)) {
      out[i] = { text: clean, changed: false };
    } else pending.push(i);
  });
  for (const i of pending) {
    const n = names[i];
    const clean = n.name.replace(FORBIDDEN, '_');
    const [base, ext] = cutAround(clean, n.isDir, max, 0);
    let text = base + ext;
    if (!taken.claim(text)) {
      text = firstFreeMangled(taken, (digits) => {
        const [b, e] = cutAround(clean, n.isDir, max, 1 + digits);
        return [`${b}~`, e];
      });
      taken.add(text);
    }
    out[i] = { text, changed: true };
  }
  return out;
}

export function jolietIdentifier(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

function splitExt(text: string, isDir: boolean): [string, string] {
  const dot = isDir ? -1 : text.lastIndexOf('.');
  return dot >= 0 ? [text.slice(0, dot), text.slice(dot + 1)] : [text, ''];
}

/** ECMA-119 §9.3 order applied to UCS-2 code units. */
export function compareJolietNames(a: string, aDir: boolean, b: string, bDir: boolean): number {
  const [an, ae] = splitExt(a, aDir);
  const [bn, be] = splitExt(b, bDir);
  return comparePadded(an, bn) || comparePadded(ae, be);
}

/** The indexes of `names` in compareJolietNames order (ties in input order). Each name is
 *  split once, not at every comparison: a directory of n names is compared n log n times. */
export function jolietOrder(names: readonly string[], isDir: readonly boolean[]): number[] {
  const bases: string[] = new Array(names.length);
  const exts: string[] = new Array(names.length);
  const order: number[] = new Array(names.length);
  for (let k = 0; k < names.length; k++) {
    [bases[k], exts[k]] = splitExt(names[k], isDir[k]);
    order[k] = k;
  }
  return order.sort((a, b) => comparePadded(bases[a], bases[b]) || comparePadded(exts[a], exts[b]));
}

/** A Joliet identifier (UCS-2 big-endian, UTF-16 surrogates allowed; bytes [start, end) of
 *  `identifier`) as raw UTF-8 bytes in a latin1 string; the `;1` version is dropped. */
export function jolietName(identifier: Buffer, directory: boolean, start = 0, end = identifier.length): string {
  let stop = start + ((end - start) & ~1);
  if (!directory) {
    const semi = versionSeparator(identifier, start, stop);
    if (semi >= 0) stop = semi;
  }
  // ASCII is its own UTF-8.
  return (
    asciiUcs2(identifier, start, stop) ?? Buffer.from(Buffer.from(identifier.subarray(start, stop)).swap16().toString('utf16le'), 'utf8').toString('latin1')
  );
}

/** Where the `;` of a `;digits` version ending the units [start, end) starts, else -1. */
function versionSeparator(id: Buffer, start: number, end: number): number {
  let k = end - 2;
  while (k >= start && id[k] === 0 && id[k + 1] >= 0x30 && id[k + 1] <= 0x39) k -= 2;
  return k >= start && k < end - 2 && id[k] === 0 && id[k + 1] === 0x3b ? k : -1;
}

/** Room for the longest identifier (255 bytes) as one byte per unit. */
const asciiBytes = Buffer.allocUnsafe(128);

/** The units [start, end) of a UCS-2 name that is all ASCII (most are), as one string made
 *  at once; null when some unit is not ASCII. */
function asciiUcs2(id: Buffer, start: number, end: number): string | null {
  let n = 0;
  for (let k = start; k < end; k += 2) {
    if (id[k] !== 0 || id[k + 1] >= 0x80) return null;
    asciiBytes[n++] = id[k + 1];
  }
  return asciiBytes.toString('latin1', 0, n);
}
