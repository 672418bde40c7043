// cd-write's side of DESIGN §4: takes a session as it arrives — the head-last stream
// (docs/stream-format.md) or a plain ISO image in LBA order — and hands its sectors to a
// sink in large batches at their offset from the session start, holding back what must be
// written last (the head). It returns the head only when the session is complete and
// valid; any other ending throws, and the caller commits nothing.
// Memory is constant: one batch plus the held-back sectors.
import { decodeVolumeDescriptor, isPrimaryDescriptor, isZeroSector, type VolumeDescriptor } from '../iso9660/volume-descriptor.js';
import { FLAG_UNCHANGED, decodeStreamHeader, decodeStreamTrailer, looksLikeStreamHeader, type StreamHeader } from './format.js';
import { findBuiltFor, isRootDirectorySector } from './plain-image.js';
import { StreamCrc } from './stream-crc.js';
import { SECTOR, HEAD_SECTORS } from '../iso9660/constants.js';

/** Bytes handed to the sink per write. */
export const BATCH_BYTES = 1 << 20;
/** Head plus trailer: what a head-last receiver must hold back. */
const STREAM_HOLD = (HEAD_SECTORS + 1) * SECTOR;

export type SessionBegin =
  | {
      kind: 'head-last';
      start: number;
      knownSectors: number | null;
      /** The header's "unchanged" flag: the session repeats the newest session's tree. */
      unchanged: boolean;
    }
  | {
      kind: 'plain';
      pvd: VolumeDescriptor;
      /** The LBA the image was laid out for, when its root directory was already found. */
      builtFor: number | null;
      /** Sectors of the image, from its PVD. */
      knownSectors: number;
      /** The image's first 32 sectors (zero past its volume end): media written strictly in
       *  LBA order (a write-once disc) must write them first, not last. */
      head: Buffer;
    };

export interface SessionSink {
  /** Called before any sector is handed over; returns the start LBA to write at, or throws to refuse. */
  begin(info: SessionBegin): number;
  /** `data` (whole sectors) belongs at session start + `offset` sectors. Only valid during the call. */
  write(offset: number, data: Buffer): void;
}

export interface ReceivedSession {
  kind: 'head-last' | 'plain';
  start: number;
  /** The session's length in sectors (N from the trailer; a plain image's volume space size). */
  sectors: number;
  /** The session's first 32 sectors, not yet written anywhere. */
  head: Buffer;
  /** A plain image's sectors after its volume space size that were not zero (ignored). */
  ignoredSectors: number;
}

export interface ReceiveOptions {
  /** Size of the whole input when known (a file): lets the sink check room before writing. */
  inputBytes?: number | null;
  /** Reads sectors of a seekable input, for checking a plain image's start before writing. */
  peek?: (sector: number, count: number) => Buffer | null;
  /** Starts worth checking through `peek` (the medium's next writable address, 0 on a blank one). */
  candidates?: number[];
}

export class SessionStreamError extends Error {
  override name = 'SessionStreamError';
}

type State = 'detect' | 'stream' | 'plain-head' | 'plain-body' | 'done';

class Receiver {
  private buf = Buffer.allocUnsafe(2 * BATCH_BYTES + STREAM_HOLD);
  private len = 0;
  private state: State = 'detect';
  private readonly crc = new StreamCrc();
  private start = 0;
  /** Sectors handed over or dropped after the head (offset from the head's end). */
  private bodySectors = 0;
  private head: Buffer | null = null;
  private pvd: VolumeDescriptor | null = null;
  private rootFoundAt: number | null = null;
  private ignored = 0;

