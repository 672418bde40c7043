// Tar headers and pax records both ways. Decoding reads POSIX ustar, GNU and pax as GNU tar
// and bsdtar write them; encoding (iso-merge's output) writes POSIX pax: ustar blocks plus an
// extended header where ustar cannot hold a value. Pure: bytes in, values out and back.
// Names stay raw bytes, held as latin1 strings, so any name an archive can hold comes out
// unchanged.

export const BLOCK = 512;

/** Decimal digits a number may have to be added up digit by digit exactly (2^53 has 16):
 *  longer ones are left to parseInt/Number. */
export const EXACT_DECIMAL_DIGITS = 15;

export type TarType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'chr'
  | 'blk'
  | 'dir'
  | 'fifo'
  | 'pax'
  | 'pax-global'
  | 'gnu-longname'
  | 'gnu-longlink'
  | 'volume-label'
  | 'gnu-dumpdir';

export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: TarType;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

export class TarFormatError extends Error {}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A field's raw text quoted for a message, or '' when it is not text (garbage input):
 *  messages never carry binary junk to the terminal. */
export function quoted(raw: string): string {
  if (raw.length > 100) return '';
  const bytes = Buffer.from(raw, 'latin1');
  for (const c of bytes) if (c < 0x20 || c === 0x7f) return '';
  try {
    return JSON.stringify(UTF8.decode(bytes));
  } catch {
    return '';
  }
}

/** Where the text of the field of `len` bytes at `off` ends: its first NUL, else its end.
 *  Searched within the field: a header may lie in a large chunk. */
function fieldEnd(b: Buffer, off: number, len: number): number {
  let z = off;
  while (z < off + len && b[z] !== 0) z++;
  return z;
}

/** A NUL-terminated text field; `repeats`: a cache for fields whose text repeats. */
function cstring(b: Buffer, off: number, len: number, repeats?: RepeatedTexts): string {
  if (b[off] === 0) return '';
  const end = fieldEnd(b, off, len);
  return repeats ? repeats.text(b, off, end) : b.toString('latin1', off, end);
}

/**
 * Texts that repeat from header to header (owner and group names, pax keys): the string
 * made for the same bytes before is given again. Comparing a few bytes costs far less than
 * making a string, and a tar has one string per entry fewer to make for each such field.
 */
class RepeatedTexts {
  private readonly bytes: Buffer[] = [];
  private readonly texts: string[] = [];
  private next = 0;

  constructor(
    private readonly slots: number,
    /** Longer texts are not kept. */
    private readonly longest: number,
  ) {}

  /** Bytes [start, end) of `b` as a latin1 string. */
  text(b: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n > this.longest) return b.toString('latin1', start, end);
    search: for (let k = 0; k < this.bytes.length; k++) {
      const kept = this.bytes[k];
      if (kept.length !== n) continue;
      for (let i = 0; i < n; i++) if (kept[i] !== b[start + i]) continue search;
      return this.texts[k];
    }
    const text = b.toString('latin1', start, end);
    // Kept round-robin: a tar's few owners and keys stay, a one-off is soon replaced.
    this.bytes[this.next] = Buffer.from(b.subarray(start, end));
    this.texts[this.next] = text;
    this.next = (this.next + 1) % this.slots;
    return text;
  }
}

const owners = new RepeatedTexts(4, 32);
const paxKeys = new RepeatedTexts(16, 64);

/** Octal (space/NUL terminated) or GNU base-256 (high bit of the first byte set). */
function numeric(b: Buffer, off: number, len: number, field: string): number {
  if (b[off] & 0x80) {
    const negative = (b[off] & 0x40) !== 0;
    let v = 0;
    for (let i = 0; i < len; i++) {
      let byte = i === 0 ? b[off] & 0x7f : b[off + i];
      if (negative) byte = (i === 0 ? 0x7f : 0xff) - byte;
      v = v * 256 + byte;
    }
    if (!Number.isSafeInteger(v)) throw new TarFormatError(`${field} field out of range`);
    return negative ? -(v + 1) : v;
  }
  // Octal digits, optionally space-padded in front and NUL/space-terminated.
  let i = off;
  const end = off + len;
  while (i < end && b[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c >= 0x30 && c <= 0x37) {
      v = v * 8 + (c - 0x30);
      digits++;
    } else break;
  }
  for (; i < end; i++)
    if (b[i] !== 0 && b[i] !== 0x20) {
      const text = quoted(b.toString('latin1', off, end).replace(/\0+$/, ''));
      throw new TarFormatError(`${field} field is not a number${text ? ` (${text})` : ''}`);
    }
  return digits ? v : 0;
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);

