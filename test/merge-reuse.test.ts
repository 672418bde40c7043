// iso-merge --mirror re-writes only changed bytes (issue 11) and writes no session when
// nothing changed (issue 12, item 8), through the pipeline a user runs:
//   tar c dir | iso-merge --mirror -v | iso-pack --md5 --prev $(cd-msinfo) | cd-write --multi --json
// chmod/chown of a 2 MB file, a renamed directory of small files, touched files and a copy
// grow the medium by metadata only; the readers see the new names and modes; a run with
// nothing changed leaves the medium byte for byte as it was; iso-merge --data --session N
// of every session restores exactly that session's tree.
import t from 'tap';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type Field, hostTree, type HostEntry, linkGroups, sessionStarts, untar } from './helpers/merge.js';
import { bin, must, node, run } from './helpers/run.js';
import { needs } from './helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-reuse-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const src = join(work, 'src');
const medium = join(work, 'medium.iso');
const T0 = 1_700_000_000;
const BULK = 2 * 1024 * 1024;
const LONG = 'L'.repeat(160) + '.txt';
/** A session of metadata only: well under the 2 MB file or the small files' bytes. */
const METADATA = 256 * 1024;

const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => ((i * 2654435761 + seed * 40503) >>> 13) & 0xff));

function put(rel: string, data: string | Buffer, k: number, mode = 0o644) {
  const p = join(src, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
  chmodSync(p, mode);
  utimesSync(p, T0 + k * 1000, T0 + k * 1000);
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Append {
  status: number | null;
  stderr: string;
  json: { start: number; sectors: number; next: number; unchanged: boolean } | null;
  grown: number;
}

function append(mergeArgs: string[] = []): Append {
  const n = q(process.execPath);
  const script = [
    `prev=$(${n} ${q(bin('cd-msinfo'))} --dev ${q(medium)}) || exit 9`,
    `tar -C ${q(src)} -cf - . | ${n} ${q(bin('iso-merge'))} --dev ${q(medium)} --mirror -v ${mergeArgs.map(q).join(' ')} | ${n} ${q(bin('iso-pack'))} -q --md5 --prev "$prev" | ${n} ${q(bin('cd-write'))} --dev ${q(medium)} --multi --json`,
  ].join('\n');
  const before = statSync(medium).size;
  const r = run('bash', ['-o', 'pipefail', '-c', script]);
  const text = String(r.stdout).trim();
  return { status: r.status, stderr: r.stderr, json: text ? JSON.parse(text) : null, grown: statSync(medium).size - before };
}

const FIELDS: Field[] = ['type', 'perm', 'owner', 'size', 'mtime', 'target', 'md5'];
const notRoot = (p: string) => p !== '';
const snapshots: Map<string, HostEntry>[] = [];

function sameTree(t: Tap.Test, got: Map<string, HostEntry>, want: Map<string, HostEntry>, what: string) {
  t.strictSame(describe(got, FIELDS, notRoot), describe(want, FIELDS, notRoot), `${what}: names, modes, owners, times and contents`);
  t.strictSame(linkGroups(got), linkGroups(want), `${what}: no hard links made up`);
}

/** The newest session as xorriso and bsdtar extract it equals the source tree. */
function readersSeeSource(t: Tap.Test, what: string) {
  const want = hostTree(src);
  if (needs(t, 'xorriso')) {
    const out = join(work, 'x-out');
    must('xorriso', ['-osirrox', 'on', '-hardlinks', 'on', '-indev', medium, '-extract', '/', out]);
    sameTree(t, hostTree(out), want, `${what}: xorriso`);
    rmSync(out, { recursive: true, force: true });
  }
  if (needs(t, 'bsdtar')) {
    const out = join(work, 'b-out');
    mkdirSync(out);
    must('bsdtar', ['--numeric-owner', '-xpf', medium, '-C', out]);
    sameTree(t, hostTree(out), want, `${what}: bsdtar`);
    rmSync(out, { recursive: true, force: true });
  }
}

/** One mirror session that must cost metadata only. */
function metadataOnly(t: Tap.Test, what: string, report: RegExp, mergeArgs: string[] = []) {
  const r = append(mergeArgs);
  t.equal(r.status, 0, `${what}: pipeline exits 0 (${r.stderr.trim()})`);
  t.equal(r.json?.unchanged, false, `${what}: a session is written`);
  t.ok(r.grown > 0 && r.grown < METADATA, `${what}: the medium grew by ${r.grown} bytes, metadata only`);
  t.match(r.stderr, report, `${what}: the -v report`);
  snapshots.push(hostTree(src));
  readersSeeSource(t, what);
  return r;
}

t.test('session 1: the tree with its data', async (t) => {
  mkdirSync(src);
  writeFileSync(medium, '');
  put('bulk.bin', pattern(BULK, 1), 1);
  for (let i = 0; i < 20; i++) put(`small/f${i}`, pattern(1000 + i * 300, i + 10), 1);
  put('big.bin', pattern(20_000, 99), 1);
  put('keep.txt', 'keep\n', 1);
  put('empty', '', 1);
  put(LONG, 'long name\n', 1);
  symlinkSync('keep.txt', join(src, 'link'));
  const r = append();
  t.equal(r.status, 0, r.stderr);
  t.ok(r.grown > BULK, 'the data went out once');
  snapshots.push(hostTree(src));
  readersSeeSource(t, 'session 1');
});

t.test('session 2: chmod and chown of a 2 MB file cost metadata only', async (t) => {
  chmodSync(join(src, 'bulk.bin'), 0o755);
  chownSync(join(src, 'bulk.bin'), 1234, 5678);
  metadataOnly(
    t,
    'chmod',
    /reused 24 files \(2\.2 MB not re-written; 1 with new attributes, 0 found by MD5\), re-written 1 files \(0\.0 MB: 0 new, 0 changed, 1 unchanged but long-named\)/,
  );
});

t.test('session 3: a renamed directory of small files is found by MD5', async (t) => {
  renameSync(join(src, 'small'), join(src, 'renamed'));
  metadataOnly(t, 'rename', /reused 24 files .*20 found by MD5\), re-written 1 files .*deleted 20/);
});

t.test('session 4: touched files whose bytes did not change are found by MD5', async (t) => {
  for (let i = 0; i < 20; i++) utimesSync(join(src, 'renamed', `f${i}`), T0 + 4000, T0 + 4000);
  utimesSync(join(src, 'keep.txt'), T0 + 4000, T0 + 4000);
  chmodSync(join(src, 'renamed', 'f3'), 0o600); // touched and chmod: both recorded
  metadataOnly(t, 'touch', /reused 24 files .*21 found by MD5\), re-written 1 files .*deleted 0/);
});

