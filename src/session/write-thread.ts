// The main thread's end of a plain image's writing thread (src/session/write-ring.ts):
// hands out slots to fill, publishes them, and at the end waits for the last write. Used
// by SessionOutput for a plain image's long files (output.ts).
import { closeSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { DONE, FAILED, failureBlock, failureOf, neverStarted, sleepOn, startHelper } from '../threads/helper-thread.js';
import { libc } from './libc.js';
import { CONTROL_CELLS, FINISH, HEAD, READER_IDLE, SLOT_BYTES, SLOTS, STATE, TAIL, WAKE_AT, WRITER_WAITING, type WriteRingData } from './write-ring.js';

const WORKER_URL = new URL('./write-worker.js', import.meta.url);
/** Slots published before a sleeping writing thread is woken, and slots the main thread
 *  waits to have free once the ring is full: on this VM each wake-up of an idle vCPU is
 *  expensive (md5.ts), so neither side is woken per slot. */
const BATCH_SLOTS = SLOTS / 4;

type Dup = (fd: number) => number;
let dup: Dup | null | undefined;

function loadDup(): Dup | null {
  if (dup === undefined) {
    try {
      dup = (libc()?.func('int dup(int)') as Dup | undefined) ?? null;
    } catch {
      dup = null;
    }
  }
  return dup;
}

export class WriteThread {
  private readonly ring = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
  private readonly bytes = Buffer.from(this.ring);
  private readonly meta = new Float64Array(new SharedArrayBuffer(SLOTS * 2 * 8));
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CONTROL_CELLS * 4));
  private readonly failure = failureBlock();
  private readonly worker: Worker | null;
  private head = 0;
  /** TAIL as last read. */
  private tail = 0;

  /** A writing thread for `fd`, or null where it cannot have one (the caller then writes
   *  on its own). The thread writes through a duplicate of `fd` that it closes itself, so
   *  that once the caller has closed `fd`, a late write cannot land in whatever file
   *  reuses its number. */
  static start(fd: number): WriteThread | null {
    const own = loadDup()?.(fd) ?? -1;
    if (own < 0) return null;
    const thread = new WriteThread(own);
    if (thread.worker) return thread;
    // No thread to be had (no worker script, or a worker that cannot start): the caller
    // writes, as it can.
    closeSync(own);
    return null;
  }

  private constructor(fd: number) {
    const data: WriteRingData = {
      fd,
      ring: this.ring,
      control: this.ctl.buffer as SharedArrayBuffer,
      meta: this.meta.buffer as SharedArrayBuffer,
      failure: this.failure,
    };
    this.worker = startHelper(WORKER_URL, data);
  }

  /** The slot to fill next: SLOT_BYTES long, valid until publish(). Waits while every slot
   *  is still to be written. */
  slot(): Buffer {
    if (((this.head - this.tail) | 0) === SLOTS) this.waitForRoom();
    const k = (this.head >>> 0) % SLOTS;
    return this.bytes.subarray(k * SLOT_BYTES, (k + 1) * SLOT_BYTES);
  }

  /** Hands over the slot from slot(), its first `length` bytes to be written at `position`. */
  publish(length: number, position: number): void {
    const k = (this.head >>> 0) % SLOTS;
    this.meta[2 * k] = length;
    this.meta[2 * k + 1] = position;
    this.head = (this.head + 1) | 0;
    Atomics.store(this.ctl, HEAD, this.head);
    if (Atomics.load(this.ctl, READER_IDLE) && ((this.head - Atomics.load(this.ctl, TAIL)) | 0) >= BATCH_SLOTS) Atomics.notify(this.ctl, HEAD);
  }

  /** Waits until everything published is written and the thread has ended. */
  finish(): void {
    this.slot();
    const k = (this.head >>> 0) % SLOTS;
    this.meta[2 * k] = FINISH;
    this.head = (this.head + 1) | 0;
    Atomics.store(this.ctl, HEAD, this.head);
    Atomics.notify(this.ctl, HEAD);
    let waited = 0;
    for (;;) {
      const state = Atomics.load(this.ctl, STATE);
      if (state === DONE) break;
      this.check(state, waited);
      waited += sleepOn(this.ctl, STATE, state);
    }
    void this.worker?.terminate();
  }

  /** Ends the thread without waiting for what it has not written (the session failed). */
  abandon(): void {
    void this.worker?.terminate();
  }

  private waitForRoom(): void {
    const want = (this.head - SLOTS + BATCH_SLOTS) | 0;
    Atomics.notify(this.ctl, HEAD);
    let waited = 0;
    for (;;) {
      this.tail = Atomics.load(this.ctl, TAIL);
      if (((this.tail - want) | 0) >= 0) return;
      this.check(Atomics.load(this.ctl, STATE), waited);
      Atomics.store(this.ctl, WAKE_AT, want);
      Atomics.store(this.ctl, WRITER_WAITING, 1);
      if (Atomics.load(this.ctl, TAIL) === this.tail) waited += sleepOn(this.ctl, TAIL, this.tail);
      Atomics.store(this.ctl, WRITER_WAITING, 0);
    }
  }

  /** Throws the writing thread's error (as the main thread's write would have thrown it),
   *  or when it never started. */
  private check(state: number, waited: number): void {
    if (state === FAILED) throw failureOf(this.failure, 'the output writing thread failed');
    const notStarted = neverStarted(state, waited, 'the output writing thread');
    if (notStarted) throw new Error(`internal: ${notStarted}`);
  }
}
