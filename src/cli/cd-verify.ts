// cd-verify: prove that every session of a medium reads back intact — structurally, by the
// MD5s recorded in it, and, with a tar on stdin, against that tar. JSON lines on stdout.
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { AddressError, isOpticalDrive, resolveCdrecordAddress } from '../drive/address.js';
import type { Image } from '../image/image.js';
import { DevicePathError, normaliseCdrecordArgv, resolveDevicePath } from '../media/device-path.js';
import { findingJson, showPath, type Finding, FindingSink } from '../verify/findings.js';
import { type HashingThread, startHashingThread } from '../verify/hashing-thread.js';
import type { VerifySummary } from '../verify/verifier.js';
import { EXIT_FAILURE, has, lastOf, type OptionSpec, packageVersion, parseOptions, runTool, safeText, UsageError, wantProgress } from './common.js';

const TOOL = 'cd-verify';

const HELP = `Usage: cd-verify [--dev PATH | dev=PATH] [OPTIONS] [< archive.tar]
Check every session of a medium: volume descriptors, path tables against directories,
directory records, extents, Rock Ridge and Joliet trees, the medium head, and the MD5
checksums recorded by iso-pack --md5 or xorriso -md5 on (re-reading the data).
With a tar on stdin (stdin neither a terminal nor empty), also compare it entry by entry
with the newest session: type, mode, owners, size, mtime, link target, content.

  tar c dir | cd-verify --dev backup.iso

  --dev PATH, dev=PATH   the medium: an image file, a block device or an optical
                         drive (/dev/sr0, dev=1,0: sessions from its TOC) (else CDR_DEVICE)
      --session N        check only session N, and compare the tar with it
  -n                     ignore stdin: no tar comparison
  -q, --quiet            no output: the exit status alone
  -v                     with JSON output, also describe each problem on stderr
      --json             JSON lines even when stdout is a terminal
      --help, --version

Output: on a terminal, one line per problem found and a summary line. When stdout is
not a terminal (a pipe, a file) or with --json: one JSON object per line on stdout for
each problem (kind, session, path, lba, expected, found, message), then a summary
object (kind "summary": sessions, files, bytes, problems, seconds); the one-line
summary on stderr either way.
Exit status: 0 no problems, 1 problems found (or the medium cannot be read), 2 usage.`;

const OPTIONS: readonly OptionSpec[] = [
  { key: 'dev', names: ['dev'], value: true },
  { key: 'session', names: ['session'], value: true },
  { key: 'n', names: ['n'] },
  { key: 'quiet', names: ['q', 'quiet'] },
  { key: 'verbose', names: ['v', 'verbose'] },
  { key: 'json', names: ['json'] },
];

/** stdout written synchronously (the checks never yield to the event loop). */
function out(text: string): void {
  writeSync(1, text);
}

function err(text: string): void {
  writeSync(2, text);
}

