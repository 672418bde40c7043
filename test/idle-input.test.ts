// A tool whose stdin someone made non-blocking (a pipe shared with another process) waits
// on it: the pauses back off while it stays idle, and nothing is lost or refused.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdleBackoff, LONGEST_IDLE_PAUSE } from '../src/session/io.js';
import { bin, have, must, tarOf } from './helpers/run.js';

const env = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000' };

/** A work directory (removed after `t`) and a session of 300 KB, more than a pipe holds. */
function sessionToWrite(t: Tap.Test): { work: string; session: Buffer } {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-idle-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  mkdirSync(join(work, 'd'));
  writeFileSync(join(work, 'd', 'a.txt'), 'hello\n'.repeat(50000));
  const session = must(process.execPath, [bin('iso-pack'), '--prev', '0,32'], { input: tarOf(work, [], ['d']), env });
  return { work, session };
}

t.test('the pause doubles from 1 ms up to its ceiling, and is short again after progress', async (t) => {
  const idle = new IdleBackoff();
  const seen = Array.from({ length: 9 }, () => idle.next());
  t.same(seen, [1, 2, 4, 8, 16, 32, 64, 64, 64]);
  t.equal(LONGEST_IDLE_PAUSE, 64);
  idle.reset();
  t.equal(idle.next(), 1);
});

t.test('cd-write takes a session from a non-blocking stdin that goes idle mid-stream', { skip: !have('perl') && 'needs perl' }, async (t) => {
  const { work, session } = sessionToWrite(t);
  const img = join(work, 'm.iso');

  // cd-write's stdin is the read side of a FIFO, made non-blocking by perl (Node's spawn
  // hands a child blocking stdio) just before it becomes cd-write: its reads see EAGAIN
  // while this test holds the data back.
  const fifo = join(work, 'fifo');
  must('mkfifo', [fifo]);
  const readSide = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeSide = openSync(fifo, constants.O_WRONLY);
  const nonBlocking = 'fcntl(STDIN, F_SETFL, fcntl(STDIN, F_GETFL, 0) | O_NONBLOCK) or die "fcntl: $!"; exec @ARGV or die "exec: $!"';
  const child = spawn('perl', ['-MFcntl', '-e', nonBlocking, process.execPath, bin('cd-write'), '--dev', img, '--create', '--multi'], {
    stdio: [readSide, 'ignore', 'pipe'],
    env,
  });
  closeSync(readSide);
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

  const half = 64 * 1024;
  writeSync(writeSide, session.subarray(0, half));
  await new Promise((r) => setTimeout(r, 1500));
  for (let off = half; off < session.length; ) off += writeSync(writeSide, session, off, Math.min(half, session.length - off));
  closeSync(writeSide);

  t.equal(await exited, 0, stderr);
  t.equal(stderr, '');
  // The same session through an ordinary blocking pipe makes the same medium.
  const reference = join(work, 'reference.iso');
  must(process.execPath, [bin('cd-write'), '--dev', reference, '--create', '--multi'], { input: session, env });
  t.ok(readFileSync(img).equals(readFileSync(reference)), 'the medium is byte for byte the one a blocking pipe gives');
  const msinfo = spawnSync(process.execPath, [bin('cd-msinfo'), '--dev', img], { env });
  t.equal(msinfo.status, 0, msinfo.stderr.toString());
});

t.test('cd-write leaves a pipe on its stdin blocking, so no read finds it empty and sleeps', async (t) => {
  const { work, session } = sessionToWrite(t);

  // A FIFO opened blocking on both sides; cd-write's stdin shares the open file of
  // readSide, so a non-blocking flag it set would show in this process's fdinfo.
  const fifo = join(work, 'fifo');
  must('mkfifo', [fifo]);
  const writeSide = openSync(fifo, constants.O_RDWR);
  const readSide = openSync(fifo, constants.O_RDONLY);
  const nonBlocking = () => {
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${readSide}`, 'latin1'));
    return (Number.parseInt(flags?.[1] ?? 'x', 8) & constants.O_NONBLOCK) !== 0;
  };
  t.equal(nonBlocking(), false, 'the pipe starts blocking');
  const child = spawn(process.execPath, [bin('cd-write'), '--dev', join(work, 'm.iso'), '--create', '--multi'], {
    stdio: [readSide, 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // The first write fills the pipe; the second returns only once cd-write has read from
  // it, past the point where it looks at its stdin. Node restores the flags at exit, so
  // they are looked at while it runs.
  let off = writeSync(writeSide, session, 0, 65536);
  off += writeSync(writeSide, session, off, 65536);
  t.equal(nonBlocking(), false, 'cd-write did not make it non-blocking');
  while (off < session.length) off += writeSync(writeSide, session, off, Math.min(65536, session.length - off));
  closeSync(writeSide);
  t.equal(await exited, 0, stderr);
  closeSync(readSide);
});
