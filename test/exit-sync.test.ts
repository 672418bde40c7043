// Once koffi is loaded (here: iso-pack enlarging its input pipe after 16 MiB), the
// process's exit fsyncs descriptors 1 and 2, which wrote a whole image to disk before
// `iso-pack > image` ended (src/session/libc.ts). The tools must end without syncing a
// regular file on stdout or stderr, with the image and the error lines still there.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, hasKoffi, patternedBytes, shQuote as q, tarOf } from './helpers/run.js';
import { needs } from './helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-exit-sync-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };

const tree = join(work, 'tree');
mkdirSync(tree);
writeFileSync(join(tree, 'big.bin'), patternedBytes(24 << 20, 5));
writeFileSync(join(tree, 'small.txt'), 'small\n');
const tarFile = join(work, 't.tar');
writeFileSync(tarFile, tarOf(tree, ['--format=gnu', '--sort=name']));
const isoPack = [process.execPath, bin('iso-pack'), '-q'].map(q).join(' ');

/** Runs `cmd` under strace; returns its exit status and the fsync calls on fd 1 or 2 that succeeded. */
function traced(cmd: string): { status: number | null; syncs: string[]; stderr: string } {
  const log = join(work, 'strace.log');
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync', '-o', log, 'bash', '-o', 'pipefail', '-c', cmd], { env });
  const syncs = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => /f(data)?sync\([12]\)\s*=\s*0/.test(l));
  return { status: r.status, syncs, stderr: String(r.stderr) };
}

t.test('iso-pack > FILE 2> FILE, koffi loaded: no sync of either at exit', { skip: !hasKoffi && 'without koffi there is nothing to sync' }, async (t) => {
  if (!needs(t, 'strace')) return;
  const image = join(work, 'out.iso');
  const errors = join(work, 'err.txt');
  const r = traced(`cat ${q(tarFile)} | ${isoPack} > ${q(image)} 2> ${q(errors)}`);
  t.equal(r.status, 0, r.stderr);
  t.same(r.syncs, [], 'no fsync of stdout or stderr');
  // The same image as into a pipe, where there is nothing to sync.
  const piped = spawnSync('bash', ['-o', 'pipefail', '-c', `${isoPack} -o - < ${q(tarFile)} | cat`], { env, maxBuffer: 1 << 30 });
  t.equal(piped.status, 0, String(piped.stderr));
  t.ok(readFileSync(image).equals(piped.stdout), 'the image is whole');
});

t.test('a failing iso-pack still leaves its one line in a stderr file', { skip: !hasKoffi && 'without koffi there is nothing to sync' }, async (t) => {
  if (!needs(t, 'strace')) return;
  const cut = join(work, 'cut.tar');
  writeFileSync(cut, readFileSync(tarFile).subarray(0, 20 << 20));
  const errors = join(work, 'err.txt');
  const r = traced(`cat ${q(cut)} | ${isoPack} > ${q(join(work, 'cut.iso'))} 2> ${q(errors)}`);
  t.equal(r.status, 1);
  t.same(r.syncs, [], 'no fsync of stdout or stderr');
  const lines = readFileSync(errors, 'utf8').split('\n').filter(Boolean);
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], /^iso-pack: /, 'naming the tool');
});
