// Capacity remembered (issue #12 item 5): the capacity given when an image file is created
// is kept in the medium head, so later calls need no --media; overflow messages give the
// session's size and the free space.
import t from 'tap';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-capacity-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000' };

function run(cmd: string, args: string[], input?: Buffer): SpawnSyncReturns<Buffer> {
  return spawnSync(cmd, args, { input, env: ENV, cwd: work, maxBuffer: 1 << 30 });
}
const node = (tool: string, args: string[], input?: Buffer) => run(process.execPath, [join(BIN, `${tool}.js`), ...args], input);
const json = (img: string, extra: string[] = []) => JSON.parse(node('cd-msinfo', ['--dev', img, '--json', ...extra]).stdout.toString());
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const have = (cmd: string) => run('sh', ['-c', `command -v ${cmd}`]).status === 0;

function tarWith(name: string, bytes: number): Buffer {
  const dir = join(work, 'src', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'f'), Buffer.alloc(bytes, 7));
  return run('tar', ['-C', join(work, 'src'), '-cf', '-', name]).stdout;
}
const packAt = (prev: string, tar: Buffer) => node('iso-pack', ['--prev', prev], tar).stdout;
const pack = (img: string, tar: Buffer) => node('iso-pack', ['--prev', node('cd-msinfo', ['--dev', img]).stdout.toString().trim()], tar).stdout;

t.test('--create --blank --media: a blank medium that knows its size', async (t) => {
  const img = join(work, 'cd74.iso');
  t.equal(node('cd-write', ['--dev', img, '--create', '--blank', '--media', 'cd74']).status, 0);
  t.equal(readFileSync(img).length, 65536, 'a 64 KiB head and nothing else');
  t.equal(node('cd-msinfo', ['--dev', img]).stdout.toString(), '0,32\n', 'blank');
  t.same(json(img), { state: 'blank', next: 32, capacity: 333000, free: 332968, sessions: [] });
  if (have('xorriso'))
    t.match(
      run('xorriso', ['-indev', `stdio:${img}`, '-toc']).stdout.toString() + run('xorriso', ['-indev', `stdio:${img}`, '-toc']).stderr.toString(),
      /Media status : is blank/,
      'xorriso: blank too',
    );
  t.equal(node('cd-write', ['--dev', img, '--multi'], pack(img, tarWith('a', 1000))).status, 0);
  t.equal(node('cd-write', ['--dev', img, '--multi'], pack(img, tarWith('b', 1000))).status, 0);
  const j = json(img);
  t.equal(j.capacity, 333000, 'still known after two sessions, without --media');
  t.equal(j.sessions.length, 2);
  t.match(node('cd-msinfo', ['--dev', img, '--toc']).stdout.toString(), /capacity: 333000 sectors \(650\.4 MiB\), free: \d+ sectors/);
  // --capacity on a later call wins, and is what the next commit records
  t.equal(json(img, ['--capacity', '100000']).capacity, 100000);
  t.equal(node('cd-write', ['--dev', img, '--multi', '--capacity', '100000'], pack(img, tarWith('c', 10))).status, 0);
  t.equal(json(img).capacity, 100000, 'the new capacity is recorded');
});

t.test('--create with the first session records the capacity; overflow says how big and how much is free', async (t) => {
  const img = join(work, 'small.iso');
  t.equal(node('cd-write', ['--dev', img, '--create', '--multi', '--capacity', '200'], packAt('0,32', tarWith('d', 1000))).status, 0);
  t.equal(json(img).capacity, 200);
  const before = sha(img);
  // From a file: size known before writing.
  const bigSession = pack(img, tarWith('big', 400_000));
  const file = join(work, 'big.stream');
  writeFileSync(file, bigSession);
  const f = node('cd-write', ['--dev', img, '--multi', file]);
  t.equal(f.status, 1);
  const sectors = Math.ceil(bigSession.length / 2048);
  t.match(
    f.stderr.toString(),
    /^cd-write: session of (\d+) sectors \(\d+\.\d MiB\) at LBA 96 does not fit: 104 sectors \(0\.2 MiB\) free of the medium's 200; nothing (written|committed)\n$/,
  );
  t.equal(sha(img), before, 'medium unchanged');
  // From a pipe: the whole session is read to say its size; nothing committed.
  const p = node('cd-write', ['--dev', img, '--multi'], bigSession);
  t.equal(p.status, 1);
  const m =
    /^cd-write: session of (\d+) sectors \(\d+\.\d MiB\) at LBA 96 does not fit: 104 sectors \(0\.2 MiB\) free of the medium's 200; nothing (written|committed)\n$/.exec(
      p.stderr.toString(),
    );
  t.ok(m, p.stderr.toString());
  t.ok(m && Number(m[1]) > 195 && Number(m[1]) <= sectors, 'the size is the whole session, not where the stream stopped');
  t.equal(sha(img), before, 'medium unchanged');
});

t.test('the mark lives in the medium head only', async (t) => {
  const img = join(work, 'mark.iso');
  t.equal(node('cd-write', ['--dev', img, '--create', '--multi', '--media', 'dvd'], packAt('0,32', tarWith('e', 10))).status, 0);
  const b = readFileSync(img);
  t.equal(b.toString('latin1', 16 * 2048 + 1331, 16 * 2048 + 1347), 'ISOPIPE-CAPACITY');
  t.equal(b.readUInt32LE(16 * 2048 + 1347), 2_295_104);
  t.not(b.toString('latin1', 48 * 2048 + 1331, 48 * 2048 + 1347), 'ISOPIPE-CAPACITY', "the session's own PVD has none");
  t.equal(node('cd-verify', ['--dev', img, '-n', '-q']).status, 0, 'cd-verify accepts the head');
});
