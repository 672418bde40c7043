// The thread that decompresses a gzip (or zstd) tar on stdin for the synchronous readers
// (src/tar/input.ts): it reads fd 0, inflates with Node's zlib, and copies the output into
// a byte ring in shared memory, waiting while the ring is full.
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { workerData } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { DONE, FAILED, leaveFailure } from '../threads/helper-thread.js';
import { HEAD, RING, STATE, TAIL, type DecompressData } from './ring.js';

const { ring, control, head, kind, failure } = workerData as DecompressData;
const bytes = Buffer.from(ring);
const ctl = new Int32Array(control);
const MASK = RING - 1;
let written = 0;

function put(chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) {
    const tail = Atomics.load(ctl, TAIL);
    const used = (written - tail) | 0;
    if (used === RING) {
      Atomics.wait(ctl, TAIL, tail, 50); // until the reader moves TAIL past this value
      continue;
    }
    const at = written & MASK;
    const n = Math.min(chunk.length - off, RING - used, RING - at);
    chunk.copy(bytes, at, off, off + n);
    off += n;
    written = (written + n) | 0;
    Atomics.store(ctl, HEAD, written);
    Atomics.notify(ctl, HEAD);
  }
}

function finish(state: number): void {
  Atomics.store(ctl, STATE, state);
  Atomics.notify(ctl, HEAD);
}

async function run(): Promise<void> {
  const inflate = kind === 'gzip' ? zlib.createGunzip() : (zlib as unknown as { createZstdDecompress(): zlib.Gunzip }).createZstdDecompress();
  async function* input() {
    yield Buffer.from(head);
    // fd 0 is the process's: never closed here.
    yield* createReadStream('', { fd: 0, autoClose: false, highWaterMark: 1 << 20 });
  }
  await pipeline(
    input,
    inflate,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        put(chunk);
        cb();
      },
    }),
  );
}

run().then(
  () => finish(DONE),
  (err: unknown) => {
    leaveFailure(failure, err);
    finish(FAILED);
  },
);
