// Helper threads: workers that take a share of a tool's work through shared memory
// (iso-pack's MD5 ring and writing thread, the decompressing reader, cd-verify's hashing).
// How one is started, how the main thread sleeps on a shared cell, how a helper says it
// has started and ended, and how its failure comes back to the main thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type TransferListItem, Worker } from 'node:worker_threads';

/** Values of a helper's STATE cell. A new SharedArrayBuffer reads STARTING. */
export const STARTING = 0;
export const RUNNING = 1;
export const DONE = 2;
export const FAILED = 3;

/** How long the main thread waits for a helper that never said it started. */
const START_TIMEOUT_MS = 60_000;

/** Bytes of the block a helper leaves its failure in (failureBlock). */
const FAILURE_BYTES = 1024;

/** The worker at `url`, started; null when its script is missing (dist/ not built) or no
 *  worker can be started. */
export function startHelper(url: URL, workerData: unknown, transferList?: TransferListItem[]): Worker | null {
  if (!existsSync(fileURLToPath(url))) return null;
  let worker: Worker;
  try {
    // stdout/stderr: true keeps Node from piping the worker's stdio into process.stdout,
    // which would make fd 1 non-blocking: every full pipe then cost a 1 ms sleep in
    // writeAll (a 3 GiB pack into a pipe took 27 s instead of 6 s).
    worker = new Worker(url, { workerData, transferList, stdout: true, stderr: true });
  } catch {
    return null;
  }
  // Never keeps the process alive. A failure is read from shared memory: the main thread's
  // loops do not return to the event loop, so an 'error' event would not arrive in time.
  worker.unref();
  worker.on('error', () => {});
  return worker;
}

/** Atomics.wait on `cell` while it reads `value`, for at most a second; returns the
 *  milliseconds waited. */
export function sleepOn(ctl: Int32Array, cell: number, value: number): number {
  const t0 = Date.now();
  Atomics.wait(ctl, cell, value, 1000);
  return Date.now() - t0;
}

/** Why `what`, whose STATE reads `state` after `waited` ms of waiting, is given up on: it
 *  never started; null while it may still. */
export function neverStarted(state: number, waited: number, what: string): string | null {
  return state === STARTING && waited > START_TIMEOUT_MS ? `${what} did not start within ${START_TIMEOUT_MS / 1000} s` : null;
}

/** Shared memory for a helper's failure (leaveFailure, failureOf). */
export function failureBlock(): SharedArrayBuffer {
  return new SharedArrayBuffer(FAILURE_BYTES);
}

type Fields = { message?: string; code?: string; syscall?: string; errno?: number };

/** In the helper: leaves `err`'s message, code, syscall and errno in `block`, the message
 *  cut so that the whole still fits. */
export function leaveFailure(block: SharedArrayBuffer, err: unknown): void {
  const e = err as Fields | null;
  const message = String(e?.message ?? err).slice(0, FAILURE_BYTES);
  const textOf = (length: number) => JSON.stringify({ message: message.slice(0, length), code: e?.code, syscall: e?.syscall, errno: e?.errno });
  // The longest start of the message that fits, one byte left zero to end the text.
  let [low, high] = [0, message.length];
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(textOf(mid)) < FAILURE_BYTES) low = mid;
    else high = mid - 1;
  }
  Buffer.from(block).write(textOf(low), 'utf8');
}

/** In the main thread: the helper's failure as the Error it caught, with its code, syscall
 *  and errno (the tools' messages read them); `fallback` as its message when it left none. */
export function failureOf(block: SharedArrayBuffer, fallback: string): Error & Fields {
  const text = Buffer.from(block).toString('utf8').split('\0')[0];
  let fields: Fields = {};
  try {
    fields = JSON.parse(text);
  } catch {}
  const err: Error & Fields = new Error(fields.message || fallback);
  if (fields.code != null) err.code = fields.code;
  if (fields.syscall != null) err.syscall = fields.syscall;
  if (fields.errno != null) err.errno = fields.errno;
  return err;
}
