// Volume descriptors (ECMA-119 §8, Joliet SVD), both ways over one table of offsets (VD).
// Encoding: one 2048-byte sector each, as iso-pack writes them. Decoding: the few fields
// session discovery and the medium head need. Pure and hostile-input safe: every offset is
// inside the sector, both-endian halves are compared, nothing throws on garbage except
// decodeVolumeDescriptor, which says exactly what is wrong.
import { SECTOR } from './constants.js';
import { decodeVolumeDate, encodeLongDate } from './dates.js';
import { put723, put733, putPaddedAscii } from './numbers.js';

export const DESCRIPTOR_BOOT = 0;
export const DESCRIPTOR_PRIMARY = 1;
export const DESCRIPTOR_SUPPLEMENTARY = 2;
export const DESCRIPTOR_PARTITION = 3;
export const DESCRIPTOR_TERMINATOR = 255;

const STANDARD_ID = 'CD001';
/** libisoburn's "pseudo-blank" marks (isoburn_invalidate_iso): an image turned blank on purpose. */
const PSEUDO_BLANK_IDS = ['CDXX1'];

/** Offsets inside a PVD/SVD (ECMA-119 §8.4). */
export const VD = {
  type: 0,
  standardId: 1,
  version: 6,
  flags: 7,
  systemId: 8,
  volumeId: 40,
  volumeSpaceSize: 80,
  escapeSequences: 88,
  volumeSetSize: 120,
  volumeSequenceNumber: 124,
  logicalBlockSize: 128,
  pathTableSize: 132,
  lPathTable: 140,
  optionalLPathTable: 144,
  mPathTable: 148,
  optionalMPathTable: 152,
  rootRecord: 156,
  volumeSetId: 190,
  publisherId: 318,
  preparerId: 446,
  applicationId: 574,
  copyrightFileId: 702,
  abstractFileId: 739,
  bibliographicFileId: 776,
  creationDate: 813,
  modificationDate: 830,
  expirationDate: 847,
  effectiveDate: 864,
  fileStructureVersion: 881,
  applicationUse: 883,
  applicationUseLength: 512,
} as const;

export interface RootRecord {
  /** Absolute LBA of the root directory's extent. */
  extent: number;
  /** Bytes in the root directory's extent. */
  size: number;
  flags: number;
}

export interface VolumeDescriptor {
  type: 1 | 2;
  version: number;
  /** Joliet level 1–3 for an SVD with a Joliet escape sequence, else 0. */
  jolietLevel: number;
  systemId: string;
  volumeId: string;
  /** Number of logical blocks (the LE half, as Linux and libisoburn read it). */
  volumeSpaceSize: number;
  logicalBlockSize: number;
  pathTableSize: number;
  lPathTable: number;
  mPathTable: number;
  root: RootRecord;
  volumeSetId: string;
  publisherId: string;
  preparerId: string;
  applicationId: string;
  created: Date | null;
  modified: Date | null;
  fileStructureVersion: number;
  /** Things a strict reader would reject (mismatched both-endian halves, odd block size). */
  problems: string[];
}

/** The standard identifier of a descriptor-like sector: 'CD001', a pseudo-blank mark, or null. */
export function standardIdentifier(sector: Buffer): string | null {
  if (sector.length < SECTOR) return null;
  const id = sector.toString('latin1', VD.standardId, VD.standardId + 5);
  if (id === STANDARD_ID || PSEUDO_BLANK_IDS.includes(id)) return id;
  // libisoburn also accepts 'CDxx1' with type byte 'x' as pseudo-blank.
  if (id === 'CDxx1' && sector[0] === 0x78) return id;
  return null;
}

/** True for any ECMA-119 volume descriptor (type byte aside). */
export function isVolumeDescriptor(sector: Buffer): boolean {
  return standardIdentifier(sector) === STANDARD_ID;
}

/** True for a sector libisoburn would accept as a PVD when it scans for sessions. */
export function isPrimaryDescriptor(sector: Buffer): boolean {
  return isVolumeDescriptor(sector) && sector[VD.type] === DESCRIPTOR_PRIMARY;
}

export function isTerminator(sector: Buffer): boolean {
  return isVolumeDescriptor(sector) && sector[VD.type] === DESCRIPTOR_TERMINATOR;
}

/** True for libisoburn's pseudo-blank head: the PVD's identifier overwritten with CDXX1. */
export function isPseudoBlankDescriptor(sector: Buffer): boolean {
  const id = standardIdentifier(sector);
  return id !== null && id !== STANDARD_ID;
}

export function isZeroSector(b: Buffer, off = 0, len = b.length - off): boolean {
  for (let i = off; i < off + len; i++) if (b[i] !== 0) return false;
  return true;
}

/** 7.3.3 both-endian uint32: the LE half, and whether the BE half agrees. */
function both32(b: Buffer, off: number): [number, boolean] {
  const le = b.readUInt32LE(off);
  return [le, le === b.readUInt32BE(off + 4)];
}