t.test('session 5: a copy and a long name made short are found by MD5; a touched file over --hash-limit is sent again', async (t) => {
  copyFileSync(join(src, 'renamed', 'f7'), join(src, 'copy-of-f7'));
  renameSync(join(src, LONG), join(src, 'short.txt')); // its old record needed a continuation area; the new one does not
  put('M'.repeat(170), 'long again\n', 5); // so that the unchanged runs below hold long-named data back in iso-pack
  utimesSync(join(src, 'copy-of-f7'), T0 + 5000, T0 + 5000);
  utimesSync(join(src, 'big.bin'), T0 + 5000, T0 + 5000);
  const r = append(['--hash-limit', '16K']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /reused 25 files .*2 found by MD5\), re-written 2 files \(0\.0 MB: 1 new, 1 changed\), deleted 1/, 'the -v report');
  t.ok(r.grown >= 20_000 && r.grown < 20_000 + METADATA, `big.bin (20 kB, over 16K) sent again: grew ${r.grown}`);
  snapshots.push(hostTree(src));
  readersSeeSource(t, 'copy');
});

t.test('nothing changed: cd-write writes no session, says so, exits 0', async (t) => {
  const before = readFileSync(medium);
  const starts = sessionStarts(medium);
  const msinfo = String(must(process.execPath, [bin('cd-msinfo'), '--dev', medium])).trim();
  const r = append();
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /iso-merge: nothing changed since session 5/, 'iso-merge -v says so');
  t.match(r.stderr, /cd-write: nothing changed since the newest session .*no session written/, 'cd-write says so');
  t.match(r.json, { unchanged: true, sectors: 0 }, '--json reports it');
  t.equal(r.json?.next, Number(msinfo.split(',')[1]), '--json: the next writable address is as before');
  t.ok(readFileSync(medium).equals(before), 'the medium is byte for byte as it was');
  t.strictSame(sessionStarts(medium), starts, 'no session added');
  t.equal(String(must(process.execPath, [bin('cd-msinfo'), '--dev', medium])).trim(), msinfo, 'cd-msinfo prints the same');

  // The unchanged run reads and drops every file: touching the data costs nothing either.
  const again = append();
  t.equal(again.json?.unchanged, true, 'a second run: still nothing');
  t.ok(readFileSync(medium).equals(before), 'still byte for byte');
});

t.test('the mark: a pax global header tar ignores; iso-pack -o writes the image anyway', async (t) => {
  const tar = must('bash', ['-o', 'pipefail', '-c', `tar -C ${q(src)} -cf - . | ${q(process.execPath)} ${q(bin('iso-merge'))} --dev ${q(medium)} --mirror`]);
  t.match(tar.toString('latin1'), /\d+ ISOPIPE\.unchanged=5\n/, 'ISOPIPE.unchanged names the session');
  const list = run('tar', ['-tf', '-'], { input: tar });
  t.equal(list.status, 0, `GNU tar reads the merged tar: ${list.stderr}`);
  const msinfo = String(must(process.execPath, [bin('cd-msinfo'), '--dev', medium])).trim();
  const image = join(work, 'plain.iso');
  const r = node('iso-pack', ['-v', '--prev', msinfo, '-o', image], { input: tar });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /nothing changed/, 'a plain image is not marked');
  const pvd = readFileSync(image).subarray(16 * 2048, 16 * 2048 + 6);
  t.equal(pvd.toString('latin1'), '\x01CD001', 'the whole image, head included');
});

