// The main thread's side of cd-verify's hashing: posts range and file jobs to a hashing
// thread (hash-worker.ts) and works on the same jobs itself, so that on two cores the MD5
// of a whole session and the MD5s of its files are computed side by side, and the tree
// walk overlaps the session's MD5. Without a thread (hashing-thread.ts), everything is
// hashed here, with the same code.
import { createHash } from 'node:crypto';
import { fstatSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { SectorSource } from '../image/sector-source.js';
import { BLOCK_SPAN, blockCount, claimUnits, Ctl, newFileJob, newRangeJob, type RangeJob, runBlock, runRange, type ReadAt } from './data-hashing.js';
import { SECTOR } from '../iso9660/constants.js';
import { Md5Lanes } from './md5-lanes.js';
import type { HashingThread } from './hashing-thread.js';

/** How often a thread waiting for the other reports progress (ms). */
const WAIT_SLICE = 250;

export type RangeTicket = RangeJob;

export class DataHasher {
  private worker: Worker | null;
  /** Bytes the hashing thread has hashed (only it writes). */
  private readonly workerBytes: Float64Array;
  private ownBytes = 0;
  private readonly lanes = new Md5Lanes(BLOCK_SPAN);
  private readonly buf = this.lanes.data;
  private readonly read: ReadAt;
  private readonly count = (n: number) => {
    this.ownBytes += n;
    this.progress?.(this.bytes);
  };

  /**
   * True for a block device (an optical drive seeks slowly): the session's run and its
   * files are then read one after the other, not side by side from two places.
   */
  readonly seeks: boolean;

  /** `thread`: the hashing thread, reading the medium `src` reads; none: hash on this thread only. */
  constructor(
    src: SectorSource,
    thread: HashingThread | null = null,
    private readonly progress?: (bytes: number) => void,
  ) {
    this.read = (b, position, length) => src.readInto(b, position, length);
    // Its errors are only seen as units it marked failed; without it, all is hashed here.
    this.worker = thread?.worker ?? null;
    this.workerBytes = thread?.bytes ?? new Float64Array(1);
    this.seeks = thread !== null && fstatSync(thread.fd).isBlockDevice();
  }

  /** Bytes read and hashed by both threads. */
  get bytes(): number {
    return this.ownBytes + this.workerBytes[0];
  }

  /** Starts the MD5 of sectors from `start` with a digest at each of `ends` (ascending). */
  startRange(start: number, ends: number[]): RangeTicket {
    const job = newRangeJob(start, ends);
    this.worker?.postMessage({ range: job });
    return job;
  }

  /** The digests of a started range (16 bytes per end), hashed here if no thread took it. */
  rangeDigests(job: RangeTicket): Uint8Array {
    this.share(job.ctl, job.failed, 1, () => runRange(job, this.read, this.buf, this.count));
    return job.out;
  }

  /** MD5s (16 bytes each) of files at byte `positions` with `sizes`, in ascending position. */
  hashFiles(positions: Float64Array, sizes: Float64Array, count: number): Uint8Array {
    const job = newFileJob(positions, sizes, count);
    const total = blockCount(job);
    if (total > 1) this.worker?.postMessage({ files: job });
    this.share(job.ctl, job.failed, total, (k) => runBlock(job, k, this.read, this.lanes, this.count));
    return job.digests;
  }

  /** MD5 of a file of several extents (or none), on this thread. */
  hashExtents(extents: readonly { lba: number; bytes: number }[]): Buffer {
    const h = createHash('md5');
    for (const x of extents)
      for (let done = 0; done < x.bytes; ) {
        const n = Math.min(this.buf.length, x.bytes - done);
        this.read(this.buf, x.lba * SECTOR + done, n);
        h.update(this.buf.subarray(0, n));
        done += n;
        this.count(n);
      }
    return h.digest();
  }

  /** Claims units until none is left, waits for those the other thread holds, redoes failed ones. */
  private share(ctl: Int32Array, failed: Uint8Array, total: number, run: (k: number) => void): void {
    claimUnits(ctl, failed, total, run, false);
    for (;;) {
      const done = Atomics.load(ctl, Ctl.Done);
      if (done >= total) break;
      Atomics.wait(ctl, Ctl.Done, done, WAIT_SLICE);
      this.progress?.(this.bytes);
    }
    // Redone here, so that a read error surfaces as it would without the thread.
    if (Atomics.load(ctl, Ctl.Failed) > 0) for (let k = 0; k < total; k++) if (failed[k]) run(k);
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}
