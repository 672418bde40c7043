// cd-verify's hashing thread (hash-worker.ts), started as soon as the medium is open and
// before the checks' modules load. A worker boots in ~35 ms on a free core but takes about
// three times that beside the tree walk, and the session's MD5, the longest single job of
// a verification, cannot start before it has booted.
import type { Worker } from 'node:worker_threads';
import { startHelper } from '../threads/helper-thread.js';

export interface HashingThread {
  /** The medium's descriptor, which the thread reads through (positional reads). */
  fd: number;
  worker: Worker;
  /** Bytes the thread has hashed (only it writes). */
  bytes: Float64Array;
}

/** The thread, booting; null when none can be started (everything is then hashed on the
 *  main thread). */
export function startHashingThread(fd: number): HashingThread | null {
  const bytes = new Float64Array(new SharedArrayBuffer(8));
  const worker = startHelper(new URL('./hash-worker.js', import.meta.url), { fd, bytes });
  return worker ? { fd, worker, bytes } : null;
}
