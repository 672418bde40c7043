// The Linux kernel (through the kernel oracle) reads the union an overlay session makes:
// session 1 of tree A, then iso-merge's overlay of tree B; every entry with its md5.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendSession, hostListing, kernelComparable, kernelListing } from '../helpers/merge.js';
import { overlayTrees } from '../helpers/overlay.js';
import { tarOf } from '../helpers/run.js';
import { KERNEL_ORACLE, needs } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-overlay-kernel-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test('session 1, then session 2 as an overlay: the kernel shows the union', async (t) => {
  if (!needs(t, KERNEL_ORACLE)) return;
  const { A, B, union } = overlayTrees(work);
  const medium = join(work, 'm.iso');
  t.equal(appendSession(tarOf(A), medium).status, 0);
  const r = appendSession(tarOf(B), medium);
  t.equal(r.status, 0, r.stderr);
  const k = kernelListing(medium);
  t.equal(k.status, 0, k.stderr);
  t.strictSame(kernelComparable(k.lines), kernelComparable(hostListing(union())), 'kernel: the union, md5 of every file');
});
