// A file over 4 GiB (two sections) kept from an old session: --mirror and overlay sessions
// refer to its sections instead of writing 4 GiB again, and every reader still gets the
// same bytes from the newest session — xorriso, bsdtar, 7z, iso-merge --data — and the
// kernel lists it with its size (its md5 over 4 GiB in an emulated VM would take minutes).
import t from 'tap';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendDir, appendSession } from '../helpers/merge.js';
import { bin, must, run, tarOf } from '../helpers/run.js';
import { KERNEL_ORACLE, needs } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-big-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const SIZE = 4 * 1024 ** 3 + 1024 ** 2 + 123; // two sections, the second not whole sectors
const SECTION = 0xfffff800;
const MARKS = [
  [0, 'start'],
  [SECTION - 3, 'boundary'],
  [SIZE - 3, 'end'],
] as const;
const src = join(work, 'src');
const medium = join(work, 'big.iso');
mkdirSync(src);

// Sparse on disk: marks at the start, across the section boundary and at the end tell a
// reader that puts the sections in the wrong order or drops one.
const huge = join(src, 'huge');
const fd = openSync(huge, 'w');
ftruncateSync(fd, SIZE);
for (const [at, text] of MARKS) writeSync(fd, Buffer.from(text), 0, text.length, at);
closeSync(fd);
writeFileSync(join(src, 'small'), 'small v1\n');

const ZERO = Buffer.alloc(4 << 20);

/** Checks a stream against the file's known content (zeros and the marks) at memcmp speed:
 *  hashing 4 GiB per reader would double the test's time. Resolves to a verdict. */
class Content {
  private pos = 0;
  private bad: string | null = null;

  update(c: Buffer): void {
    if (this.bad) return;
    const expected = c.length <= ZERO.length ? Buffer.from(ZERO.subarray(0, c.length)) : Buffer.alloc(c.length);
    for (const [at, text] of MARKS) {
      const b = Buffer.from(text);
      for (let i = 0; i < b.length; i++) if (at + i >= this.pos && at + i < this.pos + c.length) expected[at + i - this.pos] = b[i];
    }
    if (!c.equals(expected)) this.bad = `content differs in bytes ${this.pos}–${this.pos + c.length}`;
    this.pos += c.length;
  }

  verdict(): string {
    return this.bad ?? (this.pos === SIZE ? 'ok' : `${this.pos} bytes instead of ${SIZE}`);
  }
}

/** The verdict on a command's stdout. */
function contentOf(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const v = new Content();
    p.stdout.on('data', (c: Buffer) => v.update(c));
    p.on('error', reject);
    p.on('close', (code) => resolve(code === 0 ? v.verdict() : `${cmd} exited ${code}`));
  });
}

function contentOfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const v = new Content();
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (c) => v.update(c as Buffer))
      .on('error', reject)
      .on('end', () => resolve(v.verdict()));
  });
}

t.test('session 1 with the big file, session 2 (--mirror) and 3 (overlay) refer to it', async (t) => {
  t.equal(appendDir(src, medium).status, 0, 'session 1');
  const afterFirst = statSync(medium).size;
  t.ok(afterFirst > SIZE, 'the data is on the medium');

  writeFileSync(join(src, 'small'), 'small v2, changed\n');
  const m = appendDir(src, medium, ['--mirror', '-v']);
  t.equal(m.status, 0, m.stderr);
  t.match(m.stderr, /reused 1 files \(4296\.0 MB not re-written;/);
  const afterMirror = statSync(medium).size;
  t.ok(afterMirror - afterFirst < 1024 * 1024, `--mirror grew the image by ${afterMirror - afterFirst} bytes`);

  const extra = join(work, 'extra');
  mkdirSync(extra);
  writeFileSync(join(extra, 'added'), 'added\n');
  const o = appendSession(tarOf(extra), medium);
  t.equal(o.status, 0, o.stderr);
  t.ok(statSync(medium).size - afterMirror < 1024 * 1024, 'so did the overlay session');

  const merged = run(process.execPath, [bin('iso-merge'), '--dev', medium, '-n']);
  const m2 = /ISOPIPE\.extents=(\d+)\+(\d+),(\d+)\+(\d+)\n/.exec(merged.stdout.toString('latin1'));
  t.ok(m2, 'the reference lists two sections');
  if (m2) {
    t.equal(Number(m2[2]), SECTION, 'a first section of 4 GiB − 2048');
    t.equal(Number(m2[2]) + Number(m2[4]), SIZE);
  }
});

t.test('readers get the same 4 GiB from the newest session', async (t) => {
  // Two readers at a time: the machine has two cores.
  const checks: Promise<void>[] = [];
  if (needs(t, 'bsdtar')) checks.push(contentOf('bsdtar', ['-xOf', medium, 'huge']).then((v) => void t.equal(v, 'ok', 'bsdtar')));
  if (needs(t, '7z')) checks.push(contentOf('7z', ['x', '-so', medium, 'huge']).then((v) => void t.equal(v, 'ok', '7z (Joliet)')));
  await Promise.all(checks);
  const more: Promise<void>[] = [];
  if (needs(t, 'xorriso')) {
    const out = join(work, 'x');
    must('xorriso', ['-osirrox', 'on:sparse=1m', '-indev', medium, '-extract', '/huge', out]);
    more.push(contentOfFile(out).then((v) => void t.equal(v, 'ok', 'xorriso')));
  }
  // iso-merge --data of the newest session: the data read back from both sections.
  more.push(
    new Promise<void>((resolve) => {
      const data = spawn(process.execPath, [bin('iso-merge'), '--dev', medium, '--data', '-n'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const tar = spawn('tar', ['-xOf', '-', 'huge'], { stdio: ['pipe', 'pipe', 'ignore'] });
      data.stdout.pipe(tar.stdin);
      const v = new Content();
      tar.stdout.on('data', (c: Buffer) => v.update(c));
      tar.on('close', () => {
        t.equal(v.verdict(), 'ok', 'iso-merge --data');
        resolve();
      });
    }),
  );
  await Promise.all(more);
  if (needs(t, KERNEL_ORACLE)) {
    const k = run(KERNEL_ORACLE, [medium], { env: { ...process.env, KERNEL_ORACLE_NO_SETUP: '1', KERNEL_ORACLE_MD5: '0' } });
    t.equal(k.status, 0, 'the kernel mounts it');
    t.match(String(k.stdout), new RegExp(`^/huge\\tfile\\t0644\\t0\\t0\\t${SIZE}\\t`, 'm'), 'the kernel lists the big file with its size');
    t.match(String(k.stdout), /^\/added\tfile\t/m);
  }
});
