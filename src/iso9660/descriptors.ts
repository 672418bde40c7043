// Volume descriptors (ECMA-119 §8; Joliet SVD). Pure encoders: one 2048-byte sector each.
import { encodeLongDate } from './dates.js';
import { put723, put733, putPaddedAscii } from './numbers.js';
import { SECTOR } from './constants.js';

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
  b[0] = type;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  const text = type === 1 ? (o: number, l: number, s: string) => putPaddedAscii(b, o, l, asciiField(s)) : (o: number, l: number, s: string) => putUcs2Field(b, o, l, s);
  text(8, 32, id.systemId);
  text(40, 32, id.volumeId);
  put733(b, 80, geo.volumeSpaceSize);
  if (type === 2) JOLIET_LEVEL3_ESCAPE.forEach((c, i) => (b[88 + i] = c));
  put723(b, 120, 1);
  put723(b, 124, 1);
  put723(b, 128, SECTOR);
  put733(b, 132, geo.pathTableSize);
  b.writeUInt32LE(geo.lPathTable, 140);
  b.writeUInt32BE(geo.mPathTable, 148);
  geo.rootRecord.copy(b, 156, 0, 34);
  text(190, 128, id.volumeSetId);
  text(318, 128, id.publisherId);
  text(446, 128, id.preparerId);
  text(574, 128, id.applicationId);
  text(702, 37, '');
  text(739, 37, '');
  text(776, 37, '');
  encodeLongDate(id.date, b, 813);
  encodeLongDate(id.date, b, 830);
  encodeLongDate(null, b, 847);
  encodeLongDate(null, b, 864);
  b[881] = 1;
  return b;
}

export function encodePrimaryDescriptor(id: VolumeIdentity, geo: VolumeGeometry): Buffer {
  return encodeDescriptor(1, id, geo);
}

export function encodeJolietDescriptor(id: VolumeIdentity, geo: VolumeGeometry): Buffer {
  return encodeDescriptor(2, id, geo);
}

export function encodeTerminator(): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[0] = 255;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  return b;
}
