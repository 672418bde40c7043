// What every isopipe binary shares: version, one-line errors, exit codes, argv habits.
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the tool was called: exit status 2. */
export class UsageError extends Error {}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs a tool's main function: one line on stderr and exit 1 (2 for usage) on failure. */
// biome-ignore lint/suspicious/noConfusingVoidType: a main that has nothing to say about its exit returns nothing
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
      const hint = usage && !(err instanceof RefusedOption);
      const msg = safeText((systemErrorText(e) ?? e?.message ?? String(err)).replace(/\s*\n\s*/g, ' '), 400);
      messageLine(`${tool}: ${msg}${hint ? ` (try '${tool} --help')` : ''}`);
      if (process.env.ISOPIPE_DEBUG && e?.stack) process.stderr.write(e.stack + '\n');
      process.exitCode = usage ? EXIT_USAGE : EXIT_FAILURE;
    },
  );
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for this file system or limit',
  EIO: 'input/output error',
  EEXIST: 'file exists',
  EBUSY: 'device or resource busy',
  ENXIO: 'no such device or address',
  ENODEV: 'no such device',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ETXTBSY: 'text file busy',
};

/** A raw Node system error (fs.openSync and friends) in one line: "PATH: what (CODE)". */
export function systemErrorText(e: (Error & { code?: string; syscall?: string; path?: string }) | undefined): string | null {
  if (!e || typeof e.code !== 'string' || typeof e.syscall !== 'string') return null;
  const what = ERRNO_TEXT[e.code] ?? e.message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ .*$/, '');
  return `${e.path !== undefined ? `${e.path}: ` : ''}${what} (${e.code})`;
}

/** A system error on a file the user named, worded for people: "cannot create PATH: what (CODE)". */
export function fileError(action: string, path: string, err: unknown): Error {
  const e = err as Error & { code?: string; syscall?: string };
  if (typeof e?.code !== 'string') return err as Error;
  let what = ERRNO_TEXT[e.code] ?? e.code;
  if (e.code === 'ENOENT' && action === 'cannot create' && !existsSync(dirname(path))) what = `no such directory: ${dirname(path)}`;
  return new Error(`${action} ${path}: ${what} (${e.code})`);
}

/** One line on stderr; on a terminal the line is cleared first, so that a message never
 *  lands on the end of a progress line (ours or another tool's in the same pipeline). */
export function messageLine(text: string): void {
  const clear = process.stderr.isTTY === true ? '\r\x1b[K' : '';
  writeSync(2, `${clear}${text}\n`);
}

/** Progress goes to stderr only on a terminal or when asked for with -v. */
export function wantProgress(verbose: boolean): boolean {
  return verbose || process.stderr.isTTY === true;
}

/** The words before `--` on the command line. */
function optionWords(): string[] {
  const argv = process.argv.slice(2);
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

/** The single-dash word minimist split into letters, one of which was `letter` (`-quiet` for 'u'). */
function bundleOf(letter: string): string | undefined {
  return optionWords().find((a) => /^-[^-]/.test(a) && a.length > 2 && !a.includes('=') && a.includes(letter));
}

/** Rejects options minimist collected that the tool does not know, named as the user typed them. */
export function checkKnownOptions(args: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(args)) {
    if (k === '_' || known.includes(k)) continue;
    const word = k.length === 1 ? (bundleOf(k) ?? `-${k}`) : `--${k}`;
    throw new UsageError(`unknown option '${safeText(word)}'`);
  }
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
  // Only a word that asks for help gets it: `-hide-joliet` is no bundle of -h and others.
  const words = optionWords();
  if (args.help && !words.some((a) => HELP_WORDS.includes(a))) throw new UsageError(`unknown option '${safeText(bundleOf('h') ?? '-h')}'`);
  if (args.help) process.stdout.write(help + '\n');
  else if (args.version) process.stdout.write(`${tool} (isopipe) ${packageVersion()}\n`);
  else return false;
  return true;
}

// ---- Option parsing as mkisofs/genisoimage and cdrecord parse them ----
//
// A word with one dash is first an option name as a whole (`-quiet`, `-print-size`,
// `-hide-joliet`), never a prefix of one; only when it is no option's name is it read as
// letters, and then only if every letter is a short option that takes no value (`-rJ`).
// Anything else is an unknown option named as the user typed it.

