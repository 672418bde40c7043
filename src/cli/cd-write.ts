// cd-write: writes one session — iso-pack's head-last stream or a plain ISO image — to an
// image file or block device at its next writable address, and commits it (DESIGN §4–5).
import minimist from 'minimist';
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import { constants as osConstants } from 'node:os';
import { removeDebris } from '../media/debris.js';
import { takeCdrecordHabits } from './cdrecord-options.js';
import { dieWithParent } from '../media/medium-lock.js';
import { MEDIA_SECTORS } from '../media/capacity.js';
import { capacityOption } from './capacity-option.js';
import { DevicePathError, normaliseCdrecordArgv, resolveDevicePath } from '../media/device-path.js';
import { EmulatedMedium } from '../media/emulated-medium.js';
import { driveAtAddress, drivePathOf } from '../drive/address.js';
import type { BlankKind } from '../drive/erase.js';
import { writeSession } from '../media/write-session.js';
import { readChunks, writeAll } from '../session/io.js';
import { answeredHelpOrVersion, checkKnownOptions, lastValue, runTool, UsageError, wantProgress } from './common.js';
import { SECTOR } from '../iso9660/constants.js';

const TOOL = 'cd-write';

const HELP = `Usage: cd-write [OPTIONS] [--dev PATH | dev=PATH] [FILE | -]
Write one session to an image file or block device at its next writable address and
commit it. The session comes from FILE or stdin: iso-pack's head-last stream, or any
plain ISO 9660 image laid out for that address (genisoimage/xorriso -C, iso-pack -o).

  tar c dir | iso-pack --prev $(cd-msinfo) | cd-write --multi

  --dev PATH, dev=PATH   the medium (else CDR_DEVICE): an image file, a block device, or
                         an optical drive (/dev/srN, /dev/sgN, cdrecord's B,T,L), which
                         burns a plain image (iso-pack -o FILE) as a TAO/incremental track
  --create               make a new image file when PATH does not exist (never under
                         /dev); without it a missing medium is refused
  --blank                with --create: make the new image file blank and write no session
  blank=fast|all         on a drive: erase a CD-RW or DVD-RW first (BLANK; DVD-RW takes
                         all only); with FILE or - the session is burned after it
  --format, -format      on a drive: format a DVD+RW (full, 26h) or BD-RE (spare areas,
                         30h) as the drive offers; a formatted disc again only with --force;
                         DVD+RW, DVD-RAM and formatted BD-RE are then written like image
                         files (emulated multi-session) through the drive
  --multi, -multi        keep the medium appendable; without it the medium is closed
  --dummy, -dummy        do every check and read the whole session, write nothing
                         (on a CD-R/DVD-R drive: a test write with the laser off)
  --capacity N|SIZE      refuse a session that does not fit N sectors (or 700M, 4.7GB…)
  --media NAME           capacity of ${Object.keys(MEDIA_SECTORS).join(', ')}
  --force                write over something that is not an ISO image (a partition table,
                         another file system), append to a closed, truncated or torn
                         medium, or write an image laid out for LBA 0 with --multi
  --wait SECONDS         wait that long for another writer of the medium to finish
                         (default: give up at once, exit 1, nothing written)
  -fix, --fix            on an image file or block device: rewrite a torn or stale
                         medium head (LBA 0–31) from the newest complete session; on a
                         drive: close a session left open by an interrupted burn (with
                         --multi the disc stays appendable, else it is finalized)
  --json                 report the session written as one JSON object on stdout
  -v, --verbose          progress and a summary on stderr (progress also on a terminal)
  speed=N                on a drive: write at N x (SET CD SPEED / SET STREAMING)
  -eject                 on a drive: open the tray after the burn (no effect on files)
  --reserve-head         on a DVD+R or BD-R drive, for a head-last stream: burn it as one
                         session (RESERVE TRACK for the head, checked before the first
                         data sector) instead of the two-session commit, which is used
                         when the drive reserves nothing. Off by default: not yet seen
                         on a real drive. CD, image files and plain images: no effect
  -dao, -tao, -sao, -raw, -data, -pad, fs=N, driveropts=…
                         accepted for cdrecord habits (-v says what each does not do);
                         -scanbus, -audio, -toc… are refused with what to do instead
                         (man cd-write has the table)
  --help, --version

Nothing becomes visible until the session is complete: a cut stream, a bad checksum, a
full disk or a crash leaves the previous sessions as they were.`;

