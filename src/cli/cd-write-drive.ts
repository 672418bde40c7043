// cd-write on an optical drive (dev=/dev/srN, /dev/sgN, B,T,L): options, input, progress
// and messages around the burn engine (drive/burn.ts). cd-write.ts hands over here when
// its medium is a drive.
import { closeSync, existsSync, read as fsRead, fstatSync, openSync, readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { promisify } from 'node:util';
import { isOpticalDrive, parseCdrecordAddress, resolveCdrecordAddress, sysfsEntryOf } from '../drive/address.js';
import { BurnMmc } from '../drive/burn-mmc.js';
import { probeForBurn } from '../drive/burn-probe.js';
import { burnSession, fixDisc, type BurnProgress } from '../drive/burn.js';
import { openDrive } from '../drive/drive.js';
import { startStopUnit } from '../drive/write-commands.js';
import { writeAll } from '../session/io.js';
import { UsageError, wantProgress } from './common.js';

const TOOL = 'cd-write';
const SECTOR = 2048;

/** The drive a cdrecord bus address (`1,0`, `ATA:1,0,0`) names, or null for any other name. */
export function driveAtAddress(given: string): string | null {
  return parseCdrecordAddress(given) ? resolveCdrecordAddress(given) : null;
}

/** The drive a medium path names, or null when it is an image file or another device. */
export function drivePathOf(path: string): string | null {
  if (parseCdrecordAddress(path)) return resolveCdrecordAddress(path);
  // By name first: a node being recreated (a rescan, a tray event) must not send a drive
  // down the block-device path, which would open it plainly and fail with EROFS.
  // A writer named by /dev/sgN burns through its /dev/srN, whose O_EXCL open the kernel
  // refuses while a session of the disc is mounted.
  if (/^\/dev\/sg[0-9]+$/.test(path)) return sysfsEntryOf(path)?.block ?? path;
  if (/^\/dev\/(sr|scd)[0-9]+$/.test(path)) return path;
  return isOpticalDrive(path) ? path : null;
}

export interface DriveWriteArgs {
  multi: boolean;
  dummy: boolean;
  fix: boolean;
  eject: boolean;
  json: boolean;
  verbose: boolean;
  speed?: string;
  /** FILE, or null for stdin. */
  source: string | null;
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
  let position = fromStart ? 0 : null;
  for (;;) {
    let n: number;
    try {
      ({ bytesRead: n } = await read(fd, buf, 0, size, position));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
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

export async function writeOnDrive(devicePath: string, a: DriveWriteArgs): Promise<number> {
  const speed = speedOf(a.speed);
  let progress: DriveProgress | null = null;
  const say = (line: string) => {
    progress?.done();
    writeAll(2, Buffer.from(`${TOOL}: ${line}\n`));
  };
  const log = a.verbose ? say : undefined;

  let inFd: number | null = null;
  if (!a.fix) {
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
  const { drive, inquiry } = await openDrive(devicePath, { access: 'write' });
  const mmc = new BurnMmc(drive.transport);
  log?.(`${devicePath}: ${[inquiry.vendor, inquiry.product, inquiry.revision].filter(Boolean).join(' ')}`);
  try {
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
            `two-session commit: the real head as its own session at LBA ${r.head.start} (${r.head.blocks} blocks); the session at ${r.start} holds a placeholder head`,
          );
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
            input: r.commit === 'two-session' ? 'head-last' : 'plain',
            commit: r.commit ?? 'plain',
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
