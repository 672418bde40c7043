import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
// The head-last stream's framing sectors (docs/stream-format.md). Pure: bytes in, bytes out.

export const STREAM_VERSION = 1;
const HEADER_MAGIC = 'ISOPIPE-HEADLAST';
const TRAILER_MAGIC = 'ISOPIPE-TRAILER.';

/** Header flag: the session shows the same tree as the medium's newest session (iso-merge
 *  --mirror found nothing changed); cd-write --multi writes nothing. */
export const FLAG_UNCHANGED = 1;
const KNOWN_FLAGS = FLAG_UNCHANGED;
/** Offset of the flags in the header sector. */
export const FLAGS_OFFSET = 24;

export interface StreamHeader {
  start: number;
  /** FLAG_* bits (0 when absent). */
  flags?: number;
}

export interface StreamTrailer {
  start: number;
  sectors: number;
  crc32: number;
}

export function encodeStreamHeader(h: StreamHeader): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.write(HEADER_MAGIC, 0, 'latin1');
  b.writeUInt32LE(STREAM_VERSION, 16);
  b.writeUInt32LE(h.start, 20);
  b.writeUInt32LE(h.flags ?? 0, FLAGS_OFFSET);
  b.writeUInt32LE(HEAD_SECTORS, 28);
  return b;
}

/** True when `b` starts with the header magic, whatever the rest says. */
export function looksLikeStreamHeader(b: Buffer): boolean {
  return b.length >= 16 && b.toString('latin1', 0, 16) === HEADER_MAGIC;
}

/** Decodes a header sector; throws an Error describing what is wrong. */
export function decodeStreamHeader(b: Buffer): StreamHeader {
  if (b.length < SECTOR || !looksLikeStreamHeader(b)) throw new Error('not an isopipe head-last stream header');
  const version = b.readUInt32LE(16);
  if (version !== STREAM_VERSION) throw new Error(`head-last stream version ${version} is not supported (expected ${STREAM_VERSION})`);
  const flags = b.readUInt32LE(FLAGS_OFFSET);
  if (flags & ~KNOWN_FLAGS) throw new Error(`head-last stream has unknown flags 0x${(flags & ~KNOWN_FLAGS).toString(16)}: it was made by a newer iso-pack`);
  const head = b.readUInt32LE(28);
  if (head !== HEAD_SECTORS) throw new Error(`head-last stream head length ${head} is not ${HEAD_SECTORS}`);
  return { start: b.readUInt32LE(20), flags };
}

export function encodeStreamTrailer(t: StreamTrailer): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.write(TRAILER_MAGIC, 0, 'latin1');
  b.writeUInt32LE(STREAM_VERSION, 16);
  b.writeUInt32LE(t.start, 20);
  b.writeUInt32LE(t.sectors, 24);
  b.writeUInt32LE(t.crc32 >>> 0, 28);
  return b;
}

/** Decodes a trailer sector, or returns null when it is not one. */
export function decodeStreamTrailer(b: Buffer): StreamTrailer | null {
  if (b.length !== SECTOR || b.toString('latin1', 0, 16) !== TRAILER_MAGIC) return null;
  if (b.readUInt32LE(16) !== STREAM_VERSION) return null;
  return { start: b.readUInt32LE(20), sectors: b.readUInt32LE(24), crc32: b.readUInt32LE(28) };
}