const STRING_OPTS = ['dev', 'capacity', 'media', 'speed', 'wait'];
const BOOL_OPTS = ['multi', 'dummy', 'force', 'create', 'blank', 'format', 'fix', 'eject', 'json', 'reserve-head', 'v', 'verbose', 'help', 'version'];
const LONG = [
  'multi',
  'dummy',
  'force',
  'create',
  'blank',
  'format',
  'fix',
  'eject',
  'json',
  'reserve-head',
  'verbose',
  'dev',
  'capacity',
  'media',
  'speed',
  'wait',
  'help',
  'version',
];
const BLANK_KINDS: Record<string, BlankKind> = { fast: 'fast', minimal: 'fast', all: 'all' };

/**
 * blank=KIND (cdrecord), also --blank=KIND, taken out of argv: erasing a disc in a drive.
 * A bare --blank stays the image-file option (with --create: a new blank medium).
 */
function takeBlankKind(argv: string[]): { argv: string[]; blank: BlankKind | null } {
  let blank: BlankKind | null = null;
  const out: string[] = [];
  let rest = false;
  for (const a of argv) {
    const m = rest ? null : /^(?:--?)?blank=(.*)$/s.exec(a);
    if (a === '--') rest = true;
    if (!m) {
      out.push(a);
      continue;
    }
    const kind = BLANK_KINDS[m[1]];
    if (!kind) throw new UsageError(`blank=${m[1]}: cd-write blanks a whole CD-RW or DVD-RW: blank=fast or blank=all (no single tracks or sessions)`);
    blank = kind;
  }
  return { argv: out, blank };
}

/** A hook for crash tests: ISOPIPE_TEST_KILL_AT=PHASE stops the process dead at that commit step. */
function testKillHook(): ((phase: string) => void) | undefined {
  const at = process.env.ISOPIPE_TEST_KILL_AT;
  if (!at) return undefined;
  return (phase) => {
    if (phase === at) process.kill(process.pid, 'SIGKILL');
  };
}

class Progress {
  private lastShown = 0;
  private readonly t0 = Date.now();
  private shown = false;

  update(bytes: number, total: number | null, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastShown < 500) return;
    this.lastShown = now;
    const secs = Math.max(0.001, (now - this.t0) / 1000);
    const rate = bytes / secs;
    let text = `\r${TOOL}: ${(bytes / 1e6).toFixed(1)} MB written, ${(rate / 1e6).toFixed(1)} MB/s`;
    if (total) {
      const eta = rate > 0 ? Math.max(0, (total - bytes) / rate) : 0;
      text += `, ${Math.min(100, (100 * bytes) / total).toFixed(0)}%, ETA ${Math.floor(eta / 60)}:${String(Math.floor(eta % 60)).padStart(2, '0')}`;
    }
    writeAll(2, Buffer.from(text + '   '));
    this.shown = true;
  }

  done(): void {
    if (this.shown) writeAll(2, Buffer.from('\n'));
    this.shown = false;
  }
}

const WORKER = 'ISOPIPE_CD_WRITE_WORKER';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Node runs cd-write's synchronous write loop without turning its event loop, so a signal
 * handler in that process would run only after the work is done. Instead this process
 * starts the writer as a child and waits: when the child dies by a signal (Ctrl-C,
 * SIGTERM, SIGHUP, even SIGKILL), it removes the bytes past the committed end of an image
 * file that the child left, then dies by the same signal.
 */
