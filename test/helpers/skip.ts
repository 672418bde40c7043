// Which readers are installed. A missing reader skips its checks on a developer's machine, but
// fails them in CI (CI=true), where the setup script must have installed every one.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ORACLE } from './listing.js';

export const IN_CI = process.env.CI === 'true';

const cache = new Map<string, boolean>();

function found(cmd: string): boolean {
  if (!cache.has(cmd)) {
    const ok = cmd.includes('/') ? existsSync(cmd) : spawnSync('sh', ['-c', `command -v '${cmd}'`]).status === 0;
    cache.set(cmd, ok);
  }
  return cache.get(cmd)!;
}

/** The commands each reader needs. */
export const READER_COMMANDS: Record<string, string[]> = {
  kernel: [ORACLE],
  xorriso: ['xorriso'],
  bsdtar: ['bsdtar'],
  '7z': ['7z'],
  isoinfo: ['isoinfo'],
  tar: ['tar'],
};

export interface Gate {
  /** True when the checks may run. */
  ok: boolean;
  /** Why not, for the skip or failure message. */
  why: string;
}

/** Whether a reader (or tool) can run here, and as root when `root` is asked for. */
export function gate(reader: string, needs: { root?: boolean } = {}): Gate {
  const missing = (READER_COMMANDS[reader] ?? [reader]).filter((c) => !found(c));
  if (missing.length) return { ok: false, why: `${reader} not installed (${missing.join(', ')})` };
  if (needs.root && process.getuid?.() !== 0) return { ok: false, why: `${reader} check needs root (owners, devices)` };
  return { ok: true, why: '' };
}

/** The part of a tap Test this needs (a structural type, so tap's own types fit). */
interface Assertions {
  pass(message: string, extra: { skip: string }): unknown;
  fail(message: string): unknown;
}

/**
 * Calls `fn` when the reader is there. Otherwise records a skipped assertion, or fails when
 * CI=true: in CI a missing reader is a broken setup, not a reason to pass.
 */
export function withReader(t: Assertions, reader: string, fn: () => void | Promise<void>, needs: { root?: boolean } = {}): void | Promise<void> {
  const g = gate(reader, needs);
  if (g.ok) return fn();
  if (IN_CI) t.fail(`${g.why} (CI=true: every reader must be installed)`);
  else t.pass(g.why, { skip: g.why });
}
