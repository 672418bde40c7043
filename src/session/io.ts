// Synchronous file-descriptor I/O with large reused buffers. Blocking reads and writes on
// pipes are the fastest path in Node (no per-chunk allocation, no event-loop round trip)
// and give natural backpressure. A descriptor someone made non-blocking is waited on.
import { readSync, writeSync } from 'node:fs';
import { LongStream } from './pipe-size.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

export function isAgain(err: unknown): boolean {
  return (err as { code?: string }).code === 'EAGAIN';
}

/** Longest pause on an idle non-blocking descriptor, in ms. */
export const LONGEST_IDLE_PAUSE = 64;

/**
 * Pauses between tries on a non-blocking descriptor that had nothing: 1 ms first, doubling
 * while it stays idle. A fixed 1 ms kept a process waiting on an idle pipe awake a
 * thousand times a second; this costs a busy pipe little latency and an idle one no CPU.
 */
export class IdleBackoff {
  private ms = 0;

  /** The next pause, in ms. */
  next(): number {
    this.ms = Math.min(this.ms === 0 ? 1 : this.ms * 2, LONGEST_IDLE_PAUSE);
    return this.ms;
  }

  /** The descriptor made progress: the next pause is short again. */
  reset(): void {
    this.ms = 0;
  }

  /** Blocks the thread for the next pause. */
  sleep(): void {
    Atomics.wait(pause, 0, 0, this.next());
  }
}

/** Reads `fd` to its end in chunks; each chunk is only valid until the next one is read. */
export function* readChunks(fd: number, size = 1 << 20): Generator<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  const idle = new IdleBackoff();
  const stream = new LongStream(fd);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, size, null);
    } catch (err) {
      if (isAgain(err)) {
        idle.sleep();
        continue;
      }
      throw err;
    }
    idle.reset();
    if (n === 0) return;
    stream.passed(n);
    yield buf.subarray(0, n);
  }
}

/** Writes all of `buf`, at `position` when given (a seekable descriptor), else at the current offset. */
export function writeAll(fd: number, buf: Buffer, position: number | null = null): void {
  let off = 0;
  const idle = new IdleBackoff();
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off, position === null ? null : position + off);
      idle.reset();
    } catch (err) {
      if (!isAgain(err)) throw err;
      idle.sleep();
    }
  }
}
