#!/usr/bin/env node
// stdin to stdout at most RATE MB/s, in 1 MiB pieces: a tar paced like one read from a
// disk, for timing what a tool does after its input ends (the directory phase of iso-pack).
//
//   tar c DIR | node bench/paced-cat.mjs 200 | iso-pack | cat > /dev/null
import { readSync, writeSync } from 'node:fs';

const rate = Number(process.argv[2]) * 1e6;
if (!(rate > 0)) {
  console.error('usage: node bench/paced-cat.mjs MB_PER_SECOND');
  process.exit(2);
}
const buf = Buffer.allocUnsafe(1 << 20);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const t0 = performance.now();
let sent = 0;
for (let n; (n = readSync(0, buf, 0, buf.length, null)) > 0; ) {
  for (let off = 0; off < n; ) off += writeSync(1, buf, off, n - off);
  sent += n;
  const ahead = (sent / rate) * 1000 - (performance.now() - t0);
  if (ahead > 0) Atomics.wait(sleeper, 0, 0, ahead);
}