function both16(b: Buffer, off: number): [number, boolean] {
  const le = b.readUInt16LE(off);
  return [le, le === b.readUInt16BE(off + 2)];
}

function latin1Field(b: Buffer, off: number, len: number): string {
  return b.toString('latin1', off, off + len).replace(/[\0 ]+$/, '');
}

/** Joliet text: UCS-2 big-endian, padded with spaces (0x0020) or zeros. */
function ucs2Field(b: Buffer, off: number, len: number): string {
  let s = '';
  for (let i = off; i + 1 < off + len; i += 2) s += String.fromCharCode(b.readUInt16BE(i));
  return s.replace(/[\0 ]+$/, '');
}

function jolietLevelOf(sector: Buffer): number {
  if (sector[VD.escapeSequences] !== 0x25 || sector[VD.escapeSequences + 1] !== 0x2f) return 0;
  const third = sector[VD.escapeSequences + 2];
  return third === 0x40 ? 1 : third === 0x43 ? 2 : third === 0x45 ? 3 : 0;
}

/**
 * Decodes a Primary (type 1) or Supplementary (type 2) Volume Descriptor.
 * Throws an Error saying what is wrong when the sector is not one.
 */
export function decodeVolumeDescriptor(sector: Buffer): VolumeDescriptor {
  if (sector.length < SECTOR) throw new Error(`volume descriptor is ${sector.length} bytes, not ${SECTOR}`);
  if (!isVolumeDescriptor(sector)) throw new Error('no CD001 volume descriptor');
  const type = sector[VD.type];
  if (type !== DESCRIPTOR_PRIMARY && type !== DESCRIPTOR_SUPPLEMENTARY) throw new Error(`volume descriptor type ${type} is not a primary or supplementary one`);
  const problems: string[] = [];
  const check = ([v, ok]: [number, boolean], what: string): number => {
    if (!ok) problems.push(`${what}: both-endian halves differ`);
    return v;
  };
  const volumeSpaceSize = check(both32(sector, VD.volumeSpaceSize), 'volume space size');
  const logicalBlockSize = check(both16(sector, VD.logicalBlockSize), 'logical block size');
  if (logicalBlockSize !== SECTOR) problems.push(`logical block size ${logicalBlockSize} is not ${SECTOR}`);
  const pathTableSize = check(both32(sector, VD.pathTableSize), 'path table size');
  const r = VD.rootRecord;
  if (sector[r] !== 34) problems.push(`root directory record length ${sector[r]} is not 34`);
  const root: RootRecord = {
    extent: check(both32(sector, r + 2), 'root extent'),
    size: check(both32(sector, r + 10), 'root size'),
    flags: sector[r + 25],
  };
  if ((root.flags & 0x02) === 0) problems.push('root directory record is not flagged as a directory');
  const jolietLevel = type === DESCRIPTOR_SUPPLEMENTARY ? jolietLevelOf(sector) : 0;
  const text = jolietLevel ? ucs2Field : latin1Field;
  return {
    type,
    version: sector[VD.version],
    jolietLevel,
    systemId: text(sector, VD.systemId, 32),
    volumeId: text(sector, VD.volumeId, 32),
    volumeSpaceSize,
    logicalBlockSize,
    pathTableSize,
    lPathTable: sector.readUInt32LE(VD.lPathTable),
    mPathTable: sector.readUInt32BE(VD.mPathTable),
    root,
    volumeSetId: text(sector, VD.volumeSetId, 128),
    publisherId: text(sector, VD.publisherId, 128),
    preparerId: text(sector, VD.preparerId, 128),
    applicationId: text(sector, VD.applicationId, 128),
    created: decodeVolumeDate(sector, VD.creationDate),
    modified: decodeVolumeDate(sector, VD.modificationDate),
    fileStructureVersion: sector[VD.fileStructureVersion],
    problems,
  };
}

/** The 512-byte application use area of a PVD/SVD (a view, not a copy). */
export function applicationUse(sector: Buffer): Buffer {
  return sector.subarray(VD.applicationUse, VD.applicationUse + VD.applicationUseLength);
}

/** A copy of a PVD/SVD with its volume space size set to `blocks` (both halves). */
export function withVolumeSpaceSize(sector: Buffer, blocks: number): Buffer {
  if (!Number.isInteger(blocks) || blocks < 0 || blocks > 0xffffffff) throw new RangeError(`volume space size ${blocks} out of range`);
  const out = Buffer.from(sector);
  out.writeUInt32LE(blocks, VD.volumeSpaceSize);
  out.writeUInt32BE(blocks, VD.volumeSpaceSize + 4);
  return out;
}

/** A copy of a descriptor whose standard identifier reads CDXX1: libisoburn's pseudo-blank PVD. */
export function asPseudoBlank(sector: Buffer): Buffer {
  const out = Buffer.from(sector);
  out.write('CDXX1', VD.standardId, 'latin1');
  return out;
}

