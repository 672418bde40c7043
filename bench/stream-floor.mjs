#!/usr/bin/env node
// stdin to stdout doing only what iso-pack's output costs before any ISO 9660 work:
// 1 MiB reads, a copy into 128 KiB batches, the writes, and iso-pack's own modules (from
// dist/) for the larger pipes once the stream is long and, when stdout is not a regular
// file, the head-last stream's CRC-32 (to a file iso-pack writes a plain image, which has
// none). To a regular file the batches are iso-pack's writing thread's slots, as a plain
// image's long files are: iso-pack's writes into a file come from that thread.
// It parses nothing, so its time against `tar c | cat` is a floor for iso-pack in Node.
//
//   tar c DIR | node bench/stream-floor.mjs | cat > /dev/null
import { fstatSync, readSync, realpathSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { LongStream } from '../dist/session/pipe-size.js';
import { StreamCrc } from '../dist/session/stream-crc.js';
import { SLOT_BYTES } from '../dist/session/write-ring.js';
import { WriteThread } from '../dist/session/write-thread.js';

/** Copies `input` to `output` as above; `mark` hears 'first' at the first read and 'eof' at
 *  the input's end (bench/warm-tools.mjs). Returns the CRC-32 of a stream. */
export function floorCopy(input, output, mark = () => {}) {
  const read = Buffer.allocUnsafe(1 << 20);
  const stream = !fstatSync(output).isFile();
  const thread = stream ? null : WriteThread.start(output);
  let batch = thread ? thread.slot() : Buffer.allocUnsafe(SLOT_BYTES);
  let fill = 0;
  let position = 0;
  const crc = new StreamCrc();
  const longIn = new LongStream(input);
  const longOut = new LongStream(output);
  const flush = () => {
    if (thread) {
      thread.publish(fill, position);
      batch = thread.slot();
    } else {
      if (stream) crc.update(batch.subarray(0, fill));
      for (let off = 0; off < fill; ) off += writeSync(output, batch, off, fill - off);
      longOut.passed(fill);
    }
    position += fill;
    fill = 0;
  };
  for (let n; (n = readSync(input, read, 0, read.length, null)) > 0; ) {
    if (position === 0 && fill === 0) mark('first');
    longIn.passed(n);
    for (let off = 0; off < n; ) {
      const k = Math.min(batch.length - fill, n - off);
      read.copy(batch, fill, off, off + k);
      fill += k;
      off += k;
      if (fill === batch.length) flush();
    }
  }
  mark('eof');
  if (fill > 0) flush();
  thread?.finish();
  return crc.value;
}

// Run as a script: stdin to stdout. The CRC goes nowhere, as a stream's trailer is a few
// bytes; printed on stderr with -v. import.meta.url names the file with symlinks resolved.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const crc = floorCopy(0, 1);
  if (process.argv[2] === '-v') console.error(`crc32 ${crc.toString(16).padStart(8, '0')}`);
}
