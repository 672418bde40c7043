#!/usr/bin/env node
// How long a pipe's producer waits for a consumer to start: the time from starting each
// command, its stdin a pipe, until the producer has written the first 2 MiB of a tar (more
// than any pipe holds, so the consumer has read). `tar c | tool` waits that long while the
// tool loads, and its wall time grows by it. Commands are alternated; medians printed.
//
//   node bench/first-read.mjs [-n ROUNDS] TAR 'LABEL=COMMAND' ...   (TAR may be <(tar c ...))
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './median.mjs';

const args = process.argv.slice(2);
let rounds = 10;
if (args[0] === '-n') {
  rounds = Number(args[1]);
  args.splice(0, 2);
}
const [tarPath, ...specs] = args;
if (!tarPath || specs.length === 0 || !(rounds > 0) || specs.some((s) => !s.includes('='))) {
  console.error("usage: node bench/first-read.mjs [-n ROUNDS] TAR 'LABEL=COMMAND' ...");
  process.exit(2);
}
const commands = specs.map((s) => ({ label: s.slice(0, s.indexOf('=')), command: s.slice(s.indexOf('=') + 1), ms: [] }));

const PREFIX = 2 << 20;
const head = Buffer.alloc(PREFIX);
const fd = openSync(tarPath, 'r');
let got = 0;
for (let n; got < PREFIX && (n = readSync(fd, head, got, PREFIX - got, null)) > 0; ) got += n;
closeSync(fd);
if (got < PREFIX) {
  console.error(`first-read: ${tarPath} is shorter than ${PREFIX} bytes`);
  process.exit(1);
}

// A named pipe stands for the shell's: Node's own child pipes are socket pairs, which buffer more.
const dir = mkdtempSync(join(tmpdir(), 'first-read-'));
const fifo = join(dir, 'in');

/** Milliseconds until `command` has taken the first PREFIX bytes. */
async function once(command) {
  const t0 = performance.now();
  const child = spawn('sh', ['-c', `exec ${command} < '${fifo}' > /dev/null 2>&1`], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const w = openSync(fifo, 'w'); // returns once the shell has opened the other end
  try {
    for (let off = 0; off < PREFIX; ) off += writeSync(w, head, off, Math.min(1 << 16, PREFIX - off));
    return performance.now() - t0;
  } catch (err) {
    throw new Error(`first-read: '${command}' stopped before it read ${PREFIX} bytes (${err.code ?? err.message})`);
  } finally {
    // The consumer is stopped whether or not it read: none is left running.
    closeSync(w);
    child.kill('SIGKILL');
    await exited;
  }
}

try {
  await new Promise((resolve, reject) => spawn('mkfifo', [fifo]).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo exited ${code}`)))));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...commands].reverse() : commands;
    for (const c of order) c.ms.push(await once(c.command));
  }
  for (const c of commands)
    console.log(`   ${c.label.padEnd(40)} ${median(c.ms).toFixed(0).padStart(6)} ms [${Math.min(...c.ms).toFixed(0)}-${Math.max(...c.ms).toFixed(0)}]`);
} catch (err) {
  console.error(err.message);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