async function supervise(path: string): Promise<number> {
  let before: number | null = null;
  try {
    const st = statSync(path);
    before = st.isFile() ? st.size : -1;
  } catch {
    before = null;
  }
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [WORKER]: String(process.pid) },
  });
  // The terminal's Ctrl-C reaches the child too; a signal sent to this process alone is passed on.
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const s of SIGNALS) process.on(s, forward);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  for (const s of SIGNALS) process.off(s, forward);
  if (signal === null) return code ?? 1;
  if (before !== -1) {
    const out = removeDebris(path, before);
    if (out.removedFile) writeAll(2, Buffer.from(`${TOOL}: interrupted (${signal}): removed ${path}, which held no session yet\n`));
    else if (out.removedBytes)
      writeAll(2, Buffer.from(`${TOOL}: interrupted (${signal}): removed ${out.removedBytes} uncommitted bytes from the end of ${path}\n`));
  }
  process.kill(process.pid, signal); // die as the child did, so that the shell sees it
  await new Promise((r) => setTimeout(r, 1000));
  return 128 + (osConstants.signals[signal] ?? 0);
}

/** cd-write -fix: the medium head rewritten from the newest complete session, if it needs it. */
function fixHead(path: string, capacity: number | null, waitSeconds: number, json: boolean): number {
  const medium = EmulatedMedium.open(path, { write: true, capacity, waitSeconds, force: true, onPhase: testKillHook() });
  try {
    return fixMediumHead(medium, path, json);
  } finally {
    medium.release();
  }
}

/** -fix on an open medium (an image file, a block device, an overwritable disc in a drive). */
function fixMediumHead(medium: EmulatedMedium, path: string, json: boolean): number {
  const r = medium.fixHead();
  const what = r.changed
    ? `medium head rewritten from session ${r.session} at LBA ${r.start}; the medium ends at ${r.end}, next writable address ${Math.ceil(r.end / 32) * 32}`
    : `the medium head already shows the newest session (session ${r.session} at LBA ${r.start}): nothing to fix`;
  writeAll(2, Buffer.from(`${TOOL}: ${path}: ${what}\n`));
  if (json) process.stdout.write(JSON.stringify({ fixed: r.changed, session: r.session, start: r.start, end: r.end }) + '\n');
  return 0;
}

/** cd-write --create --blank: a new, empty medium for later appends (the cron setup step). */
function createBlank(path: string, capacity: number | null, dummy: boolean): number {
  const medium = EmulatedMedium.open(path, { write: !dummy, create: true, capacity });
  try {
    if (!medium.wasCreated && !dummy) throw new Error(`${path} exists already: --blank only makes a new medium (nothing written)`);
    if (!dummy) medium.keepCreated();
    return 0;
  } finally {
    medium.release();
  }
}

