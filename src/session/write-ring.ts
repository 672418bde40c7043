// The ring through which a plain image's output is handed to its writing thread
// (src/session/write-thread.ts fills it, src/session/write-worker.ts writes it out). The
// main thread reads the tar and copies file data into a slot; the writing thread makes the
// write calls, so that on two cores the copy out of the tar's pipe and the one into the
// page cache run side by side instead of in turn.
//
// Slots are whole batches. HEAD counts slots published, TAIL slots written, both wrapping
// at 2^32: `(head - tail) | 0` slots are in use. Each slot's length and file position sit
// in META, written before HEAD is published.

export const SLOT_BYTES = 1 << 17;
export const SLOTS = 16;

/** Int32 cells of the control block. */
export const HEAD = 0;
export const TAIL = 1;
/** The thread's state (src/threads/helper-thread.ts). */
export const STATE = 2;
/** 1 while the writing thread sleeps on HEAD: the main thread then notifies. */
export const READER_IDLE = 3;
/** 1 while the main thread sleeps on TAIL, waiting for it to reach WAKE_AT. */
export const WRITER_WAITING = 4;
export const WAKE_AT = 5;
export const CONTROL_CELLS = 6;

/** A slot's META length that ends the thread. */
export const FINISH = -1;

export interface WriteRingData {
  fd: number;
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** Two float64 per slot: length, position. */
  meta: SharedArrayBuffer;
  /** Where a failed write is left (helper-thread.ts leaveFailure). */
  failure: SharedArrayBuffer;
}
