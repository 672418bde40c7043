// SUSP (IEEE P1281) and Rock Ridge (IEEE P1282) entries, both ways. Encoding: each function
// returns whole entries; callers decide which go in the record and which in a continuation
// area. Decoding: SystemUseDecoder collects a record's attributes from its System Use field
// and continuation areas (pure: the walker reads the areas a CE entry points to and feeds
// them back in), with its own bounds against hostile input.
import { type ChecksumArea, decodeAttributeEntries, decodeChecksumArea, decodeChecksumIndex } from './checksum-tags.js';
import { decodeLongDate, decodeShortDate, encodeShortDate } from './dates.js';
import { FormatProblem } from './format-problem.js';
import { put733 } from './numbers.js';
import { decodeZf, type ZfInfo } from './zisofs.js';

export const SP_LENGTH = 7;
/** SP's check bytes. */
const SP_CHECK = [0xbe, 0xef];
export const CE_LENGTH = 28;
export const PX_LENGTH = 44;
export const TF_LENGTH = 26;
export const PN_LENGTH = 20;
/** Largest SUSP entry we write: LEN is one byte; stay a little below to keep records even. */
const MAX_ENTRY = 250;

/** Writes a zeroed entry's signature, length and version at `at`. */
function putHeader(out: Buffer, at: number, sig: string, len: number): void {
  out.fill(0, at, at + len);
  putSignature(out, at, sig, len);
}

/** An entry's signature, length and version, for the encoders that store every other byte
 *  of the entry: every record has several of these, and a fill each cost more than them. */
function putSignature(out: Buffer, at: number, sig: string, len: number): void {
  out[at] = sig.charCodeAt(0);
  out[at + 1] = sig.charCodeAt(1);
  out[at + 2] = len;
  out[at + 3] = 1;
}

/** A zeroed entry with its signature, length and version. From Node's small-buffer pool:
 *  there are several per record, and a fresh allocation each cost more than the encoding. */
function header(sig: string, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  putHeader(b, 0, sig, len);
  return b;
}

/** SP: first entry of the root's `.` record; readers key all SUSP parsing on it. */
export function spEntry(): Buffer {
  const b = header('SP', SP_LENGTH);
  b[4] = SP_CHECK[0];
  b[5] = SP_CHECK[1];
  return b;
}

/** ER with the RRIP 1.10 identifier and empty descriptor/source: readers check only the
 *  identifier, and the short form keeps it inside the root's `.` record (DESIGN §5). */
export function erEntry(): Buffer {
  const id = 'RRIP_1991A';
  const b = header('ER', 8 + id.length);
  b[4] = id.length;
  b[5] = 0;
  b[6] = 0;
  b[7] = 1;
  b.write(id, 8, 'latin1');
  return b;
}

/** PX, 44-byte RRIP 1.12 form with a serial number (read by every reader, used by libarchive). */
export function pxEntry(mode: number, nlink: number, uid: number, gid: number, serial: number): Buffer {
  const b = Buffer.allocUnsafe(PX_LENGTH);
  putPx(b, 0, mode, nlink, uid, gid, serial);
  return b;
}

/** pxEntry written at `at` of `out` (a directory's buffer: no buffer per entry). */
export function putPx(out: Buffer, at: number, mode: number, nlink: number, uid: number, gid: number, serial: number): void {
  putSignature(out, at, 'PX', PX_LENGTH);
  put733(out, at + 4, mode);
  put733(out, at + 12, nlink);
  put733(out, at + 20, uid);
  put733(out, at + 28, gid);
  put733(out, at + 36, serial);
}

/** TF short form: modify, access, attributes (ctime) — Linux misreads the long form. */
export function tfEntry(mtime: number, atime: number, ctime: number): Buffer {
  const b = Buffer.allocUnsafe(TF_LENGTH);
  putTf(b, 0, mtime, atime, ctime);
  return b;
}

/** tfEntry written at `at` of `out`. */
export function putTf(out: Buffer, at: number, mtime: number, atime: number, ctime: number): void {
  putSignature(out, at, 'TF', TF_LENGTH);
  out[at + 4] = 0x0e;
  encodeShortDate(mtime, out, at + 5);
  // Most files have one time for all three (a tar without pax times gives only mtime).
  if (atime === mtime) out.copyWithin(at + 12, at + 5, at + 12);
  else encodeShortDate(atime, out, at + 12);
  if (ctime === mtime) out.copyWithin(at + 19, at + 5, at + 12);
  else encodeShortDate(ctime, out, at + 19);
}

