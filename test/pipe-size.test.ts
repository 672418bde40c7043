// Long streams get larger pipes (src/session/pipe-size.ts): a reader asks for 1 MiB once
// it has read LONG_STREAM_BYTES from a pipe, and what it reads is unchanged by that. Needs
// koffi (an optional dependency) for the size itself; without it only the plain cases run.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enlargePipe, LONG_STREAM_BYTES, LONG_STREAM_PIPE_BYTES, pipeSize } from '../src/session/pipe-size.js';
import { bin, hasKoffi } from './helpers/run.js';

const dist = (m: string) => new URL(`../dist/session/${m}`, import.meta.url).href;

const work = mkdtempSync(join(tmpdir(), 'isopipe-pipe-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** A child reads all of its stdin, a shell's pipe (Node's own stdio pipes are socket
 *  pairs), through readChunks, then reports. */
function readThroughChild(input: Buffer): { before: number | null; after: number | null; bytes: number; sha: string } {
  const script = `
    import { createHash } from 'node:crypto';
    const { readChunks } = await import(${JSON.stringify(dist('io.js'))});
    const { pipeSize } = await import(${JSON.stringify(dist('pipe-size.js'))});
    const before = pipeSize(0);
    const h = createHash('sha256');
    let bytes = 0;
    for (const c of readChunks(0)) { h.update(c); bytes += c.length; }
    console.log(JSON.stringify({ before, after: pipeSize(0), bytes, sha: h.digest('hex') }));`;
  const file = join(work, 'input');
  writeFileSync(file, input);
  const r = spawnSync('sh', ['-c', 'cat "$1" | "$2" --input-type=module -e "$3"', 'sh', file, process.execPath, script], { maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

t.test('a regular file is no pipe: nothing is asked, nothing changes', async (t) => {
  const file = join(work, 'f');
  writeFileSync(file, 'x');
  const fd = openSync(file, 'r');
  t.teardown(() => closeSync(fd));
  t.equal(pipeSize(fd), null);
  t.equal(enlargePipe(fd), false);
});

t.test('a pipe grows, and never shrinks', { skip: !hasKoffi && 'needs koffi' }, async (t) => {
  const fifo = join(work, 'fifo');
  spawnSync('mkfifo', [fifo]);
  const fd = openSync(fifo, constants.O_RDWR);
  t.teardown(() => closeSync(fd));
  const start = pipeSize(fd);
  t.ok(start !== null && start < LONG_STREAM_PIPE_BYTES, `a new pipe is smaller (${start})`);
  t.equal(enlargePipe(fd), true);
  t.equal(pipeSize(fd), LONG_STREAM_PIPE_BYTES);
  t.equal(enlargePipe(fd, 1 << 18), true, 'it holds more than asked already');
  t.equal(pipeSize(fd), LONG_STREAM_PIPE_BYTES, 'and keeps it');
});

t.test('a long stream through a pipe: the pipe grows to 1 MiB, the bytes arrive unchanged', { skip: !hasKoffi && 'needs koffi' }, async (t) => {
  const input = randomBytes(LONG_STREAM_BYTES + (3 << 20));
  const r = readThroughChild(input);
  t.ok(r.before !== null && r.before < LONG_STREAM_PIPE_BYTES, `the pipe starts smaller (${r.before})`);
  t.equal(r.after, LONG_STREAM_PIPE_BYTES);
  t.equal(r.bytes, input.length);
  t.equal(r.sha, createHash('sha256').update(input).digest('hex'));
});

t.test('a short stream keeps its pipe as it was', { skip: !hasKoffi && 'needs koffi' }, async (t) => {
  const input = randomBytes(LONG_STREAM_BYTES >> 2);
  const r = readThroughChild(input);
  t.equal(r.after, r.before);
  t.equal(r.bytes, input.length);
  t.equal(r.sha, createHash('sha256').update(input).digest('hex'));
});

/** What `producer` (a shell command) writes, read by a child with plain reads that never
 *  resize the pipe, then the pipe's size as the reader sees it. */
function pipeAfter(producer: string): { size: number | null; bytes: number } {
  const reader = `
    import { readSync } from 'node:fs';
    const { pipeSize } = await import(${JSON.stringify(dist('pipe-size.js'))});
    const buf = Buffer.alloc(1 << 16);
    let bytes = 0;
    for (let n; (n = readSync(0, buf)) > 0; ) bytes += n;
    console.log(JSON.stringify({ size: pipeSize(0), bytes }));`;
  const r = spawnSync('sh', ['-c', `${producer} | "$1" --input-type=module -e "$2"`, 'sh', process.execPath, reader], { maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

t.test("iso-pack's head-last stream grows the pipe it goes into once it is long", { skip: !hasKoffi && 'needs koffi' }, async (t) => {
  const dir = join(work, 'tree');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'big'), randomBytes(LONG_STREAM_BYTES + (1 << 20)));
  writeFileSync(join(dir, 'small'), 'x');
  const tar = (name: string) => `tar -c -f - -C '${dir}' ${name} | '${process.execPath}' '${bin('iso-pack')}'`;
  const long = pipeAfter(tar('.'));
  t.equal(long.size, LONG_STREAM_PIPE_BYTES);
  t.ok(long.bytes > LONG_STREAM_BYTES);
  const short = pipeAfter(tar('small'));
  t.ok(short.size !== null && short.size < LONG_STREAM_PIPE_BYTES, `a short stream's pipe is left as it was (${short.size})`);
});

t.test("iso-merge's tar output grows the pipe it goes into once it is long", { skip: !hasKoffi && 'needs koffi' }, async (t) => {
  const writer = `
    const { TarOutput } = await import(${JSON.stringify(new URL('../dist/merge/tar-output.js', import.meta.url).href)});
    const out = new TarOutput(1);
    const data = Buffer.alloc(1 << 20, 1);
    for (let i = 0; i < 20; i++) {
      out.header({ path: 'f' + i, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: data.length });
      out.data(data);
      out.endData(data.length);
    }
    out.finish();`;
  const r = pipeAfter(`'${process.execPath}' --input-type=module -e "${writer.replace(/"/g, '\\"')}"`);
  t.equal(r.size, LONG_STREAM_PIPE_BYTES);
  t.ok(r.bytes > 20 << 20);
});
