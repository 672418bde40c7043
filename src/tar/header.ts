// Tar headers and pax records both ways. Decoding reads POSIX ustar, GNU and pax as GNU tar
// and bsdtar write them; encoding (iso-merge's output) writes POSIX pax: ustar blocks plus an
// extended header where ustar cannot hold a value. Pure: bytes in, values out and back.
// Names stay raw bytes, held as latin1 strings, so any name an archive can hold comes out
// unchanged.

export const BLOCK = 512;

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

function cstring(b: Buffer, off: number, len: number): string {
  if (b[off] === 0) return '';
  const z = b.indexOf(0, off);
  return b.toString('latin1', off, z < 0 || z > off + len ? off + len : z);
}

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

export function isZeroBlock(b: Buffer): boolean {
  return b.equals(ZERO_BLOCK);
}

/** The sum of a header block's bytes but those of its checksum field (148–155). */
function bytesOutsideChecksum(b: Buffer): number {
  if (b.byteOffset % 4 !== 0) {
    let sum = 0;
    for (let i = 0; i < 148; i++) sum += b[i];
    for (let i = 156; i < BLOCK; i++) sum += b[i];
    return sum;
  }
  // Four bytes a step: each word adds its bytes pairwise into two 16-bit lanes, which
  // 126 words of at most 2 × 255 cannot overflow. Words 37 and 38 are the checksum field.
  const words = new Uint32Array(b.buffer, b.byteOffset, BLOCK / 4);
  let lanes = 0;
  for (let i = 0; i < 37; i++) lanes += pairSums(words[i]);
  for (let i = 39; i < BLOCK / 4; i++) lanes += pairSums(words[i]);
  return (lanes & 0xffff) + (lanes >>> 16);
}

function pairSums(word: number): number {
  return (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff);
}