/** Whether the block at `at` of `b` is all zeros (an end-of-archive block). */
export function isZeroBlock(b: Buffer, at = 0): boolean {
  // A header's name field starts with a byte; only the end's blocks need the whole compare.
  return b[at] === 0 && ZERO_BLOCK.compare(b, at, at + BLOCK) === 0;
}

/** The sum of the bytes of the header block at `at` of `b` but those of its checksum
 *  field (148–155). */
function bytesOutsideChecksum(b: Buffer, at: number): number {
  if ((b.byteOffset + at) % 4 !== 0) {
    let sum = 0;
    for (let i = at; i < at + 148; i++) sum += b[i];
    for (let i = at + 156; i < at + BLOCK; i++) sum += b[i];
    return sum;
  }
  // Four bytes a step: each word adds its bytes pairwise into two 16-bit lanes, which
  // 126 words of at most 2 × 255 cannot overflow. Words 37 and 38 are the checksum field.
  const words = wordsOf(b.buffer);
  const first = (b.byteOffset + at) / 4;
  let lanes = 0;
  for (let i = first; i < first + 37; i++) lanes += pairSums(words[i]);
  for (let i = first + 39; i < first + BLOCK / 4; i++) lanes += pairSums(words[i]);
  return (lanes & 0xffff) + (lanes >>> 16);
}

// The parser decodes most headers in place from the chunk it was given, and the rest from
// one block buffer: a buffer's word view is made once, not once per header.
let viewed: ArrayBufferLike | null = null;
let viewWords: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  if (buffer !== viewed) {
    viewWords = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    viewed = buffer;
  }
  return viewWords;
}

function pairSums(word: number): number {
  return (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff);
}

function checksumOk(b: Buffer, at: number): boolean {
  let stored: number;
  try {
    stored = numeric(b, at + 148, 8, 'checksum');
  } catch {
    return false;
  }
  const unsigned = 8 * 0x20 + bytesOutsideChecksum(b, at);
  if (stored === unsigned) return true;
  // Some old tars summed signed bytes: counted only for those, every header pays the plain sum.
  let high = 0;
  for (let i = 0; i < BLOCK; i++) if ((i < 148 || i >= 156) && b[at + i] > 127) high++;
  return stored === unsigned - 256 * high;
}

const TYPES: Record<string, TarType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'chr',
  '4': 'blk',
  '5': 'dir',
  '6': 'fifo',
  x: 'pax',
  g: 'pax-global',
  X: 'pax',
  L: 'gnu-longname',
  K: 'gnu-longlink',
  V: 'volume-label',
  D: 'gnu-dumpdir',
};

const UNSUPPORTED: Record<string, string> = {
  S: 'a GNU sparse file',
  M: 'a GNU multi-volume continuation',
  N: 'an old GNU long-name list',
  A: 'a Solaris ACL',
  E: 'a Solaris extended attribute',
  I: 'a star inode metadata entry',
};

/** Decodes the 512-byte header block at `at` of `b` (not a zero block). */
export function decodeHeader(b: Buffer, at = 0): RawHeader {
  const nameField = cstring(b, at, 100);
  if (!checksumOk(b, at)) {
    const name = quoted(nameField);
    throw new TarFormatError(`bad header checksum${name ? ` (name field ${name})` : ''}`);
  }
  // 'ustar' at 257: POSIX ('ustar\0') or GNU ('ustar '); compared as bytes, once per header.
  const ustar = b[at + 257] === 0x75 && b[at + 258] === 0x73 && b[at + 259] === 0x74 && b[at + 260] === 0x61 && b[at + 261] === 0x72;
  const typeflag = String.fromCharCode(b[at + 156]);
  let name = nameField;
  // POSIX ustar keeps a path prefix at 345; GNU uses those bytes for atime/ctime.
  if (ustar && b[at + 262] === 0 && b[at + 345] !== 0) name = cstring(b, at + 345, 155) + '/' + name;
  const type = TYPES[typeflag];
  if (!type) {
    const what = UNSUPPORTED[typeflag] ?? `an unknown entry type ${JSON.stringify(typeflag)}`;
    throw new TarFormatError(`'${name}' is ${what}, which iso-pack cannot represent`);
  }
  return {
    name,
    typeflag,
    type: type === 'file' && typeflag !== '5' && name.endsWith('/') ? 'dir' : type,
    mode: numeric(b, at + 100, 8, 'mode'),
    uid: numeric(b, at + 108, 8, 'uid'),
    gid: numeric(b, at + 116, 8, 'gid'),
    size: numeric(b, at + 124, 12, 'size'),
    mtime: numeric(b, at + 136, 12, 'mtime'),
    linkname: cstring(b, at + 157, 100),
    uname: cstring(b, at + 265, 32, owners),
    gname: cstring(b, at + 297, 32, owners),
    devmajor: ustar ? numeric(b, at + 329, 8, 'devmajor') : 0,
    devminor: ustar ? numeric(b, at + 337, 8, 'devminor') : 0,
  };
}

