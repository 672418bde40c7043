// A plain image's long files are written by a thread of their own
// (src/session/write-thread.ts, output.ts): every byte must land where the main thread
// would have written it, whatever the ring's wrap-around; a failed write must reach the
// user as the same one line a write on the main thread gives; and the thread must write
// through its own descriptor, so that the caller's stays its own.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SLOT_BYTES, SLOTS } from '../dist/session/write-ring.js';
import { WriteThread } from '../dist/session/write-thread.js';
import { bin, hasKoffi, patternedBytes, shQuote as q, tarOf } from './helpers/run.js';

const needsKoffi = !hasKoffi && 'the writing thread duplicates its descriptor through koffi';

const work = mkdtempSync(join(tmpdir(), 'isopipe-write-thread-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };

t.test('without koffi there is no thread: the caller writes on its own', { skip: hasKoffi && 'koffi is here' }, async (t) => {
  const fd = openSync(join(work, 'none'), 'w');
  t.teardown(() => closeSync(fd));
  t.equal(WriteThread.start(fd), null);
});

t.test('slots land at their positions, through many turns of the ring', { skip: needsKoffi }, async (t) => {
  const file = join(work, 'slots');
  const fd = openSync(file, 'w+');
  const thread = WriteThread.start(fd);
  if (!thread) throw new Error('no writing thread');
  // Short slots too (the last one of a file is seldom full), and a hole left by a
  // position further on, which a plain image's held-back data never makes but pwrite allows.
  const count = SLOTS * 5 + 3;
  const expected: Buffer[] = [];
  let position = 0;
  for (let k = 0; k < count; k++) {
    const length = k % 7 === 3 ? 1000 + k : SLOT_BYTES;
    const data = patternedBytes(length, k);
    const slot = thread.slot();
    t.equal(slot.length, SLOT_BYTES);
    data.copy(slot);
    thread.publish(length, position);
    expected.push(data);
    position += length;
  }
  thread.finish();
  // The caller's descriptor is still its own, and still open: it writes the head last.
  writeSync(fd, Buffer.from('head'), 0, 4, 0);
  closeSync(fd);
  const whole = Buffer.concat(expected);
  whole.write('head', 0);
  const got = readFileSync(file);
  t.equal(got.length, whole.length, 'every byte written');
  t.ok(got.equals(whole), 'each slot at its position');
});

t.test('a failed write comes back as the error it was: code, syscall and message', { skip: needsKoffi }, async (t) => {
  const fd = openSync('/dev/full', 'w');
  t.teardown(() => closeSync(fd));
  const thread = WriteThread.start(fd);
  if (!thread) throw new Error('no writing thread');
  const err = t.throws(() => {
    for (let k = 0; k < SLOTS * 4; k++) {
      thread.slot().fill(1);
      thread.publish(SLOT_BYTES, k * SLOT_BYTES);
    }
    thread.finish();
  }) as Error & { code?: string; syscall?: string };
  t.equal(err.code, 'ENOSPC');
  t.equal(err.syscall, 'write');
  t.match(err.message, /ENOSPC/);
  // The descriptor the failing thread had was its own: the caller's still works.
  t.ok(fstatSync(fd).isCharacterDevice());
});

// iso-pack end to end, with the writes changing hands in both directions: 100 small files
// (written here), a file of 40 MiB (the thread), 100 small files (here again), a long name
// held back after the metadata, and another 40 MiB (the thread again).
const tree = join(work, 'tree');
mkdirSync(join(tree, 'a'), { recursive: true });
mkdirSync(join(tree, 'd'), { recursive: true });
for (let k = 0; k < 200; k++) writeFileSync(join(tree, k < 100 ? 'a' : 'd', `f${k}`), patternedBytes(100 + k * 37, k));
writeFileSync(join(tree, 'big.bin'), patternedBytes(40 << 20, 99));
writeFileSync(join(tree, 'n'.repeat(200)), 'held back\n');
writeFileSync(join(tree, 'z-tail.bin'), patternedBytes((40 << 20) + 17, 7));
const tarFile = join(work, 't.tar');
writeFileSync(tarFile, tarOf(tree, ['--format=gnu', '--sort=name']));

function sh(cmd: string): { status: number | null; stderr: string } {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { env });
  return { status: r.status, stderr: String(r.stderr) };
}
const isoPack = (args: string[]) => [process.execPath, bin('iso-pack'), '-q', ...args].map(q).join(' ');

for (const args of [[], ['--md5'], ['-C', '0,1000']]) {
  t.test(`-o FILE with 40 MiB of data is the image -o - writes in LBA order: ${args.join(' ') || 'default'}`, async (t) => {
    if (args.includes('--md5')) {
      // -o - refuses --md5 (the head goes out first): compare with stdout as a file.
      const viaStdout = join(work, 'md5-stdout.iso');
      const viaFile = join(work, 'md5-file.iso');
      const a = sh(`${isoPack(args)} < ${q(tarFile)} > ${q(viaStdout)}`);
      t.equal(a.status, 0, a.stderr);
      const b = sh(`${isoPack([...args, '-o', viaFile])} < ${q(tarFile)}`);
      t.equal(b.status, 0, b.stderr);
      t.ok(readFileSync(viaStdout).equals(readFileSync(viaFile)), 'the same bytes');
      return;
    }
    const piped = join(work, 'a.iso');
    const file = join(work, 'b.iso');
    const a = sh(`${isoPack([...args, '-o', '-'])} < ${q(tarFile)} | cat > ${q(piped)}`);
    t.equal(a.status, 0, a.stderr);
    // Through a pipe, as users feed it: the copies overlap the writes only there.
    const b = sh(`cat ${q(tarFile)} | ${isoPack([...args, '-o', file])}`);
    t.equal(b.status, 0, b.stderr);
    t.ok(readFileSync(piped).equals(readFileSync(file)), 'the same bytes');
  });
}

t.test('a full file system: one line, as without the thread, and nothing left behind', async (t) => {
  const cases: [string, string][] = [
    ['256k', 'before the thread starts'],
    ['24m', 'on the writing thread'],
    ['64m', 'on the writing thread again'],
  ];
  for (const [size, when] of cases) {
    const dir = join(work, `full-${size}`);
    mkdirSync(dir);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    if (m.status !== 0) {
      t.skip(`cannot mount a tmpfs here: ${String(m.stderr).trim()}`);
      return;
    }
    try {
      const r = sh(`cat ${q(tarFile)} | ${isoPack(['-o', join(dir, 'out.iso')])}`);
      t.equal(r.status, 1, `${when}: exit 1`);
      t.equal(r.stderr, 'iso-pack: no space left on device (ENOSPC)\n', `${when}: one line naming the cause`);
      // The temporary name goes with the process (output-file.ts); give its reaper a moment.
      for (let k = 0; k < 50 && readdirSync(dir).length > 0; k++) spawnSync('sleep', ['0.1']);
      t.same(readdirSync(dir), [], `${when}: nothing left behind`);
    } finally {
      spawnSync('umount', [dir]);
    }
  }
});
