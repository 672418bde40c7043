// Files iso-merge carries by reference keep the MD5 their session recorded (isofs.cx into the
// isofs.ca checksum array, written by iso-pack --md5 or xorriso -md5 on): iso-merge sends it
// as ISOPIPE.md5, so the next iso-pack --md5 session records every file and
// `xorriso -check_md5_r` finds none without an MD5. A damaged array is ignored, not trusted.
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { checksumAreaProblem } from '../dist/image/checksum-array.js';
import { Image } from '../dist/image/image.js';
import { md5 } from './helpers/merge.js';
import { bin, must, node, run } from './helpers/run.js';
import { needs } from './helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-merge-md5-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 151 + seed * 31 + (i >> 9)) & 0xff));

function put(root: string, path: string, data: string | Buffer): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), data);
  utimesSync(join(root, path), 1700000000, 1700000000);
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** tar c dir | iso-merge --mirror | iso-pack --md5 --prev $(cd-msinfo) | cd-write --multi */
function append(dir: string, medium: string): void {
  const n = q(process.execPath);
  const script = [
    // The first append starts a new medium, as the README's setup step does.
    `[ -e ${q(medium)} ] || ${n} ${q(bin('cd-write'))} --dev ${q(medium)} --create --blank || exit 8`,
    `prev=$(${n} ${q(bin('cd-msinfo'))} --dev ${q(medium)}) || exit 9`,
    `tar -C ${q(dir)} -cf - . | ${n} ${q(bin('iso-merge'))} --dev ${q(medium)} --mirror | ${n} ${q(bin('iso-pack'))} -q --md5 --prev "$prev" | ${n} ${q(bin('cd-write'))} --dev ${q(medium)} --multi`,
  ].join('\n');
  const r = run('bash', ['-o', 'pipefail', '-c', script]);
  if (r.status !== 0) throw new Error(`append to ${medium}: exit ${r.status}: ${r.stderr}`);
}

/** ISOPIPE.md5 of each reference iso-merge --mirror sends for `dir` over `medium`. */
async function referenceMd5s(dir: string, medium: string): Promise<Map<string, string | undefined>> {
  const tar = must('bash', ['-o', 'pipefail', '-c', `tar -C ${q(dir)} -cf - . | ${q(process.execPath)} ${q(bin('iso-merge'))} --dev ${q(medium)} --mirror`]);
  const out = new Map<string, string | undefined>();
  const x = tarStream.extract();
  x.on('entry', (h, stream, next) => {
    const pax = (h.pax ?? {}) as Record<string, string>;
    if (pax['ISOPIPE.extents'] !== undefined) out.set(h.name.replace(/^\.\//, ''), pax['ISOPIPE.md5']);
    stream.on('end', next);
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    x.on('finish', resolve);
    x.on('error', reject);
    x.end(tar);
  });
  return out;
}

function xorrisoCheck(t: Tap.Test, medium: string, what: string): void {
  const r = run('xorriso', ['-md5', 'on', '-indev', medium, '-check_md5_r', 'FAILURE', '/', '--']);
  const out = r.stdout.toString() + r.stderr;
  t.equal(r.status, 0, `${what}: xorriso -check_md5_r exits 0`) || t.comment(out);
  t.match(out, /File contents and their MD5 checksums match/, `${what}: xorriso: every file matches`);
  t.notMatch(out, /have no MD5/, `${what}: xorriso: no file without an MD5`);
  t.notMatch(out, /mismatch/i, `${what}: xorriso: no mismatch`);
}

function cdVerify(t: Tap.Test, medium: string, what: string): void {
  const v = node('cd-verify', ['--dev', medium]);
  t.equal(v.status, 0, `${what}: cd-verify exits 0`) || t.comment(v.stdout.toString() + v.stderr);
}

/** The MD5 the image reader offers for each file of the newest session, by path. */
function readerMd5s(medium: string): Map<string, string | undefined> {
  const image = Image.open(medium);
  try {
    const tree = image.session();
    const indexes = new Map<string, number | undefined>();
    let area;
    image.walk(tree, (e) => {
      if (e.path === '') area = e.checksumArea;
      if (e.type === 'file') indexes.set(e.path, e.checksumIndex);
    });
    const array = area ? image.checksumArray(tree, area) : null;
    return new Map([...indexes].map(([p, k]) => [p, k === undefined || !array ? undefined : array.fileMd5(k)]));
  } finally {
    image.close();
  }
}

t.test('iso-merge --mirror | iso-pack --md5: three sessions, every file keeps an MD5', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const src = join(work, 'three');
  put(src, 'a.txt', 'alpha\n');
  put(src, 'empty', '');
  put(src, 'd/big.bin', pattern(700_000, 1));
  put(src, 'd/small.bin', pattern(3000, 2));
  const medium = join(work, 'three.iso');
  append(src, medium);
  // The reader: isofs.ca on the root, isofs.cx on each file, MD5s from the array.
  const got = readerMd5s(medium);
  t.equal(got.get('d/big.bin'), md5(pattern(700_000, 1)), 'image reader: recorded MD5 of d/big.bin');
  t.equal(got.get('a.txt'), md5(Buffer.from('alpha\n')), 'image reader: recorded MD5 of a.txt');

  put(src, 'b.txt', 'beta\n');
  const refs = await referenceMd5s(src, medium);
  t.equal(refs.get('d/big.bin'), md5(pattern(700_000, 1)), 'reference d/big.bin carries ISOPIPE.md5');
  t.equal(refs.get('d/small.bin'), md5(pattern(3000, 2)), 'reference d/small.bin carries ISOPIPE.md5');
  t.equal(refs.get('a.txt'), md5(Buffer.from('alpha\n')), 'reference a.txt carries ISOPIPE.md5');
  append(src, medium);
  xorrisoCheck(t, medium, 'session 2');
  cdVerify(t, medium, 'session 2');

  // Session 3: references whose MD5 session 2 recorded from ISOPIPE.md5 (not from data).
  put(src, 'd/small.bin', pattern(3001, 3));
  utimesSync(join(src, 'd/small.bin'), 1700000100, 1700000100);
  const refs3 = await referenceMd5s(src, medium);
  t.equal(refs3.get('d/big.bin'), md5(pattern(700_000, 1)), 'session 3: big.bin still carries its MD5');
  t.equal(refs3.get('b.txt'), md5(Buffer.from('beta\n')), 'session 3: b.txt (written in session 2) carries its MD5');
  t.notOk(refs3.has('d/small.bin'), 'the changed file travels with its data');
  append(src, medium);
  xorrisoCheck(t, medium, 'session 3');
  cdVerify(t, medium, 'session 3');
});

t.test('an xorriso -md5 on session merged into an iso-pack --md5 session', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const src = join(work, 'xorriso');
  put(src, 'one.txt', 'one\n');
  put(src, 'sub/data.bin', pattern(250_000, 4));
  const medium = join(work, 'xorriso.iso');
  must('xorriso', ['-md5', 'on', '-dev', 'stdio:' + medium, '-map', src, '/', '-commit']);
  put(src, 'two.txt', 'two\n');
  const refs = await referenceMd5s(src, medium);
  t.equal(refs.get('sub/data.bin'), md5(pattern(250_000, 4)), "xorriso's recorded MD5 goes with the reference");
  t.equal(refs.get('one.txt'), md5(Buffer.from('one\n')));
  append(src, medium);
  xorrisoCheck(t, medium, 'after the iso-pack session');
  cdVerify(t, medium, 'after the iso-pack session');
});