/** pax extended header records: "LEN key=value\n". Values stay raw bytes (latin1 strings). */
export function decodePax(b: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < b.length) {
    if (b[off] === 0) break;
    // LEN: decimal digits up to the first space (read digit by digit: one record per file).
    let sp = off;
    let len = 0;
    while (sp < b.length && b[sp] >= 0x30 && b[sp] <= 0x39) len = len * 10 + (b[sp++] - 0x30);
    if (sp === off || sp >= b.length || b[sp] !== 0x20) len = NaN;
    else if (sp - off > EXACT_DECIMAL_DIGITS) len = parseInt(b.toString('latin1', off, sp), 10);
    if (!(len > sp - off + 1) || off + len > b.length || b[off + len - 1] !== 0x0a) throw new TarFormatError('malformed pax extended header');
    const end = off + len - 1;
    const eq = b.indexOf(0x3d, sp + 1);
    if (eq <= sp + 1 || eq >= end) throw new TarFormatError('malformed pax record');
    out.set(paxKeys.text(b, sp + 1, eq), b.toString('latin1', eq + 1, end));
    off += len;
  }
  return out;
}

// Encoding.

/** 'label' is a GNU volume label ('V'): iso-pack takes it as the volume identifier. */
export type OutType = 'file' | 'link' | 'symlink' | 'chr' | 'blk' | 'dir' | 'fifo' | 'label';

export interface OutEntry {
  /** Raw bytes in a latin1 string; directories get a trailing '/' in the ustar name. */
  path: string;
  type: OutType;
  /** Permission bits (no type bits). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of data that follow the header (0 for references, links, directories…). */
  size: number;
  mtime: number;
  atime?: number;
  ctime?: number;
  /** Hard link or symlink target, raw bytes. */
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** Further pax records (e.g. ISOPIPE.extents), in order. */
  records?: [string, string][];
}

const TYPEFLAG: Record<OutType, string> = { file: '0', link: '1', symlink: '2', chr: '3', blk: '4', dir: '5', fifo: '6', label: 'V' };

/** The end-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/** Zero bytes after `size` bytes of data up to the next block. */
export function paddingFor(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function isUtf8(raw: string): boolean {
  const b = Buffer.from(raw, 'latin1');
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** By field length: one past the largest value its len−1 octal digits hold. */
const OCTAL_LIMIT = Array.from({ length: 13 }, (_, len) => 8 ** Math.max(0, len - 1));

/** Whether `v` fits an octal field of `len` bytes (len−1 digits and a NUL). */
function octalFits(v: number, len: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < OCTAL_LIMIT[len];
}

/** A pax number: integer or decimal fraction, never exponent notation. */
function paxNumber(v: number): string {
  const s = String(v);
  return /e/i.test(s) ? v.toFixed(9).replace(/\.?0+$/, '') : s;
}

/** ustar name/prefix split of a path, or null when it does not fit. */
function splitUstarName(path: string): [string, string] | null {
  if (path.length <= 100) return ['', path];
  for (let i = path.indexOf('/'); i >= 0 && i <= 155; i = path.indexOf('/', i + 1)) {
    if (i > 0 && path.length - i - 1 <= 100 && path.length - i - 1 > 0) return [path.slice(0, i), path.slice(i + 1)];
  }
  return null;
}

/** Raw bytes of a latin1 string, at most `max` of them (one byte per character, as Buffer's
 *  latin1); returns their sum, for the checksum. */
function putText(b: Buffer, off: number, s: string, max: number): number {
  const n = Math.min(s.length, max);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) & 0xff;
    b[off + i] = c;
    sum += c;
  }
  return sum;
}

/** `v` (which octalFits) as len−1 zero-padded octal digits, the field's last byte left alone;
 *  returns their sum, for the checksum. */