export interface OptionSpec {
  /** The key the parsed value is stored under. */
  key: string;
  /** Spellings without dashes: a single letter is `-x`; longer names are `-name` or `--name`. */
  names: readonly string[];
  /** Takes a value: the next word, or `--name=value` / `-name=value`. */
  value?: boolean;
  /** Accepted and ignored (documented as a no-op). */
  ignore?: boolean;
  /** Refused: the text says why and what to do instead. */
  refuse?: string;
}

/** An option isopipe refuses on purpose; its message already says what to do instead. */
export class RefusedOption extends UsageError {}

export interface ParsedOptions {
  /** Values of each key in the order given (an option without a value records ''). */
  values: Map<string, string[]>;
  /** How the user spelled each key (the last time), for messages. */
  spelled: Map<string, string>;
  /** Every option kept, in command-line order (for options whose position matters,
   *  as El Torito's -eltorito-alt-boot groups the options after it). */
  sequence: { key: string; value: string; spelled: string }[];
  /** Keys of ignored options that were given, in order, as spelled. */
  ignored: string[];
  operands: string[];
  help: boolean;
  version: boolean;
}

const HELP_WORDS = ['--help', '-help', '-h', '-?'];
const VERSION_WORDS = ['--version', '-version'];

export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): ParsedOptions {
  const byName = new Map<string, OptionSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const r: ParsedOptions = { values: new Map(), spelled: new Map(), sequence: [], ignored: [], operands: [], help: false, version: false };
  const record = (s: OptionSpec, spelled: string, value: string) => {
    if (s.refuse) throw new RefusedOption(`${spelled}: ${s.refuse}`);
    if (s.ignore) {
      r.ignored.push(spelled);
      return;
    }
    const list = r.values.get(s.key) ?? [];
    list.push(value);
    r.values.set(s.key, list);
    r.spelled.set(s.key, spelled);
    r.sequence.push({ key: s.key, value, spelled });
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      r.operands.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      r.operands.push(word);
      continue;
    }
    if (HELP_WORDS.includes(word) && !byName.has(word.replace(/^-+/, ''))) {
      r.help = true;
      continue;
    }
    if (VERSION_WORDS.includes(word)) {
      r.version = true;
      continue;
    }
    const dashes = word.startsWith('--') ? 2 : 1;
    const body = word.slice(dashes);
    const eq = body.indexOf('=');
    const name = eq > 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    // `--x` is no spelling of the short option -x; `-name` and `--name` both are of a long one.
    if (spec && !(dashes === 2 && name.length === 1)) {
      const spelled = word.slice(0, dashes + name.length);
      if (eq > 0) {
        if (!spec.value) throw new UsageError(`${spelled} takes no value`);
        record(spec, spelled, body.slice(eq + 1));
      } else if (spec.value) {
        if (i + 1 >= argv.length) throw new UsageError(`${spelled} wants a value`);
        record(spec, spelled, argv[++i]);
      } else record(spec, spelled, '');
      continue;
    }
    // A bundle of short flags, as getopt allows: every letter a known option without a value.
    const letters = dashes === 1 ? [...body] : [];
    if (letters.length > 1 && letters.every((c) => byName.has(c) && !byName.get(c)!.value)) {
      for (const c of letters) record(byName.get(c)!, `-${c}`, '');
      continue;
    }
    throw new UsageError(`unknown option '${safeText(word)}'`);
  }
  return r;
}

/** The last value given for a key, or undefined; an empty value is a usage error. */
export function lastOf(p: ParsedOptions, key: string): string | undefined {
  const v = p.values.get(key);
  if (!v) return undefined;
  const x = v[v.length - 1];
  if (x === '') throw new UsageError(`${p.spelled.get(key)} wants a value`);
  return x;
}

/** Every value given for a key. */
export function allOf(p: ParsedOptions, key: string): string[] {
  const v = p.values.get(key) ?? [];
  for (const x of v) if (x === '') throw new UsageError(`${p.spelled.get(key)} wants a value`);
  return v;
}

export function has(p: ParsedOptions, key: string): boolean {
  return p.values.has(key);
}

/** Prints --help or --version; true when the tool has nothing more to do. */
export function answerHelpOrVersion(tool: string, help: string, p: ParsedOptions): boolean {
  if (p.help) process.stdout.write(help + '\n');
  else if (p.version) process.stdout.write(`${tool} (isopipe) ${packageVersion()}\n`);
  else return false;
  return true;
}

/** Text from the input made safe for a one-line message: control and non-UTF-8 bytes escaped, length bounded. */
export function safeText(s: string, max = 80): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) || c === 0xfffd) out += c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : '?';
    else out += ch;
    if (out.length >= max) return out.slice(0, max) + '…';
  }
  return out;
}
