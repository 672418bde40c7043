// Crash safety of cd-write (DESIGN §5): killed with SIGKILL between the commit steps and
// while data flows, fed streams cut at many offsets, and stopped by a full disk. Afterwards
// the medium shows its previous state, earlier sessions read back byte-identical, and the
// next append succeeds.
import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { have, run, tarOf } from './helpers/run.js';
import { createHash, randomBytes } from 'node:crypto';
import { EmulatedMedium } from '../dist/media/emulated-medium.js';
import { writeSession } from '../dist/media/write-session.js';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-crash-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000', ISOPIPE_TEST_KILL_AT: '' };
const SECTOR = 2048;

/** Commands run in the scratch directory, in ENV unless `env` says. */
const inWork = (cmd: string, args: string[], o: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}) =>
  run(cmd, args, { input: o.input, env: o.env ?? ENV, cwd: work });
const node = (tool: string, args: string[], input?: Buffer, env?: NodeJS.ProcessEnv) =>
  inWork(process.execPath, [join(BIN, `${tool}.js`), ...args], { input, env });

function status(img: string) {
  const m = EmulatedMedium.open(img, { write: false, create: true });
  try {
    return m.status();
  } finally {
    m.release();
  }
}

const tars = new Map<string, Buffer>();
function tarOfWork(dir: string): Buffer {
  if (!tars.has(dir)) {
    tars.set(dir, tarOf(work, [], [dir]));
  }
  return tars.get(dir)!;
}

