// SUSP (IEEE P1281) entries and the Rock Ridge (IEEE P1282) attributes they carry, decoded
// from a System Use field and its continuation areas. Pure: the walker reads the areas a
// CE entry points to and feeds them back in.
import { type ChecksumArea, decodeAttributeEntries, decodeChecksumArea, decodeChecksumIndex } from '../iso9660/checksum-tags.js';
import { decodeZf, type ZfInfo } from '../iso9660/zisofs.js';
import { SL_CONTINUE, SL_CURRENT, SL_PARENT, SL_ROOT } from '../iso9660/rockridge.js';
import { FormatProblem } from '../iso9660/format-problem.js';
import { decodeLongDate, decodeShortDate } from '../iso9660/dates.js';

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

const NM_CONTINUE = 0x01;
const NM_CURRENT = 0x02;
const NM_PARENT = 0x04;

/** A SUSP signature as a number: two bytes compared without making a string. */
const sig = (s: string) => (s.charCodeAt(0) << 8) | s.charCodeAt(1);
const SIG_SP = sig('SP'), SIG_CE = sig('CE'), SIG_ST = sig('ST'), SIG_ER = sig('ER'), SIG_PX = sig('PX'), SIG_PN = sig('PN');
const SIG_NM = sig('NM'), SIG_SL = sig('SL'), SIG_TF = sig('TF'), SIG_CL = sig('CL'), SIG_PL = sig('PL'), SIG_RE = sig('RE');
const SIG_ZF = sig('ZF'), SIG_Z2 = sig('Z2'), SIG_AL = sig('AL');

function need(signature: number, len: number, n: number): void {
  if (len < n) throw new FormatProblem(`${String.fromCharCode(signature >> 8, signature & 0xff)} entry of ${len} bytes is shorter than ${n}`);
}

/** Collects the Rock Ridge attributes of one directory record across its areas. */
export class SystemUseDecoder {
  readonly rr: RockRidge = {};
  private nameOpen = true;
  private nameParts: string[] = [];
  private nameBytes = 0;
  private targetParts: string[] = [];
  private targetBytes = 0;
  /** What goes before the next SL component: '' after a component marked CONTINUE or after the root. */
  private slSeparator = '';
  private slStarted = false;
  /** AL entries of the attribute list being read (until one without CONTINUE). */
  private al: Buffer[] = [];
  private alBytes = 0;

  /**
   * Decodes the entries of one area (a System Use field or a continuation area).
   * Returns the CE entry's continuation, if the area has one.
   */
  feed(area: Buffer): Continuation | null {
    let ce: Continuation | null = null;
    let off = 0;
    while (off + 4 <= area.length) {
      const len = area[off + 2];
      // A LEN below 4 or past the field ends the entries (SUSP §5.x), as every reader does.
      if (len < 4 || off + len > area.length) break;
      const sig = (area[off] << 8) | area[off + 1];
      if (sig === SIG_ST) break;
      if (sig === SIG_CE) {
        need(sig, len, 28);
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
        need(sig, len, 7);
        if (a[off + 4] === 0xbe && a[off + 5] === 0xef) rr.spSkip = a[off + 6];
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
        need(sig, len, 20);
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
        this.alEntry(a.subarray(off, off + len));
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
  private alEntry(e: Buffer): void {
    if (e.length < 5) return;
    const last = (e[4] & 1) === 0;
    if (last && this.al.length === 0) {
      const cx = loneChecksumIndex(e);
      if (cx !== null) {
        this.rr.checksumIndex = cx;
        return;
      }
    }
    this.alBytes += e.length;
    if (this.alBytes <= MAX_AL_BYTES) this.al.push(e);
    if (!last) return;
    const entries = this.al;
    const fits = this.alBytes <= MAX_AL_BYTES;
    this.al = [];
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
    if (this.nameParts.length === 0 && !this.nameOpen) {
      this.rr.name = part; // the usual case: one NM entry
      return;
    }
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
      this.targetParts.push(piece);
      this.slStarted = true;
      this.slSeparator = sepAfter;
      off += 2 + len;
    }
    this.rr.target = this.targetParts.join('');
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
function loneChecksumIndex(e: Buffer): number | null {
  // AL LEN 1 flags | 0 3 0x04 'c' 'x' | 0 n value
  if (e.length < 12 || e[5] !== 0 || e[6] !== 3 || e[7] !== 0x04 || e[8] !== 0x63 || e[9] !== 0x78 || e[10] !== 0) return null;
  const n = e[11];
  if (n < 1 || n > 6 || e.length !== 12 + n) return null;
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 256 + e[12 + k];
  return v;
}
