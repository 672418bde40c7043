// The ring through which iso-pack --md5 hands file data to its hashing thread
// (src/pack/md5.ts writes, src/pack/md5-worker.ts reads). One writer, one reader, one
// SharedArrayBuffer allocated once: touching fresh memory per chunk costs more here than
// the copy itself.
//
// Records are 4-byte aligned and never cross the ring's end: [type, value] as two u32,
// then for DATA `value` bytes (padded to 4) and for REF the 16-byte MD5.
// HEAD and TAIL count bytes written and read, wrapping at 2^32: with a power-of-two size
// `head & (RING_BYTES - 1)` is the offset and `(head - tail) | 0` the bytes in use.

import type { MessagePort } from 'node:worker_threads';

export const RING_BYTES = 8 << 20;

/** Int32 cells of the control block (a SharedArrayBuffer of its own). */
export const HEAD = 0;
export const TAIL = 1;
/** The thread's state (src/threads/helper-thread.ts). */
export const STATE = 2;
/** 1 while the reader sleeps on HEAD: the writer then notifies. */
export const READER_IDLE = 3;
/** 1 while the writer sleeps on TAIL: the reader then notifies. */
export const WRITER_WAITING = 4;
export const CONTROL_CELLS = 5;

/** Record types. */
export const DATA = 1; // value = bytes of the current file's data that follow
export const END = 2; // value = slot: the current file (maybe without DATA: empty) ends
export const REF = 3; // value = slot, then a recorded MD5 (a file of an earlier session)
export const WRAP = 4; // the rest of the ring up to its end is unused
export const FINISH = 5; // no more records: post the digests
export const DISCARD = 6; // the current file's data so far belongs to no file

export const HEADER_BYTES = 8;

export interface RingData {
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** The digests, once FINISH is read. */
  port: MessagePort;
  /** Where a failure is left (helper-thread.ts leaveFailure). */
  failure: SharedArrayBuffer;
}

export const align4 = (n: number) => (n + 3) & ~3;
