// cd-write on an optical drive (dev=/dev/srN, /dev/sgN, B,T,L): options, input, progress
// and messages around the burn engine (drive/burn.ts), blank= and --format (drive/erase.ts),
// and overwritable discs, which cd-write.ts writes as it writes image files (emulated
// multi-session) through the drive (drive/overwritable.ts). cd-write.ts hands over here
// when its medium is a drive.
import { closeSync, existsSync, read as fsRead, fstatSync, openSync, readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { promisify } from 'node:util';
import { BurnMmc } from '../drive/burn-mmc.js';
import { probeForBurn } from '../drive/burn-probe.js';
import { burnSession, fixDisc, type BurnProgress } from '../drive/burn.js';
import { openDrive, type Drive } from '../drive/drive.js';
import { blankDisc, formatDisc, type BlankKind } from '../drive/erase.js';
import { currentProfile, overwritableMedium, probeOverwritable } from '../drive/overwritable.js';
import type { EmulatedMedium } from '../media/emulated-medium.js';
import type { ProfileInfo } from '../drive/profiles.js';
import { preventAllowMediumRemoval, startStopUnit } from '../drive/write-commands.js';
import { IdleBackoff, isAgain, writeAll } from '../session/io.js';
import { UsageError, wantProgress } from './common.js';

const TOOL = 'cd-write';
const SECTOR = 2048;

export interface DriveWriteArgs {
  multi: boolean;
  dummy: boolean;
  fix: boolean;
  eject: boolean;
  json: boolean;
  verbose: boolean;
  speed?: string;
  /** --reserve-head: the reserved-head commit for a head-last stream on DVD+R/BD-R. */
  reserveHead?: boolean;
  /** FILE, or null for stdin. */
  source: string | null;
  /** blank=fast|all or --format before anything else; a session is written after it only with `writeAfter`. */
  erase?: { blank: BlankKind } | { format: true } | null;
  /** A session follows the erase (a FILE or '-' was named). */
  writeAfter?: boolean;
  /** --force: format a formatted disc again; on an overwritable disc, as on image files. */
  force?: boolean;
  /**
   * An overwritable disc (DVD+RW, DVD-RAM, formatted BD-RE): cd-write.ts writes the session
   * (or -fix rewrites the head) on this medium exactly as on an image file; `input` is the
   * session's descriptor. Returns the exit status.
   */
  overwritable?: (medium: EmulatedMedium, input: number | null) => number;
}

function speedOf(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = parseFloat(s);
  if (!(n > 0)) throw new UsageError(`speed= wants a positive number, not '${s}'`);
  return n;
}

const read = promisify(fsRead);

/**
 * The input in chunks of up to 1 MiB, read on libuv's thread pool so the event loop keeps
 * feeding the drive. One buffer, reused: each chunk is valid until the next is asked for
 * (the burn copies it into its fifo first). A descriptor someone made non-blocking (a pipe
 * shared with another process) is waited on, not failed.
 */
export async function* readInput(fd: number, fromStart: boolean, size = 1 << 20): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  const idle = new IdleBackoff();
  let position = fromStart ? 0 : null;
  for (;;) {
    let n: number;
    try {
      ({ bytesRead: n } = await read(fd, buf, 0, size, position));
    } catch (err) {
      if (!isAgain(err)) throw err;
      await new Promise((r) => setTimeout(r, idle.next()));
      continue;
    }
    idle.reset();
    if (n === 0) return;
    if (position !== null) position += n;
    yield buf.subarray(0, n);
  }
}

const mb = (b: number) => (b / 1e6).toFixed(1);
const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

class DriveProgress {
  private shown = false;

  update(p: BurnProgress): void {
    const rate = p.seconds > 0 ? p.written / p.seconds : 0;
    const eta = rate > 0 ? (p.total - p.written) / rate : 0;
    let text = `\r${TOOL}: ${mb(p.written)} of ${mb(p.total)} MB written, ${mb(rate)} MB/s, ETA ${clock(eta)}, fifo ${Math.round((100 * p.ringFill) / p.ringSize)}%`;
    if (p.driveBuffer !== null) text += `, drive buffer ${Math.round(100 * p.driveBuffer)}%`;
    writeAll(2, Buffer.from(text + '   '));
    this.shown = true;
  }

  done(): void {
    if (this.shown) writeAll(2, Buffer.from('\n'));
    this.shown = false;
  }
}

/** How the drive is opened: SG_IO, or an in-process model in tests. */
export type DriveOpener = (path: string, opts: { access: 'write' }) => ReturnType<typeof openDrive>;