function checksumOk(b: Buffer): boolean {
  let stored: number;
  try {
    stored = numeric(b, 148, 8, 'checksum');
  } catch {
    return false;
  }
  const unsigned = 8 * 0x20 + bytesOutsideChecksum(b);
  if (stored === unsigned) return true;
  // Some old tars summed signed bytes: counted only for those, every header pays the plain sum.
  let high = 0;
  for (let i = 0; i < BLOCK; i++) if ((i < 148 || i >= 156) && b[i] > 127) high++;
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

/** Decodes one 512-byte header block (not a zero block). */
export function decodeHeader(b: Buffer): RawHeader {
  const nameField = cstring(b, 0, 100);
  if (!checksumOk(b)) {
    const name = quoted(nameField);
    throw new TarFormatError(`bad header checksum${name ? ` (name field ${name})` : ''}`);
  }
  const magic = b.toString('latin1', 257, 263);
  const typeflag = String.fromCharCode(b[156]);
  let name = nameField;
  // POSIX ustar keeps a path prefix at 345; GNU uses those bytes for atime/ctime.
  if (magic === 'ustar\0' && b[345] !== 0) name = cstring(b, 345, 155) + '/' + name;
  const type = TYPES[typeflag];
  if (!type) {
    const what = UNSUPPORTED[typeflag] ?? `an unknown entry type ${JSON.stringify(typeflag)}`;
    throw new TarFormatError(`'${name}' is ${what}, which iso-pack cannot represent`);
  }
  return {
    name,
    typeflag,
    type: type === 'file' && typeflag !== '5' && name.endsWith('/') ? 'dir' : type,
    mode: numeric(b, 100, 8, 'mode'),
    uid: numeric(b, 108, 8, 'uid'),
    gid: numeric(b, 116, 8, 'gid'),
    size: numeric(b, 124, 12, 'size'),
    mtime: numeric(b, 136, 12, 'mtime'),
    linkname: cstring(b, 157, 100),
    uname: cstring(b, 265, 32),
    gname: cstring(b, 297, 32),
    devmajor: magic.startsWith('ustar') ? numeric(b, 329, 8, 'devmajor') : 0,
    devminor: magic.startsWith('ustar') ? numeric(b, 337, 8, 'devminor') : 0,
  };
}

/** pax extended header records: "LEN key=value\n". Values stay raw bytes (latin1 strings). */
export function decodePax(b: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < b.length) {
    if (b[off] === 0) break;
    let sp = off;
    while (sp < b.length && b[sp] !== 0x20) sp++;
    const lenText = b.toString('latin1', off, sp);
    const len = /^[0-9]+$/.test(lenText) ? parseInt(lenText, 10) : NaN;
    if (!(len > sp - off + 1) || off + len > b.length || b[off + len - 1] !== 0x0a) throw new TarFormatError('malformed pax extended header');
    const rec = b.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new TarFormatError('malformed pax record');
    out.set(rec.toString('latin1', 0, eq), rec.toString('latin1', eq + 1));
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
  return /^[\x20-\x7e]*$/.test(s);
}

function isUtf8(raw: string): boolean {
  const b = Buffer.from(raw, 'latin1');
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** An octal field of `len` bytes (len−1 digits and a NUL), or null when `v` does not fit. */
function octal(v: number, len: number): string | null {
  if (!Number.isSafeInteger(v) || v < 0) return null;
  const s = v.toString(8);
  return s.length > len - 1 ? null : s.padStart(len - 1, '0');
}

/** A pax number: integer or decimal fraction, never exponent notation. */
function paxNumber(v: number): string {
  const s = String(v);
  return /e/i.test(s) ? v.toFixed(9).replace(/\.?0+$/, '') : s;
}

/** One "LEN key=value\n" record; LEN counts its own digits. */
function paxRecord(key: string, value: string): Buffer {
  const body = Buffer.from(` ${key}=${value}\n`, 'latin1');
  let len = body.length + 1;
  while (String(len).length + body.length > len) len++;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

/** ustar name/prefix split of a path, or null when it does not fit. */
function splitUstarName(path: string): [string, string] | null {
  if (path.length <= 100) return ['', path];
  for (let i = path.indexOf('/'); i >= 0 && i <= 155; i = path.indexOf('/', i + 1)) {
    if (i > 0 && path.length - i - 1 <= 100 && path.length - i - 1 > 0) return [path.slice(0, i), path.slice(i + 1)];
  }
  return null;
}

function ustarBlock(fields: {
  name: string;
  prefix: string;
  mode: string;
  uid: string;
  gid: string;
  size: string;
  mtime: string;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: string;
  devminor: string;
}): Buffer {
  // From Node's small-buffer pool: one header per entry of a large tree.
  const b = Buffer.allocUnsafe(BLOCK).fill(0);
  const put = (s: string, off: number, len: number) => b.write(s.slice(0, len), off, len, 'latin1');
  put(fields.name, 0, 100);
  put(fields.mode, 100, 8);
  put(fields.uid, 108, 8);
  put(fields.gid, 116, 8);
  put(fields.size, 124, 12);
  put(fields.mtime, 136, 12);
  b.fill(0x20, 148, 156);
  put(fields.typeflag, 156, 1);
  put(fields.linkname, 157, 100);
  put('ustar\x0000', 257, 8);
  put(fields.uname, 265, 32);
  put(fields.gname, 297, 32);
  put(fields.devmajor, 329, 8);
  put(fields.devminor, 337, 8);
  put(fields.prefix, 345, 155);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return b;
}

/** The header blocks of one entry: a pax extended header when needed, then the ustar block. */
export function encodeEntryHeader(e: OutEntry): Buffer {
  const records: Buffer[] = [];
  const pax = (k: string, v: string) => records.push(paxRecord(k, v));
  const path = e.type === 'dir' && !e.path.endsWith('/') ? e.path + '/' : e.path;
  let binary = false;

  let name = '';
  let prefix = '';
  const split = isPlainAscii(path) ? splitUstarName(path) : null;
  if (split) [prefix, name] = split;
  else {
    name = path.slice(-100);
    pax('path', path);
    if (!isUtf8(path)) binary = true;
  }
  let linkname = e.linkname ?? '';
  if (linkname.length > 100 || !isPlainAscii(linkname)) {
    pax('linkpath', linkname);
    if (!isUtf8(linkname)) binary = true;
    linkname = linkname.slice(0, 100);
  }
  const num = (key: string, v: number, len: number): string => {
    const o = octal(v, len);
    if (o !== null) return o;
    pax(key, paxNumber(v));
    return '0'.repeat(len - 1);
  };
  const uid = num('uid', e.uid, 8);
  const gid = num('gid', e.gid, 8);
  const size = num('size', e.size, 12);
  let mtime: string;
  if (Number.isInteger(e.mtime) && octal(e.mtime, 12) !== null) mtime = octal(e.mtime, 12)!;
  else {
    pax('mtime', paxNumber(e.mtime));
    mtime = octal(Math.max(0, Math.floor(e.mtime)), 12) ?? '0'.repeat(11);
  }
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
  const devmajor = e.type === 'chr' || e.type === 'blk' ? num('SCHILY.devmajor', e.devmajor ?? 0, 8) : '';
  const devminor = e.type === 'chr' || e.type === 'blk' ? num('SCHILY.devminor', e.devminor ?? 0, 8) : '';
  for (const [k, v] of e.records ?? []) pax(k, v);
  if (binary) records.unshift(paxRecord('hdrcharset', 'BINARY'));

  const main = ustarBlock({
    name,
    prefix,
    mode: octal(e.mode & 0o7777, 8)!,
    uid,
    gid,
    size,
    mtime,
    typeflag: TYPEFLAG[e.type],
    linkname,
    uname,
    gname,
    devmajor,
    devminor,
  });
  if (records.length === 0) return main;
  const body = Buffer.concat(records);
  const base = path.replace(/\/+$/, '').split('/').pop() ?? '';
  const paxHeader = ustarBlock({
    name: ('PaxHeaders/' + (isPlainAscii(base) ? base : 'entry')).slice(0, 100),
    prefix: '',
    mode: '0000644',
    uid: '0000000',
    gid: '0000000',
    size: octal(body.length, 12)!,
    mtime,
    typeflag: 'x',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: '',
    devminor: '',
  });
  return Buffer.concat([paxHeader, body, ZERO_BLOCK.subarray(0, paddingFor(body.length)), main]);
}

/** A pax global extended header ('g') carrying `records`: it applies to the entries after it,
 *  and plain tar tools ignore keys they do not know. */
export function encodeGlobalHeader(records: [string, string][]): Buffer {
  const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  const header = ustarBlock({
    name: 'GlobalHead',
    prefix: '',
    mode: '0000644',
    uid: '0000000',
    gid: '0000000',
    size: octal(body.length, 12)!,
    mtime: '0'.repeat(11),
    typeflag: 'g',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: '',
    devminor: '',
  });
  return Buffer.concat([header, body, ZERO_BLOCK.subarray(0, paddingFor(body.length))]);
}
