// Same tar, same options, same SOURCE_DATE_EPOCH: same bytes — across runs a second apart, time
// zones, and output forms; and the volume dates are SOURCE_DATE_EPOCH's.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentFor, nameOfLength } from './fixture/fixture.js';
import { ISO_PACK, isoPackBuilt, packBuffer } from './helpers/isopack.js';
import { streamToImage } from './helpers/stream.js';

const SECTOR = 2048;
const work = mkdtempSync(join(tmpdir(), 'isopipe-determinism-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function packToFile(input: Buffer, args: string[], env: NodeJS.ProcessEnv): Buffer {
  const out = join(work, 'o.iso');
  const r = spawnSync(process.execPath, [ISO_PACK, ...args, '-o', out], { input, env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`iso-pack: exit ${r.status}: ${r.stderr}`);
  const b = readFileSync(out);
  rmSync(out);
  return b;
}

/** Waits until the wall clock has moved to another second, so that a clock read would show. */
function nextSecond(): void {
  const s = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === s) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
}

/** ISO 9660 17-byte volume date "YYYYMMDDHHMMSScc" + offset for an epoch time, in UTC. */
function volumeDate(epoch: number): string {
  const d = new Date(epoch * 1000).toISOString(); // 2023-11-14T22:13:20.000Z
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}00`;
}

if (!isoPackBuilt()) {
  t.fail('iso-pack is not built (dist/cli/iso-pack.js): run npx tsc -p tsconfig.json');
} else {
  const src = join(work, 'src');
  mkdirSync(join(src, 'dir', 'sub'), { recursive: true });
  writeFileSync(join(src, 'dir', 'a.bin'), contentFor('a', 10000));
  writeFileSync(join(src, 'dir', nameOfLength(230, 'long')), contentFor('long', 3000));
  writeFileSync(join(src, 'dir', 'sub', 'empty'), '');
  writeFileSync(join(src, 'ünï😀.txt'), 'x');
  symlinkSync('dir/a.bin', join(src, 'link'));
  for (const p of ['dir/a.bin', 'dir/sub/empty', 'dir/sub', 'dir', '.']) utimesSync(join(src, p), 1600000000, 1600000000);
  const r = spawnSync('tar', ['-C', src, '--format=pax', '--sort=name', '-cf', '-', '.'], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  const tar = r.stdout;
  const EPOCH = 1700000000;
  const env = { SOURCE_DATE_EPOCH: String(EPOCH), TZ: 'UTC' };

  t.test('two runs a second apart give the same bytes', async (t) => {
    const a = packToFile(tar, [], env);
    nextSecond();
    const b = packToFile(tar, [], env);
    t.ok(a.equals(b), `${a.length} bytes, identical`);
  });

  t.test('the time zone does not change the bytes', async (t) => {
    const a = packToFile(tar, [], env);
    const b = packToFile(tar, [], { ...env, TZ: 'America/St_Johns' });
    const c = packToFile(tar, [], { ...env, TZ: 'Asia/Kathmandu' });
    t.ok(a.equals(b) && a.equals(c), 'identical in UTC, UTC-3:30 and UTC+5:45');
  });

  t.test('same options through a pipe: the same stream, and the same image inside', async (t) => {
    const s1 = packBuffer(tar, ['-V', 'DET', '--joliet-long'], env);
    nextSecond();
    const s2 = packBuffer(tar, ['-V', 'DET', '--joliet-long'], env);
    t.equal(s1.status, 0, s1.stderr);
    t.ok(s1.stdout.equals(s2.stdout), 'identical streams');
    t.ok(streamToImage(s1.stdout).equals(packToFile(tar, ['-V', 'DET', '--joliet-long'], env)), 'and the image equals -o');
  });

  t.test('the volume dates are SOURCE_DATE_EPOCH', async (t) => {
    const img = packToFile(tar, [], env);
    const want = volumeDate(EPOCH);
    for (const [sector, what] of [
      [16, 'PVD'],
      [17, 'Joliet SVD'],
    ] as const) {
      const vd = img.subarray(sector * SECTOR, (sector + 1) * SECTOR);
      t.equal(vd.subarray(813, 829).toString('latin1'), want, `${what} creation date`);
      t.equal(vd.subarray(830, 846).toString('latin1'), want, `${what} modification date`);
      t.equal(vd[829], 0, `${what} creation date in UTC`);
    }
    const other = packToFile(tar, [], { ...env, SOURCE_DATE_EPOCH: String(EPOCH + 86400) });
    t.notOk(other.equals(img), 'another SOURCE_DATE_EPOCH gives other bytes');
  });
}
