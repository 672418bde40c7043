// Issue 15, the reserved-head commit on the emulated recorder (../shared/tools/drive-oracle/):
// cdemu answers RESERVE TRACK with GOOD and reserves nothing, so this proves the other half —
// the ignored reservation is found before any WRITE and the stream burned by the two-session
// commit, readable by the kernel, with cd-msinfo agreeing with xorriso. One short VM run on
// dvd+r (drive-reserve-guest.sh); the reserved path itself is the recorder model's
// (test/drive-reserve.test.ts). Tier 2: skips without the oracle outside CI, fails in CI.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyChecks, driveOracleHere, runDriveOracle, tracePhases } from '../helpers/drive-oracle.js';

const GUEST = new URL('./drive-reserve-guest.sh', import.meta.url).pathname;

if (driveOracleHere(t)) {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-drive-reserve-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  t.test('dvd+r: --reserve-head on a drive that ignores RESERVE TRACK falls back to the two-session commit', { timeout: 1_200_000 }, async (t) => {
    const out = join(work, 'dvd+r');
    const r = runDriveOracle(t, { disc: ['--media', 'dvd+r'], out, script: GUEST, timeoutMs: 1_100_000, env: { DRIVE_ORACLE_TIMEOUT: '1000' } });
    if (r === null) return;
    const marks = applyChecks(t, r.stdout);
    t.ok([...marks.values()].includes('end'), 'the guest script ran to its end');
    const byPhase = tracePhases(out, marks);
    for (const k of [1, 2]) {
      const cmds = byPhase.get(`burn-${k}`) ?? [];
      const ops = cmds.map((c) => parseInt(c.cdb.slice(0, 2), 16));
      const reserve = ops.indexOf(0x53);
      const firstWrite = ops.indexOf(0x2a);
      t.ok(reserve >= 0 && cmds[reserve].status === '0', `burn ${k}: RESERVE TRACK sent, answered GOOD`);
      t.ok(firstWrite > reserve && ops.slice(reserve, firstWrite).includes(0x52), `burn ${k}: READ TRACK INFORMATION after it, before the first WRITE`);
      t.equal(ops.filter((o) => o === 0x53).length, 1, `burn ${k}: one reservation asked`);
    }
  });
}
