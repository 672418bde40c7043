// A tar on a file descriptor, as the tools read it: plain, or gzip (and zstd where Node's
// zlib has it) inflated on the way in; other compressions are refused with the command
// that undoes them.
import * as zlib from 'node:zlib';
import { readChunks } from '../session/io.js';
import { DONE, FAILED, failureBlock, failureOf, startHelper } from '../threads/helper-thread.js';
import { type Compression, compressionOf, DECOMPRESS_COMMAND, MAGIC_BYTES } from './compression.js';
import { TarFormatError } from './header.js';
import { CONTROL_CELLS, HEAD, RING, STATE, TAIL, type DecompressData } from './ring.js';

const WORKER_URL = new URL('./decompress-worker.js', import.meta.url);

/** Thrown for a compressed tar isopipe does not inflate itself. */
export class CompressedInputError extends TarFormatError {}

const hasZstd = typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';

/** The tar's bytes from `fd`, decompressed when they are gzip or zstd; `info.compression`
 *  says which, once the first chunk has been seen. */
export function* tarChunks(fd: number, info: { compression?: Compression | null } = {}): Generator<Buffer> {
  const raw = readChunks(fd);
  const first = raw.next();
  if (first.done) return;
  let head: Buffer = first.value;
  // A pipe may deliver fewer bytes than the magic needs in its first read.
  while (head.length < MAGIC_BYTES) {
    const more = raw.next();
    if (more.done) break;
    head = Buffer.concat([head, more.value]);
  }
  const kind = compressionOf(head);
  info.compression = kind;
  if (kind === null) {
    yield head;
    yield* raw;
    return;
  }
  if (kind === 'gzip' || (kind === 'zstd' && hasZstd)) {
    yield* inflated(Buffer.from(head), kind);
    return;
  }
  throw new CompressedInputError(`compressed tar (${kind}): decompress first (${DECOMPRESS_COMMAND[kind]} FILE | ..., or tar without its compression option)`);
}

function* inflated(head: Buffer, kind: 'gzip' | 'zstd'): Generator<Buffer> {
  const data: DecompressData = {
    ring: new SharedArrayBuffer(RING),
    control: new SharedArrayBuffer(CONTROL_CELLS * 4),
    head,
    kind,
    failure: failureBlock(),
  };
  const ctl = new Int32Array(data.control);
  const ring = Buffer.from(data.ring);
  const worker = startHelper(WORKER_URL, data);
  if (!worker) throw new Error(`internal: the ${kind} decompressing thread cannot start (is dist/ built?)`);
  const out = Buffer.allocUnsafe(1 << 20);
  let tail = 0;
  try {
    for (;;) {
      const head = Atomics.load(ctl, HEAD);
      const avail = (head - tail) | 0;
      if (avail === 0) {
        const state = Atomics.load(ctl, STATE);
        if (state === DONE && Atomics.load(ctl, HEAD) === tail) return;
        if (state === FAILED) throw new TarFormatError(`${kind} input: ${failureOf(data.failure, 'decompression failed').message}`);
        Atomics.wait(ctl, HEAD, tail, 50);
        continue;
      }
      const at = tail & (RING - 1);
      const n = Math.min(avail, out.length, RING - at);
      ring.copy(out, 0, at, at + n);
      tail = (tail + n) | 0;
      Atomics.store(ctl, TAIL, tail);
      Atomics.notify(ctl, TAIL);
      yield out.subarray(0, n);
    }
  } finally {
    void worker.terminate();
  }
}