t.test('a damaged or misplaced checksum array gives no MD5, and the merge still works', async (t) => {
  const src = join(work, 'damaged');
  put(src, 'f.txt', 'file\n');
  put(src, 'g.bin', pattern(5000, 5));
  const medium = join(work, 'damaged.iso');
  append(src, medium);
  const image = Image.open(medium);
  let area: { start: number; end: number; count: number; size: number; algorithm: string } | undefined;
  const tree = image.session();
  image.walk(tree, (e) => {
    if (e.path === '') area = e.checksumArea;
  });
  image.close();
  t.ok(area, 'the root records isofs.ca');
  if (!area) return;
  const session = { start: tree.session.start, size: tree.session.size };
  t.equal(checksumAreaProblem(area, session, 1 << 20), null, 'the real area fits');
  t.match(checksumAreaProblem({ ...area, count: 1 << 30 }, session, 1 << 20), /past the end of the medium/);
  t.match(checksumAreaProblem({ ...area, count: 1 }, session, 1 << 20), /at least 2/);
  t.match(checksumAreaProblem({ ...area, algorithm: 'SHA1' }, session, 1 << 20), /only MD5/);
  t.match(checksumAreaProblem({ ...area, end: session.start + session.size + 5 }, session, 1 << 20), /does not lie in the session/);

  // One byte of a file's MD5 in the array changed: the array's own MD5 no longer matches.
  const bad = join(work, 'damaged-array.iso');
  copyFileSync(medium, bad);
  const buf = readFileSync(bad);
  buf[area.end * 2048 + 16 + 5] ^= 0xff;
  writeFileSync(bad, buf);
  t.same([...readerMd5s(bad).values()], [undefined, undefined], 'no MD5 offered from a damaged array');
  const refs = await referenceMd5s(src, bad);
  t.same([...refs.keys()].sort(), ['f.txt', 'g.bin'], 'the files still go as references');
  t.same([...refs.values()], [undefined, undefined], 'without ISOPIPE.md5');
});
