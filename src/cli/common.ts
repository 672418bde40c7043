// What every isopipe binary shares: version, one-line errors, exit codes, argv habits.
import { readFileSync } from 'node:fs';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the tool was called: exit status 2. */
export class UsageError extends Error {}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs a tool's main function: one line on stderr and exit 1 (2 for usage) on failure. */
export function runTool(tool: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      const e = err as Error & { code?: string };
      if (e?.code === 'EPIPE') {
        process.exitCode = EXIT_FAILURE;
        return;
      }
      const usage = err instanceof UsageError;
      const msg = (e?.message ?? String(err)).replace(/\s*\n\s*/g, ' ');
      process.stderr.write(`${tool}: ${msg}${usage ? ` (try '${tool} --help')` : ''}\n`);
      if (process.env.ISOPIPE_DEBUG && e?.stack) process.stderr.write(e.stack + '\n');
      process.exitCode = usage ? EXIT_USAGE : EXIT_FAILURE;
    },
  );
}

/** Progress goes to stderr only on a terminal or when asked for with -v. */
export function wantProgress(verbose: boolean): boolean {
  return verbose || process.stderr.isTTY === true;
}

/** Rejects options minimist collected that the tool does not know. */
export function checkKnownOptions(args: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(args)) if (k !== '_' && !known.includes(k)) throw new UsageError(`unknown option '${k.length === 1 ? '-' : '--'}${k}'`);
}

/** The last value given for an option (minimist collects repeats in an array). */
export function lastValue(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  const x = Array.isArray(v) ? v[v.length - 1] : v;
  if (typeof x !== 'string' || x === '') throw new UsageError(`${name.length === 1 ? '-' : '--'}${name} wants a value`);
  return x;
}

/** Answers --help and --version on stdout; true when the tool has nothing more to do. */
export function answeredHelpOrVersion(tool: string, help: string, args: Record<string, unknown>): boolean {
  if (args.help) process.stdout.write(help + '\n');
  else if (args.version) process.stdout.write(`${tool} (isopipe) ${packageVersion()}\n`);
  else return false;
  return true;
}
