// Installing as the README says: `npm pack` and `npm install -g` of its tarball, and
// `npm install -g .` from a fresh copy of the sources; every command runs and has its
// man page. Tier 2: it fetches the dependencies from the npm registry (about a minute).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_CI } from '../helpers/skip.js';

const REPO = new URL('../../', import.meta.url).pathname;
const TOOLS = ['iso-pack', 'iso-merge', 'cd-msinfo', 'cd-write', 'cd-verify'];
const work = mkdtempSync(join(tmpdir(), 'isopipe-install-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The sources as a clone has them: no dist/, no node_modules, nothing built. */
function freshCopy(name: string): string {
  const dir = join(work, name);
  cpSync(REPO, dir, {
    recursive: true,
    filter: (src) => !/\/(node_modules|dist|\.git|\.tap)(\/|$)/.test(src.slice(REPO.length - 1)),
  });
  return dir;
}

function checkInstalled(t: Tap.Test, prefix: string): void {
  for (const tool of TOOLS) {
    const r = run(join(prefix, 'bin', tool), ['--version'], work);
    t.equal(r.status, 0, `${tool} --version runs: ${r.out}`);
    t.match(r.out, new RegExp(`^${tool} \\(isopipe\\) \\d`));
    t.ok(existsSync(join(prefix, 'share', 'man', 'man1', `${tool}.1`)), `man page of ${tool} installed`);
  }
  if (run('sh', ['-c', 'command -v man'], work).status === 0) {
    const m = run('man', ['-M', join(prefix, 'share', 'man'), '-w', 'cd-write'], work);
    t.equal(m.status, 0, 'man finds cd-write');
  }
}

const registry = run('npm', ['view', 'minimist', 'version'], work);
if (registry.status !== 0 && !IN_CI) {
  t.skip(`the npm registry is not reachable: ${registry.out.split('\n')[0]}`);
} else {
  t.test("npm pack's tarball installs with npm install -g", async (t) => {
    // Packed from a copy so that prepack's rebuild of dist/ cannot disturb other tests.
    const src = freshCopy('pack');
    symlinkSync(join(REPO, 'node_modules'), join(src, 'node_modules'));
    const p = run('npm', ['pack', '--pack-destination', work], src);
    t.equal(p.status, 0, p.out);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    t.ok(tgz, 'a tarball');
    const listing = run('tar', ['tzf', join(work, tgz!)], work).out.split('\n');
    t.ok(listing.includes('package/dist/cli/iso-pack.js'), 'dist/ is in the package');
    t.notOk(
      listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/')),
      'sources and tests are not',
    );
    const prefix = join(work, 'from-tarball');
    const i = run('npm', ['install', '-g', '--prefix', prefix, join(work, tgz!)], work);
    t.equal(i.status, 0, i.out);
    checkInstalled(t, prefix);
  });

  t.test('a fresh clone installs with npm install -g .', async (t) => {
    const src = freshCopy('clone');
    const prefix = join(work, 'from-clone');
    const i = run('npm', ['install', '-g', '--prefix', prefix, '.'], src);
    t.equal(i.status, 0, i.out);
    t.ok(existsSync(join(src, 'dist', 'cli', 'iso-pack.js')), 'prepare built dist/');
    checkInstalled(t, prefix);
  });
}
