// Source trees for the multi-session cd-write tests (test/cd-write.test.ts, and the kernel's
// view of the same sessions in test/interop/cd-write-kernel.test.ts).
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Tree `s<i>` under `<work>/src<i>` (returned) with Rock Ridge-only features: case, long
 *  names, modes, symlinks. */
export function makeSessionTree(work: string, i: number): string {
  const parent = join(work, `src${i}`);
  const d = join(parent, `s${i}`);
  mkdirSync(join(d, 'Sub Dir'), { recursive: true });
  writeFileSync(join(d, `MixedCase.Name-${i}.txt`), `session ${i}\n`);
  writeFileSync(join(d, 'Sub Dir', 'a long name with spaces, longer than thirty-one characters.txt'), Buffer.alloc(5000 * i, 0x41 + i));
  writeFileSync(join(d, 'script.sh'), '#!/bin/sh\n');
  chmodSync(join(d, 'script.sh'), 0o751);
  chmodSync(join(d, 'Sub Dir'), 0o750);
  symlinkSync(`../MixedCase.Name-${i}.txt`, join(d, 'Sub Dir', 'link'));
  return parent;
}
