// The expected trees of the interop tests come from test/helpers/listing.ts (listDir), not
// from an outside tool; here it is held to the kernel oracle's own `--list-dir`, which it
// replaces, on the interop fixture (every file type, odd names and modes, devices).
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, buildMixedLinkFixture } from '../fixture/fixture.js';
import { formatEntry, listDir } from '../helpers/listing.js';
import { run } from '../helpers/run.js';
import { IN_CI, KERNEL_ORACLE, needs } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-listing-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

if (process.getuid?.() !== 0) {
  // Owners, setuid bits and device nodes need root to build.
  if (IN_CI) t.fail('the interop fixture needs root (CI runs as root)');
  else t.pass('the interop fixture needs root', { skip: 'not root' });
} else {
  for (const [name, build] of [
    ['fixture', buildFixture],
    ['mixed links', buildMixedLinkFixture],
  ] as const) {
    t.test(`listDir equals kernel-oracle --list-dir: ${name}`, async (t) => {
      if (!needs(t, KERNEL_ORACLE)) return;
      const dir = join(work, name.replace(/\W/g, ''));
      mkdirSync(dir);
      build(dir);
      const theirs = run(KERNEL_ORACLE, ['--list-dir', dir], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
      t.equal(theirs.status, 0, theirs.stderr);
      const ours = listDir(dir).map(formatEntry);
      t.same(
        ours,
        theirs.stdout
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
        `${ours.length} entries, line for line`,
      );
    });
  }
}