export async function writeOnDrive(devicePath: string, a: DriveWriteArgs, open: DriveOpener = openDrive): Promise<number> {
  const speed = speedOf(a.speed);
  let progress: DriveProgress | null = null;
  const say = (line: string) => {
    progress?.done();
    writeAll(2, Buffer.from(`${TOOL}: ${line}\n`));
  };
  const log = a.verbose ? say : undefined;

  let inFd: number | null = null;
  const writes = !a.fix && (!a.erase || !!a.writeAfter);
  if (writes) {
    // isatty, not process.stdin.isTTY: creating process.stdin makes a pipe non-blocking.
    if (a.source === null && isatty(0)) throw new UsageError('no session on stdin: name an image file (iso-pack -o FILE) or pipe one in');
    if (a.source !== null) {
      try {
        inFd = openSync(a.source, 'r');
      } catch (err) {
        throw new Error(`cannot open ${a.source}: ${(err as Error).message}`);
      }
    }
  }
  // A device node that a rescan or tray event is recreating comes back within moments.
  for (let i = 0; i < 30 && !existsSync(devicePath); i++) await new Promise((r) => setTimeout(r, 100));
  const { drive, inquiry } = await open(devicePath, { access: 'write' });
  const mmc = new BurnMmc(drive.transport);
  log?.(`${devicePath}: ${[inquiry.vendor, inquiry.product, inquiry.revision].filter(Boolean).join(' ')}`);
  try {
    if (a.erase) {
      await erase(mmc, a, say, log);
      if (!a.writeAfter) {
        if (a.eject) await mmc.run('START STOP UNIT', startStopUnit(true), { timeoutMs: 60_000 });
        return 0;
      }
    }
    // Overwritable discs carry emulated multi-session: the image-file path, through the drive.
    const profile = await currentProfile(drive);
    if (profile?.kind === 'overwritable' && a.overwritable) {
      const status = await onOverwritable(drive, profile, mmc, a, inFd, log);
      if (a.eject) await mmc.run('START STOP UNIT', startStopUnit(true), { timeoutMs: 60_000 });
      return status;
    }
    if (a.fix) {
      const r = await fixDisc(mmc, { multi: a.multi, probe: probeForBurn, log });
      if (r.action === 'nothing') say(`nothing to fix: the disc is ${r.state}`);
      else if (a.verbose || !a.json) say(`open session closed; the disc is now ${r.state}`);
      if (a.json) process.stdout.write(JSON.stringify({ fix: r.action, state: r.state }) + '\n');
      if (a.eject) await mmc.run('START STOP UNIT', startStopUnit(true), { timeoutMs: 60_000 });
      return 0;
    }
    const fd = inFd ?? 0;
    const st = fstatSync(fd);
    const seekable = st.isFile();
    const peek = seekable
      ? (sector: number, count: number): Buffer | null => {
          const b = Buffer.alloc(count * SECTOR);
          return readSync(fd, b, 0, b.length, sector * SECTOR) === b.length ? b : null;
        }
      : undefined;
    const input = readInput(fd, seekable);
    progress = wantProgress(a.verbose) ? new DriveProgress() : null;
    try {
      const r = await burnSession(mmc, input, {
        multi: a.multi,
        dummy: a.dummy,
        speed,
        eject: a.eject,
        inputBytes: seekable ? st.size : null,
        peek,
        log,
        onProgress: progress ? (p) => progress?.update(p) : undefined,
        probe: probeForBurn,
        reserveHead: a.reserveHead,
      });
      progress?.done();
      if (r.ignoredSectors) say(`warning: ignored ${r.ignoredSectors} non-zero sectors after the image's volume end`);
      if (a.verbose) {
        const what = r.dummy ? 'test-written (-dummy), nothing recorded' : r.closed ? 'burned and the disc finalized' : 'burned, the disc stays appendable';
        say(
          `session at LBA ${r.start}, ${r.sectors} sectors${r.written > r.sectors ? ` (${r.written} blocks with padding)` : ''} on ${r.profile}, ${what}${r.next !== null ? `; next writable address ${r.next}` : ''}`,
        );
        if (r.head)
          say(
            `two-session commit: the real head as its own session at LBA ${r.head.start} (${r.head.blocks} blocks); the session at ${r.start} holds a placeholder head${r.reservation === 'ignored' ? ' (--reserve-head: the drive reserved nothing)' : r.reservation === 'not-for-profile' ? ` (--reserve-head: not on a ${r.profile})` : ''}`,
          );
        if (r.commit === 'reserved-head') say(`reserved-head commit: one session, the head written last into its reserved track at LBA ${r.start}`);
        const rate = r.seconds > 0 ? (r.written * SECTOR) / r.seconds : 0;
        const retries = Object.entries(r.retries)
          .map(([k, n]) => `${n}x ${k}`)
          .join(', ');
        say(
          `${mb(r.written * SECTOR)} MB in ${r.seconds.toFixed(1)} s (${mb(rate)} MB/s); fifo ${mb(r.ringSize)} MB, lowest fill ${r.ringLow === null ? '-' : `${mb(r.ringLow)} MB`}${retries ? `; retries: ${retries}` : ''}`,
        );
      }
      if (a.json)
        process.stdout.write(
          JSON.stringify({
            start: r.start,
            sectors: r.sectors,
            blocks: r.written,
            next: r.next,
            state: r.dummy ? 'unchanged' : r.closed ? 'closed' : 'appendable',
            dummy: r.dummy,
            input: r.commit && r.commit !== 'plain' ? 'head-last' : 'plain',
            commit: r.commit ?? 'plain',
            reservation: r.reservation ?? null,
            headSession: r.head ? { start: r.head.start, blocks: r.head.blocks } : null,
            profile: r.profile,
            device: devicePath,
            seconds: r.seconds,
            ringLowBytes: r.ringLow,
          }) + '\n',
        );
      return 0;
    } finally {
      progress?.done();
    }
  } finally {
    drive.close();
    if (inFd !== null) closeSync(inFd);
  }
}

