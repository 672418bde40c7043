// iso-pack --md5's hashing thread: reads file data from the ring (src/pack/md5-ring.ts)
// and computes each file's MD5 while the main thread parses the tar and writes the image.
// The digests go back in one message once the main thread has written FINISH.
import { createHash, type Hash } from 'node:crypto';
import { workerData } from 'node:worker_threads';
import { DONE, FAILED, leaveFailure, RUNNING } from '../threads/helper-thread.js';
import {
  DATA,
  DISCARD,
  END,
  FINISH,
  HEAD,
  HEADER_BYTES,
  READER_IDLE,
  REF,
  RING_BYTES,
  STATE,
  TAIL,
  WRAP,
  WRITER_WAITING,
  align4,
  type RingData,
} from './md5-ring.js';

const { ring, control, port, failure } = workerData as RingData;
const bytes = Buffer.from(ring);
const words = new Uint32Array(ring);
const ctl = new Int32Array(control);
const MASK = RING_BYTES - 1;
/** Hand space back to a waiting writer this often while catching up (it waits for as much). */
const RELEASE_EVERY = RING_BYTES / 4;

let digests = Buffer.alloc(1024 * 16);
let slots = 0;
let hash: Hash | null = null;

function store(slot: number, digest: Buffer): void {
  while ((slot + 1) * 16 > digests.length) {
    const grown = Buffer.alloc(digests.length * 2);
    digests.copy(grown);
    digests = grown;
  }
  digest.copy(digests, slot * 16);
  slots = Math.max(slots, slot + 1);
}

function release(tail: number): void {
  Atomics.store(ctl, TAIL, tail);
  if (Atomics.load(ctl, WRITER_WAITING)) Atomics.notify(ctl, TAIL);
}

/** Consumes records until FINISH. */
function run(): void {
  let tail = 0;
  let released = 0;
  for (;;) {
    const head = Atomics.load(ctl, HEAD);
    while (tail !== head) {
      const off = tail & MASK;
      const type = words[off >>> 2];
      const value = words[(off >>> 2) + 1];
      switch (type) {
        case DATA:
          (hash ??= createHash('md5')).update(bytes.subarray(off + HEADER_BYTES, off + HEADER_BYTES + value));
          tail = (tail + HEADER_BYTES + align4(value)) | 0;
          break;
        case END:
          store(value, (hash ?? createHash('md5')).digest());
          hash = null;
          tail = (tail + HEADER_BYTES) | 0;
          break;
        case REF:
          store(value, bytes.subarray(off + HEADER_BYTES, off + HEADER_BYTES + 16));
          tail = (tail + HEADER_BYTES + 16) | 0;
          break;
        case DISCARD:
          hash = null;
          tail = (tail + HEADER_BYTES) | 0;
          break;
        case WRAP:
          tail = (tail + RING_BYTES - off) | 0;
          break;
        case FINISH:
          port.postMessage({ digests: digests.subarray(0, slots * 16) });
          Atomics.store(ctl, STATE, DONE);
          Atomics.notify(ctl, STATE);
          port.close();
          return;
        default:
          throw new Error(`corrupt ring record type ${type} at ${off}`);
      }
      if (((tail - released) | 0) >= RELEASE_EVERY) {
        release(tail);
        released = tail;
      }
    }
    release(tail);
    released = tail;
    // Sleep until the writer publishes more; READER_IDLE tells it to wake us.
    Atomics.store(ctl, READER_IDLE, 1);
    if (Atomics.load(ctl, HEAD) === head) Atomics.wait(ctl, HEAD, head);
    Atomics.store(ctl, READER_IDLE, 0);
  }
}

try {
  Atomics.store(ctl, STATE, RUNNING);
  Atomics.notify(ctl, STATE);
  run();
} catch (err) {
  leaveFailure(failure, err);
  Atomics.store(ctl, STATE, FAILED);
  Atomics.notify(ctl, STATE);
  Atomics.notify(ctl, TAIL);
}
