// Where a session's bytes go (DESIGN §4): a plain image (head written last, in place) or
// the head-last stream with header and trailer. Data is batched into large writes.
import { crc32 } from 'node:zlib';
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { HEAD_SECTORS, SECTOR, encodeStreamHeader, encodeStreamTrailer } from './format.js';

const BATCH = 1 << 20;

/** A byte sink: a file descriptor we may seek in, or a stream (a pipe). */
export type Sink = { kind: 'fd'; fd: number } | { kind: 'stream'; stream: Writable };

export class SessionOutput {
  private batch = Buffer.allocUnsafe(BATCH);
  private fill = 0;
  private position = 0;
  private crc = 0;
  private pending: Promise<void> | null = null;
  private bodyBytes = 0;

  /** @param streamFraming head-last stream (for pipes) instead of a plain image. */
  constructor(private readonly sink: Sink, private readonly start: number, private readonly streamFraming: boolean) {
    if (streamFraming) this.append(encodeStreamHeader({ start }));
    else this.append(Buffer.alloc(HEAD_SECTORS * SECTOR));
    this.bodyBytes = 0;
  }

  /** Bytes of the session body written so far (after the head). */
  get written(): number {
    return this.bodyBytes;
  }

  /** Copies `data` into the batch; call `drain()` between input chunks. */
  append(data: Buffer): void {
    this.bodyBytes += data.length;
    let off = 0;
    while (off < data.length) {
      const n = Math.min(BATCH - this.fill, data.length - off);
      data.copy(this.batch, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === BATCH) this.flushBatch();
    }
  }

  appendZeros(n: number): void {
    while (n > 0) {
      const k = Math.min(n, BATCH - this.fill);
      this.batch.fill(0, this.fill, this.fill + k);
      this.fill += k;
      this.bodyBytes += k;
      n -= k;
      if (this.fill === BATCH) this.flushBatch();
    }
  }

  /** Resolves once the sink has taken what was handed to it (backpressure for pipes). */
  async drain(): Promise<void> {
    while (this.pending) await this.pending;
  }

  private flushBatch(): void {
    const buf = this.fill === BATCH ? this.batch : this.batch.subarray(0, this.fill);
    this.batch = Buffer.allocUnsafe(BATCH);
    this.fill = 0;
    this.write(buf);
  }

  private write(buf: Buffer): void {
    if (this.streamFraming) this.crc = crc32(buf, this.crc);
    if (this.sink.kind === 'fd') {
      writeAll(this.sink.fd, buf, this.position);
      this.position += buf.length;
      return;
    }
    const stream = this.sink.stream;
    if (!stream.write(buf) && !this.pending) {
      this.pending = new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          stream.off('drain', onDrain);
          stream.off('error', done);
          this.pending = null;
          if (err) reject(err);
          else resolve();
        };
        const onDrain = () => done();
        stream.on('drain', onDrain);
        stream.on('error', done);
      });
    }
  }

  /** Writes the head (and, for a stream, the trailer); the session is complete after this. */
  async finish(head: Buffer, sessionSectors: number): Promise<void> {
    if (this.fill) this.flushBatch();
    await this.drain();
    if (!this.streamFraming) {
      if (this.sink.kind !== 'fd') throw new Error('a plain image needs a seekable output');
      writeAll(this.sink.fd, head, 0);
      return;
    }
    this.write(head);
    await this.drain();
    this.write(encodeStreamTrailer({ start: this.start, sectors: sessionSectors, crc32: this.crc }));
    await this.drain();
    if (this.sink.kind === 'stream') {
      const s = this.sink.stream;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        if (s === (process.stdout as Writable)) s.write('', () => resolve());
        else s.end(() => resolve());
      });
    }
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
}
