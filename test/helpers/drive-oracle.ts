// Running a guest script on the emulated recorder (../shared/tools/drive-oracle/) and reading
// what it printed. Two guest styles exist: `CHECK name ok|FAIL detail` lines with `MARK N
// phase` markers in the command trace (drive-burn, drive-stream), and `@@ KEY rc=N stdout`
// result lines judged by the test (drive-msinfo, drive-read); test/interop/guest-lib.sh holds
// the shell side of both.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DRIVE_ORACLE, IN_CI } from './skip.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The part of a tap Test used here (structural, so tap's own types fit). */
export interface OracleAssertions {
  pass(message: string, extra: { skip: string }): unknown;
  fail(message: string): unknown;
  equal(found: unknown, wanted: unknown, message: string): unknown;
  comment(message: string): unknown;
}

/**
 * True when the oracle can run (Linux, the oracle beside the repository, dist/ built).
 * Otherwise records a skip, or a failure in CI, where the setup must have installed it.
 */
export function driveOracleHere(t: OracleAssertions): boolean {
  if (existsSync(DRIVE_ORACLE) && process.platform === 'linux' && existsSync(join(ROOT, 'dist/cli/cd-write.js'))) return true;
  if (IN_CI) t.fail(`drive oracle missing at ${DRIVE_ORACLE} (CI=true: scripts/setup.sh must install it)`);
  else t.pass('drive oracle not here', { skip: `no drive oracle at ${DRIVE_ORACLE} (or dist/ not built)` });
  return false;
}

export interface OracleRun {
  /** `--media M` or `--disc FILE`. */
  disc: string[];
  /** The oracle's --out directory (console.log, cdb-trace.txt). */
  out: string;
  script: string;
  scriptArgs?: string[];
  /** The whole run, host side. */
  timeoutMs: number;
  env?: Record<string, string>;
}

/**
 * One VM run. Returns what the guest printed (the script's stdout; stderr with the oracle's
 * own lines), or null after recording why there is none: a run that failed (with the
 * console's tail), or an oracle not set up (a skip outside CI).
 */
export function runDriveOracle(t: OracleAssertions, run: OracleRun): { stdout: string; stderr: string } | null {
  const r = spawnSync(DRIVE_ORACLE, [...run.disc, '--out', run.out, run.script, ...(run.scriptArgs ?? [])], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: run.timeoutMs,
    maxBuffer: 1 << 26,
    env: { ...process.env, DRIVE_ORACLE_NO_SETUP: IN_CI ? '0' : '1', ...run.env },
  });
  if (r.status === 125 && !IN_CI) {
    const why = `drive oracle not set up (run ${DRIVE_ORACLE} --setup as root): ${r.stderr.trim().split('\n').pop()}`;
    t.pass(why, { skip: why });
    return null;
  }
  if (r.status !== 0) {
    let console = '';
    try {
      console = readFileSync(join(run.out, 'console.log'), 'utf8').slice(-3000);
    } catch {
      // no console kept
    }
    t.fail(
      `oracle run ${run.disc.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr ?? '').slice(-2000)}\nstdout: ${(r.stdout ?? '').slice(-2000)}\nconsole: ${console}`,
    );
    return null;
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Each `CHECK` line as an assertion, each `INFO` line as a comment; the `MARK`s by number. */
export function applyChecks(t: OracleAssertions, stdout: string): Map<number, string> {
  const marks = new Map<number, string>();
  for (const line of stdout.split('\n')) {
    const m = /^MARK (\d+) (\S+)/.exec(line);
    if (m) marks.set(Number(m[1]), m[2]);
    const c = /^CHECK (\S+) (ok|FAIL) ?(.*)$/.exec(line);
    if (c) t.equal(c[2], 'ok', `${c[1]} ${c[3]}`);
    if (line.startsWith('INFO ')) t.comment(line);
  }
  return marks;
}

export interface TraceLine {
  cdb: string;
  name: string;
  status: string;
}

/** The command trace split at the guest's INQUIRY markers (allocation length 0x40+N). */
export function tracePhases(out: string, marks: Map<number, string>): Map<string, TraceLine[]> {
  const byPhase = new Map<string, TraceLine[]>([['start', []]]);
  let current = 'start';
  for (const l of readFileSync(join(out, 'cdb-trace.txt'), 'utf8').split('\n').filter(Boolean)) {
    const [cdb, name, status] = l.split('\t');
    const b = cdb.split(' ').map((x) => parseInt(x, 16));
    const phase = b[0] === 0x12 && b[4] > 0x40 ? marks.get(b[4] - 0x40) : undefined;
    if (phase !== undefined) {
      current = phase;
      byPhase.set(current, []);
      continue;
    }
    byPhase.get(current)?.push({ cdb, name, status });
  }
  return byPhase;
}

export interface RecResult {
  rc: number;
  out: string;
  err: string;
}

/** The `@@ KEY rc=N stdout` and `@@ KEY.err stderr` lines of guest-lib.sh's rec, by key. */
export function recResults(stdout: string): Map<string, RecResult> {
  const results = new Map<string, RecResult>();
  for (const line of stdout.split('\n')) {
    const m = /^@@ (\S+?)(\.err)? (?:rc=(\d+) ?)?(.*)$/.exec(line);
    if (!m) continue;
    const known = results.get(m[1]);
    if (m[2] && known) known.err = m[4];
    else if (!m[2]) results.set(m[1], { rc: m[3] === undefined ? 0 : Number(m[3]), out: m[4], err: '' });
  }
  return results;
}
