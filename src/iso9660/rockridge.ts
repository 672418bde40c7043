// SUSP (IEEE P1281) and Rock Ridge (IEEE P1282) entries. Each function returns whole
// entries; callers decide which go in the record and which in a continuation area.
import { encodeShortDate } from './dates.js';
import { put733 } from './numbers.js';

export const CE_LENGTH = 28;
export const PX_LENGTH = 44;
export const TF_LENGTH = 26;
export const PN_LENGTH = 20;
/** Largest SUSP entry we write: LEN is one byte; stay a little below to keep records even. */
const MAX_ENTRY = 250;

/** A zeroed entry with its signature, length and version. From Node's small-buffer pool:
 *  there are several per record, and a fresh allocation each cost more than the encoding. */
function header(sig: string, len: number): Buffer {
  const b = Buffer.allocUnsafe(len).fill(0);
  b[0] = sig.charCodeAt(0);
  b[1] = sig.charCodeAt(1);
  b[2] = len;
  b[3] = 1;
  return b;
}

/** SP: first entry of the root's `.` record; readers key all SUSP parsing on it. */
export function spEntry(): Buffer {
  const b = header('SP', 7);
  b[4] = 0xbe;
  b[5] = 0xef;
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
  const b = header('PX', PX_LENGTH);
  put733(b, 4, mode);
  put733(b, 12, nlink);
  put733(b, 20, uid);
  put733(b, 28, gid);
  put733(b, 36, serial);
  return b;
}

/** TF short form: modify, access, attributes (ctime) — Linux misreads the long form. */
export function tfEntry(mtime: number, atime: number, ctime: number): Buffer {
  const b = header('TF', TF_LENGTH);
  b[4] = 0x0e;
  encodeShortDate(mtime, b, 5);
  encodeShortDate(atime, b, 12);
  encodeShortDate(ctime, b, 19);
  return b;
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
  const room = NM_ROOM;
  const out: Buffer[] = [];
  for (let off = 0; off === 0 || off < name.length; off += room) {
    const piece = name.subarray(off, off + room);
    const b = header('NM', 5 + piece.length);
    b[4] = off + room < name.length ? 1 : 0;
    piece.copy(b, 5);
    out.push(b);
  }
  return out;
}

/** SL component record flags (RRIP 4.1.3.1), shared with the decoder. */
export const SL_CONTINUE = 0x01;
export const SL_CURRENT = 0x02;
export const SL_PARENT = 0x04;
export const SL_ROOT = 0x08;

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
