// Issue 15 on the emulated recorder (../shared/tools/drive-oracle/): iso-pack's head-last
// stream piped straight into cd-write on cdr74, dvd+r and bdr, burned by the two-session
// commit — one VM run of drive-stream-guest.sh per medium: three pipeline sessions judged by
// the kernel (every session mounted), xorriso and cd-verify; streams cut at two offsets and a
// pipeline killed with SIGKILL, after which the newest session still shows the previous tree
// and the next append works. The command trace shows what each burn sent.
// Tier 2: boots qemu. Skips without the oracle outside CI, fails without it in CI.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyChecks, driveOracleHere, runDriveOracle, tracePhases } from '../helpers/drive-oracle.js';

const GUEST = new URL('./drive-stream-guest.sh', import.meta.url).pathname;
const MEDIA = (process.env.ISOPIPE_STREAM_MEDIA ?? 'cdr74,dvd+r,bdr').split(',');

if (driveOracleHere(t)) {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-drive-stream-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  for (const media of MEDIA) {
    t.test(`${media}: three streamed sessions, cut streams, a killed pipeline, the next append`, { timeout: 1_500_000 }, async (t) => {
      const out = join(work, media);
      const r = runDriveOracle(t, {
        disc: ['--media', media],
        out,
        script: GUEST,
        timeoutMs: 1_400_000,
        env: { DRIVE_ORACLE_TIMEOUT: '1300', DRIVE_ORACLE_MEM: '1536' },
      });
      if (r === null) return;
      const marks = applyChecks(t, r.stdout);
      t.ok([...marks.values()].includes('end'), 'the guest script ran to its end');
      const p = tracePhases(out, marks);
      for (const k of [1, 2, 3]) {
        const cmds = p.get(`burn-${k}`) ?? [];
        const writes = cmds.filter((c) => c.name.startsWith('WRITE'));
        t.ok(writes.length > 0 && writes.every((w) => w.status === '0'), `burn ${k}: every WRITE GOOD`);
        // Two sessions closed: CLOSE SESSION function 010b twice.
        const sessionCloses = cmds.filter((c) => c.name.startsWith('CLOSE') && (parseInt(c.cdb.split(' ')[2], 16) & 7) === 2);
        t.equal(sessionCloses.length, 2, `burn ${k}: two CLOSE SESSION (data session, head session)`);
        t.ok(cmds.some((c) => c.name.startsWith('READ(10)') || c.cdb.startsWith('28')) || k === 1, `burn ${k}: the newest head read back for the placeholder`);
      }
    });
  }
}
