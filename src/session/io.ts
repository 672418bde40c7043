// Synchronous file-descriptor I/O with large reused buffers. Blocking reads and writes on
// pipes are the fastest path in Node (no per-chunk allocation, no event-loop round trip)
// and give natural backpressure. A descriptor someone made non-blocking is waited on.
import { readSync, writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

function isAgain(err: unknown): boolean {
  return (err as { code?: string }).code === 'EAGAIN';
}

/** Reads `fd` to its end in chunks; each chunk is only valid until the next one is read. */
export function* readChunks(fd: number, size = 1 << 20): Generator<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, size, null);
    } catch (err) {
      if (isAgain(err)) {
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      throw err;
    }
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

/** Writes all of `buf`, at `position` when given (a seekable descriptor), else at the current offset. */
export function writeAll(fd: number, buf: Buffer, position: number | null = null): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off, position === null ? null : position + off);
    } catch (err) {
      if (!isAgain(err)) throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
