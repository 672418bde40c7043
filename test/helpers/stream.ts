// The head-last stream of docs/stream-format.md, read independently of src/session: turning a
// complete stream into the plain image it stands for, and judging whether a (possibly cut)
// stream ends in a valid trailer, exactly by the receiver's rules in that document.
import { crc32 } from 'node:zlib';

const SECTOR = 2048;
const HEAD = 32;
const HEADER_MAGIC = Buffer.from('ISOPIPE-HEADLAST', 'latin1');
const TRAILER_MAGIC = Buffer.from('ISOPIPE-TRAILER.', 'latin1');

export interface StreamParts {
  start: number; // S
  sectors: number; // N
  header: Buffer;
  body: Buffer;
  head: Buffer;
  trailer: Buffer;
}

/** Why `stream` is not a complete, valid head-last stream, or null when it is. */
export function streamProblem(stream: Buffer): string | null {
  if (stream.length % SECTOR !== 0) return `length ${stream.length} is not a whole number of sectors`;
  const total = stream.length / SECTOR;
  if (total < 1 + HEAD + 1) return `only ${total} sectors`;
  const h = stream.subarray(0, SECTOR);
  if (!h.subarray(0, 16).equals(HEADER_MAGIC)) return 'no header magic';
  if (h.readUInt32LE(16) !== 1) return `header version ${h.readUInt32LE(16)}`;
  if (h.readUInt32LE(24) !== 0) return `header flags ${h.readUInt32LE(24)}`;
  if (h.readUInt32LE(28) !== HEAD) return `head length ${h.readUInt32LE(28)}`;
  if (!h.subarray(32).equals(Buffer.alloc(SECTOR - 32))) return 'header padding is not zero';
  const t = stream.subarray(stream.length - SECTOR);
  if (!t.subarray(0, 16).equals(TRAILER_MAGIC)) return 'no trailer magic';
  if (t.readUInt32LE(16) !== 1) return `trailer version ${t.readUInt32LE(16)}`;
  if (t.readUInt32LE(20) !== h.readUInt32LE(20)) return `trailer S ${t.readUInt32LE(20)} is not the header's ${h.readUInt32LE(20)}`;
  const n = t.readUInt32LE(24);
  if (n + 2 !== total) return `trailer N ${n} does not match ${total - 2} sectors of body and head`;
  if (n % 32 !== 0) return `N ${n} is not a multiple of 32`;
  const crc = crc32(stream.subarray(0, stream.length - SECTOR)) >>> 0;
  if (t.readUInt32LE(28) !== crc) return `trailer CRC ${t.readUInt32LE(28).toString(16)} is not ${crc.toString(16)}`;
  if (!t.subarray(32).equals(Buffer.alloc(SECTOR - 32))) return 'trailer padding is not zero';
  return null;
}

export function splitStream(stream: Buffer): StreamParts {
  const why = streamProblem(stream);
  if (why) throw new Error(`not a valid head-last stream: ${why}`);
  const total = stream.length / SECTOR;
  return {
    start: stream.readUInt32LE(20),
    sectors: stream.readUInt32LE(stream.length - SECTOR + 24),
    header: stream.subarray(0, SECTOR),
    body: stream.subarray(SECTOR, (total - 1 - HEAD) * SECTOR),
    head: stream.subarray((total - 1 - HEAD) * SECTOR, (total - 1) * SECTOR),
    trailer: stream.subarray((total - 1) * SECTOR),
  };
}

/** The plain image (sectors S … S+N−1 from offset 0) a complete stream stands for. */
export function streamToImage(stream: Buffer): Buffer {
  const p = splitStream(stream);
  return Buffer.concat([p.head, p.body]);
}
