// One writer per medium (issue #11): cd-write holds an exclusive lock from reading the next
// writable address until its commit is on disk. Image files get flock(2) — the lock
// flock(1) and shell scripts take, so `flock backup.iso cmd` cooperates — through koffi
// (Node has no flock); where koffi cannot load, a `MEDIUM.lock` file created O_EXCL that
// holds "PID HOST". Block devices are opened O_EXCL by the caller, which the kernel
// enforces against mounts and other exclusive openers. Readers (cd-msinfo, iso-merge,
// cd-verify) take no lock: the commit order alone keeps them from seeing a half-committed
// session.
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { libc } from '../session/libc.js';

/** The medium is held by another writer (and --wait, if any, ran out). */
export class MediumBusyError extends Error {
  override name = 'MediumBusyError';
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EWOULDBLOCK = 11;
const EINTR = 4;

type Flock = { call: (fd: number, op: number) => number; errno: () => number; prctl: ((...a: number[]) => number) | null };
let flockImpl: Flock | null | undefined;

/** libc's flock through koffi, or null when koffi (an optional dependency) cannot load. */
function libcFlock(): Flock | null {
  if (flockImpl !== undefined) return flockImpl;
  flockImpl = null;
  if (process.env.ISOPIPE_NO_FLOCK) return null; // tests of the fallback
  const c = libc();
  if (!c) return null;
  try {
    let prctl: Flock['prctl'] = null;
    try {
      if (process.platform === 'linux') prctl = c.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
    } catch {
      prctl = null;
    }
    flockImpl = { call: c.func('int flock(int fd, int op)'), errno: () => c.errno(), prctl };
  } catch {
    flockImpl = null;
  }
  return flockImpl;
}

/**
 * Asks the kernel to SIGKILL this process when its parent dies (Linux prctl
 * PR_SET_PDEATHSIG), so that cd-write's writer never outlives the process that cleans up
 * after it and keeps the medium locked. False where that is not available.
 */
export function dieWithParent(parentPid: number): boolean {
  const f = libcFlock();
  if (!f?.prctl) return false;
  const PR_SET_PDEATHSIG = 1;
  if (f.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0) !== 0) return false;
  if (process.ppid !== parentPid) process.kill(process.pid, 'SIGKILL'); // the parent died before the call
  return true;
}

/** Which mechanism guards image files here: for messages and the man page's claim. */
export function lockMechanism(): 'flock' | 'lock-file' {
  return libcFlock() ? 'flock' : 'lock-file';
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Who holds a flock on the file open as `fd`, from /proc/locks (Linux), or null.
 * Lines look like `1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`.
 */
export function flockHolder(fd: number): number | null {
  try {
    const st = fstatSync(fd);
    const text = readFileSync('/proc/locks', 'latin1');
    for (const line of text.split('\n')) {
      const m = /^\d+:\s+FLOCK\s+\S+\s+WRITE\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line);
      if (m && Number(m[2]) === st.ino && Number(m[1]) !== process.pid) return Number(m[1]);
    }
  } catch {
    // not Linux, or /proc not mounted: the holder stays unnamed
  }
  return null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockOptions {
  /** Seconds to wait for the holder to finish; 0 = fail at once. */
  waitSeconds: number;
}

/** A held lock; release() is idempotent. */
export interface MediumLock {
  readonly mechanism: 'flock' | 'lock-file';
  release(): void;
}

function retrying<T>(name: string, opts: LockOptions, attempt: () => T | null, busy: () => string): T {
  const deadline = Date.now() + opts.waitSeconds * 1000;
  let pause = 20;
  for (;;) {
    const got = attempt();
    if (got !== null) return got;
    if (Date.now() >= deadline) {
      const waited = opts.waitSeconds > 0 ? ` after waiting ${opts.waitSeconds} s` : '';
      throw new MediumBusyError(`${name} is in use by another writer${busy()}${waited}; nothing written (--wait SECONDS to wait for it)`);
    }
    sleepMs(Math.min(pause, Math.max(1, deadline - Date.now())));
    pause = Math.min(pause * 2, 250);
  }
}

/**
 * Takes the exclusive lock on the image file open as `fd` (path `name`). Throws
 * MediumBusyError when another writer holds it past the wait.
 */
export function lockImageFile(name: string, fd: number, opts: LockOptions): MediumLock {
  const flock = libcFlock();
  if (flock) {
    retrying(
      name,
      opts,
      () => {
        for (;;) {
          if (flock.call(fd, LOCK_EX | LOCK_NB) === 0) return true;
          const e = flock.errno();
          if (e === EINTR) continue;
          if (e === EWOULDBLOCK) return null;
          throw new Error(`cannot lock ${name}: flock failed (errno ${e})`);
        }
      },
      () => {
        const pid = flockHolder(fd);
        return pid !== null ? ` (pid ${pid})` : '';
      },
    );
    let held = true;
    return {
      mechanism: 'flock',
      release() {
        // Closing the descriptor releases it too; this is for callers that keep it open.
        if (held) flock.call(fd, LOCK_UN);
        held = false;
      },
    };
  }
  return lockFile(name, opts);
}

/** The fallback: `NAME.lock`, created O_EXCL, holding "PID HOST"; stale when that pid is gone. */
function lockFile(name: string, opts: LockOptions): MediumLock {
  const lockPath = `${name}.lock`;
  const host = hostname();
  const me = `${process.pid} ${host}\n`;
  let holder = '';
  retrying(
    name,
    opts,
    () => {
      // Twice at most: once more right after removing a stale lock file.
      for (let tries = 0; tries < 2; tries++) {
        try {
          const fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
          writeSync(fd, me);
          closeSync(fd);
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the lock file ${lockPath}: ${(err as Error).message}`);
        }
        let text = '';
        try {
          text = readFileSync(lockPath, 'latin1');
        } catch {
          continue; // removed between our open and read: try again
        }
        const m = /^(\d+) (\S+)\n?$/.exec(text);
        holder = m ? (m[2] === host ? ` (pid ${m[1]})` : ` (pid ${m[1]} on ${m[2]})`) : ` (${lockPath})`;
        // Stale: a holder on this host that is gone. A half-written file (no pid yet) is only
        // stale once it is older than a few seconds.
        const stale = m ? m[2] === host && !pidAlive(Number(m[1])) : Date.now() - safeMtime(lockPath) > 5000;
        if (!stale) return null;
        try {
          unlinkSync(lockPath);
        } catch {
          // another writer removed it first
        }
      }
      return null;
    },
    () => holder,
  );
  let held = true;
  return {
    mechanism: 'lock-file',
    release() {
      if (!held) return;
      held = false;
      try {
        if (readFileSync(lockPath, 'latin1') === me) unlinkSync(lockPath);
      } catch {
        // gone already
      }
    },
  };
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

/**
 * Opens a block device O_EXCL, retrying while it is busy (EBUSY) until the wait runs out.
 * The kernel names no holder.
 */
export function openBlockDeviceExclusive(name: string, opts: LockOptions): number {
  return retrying(
    name,
    opts,
    () => {
      try {
        return openSync(name, constants.O_RDWR | constants.O_EXCL);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EBUSY') return null;
        throw err;
      }
    },
    () => ' or mounted',
  );
}
