// Larger buffers for the pipes a long stream comes through. A Linux pipe holds 64 KiB, so
// a pipeline stage that writes a large piece waits until the next stage has taken nearly
// all of it, and three stages on two cores take turns instead of running side by side
// (bench/RESULTS.md, seventh round). fcntl(F_SETPIPE_SZ) is reached through koffi, the
// optional dependency that also drives burners; without it, or refused, nothing changes.
import { fstatSync } from 'node:fs';
import { libc } from './libc.js';

const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;

/** A pipe's size once a stream is long: 1 MiB is Linux's default limit for unprivileged
 *  processes (/proc/sys/fs/pipe-max-size). */
export const LONG_STREAM_PIPE_BYTES = 1 << 20;

/** Bytes through a pipe before it is made larger: loading koffi costs about 40 ms, which
 *  only a long stream wins back. */
export const LONG_STREAM_BYTES = 16 << 20;

/** Counts the bytes of a stream through `fd` and enlarges its pipe once they make a long
 *  stream. */
export class LongStream {
  private left = LONG_STREAM_BYTES;

  constructor(private readonly fd: number) {}

  passed(bytes: number): void {
    if (this.left > 0 && (this.left -= bytes) <= 0) enlargePipe(this.fd);
  }
}

type Fcntl = (fd: number, cmd: number, type: 'int', arg: number) => number;
let fcntl: Fcntl | null | undefined;

function loadFcntl(): Fcntl | null {
  if (fcntl === undefined) {
    try {
      fcntl = libc()?.func('int fcntl(int, int, ...)') ?? null;
    } catch {
      fcntl = null;
    }
  }
  return fcntl;
}

/** The buffer size of the pipe at `fd`; null when `fd` is no pipe or koffi is missing. */
export function pipeSize(fd: number): number | null {
  const f = isPipe(fd) ? loadFcntl() : null;
  const n = f ? f(fd, F_GETPIPE_SZ, 'int', 0) : -1;
  return n < 0 ? null : n;
}

/** Asks for a pipe of at least `bytes` at `fd`; returns whether it has one now. A larger
 *  pipe (someone asked for more) is left as it is, and so is anything but a pipe, and the
 *  pipe after any refusal. */
export function enlargePipe(fd: number, bytes = LONG_STREAM_PIPE_BYTES): boolean {
  const size = pipeSize(fd);
  if (size === null) return false;
  return size >= bytes || (loadFcntl() as Fcntl)(fd, F_SETPIPE_SZ, 'int', bytes) >= bytes;
}

function isPipe(fd: number): boolean {
  try {
    return fstatSync(fd).isFIFO();
  } catch {
    return false;
  }
}