/** iso-pack's stream for `dir` laid out for `prev` (the same bytes every time: SOURCE_DATE_EPOCH). */
const packs = new Map<string, Buffer>();
function pack(prev: string, dir: string): Buffer {
  const key = `${prev} ${dir}`;
  if (!packs.has(key)) {
    const r = node('iso-pack', ['--prev', prev], tarOfWork(dir));
    if (r.status !== 0) throw new Error(r.stderr.toString());
    packs.set(key, r.stdout);
  }
  return packs.get(key)!;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What must survive a failed append: state, sessions, their bytes, and the visible tree. */
interface Snapshot {
  next: number;
  state: string;
  sessions: number[][];
  /** LBA from which the sessions' own bytes are compared (32, or 0 for a session at 0). */
  from: number;
  bytes: string;
  head16: string;
  tree: string | null;
}

function xorrisoTree(img: string): string | null {
  if (!have('xorriso')) return null;
  return inWork('xorriso', ['-indev', `stdio:${img}`, '-find', '/', '-exec', 'lsdl']).stdout.toString();
}

function snapshot(img: string): Snapshot {
  const st = status(img);
  const file = existsSync(img) ? readFileSync(img) : Buffer.alloc(0);
  const from = st.sessions.length && st.sessions[0].start === 0 ? 0 : 32;
  const end = st.sessions.length ? st.sessions[st.sessions.length - 1].start + st.sessions[st.sessions.length - 1].size : 0;
  return {
    next: st.next,
    state: st.state,
    sessions: st.sessions.map((s) => [s.start, s.size]),
    from,
    bytes: sha(file.subarray(from * SECTOR, end * SECTOR)),
    head16: sha(file.subarray(16 * SECTOR, 17 * SECTOR)),
    tree: xorrisoTree(img),
  };
}

function samePrevious(t: Tap.Test, img: string, before: Snapshot, what: string): void {
  const now = snapshot(img);
  t.equal(now.next, before.next, `${what}: next writable address as before`);
  t.equal(now.state, before.state, `${what}: state as before`);
  t.same(now.sessions, before.sessions, `${what}: sessions as before`);
  t.equal(now.bytes, before.bytes, `${what}: earlier sessions byte-identical`);
  if (before.state !== 'blank') t.equal(now.head16, before.head16, `${what}: the PVD at LBA 16 untouched`);
  t.equal(now.tree, before.tree, `${what}: the newest tree lists the same`);
}

/** Appends `session` normally and checks where it lands and that xorriso agrees. */
function appendWorks(t: Tap.Test, img: string, before: Snapshot, session: Buffer, what: string): void {
  const r = node('cd-write', ['--create', '--dev', img, '--multi'], session);
  t.equal(r.status, 0, `${what}: the next append succeeds ${r.stderr}`);
  const st = status(img);
  const got = st.sessions.map((s) => [s.start, s.size]);
  if (before.state === 'blank') {
    t.same(
      got.map((s) => s[0]),
      [32],
      `${what}: first session at 32`,
    );
  } else if (before.from === 0) {
    // The session at LBA 0 loses its head to the medium head: xorriso too counts one session.
    t.same(got, [[0, got[0][1]]], `${what}: one session from LBA 0`);
    t.ok(got[0][1] > before.next, `${what}: reaching past the old next writable address`);
  } else {
    t.same(got.slice(0, -1), before.sessions, `${what}: old sessions kept`);
    t.equal(got[got.length - 1][0], before.next, `${what}: new session at the old next writable address`);
    const end = before.sessions[before.sessions.length - 1][0] + before.sessions[before.sessions.length - 1][1];
    t.equal(sha(readFileSync(img).subarray(before.from * SECTOR, end * SECTOR)), before.bytes, `${what}: earlier sessions still byte-identical`);
  }
  if (have('xorriso')) {
    const toc = inWork('xorriso', ['-indev', `stdio:${img}`, '-toc']).stdout.toString();
    const starts = [...toc.matchAll(/^ISO session\s*:\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)s/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    t.same(starts, got, `${what}: xorriso agrees`);
  }
}

// Fixtures: two small trees and one with 3 MiB of data (several 1 MiB batches).
for (const d of ['a', 'b']) {
  mkdirSync(join(work, d));
  writeFileSync(join(work, d, `${d}.txt`), `tree ${d}\n`);
}
mkdirSync(join(work, 'big'));
writeFileSync(join(work, 'big', 'random.bin'), randomBytes(3 << 20));

/** Media to append to: head layout with two sessions, blank, and one plain image at LBA 0. */
function makeMedia(): Record<string, string> {
  const head = join(work, 'base-head.iso');
  for (const d of ['a', 'b']) {
    const r = node('cd-write', ['--create', '--dev', head, '--multi'], pack(`0,${status(head).next}`, d));
    if (r.status !== 0) throw new Error(r.stderr.toString());
  }
  const media: Record<string, string> = { head, blank: join(work, 'base-blank.iso') };
  if (have('genisoimage')) {
    const single = join(work, 'base-single.iso');
    inWork('genisoimage', ['-quiet', '-R', '-J', '-o', single, join(work, 'a')]);
    media.single = single;
  }
  return media;
}
const media = makeMedia();

t.test('SIGKILL between the commit steps', async (t) => {
  for (const [kind, base] of Object.entries(media)) {
    for (const phase of ['data-synced', 'session-head-synced', 'head-prepared', 'committed']) {
      const img = join(work, `phase-${kind}-${phase}.iso`);
      if (existsSync(base)) copyFileSync(base, img);
      const before = snapshot(img);
      const session = pack(`0,${before.next}`, 'big');
      const r = node('cd-write', ['--create', '--dev', img, '--multi'], session, { ...ENV, ISOPIPE_TEST_KILL_AT: phase });
      t.equal(r.signal, 'SIGKILL', `${kind}/${phase}: killed there`);
      if (phase === 'committed') {
        const st = status(img);
        t.ok(st.next > before.next, `${kind}/${phase}: the commit had happened`);
        continue;
      }
      samePrevious(t, img, before, `${kind}/${phase}`);
      if (kind === 'blank' && have('xorriso')) {
        const x =
          inWork('xorriso', ['-indev', `stdio:${img}`, '-toc']).stdout.toString() + inWork('xorriso', ['-indev', `stdio:${img}`, '-toc']).stderr.toString();
        t.match(x, /is blank/, `${kind}/${phase}: xorriso sees a blank medium too`);
      }
      appendWorks(t, img, before, session, `${kind}/${phase}`);
    }
  }
});

/** Starts cd-write, feeds it `bytes` of `stream`, waits until it has written what it can, kills it. */
async function killWhileFeeding(img: string, stream: Buffer, bytes: number): Promise<string | null> {
  const child = spawn(process.execPath, [join(BIN, 'cd-write.js'), '--dev', img, '--multi'], { env: ENV, stdio: ['pipe', 'ignore', 'pipe'] });
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdin.on('error', () => {});
  // Once the pipe has taken every byte, wait until the medium stops growing: cd-write has
  // then written everything it may before the end of its input.
  await new Promise<void>((resolve) => child.stdin.write(stream.subarray(0, bytes), () => resolve()));
  let last = -1;
  let stable = 0;
  for (let i = 0; i < 100 && stable < 4; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const size = existsSync(img) ? statSync(img).size : 0;
    stable = size === last ? stable + 1 : 0;
    last = size;
  }
  child.kill('SIGKILL');
  return exited;
}

t.test('SIGKILL while the session streams in', async (t) => {
  const img = join(work, 'feeding.iso');
  copyFileSync(media.head, img);
  const before = snapshot(img);
  const stream = pack(`0,${before.next}`, 'big');
  const grown: number[] = [];
  for (const bytes of [
    0,
    SECTOR,
    SECTOR + 100,
    (3 << 19) + 5,
    3 << 20,
    stream.length - 34 * SECTOR,
    stream.length - SECTOR,
    stream.length - 1,
    stream.length,
  ]) {
    const signal = await killWhileFeeding(img, stream, bytes);
    t.equal(signal, 'SIGKILL', `killed after ${bytes} bytes`);
    grown.push(statSync(img).size);
    samePrevious(t, img, before, `killed after ${bytes} of ${stream.length} bytes`);
  }
  t.ok(Math.max(...grown) > before.next * SECTOR + (1 << 20), 'data had reached the medium before some of the kills');
  appendWorks(t, img, before, stream, 'after the kills');
});

t.test('streams cut at many offsets: exit 1, nothing committed, medium unchanged', async (t) => {
  const img = join(work, 'cuts.iso');
  copyFileSync(media.head, img);
  const original = readFileSync(img);
  const before = snapshot(img);
  const stream = pack(`0,${before.next}`, 'big');
  const cuts = [
    1,
    100,
    SECTOR - 1,
    SECTOR,
    SECTOR + 1,
    17 * SECTOR,
    (1 << 20) + 7,
    2 << 20,
    stream.length - 34 * SECTOR,
    stream.length - 33 * SECTOR,
    stream.length - 2049,
    stream.length - SECTOR,
    stream.length - 1,
  ];
  // In process for speed (the engine cd-write runs); two cuts through the CLI below.
  for (const cut of cuts) {
    const m = EmulatedMedium.open(img, { write: true, create: true });
    try {
      t.throws(
        () => writeSession(m, [stream.subarray(0, cut)], { multi: true }),
        /stream .*cut short|stream ends in the middle of a sector|stream has no valid trailer|input is only/,
        `cut at ${cut}: says why`,
      );
    } finally {
      m.release();
    }
    t.ok(readFileSync(img).equals(original), `cut at ${cut}: medium byte-identical`);
  }
  for (const cut of [(1 << 20) + 7, stream.length - SECTOR]) {
    const r = node('cd-write', ['--create', '--dev', img, '--multi'], stream.subarray(0, cut));
    t.equal(r.status, 1, `cut at ${cut}: exit 1`);
    t.match(r.stderr.toString(), /^cd-write: stream (ends in the middle of a sector|has no valid trailer): it was cut short/, `cut at ${cut}: says why`);
    t.ok(readFileSync(img).equals(original), `cut at ${cut}: medium byte-identical`);
  }
  const damaged = Buffer.from(stream);
  damaged[40 * SECTOR] ^= 1;
  const r = node('cd-write', ['--create', '--dev', img, '--multi'], damaged);
  t.equal(r.status, 1);
  t.match(r.stderr.toString(), /^cd-write: stream checksum does not match its trailer: damaged\n$/);
  t.ok(readFileSync(img).equals(original), 'damaged stream: medium byte-identical');
  appendWorks(t, img, before, stream, 'after the cuts');
});

t.test('a full disk (file size limit) mid-session', async (t) => {
  if (!have('bash')) return t.skip('bash is needed for ulimit -f in KiB');
  for (const [kind, extraKiB] of [
    ['data', 1024],
    ['padding', 3136],
  ] as const) {
    const img = join(work, `full-${kind}.iso`);
    copyFileSync(media.head, img);
    const original = readFileSync(img);
    const before = snapshot(img);
    const stream = pack(`0,${before.next}`, 'big');
    const limitKiB = original.length / 1024 + extraKiB;
    const r = inWork('bash', ['-c', `ulimit -f ${limitKiB}; exec "${process.execPath}" "${BIN}cd-write.js" --dev "${img}" --multi`], { input: stream });
    t.equal(r.status, 1, `${kind}: exit 1`);
    t.match(
      r.stderr.toString(),
      /^cd-write: write error at LBA \d+: file too large for this file system or limit \(EFBIG\); nothing committed\n$/,
      `${kind}: names the cause`,
    );
    t.ok(readFileSync(img).equals(original), `${kind}: medium byte-identical (cut back to its size)`);
    samePrevious(t, img, before, kind);
    appendWorks(t, img, before, stream, `${kind}: without the limit`);
  }
});

t.test('a full disk (ENOSPC on a small tmpfs) mid-session', async (t) => {
  const dir = join(work, 'small-fs');
  mkdirSync(dir);
  const m = inWork('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
  if (m.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${m.stderr.toString().trim()}`);
    return;
  }
  t.teardown(() => inWork('umount', [dir]));
  const img = join(dir, 'medium.iso');
  copyFileSync(media.head, img);
  const original = readFileSync(img);
  const before = snapshot(img);
  const r = node('cd-write', ['--create', '--dev', img, '--multi'], pack(`0,${before.next}`, 'big'));
  t.equal(r.status, 1);
  t.match(r.stderr.toString(), /^cd-write: write error at LBA \d+: no space left on device \(ENOSPC\); nothing committed\n$/);
  t.ok(readFileSync(img).equals(original), 'medium byte-identical (cut back, space freed)');
  samePrevious(t, img, before, 'ENOSPC');
  appendWorks(t, img, before, pack(`0,${before.next}`, 'a'), 'ENOSPC: a session that fits');
});
