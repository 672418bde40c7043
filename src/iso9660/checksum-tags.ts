// libisofs's MD5 records (libisofs doc/checksums.txt, AAIP names isofs.ca / isofs.cx), so
// that xorriso verifies isopipe's checksums and cd-verify verifies xorriso's:
// - text tags, one per 2048-byte sector at byte 0:
//   `<id> pos=P range_start=S range_size=N[ next=X| session_start=X] md5=HEX self=HEX\n`
//   md5 covers sectors [S, S+N), self covers the text up to the end of the md5 value;
// - the checksum array: the session MD5, one MD5 per file, then the MD5 of those entries;
// - AAIP `AL` entries: `isofs.ca` on the root says where the array is and which range the
//   session MD5 covers, `isofs.cx` on each file gives its index in the array.
// Pure: bytes in, bytes out.
import { createHash } from 'node:crypto';
import { SECTOR } from './constants.js';

export const MD5_BYTES = 16;

export type TagType = 'session' | 'superblock' | 'tree' | 'relocated-superblock';

/** Identifiers in libisofs's order of tag types (1–4). */
const TAG_IDS: Record<TagType, string> = {
  session: 'libisofs_checksum_tag_v1',
  superblock: 'libisofs_sb_checksum_tag_v1',
  tree: 'libisofs_tree_checksum_tag_v1',
  'relocated-superblock': 'libisofs_rlsb32_checksum_tag_v1',
};

export interface ChecksumTag {
  type: TagType;
  /** LBA the tag says it is stored at. */
  pos: number;
  rangeStart: number;
  /** Sectors covered, from rangeStart. */
  rangeSize: number;
  /** `next=` (superblock and tree tags) or `session_start=` (relocated superblock tag). */
  next?: number;
  md5: Buffer;
}

export interface DecodedTag extends ChecksumTag {
  /** The tag's own checksum (self=) matches its text. */
  selfOk: boolean;
  /** Bytes of the tag line including its newline. */
  length: number;
}

export function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The tag as one 2048-byte sector: the text line, then zeros. */
export function encodeTag(tag: ChecksumTag, sectorBytes = SECTOR): Buffer {
  let text = `${TAG_IDS[tag.type]} pos=${tag.pos} range_start=${tag.rangeStart} range_size=${tag.rangeSize}`;
  if (tag.type === 'superblock' || tag.type === 'tree') text += ` next=${tag.next ?? 0}`;
  if (tag.type === 'relocated-superblock') text += ` session_start=${tag.next ?? 0}`;
  text += ` md5=${tag.md5.toString('hex')}`;
  const self = md5(Buffer.from(text, 'latin1')).toString('hex');
  text += ` self=${self}\n`;
  const out = Buffer.alloc(sectorBytes);
  out.write(text, 0, 'latin1');
  return out;
}

const DECIMAL = '(0|[1-9][0-9]{0,9})';
const HEX32 = '([0-9a-fA-F]{32})';
const TAG_LINE = new RegExp(
  `^(libisofs_(?:rlsb32_|sb_|tree_)?checksum_tag_v1) pos=${DECIMAL} range_start=${DECIMAL} range_size=${DECIMAL}` +
    `(?: (next|session_start)=${DECIMAL})? md5=${HEX32} self=${HEX32}\\n`,
);

/** Cheap test whether a sector may hold a tag (its first bytes name one). */
export function looksLikeTag(sector: Buffer): boolean {
  return sector.length >= 24 && sector[0] === 0x6c && sector.toString('latin1', 0, 9) === 'libisofs_';
}

/**
 * The tag at the start of `sector`, or null when the sector does not hold a well-formed
 * tag line. A line whose self= does not match is returned with selfOk false.
 */
export function decodeTag(sector: Buffer): DecodedTag | null {
  if (!looksLikeTag(sector)) return null;
  const end = sector.indexOf(0x0a);
  if (end < 0 || end > 400) return null;
  const line = sector.toString('latin1', 0, end + 1);
  const m = TAG_LINE.exec(line);
  if (!m) return null;
  const type = (Object.keys(TAG_IDS) as TagType[]).find((k) => TAG_IDS[k] === m[1])!;
  const wantsNext = type === 'superblock' || type === 'tree' ? 'next' : type === 'relocated-superblock' ? 'session_start' : undefined;
  if (m[5] !== wantsNext) return null;
  const selfEnd = line.indexOf(' self=');
  const selfOk = md5(Buffer.from(line.slice(0, selfEnd), 'latin1')).toString('hex') === m[8].toLowerCase();
  const tag: DecodedTag = {
    type,
    pos: Number(m[2]),
    rangeStart: Number(m[3]),
    rangeSize: Number(m[4]),
    md5: Buffer.from(m[7], 'hex'),
    selfOk,
    length: end + 1,
  };
  if (wantsNext) tag.next = Number(m[6]);
  return tag;
}

