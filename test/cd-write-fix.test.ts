// A torn or stale medium head (issue #11): LBA 16–31 overwritten with a mix of two heads is
// found by cd-msinfo, cd-verify and cd-write (which refuses to append and says to run
// -fix); `cd-write -fix` rewrites the head from the newest complete session, also after a
// -fix that was killed; xorriso and bsdtar then read every session, and the next append works.
// (The kernel's view is checked in test/interop/head-fix-kernel.test.ts.)
import t from 'tap';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withReader } from './helpers/skip.js';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-fix-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000', ISOPIPE_TEST_KILL_AT: '' };
const SECTOR = 2048;

function run(cmd: string, args: string[], input?: Buffer, env = ENV): SpawnSyncReturns<Buffer> {
  return spawnSync(cmd, args, { input, env, cwd: work, maxBuffer: 1 << 30 });
}
const node = (tool: string, args: string[], input?: Buffer, env = ENV) => run(process.execPath, [join(BIN, `${tool}.js`), ...args], input, env);
const msinfo = (img: string) => node('cd-msinfo', ['--dev', img]);

function tarOf(name: string): Buffer {
  const dir = join(work, 'src', name);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'sub', `${name} with a long Joliet name.txt`), `${name}\n`.repeat(1000));
  return run('tar', ['-C', join(work, 'src'), '-cf', '-', name]).stdout;
}
function append(img: string, name: string): SpawnSyncReturns<Buffer> {
  const prev = msinfo(img).stdout.toString().trim();
  return node('cd-write', ['--dev', img, '--multi'], node('iso-pack', ['--prev', prev], tarOf(name)).stdout);
}
const head = (img: string) => readFileSync(img).subarray(0, 32 * SECTOR);

// s1, s2 → head H2; s3 → head H3.
const base = join(work, 'base.iso');
t.equal(node('cd-write', ['--dev', base, '--create', '--blank']).status, 0);
t.equal(append(base, 's1').status, 0);
t.equal(append(base, 's2').status, 0);
const h2 = Buffer.from(head(base));
t.equal(append(base, 's3').status, 0);
const h3 = Buffer.from(head(base));
const starts = [32, 96, 160];

/** The medium with LBA 16–31 taken from two heads: `from` says which head each sector comes from. */
function torn(name: string, from: (lba: number) => Buffer): string {
  const img = join(work, name);
  copyFileSync(base, img);
  const b = readFileSync(img);
  for (let lba = 16; lba < 32; lba++) from(lba).copy(b, lba * SECTOR, lba * SECTOR, (lba + 1) * SECTOR);
  writeFileSync(img, b);
  return img;
}

const mixes: Record<string, (lba: number) => Buffer> = {
  // the old PVD, the new rest (the commit write of 16–17 never happened, 17–31 from elsewhere)
  'old 16, new 17-31': (lba) => (lba === 16 ? h2 : h3),
  // the 4 KiB commit write torn between its two sectors: new 16, old 17
  'new 16, old 17, new 18-31': (lba) => (lba === 17 ? h2 : h3),
};