async function main(): Promise<number> {
  const habits = takeCdrecordHabits(process.argv.slice(2), (m) => new UsageError(m));
  const erase = takeBlankKind(habits.argv);
  const args = minimist(normaliseCdrecordArgv(erase.argv, ['dev', 'speed'], LONG), {
    string: STRING_OPTS,
    boolean: BOOL_OPTS,
  });
  if (answeredHelpOrVersion(TOOL, HELP, args)) return 0;
  checkKnownOptions(args, [...STRING_OPTS, ...BOOL_OPTS]);
  const speed = lastValue(args.speed, 'speed');
  if (speed !== undefined && !/^[0-9]+(\.[0-9]+)?x?$/i.test(speed)) throw new UsageError(`speed= wants a number, not '${speed}'`);
  if (args._.length > 1) throw new UsageError(`one session at a time: unexpected argument '${args._[1]}'`);
  const capacity = capacityOption(args);
  const waitText = lastValue(args.wait, 'wait');
  if (waitText !== undefined && !/^[0-9]+(\.[0-9]+)?$/.test(waitText)) throw new UsageError(`--wait wants SECONDS, not '${waitText}'`);
  const waitSeconds = waitText === undefined ? 0 : Number(waitText);
  // cdrecord's dev=B,T,L / ATA:B,T,L names the drive at that SCSI address (sysfs maps it
  // to /dev/srN), never a file; stdio:PATH always names a file, whatever PATH looks like.
  const given = lastValue(args.dev, 'dev') ?? process.env.CDR_DEVICE;
  const namesFile = given?.startsWith('stdio:') ?? false;
  let path: string;
  try {
    path = (!namesFile && given !== undefined ? driveAtAddress(given) : null) ?? resolveDevicePath(given, process.env);
  } catch (err) {
    if (err instanceof DevicePathError) throw new UsageError(err.message);
    throw err;
  }
  const verbose = !!(args.v || args.verbose);
  if (verbose && !process.env[WORKER]) for (const note of habits.noOps) writeAll(2, Buffer.from(`${TOOL}: note: ${note}\n`));
  const drivePath = namesFile ? null : drivePathOf(path);
  if (erase.blank !== null || args.format) {
    const what = erase.blank !== null ? `blank=${erase.blank}` : '--format';
    if (erase.blank !== null && args.format)
      throw new UsageError('blank= and --format: one at a time (blank= erases a CD-RW or DVD-RW, --format formats a DVD+RW or BD-RE)');
    if (drivePath === null)
      throw new UsageError(
        `${what} erases or formats a disc in an optical drive; ${path} is an image file or block device, which isopipe never erases (cd-write --create --blank makes a new blank image file)`,
      );
    if (args.fix || args.dummy || args.blank)
      throw new UsageError(`${what} goes with neither ${args.fix ? '-fix' : args.dummy ? '-dummy' : '--blank'}: run them one at a time`);
  }
  if (args.blank) {
    if (drivePath !== null)
      throw new UsageError('--blank makes a new blank image file (with --create); on a drive, blank=fast or blank=all erases a CD-RW or DVD-RW');
    if (!args.create) throw new UsageError('--blank only goes with --create (isopipe never erases a medium)');
    if (args._.length) throw new UsageError('--blank writes no session: drop the file argument');
    return createBlank(path, capacity, !!args.dummy);
  }

  // An optical drive burns through MMC (cd-write-drive.ts); everything below is for files and
  // block devices, and for overwritable discs, which are written the same way (`overwritable`).
  if (drivePath !== null) {
    if (capacity !== null) throw new UsageError('--capacity and --media are for image files: a drive reports its own capacity');
    const json = !!args.json;
    // The MMC code (18 modules) loads only for a drive: a pipe's producers wait while
    // cd-write starts.
    const { writeOnDrive } = await import('./cd-write-drive.js');
    return writeOnDrive(drivePath, {
      multi: !!args.multi,
      dummy: !!args.dummy,
      fix: !!args.fix,
      eject: !!args.eject,
      json,
      verbose,
      speed,
      reserveHead: !!args['reserve-head'],
      source: args._.length && String(args._[0]) !== '-' ? String(args._[0]) : null,
      erase: erase.blank !== null ? { blank: erase.blank } : args.format ? { format: true } : null,
      writeAfter: args._.length > 0,
      force: !!args.force,
      overwritable: (medium, inFd) => (inFd === null ? fixMediumHead(medium, drivePath, json) : runSession(medium, openedInput(inFd), args, verbose)),
    });
  }
  if (args.eject && verbose && !process.env[WORKER])
    writeAll(2, Buffer.from(`${TOOL}: note: -eject has no effect: there is nothing to eject on an image file or block device\n`));
  if (args['reserve-head'] && verbose && !process.env[WORKER])
    writeAll(2, Buffer.from(`${TOOL}: note: --reserve-head has no effect: an image file or block device takes the head last in place\n`));

  // The session's source: a file argument or stdin.
  if (args.fix) {
    if (args._.length) throw new UsageError('-fix writes no session: drop the file argument');
    return fixHead(path, capacity, waitSeconds, !!args.json);
  }
  if (!args.dummy && !process.env[WORKER]) return supervise(path);
  if (process.env[WORKER]) {
    dieWithParent(Number(process.env[WORKER]));
    // The writer must die at once by these signals (its parent cleans up): a handler that a
    // preloaded module installed (NODE_OPTIONS=--import …) would only run after the write loop.
    for (const s of SIGNALS) process.removeAllListeners(s);
  }

  const source = args._.length && String(args._[0]) !== '-' ? String(args._[0]) : null;
  let inFd = 0;
  if (source !== null) {
    try {
      inFd = openSync(source, 'r');
    } catch (err) {
      throw new Error(`cannot open ${source}: ${(err as Error).message}`);
    }
  } else if (isatty(0)) {
    // isatty, not process.stdin.isTTY: creating process.stdin makes a pipe non-blocking,
    // and every read that then finds it empty sleeps (src/session/io.ts).
    throw new UsageError('no session on stdin: pipe iso-pack into cd-write or name an image file');
  }
  try {
    const input = openedInput(inFd);
    const medium = EmulatedMedium.open(path, {
      write: !args.dummy,
      create: !!args.create,
      capacity,
      force: !!args.force,
      waitSeconds,
      onPhase: testKillHook(),
    });
    try {
      return runSession(medium, input, args, verbose);
    } finally {
      medium.release();
    }
  } finally {
    if (source !== null) closeSync(inFd);
  }
}

