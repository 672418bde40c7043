// libc functions Node does not expose (flock, fcntl, prctl) through koffi, the optional FFI
// dependency: loaded once, synchronously, on first use; null where koffi cannot load.
// (The drive transport loads koffi itself, asynchronously, with its own error.)
import { createRequire } from 'node:module';

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
  } catch {
    loaded = null;
  }
  return loaded;
}