/**
 * PN for device major:minor, chosen per number (docs/readers.md). Two encodings exist:
 * - high 0, low = the Linux/glibc 32-bit dev_t ((minor & 0xff) | major << 8 | (minor & ~0xff) << 12),
 *   as libisofs writes it. libarchive and libisofs read PN as one dev_t, high << 32 | low, so
 *   this is the only form they can recreate; Linux reads a high-0 PN as the old 16-bit dev_t
 *   (major = low >> 8, minor = low & 0xff), which is right while the minor is below 256.
 * - high = major, low = minor, which Linux reads as MKDEV(high, low) for any numbers, and
 *   libarchive and libisofs as a 64-bit dev_t that no mknod accepts.
 * So: the dev_t form wherever Linux reads it right (minor < 256, majors up to 4095), and for a
 * minor of 256 or more the form Linux reads — there the other one would give the kernel a
 * different, existing device (7:300 would mount as 7:44), where this one makes bsdtar and
 * xorriso refuse to create the node. Major 0 has no form Linux reads right above minor 255:
 * the dev_t form, which at least bsdtar and xorriso read.
 */
export function pnEntry(major: number, minor: number): Buffer {
  const b = header('PN', PN_LENGTH);
  const devT = !pnKernelOnly(major, minor);
  put733(b, 4, devT ? 0 : major);
  put733(b, 12, devT ? ((minor & 0xff) | (major << 8) | ((minor & 0xfff00) << 12)) >>> 0 : minor);
  return b;
}

/** True when `pnEntry` gives Linux one form and libarchive/libisofs another they cannot
 *  recreate (see there): a minor of 256 or more. */
export function pnKernelOnly(major: number, minor: number): boolean {
  return !(major < 0x1000 && minor < 0x100000 && (minor < 0x100 || major === 0));
}

const NM_ROOM = MAX_ENTRY - 5;

/** Lengths of the NM entries `nmEntries` makes for a name of `nameLength` bytes. */
export function nmEntryLengths(nameLength: number): number[] {
  const out: number[] = [];
  for (let off = 0; off === 0 || off < nameLength; off += NM_ROOM) out.push(5 + Math.min(NM_ROOM, nameLength - off));
  return out;
}

/** NM entries carrying `name`, split with CONTINUE where one entry cannot hold it. */
export function nmEntries(name: Buffer): Buffer[] {
  const text = name.toString('latin1');
  return nmEntryLengths(name.length).map((length, part) => {
    const b = Buffer.allocUnsafe(length);
    putNm(b, 0, text, part);
    return b;
  });
}

/** Entry `part` of the NM entries for `name` (raw bytes in a latin1 string), written at
 *  `at` of `out`; as long as nmEntryLengths says. */
export function putNm(out: Buffer, at: number, name: string, part: number): void {
  const off = part * NM_ROOM;
  const length = Math.min(NM_ROOM, name.length - off);
  putSignature(out, at, 'NM', 5 + length);
  out[at + 4] = off + NM_ROOM < name.length ? NM_CONTINUE : 0;
  // Stored byte by byte: for names of a few dozen bytes that costs less than a call into
  // Buffer.write, and every record has one.
  for (let k = 0; k < length; k++) out[at + 5 + k] = name.charCodeAt(off + k);
}

/** NM flags (RRIP 4.1.4). */
const NM_CONTINUE = 0x01;
const NM_CURRENT = 0x02;
const NM_PARENT = 0x04;
/** SL component record flags (RRIP 4.1.3.1). */
const SL_CONTINUE = 0x01;
const SL_CURRENT = 0x02;
const SL_PARENT = 0x04;
const SL_ROOT = 0x08;

/** SL entries for a symlink target: one component record per path component (long ones
 *  split with the component CONTINUE flag), packed into SL entries chained with CONTINUE.
 *  Empty components are kept, so `x//y` and `dir/` come back exactly. */
