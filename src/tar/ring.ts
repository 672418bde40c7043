// The byte ring between the decompressing thread (decompress-worker.ts) and the reader
// (input.ts). HEAD and TAIL count bytes written and read, wrapping at 2^32; RING is a
// power of two, so `(head - tail) | 0` is the bytes in use.
export const RING = 4 << 20;
export const HEAD = 0;
export const TAIL = 1;
/** The thread's state (src/threads/helper-thread.ts). */
export const STATE = 2;
export const CONTROL_CELLS = 3;

export interface DecompressData {
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** Bytes of stdin the main thread already read (the magic was in them). */
  head: Uint8Array;
  kind: 'gzip' | 'zstd';
  /** Where a failure is left (helper-thread.ts leaveFailure). */
  failure: SharedArrayBuffer;
}