  constructor(
    private readonly sink: SessionSink,
    private readonly opts: ReceiveOptions,
  ) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const room = this.buf.length - this.len;
      if (room === 0) throw new Error('receiver buffer overrun'); // process() always drains below the threshold
      const n = Math.min(room, chunk.length - off);
      chunk.copy(this.buf, this.len, off, off + n);
      this.len += n;
      off += n;
      this.process(false);
    }
  }

  end(): ReceivedSession {
    this.process(true);
    if (this.state === 'stream') return this.endStream();
    if (this.state === 'plain-body') return this.endPlain();
    throw new SessionStreamError('internal: input ended in state ' + this.state);
  }

  private consume(bytes: number): void {
    this.buf.copyWithin(0, bytes, this.len);
    this.len -= bytes;
  }

  private process(atEnd: boolean): void {
    for (;;) {
      switch (this.state) {
        case 'detect':
          if (!this.detect(atEnd)) return;
          break;
        case 'plain-head':
          if (!this.plainHead(atEnd)) return;
          break;
        case 'stream': {
          if (this.len < STREAM_HOLD + BATCH_BYTES) return;
          const k = Math.floor((this.len - STREAM_HOLD) / SECTOR);
          this.emitStream(k);
          return;
        }
        case 'plain-body': {
          if (this.len < BATCH_BYTES) return;
          this.emitPlain(Math.floor(this.len / SECTOR));
          return;
        }
        default:
          return;
      }
    }
  }

  /** Returns true when the state changed and processing should go on. */
  private detect(atEnd: boolean): boolean {
    if (this.len < SECTOR) {
      if (!atEnd) return false;
      throw new SessionStreamError(this.len === 0 ? 'no session on input (it is empty)' : `input is only ${this.len} bytes: not a session`);
    }
    const first = this.buf.subarray(0, SECTOR);
    if (looksLikeStreamHeader(first)) {
      let header: StreamHeader;
      try {
        header = decodeStreamHeader(first);
      } catch (err) {
        throw new SessionStreamError((err as Error).message);
      }
      const known = this.opts.inputBytes ? this.opts.inputBytes / SECTOR - 2 : null;
      this.start = this.sink.begin({
        kind: 'head-last',
        start: header.start,
        knownSectors: known !== null && Number.isInteger(known) && known >= HEAD_SECTORS ? known : null,
        unchanged: ((header.flags ?? 0) & FLAG_UNCHANGED) !== 0,
      });
      this.crc.update(first);
      this.consume(SECTOR);
      this.state = 'stream';
      return true;
    }
    if (this.len < 17 * SECTOR) {
      if (!atEnd) return false;
      throw new SessionStreamError('input is neither an isopipe head-last stream nor an ISO 9660 image (too short for a volume descriptor at sector 16)');
    }
    const s16 = this.buf.subarray(16 * SECTOR, 17 * SECTOR);
    if (!isPrimaryDescriptor(s16))
      throw new SessionStreamError('input is neither an isopipe head-last stream nor an ISO 9660 image (no primary volume descriptor at sector 16)');
    try {
      this.pvd = decodeVolumeDescriptor(s16);
    } catch (err) {
      throw new SessionStreamError(`the image's volume descriptor is unusable: ${(err as Error).message}`);
    }
    if (this.pvd.volumeSpaceSize < 17)
      throw new SessionStreamError(`the image's volume space size ${this.pvd.volumeSpaceSize} is too small for an ISO 9660 volume`);
    if (this.pvd.logicalBlockSize !== SECTOR) throw new SessionStreamError(`the image's logical block size is ${this.pvd.logicalBlockSize}, not ${SECTOR}`);
    this.state = 'plain-head';
    return true;
  }

  private plainHead(atEnd: boolean): boolean {
    const want = HEAD_SECTORS * SECTOR;
    if (this.len < want && !atEnd) return false;
    const pvd = this.pvd!;
    const have = Math.floor(Math.min(this.len, want) / SECTOR);
    const head = Buffer.alloc(want);
    this.buf.copy(head, 0, 0, Math.min(have, pvd.volumeSpaceSize) * SECTOR);
    const root = pvd.root.extent;
    for (let p = 17; p < have; p++)
      if (isRootDirectorySector(head.subarray(p * SECTOR, (p + 1) * SECTOR), root)) {
        this.rootFoundAt = p;
        break;
      }
    let builtFor = this.rootFoundAt === null ? null : root - this.rootFoundAt;
    if (builtFor === null && this.opts.peek) {
      for (const c of this.opts.candidates ?? []) {
        const p = root - c;
        if (p < HEAD_SECTORS || p >= pvd.volumeSpaceSize) continue;
        const s = this.opts.peek(p, 1);
        if (s && isRootDirectorySector(s, root)) {
          builtFor = c;
          this.rootFoundAt = p;
          break;
        }
      }
      if (builtFor === null) {
        // Not where the medium wants it: find where it does belong, for the refusal.
        builtFor = findBuiltFor(pvd, this.opts.peek);
        if (builtFor !== null) this.rootFoundAt = root - builtFor;
      }
    }
    this.start = this.sink.begin({ kind: 'plain', pvd, builtFor, knownSectors: pvd.volumeSpaceSize, head });
    if (this.rootFoundAt !== null && root - this.rootFoundAt !== this.start) throw this.wrongStart(root - this.rootFoundAt);
    this.head = head;
    this.consume(have * SECTOR);
    this.bodySectors = have - HEAD_SECTORS; // negative while the image is shorter than its head
    this.state = 'plain-body';
    return true;
  }

  private wrongStart(builtFor: number): SessionStreamError {
    return new SessionStreamError(`image was laid out for LBA ${builtFor}, not for LBA ${this.start} where it would be written`);
  }

  private emitStream(k: number): void {
    if (k <= 0) return;
    const data = this.buf.subarray(0, k * SECTOR);
    this.crc.update(data);
    this.sink.write(HEAD_SECTORS + this.bodySectors, data);
    this.bodySectors += k;
    this.consume(k * SECTOR);
  }

  private emitPlain(k: number): void {
    if (k <= 0) return;
    const pvd = this.pvd!;
    const first = HEAD_SECTORS + this.bodySectors;
    if (this.rootFoundAt === null) {
      const root = pvd.root.extent;
      for (let i = 0; i < k; i++) {
        if (first + i >= pvd.volumeSpaceSize) break;
        if (isRootDirectorySector(this.buf.subarray(i * SECTOR, (i + 1) * SECTOR), root)) {
          this.rootFoundAt = first + i;
          if (root - this.rootFoundAt !== this.start) throw this.wrongStart(root - this.rootFoundAt);
          break;
        }
      }
    }
    const keep = Math.max(0, Math.min(k, pvd.volumeSpaceSize - first));
    if (keep > 0) this.sink.write(first, this.buf.subarray(0, keep * SECTOR));
    for (let i = keep; i < k; i++) if (!isZeroSector(this.buf, i * SECTOR, SECTOR)) this.ignored++;
    this.bodySectors += k;
    this.consume(k * SECTOR);
  }

  private endStream(): ReceivedSession {
    if (this.len % SECTOR !== 0) throw new SessionStreamError('stream ends in the middle of a sector: it was cut short');
    const left = this.len / SECTOR;
    if (left < HEAD_SECTORS + 1) throw new SessionStreamError('stream ended before its head and trailer: it was cut short');
    this.emitStream(left - HEAD_SECTORS - 1);
    const head = Buffer.from(this.buf.subarray(0, HEAD_SECTORS * SECTOR));
    this.crc.update(head);
    const trailer = decodeStreamTrailer(this.buf.subarray(HEAD_SECTORS * SECTOR, (HEAD_SECTORS + 1) * SECTOR));
    if (!trailer) throw new SessionStreamError('stream has no valid trailer: it was cut short or damaged');
    if (trailer.start !== this.start) throw new SessionStreamError(`stream trailer names LBA ${trailer.start}, its header LBA ${this.start}`);
    const received = this.bodySectors + HEAD_SECTORS;
    if (trailer.sectors !== received) throw new SessionStreamError(`stream holds ${received} session sectors but its trailer says ${trailer.sectors}: damaged`);
    if (trailer.crc32 >>> 0 !== this.crc.value) throw new SessionStreamError('stream checksum does not match its trailer: damaged');
    this.state = 'done';
    return { kind: 'head-last', start: this.start, sectors: trailer.sectors, head, ignoredSectors: 0 };
  }

  private endPlain(): ReceivedSession {
    if (this.len % SECTOR !== 0) throw new SessionStreamError('image ends in the middle of a sector: it was cut short');
    this.emitPlain(this.len / SECTOR);
    const pvd = this.pvd!;
    const received = HEAD_SECTORS + this.bodySectors;
    if (received < pvd.volumeSpaceSize)
      throw new SessionStreamError(`image ended after ${received} sectors but its volume space size is ${pvd.volumeSpaceSize}: it was cut short`);
    if (this.rootFoundAt === null)
      throw new SessionStreamError(`image's root directory (LBA ${pvd.root.extent}) is not where a session at LBA ${this.start} would have it`);
    this.state = 'done';
    return { kind: 'plain', start: this.start, sectors: pvd.volumeSpaceSize, head: this.head!, ignoredSectors: this.ignored };
  }
}

/** Bytes one push() may hand to the sink beyond the chunk itself (what the receiver holds back). */
export const RECEIVER_HOLD_BYTES = 2 * BATCH_BYTES + STREAM_HOLD;

/** A receiver fed chunk by chunk, for callers whose input arrives asynchronously (a drive burn). */
export interface SessionReceiver {
  push(chunk: Buffer): void;
  end(): ReceivedSession;
}

export function sessionReceiver(sink: SessionSink, opts: ReceiveOptions = {}): SessionReceiver {
  return new Receiver(sink, opts);
}

/** Receives one session from `chunks` (each chunk valid only until the next is taken). */
export function receiveSession(chunks: Iterable<Buffer>, sink: SessionSink, opts: ReceiveOptions = {}): ReceivedSession {
  const r = new Receiver(sink, opts);
  for (const c of chunks) r.push(c);
  return r.end();
}
