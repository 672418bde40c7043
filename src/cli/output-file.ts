// iso-pack -o FILE: the image is written under a temporary name beside FILE and renamed
// over it only once complete, so an interrupted or failed run leaves FILE as it was (or
// absent). A signal (Ctrl-C, SIGTERM, SIGHUP, even SIGKILL) ends the process inside its
// synchronous packing loop, where no JavaScript handler can run, so the cleanup is left to
// a tiny detached shell that outlives us: it waits for the end of a pipe only we hold and
// then removes the temporary name, which no longer exists after a successful rename.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, lstatSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileError } from './common.js';

export interface OutputFile {
  fd: number;
  /** Makes the image visible under its name (a regular file); closes the descriptor. */
  commit(): void;
  /** Removes what was written (a regular file we created); closes the descriptor. */
  abandon(): void;
}

export function openOutputFile(path: string): OutputFile {
  let existing: import('node:fs').Stats | null = null;
  try {
    existing = lstatSync(path);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw fileError('cannot create', path, err);
  }
  if (existing && !existing.isFile()) {
    // A device, a FIFO, a symbolic link: written in place, as before.
    let fd: number;
    try {
      fd = openSync(path, 'w+');
    } catch (err) {
      throw fileError('cannot open', path, err);
    }
    if (fstatSync(fd).isDirectory()) throw new Error(`cannot create ${path}: is a directory (EISDIR)`);
    return { fd, commit: () => closeSync(fd), abandon: () => closeSync(fd) };
  }
  const temp = join(dirname(path), `.${basename(path)}.iso-pack-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx+', existing ? existing.mode & 0o7777 : 0o666);
  } catch (err) {
    throw fileError('cannot create', path, err);
  }
  const reaper = spawn('sh', ['-c', 'read _; rm -f -- "$1"', 'iso-pack-cleanup', temp], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  reaper.on('error', () => {}); // without sh only the in-process cleanup remains
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    fd,
    commit() {
      close();
      try {
        renameSync(temp, path);
      } catch (err) {
        unlinkSync(temp);
        throw fileError('cannot create', path, err);
      }
    },
    abandon() {
      close();
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    },
  };
}
