// Tar header and pax record decoding (POSIX ustar, GNU and pax as GNU tar and bsdtar
// write them). Pure: bytes in, values out. Names stay raw bytes, held as latin1 strings.

export const BLOCK = 512;

export type TarType =
  | 'file' | 'link' | 'symlink' | 'chr' | 'blk' | 'dir' | 'fifo'
  | 'pax' | 'pax-global' | 'gnu-longname' | 'gnu-longlink' | 'volume-label' | 'gnu-dumpdir';

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

function checksumOk(b: Buffer): boolean {
  let unsigned = 8 * 0x20;
  let high = 0;
  for (let i = 0; i < 148; i++) {
    unsigned += b[i];
    if (b[i] > 127) high++;
  }
  for (let i = 156; i < BLOCK; i++) {
    unsigned += b[i];
    if (b[i] > 127) high++;
  }
  // Some old tars summed signed bytes.
  const signed = unsigned - 256 * high;
  let stored: number;
  try {
    stored = numeric(b, 148, 8, 'checksum');
  } catch {
    return false;
  }
  return stored === unsigned || stored === signed;
}

const TYPES: Record<string, TarType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'chr', '4': 'blk',
  '5': 'dir', '6': 'fifo', x: 'pax', g: 'pax-global', X: 'pax', L: 'gnu-longname', K: 'gnu-longlink',
  V: 'volume-label', D: 'gnu-dumpdir',
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
