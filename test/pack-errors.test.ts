// Bad input to iso-pack: exit status, the one-line message, and nothing usable left behind.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarOf } from './helpers/run.js';
import tarStream from 'tar-stream';
import { decodeStreamTrailer } from '../dist/session/format.js';

const ISO_PACK = new URL('../bin/iso-pack.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-errors-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function pack(input: Buffer, args: string[] = []) {
  const r = spawnSync(process.execPath, [ISO_PACK, ...args], { input, maxBuffer: 1 << 30 });
  return { status: r.status, stderr: r.stderr.toString(), stdout: r.stdout };
}

async function craft(entries: { header: tarStream.Headers; data?: Buffer }[]): Promise<Buffer> {
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => p.on('end', r));
  for (const e of entries) p.entry(e.header, e.data ?? Buffer.alloc(0));
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

function oneLine(t: Tap.Test, stderr: string, re: RegExp): void {
  const lines = stderr.trim().split('\n');
  t.equal(lines.length, 1, 'one line on stderr');
  t.match(lines[0], /^iso-pack: /, 'names the tool');
  t.match(lines[0], re);
}

const src = join(work, 'src');
mkdirSync(src);
writeFileSync(join(src, 'a.txt'), Buffer.alloc(5000, 0x61));
writeFileSync(join(src, 'b.txt'), 'bee\n');
// ./a.txt: header at 0, 5000 bytes of data padded to 5120; ./b.txt: header at 5632.
const good = tarOf(src, ['--format=gnu'], ['./a.txt', './b.txt']);

t.test('a tar cut inside file data', async (t) => {
  const r = pack(good.subarray(0, 512 + 1000));
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /ends inside '\.\/a\.txt'.*truncated/);
});

t.test('a tar cut at an entry boundary, without the end-of-archive blocks', async (t) => {
  const r = pack(good.subarray(0, 512 + 5120));
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /without an end-of-archive marker: truncated/);
});

t.test('a bad header checksum', async (t) => {
  const bad = Buffer.from(good);
  bad[5632 + 2] ^= 0x01;
  const r = pack(bad);
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /bad header checksum.*at byte 5632/);
});

t.test('empty input', async (t) => {
  const r = pack(Buffer.alloc(0));
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /empty input/);
});

t.test('a path with a .. component is refused', async (t) => {
  const r = pack(await craft([{ header: { name: 'ok/../../evil', size: 3 }, data: Buffer.from('bad') }]));
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /'ok\/\.\.\/\.\.\/evil' has a '\.\.' component/);
});

t.test('a name longer than 255 bytes', async (t) => {
  const name = 'd/' + 'x'.repeat(256);
  const r = pack(await craft([{ header: { name, size: 1 }, data: Buffer.from('x') }]));
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /a name of 256 bytes is longer than any file system allows/);
});

t.test('a size no ISO 9660 volume can hold', async (t) => {
  const r = pack(await craft([{ header: { name: 'huge', size: 0, pax: { size: String(2 ** 44) } } }]));
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /'huge'.*exceed the ISO 9660 limit/);
});

t.test('a hard link to a file not in the archive', async (t) => {
  const r = pack(await craft([{ header: { name: 'link', type: 'link', linkname: 'missing' } }]));
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /'link' is a hard link to 'missing', which is not in the archive/);
});

t.test('GNU sparse files, in GNU and pax form, are refused by name', async (t) => {
  const dir = join(work, 'sparse');
  mkdirSync(dir);
  writeFileSync(join(dir, 'holes'), 'head');
  truncateSync(join(dir, 'holes'), 1 << 20);
  for (const format of ['gnu', 'pax']) {
    const r = pack(tarOf(dir, [`--format=${format}`, '--sparse']));
    t.equal(r.status, 1, format);
    oneLine(t, r.stderr, /'\.\/holes' is a GNU sparse file/);
  }
});

t.test('a reference to extents that do not lie before the session', async (t) => {
  const tar = await craft([{ header: { name: 'old', size: 0, pax: { 'ISOPIPE.extents': '100+4096', 'ISOPIPE.size': '4096' } } }]);
  const r = pack(tar, ['--prev', '0,64']);
  t.equal(r.status, 1);
  oneLine(t, r.stderr, /'old': referenced extent 100\+4096 does not lie before this session \(LBA 64\)/);
  const ok = pack(tar, ['--prev', '0,128', '-o', join(work, 'ref.iso')]);
  t.equal(ok.status, 0, 'accepted when the extents precede the session');
});

t.test('in pipe mode a failure leaves no trailer; with -o no file', async (t) => {
  const cut = good.subarray(0, 512 + 3000);
  const r = pack(cut);
  t.equal(r.status, 1);
  const tail = r.stdout.subarray(Math.max(0, r.stdout.length - 2048));
  t.equal(tail.length === 2048 ? decodeStreamTrailer(tail) : null, null, 'no valid trailer at the end');
  const out = join(work, 'cut.iso');
  const r2 = pack(cut, ['-o', out]);
  t.equal(r2.status, 1);
  t.notOk(existsSync(out), 'the half-made image is removed');
});

t.test('usage errors exit 2', async (t) => {
  for (const args of [['--bogus'], ['--prev', 'x'], ['extra-arg'], ['-R', '-r']]) {
    const r = pack(good, args);
    t.equal(r.status, 2, args.join(' '));
    oneLine(t, r.stderr, /try 'iso-pack --help'/);
  }
});

t.test('--help and --version', async (t) => {
  const h = spawnSync(process.execPath, [ISO_PACK, '--help']);
  t.equal(h.status, 0);
  t.match(h.stdout.toString(), /Usage: iso-pack/);
  const v = spawnSync(process.execPath, [ISO_PACK, '--version']);
  t.equal(v.status, 0);
  t.match(v.stdout.toString(), /^iso-pack \(isopipe\) \d+\.\d+\.\d+/);
});
