// Tier 2 (boots the kernel oracle): after `cd-write -fix` of a torn medium head, the Linux
// kernel reads every session (mount -o sbsector=START) and the newest one by default.
import t from 'tap';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKernel } from '../helpers/readers.js';
import { withReader } from '../helpers/skip.js';

const BIN = new URL('../../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-fix-kernel-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000' };
const SECTOR = 2048;

function run(cmd: string, args: string[], input?: Buffer): SpawnSyncReturns<Buffer> {
  return spawnSync(cmd, args, { input, env: ENV, cwd: work, maxBuffer: 1 << 30 });
}
const node = (tool: string, args: string[], input?: Buffer) => run(process.execPath, [join(BIN, `${tool}.js`), ...args], input);

function append(img: string, name: string): void {
  const dir = join(work, 'src', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.txt`), `${name}\n`);
  const tar = run('tar', ['-C', join(work, 'src'), '-cf', '-', name]).stdout;
  const prev = node('cd-msinfo', ['--dev', img]).stdout.toString().trim();
  const r = node('cd-write', ['--dev', img, '--multi'], node('iso-pack', ['--prev', prev], tar).stdout);
  if (r.status !== 0) throw new Error(r.stderr.toString());
}

t.test('torn head fixed: the kernel lists every session', async (t) => {
  await withReader(t, 'kernel', () => {
    const img = join(work, 'm.iso');
    t.equal(node('cd-write', ['--dev', img, '--create', '--blank']).status, 0);
    append(img, 's1');
    append(img, 's2');
    const h2 = readFileSync(img).subarray(0, 32 * SECTOR);
    append(img, 's3');
    const b = readFileSync(img);
    h2.copy(b, 16 * SECTOR, 16 * SECTOR, 17 * SECTOR); // old PVD, new rest
    writeFileSync(img, b);
    t.equal(node('cd-msinfo', ['--dev', img]).status, 1, 'torn head found');
    t.equal(node('cd-write', ['--dev', img, '-fix']).status, 0);
    const sessions = JSON.parse(node('cd-msinfo', ['--dev', img, '--json']).stdout.toString()).sessions as { start: number }[];
    t.same(
      sessions.map((s) => s.start),
      [32, 96, 160],
    );
    for (const [i, s] of sessions.entries()) {
      const k = readKernel(img, `sbsector=${s.start}`, false);
      t.ok(
        k.entries.some((e) => e.path === `/s${i + 1}/s${i + 1}.txt`),
        `kernel reads session ${i + 1} at ${s.start}`,
      );
    }
    const newest = readKernel(img, '', false);
    t.ok(
      newest.entries.some((e) => e.path === '/s3/s3.txt'),
      'and the newest by default',
    );
    append(img, 's4');
    t.ok(
      readKernel(img, '', false).entries.some((e) => e.path === '/s4/s4.txt'),
      'the next append works',
    );
  });
});
