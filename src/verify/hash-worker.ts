// cd-verify's hashing thread: claims units of the range and file jobs the main thread
// posts (data-hashing.ts) until none is left. The main thread claims units of the same
// jobs, so the work splits itself however long each side's other work takes. The medium
// is read through the main thread's descriptor (positional reads, safe to share).
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { BLOCK_SPAN, blockCount, claimUnits, type FileJob, type RangeJob, runBlock, runRange } from './data-hashing.js';
import { Md5Lanes } from './md5-lanes.js';

const { fd, bytes } = workerData as { fd: number; bytes: Float64Array };
const lanes = new Md5Lanes(BLOCK_SPAN);
const buf = lanes.data;

function read(b: Buffer, position: number, length: number): void {
  for (let done = 0; done < length; ) {
    const n = readSync(fd, b, done, length - done, position + done);
    if (n === 0) throw new Error('unexpected end of the medium');
    done += n;
  }
}

function count(n: number): void {
  bytes[0] += n;
}

parentPort!.on('message', (m: { range?: RangeJob; files?: FileJob }) => {
  // A unit that fails here is marked so, and the main thread redoes it and reports.
  const { range, files } = m;
  if (range) claimUnits(range.ctl, range.failed, 1, () => runRange(range, read, buf, count), true);
  if (files) claimUnits(files.ctl, files.failed, blockCount(files), (k) => runBlock(files, k, read, lanes, count), true);
});