interface Input {
  fd: number;
  /** The size of a regular file, else null. */
  bytes: number | null;
  peek: ((sector: number, count: number) => Buffer | null) | undefined;
}

/** The session's input: its size and positional reads when it is a regular file. */
function openedInput(fd: number): Input {
  const st = fstatSync(fd);
  const seekable = st.isFile();
  const peek = seekable
    ? (sector: number, count: number): Buffer | null => {
        const b = Buffer.alloc(count * SECTOR);
        const n = readSync(fd, b, 0, b.length, sector * SECTOR);
        return n === b.length ? b : null;
      }
    : undefined;
  return { fd, bytes: seekable ? st.size : null, peek };
}

/** Writes and commits one session on `medium` (an image file, a block device, an overwritable disc); the caller releases it. */
function runSession(medium: EmulatedMedium, input: Input, args: minimist.ParsedArgs, verbose: boolean): number {
  const progress = wantProgress(verbose) ? new Progress() : null;
  if (verbose) for (const w of medium.status().warnings) writeAll(2, Buffer.from(`${TOOL}: warning: ${w}\n`));
  try {
    const result = writeSession(medium, readChunks(input.fd), {
      multi: !!args.multi,
      dummy: !!args.dummy,
      force: !!args.force,
      inputBytes: input.bytes,
      peek: input.peek,
      onProgress: progress ? (w, t) => progress.update(w, t) : undefined,
    });
    progress?.done();
    if (result.notClosed) writeAll(2, Buffer.from(`${TOOL}: warning: ${result.notClosed}\n`));
    if (result.ignoredSectors) writeAll(2, Buffer.from(`${TOOL}: warning: ignored ${result.ignoredSectors} non-zero sectors after the image's volume end\n`));
    if (result.unchanged) {
      // Said even without -v: the user should know that no session was added.
      writeAll(2, Buffer.from(`${TOOL}: nothing changed since the newest session (iso-merge --mirror): no session written, the medium is as it was\n`));
    } else if (verbose) {
      const what = result.dummy ? 'checked (dummy, nothing written)' : result.closed ? 'written and the medium closed' : 'written';
      writeAll(2, Buffer.from(`${TOOL}: session at LBA ${result.start}, ${result.sectors} sectors, ${what}; next writable address ${result.next}\n`));
    }
    if (args.json)
      process.stdout.write(
        JSON.stringify({
          start: result.start,
          sectors: result.sectors,
          next: result.next,
          state: result.closed ? 'closed' : 'appendable',
          dummy: result.dummy,
          input: result.kind,
          unchanged: result.unchanged,
        }) + '\n',
      );
    return 0;
  } finally {
    progress?.done();
  }
}

runTool(TOOL, main);