function putOctal(b: Buffer, off: number, len: number, v: number): number {
  let sum = 0;
  for (let i = off + len - 2; i >= off; i--) {
    const c = 0x30 + (v % 8);
    b[i] = c;
    sum += c;
    v = Math.floor(v / 8);
  }
  return sum;
}

function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** One "LEN key=value\n" record at `off` (LEN counts its own digits); returns its end. */
function putPaxRecord(b: Buffer, off: number, key: string, value: string): number {
  const body = key.length + value.length + 3;
  let len = body + 1;
  while (decimalDigits(len) + body > len) len++;
  const digits = decimalDigits(len);
  for (let i = off + digits - 1, n = len; i >= off; i--, n = Math.floor(n / 10)) b[i] = 0x30 + (n % 10);
  off += digits;
  b[off++] = 0x20;
  putText(b, off, key, key.length);
  off += key.length;
  b[off++] = 0x3d;
  putText(b, off, value, value.length);
  off += value.length;
  b[off++] = 0x0a;
  return off;
}

/** Room a pax record of `key` and `value` takes at most (its length field is below 17 digits). */
function paxRecordBound(key: string, value: string): number {
  return key.length + value.length + 20;
}

/** The fields of one ustar block; numbers are those that octalFits, strings raw latin1. */
interface UstarFields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: number;
  linkname: string;
  uname: string;
  gname: string;
  /** null: left NUL (not a device). */
  devmajor: number | null;
  devminor: number | null;
}

const MAGIC = 'ustar\x0000';

/** What every block starts from: NULs and the POSIX magic and version. */
const EMPTY_USTAR_BLOCK = Buffer.alloc(BLOCK);
EMPTY_USTAR_BLOCK.write(MAGIC, 257, 'latin1');

/** The checksum field counts as eight spaces; the magic is the same in every block. */
const CHECKSUM_BASE = 8 * 0x20 + [...MAGIC].reduce((n, c) => n + c.charCodeAt(0), 0);

/** One ustar block at `off`: fields truncated to their widths, the checksum the sum of their bytes. */
function putUstarBlock(b: Buffer, off: number, f: UstarFields): void {
  EMPTY_USTAR_BLOCK.copy(b, off);
  let sum = CHECKSUM_BASE + f.typeflag;
  sum += putText(b, off, f.name, 100);
  sum += putOctal(b, off + 100, 8, f.mode);
  sum += putOctal(b, off + 108, 8, f.uid);
  sum += putOctal(b, off + 116, 8, f.gid);
  sum += putOctal(b, off + 124, 12, f.size);
  sum += putOctal(b, off + 136, 12, f.mtime);
  b[off + 156] = f.typeflag;
  sum += putText(b, off + 157, f.linkname, 100);
  sum += putText(b, off + 265, f.uname, 32);
  sum += putText(b, off + 297, f.gname, 32);
  if (f.devmajor !== null) sum += putOctal(b, off + 329, 8, f.devmajor);
  if (f.devminor !== null) sum += putOctal(b, off + 337, 8, f.devminor);
  sum += putText(b, off + 345, f.prefix, 155);
  // At most 512 × 255: always six digits, then NUL and space.
  putOctal(b, off + 148, 7, sum);
  b[off + 155] = 0x20;
}

/** Fields of an extended header's own block ('x' or 'g'): only its name, size and mtime vary. */
function extendedHeaderFields(name: string, typeflag: string, size: number, mtime: number): UstarFields {
  return {
    name,
    prefix: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime,
    typeflag: typeflag.charCodeAt(0),
    linkname: '',
    uname: '',
    gname: '',
    devmajor: null,
    devminor: null,
  };
}

/** The last component of a path, trailing slashes ignored. */
function baseName(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return path.slice(path.lastIndexOf('/', end - 1) + 1, end);
}

const FIXED_RECORDS_BOUND = 1024;

/** Bytes writeEntryHeader may take for `e`, at most: three blocks (extended header, padding,
 *  ustar) plus every record it could write. */
export function entryHeaderBound(e: OutEntry): number {
  let n = 3 * BLOCK + FIXED_RECORDS_BOUND + e.path.length + (e.linkname?.length ?? 0) + (e.uname?.length ?? 0) + (e.gname?.length ?? 0);
  const records = e.records;
  if (records) for (let i = 0; i < records.length; i++) n += paxRecordBound(records[i][0], records[i][1]);
  return n;
}

