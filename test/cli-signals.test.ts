// iso-pack -o FILE interrupted leaves nothing the user did not have; a terminal on stdin
// is refused; system errors come out as one line (#12).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ISO_PACK = new URL('../bin/iso-pack.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-signals-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const src = join(work, 'src');
mkdirSync(src);
writeFileSync(join(src, 'big'), Buffer.alloc(4 << 20, 0x61));
const tar = spawnSync('tar', ['-C', src, '-cf', '-', '.'], { maxBuffer: 1 << 26 }).stdout;

// tap puts a module into every child's NODE_OPTIONS (even into an env given to spawn) that
// catches SIGINT, SIGTERM and SIGHUP to report them, which a process busy in synchronous
// I/O never gets to handle: env(1) runs iso-pack without it, as a user's shell does.
const NODE = ['env', '-u', 'NODE_OPTIONS', process.execPath];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** iso-pack -o OUT fed half a tar, then `signal` while it waits for the rest. */
async function interrupted(dir: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const p = spawn(NODE[0], [...NODE.slice(1), ISO_PACK, '-o', join(dir, 'out.iso')], { stdio: ['pipe', 'ignore', 'pipe'] });
  p.stdin.write(tar.subarray(0, 2 << 20));
  // The half written so far is in a file beside out.iso before the signal comes.
  await waitFor(() => readdirSync(dir).some((f) => f.includes('iso-pack')), 'the partial file');
  await sleep(100);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => p.on('exit', (code, signal) => r({ code, signal })));
  p.kill(signal);
  const guard = setTimeout(() => p.kill('SIGKILL'), 15000); // a signal that did not end it fails below
  const r = await done;
  clearTimeout(guard);
  p.stdin.destroy();
  return r;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as NodeJS.Signals[]) {
  t.test(`${signal} during iso-pack -o removes the partial file`, async (t) => {
    const dir = mkdtempSync(join(work, 'run-'));
    const r = await interrupted(dir, signal);
    t.equal(r.signal, signal, 'iso-pack ended by the signal');
    await waitFor(() => readdirSync(dir).length === 0, 'the cleanup').catch(() => {});
    t.same(readdirSync(dir), [], 'nothing left in the directory');
  });
}

t.test('an interrupted run leaves an existing -o file as it was', async (t) => {
  const dir = mkdtempSync(join(work, 'keep-'));
  writeFileSync(join(dir, 'out.iso'), 'the old image');
  await interrupted(dir, 'SIGINT');
  await waitFor(() => readdirSync(dir).length === 1, 'the cleanup').catch(() => {});
  t.same(readdirSync(dir), ['out.iso']);
  t.equal(readFileSync(join(dir, 'out.iso'), 'utf8'), 'the old image');
  // A complete run replaces it.
  const ok = spawnSync(process.execPath, [ISO_PACK, '-o', join(dir, 'out.iso')], { input: tar });
  t.equal(ok.status, 0);
  t.same(readdirSync(dir), ['out.iso']);
  t.equal(readFileSync(join(dir, 'out.iso')).length % 2048, 0, 'the new image');
});

t.test('a failed run leaves nothing either', async (t) => {
  const dir = mkdtempSync(join(work, 'fail-'));
  const r = spawnSync(process.execPath, [ISO_PACK, '-o', join(dir, 'out.iso')], { input: tar.subarray(0, 3 << 20) });
  t.equal(r.status, 1);
  t.match(r.stderr.toString(), /truncated archive/);
  t.same(readdirSync(dir), []);
});

t.test('EPIPE: the reader of the stream goes away', async (t) => {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', `node '${ISO_PACK}' | head -c 100 > /dev/null`], { input: tar });
  t.equal(r.status, 1, 'iso-pack fails');
  t.equal(r.stderr.toString(), '', 'quietly, as a filter does when its reader has gone');
});

const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
t.test('a terminal on stdin is refused', { skip: !hasScript && 'script(1) is not installed' }, async (t) => {
  const out = join(work, 'tty.iso');
  // script(1) gives the command a terminal on stdin, stdout and stderr.
  const r = spawnSync('script', ['-qec', `${process.execPath} '${ISO_PACK}' -o '${out}'`, '/dev/null'], { input: '', timeout: 20000 });
  t.equal(r.status, 2, 'usage error, at once');
  t.match(r.stdout.toString(), /iso-pack: no tar on stdin \(a terminal\): pipe one in/);
  t.notOk(existsSync(out), 'no file');
});

t.test('system errors on -o are one line naming the file', async (t) => {
  const cases: [string, RegExp][] = [
    ['/nonexistent-dir/x.iso', /^iso-pack: cannot create \/nonexistent-dir\/x\.iso: no such directory: \/nonexistent-dir \(ENOENT\)$/],
    [work, /^iso-pack: cannot open .*: is a directory \(EISDIR\)$/],
  ];
  for (const [path, re] of cases) {
    const r = spawnSync(process.execPath, [ISO_PACK, '-o', path], { input: tar });
    t.equal(r.status, 1, path);
    const lines = r.stderr.toString().trim().split('\n');
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], re);
  }
});