function human(f: Finding): string {
  const where: string[] = [];
  if (f.session !== undefined) where.push(`session ${f.session}`);
  if (f.lba !== undefined) where.push(`LBA ${f.lba}`);
  if (f.path !== undefined) where.push(showPath(f.path));
  const values = [f.expected !== undefined ? `expected ${f.expected}` : '', f.found !== undefined ? `found ${f.found}` : ''].filter((x) => x);
  const ef = values.length ? ` (${values.join(', ')})` : '';
  return `${TOOL}: ${f.kind}: ${where.length ? where.join(', ') + ': ' : ''}${f.message}${ef}\n`;
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** stdin's tar, or null when there is none: a terminal, -n, or an empty stdin. The tar
 *  reader (and zlib) is loaded only then. */
async function stdinTar(ignore: boolean): Promise<Iterable<Buffer> | null> {
  if (ignore || isatty(0)) return null;
  const { tarChunks } = await import('../tar/input.js');
  const chunks = tarChunks(0);
  const first = chunks.next();
  if (first.done) return null;
  const head = Buffer.from(first.value);
  return (function* () {
    yield head;
    yield* chunks;
  })();
}

async function main(): Promise<number> {
  const args = parseOptions(normaliseCdrecordArgv(process.argv.slice(2), ['dev'], []), OPTIONS);
  if (args.help) {
    out(HELP + '\n');
    return 0;
  }
  if (args.version) {
    out(`${TOOL} (isopipe) ${packageVersion()}\n`);
    return 0;
  }
  if (args.operands.length) throw new UsageError(`unexpected argument '${safeText(args.operands[0])}': the medium is given with --dev`);
  const sessionText = lastOf(args, 'session');
  let session: number | undefined;
  if (sessionText !== undefined) {
    if (!/^[1-9][0-9]*$/.test(sessionText)) throw new UsageError(`--session wants a session number (1 is the oldest), not '${sessionText}'`);
    session = Number(sessionText);
  }
  let path: string;
  try {
    const given = lastOf(args, 'dev');
    path = (given !== undefined ? resolveCdrecordAddress(given) : null) ?? resolveDevicePath(given, process.env);
  } catch (e) {
    if (e instanceof DevicePathError) throw new UsageError(e.message);
    if (e instanceof AddressError) throw new Error(e.message);
    throw e;
  }
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  const quiet = has(args, 'quiet');
  const verbose = has(args, 'verbose');
  const tar = await stdinTar(has(args, 'n'));

  // A disc in a drive: sessions from the TOC, sectors by READ(10), hashed on this thread.
  // Otherwise opened here so that the hashing thread can read through the same descriptor;
  // it boots while the checks' modules load.
  let fd: number | undefined;
  let hashing: HashingThread | null = null;
  let image: Image;
  const disc = isOpticalDrive(path) ? await (await import('../drive/disc-image.js')).openDiscImage(path) : null;
  if (!disc) {
    fd = openSync(path, 'r');
    hashing = startHashingThread(fd);
  }
  const [{ Image }, { SectorSource }, { verifyMedium, VerifyUsageError }, { checkMediumHeadOf }] = await Promise.all([
    import('../image/image.js'),
    import('../image/sector-source.js'),
    import('../verify/verifier.js'),
    import('../media/head-check.js'),
  ]);
  if (disc) {
    image = disc.image;
    disc.reader.zeroFill = true;
  } else {
    try {
      image = Image.fromSource(SectorSource.fromFd(fd!));
    } catch (e) {
      void hashing?.worker.terminate();
      closeSync(fd!);
      throw e;
    }
  }
  // JSON lines for scripts (asked for, or stdout not a terminal); a report for people.
  const json = has(args, 'json') || !isatty(1);
  const progress = !quiet && wantProgress(false) ? new Progress() : null;
  const sink = new FindingSink((f) => {
    progress?.clear();
    if (quiet) return;
    if (json) out(JSON.stringify(findingJson(f)) + '\n');
    else out(human(f));
    if (verbose && json) err(human(f));
  });
  let summary: VerifySummary;
  try {
    summary = verifyMedium(image, sink, { session, tar, hashing, onProgress: progress ? (b) => progress.update(b) : undefined });
    if (disc) {
      (await import('../drive/disc-image.js')).reportUnreadable(image, disc.reader, sink);
      summary.problems = sink.count;
    }
  } catch (e) {
    if (e instanceof VerifyUsageError) throw new UsageError(e.message);
    throw e;
  } finally {
    progress?.clear();
    // Ended by the verifier once it hashed; not when it stopped before (not ISO 9660).
    void hashing?.worker.terminate();
    image.close();
    if (fd !== undefined) closeSync(fd);
  }
  // A torn or stale medium head: the verifier reports what differs; this adds the repair,
  // and covers a head with no descriptor set at all (the verifier stops at "not ISO 9660").
  const headProblem = checkMediumHeadOf(path);
  if (headProblem && sink.byKind.has('medium-head')) {
    if (!quiet) err(`${TOOL}: ${path}: ${headProblem}\n`);
  } else if (headProblem && sink.byKind.has('medium') && !sink.byKind.has('medium-head')) {
    sink.add({ kind: 'medium-head', lba: 16, message: headProblem });
    summary.problems = sink.count;
  }
  if (!quiet) {
    if (json) out(JSON.stringify({ kind: 'summary', ...summary, seconds: Number(summary.seconds.toFixed(3)) }) + '\n');
    const kinds = [...sink.byKind].map(([k, n]) => `${k} ${n}`).join(', ');
    const verdict = summary.problems ? `${summary.problems} problem(s) (${kinds})` : 'no problems';
    err(
      `${TOOL}: ${path}: ${summary.sessions} session(s), ${summary.files} file(s) and ${megabytes(summary.bytes)} checked by content in ${summary.seconds.toFixed(1)} s: ${verdict}\n`,
    );
  }
  return summary.problems ? EXIT_FAILURE : 0;
}

/** Bytes checked, on a terminal, at most once a second. */
class Progress {
  private last = 0;
  private shown = false;
  private readonly t0 = Date.now();

  update(bytes: number): void {
    const now = Date.now();
    if (now - this.last < 1000) return;
    this.last = now;
    const rate = bytes / 1e6 / Math.max(0.001, (now - this.t0) / 1000);
    err(`\r${TOOL}: ${megabytes(bytes)} checked, ${rate.toFixed(0)} MB/s   `);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) err('\r\x1b[K');
    this.shown = false;
  }
}

runTool(TOOL, main);