/**
 * The header blocks of one entry written at `off` in `b`, which has entryHeaderBound(e)
 * bytes of room there: a pax extended header when ustar cannot hold a value, then the
 * ustar block. Returns the end. The records go straight after the room of the extended
 * header's block, which is filled in (or dropped) once their length is known.
 */
export function writeEntryHeader(e: OutEntry, b: Buffer, off: number): number {
  const bodyStart = off + BLOCK;
  let p = bodyStart;
  const pax = (k: string, v: string): void => {
    p = putPaxRecord(b, p, k, v);
  };
  const path = e.type === 'dir' && !e.path.endsWith('/') ? e.path + '/' : e.path;
  const split = isPlainAscii(path) ? splitUstarName(path) : null;
  let linkname = e.linkname ?? '';
  const linkInPax = linkname.length > 100 || !isPlainAscii(linkname);
  if ((!split && !isUtf8(path)) || (linkInPax && !isUtf8(linkname))) pax('hdrcharset', 'BINARY');

  let name: string;
  let prefix = '';
  if (split) [prefix, name] = split;
  else {
    name = path.slice(-100);
    pax('path', path);
  }
  if (linkInPax) {
    pax('linkpath', linkname);
    linkname = linkname.slice(0, 100);
  }
  const num = (key: string, v: number, len: number): number => {
    if (octalFits(v, len)) return v;
    pax(key, paxNumber(v));
    return 0;
  };
  const uid = num('uid', e.uid, 8);
  const gid = num('gid', e.gid, 8);
  const size = num('size', e.size, 12);
  if (!(Number.isInteger(e.mtime) && octalFits(e.mtime, 12))) pax('mtime', paxNumber(e.mtime));
  const wholeMtime = Math.max(0, Math.floor(e.mtime));
  const mtime = octalFits(wholeMtime, 12) ? wholeMtime : 0;
  if (e.atime !== undefined) pax('atime', paxNumber(e.atime));
  if (e.ctime !== undefined) pax('ctime', paxNumber(e.ctime));
  const text = (key: string, v: string | undefined, len: number): string => {
    const s = v ?? '';
    if (s.length < len && isPlainAscii(s)) return s;
    pax(key, s);
    return '';
  };
  const uname = text('uname', e.uname, 32);
  const gname = text('gname', e.gname, 32);
  const device = e.type === 'chr' || e.type === 'blk';
  const devmajor = device ? num('SCHILY.devmajor', e.devmajor ?? 0, 8) : null;
  const devminor = device ? num('SCHILY.devminor', e.devminor ?? 0, 8) : null;
  const records = e.records;
  if (records) for (let i = 0; i < records.length; i++) pax(records[i][0], records[i][1]);

  const main: UstarFields = {
    name,
    prefix,
    mode: e.mode & 0o7777,
    uid,
    gid,
    size,
    mtime,
    typeflag: TYPEFLAG[e.type].charCodeAt(0),
    linkname,
    uname,
    gname,
    devmajor,
    devminor,
  };
  const bodyLength = p - bodyStart;
  if (bodyLength === 0) {
    putUstarBlock(b, off, main);
    return off + BLOCK;
  }
  const base = baseName(path);
  putUstarBlock(b, off, extendedHeaderFields(('PaxHeaders/' + (isPlainAscii(base) ? base : 'entry')).slice(0, 100), 'x', bodyLength, mtime));
  const padding = paddingFor(bodyLength);
  b.fill(0, p, p + padding);
  p += padding;
  putUstarBlock(b, p, main);
  return p + BLOCK;
}

/** The header blocks of one entry (writeEntryHeader into a buffer of their own). */
export function encodeEntryHeader(e: OutEntry): Buffer {
  const b = Buffer.allocUnsafe(entryHeaderBound(e));
  return b.subarray(0, writeEntryHeader(e, b, 0));
}

/** A pax global extended header ('g') carrying `records`: it applies to the entries after it,
 *  and plain tar tools ignore keys they do not know. */
export function encodeGlobalHeader(records: [string, string][]): Buffer {
  let bound = 2 * BLOCK;
  for (const [k, v] of records) bound += paxRecordBound(k, v);
  const b = Buffer.allocUnsafe(bound);
  let p = BLOCK;
  for (const [k, v] of records) p = putPaxRecord(b, p, k, v);
  putUstarBlock(b, 0, extendedHeaderFields('GlobalHead', 'g', p - BLOCK, 0));
  const end = p + paddingFor(p - BLOCK);
  b.fill(0, p, end);
  return b.subarray(0, end);
}
