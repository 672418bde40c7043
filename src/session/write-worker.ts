// A plain image's writing thread: takes slots from the ring (src/session/write-ring.ts)
// and writes them out while the main thread goes on reading the tar. Ends on a FINISH
// slot, closing its descriptor (its own duplicate); a failed write leaves its error for
// the main thread (helper-thread.ts).
import { closeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { DONE, FAILED, leaveFailure, RUNNING } from '../threads/helper-thread.js';
import { writeAll } from './io.js';
import { FINISH, HEAD, READER_IDLE, SLOT_BYTES, SLOTS, STATE, TAIL, WAKE_AT, WRITER_WAITING, type WriteRingData } from './write-ring.js';

const data = workerData as WriteRingData;
const bytes = Buffer.from(data.ring);
const meta = new Float64Array(data.meta);
const ctl = new Int32Array(data.control);

function run(): void {
  let tail = 0;
  for (;;) {
    const head = Atomics.load(ctl, HEAD);
    while (tail !== head) {
      const k = (tail >>> 0) % SLOTS;
      const length = meta[2 * k];
      if (length === FINISH) {
        closeSync(data.fd);
        Atomics.store(ctl, STATE, DONE);
        Atomics.notify(ctl, STATE);
        return;
      }
      const slot = bytes.subarray(k * SLOT_BYTES, k * SLOT_BYTES + length);
      writeAll(data.fd, slot, meta[2 * k + 1]);
      tail = (tail + 1) | 0;
      Atomics.store(ctl, TAIL, tail);
      if (Atomics.load(ctl, WRITER_WAITING) && ((tail - Atomics.load(ctl, WAKE_AT)) | 0) >= 0) Atomics.notify(ctl, TAIL);
    }
    // Sleep until the main thread publishes more; READER_IDLE tells it to wake us.
    Atomics.store(ctl, READER_IDLE, 1);
    if (Atomics.load(ctl, HEAD) === head) Atomics.wait(ctl, HEAD, head);
    Atomics.store(ctl, READER_IDLE, 0);
  }
}

try {
  Atomics.store(ctl, STATE, RUNNING);
  run();
} catch (err) {
  leaveFailure(data.failure, err);
  Atomics.store(ctl, STATE, FAILED);
  Atomics.notify(ctl, STATE);
  Atomics.notify(ctl, TAIL);
}
