// Two writers at once (issue #11): five rounds of two concurrent cd-write appends, both
// packed for the same next writable address, to one image file and to a loop block device.
// In each round exactly one commits and the other exits 1 without writing a byte; every
// session reads back whole with bsdtar and xorriso; cd-verify passes. Also: --wait, the
// holder's pid in the message, flock(1) cooperating, and the lock-file fallback.
import t from 'tap';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { EmulatedMedium } from '../../dist/media/emulated-medium.js';
import { withReader } from '../helpers/skip.js';

const BIN = new URL('../../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-lock-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000' };
const SECTOR = 2048;

function run(cmd: string, args: string[], input?: Buffer, env = ENV): SpawnSyncReturns<Buffer> {
  return spawnSync(cmd, args, { input, env, cwd: work, maxBuffer: 1 << 30 });
}
const node = (tool: string, args: string[], input?: Buffer, env = ENV) => run(process.execPath, [join(BIN, `${tool}.js`), ...args], input, env);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function status(dev: string) {
  const m = EmulatedMedium.open(dev, { write: false });
  try {
    return m.status();
  } finally {
    m.release();
  }
}

/** A session for `next` holding one file whose name and bytes say which writer sent it. */
function session(next: number, name: string): { stream: string; content: Buffer } {
  const dir = join(work, 'src', name);
  mkdirSync(dir, { recursive: true });
  // Big enough (2 MB) that the two writers overlap for real.
  const content = Buffer.alloc(2_000_000, name);
  writeFileSync(join(dir, `${name}.dat`), content);
  const tar = run('tar', ['-C', join(work, 'src'), '-cf', '-', name]).stdout;
  const r = node('iso-pack', ['--prev', `0,${next}`], tar);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  const stream = join(work, `${name}.stream`);
  writeFileSync(stream, r.stdout);
  return { stream, content };
}

interface Outcome {
  code: number | null;
  stderr: string;
}

/**
 * cd-write whose stream arrives once `gate` exists (a number: after that many seconds), so
 * that both writers open the medium before either has its session.
 */
