// Running commands and the project's own tools from tests, and tarring a directory: one
// implementation for every test file (each binds its own defaults: env, cwd).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createRequire } from 'node:module';

/** bin/NAME.js: the launchers as installed, run with this node. */
export const bin = (name: string): string => new URL(`../../bin/${name}.js`, import.meta.url).pathname;

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** Wall time, for tests that report it. */
  ms: number;
}

/**
 * spawnSync with room for big outputs. A command that cannot be started at all throws; one
 * that ran returns its status even when spawnSync reports an error too (EPIPE: it exited
 * without reading all of `input`, which crash and refusal tests provoke on purpose).
 */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): RunResult {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, ...opts });
  if (r.error && !r.pid) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout as Buffer, stderr: String(r.stderr), ms: Date.now() - t0 };
}

/** Runs a command that must succeed; returns stdout. */
export function must(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Buffer {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  return r.stdout;
}

/** One of the project's tools (bin/NAME.js) with `args`. */
export function node(tool: string, args: string[], opts: SpawnSyncOptions = {}): RunResult {
  return run(process.execPath, [bin(tool), ...args], opts);
}

/** GNU tar's archive of `paths` (default: everything) under `dir`, with `flags`. */
export function tarOf(dir: string, flags: string[] = [], paths: string[] = ['.']): Buffer {
  return must('tar', ['-C', dir, ...flags, '-cf', '-', ...paths]);
}

/** Single-quoted for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** True when `cmd` is on PATH (or, with a slash, exists). */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', cmd.includes('/') ? `test -e ${shQuote(cmd)}` : `command -v ${shQuote(cmd)}`]).status === 0;
}

/** Whether koffi, the optional dependency that reaches libc (pipe sizes, dup, SG_IO), loads. */
export const hasKoffi = ((): boolean => {
  try {
    const name = 'koffi';
    createRequire(import.meta.url)(name);
    return true;
  } catch {
    return false;
  }
})();

/** `n` deterministic bytes that differ with `seed`. */
export function patternedBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
