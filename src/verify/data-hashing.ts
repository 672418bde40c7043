// The hashing cd-verify does over a medium's data, shared by the main thread and the
// hashing thread (hash-worker.ts): a run of sectors from one start with an MD5 at each of
// several ends (the checksum tags and the session MD5 all start at the session start), and
// files in LBA order in blocks, the small files of a block hashed from one read. Jobs live
// in SharedArrayBuffers and are claimed with Atomics, so that whichever thread is free
// takes the next one and neither waits for the other to finish its share.
import { createHash } from 'node:crypto';
import { MD5_BYTES } from '../iso9660/checksum-tags.js';
import { SECTOR } from '../iso9660/constants.js';
import type { Md5Lanes } from './md5-lanes.js';

/** Bytes read at a time for long runs and large files. */
const CHUNK = 1 << 20;
/** Small files are grouped into blocks spanning at most this much of the medium. */
export const BLOCK_SPAN = 2 << 20;
/** A gap between files larger than this starts a new block rather than being read through. */
const MAX_GAP = 64 * 1024;

/** Reads `length` bytes at byte `position` of the medium into the start of `buf`. */
export type ReadAt = (buf: Buffer, position: number, length: number) => void;

/** Counters shared by a job's two threads (indexes into its Int32Array). */
export const Ctl = {
  /** Next unit to claim (Atomics.add). */
  Next: 0,
  /** Units finished (or failed), for the waiting thread. */
  Done: 1,
  /** Units that failed in the hashing thread: the main thread redoes them. */
  Failed: 2,
  Size: 4,
} as const;

/**
 * MD5s of sectors [start, end) for every end of `ends` (ascending), read once. Written to
 * `out` at 16 bytes per end.
 */
export interface RangeJob {
  start: number;
  ends: number[];
  /** Ctl counters (one unit: the whole run). */
  ctl: Int32Array;
  out: Uint8Array;
  /** Units marked failed, by index (here: 0). */
  failed: Uint8Array;
}

export function newRangeJob(start: number, ends: number[]): RangeJob {
  return {
    start,
    ends,
    ctl: new Int32Array(new SharedArrayBuffer(Ctl.Size * 4)),
    out: new Uint8Array(new SharedArrayBuffer(ends.length * MD5_BYTES)),
    failed: new Uint8Array(new SharedArrayBuffer(1)),
  };
}

export function runRange(job: RangeJob, read: ReadAt, buf: Buffer, onBytes: (n: number) => void): void {
  const h = createHash('md5');
  let lba = job.start;
  for (let k = 0; k < job.ends.length; k++) {
    const end = job.ends[k];
    while (lba < end) {
      const count = Math.min(buf.length / SECTOR, end - lba);
      read(buf, lba * SECTOR, count * SECTOR);
      h.update(buf.subarray(0, count * SECTOR));
      lba += count;
      onBytes(count * SECTOR);
    }
    job.out.set(h.copy().digest(), k * MD5_BYTES);
  }
}

/** Single-extent files sorted by LBA, grouped into blocks; a digest slot per file. */
export interface FileJob {
  /** Byte position and size of each file's data. */
  positions: Float64Array;
  sizes: Float64Array;
  /** First file of each block, then the file count. */
  blocks: Int32Array;
  digests: Uint8Array;
  ctl: Int32Array;
  /** Blocks the hashing thread failed on. */
  failed: Uint8Array;
}

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

/** A Float64Array both threads can see. */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(shared(length * 8), 0, length);
}

/** A job for the first `count` files given by (position, size), in ascending position;
 *  the arrays are shared as they are when they live in shared memory. */
export function newFileJob(positions: Float64Array, sizes: Float64Array, count: number): FileJob {
  const share = (a: Float64Array) => {
    if (a.buffer instanceof SharedArrayBuffer) return a.subarray(0, count);
    const b = sharedFloat64(count);
    b.set(a.subarray(0, count));
    return b;
  };
  const pos = share(positions);
  const sz = share(sizes);
  const starts: number[] = [];
  let spanStart = 0;
  let spanEnd = -1;
  for (let i = 0; i < count; i++) {
    const p = pos[i];
    const e = p + sz[i];
    if (spanEnd < 0 || p - spanEnd > MAX_GAP || Math.max(spanEnd, e) - spanStart > BLOCK_SPAN) {
      starts.push(i);
      spanStart = p;
      spanEnd = e;
    } else spanEnd = Math.max(spanEnd, e);
  }
  starts.push(count);
  const blocks = new Int32Array(shared(starts.length * 4), 0, starts.length);
  blocks.set(starts);
  return {
    positions: pos,
    sizes: sz,
    blocks,
    digests: new Uint8Array(shared(count * MD5_BYTES), 0, count * MD5_BYTES),
    ctl: new Int32Array(shared(Ctl.Size * 4)),
    failed: new Uint8Array(shared(starts.length - 1), 0, starts.length - 1),
  };
}

export function blockCount(job: FileJob): number {
  return job.blocks.length - 1;
}

/** Hashes block `k` of `job`, reading into `lanes.data` (at least BLOCK_SPAN bytes). */
export function runBlock(job: FileJob, k: number, read: ReadAt, lanes: Md5Lanes, onBytes: (n: number) => void): void {
  const buf = lanes.data;
  const first = job.blocks[k];
  const last = job.blocks[k + 1];
  const { positions, sizes, digests } = job;
  const from = positions[first];
  let to = from;
  for (let i = first; i < last; i++) to = Math.max(to, positions[i] + sizes[i]);
  if (to - from > buf.length) {
    // One large file (a block spans more than BLOCK_SPAN only when it is a single file).
    for (let i = first; i < last; i++) {
      const h = createHash('md5');
      for (let done = 0; done < sizes[i]; ) {
        const n = Math.min(CHUNK, sizes[i] - done);
        read(buf, positions[i] + done, n);
        h.update(buf.subarray(0, n));
        done += n;
        onBytes(n);
      }
      digests.set(h.digest(), i * MD5_BYTES);
    }
    return;
  }
  read(buf, from, to - from);
  lanes.digest(positions, from, sizes, first, last, digests);
  let bytes = 0;
  for (let i = first; i < last; i++) bytes += sizes[i];
  onBytes(bytes);
}

/**
 * Claims and runs units of a job until none is left: `total` units, `run(k)` for each.
 * A unit that throws is marked failed (for the other thread to redo) when `keepGoing`,
 * else the error propagates. Returns after this thread's claims are done.
 */
export function claimUnits(ctl: Int32Array, failed: Uint8Array, total: number, run: (k: number) => void, keepGoing: boolean): void {
  for (;;) {
    const k = Atomics.add(ctl, Ctl.Next, 1);
    if (k >= total) return;
    try {
      run(k);
    } catch (err) {
      if (!keepGoing) throw err;
      failed[k] = 1;
      Atomics.add(ctl, Ctl.Failed, 1);
    } finally {
      Atomics.add(ctl, Ctl.Done, 1);
      Atomics.notify(ctl, Ctl.Done);
    }
  }
}
