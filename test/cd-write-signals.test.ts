// Interrupted runs leave no debris (issue #12 item 6, cd-write): SIGINT, SIGTERM and SIGHUP
// while a session streams in remove the uncommitted bytes past the committed end of an
// image file (never committed data); a commit removes any left by an earlier crash.
import t from 'tap';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-signals-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000' };

function run(cmd: string, args: string[], input?: Buffer): SpawnSyncReturns<Buffer> {
  return spawnSync(cmd, args, { input, env: ENV, cwd: work, maxBuffer: 1 << 30 });
}
const node = (tool: string, args: string[], input?: Buffer) => run(process.execPath, [join(BIN, `${tool}.js`), ...args], input);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const msinfo = (img: string) => node('cd-msinfo', ['--dev', img]).stdout.toString().trim();

function tarWith(name: string, bytes: number): Buffer {
  const dir = join(work, 'src', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'f'), randomBytes(bytes));
  return run('tar', ['-C', join(work, 'src'), '-cf', '-', name]).stdout;
}
const bigTar = tarWith('big', 24 << 20);

/** Starts cd-write, feeds it part of `stream`, waits until the medium grew, sends `sig` to cd-write. */
async function interrupt(
  img: string,
  stream: Buffer,
  sig: NodeJS.Signals,
  extra: string[] = [],
): Promise<{ signal: string | null; stderr: string; grewTo: number }> {
  const child = spawn(process.execPath, [join(BIN, 'cd-write.js'), '--dev', img, '--multi', ...extra], { env: ENV, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdin.on('error', () => {});
  const start = existsSync(img) ? statSync(img).size : 0;
  child.stdin.write(stream.subarray(0, stream.length >> 1));
  let grewTo = start;
  for (let i = 0; i < 200 && grewTo < start + (8 << 20); i++) {
    await new Promise((r) => setTimeout(r, 50));
    grewTo = existsSync(img) ? statSync(img).size : 0;
  }
  child.kill(sig);
  const signal = await exited;
  child.stdin.destroy();
  await new Promise((r) => setTimeout(r, 100));
  return { signal, stderr, grewTo };
}

t.test('SIGINT, SIGTERM, SIGHUP: the uncommitted bytes go, the committed stay', async (t) => {
  const img = join(work, 'medium.iso');
  t.equal(node('cd-write', ['--dev', img, '--create', '--multi'], node('iso-pack', ['--prev', '0,32'], tarWith('first', 1000)).stdout).status, 0);
  const before = sha(img);
  const size = statSync(img).size;
  const stream = node('iso-pack', ['--prev', msinfo(img)], bigTar).stdout;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const r = await interrupt(img, stream, sig);
    t.equal(r.signal, sig, `${sig}: cd-write dies by it, as the shell expects`);
    t.ok(r.grewTo > size, `${sig}: it had written ${r.grewTo - size} bytes`);
    t.match(
      r.stderr,
      new RegExp(`^cd-write: interrupted \\(${sig}\\): removed \\d+ uncommitted bytes from the end of ${img.replace(/[.]/g, '\\.')}\\n$`),
      `${sig}: says so`,
    );
    t.equal(statSync(img).size, size, `${sig}: the file is its old length again`);
    t.equal(sha(img), before, `${sig}: the medium is as before, byte for byte`);
  }
  t.equal(node('cd-write', ['--dev', img, '--multi'], stream).status, 0, 'the next append works');
});

t.test('a file made by --create for an interrupted session is removed', async (t) => {
  const img = join(work, 'new.iso');
  const stream = node('iso-pack', ['--prev', '0,32'], bigTar).stdout;
  const r = await interrupt(img, stream, 'SIGINT', ['--create']);
  t.equal(r.signal, 'SIGINT');
  t.notOk(existsSync(img), 'no file left');
  t.match(r.stderr, /^cd-write: interrupted \(SIGINT\): removed .*new\.iso, which held no session yet\n$/);
});

t.test('a commit removes the debris of an earlier crash', async (t) => {
  const img = join(work, 'crashed.iso');
  t.equal(node('cd-write', ['--dev', img, '--create', '--multi'], node('iso-pack', ['--prev', '0,32'], tarWith('c1', 1000)).stdout).status, 0);
  const committed = readFileSync(img);
  appendFileSync(img, randomBytes(3 << 20)); // what a SIGKILL or power loss mid-stream leaves
  t.equal(msinfo(img), '0,96', 'debris is not part of the medium');
  t.equal(node('cd-write', ['--dev', img, '--multi'], node('iso-pack', ['--prev', '0,96'], tarWith('c2', 1000)).stdout).status, 0);
  const after = readFileSync(img);
  t.equal(after.length, 160 * 2048, 'the file ends at the next writable address');
  t.ok(after.subarray(32 * 2048, 96 * 2048).equals(committed.subarray(32 * 2048, 96 * 2048)), 'the first session untouched');
});

t.test('SIGKILL of the writer: the bytes go too', async (t) => {
  const img = join(work, 'killed.iso');
  t.equal(node('cd-write', ['--dev', img, '--create', '--multi'], node('iso-pack', ['--prev', '0,32'], tarWith('k1', 1000)).stdout).status, 0);
  const before = sha(img);
  const stream = node('iso-pack', ['--prev', msinfo(img)], tarWith('k2', 1 << 20)).stdout;
  const r = spawnSync(process.execPath, [join(BIN, 'cd-write.js'), '--dev', img, '--multi'], {
    input: stream,
    env: { ...ENV, ISOPIPE_TEST_KILL_AT: 'data-synced' },
  });
  t.equal(r.signal, 'SIGKILL');
  t.equal(sha(img), before, 'the medium is as before');
});