export interface DescriptorSetEntry {
  /** Index of the sector in the buffer it was found in (16 = the PVD's usual place). */
  index: number;
  type: number;
}

/**
 * The volume descriptor set in a session head held in `head` (sector 0 = session start):
 * every descriptor from sector 16 up to and including the first terminator. Returns null
 * when the set does not start with a descriptor or no terminator lies inside the buffer.
 */
export function descriptorSet(head: Buffer): DescriptorSetEntry[] | null {
  const sectors = Math.floor(head.length / SECTOR);
  const out: DescriptorSetEntry[] = [];
  for (let i = 16; i < sectors; i++) {
    const s = head.subarray(i * SECTOR, (i + 1) * SECTOR);
    if (!isVolumeDescriptor(s)) return null;
    out.push({ index: i, type: s[VD.type] });
    if (s[VD.type] === DESCRIPTOR_TERMINATOR) return out;
  }
  return null;
}

// Encoding.

export interface VolumeIdentity {
  systemId: string;
  volumeId: string;
  volumeSetId: string;
  publisherId: string;
  preparerId: string;
  applicationId: string;
  /** Volume creation/modification date, epoch seconds. */
  date: number;
}

export interface VolumeGeometry {
  /** Volume Space Size in sectors. */
  volumeSpaceSize: number;
  pathTableSize: number;
  lPathTable: number;
  mPathTable: number;
  /** The 34-byte root directory record. */
  rootRecord: Buffer;
}

const JOLIET_LEVEL3_ESCAPE = [0x25, 0x2f, 0x45];

/** Printable ASCII only: anything else becomes `_` so every field stays 1 byte per character. */
function asciiField(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_');
}

function putUcs2Field(b: Buffer, off: number, len: number, s: string): void {
  for (let i = 0; i + 1 < len; i += 2) b.writeUInt16BE(0x0020, off + i);
  if (len % 2 === 1) b[off + len - 1] = 0;
  const units = Math.floor(len / 2);
  for (let i = 0; i < Math.min(s.length, units); i++) b.writeUInt16BE(s.charCodeAt(i), off + 2 * i);
}

function encodeDescriptor(type: 1 | 2, id: VolumeIdentity, geo: VolumeGeometry): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[VD.type] = type;
  b.write(STANDARD_ID, VD.standardId, 'latin1');
  b[VD.version] = 1;
  const text =
    type === DESCRIPTOR_PRIMARY
      ? (o: number, l: number, s: string) => putPaddedAscii(b, o, l, asciiField(s))
      : (o: number, l: number, s: string) => putUcs2Field(b, o, l, s);
  text(VD.systemId, 32, id.systemId);
  text(VD.volumeId, 32, id.volumeId);
  put733(b, VD.volumeSpaceSize, geo.volumeSpaceSize);
  if (type === DESCRIPTOR_SUPPLEMENTARY) JOLIET_LEVEL3_ESCAPE.forEach((c, i) => (b[VD.escapeSequences + i] = c));
  put723(b, VD.volumeSetSize, 1);
  put723(b, VD.volumeSequenceNumber, 1);
  put723(b, VD.logicalBlockSize, SECTOR);
  put733(b, VD.pathTableSize, geo.pathTableSize);
  b.writeUInt32LE(geo.lPathTable, VD.lPathTable);
  b.writeUInt32BE(geo.mPathTable, VD.mPathTable);
  geo.rootRecord.copy(b, VD.rootRecord, 0, 34);
  text(VD.volumeSetId, 128, id.volumeSetId);
  text(VD.publisherId, 128, id.publisherId);
  text(VD.preparerId, 128, id.preparerId);
  text(VD.applicationId, 128, id.applicationId);
  text(VD.copyrightFileId, 37, '');
  text(VD.abstractFileId, 37, '');
  text(VD.bibliographicFileId, 37, '');
  encodeLongDate(id.date, b, VD.creationDate);
  encodeLongDate(id.date, b, VD.modificationDate);
  encodeLongDate(null, b, VD.expirationDate);
  encodeLongDate(null, b, VD.effectiveDate);
  b[VD.fileStructureVersion] = 1;
  return b;
}

export function encodePrimaryDescriptor(id: VolumeIdentity, geo: VolumeGeometry): Buffer {
  return encodeDescriptor(DESCRIPTOR_PRIMARY, id, geo);
}

export function encodeJolietDescriptor(id: VolumeIdentity, geo: VolumeGeometry): Buffer {
  return encodeDescriptor(DESCRIPTOR_SUPPLEMENTARY, id, geo);
}

/** A volume descriptor set terminator (type 255). */
export function encodeTerminator(): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[VD.type] = DESCRIPTOR_TERMINATOR;
  b.write(STANDARD_ID, VD.standardId, 'latin1');
  b[VD.version] = 1;
  return b;
}
