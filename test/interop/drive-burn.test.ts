// cd-write on the emulated recorder (../shared/tools/drive-oracle/), judged by xorriso,
// wodim, cdrskin and the kernel: per medium (cdr74, dvd+r, bdr) one VM run of
// drive-burn-guest.sh — a cdrskin session, three sessions `tar | iso-merge | iso-pack --prev
// NEXT -o FILE; cd-write --multi FILE`, a closing session, refusals — and the command trace
// it leaves: no WRITE(10) in any refusal. A pressed (ROM) disc is refused too.
// Tier 2: boots qemu. Skips without the oracle outside CI, fails without it in CI.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const ORACLE = process.env.DRIVE_ORACLE ?? new URL('../../../shared/tools/drive-oracle/drive-oracle.sh', import.meta.url).pathname;
const GUEST = new URL('./drive-burn-guest.sh', import.meta.url).pathname;
const IN_CI = process.env.CI === 'true';
const available = existsSync(ORACLE) && process.platform === 'linux' && existsSync(join(ROOT, 'dist/cli/cd-write.js'));

if (!available) {
  if (IN_CI) t.fail(`drive oracle missing at ${ORACLE} (CI=true: it must be set up)`);
  else t.pass('drive oracle not here', { skip: `no drive oracle at ${ORACLE} (or dist/ not built)` });
} else {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-drive-burn-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  const runOracle = (media: string[], script: string, out: string) =>
    spawnSync(ORACLE, [...media, '--out', out, script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 900_000,
      env: { ...process.env, DRIVE_ORACLE_NO_SETUP: IN_CI ? '0' : '1', DRIVE_ORACLE_TIMEOUT: '800' },
    });

  interface TraceLine {
    cdb: string;
    name: string;
    status: string;
  }
  /** The trace split at the guest's INQUIRY markers (allocation length 0x40+N). */
  function phases(out: string, marks: Map<number, string>): Map<string, TraceLine[]> {
    const lines = readFileSync(join(out, 'cdb-trace.txt'), 'utf8').split('\n').filter(Boolean);
    const byPhase = new Map<string, TraceLine[]>([['start', []]]);
    let current = 'start';
    for (const l of lines) {
      const [cdb, name, status] = l.split('\t');
      const b = cdb.split(' ').map((x) => parseInt(x, 16));
      if (b[0] === 0x12 && b[4] > 0x40 && marks.has(b[4] - 0x40)) {
        current = marks.get(b[4] - 0x40)!;
        byPhase.set(current, []);
        continue;
      }
      byPhase.get(current)!.push({ cdb, name, status });
    }
    return byPhase;
  }

  for (const media of ['cdr74', 'dvd+r', 'bdr']) {
    t.test(`${media}: cdrskin session, three --multi sessions, a closing one, refusals`, { timeout: 900_000 }, async (t) => {
      const out = join(work, media);
      const r = runOracle(['--media', media], GUEST, out);
      t.equal(r.status, 0, `oracle run: ${r.stderr.slice(-2000)}`);
      const marks = new Map<number, string>();
      for (const line of r.stdout.split('\n')) {
        const m = /^MARK (\d+) (\S+)/.exec(line);
        if (m) marks.set(Number(m[1]), m[2]);
        const c = /^CHECK (\S+) (ok|FAIL) ?(.*)$/.exec(line);
        if (c) t.equal(c[2], 'ok', `${c[1]} ${c[3]}`);
        if (line.startsWith('INFO ')) t.comment(line);
      }
      t.ok(marks.size >= 10, 'the guest script ran to its end');
      const p = phases(out, marks);
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
    const r = runOracle(['--disc', iso], script, out);
    t.equal(r.status, 0, r.stderr.slice(-1500));
    t.match(r.stdout, /rc=1/);
    t.match(r.stderr, /cd-write: the disc in \/dev\/sr0 is a (CD|DVD)-ROM \(read-only\)/);
    const trace = readFileSync(join(out, 'cdb-trace.txt'), 'utf8');
    t.notMatch(trace, /WRITE/, 'no WRITE(10)');
  });
}