t.test('something changed after all: a session again', async (t) => {
  put('renamed/f0', 'new content\n', 6);
  const r = append();
  t.equal(r.status, 0, r.stderr);
  t.equal(r.json?.unchanged, false);
  t.match(r.stderr, /re-written 2 files .*1 changed, 1 unchanged but long-named/);
  snapshots.push(hostTree(src));
  readersSeeSource(t, 'after the pause');
});

t.test('iso-merge --data --session N restores exactly session N', async (t) => {
  const starts = sessionStarts(medium);
  t.equal(starts.length, snapshots.length, 'one session per snapshot');
  for (let k = 0; k < snapshots.length; k++) {
    const r = node('iso-merge', ['--dev', medium, '--data', '--session', String(k + 1), '-n']);
    t.equal(r.status, 0, r.stderr);
    const out = join(work, `data-${k}`);
    untar(r.stdout, out);
    sameTree(t, hostTree(out), snapshots[k], `session ${k + 1} via iso-merge --data`);
    rmSync(out, { recursive: true, force: true });
  }
});

t.test('the unchanged judgement: --data of a session mirrored onto it is unchanged, marked only for the newest', async (t) => {
  const n = snapshots.length;
  const mark = (session: number, mirrorArgs: string[]) => {
    const restored = node('iso-merge', ['--dev', medium, '--data', '--session', String(session), '-n']);
    t.equal(restored.status, 0, restored.stderr);
    const r = node('iso-merge', ['--dev', medium, '--mirror', '-v', ...mirrorArgs], { input: restored.stdout });
    t.equal(r.status, 0, r.stderr);
    return { marked: /ISOPIPE\.unchanged=/.test(r.stdout.toString('latin1')), stderr: r.stderr };
  };
  const newest = mark(n, []);
  t.ok(newest.marked, 'the newest session restored and mirrored: marked unchanged');
  t.match(newest.stderr, new RegExp(`nothing changed since session ${n}`));
  const older = mark(n - 1, ['--session', String(n - 1)]);
  t.notOk(older.marked, 'session N-1 against itself: not marked, cd-write would leave the newest session in place');
  t.notOk(mark(n - 1, []).marked, 'session N-1 against the newest: changed');
});

t.test('--hash-limit: sizes, and only with --mirror', async (t) => {
  for (const bad of ['x', '1T', '1.5M']) {
    const r = node('iso-merge', ['--dev', medium, '--mirror', '--hash-limit', bad, '-n']);
    t.equal(r.status, 2, `--hash-limit ${bad}: usage error`);
    t.match(r.stderr, /^iso-merge: --hash-limit wants a size/);
  }
  const r = node('iso-merge', ['--dev', medium, '--hash-limit', '1M', '-n']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--hash-limit applies to --mirror only/);
  const ok = node('iso-merge', ['--dev', medium, '--mirror', '--hash-limit', '0', '-n']);
  t.equal(ok.status, 0, ok.stderr);
});

t.test('cd-verify checks every recorded MD5 of the references', async (t) => {
  const r = node('cd-verify', ['--dev', medium]);
  t.equal(r.status, 0, `cd-verify exits 0: ${r.stderr}${String(r.stdout).slice(-500)}`);
  if (needs(t, 'xorriso')) {
    const x = run('xorriso', ['-md5', 'on', '-indev', medium, '-check_md5_r', 'FAILURE', '/', '--']);
    t.equal(x.status, 0, 'xorriso -check_md5_r: every file matches its recorded MD5');
  }
});

t.test('closing the medium (no --multi) writes the last session even when nothing changed', async (t) => {
  const copy = join(work, 'closing.iso');
  copyFileSync(medium, copy);
  const n = q(process.execPath);
  const script = [
    `prev=$(${n} ${q(bin('cd-msinfo'))} --dev ${q(copy)}) || exit 9`,
    `tar -C ${q(src)} -cf - . | ${n} ${q(bin('iso-merge'))} --dev ${q(copy)} --mirror | ${n} ${q(bin('iso-pack'))} -q --md5 --prev "$prev" | ${n} ${q(bin('cd-write'))} --dev ${q(copy)} --json`,
  ].join('\n');
  const before = sessionStarts(copy).length;
  const r = run('bash', ['-o', 'pipefail', '-c', script]);
  t.equal(r.status, 0, r.stderr);
  t.match(JSON.parse(String(r.stdout)), { unchanged: false, state: 'closed' });
  t.equal(sessionStarts(copy).length, before + 1, 'one session more');
});
