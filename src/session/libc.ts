// Native functions Node does not expose (flock, fcntl, prctl from libc; libdeflate's CRC-32)
// through koffi, the optional FFI dependency: loaded once, synchronously, on first use; null
// where koffi or the library cannot load. (The drive transport loads koffi itself,
// asynchronously, with its own error.)
import { closeSync, fstatSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

/** A shared library loaded through koffi. */
export interface NativeLibrary {
  /** A function from its C declaration; throws if the library lacks it. */
  func(declaration: string): (...args: unknown[]) => number;
}

export interface Libc extends NativeLibrary {
  /** errno after the last call. */
  errno(): number;
}

interface Koffi {
  load(lib: string): NativeLibrary;
  errno(): number;
}

let koffi: Koffi | null | undefined;

function loadKoffi(): Koffi | null {
  if (koffi !== undefined) return koffi;
  try {
    // A variable specifier keeps tsc from needing koffi's types: it is optional.
    const name = 'koffi';
    koffi = createRequire(import.meta.url)(name) as Koffi;
  } catch {
    koffi = null;
  }
  return koffi;
}

const LIBC_NAME = process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6';
let loaded: Libc | null | undefined;

export function libc(): Libc | null {
  if (loaded !== undefined) return loaded;
  const k = loadKoffi();
  if (!k) return (loaded = null);
  try {
    const lib = k.load(LIBC_NAME);
    loaded = { func: (declaration) => lib.func(declaration), errno: () => k.errno() };
    noSyncAtExit(lib.func('int dup2(int, int)'));
  } catch {
    loaded = null;
  }
  return loaded;
}

/** A shared library other than libc (its file name, e.g. 'libdeflate.so.0'); null where
 *  koffi or the library is missing. */
export function nativeLibrary(file: string): NativeLibrary | null {
  // koffi's exit guard comes with libc; without libc, nothing else is loaded either.
  if (!libc()) return null;
  try {
    return loadKoffi()!.load(file);
  } catch {
    return null;
  }
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
