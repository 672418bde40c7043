// libc functions Node does not expose (flock, fcntl, prctl) through koffi, the optional FFI
// dependency: loaded once, synchronously, on first use; null where koffi cannot load.
// (The drive transport loads koffi itself, asynchronously, with its own error.)
import { closeSync, fstatSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

export interface Libc {
  /** A libc function from its C declaration; throws if libc lacks it. */
  func(declaration: string): (...args: unknown[]) => number;
  /** errno after the last call. */
  errno(): number;
}

let loaded: Libc | null | undefined;

export function libc(): Libc | null {
  if (loaded !== undefined) return loaded;
  try {
    // A variable specifier keeps tsc from needing koffi's types: it is optional.
    const name = 'koffi';
    const koffi = createRequire(import.meta.url)(name) as {
      load(lib: string): { func(declaration: string): (...args: unknown[]) => number };
      errno(): number;
    };
    const lib = koffi.load(process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6');
    loaded = { func: (declaration) => lib.func(declaration), errno: () => koffi.errno() };
    noSyncAtExit(lib.func('int dup2(int, int)'));
  } catch {
    loaded = null;
  }
  return loaded;
}

let exitGuarded = false;

/**
 * Once koffi is loaded, the process's exit() fsyncs descriptors 1 and 2 (strace -k shows
 * fsync called from koffi.node under exit). A regular file there is then written to disk
 * before the tool ends: 0.3 s of a 1 GiB `iso-pack > image` here, far longer on a slow
 * disk, and never asked for (neither cat nor mkisofs syncs). So at exit, past every write,
 * such a file on 1 or 2 gives way to /dev/null: what was written stays in the page cache,
 * as it would without koffi. Called wherever koffi is loaded; only in the main thread, as a
 * worker's 'exit' is not the process's.
 */
export function noSyncAtExit(dup2: (from: number, to: number) => number): void {
  if (exitGuarded || !isMainThread) return;
  exitGuarded = true;
  process.on('exit', () => {
    for (const fd of [1, 2]) {
      try {
        if (!fstatSync(fd).isFile()) continue;
        const nul = openSync('/dev/null', 'w');
        dup2(nul, fd);
        closeSync(nul);
      } catch {}
    }
  });
}
