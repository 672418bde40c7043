// cd-write: writes one session — iso-pack's head-last stream or a plain ISO image — to an
// image file or block device at its next writable address, and commits it (DESIGN §4–5).
import minimist from 'minimist';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MEDIA_SECTORS } from '../media/capacity.js';
import { capacityOption } from './capacity-option.js';
import { DevicePathError, normaliseCdrecordArgv, resolveDevicePath } from '../media/device-path.js';
import { EmulatedMedium } from '../media/emulated-medium.js';
import { writeSession } from '../media/write-session.js';
import { readChunks, writeAll } from '../session/io.js';
import { answeredHelpOrVersion, checkKnownOptions, lastValue, packageVersion, runTool, UsageError, wantProgress } from './common.js';
import { SECTOR } from '../iso9660/constants.js';

const TOOL = 'cd-write';

const HELP = `Usage: cd-write [OPTIONS] [--dev PATH | dev=PATH] [FILE | -]
Write one session to an image file or block device at its next writable address and
commit it. The session comes from FILE or stdin: iso-pack's head-last stream, or any
plain ISO 9660 image laid out for that address (genisoimage/xorriso -C, iso-pack -o).

  tar c dir | iso-pack --prev $(cd-msinfo) | cd-write --multi

  --dev PATH, dev=PATH   the medium (else CDR_DEVICE); a missing file is a blank medium
  --multi, -multi        keep the medium appendable; without it the medium is closed
  --dummy, -dummy        do every check and read the whole session, write nothing
  --capacity N|SIZE      refuse a session that does not fit N sectors (or 700M, 4.7GB…)
  --media NAME           capacity of ${Object.keys(MEDIA_SECTORS).join(', ')}
  --force                write over something that is not an ISO image (a partition table,
                         another file system), or append to a closed medium
  --json                 report the session written as one JSON object on stdout
  -v, --verbose          progress and a summary on stderr (progress also on a terminal)
  speed=N, -data, -tao, -sao   accepted for cdrecord habits; no effect on files
  --help, --version

Nothing becomes visible until the session is complete: a cut stream, a bad checksum, a
full disk or a crash leaves the previous sessions as they were.`;

const STRING_OPTS = ['dev', 'capacity', 'media', 'speed'];
const BOOL_OPTS = ['multi', 'dummy', 'force', 'json', 'v', 'verbose', 'data', 'tao', 'sao', 'help', 'version'];
const LONG = ['multi', 'dummy', 'force', 'json', 'verbose', 'data', 'tao', 'sao', 'dev', 'capacity', 'media', 'speed', 'help', 'version'];



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
    if (this.shown) writeAll(2, Buffer.from("\n"));
    this.shown = false;
  }
}

async function main(): Promise<number> {
  const args = minimist(normaliseCdrecordArgv(process.argv.slice(2), ['dev', 'speed'], LONG), {
    string: STRING_OPTS,
    boolean: BOOL_OPTS,
  });
  if (answeredHelpOrVersion(TOOL, HELP, args)) return 0;
  checkKnownOptions(args, [...STRING_OPTS, ...BOOL_OPTS]);
  const speed = lastValue(args.speed, 'speed');
  if (speed !== undefined && !/^[0-9]+(\.[0-9]+)?x?$/i.test(speed)) throw new UsageError(`speed= wants a number, not '${speed}'`);
  if (args._.length > 1) throw new UsageError(`one session at a time: unexpected argument '${args._[1]}'`);
  const capacity = capacityOption(args);
  let path: string;
  try {
    path = resolveDevicePath(lastValue(args.dev, 'dev'), process.env);
  } catch (err) {
    if (err instanceof DevicePathError) throw new UsageError(err.message);
    throw err;
  }
  const verbose = !!(args.v || args.verbose);

  // The session's source: a file argument or stdin.
  const source = args._.length && String(args._[0]) !== '-' ? String(args._[0]) : null;
  let inFd = 0;
  if (source !== null) {
    try {
      inFd = openSync(source, 'r');
    } catch (err) {
      throw new Error(`cannot open ${source}: ${(err as Error).message}`);
    }
  } else if (process.stdin.isTTY) {
    throw new UsageError('no session on stdin: pipe iso-pack into cd-write or name an image file');
  }
  const st = fstatSync(inFd);
  const seekable = st.isFile();
  const peek = seekable
    ? (sector: number, count: number): Buffer | null => {
        const b = Buffer.alloc(count * SECTOR);
        const n = readSync(inFd, b, 0, b.length, sector * SECTOR);
        return n === b.length ? b : null;
      }
    : undefined;

  const medium = EmulatedMedium.open(path, { write: !args.dummy, capacity, force: !!args.force, onPhase: testKillHook() });
  const progress = wantProgress(verbose) ? new Progress() : null;
  if (verbose) for (const w of medium.status().warnings) writeAll(2, Buffer.from(`${TOOL}: warning: ${w}\n`));
  try {
    const result = writeSession(medium, readChunks(inFd), {
      multi: !!args.multi,
      dummy: !!args.dummy,
      force: !!args.force,
      inputBytes: seekable ? st.size : null,
      peek,
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
      process.stdout.write(JSON.stringify({ start: result.start, sectors: result.sectors, next: result.next, state: result.closed ? 'closed' : 'appendable', dummy: result.dummy, input: result.kind, unchanged: result.unchanged }) + '\n');
    return 0;
  } finally {
    progress?.done();
    medium.release();
    if (source !== null) closeSync(inFd);
  }
}

runTool(TOOL, main);