/** blank=fast|all or --format, with progress on a terminal or with -v. */
async function erase(mmc: BurnMmc, a: DriveWriteArgs, say: (line: string) => void, log: ((line: string) => void) | undefined): Promise<void> {
  const show = wantProgress(a.verbose);
  let shown = false;
  const onProgress = show
    ? (fraction: number | null, seconds: number) => {
        writeAll(
          2,
          Buffer.from(
            `\r${TOOL}: ${'blank' in a.erase! ? 'blanking' : 'formatting'}: ${fraction === null ? '' : `${(100 * fraction).toFixed(0)}%, `}${clock(seconds)} so far   `,
          ),
        );
        shown = true;
      }
    : undefined;
  const end = () => {
    if (shown) writeAll(2, Buffer.from('\n'));
    shown = false;
  };
  try {
    if ('blank' in a.erase!) {
      const r = await blankDisc(mmc, a.erase.blank, { log, onProgress });
      end();
      if (a.verbose || !a.json) say(`the ${r.profile} is blank (blank=${a.erase.blank}, ${r.seconds.toFixed(0)} s)`);
      if (a.json && !a.writeAfter)
        process.stdout.write(JSON.stringify({ blank: a.erase.blank, profile: r.profile, state: 'blank', seconds: r.seconds }) + '\n');
    } else {
      const r = await formatDisc(mmc, { log, onProgress, force: a.force });
      end();
      if (r.action === 'nothing') say(`the ${r.profile} is formatted already: nothing done (--force formats it again)`);
      else if (a.verbose || !a.json)
        say(
          `the ${r.profile} is formatted (${r.seconds.toFixed(0)} s)${r.background ? '; the drive goes on formatting in the background and the disc can be written now' : ''}`,
        );
      if (a.json && !a.writeAfter)
        process.stdout.write(
          JSON.stringify({
            format: r.action,
            profile: r.profile,
            formatType: r.format?.formatType ?? null,
            blocks: r.format?.blocks ?? null,
            seconds: r.seconds,
          }) + '\n',
        );
    }
  } finally {
    end();
  }
}

/**
 * The session (or -fix) on an overwritable disc: the tray locked, the disc opened as an
 * emulated multi-session medium whose sectors go through this drive, then cd-write.ts's
 * own image-file code. The drive was opened O_EXCL: the one-writer guarantee.
 */
async function onOverwritable(
  drive: Drive,
  profile: ProfileInfo,
  mmc: BurnMmc,
  a: DriveWriteArgs,
  inFd: number | null,
  log: ((line: string) => void) | undefined,
): Promise<number> {
  const disc = await probeOverwritable(drive, profile);
  log?.(`${profile.name}, ${disc.sectors} sectors: emulated multi-session through the drive`);
  if (a.speed !== undefined) log?.('speed= is not set on overwritable media: the drive writes at its own speed');
  const lock = (prevent: boolean) => mmc.run('PREVENT ALLOW MEDIUM REMOVAL', preventAllowMediumRemoval(prevent)).catch(() => undefined);
  await lock(true);
  const medium = overwritableMedium(drive, disc, { write: !a.dummy || a.fix, force: a.force || a.fix, capacity: null }, false);
  try {
    return a.overwritable!(medium, a.fix ? null : (inFd ?? 0));
  } finally {
    medium.release();
    await lock(false);
  }
}
