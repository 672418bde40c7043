// The byte ring between the decompressing thread (decompress-worker.ts) and the reader
// (input.ts). HEAD and TAIL count bytes written and read, wrapping at 2^32; RING is a
// power of two, so `(head - tail) | 0` is the bytes in use.
export const RING = 4 << 20;
export const HEAD = 0;
export const TAIL = 1;
export const STATE = 2;
export const CONTROL_CELLS = 3;

export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;

export interface DecompressData {
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** Bytes of stdin the main thread already read (the magic was in them). */
  head: Uint8Array;
  kind: 'gzip' | 'zstd';
  /** The failure's message, NUL-terminated UTF-8. */
  error: SharedArrayBuffer;
}
