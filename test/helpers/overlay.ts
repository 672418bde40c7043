// The two trees of iso-merge's overlay tests (test/merge-overlay.test.ts, and the kernel's
// view of their union in test/interop/merge-overlay-kernel.test.ts).
import { chmodSync, linkSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { untar } from './merge.js';
import { must, tarOf } from './run.js';

export const T0 = 1_650_000_000;
export const LONG = 'M'.repeat(140) + '.dat';

export function put(root: string, rel: string, data: string, mode = 0o644) {
  const p = join(root, rel);
  writeFileSync(p, data);
  chmodSync(p, mode);
  utimesSync(p, T0, T0);
}

/** Session 1's tree A and session 2's tar tree B under `work`, and `union()`: what
 *  extracting A then B gives, conflicts resolved as overlay resolves them. */
export function overlayTrees(work: string): { A: string; B: string; union: () => string } {
  // Session 1: the old tree.
  const A = join(work, 'A');
  mkdirSync(join(A, 'd'), { recursive: true });
  mkdirSync(join(A, 'q/deep'), { recursive: true });
  put(A, 'a', 'old a\n');
  put(A, 'd/x', 'x\n');
  put(A, 'd/y', 'y\n', 0o600);
  put(A, 'q/deep/z', 'z\n');
  put(A, 'r', 'r was a file\n');
  put(A, 'h1', 'linked\n');
  linkSync(join(A, 'h1'), join(A, 'h2'));
  put(A, LONG, 'long name, carried with its data\n');
  put(A, 'keep.log', 'log\n');
  symlinkSync('a', join(A, 's'));
  must('mkfifo', [join(A, 'fifo')]);
  must('mknod', [join(A, 'blk'), 'b', '8', '1']);

  // Session 2's tar: replaces a, h1, r (file → directory), q (directory → symlink), d's mode.
  const B = join(work, 'B');
  mkdirSync(join(B, 'd'), { recursive: true });
  mkdirSync(join(B, 'r'));
  put(B, 'a', 'new a, longer\n');
  put(B, 'h1', 'h1 alone now\n');
  put(B, 'd/z', 'new in d\n');
  put(B, 'r/in', 'r is a directory now\n');
  put(B, 'n', 'new\n');
  symlinkSync('d', join(B, 'q'));
  chmodSync(join(B, 'd'), 0o700);

  const union = () => {
    const E = join(work, 'E');
    rmSync(E, { recursive: true, force: true });
    untar(tarOf(A), E);
    for (const p of ['r', 'q', 'h1']) rmSync(join(E, p), { recursive: true });
    untar(tarOf(B), E);
    return E;
  };
  return { A, B, union };
}
