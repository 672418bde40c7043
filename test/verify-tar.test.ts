// `tar c dir | cd-verify`: the tar compared entry by entry with the newest session (or
// --session N) of a medium written through iso-merge --mirror | iso-pack | cd-write: an exact
// match passes (files reused from the first session included); a changed byte, a changed
// mode, a missing and an extra file are each reported with their path (and the byte's LBA).
import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, gnuTar, tool, verify, type VerifyRun } from './helpers/verify.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-verify-tar-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 8)) & 0xff));
const src = join(work, 'src');
function put(path: string, data: string | Buffer): void {
  mkdirSync(join(src, path, '..'), { recursive: true });
  writeFileSync(join(src, path), data);
  utimesSync(join(src, path), 1700000000, 1700000000);
}
put('keep/big.bin', pattern(300000, 1));
put('keep/small.txt', 'small\n');
put('change/me.bin', pattern(50000, 2));
put('gone.txt', 'to be deleted\n');
put('empty', '');

/** Directories get fixed times, so that only what a test changes differs. */
function settle(): void {
  for (const d of ['', 'keep', 'change']) utimesSync(join(src, d), 1700000100, 1700000100);
}

const img = join(work, 'medium.iso');
tool('cd-write', ['--dev', img, '--create', '--blank']); // a new medium, as the README's set-up step makes it
function mirror(): void {
  settle();
  const next = tool('cd-msinfo', ['--dev', img]).stdout.toString().trim();
  const merged = tool('iso-merge', ['--dev', img, '--mirror'], gnuTar(src));
  if (merged.status !== 0) throw new Error(merged.stderr.toString());
  const packed = tool('iso-pack', ['--prev', next], merged.stdout);
  if (packed.status !== 0) throw new Error(packed.stderr.toString());
  const w = tool('cd-write', ['--create', '--dev', img, '--multi'], packed.stdout);
  if (w.status !== 0) throw new Error(w.stderr.toString());
}

mirror();
const firstTar = gnuTar(src);
put('change/me.bin', pattern(50000, 3));
utimesSync(join(src, 'change/me.bin'), 1700000200, 1700000200); // changed: iso-merge --mirror must not reuse it
unlinkSync(join(src, 'gone.txt'));
put('new.txt', 'new\n');
mirror();

function has(v: VerifyRun, want: Record<string, unknown>): boolean {
  return v.findings.some((f) => Object.entries(want).every(([k, x]) => f[k] === x));
}

t.test('exact match, files reused from the first session included', async (t) => {
  const v = verify(['--dev', img], gnuTar(src));
  t.equal(v.status, 0, 'exit 0');
  t.same(v.findings, []) || t.comment(describe(v));
  t.equal(v.summary?.files, 5, 'every regular file compared by content');
  t.ok(Number(v.summary?.bytes) >= 300000 + 50000, 'their bytes read back');
  const old = verify(['--dev', img, '--session', '1'], firstTar);
  t.equal(old.status, 0, '--session 1 against the first tar');
  t.same(old.findings, []) || t.comment(describe(old));
  const wrong = verify(['--dev', img, '--session', '1'], gnuTar(src));
  t.equal(wrong.status, 1, 'the new tar does not match session 1');
  t.ok(has(wrong, { kind: 'content', path: '/change/me.bin' }));
  t.ok(has(wrong, { kind: 'missing', path: '/new.txt' }));
  t.ok(has(wrong, { kind: 'extra', path: '/gone.txt' }));
  t.equal(verify(['--dev', img, '-n'], gnuTar(src).subarray(0, 4096)).summary?.files, 0, '-n: stdin ignored');
});

t.test('a changed byte', async (t) => {
  const path = join(src, 'keep/big.bin');
  const data = readFileSync(path);
  data[123456] ^= 0x5a;
  writeFileSync(path, data);
  utimesSync(path, 1700000000, 1700000000);
  try {
    const v = verify(['--dev', img], gnuTar(src));
    t.equal(v.status, 1);
    const f = v.findings.find((x) => x.kind === 'content');
    t.ok(f, 'a content finding') || t.comment(describe(v));
    t.equal(f?.path, '/keep/big.bin');
    t.equal(f?.session, 2);
    t.match(String(f?.message), /byte 123456/);
    // The file's data still lies in session 1 (reused by --mirror): the LBA names that sector.
    const start = Number(JSON.parse(tool('cd-msinfo', ['--dev', img, '--json']).stdout.toString()).sessions[1].start);
    t.ok(Number(f?.lba) < start, 'the LBA lies in the first session');
    t.equal(v.findings.length, 1, 'nothing else differs');
  } finally {
    data[123456] ^= 0x5a;
    writeFileSync(path, data);
    utimesSync(path, 1700000000, 1700000000);
  }
});

t.test('a changed mode', async (t) => {
  const path = join(src, 'keep/small.txt');
  const mode = statSync(path).mode & 0o7777;
  chmodSync(path, 0o600);
  try {
    const v = verify(['--dev', img], gnuTar(src));
    t.equal(v.status, 1);
    t.ok(has(v, { kind: 'mode', path: '/keep/small.txt', expected: '0600', found: '0' + mode.toString(8) })) || t.comment(describe(v));
    t.equal(v.findings.length, 1);
  } finally {
    chmodSync(path, mode);
  }
});

t.test('a missing and an extra file', async (t) => {
  put('only-in-tar.txt', 'x\n');
  const keep = readFileSync(join(src, 'new.txt'));
  unlinkSync(join(src, 'new.txt'));
  settle();
  try {
    const v = verify(['--dev', img], gnuTar(src));
    t.equal(v.status, 1);
    t.ok(has(v, { kind: 'missing', path: '/only-in-tar.txt' }), 'the tar has a file the session lacks') || t.comment(describe(v));
    t.ok(has(v, { kind: 'extra', path: '/new.txt' }), 'the session has a file the tar lacks') || t.comment(describe(v));
    t.equal(v.findings.length, 2, 'nothing else') || t.comment(describe(v));
  } finally {
    unlinkSync(join(src, 'only-in-tar.txt'));
    writeFileSync(join(src, 'new.txt'), keep);
    utimesSync(join(src, 'new.txt'), 1700000000, 1700000000);
    settle();
  }
});

t.test("iso-merge's references compared by extent", async (t) => {
  const merged = tool('iso-merge', ['--dev', img, '--mirror'], gnuTar(src));
  t.equal(merged.status, 0);
  const v = verify(['--dev', img], merged.stdout);
  t.equal(v.status, 0, "every reference names the session's extents") || t.comment(describe(v));
});

t.test('a broken tar', async (t) => {
  const tar = gnuTar(src);
  const v = verify(['--dev', img], tar.subarray(0, 512 + 1000));
  t.equal(v.status, 1);
  t.ok(v.findings.some((f) => f.kind === 'tar' && /truncated/.test(String(f.message)))) || t.comment(describe(v));
});
