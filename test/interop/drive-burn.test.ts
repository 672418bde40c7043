// cd-write on the emulated recorder (../shared/tools/drive-oracle/), judged by xorriso,
// wodim, cdrskin and the kernel: per medium (cdr74, dvd+r, bdr) one VM run of
// drive-burn-guest.sh — a cdrskin session, three sessions `tar | iso-merge | iso-pack --prev
// NEXT -o FILE; cd-write --multi FILE`, a closing session, refusals — and the command trace
// it leaves: no WRITE(10) in any refusal. A pressed (ROM) disc is refused too.
// Tier 2: boots qemu. Skips without the oracle outside CI, fails without it in CI.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyChecks, driveOracleHere, type OracleAssertions, ROOT, runDriveOracle, tracePhases } from '../helpers/drive-oracle.js';

const GUEST = new URL('./drive-burn-guest.sh', import.meta.url).pathname;

if (driveOracleHere(t)) {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-drive-burn-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const oracle = (t: OracleAssertions, disc: string[], script: string, out: string) =>
    runDriveOracle(t, { disc, out, script, timeoutMs: 900_000, env: { DRIVE_ORACLE_TIMEOUT: '800' } });

  for (const media of ['cdr74', 'dvd+r', 'bdr']) {
    t.test(`${media}: cdrskin session, three --multi sessions, a closing one, refusals`, { timeout: 900_000 }, async (t) => {
      const out = join(work, media);
      const r = oracle(t, ['--media', media], GUEST, out);
      if (r === null) return;
      const marks = applyChecks(t, r.stdout);
      t.ok(marks.size >= 10, 'the guest script ran to its end');
      const p = tracePhases(out, marks);
      for (const refusal of ['refuse-stale', 'refuse-too-big', 'refuse-closed', 'refuse-no-disc']) {
        const cmds = p.get(refusal);
        t.ok(cmds, `${refusal} phase traced`);
        t.notOk(
          cmds?.some((c) => c.name.startsWith('WRITE')),
          `${refusal}: no WRITE reached the drive`,
        );
        t.notOk(
          cmds?.some((c) => /MODE SELECT|CLOSE|SYNCHRONIZE/.test(c.name)),
          `${refusal}: no MODE SELECT, SYNC or CLOSE either`,
        );
      }
      for (const k of [1, 2, 3]) {
        const cmds = p.get(`burn-${k}`) ?? [];
        const writes = cmds.filter((c) => c.name.startsWith('WRITE'));
        t.ok(writes.length > 0, `burn ${k}: WRITEs`);
        t.ok(
          writes.every((w) => w.status === '0'),
          `burn ${k}: every WRITE GOOD`,
        );
        const closes = cmds.filter((c) => c.name.startsWith('CLOSE'));
        t.ok(closes.length >= 1 && closes.every((c) => c.status === '0'), `burn ${k}: closed with GOOD`);
      }
      // Keep the command sequence of our burn next to cdrskin's for docs/drive-burn.md.
      if (process.env.ISOPIPE_SAVE_DRIVE_TRACES) {
        for (const phase of ['cdrskin', 'burn-2'])
          writeFileSync(
            join(process.env.ISOPIPE_SAVE_DRIVE_TRACES, `${media}-${phase}.txt`),
            (p.get(phase) ?? []).map((c) => `${c.cdb}\t${c.name}\t${c.status}`).join('\n') + '\n',
          );
      }
    });
  }

  t.test('a pressed (ROM) disc is refused before any WRITE', { timeout: 300_000 }, async (t) => {
    const iso = join(work, 'rom.iso');
    const r0 = spawnSync(process.execPath, [join(ROOT, 'bin/iso-pack.js'), '-o', iso], {
      input: spawnSync('tar', ['-C', join(ROOT, 'src'), '-cf', '-', 'drive']).stdout,
    });
    t.equal(r0.status, 0, r0.stderr?.toString());
    const script = join(work, 'rom.sh');
    writeFileSync(script, `#!/bin/bash\nnode bin/cd-write.js --multi dev=$DRIVE ${iso}; echo "rc=$?"\n`);
    const out = join(work, 'rom');
    const r = oracle(t, ['--disc', iso], script, out);
    if (r === null) return;
    t.match(r.stdout, /rc=1/);
    t.match(r.stderr, /cd-write: the disc in \/dev\/sr0 is a (CD|DVD)-ROM \(read-only\)/);
    const trace = readFileSync(join(out, 'cdb-trace.txt'), 'utf8');
    t.notMatch(trace, /WRITE/, 'no WRITE(10)');
  });
}
