// Which readers and judges are here. A missing one skips its checks on a developer's machine
// (and in a fresh clone, which has no ../shared beside it), but fails them in CI (CI=true),
// where the setup script must have installed every one.
import { have } from './run.js';

export const IN_CI = process.env.CI === 'true';

/** The judges kept beside the repository, in ../shared (KERNEL_ORACLE overrides). */
export const KERNEL_ORACLE = process.env.KERNEL_ORACLE ?? new URL('../../../shared/tools/kernel-oracle/kernel-oracle.sh', import.meta.url).pathname;
export const DRIVE_ORACLE = process.env.DRIVE_ORACLE ?? new URL('../../../shared/tools/drive-oracle/drive-oracle.sh', import.meta.url).pathname;

const cache = new Map<string, boolean>();

function found(cmd: string): boolean {
  if (!cache.has(cmd)) {
    cache.set(cmd, have(cmd));
  }
  return cache.get(cmd)!;
}

/** The commands each reader needs. */
export const READER_COMMANDS: Record<string, string[]> = {
  kernel: [KERNEL_ORACLE],
  drive: [DRIVE_ORACLE],
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

/**
 * True when every command (a name on PATH, or a path) is here. Otherwise records a skip, or a
 * failure when CI=true, and returns false: `if (!needs(t, 'xorriso')) return;`.
 */
export function needs(t: Assertions, ...cmds: string[]): boolean {
  const missing = cmds.filter((c) => !found(c));
  if (missing.length === 0) return true;
  const why = `${missing.join(', ')} not installed`;
  if (IN_CI) t.fail(`${why} (CI=true: every reader must be installed)`);
  else t.pass(why, { skip: why });
  return false;
}