export function slEntries(target: Buffer): Buffer[] {
  const components: Buffer[] = [];
  let parts = splitSlash(target);
  if (target.length > 0 && target[0] === 0x2f) {
    components.push(Buffer.from([SL_ROOT, 0]));
    parts = parts.slice(1);
    if (parts.length === 1 && parts[0].length === 0) parts = [];
  }
  parts.forEach((p, k) => {
    // An empty component before another (`x//y`, `//x`) is written as libisofs does, as a
    // ROOT component, which Linux, libisofs and libarchive read as one more slash; a
    // trailing one (`dir/`) as an empty text component, which they all keep.
    if (p.length === 0 && k < parts.length - 1) components.push(Buffer.from([SL_ROOT, 0]));
    else if (p.length === 1 && p[0] === 0x2e) components.push(Buffer.from([SL_CURRENT, 0]));
    else if (p.length === 2 && p[0] === 0x2e && p[1] === 0x2e) components.push(Buffer.from([SL_PARENT, 0]));
    else {
      const room = MAX_ENTRY - 5 - 2;
      for (let off = 0; off === 0 || off < p.length; off += room) {
        const piece = p.subarray(off, off + room);
        const c = Buffer.alloc(2 + piece.length);
        c[0] = off + room < p.length ? SL_CONTINUE : 0;
        c[1] = piece.length;
        piece.copy(c, 2);
        components.push(c);
      }
    }
  });
  const groups: Buffer[][] = [[]];
  let used = 5;
  for (const c of components) {
    if (used + c.length > MAX_ENTRY) {
      groups.push([]);
      used = 5;
    }
    groups[groups.length - 1].push(c);
    used += c.length;
  }
  return groups.map((g, i) => {
    const body = Buffer.concat(g);
    const b = header('SL', 5 + body.length);
    b[4] = i < groups.length - 1 ? 1 : 0;
    body.copy(b, 5);
    return b;
  });
}