function cdWriteLater(dev: string, stream: string, gate: string | number, extra: string[] = []): Promise<Outcome> {
  return new Promise((resolve) => {
    const wait = typeof gate === 'number' ? `sleep ${gate}` : `while [ ! -e '${gate}' ]; do sleep 0.05; done`;
    const script = `${wait}; cat '${stream}'`;
    const p = spawn('sh', ['-c', `(${script}) | '${process.execPath}' '${join(BIN, 'cd-write.js')}' --dev '${dev}' --multi ${extra.join(' ')}`], {
      env: ENV,
      cwd: work,
    });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

/**
 * A readable copy of the session at `start`: the medium up to its end with the session's
 * own head at LBA 0–31, so that bsdtar (which reads LBA 16) sees that session.
 */
function sessionView(dev: string, start: number, size: number, name: string): string {
  const all = readFileSync(dev).subarray(0, (start + size) * SECTOR);
  const view = Buffer.from(all);
  all.copy(view, 0, start * SECTOR, (start + 32) * SECTOR);
  // The session's PVD gives its own length; readers want the absolute end of the volume.
  for (let k = 16; k < 32 && (view[k * SECTOR] === 1 || view[k * SECTOR] === 2); k++) {
    view.writeUInt32LE(start + size, k * SECTOR + 80);
    view.writeUInt32BE(start + size, k * SECTOR + 84);
  }
  const p = join(work, `${name}.view.iso`);
  writeFileSync(p, view);
  return p;
}

/** Image path to read for a medium (a block device is copied to a file first). */
function asFile(dev: string): string {
  if (!dev.startsWith('/dev/')) return dev;
  const p = join(work, 'loop-copy.iso');
  writeFileSync(p, readFileSync(dev));
  return p;
}

async function rounds(t: Tap.Test, dev: string, label: string, setup: (first: string) => void): Promise<void> {
  const first = session(32, `${label}-first`);
  setup(first.stream);
  const expected: { start: number; content: Buffer; name: string }[] = [{ start: 32, content: first.content, name: `${label}-first` }];
  let busyRounds = 0;
  for (let round = 1; round <= 5; round++) {
    const next = status(dev).next;
    const a = session(next, `${label}-r${round}a`);
    const b = session(next, `${label}-r${round}b`);
    // What the medium must be when A, or B, appended alone: nobody else may add a byte.
    const ifA = join(work, 'ifA.iso');
    const ifB = join(work, 'ifB.iso');
    writeFileSync(ifA, readFileSync(dev));
    writeFileSync(ifB, readFileSync(dev));
    for (const [f, s] of [
      [ifA, a],
      [ifB, b],
    ] as const) {
      const alone = node('cd-write', ['--dev', f, '--multi', s.stream]);
      t.equal(alone.status, 0, `appends alone to a copy ${alone.stderr}`);
    }
    // Both start at once; their sessions arrive only when one of them has given up (or
    // after 60 s): on a loaded machine the second may start late, but never after the commit.
    const gate = join(work, 'gate');
    rmSync(gate, { force: true });
    const pa = cdWriteLater(dev, a.stream, gate);
    const pb = cdWriteLater(dev, b.stream, gate);
    await Promise.race([pa, pb, new Promise((r) => setTimeout(r, 60_000))]);
    writeFileSync(gate, '');
    const [ra, rb] = await Promise.all([pa, pb]);
    const winners = [ra, rb].filter((r) => r.code === 0).length;
    t.equal(winners, 1, `${label} round ${round}: exactly one writer commits (${ra.code}, ${rb.code})`);
    const loser = ra.code === 0 ? rb : ra;
    t.equal(loser.code, 1, `${label} round ${round}: the other exits 1`);
    // Either it found the medium held, or (on a loaded machine) it came after the commit
    // and found the address moved on: both are one line, exit 1, nothing written.
    t.match(
      loser.stderr,
      /^cd-write: (\S+ is in use by another writer( \(pid \d+\)| or mounted)?; nothing written \(--wait SECONDS to wait for it\)|packed for LBA \d+, medium's next writable address is \d+: run cd-msinfo again)\n$/,
      `${label} round ${round}: one line`,
    );
    if (/in use/.test(loser.stderr)) {
      busyRounds++;
      if (!dev.startsWith('/dev/')) t.match(loser.stderr, /\(pid \d+\)/, 'names the holder');
    }
    const got = createHash('sha256')
      .update(readFileSync(dev).subarray(0, readFileSync(ifA).length))
      .digest('hex');
    const winner = ra.code === 0 ? { s: a, f: ifA, n: 'a' } : { s: b, f: ifB, n: 'b' };
    if (!dev.startsWith('/dev/')) t.equal(sha(dev), sha(winner.f), `${label} round ${round}: the medium is exactly the winner's append`);
    else t.equal(got, sha(winner.f), `${label} round ${round}: the device holds exactly the winner's append`);
    expected.push({ start: next, content: winner.s.content, name: `${label}-r${round}${winner.n}` });
  }
  t.equal(busyRounds, 5, `${label}: the writers overlapped in ${busyRounds} of 5 rounds`);
  const img = asFile(dev);
  const st = status(img);
  t.same(
    st.sessions.map((s) => s.start),
    expected.map((e) => e.start),
    `${label}: six sessions, one per round`,
  );
  await withReader(t, 'bsdtar', () => {
    for (const [i, e] of expected.entries()) {
      const view = sessionView(img, e.start, st.sessions[i].size, e.name);
      const r = run('bsdtar', ['-xOf', view, `${e.name}/${e.name}.dat`]);
      t.ok(r.status === 0 && r.stdout.equals(e.content), `${label}: bsdtar reads session ${i + 1} whole`);
    }
  });
  await withReader(t, 'xorriso', () => {
    for (const [i, e] of expected.entries()) {
      const out = join(work, `x-${e.name}`);
      rmSync(out, { force: true });
      const r = run('xorriso', ['-indev', `stdio:${img}`, '-load', 'sbsector', String(e.start), '-osirrox', 'on', '-extract', `/${e.name}/${e.name}.dat`, out]);
      t.ok(r.status === 0 && existsSync(out) && readFileSync(out).equals(e.content), `${label}: xorriso reads session ${i + 1} whole`);
    }
  });
  const v = node('cd-verify', ['--dev', img, '-n', '-q']);
  t.equal(v.status, 0, `${label}: cd-verify passes`);
}

t.test('five rounds of two concurrent appends to one image file', async (t) => {
  const img = join(work, 'medium.iso');
  await rounds(t, img, 'file', (first) => t.equal(node('cd-write', ['--dev', img, '--create', '--multi', first]).status, 0));
});

t.test('five rounds on a loop block device', async (t) => {
  if (process.getuid?.() !== 0 || run('sh', ['-c', 'command -v losetup']).status !== 0) {
    t.skip('needs root and losetup');
    return;
  }
  const backing = join(work, 'loop.img');
  writeFileSync(backing, Buffer.alloc(0));
  run('truncate', ['-s', '24M', backing]);
  const r = run('losetup', ['-f', '--show', backing]);
  const loop = r.stdout.toString().trim();
  if (r.status !== 0 || !loop.startsWith('/dev/loop')) {
    t.skip(`losetup does not work here: ${r.stderr.toString().trim()}`);
    return;
  }
  t.teardown(() => void run('losetup', ['-d', loop]));
  await rounds(t, loop, 'loop', (first) => t.equal(node('cd-write', ['--dev', loop, '--multi', first]).status, 0));
});

t.test('--wait: the second writer waits, then re-reads the address under the lock', async (t) => {
  const img = join(work, 'wait.iso');
  const first = session(32, 'w-first');
  t.equal(node('cd-write', ['--dev', img, '--create', '--multi', first.stream]).status, 0);
  const next = status(img).next;
  const a = session(next, 'w-a');
  const b = session(next, 'w-b');
  const [ra, rb] = await Promise.all([cdWriteLater(img, a.stream, 0.5), cdWriteLater(img, b.stream, 0.5, ['--wait', '30'])]);
  const results = [ra, rb];
  t.equal(results.filter((r) => r.code === 0).length, 1, 'one commits');
  const loser = results.find((r) => r.code !== 0)!;
  t.match(
    loser.stderr,
    /packed for LBA \d+, medium's next writable address is \d+: run cd-msinfo again|in use by another writer/,
    'the waiter finds the address moved on',
  );
  t.equal(status(img).sessions.length, 2);
});

t.test('flock(1) holders are honoured, the fallback lock file too', async (t) => {
  const img = join(work, 'flock.iso');
  const first = session(32, 'f-first');
  t.equal(node('cd-write', ['--dev', img, '--create', '--multi', first.stream]).status, 0);
  const s2 = session(status(img).next, 'f-second');
  const before = sha(img);
  if (run('sh', ['-c', 'command -v flock']).status === 0) {
    const holder = spawn('flock', [img, 'sleep', '3'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    const r = node('cd-write', ['--dev', img, '--multi', s2.stream]);
    t.equal(r.status, 1);
    t.match(r.stderr.toString(), new RegExp(`^cd-write: ${img.replace(/[.]/g, '\\.')} is in use by another writer \\(pid ${holder.pid}\\); nothing written`));
    t.equal(sha(img), before, 'nothing written');
    const waited = node('cd-write', ['--dev', img, '--multi', '--wait', '10', s2.stream]);
    t.equal(waited.status, 0, '--wait outlasts the holder');
    holder.kill();
  }
  // Without koffi: MEDIUM.lock, created O_EXCL with "PID HOST"; a dead holder's is stale.
  const noFlock = { ...ENV, ISOPIPE_NO_FLOCK: '1' };
  const s3 = session(status(img).next, 'f-third');
  const { hostname } = await import('node:os');
  writeFileSync(`${img}.lock`, `${process.pid} ${hostname()}\n`);
  const busy = node('cd-write', ['--dev', img, '--multi', s3.stream], undefined, noFlock);
  t.equal(busy.status, 1);
  t.match(busy.stderr.toString(), new RegExp(`in use by another writer \\(pid ${process.pid}\\)`));
  writeFileSync(`${img}.lock`, `999999999 ${hostname()}\n`);
  const stale = node('cd-write', ['--dev', img, '--multi', s3.stream], undefined, noFlock);
  t.equal(stale.status, 0, `a lock file whose pid is gone is stale ${stale.stderr}`);
  t.notOk(existsSync(`${img}.lock`), 'and the lock file is gone afterwards');
});

t.test('readers take no lock', async (t) => {
  const img = join(work, 'readers.iso');
  const first = session(32, 'rd-first');
  t.equal(node('cd-write', ['--dev', img, '--create', '--multi', first.stream]).status, 0);
  const holder = spawn('flock', [img, 'sleep', '2'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const r = node('cd-msinfo', ['--dev', img]);
  t.equal(r.status, 0, 'cd-msinfo reads while a writer holds the medium');
  t.equal(r.stdout.toString(), `0,${status(img).next}\n`);
  holder.kill();
});