/**
 * Where a session's head-dependent checksums go. iso-pack writes the head last, so the tags
 * whose ranges start at the session start (tree, session) and the array's session MD5 can
 * only be computed by a second pass once the head is known — by iso-pack on a file, by
 * cd-write on a stream (src/session/checksum-seal.ts). The plan rides as a second line in
 * the superblock tag's sector, which libisofs's format allows after the tag's newline.
 */
export interface SealPlan {
  /** LBA of the tree tag. */
  tree: number;
  /** LBA of the checksum array. */
  array: number;
  /** Entries in the array: files + 2. */
  entries: number;
  /** LBA of the session tag. */
  session: number;
}

const PLAN_ID = 'isopipe_md5_seal_v1';
const PLAN_LINE = new RegExp(`^${PLAN_ID} tree=${DECIMAL} array=${DECIMAL} entries=${DECIMAL} session=${DECIMAL}\\n`);

/** The superblock tag followed by the plan line, as one sector. */
export function encodeSuperblockSector(tag: Omit<ChecksumTag, 'type'>, plan: SealPlan): Buffer {
  const sector = encodeTag({ ...tag, type: 'superblock' });
  const line = `${PLAN_ID} tree=${plan.tree} array=${plan.array} entries=${plan.entries} session=${plan.session}\n`;
  sector.write(line, sector.indexOf(0x0a) + 1, 'latin1');
  return sector;
}

/** The plan line after a superblock tag in `sector`, or null. */
export function decodeSealPlan(sector: Buffer): SealPlan | null {
  const tag = decodeTag(sector);
  if (tag?.type !== 'superblock') return null;
  const m = PLAN_LINE.exec(sector.toString('latin1', tag.length, tag.length + 120));
  if (!m) return null;
  return { tree: Number(m[1]), array: Number(m[2]), entries: Number(m[3]), session: Number(m[4]) };
}

// ------------------------------------------------------------------ AAIP attributes

/** AAIP's short form of the namespace "isofs." (AAIP 2.0, "Namespaces"). */
const NS_ISOFS = 0x04;
const AL_HEADER = 5;
/** Largest AL entry we write (LEN is one byte; keep records even). */
const MAX_AL = 250;

export interface Attribute {
  /** Full name, e.g. "isofs.ca". */
  name: string;
  value: Buffer;
}

function encodeName(name: string): Buffer {
  if (name.startsWith('isofs.')) return Buffer.concat([Buffer.from([NS_ISOFS]), Buffer.from(name.slice(6), 'latin1')]);
  return Buffer.from(name, 'latin1');
}

const NAMESPACES: Record<number, string> = { 2: 'system.', 3: 'user.', 4: 'isofs.', 5: 'trusted.', 6: 'security.' };

function decodeName(b: Buffer): string {
  if (b.length > 0 && NAMESPACES[b[0]] !== undefined) return NAMESPACES[b[0]] + b.toString('latin1', 1);
  if (b.length > 0 && b[0] === 0x01) return b.toString('latin1', 1);
  return b.toString('latin1');
}

/** Component records of one component (name or value), split at 255 bytes. */
function components(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off === 0 || off < bytes.length; off += 255) {
    const piece = bytes.subarray(off, off + 255);
    const c = Buffer.alloc(2 + piece.length);
    c[0] = off + 255 < bytes.length ? 1 : 0;
    c[1] = piece.length;
    piece.copy(c, 2);
    out.push(c);
  }
  return out;
}

/** AL entries carrying `attrs`, chained with CONTINUE; component records may span entries. */
export function encodeAttributeEntries(attrs: readonly Attribute[]): Buffer[] {
  const area = Buffer.concat(attrs.flatMap((a) => [...components(encodeName(a.name)), ...components(a.value)]));
  const room = MAX_AL - AL_HEADER;
  const out: Buffer[] = [];
  for (let off = 0; off === 0 || off < area.length; off += room) {
    const piece = area.subarray(off, off + room);
    const e = Buffer.alloc(AL_HEADER + piece.length);
    e.write('AL', 0, 'latin1');
    e[2] = e.length;
    e[3] = 1;
    e[4] = off + room < area.length ? 1 : 0;
    piece.copy(e, AL_HEADER);
    out.push(e);
  }
  return out;
}