for (const [label, from] of Object.entries(mixes)) {
  t.test(`torn head: ${label}`, async (t) => {
    const img = torn(`torn-${label.replace(/[^a-z0-9]+/g, '-')}.iso`, from);
    const before = readFileSync(img);
    const m = msinfo(img);
    t.equal(m.status, 1, 'cd-msinfo exits 1');
    t.match(
      m.stderr.toString(),
      /^cd-msinfo: .*: the medium head \(LBA 16–31\) does not match the newest complete session \(session \d at LBA \d+\): .*; it looks torn or stale: cd-write -fix rewrites it from the newest complete session\n$/,
    );
    const toc = node('cd-msinfo', ['--dev', img, '--toc']);
    t.equal(toc.status, 1);
    t.match(toc.stdout.toString(), /\nproblem: the medium head/);
    const v = node('cd-verify', ['--dev', img, '-n']);
    t.equal(v.status, 1, 'cd-verify finds it');
    t.match(v.stdout.toString(), /"kind":"medium-head"/);
    t.match(v.stderr.toString(), /cd-write -fix rewrites it from the newest complete session/, 'and says how to repair it');
    const w = append(img, 'refused');
    t.equal(w.status, 1, 'an append refuses');
    t.match(w.stderr.toString(), /^cd-write: the medium head \(LBA 16–31\) does not match .*cd-write -fix rewrites it .* \(--force to append anyway\)\n$/);
    t.ok(readFileSync(img).equals(before), 'and writes nothing');

    const fix = node('cd-write', ['--dev', img, '-fix']);
    t.equal(fix.status, 0, fix.stderr.toString());
    t.match(fix.stderr.toString(), /^cd-write: .*: medium head rewritten from session 3 at LBA 160; the medium ends at \d+, next writable address \d+\n$/);
    t.ok(head(img).equals(h3), 'the head is byte for byte the one the last commit wrote');
    t.equal(msinfo(img).status, 0);
    t.equal(node('cd-verify', ['--dev', img, '-n', '-q']).status, 0, 'cd-verify passes');
    await withReader(t, 'xorriso', () => {
      const x = run('xorriso', ['-indev', `stdio:${img}`, '-toc']).stdout.toString();
      t.same(
        [...x.matchAll(/^ISO session\s*:\s*\d+\s*,\s*(\d+)/gm)].map((mm) => Number(mm[1])),
        starts,
        'xorriso lists every session',
      );
      for (const [i, s] of starts.entries()) {
        const ls = run('xorriso', ['-indev', `stdio:${img}`, '-load', 'sbsector', String(s), '-ls', `/s${i + 1}/sub`]).stdout.toString();
        t.match(ls, new RegExp(`s${i + 1} with a long Joliet name\\.txt`), `xorriso reads session ${i + 1}`);
      }
    });
    await withReader(t, 'bsdtar', () => {
      t.match(run('bsdtar', ['tf', img]).stdout.toString(), /s3\/sub\/s3 with a long Joliet name\.txt/, 'bsdtar reads the newest session');
    });
    const again = node('cd-write', ['--dev', img, '-fix']);
    t.equal(again.status, 0);
    t.match(again.stderr.toString(), /nothing to fix/);
    t.equal(append(img, 's4').status, 0, 'the next append works');
    t.equal(JSON.parse(node('cd-msinfo', ['--dev', img, '--json']).stdout.toString()).sessions.length, 4);
  });
}

t.test('a -fix killed half way can be run again', async (t) => {
  for (const phase of ['fix-prepared', 'fix-committed']) {
    const img = torn(`killed-${phase}.iso`, mixes['old 16, new 17-31']);
    const k = node('cd-write', ['--dev', img, '-fix'], undefined, { ...ENV, ISOPIPE_TEST_KILL_AT: phase });
    t.equal(k.signal, 'SIGKILL', `killed at ${phase}`);
    const fix = node('cd-write', ['--dev', img, '-fix']);
    t.equal(fix.status, 0, fix.stderr.toString());
    t.ok(head(img).equals(h3), `${phase}: restored`);
    t.equal(append(img, `after-${phase}`).status, 0);
  }
});

t.test('a head that was wiped (no descriptor at LBA 16) is found and rebuilt', async (t) => {
  const img = torn('wiped.iso', () => Buffer.alloc(32 * SECTOR, 0x55));
  const m = msinfo(img);
  t.equal(m.status, 1);
  t.match(m.stderr.toString(), /holds no ISO 9660 volume descriptor set, but 3 session\(s\) follow from LBA 32/);
  const v = node('cd-verify', ['--dev', img, '-n']);
  t.equal(v.status, 1);
  t.match(
    v.stdout.toString(),
    /"kind":"medium-head".*holds no ISO 9660 volume descriptor set, but 3 session\(s\) follow from LBA 32; it looks torn or stale: cd-write -fix/,
  );
  t.equal(node('cd-write', ['--dev', img, '-fix']).status, 0);
  t.ok(
    head(img)
      .subarray(16 * SECTOR)
      .equals(h3.subarray(16 * SECTOR)),
    'descriptors restored',
  );
  t.equal(msinfo(img).stdout.toString(), '0,224\n');
});

t.test('xorriso-made media pass the head check', async (t) => {
  await withReader(t, 'xorriso', () => {
    const img = join(work, 'xorriso.iso');
    for (const s of ['x1', 'x2']) {
      tarOf(s);
      t.equal(run('xorriso', ['-dev', `stdio:${img}`, '-md5', 'on', '-joliet', 'on', '-map', join(work, 'src', s), `/${s}`, '-commit']).status, 0);
    }
    t.equal(msinfo(img).status, 0, 'no problem reported');
    t.equal(append(img, 'x3').status, 0, 'cd-write appends');
    t.equal(msinfo(img).status, 0);
  });
});
