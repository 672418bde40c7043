// Issue 15 on the emulated recorder (../shared/tools/drive-oracle/): iso-pack's head-last
// stream piped straight into cd-write on cdr74, dvd+r and bdr, burned by the two-session
// commit — one VM run of drive-stream-guest.sh per medium: three pipeline sessions judged by
// the kernel (every session mounted), xorriso and cd-verify; streams cut at two offsets and a
// pipeline killed with SIGKILL, after which the newest session still shows the previous tree
// and the next append works. The command trace shows what each burn sent.
// Tier 2: boots qemu. Skips without the oracle outside CI, fails without it in CI.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const ORACLE = process.env.DRIVE_ORACLE ?? new URL('../../../shared/tools/drive-oracle/drive-oracle.sh', import.meta.url).pathname;
const GUEST = new URL('./drive-stream-guest.sh', import.meta.url).pathname;
const IN_CI = process.env.CI === 'true';
const available = existsSync(ORACLE) && process.platform === 'linux' && existsSync(join(ROOT, 'dist/cli/cd-write.js'));
const MEDIA = (process.env.ISOPIPE_STREAM_MEDIA ?? 'cdr74,dvd+r,bdr').split(',');

if (!available) {
  if (IN_CI) t.fail(`drive oracle missing at ${ORACLE} (CI=true: it must be set up)`);
  else t.pass('drive oracle not here', { skip: `no drive oracle at ${ORACLE} (or dist/ not built)` });
} else {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-drive-stream-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  /** The trace split at the guest's INQUIRY markers (allocation length 0x40+N). */
  function phases(out: string, marks: Map<number, string>): Map<string, { name: string; status: string; cdb: string }[]> {
    const byPhase = new Map<string, { name: string; status: string; cdb: string }[]>([['start', []]]);
    let current = 'start';
    for (const l of readFileSync(join(out, 'cdb-trace.txt'), 'utf8').split('\n').filter(Boolean)) {
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

  for (const media of MEDIA) {
    t.test(`${media}: three streamed sessions, cut streams, a killed pipeline, the next append`, { timeout: 1_500_000 }, async (t) => {
      const out = join(work, media);
      const r = spawnSync(ORACLE, ['--media', media, '--out', out, GUEST], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 1_400_000,
        env: { ...process.env, DRIVE_ORACLE_NO_SETUP: IN_CI ? '0' : '1', DRIVE_ORACLE_TIMEOUT: '1300', DRIVE_ORACLE_MEM: '1536' },
      });
      t.equal(r.status, 0, `oracle run: ${r.stderr.slice(-2000)}`);
      const marks = new Map<number, string>();
      for (const line of r.stdout.split('\n')) {
        const m = /^MARK (\d+) (\S+)/.exec(line);
        if (m) marks.set(Number(m[1]), m[2]);
        const c = /^CHECK (\S+) (ok|FAIL) ?(.*)$/.exec(line);
        if (c) t.equal(c[2], 'ok', `${c[1]} ${c[3]}`);
        if (line.startsWith('INFO ')) t.comment(line);
      }
      t.ok([...marks.values()].includes('end'), 'the guest script ran to its end');
      const p = phases(out, marks);
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