/** Total bytes of the AL entries encodeAttributeEntries makes. */
export function attributeEntriesLength(attrs: readonly Attribute[]): number {
  return encodeAttributeEntries(attrs).reduce((n, e) => n + e.length, 0);
}

/**
 * Attributes from the component areas of a record's AL entries, in order (each a whole AL
 * entry including its 5-byte header). Throws an Error for malformed component records.
 */
export function decodeAttributeEntries(entries: readonly Buffer[]): Attribute[] {
  const area = Buffer.concat(entries.map((e) => e.subarray(AL_HEADER)));
  const parts: Buffer[] = [];
  let current: Buffer[] = [];
  let off = 0;
  while (off < area.length) {
    if (off + 2 > area.length) throw new Error('AL component record cut short');
    const flags = area[off];
    const len = area[off + 1];
    if (off + 2 + len > area.length) throw new Error('AL component record runs past its entries');
    current.push(area.subarray(off + 2, off + 2 + len));
    off += 2 + len;
    if (!(flags & 1)) {
      parts.push(Buffer.concat(current));
      current = [];
    }
  }
  if (current.length) throw new Error('AL component continues past the last entry');
  if (parts.length % 2) throw new Error('AL entries hold an odd number of components');
  const out: Attribute[] = [];
  for (let k = 0; k < parts.length; k += 2) out.push({ name: decodeName(parts[k]), value: parts[k + 1] });
  return out;
}

/** A number as ISO 9660 7.1.1 length byte + big-endian bytes, in `width` bytes (libisofs uses 4). */
function lenBytes(n: number, width = 4): Buffer {
  const b = Buffer.alloc(1 + width);
  b[0] = width;
  for (let k = 0; k < width; k++) b[1 + k] = Math.floor(n / 256 ** (width - 1 - k)) & 0xff;
  return b;
}

function readLenBytes(v: Buffer, off: number): [number, number] {
  if (off >= v.length) throw new Error('isofs.ca value cut short');
  const len = v[off];
  if (len < 1 || len > 6 || off + 1 + len > v.length) throw new Error(`isofs.ca field of ${len} bytes does not fit`);
  let n = 0;
  for (let k = 0; k < len; k++) n = n * 256 + v[off + 1 + k];
  return [n, off + 1 + len];
}

export interface ChecksumArea {
  /** First LBA the session MD5 covers. */
  start: number;
  /** LBA just past that range: where the checksum array starts. */
  end: number;
  /** Entries in the array: files + 2. */
  count: number;
  /** Bytes per entry (16 for MD5). */
  size: number;
  algorithm: string;
}

/** The value of `isofs.ca` (root directory). */
export function encodeChecksumArea(a: Pick<ChecksumArea, 'start' | 'end' | 'count'>): Buffer {
  return Buffer.concat([lenBytes(a.start), lenBytes(a.end), lenBytes(a.count), lenBytes(MD5_BYTES, 1), Buffer.from('MD5', 'latin1')]);
}

export function decodeChecksumArea(v: Buffer): ChecksumArea {
  let off = 0;
  const [start, o1] = readLenBytes(v, off);
  const [end, o2] = readLenBytes(v, o1);
  const [count, o3] = readLenBytes(v, o2);
  const [size, o4] = readLenBytes(v, o3);
  off = o4;
  return { start, end, count, size, algorithm: v.toString('latin1', off) };
}

/** The value of `isofs.cx`: the file's index in the array, 4 bytes big-endian as libisofs writes it. */
export function encodeChecksumIndex(index: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(index);
  return b;
}

export function decodeChecksumIndex(v: Buffer): number {
  if (v.length < 1 || v.length > 6) throw new Error(`isofs.cx value of ${v.length} bytes`);
  let n = 0;
  for (const c of v) n = n * 256 + c;
  return n;
}

/** Bytes of an array with `files` file entries: session MD5, files, MD5 of all before it. */
export function checksumArrayBytes(files: number): number {
  return (files + 2) * MD5_BYTES;
}
