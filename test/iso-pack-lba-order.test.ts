// iso-pack -o - to a pipe (DESIGN §4): a tar file read twice gives a plain image in LBA
// order, byte for byte the image -o FILE writes, which cd-write takes as a plain image.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, tarOf } from './helpers/run.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-lba-order-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };

const tree = join(work, 'tree');
mkdirSync(join(tree, 'boot'), { recursive: true });
writeFileSync(join(tree, 'boot', 'loader.bin'), Buffer.alloc(3 * 2048 + 5, 7));
writeFileSync(join(tree, 'text.txt'), 'x'.repeat(100_000));
writeFileSync(join(tree, 'empty'), '');
// Held back until after the metadata: its Rock Ridge name needs a continuation area.
writeFileSync(join(tree, 'n'.repeat(200)), 'held back\n');
const tarFile = join(work, 't.tar');
writeFileSync(tarFile, tarOf(tree, ['--format=gnu', '--sort=name']));

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
function sh(cmd: string): { status: number | null; stderr: string } {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { env });
  return { status: r.status, stderr: String(r.stderr) };
}
const isoPack = (args: string[]) => [process.execPath, bin('iso-pack'), '-q', ...args].map(q).join(' ');

for (const args of [[], ['-C', '0,1000', '-z'], ['-no-joliet', '-b', 'boot/loader.bin', '-no-emul-boot', '-boot-info-table', '-c', 'boot/boot.cat']]) {
  t.test(`-o - | cat equals -o FILE: ${args.join(' ') || 'default'}`, async (t) => {
    const piped = join(work, 'a.iso');
    const file = join(work, 'b.iso');
    const a = sh(`${isoPack([...args, '-o', '-'])} < ${q(tarFile)} | cat > ${q(piped)}`);
    t.equal(a.status, 0, a.stderr);
    const b = sh(`${isoPack([...args, '-o', file])} < ${q(tarFile)}`);
    t.equal(b.status, 0, b.stderr);
    t.ok(readFileSync(piped).equals(readFileSync(file)), 'the same bytes');
  });
}

t.test('cd-write takes it as a plain image, and -M reads the medium in both reads', async (t) => {
  const viaPipe = join(work, 'm1.iso');
  const viaFile = join(work, 'm2.iso');
  const image = join(work, 's.iso');
  writeFileSync(viaPipe, '');
  writeFileSync(viaFile, '');
  const msinfo = (m: string) => String(spawnSync(process.execPath, [bin('cd-msinfo'), '--dev', m], { env }).stdout).trim();
  const cdWrite = (m: string) => [process.execPath, bin('cd-write'), '--dev', m, '--multi'].map(q).join(' ');
  for (const merge of [false, true]) {
    const m = (medium: string) => [...(merge ? ['-M', medium] : []), '-C', msinfo(medium)];
    const a = sh(`${isoPack([...m(viaPipe), '-o', '-'])} < ${q(tarFile)} | ${cdWrite(viaPipe)} > /dev/null`);
    t.equal(a.status, 0, a.stderr);
    const b = sh(`${isoPack([...m(viaFile), '-o', image])} < ${q(tarFile)} && ${cdWrite(viaFile)} < ${q(image)} > /dev/null`);
    t.equal(b.status, 0, b.stderr);
  }
  t.ok(readFileSync(viaPipe).equals(readFileSync(viaFile)), 'two sessions, the same medium');
});

t.test('refused: a tar on a pipe, and --md5', async (t) => {
  const pipe = sh(`cat ${q(tarFile)} | ${isoPack(['-o', '-'])} | cat > /dev/null`);
  t.not(pipe.status, 0);
  t.match(pipe.stderr, /stdin must be a tar file/);
  const md5 = sh(`${isoPack(['--md5', '-o', '-'])} < ${q(tarFile)} | cat > /dev/null`);
  t.not(md5.status, 0);
  t.match(md5.stderr, /--md5 with -o - to a pipe/);
});