/** The pieces between slashes, empty ones included (`a//b/` gives a, '', b, ''). */
function splitSlash(s: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s[i] === 0x2f) {
      out.push(s.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

export function ceEntry(block: number, offset: number, length: number): Buffer {
  const b = header('CE', CE_LENGTH);
  put733(b, 4, block);
  put733(b, 12, offset);
  put733(b, 20, length);
  return b;
}

// Decoding.

/** Longest Rock Ridge name accepted (NAME_MAX; Linux stops at 253, libisofs at 255). */
export const MAX_NAME_BYTES = 255;
/** Longest symlink target accepted (Linux: one page). */
export const MAX_TARGET_BYTES = 4095;
/** AAIP bytes collected for one record; more is ignored (libisofs's attributes are tiny). */
const MAX_AL_BYTES = 64 * 1024;

export interface Continuation {
  block: number;
  offset: number;
  length: number;
}

export interface RockRidge {
  mode?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  /** PX file serial number (44-byte PX only). */
  serial?: number;
  devHigh?: number;
  devLow?: number;
  /** NM name, raw bytes in a latin1 string. */
  name?: string;
  /** SL target, raw bytes in a latin1 string. */
  target?: string;
  mtime?: number;
  atime?: number;
  ctime?: number;
  /** CL: LBA of the directory this placeholder stands for. */
  childLink?: number;
  /** PL: LBA of the logical parent (on `..` of a relocated directory). */
  parentLink?: number;
  /** RE: this record is a relocated directory, listed at its logical place through a CL. */
  relocated?: boolean;
  /** ZF (or zisofs2's Z2): the data is zisofs-compressed. */
  zisofs?: boolean;
  /** What the ZF entry says (algorithm, header and block size, uncompressed size). */
  zf?: ZfInfo;
  /** SP seen (only meaningful in the root's `.` record), with its LEN_SKP. */
  spSkip?: number;
  /** Some ER entry seen (Rock Ridge announced). */
  extensions?: boolean;
  /** Any Rock Ridge attribute entry seen (PX, NM, SL, TF, PN, CL, PL, RE). */
  any?: boolean;
  /** AAIP isofs.cx: the file's index in its session's checksum array. */
  checksumIndex?: number;
  /** AAIP isofs.ca (root `.` record): where the session's checksum array is. */
  checksumArea?: ChecksumArea;
}

/** A SUSP signature as a number: two bytes compared without making a string. */
const sig = (s: string) => (s.charCodeAt(0) << 8) | s.charCodeAt(1);
const SIG_SP = sig('SP'),
  SIG_CE = sig('CE'),
  SIG_ST = sig('ST'),
  SIG_ER = sig('ER'),
  SIG_PX = sig('PX'),
  SIG_PN = sig('PN');
const SIG_NM = sig('NM'),
  SIG_SL = sig('SL'),
  SIG_TF = sig('TF'),
  SIG_CL = sig('CL'),
  SIG_PL = sig('PL'),
  SIG_RE = sig('RE');
const SIG_ZF = sig('ZF'),
  SIG_Z2 = sig('Z2'),
  SIG_AL = sig('AL');

function need(signature: number, len: number, n: number): void {
  if (len < n) throw new FormatProblem(`${String.fromCharCode(signature >> 8, signature & 0xff)} entry of ${len} bytes is shorter than ${n}`);
}

/** Collects the Rock Ridge attributes of one directory record across its areas. */
export class SystemUseDecoder {
  readonly rr: RockRidge = {};
  private nameOpen = true;
  // The lists below are made on first use: one decoder runs per directory record, and most
  // records have one NM, no SL and no multi-entry attribute list.
  private nameParts: string[] | null = null;
  private nameBytes = 0;
  private targetParts: string[] | null = null;
  private targetBytes = 0;
  /** What goes before the next SL component: '' after a component marked CONTINUE or after the root. */
  private slSeparator = '';
  private slStarted = false;
  /** AL entries of the attribute list being read (until one without CONTINUE). */
  private al: Buffer[] | null = null;
  private alBytes = 0;

  /**
   * Decodes the entries of one area (a System Use field or a continuation area), or of
   * its bytes [start, end). Returns the CE entry's continuation, if the area has one.
   */
  feed(area: Buffer, start = 0, end = area.length): Continuation | null {
    let ce: Continuation | null = null;
    let off = start;
    while (off + 4 <= end) {
      const len = area[off + 2];
      // A LEN below 4 or past the field ends the entries (SUSP §5.x), as every reader does.
      if (len < 4 || off + len > end) break;
      const sig = (area[off] << 8) | area[off + 1];
      if (sig === SIG_ST) break;
      if (sig === SIG_CE) {
        need(sig, len, CE_LENGTH);
        ce = { block: area.readUInt32LE(off + 4), offset: area.readUInt32LE(off + 12), length: area.readUInt32LE(off + 20) };
      } else this.entry(sig, area, off, len);
      off += len;
    }
    return ce;
  }

  /** One entry of `len` bytes at `off` (runs for every record: offsets, no views or closures). */
  private entry(sig: number, a: Buffer, off: number, len: number): void {
    const rr = this.rr;
    switch (sig) {
      case SIG_SP:
        need(sig, len, SP_LENGTH);
        if (a[off + 4] === SP_CHECK[0] && a[off + 5] === SP_CHECK[1]) rr.spSkip = a[off + 6];
        return;
      case SIG_ER:
        rr.extensions = true;
        return;
      case SIG_PX:
        need(sig, len, 36);
        rr.any = true;
        rr.mode = a.readUInt32LE(off + 4);
        rr.nlink = a.readUInt32LE(off + 12);
        rr.uid = a.readUInt32LE(off + 20);
        rr.gid = a.readUInt32LE(off + 28);
        if (len >= 44) rr.serial = a.readUInt32LE(off + 36);
        return;
      case SIG_PN:
        need(sig, len, PN_LENGTH);
        rr.any = true;
        rr.devHigh = a.readUInt32LE(off + 4);
        rr.devLow = a.readUInt32LE(off + 12);
        return;
      case SIG_NM:
        need(sig, len, 5);
        rr.any = true;
        this.nm(a, off, len);
        return;
      case SIG_SL:
        need(sig, len, 5);
        rr.any = true;
        this.sl(a.subarray(off, off + len));
        return;
      case SIG_TF:
        need(sig, len, 5);
        rr.any = true;
        this.tf(a, off, len);
        return;
      case SIG_CL:
        need(sig, len, 12);
        rr.any = true;
        rr.childLink = a.readUInt32LE(off + 4);
        return;
      case SIG_PL:
        need(sig, len, 12);
        rr.any = true;
        rr.parentLink = a.readUInt32LE(off + 4);
        return;
      case SIG_RE:
        rr.any = true;
        rr.relocated = true;
        return;
      case SIG_ZF:
        rr.zisofs = true;
        // A short ZF is kept as unreadable compression rather than ignored: the data is not plain.
        rr.zf = decodeZf(a, off, len) ?? { algorithm: '', headerSize: 0, blockLog2: 0, size: 0 };
        return;
      case SIG_Z2:
        // zisofs2's own entry: recognised, so that its files are not mistaken for plain data.
        rr.zisofs = true;
        rr.zf = { algorithm: 'Z2', headerSize: 0, blockLog2: 0, size: 0 };
        return;
      case SIG_AL:
        this.alEntry(a, off, len);
        return;
      default:
        // RR (obsolete field list), PD, ES, AA (old AAIP), SF and unknown entries: skipped.
        return;
    }
  }

  /**
   * AAIP: only the checksum attributes are kept. A malformed or oversized list is ignored
   * rather than refused: it costs the file its recorded MD5, never the tree.
   */
  private alEntry(a: Buffer, off: number, len: number): void {
    if (len < 5) return;
    const last = (a[off + 4] & 1) === 0;
    if (last && this.al === null) {
      const cx = loneChecksumIndex(a, off, len);
      if (cx !== null) {
        this.rr.checksumIndex = cx;
        return;
      }
    }
    this.alBytes += len;
    this.al ??= [];
    if (this.alBytes <= MAX_AL_BYTES) this.al.push(a.subarray(off, off + len));
    if (!last) return;
    const entries = this.al;
    const fits = this.alBytes <= MAX_AL_BYTES;
    this.al = null;
    this.alBytes = 0;
    if (!fits) return;
    try {
      for (const a of decodeAttributeEntries(entries)) {
        if (a.name === 'isofs.cx') this.rr.checksumIndex = decodeChecksumIndex(a.value);
        else if (a.name === 'isofs.ca') this.rr.checksumArea = decodeChecksumArea(a.value);
      }
    } catch {
      // malformed attribute list: no checksum attributes from it
    }
  }

  private nm(a: Buffer, off: number, len: number): void {
    const flags = a[off + 4];
    if (flags & (NM_CURRENT | NM_PARENT)) return;
    if (!this.nameOpen) {
      // A second name after a complete one: the first stands (Linux keeps appending; a
      // well-formed record has one name).
      return;
    }
    this.nameBytes += len - 5;
    if (this.nameBytes > MAX_NAME_BYTES) throw new FormatProblem(`Rock Ridge name longer than ${MAX_NAME_BYTES} bytes`);
    const part = a.toString('latin1', off + 5, off + len);
    if (!(flags & NM_CONTINUE)) this.nameOpen = false;
    if (this.nameParts === null && !this.nameOpen) {
      this.rr.name = part; // the usual case: one NM entry
      return;
    }
    this.nameParts ??= [];
    this.nameParts.push(part);
    this.rr.name = this.nameParts.join('');
  }

  private sl(e: Buffer): void {
    let off = 5;
    while (off + 2 <= e.length) {
      const flags = e[off];
      const len = e[off + 1];
      if (off + 2 + len > e.length) throw new FormatProblem('SL component runs past its entry');
      let text: string;
      let sepAfter = '/';
      if (flags & SL_ROOT) {
        text = '/';
        sepAfter = '';
      } else if (flags & SL_CURRENT) text = '.';
      else if (flags & SL_PARENT) text = '..';
      else {
        text = e.toString('latin1', off + 2, off + 2 + len);
        if (flags & SL_CONTINUE) sepAfter = '';
      }
      const piece = (this.slStarted ? this.slSeparator : '') + text;
      this.targetBytes += piece.length;
      if (this.targetBytes > MAX_TARGET_BYTES) throw new FormatProblem(`symlink target longer than ${MAX_TARGET_BYTES} bytes`);
      this.targetParts ??= [];
      this.targetParts.push(piece);
      this.slStarted = true;
      this.slSeparator = sepAfter;
      off += 2 + len;
    }
    this.rr.target = this.targetParts?.join('') ?? '';
  }

  private tf(a: Buffer, start: number, len: number): void {
    const flags = a[start + 4];
    const size = flags & 0x80 ? 17 : 7;
    let off = start + 5;
    const end = start + len;
    // Bit order: creation, modify, access, attributes, backup, expiration, effective.
    for (let bit = 0; bit < 7; bit++) {
      if (!(flags & (1 << bit))) continue;
      if (off + size > end) throw new FormatProblem('TF entry shorter than its flags announce');
      const t = size === 7 ? decodeShortDate(a, off) : decodeLongDate(a, off);
      if (bit === 1) this.rr.mtime = t;
      else if (bit === 2) this.rr.atime = t;
      else if (bit === 3) this.rr.ctime = t;
      off += size;
    }
  }
}

/** The index of a lone AL entry holding only `isofs.cx` as libisofs writes it (one per
 *  file of a checksummed session), without the general decoder; null for anything else. */
function loneChecksumIndex(a: Buffer, off: number, len: number): number | null {
  // AL LEN 1 flags | 0 3 0x04 'c' 'x' | 0 n value
  if (len < 12 || a[off + 5] !== 0 || a[off + 6] !== 3 || a[off + 7] !== 0x04 || a[off + 8] !== 0x63 || a[off + 9] !== 0x78 || a[off + 10] !== 0) return null;
  const n = a[off + 11];
  if (n < 1 || n > 6 || len !== 12 + n) return null;
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 256 + a[off + 12 + k];
  return v;
}
