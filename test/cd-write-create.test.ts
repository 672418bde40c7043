// No medium by accident (issue #12 item 1): a path that does not exist becomes a new image
// file only with --create; never under /dev; a cdrecord bus address is never a file name;
// cd-msinfo on a missing medium says how to make one (cd-msinfo.test.ts).
import t from 'tap';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-create-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000' };

function run(cmd: string, args: string[], input?: Buffer, env = ENV): SpawnSyncReturns<Buffer> {
  return spawnSync(cmd, args, { input, env, cwd: work, maxBuffer: 1 << 30 });
}
const node = (tool: string, args: string[], input?: Buffer, env = ENV) => run(process.execPath, [join(BIN, `${tool}.js`), ...args], input, env);

mkdirSync(join(work, 'd'));
writeFileSync(join(work, 'd', 'a.txt'), 'hello\n');
const tar = run('tar', ['-C', work, '-cf', '-', 'd']).stdout;
const first = node('iso-pack', ['--prev', '0,32'], tar).stdout;

t.test('a missing medium is refused without --create, and nothing is made', async (t) => {
  const img = join(work, 'typo.iso');
  for (const args of [
    ['--dev', img, '--multi'],
    [`dev=${img}`, '-multi'],
    ['--multi', '--dummy', '--dev', img],
  ]) {
    const r = node('cd-write', args, first);
    t.equal(r.status, 1, args.join(' '));
    t.equal(
      r.stderr.toString(),
      `cd-write: ${img} does not exist: ${args.includes('--dummy') ? 'no medium there (cd-write --create makes a new image file; see cd-write(1))' : 'nothing written (cd-write --create makes a new image file there)'}\n`,
    );
    t.notOk(existsSync(img), 'no file');
  }
  // cron: CDR_DEVICE in a mount point whose disk is not mounted
  const r = node('cd-write', ['--multi'], first, { ...ENV, CDR_DEVICE: join(work, 'mnt-usb', 'backup.iso') });
  t.equal(r.status, 1);
  t.notOk(existsSync(join(work, 'mnt-usb', 'backup.iso')));
});

t.test('--create makes the image file; an existing one it just uses', async (t) => {
  const img = join(work, 'new.iso');
  const r = node('cd-write', ['--dev', img, '--create', '--multi'], first);
  t.equal(r.status, 0, r.stderr.toString());
  t.equal(node('cd-msinfo', ['--dev', img]).stdout.toString(), '0,96\n');
  const second = node('iso-pack', ['--prev', '0,96'], tar).stdout;
  t.equal(node('cd-write', ['-create', `dev=${img}`, '-multi'], second).status, 0, 'cdrecord spelling, existing medium');
  t.equal(node('cd-msinfo', ['--dev', img]).stdout.toString(), '0,160\n');
  // --dummy --create on a missing path: every check against a blank medium, nothing made
  const dry = join(work, 'dry.iso');
  t.equal(node('cd-write', ['--dev', dry, '--create', '--dummy', '--multi'], first).status, 0);
  t.notOk(existsSync(dry), '--dummy creates nothing');
  // a refused session leaves no new file behind
  const refused = join(work, 'refused.iso');
  const bad = node('cd-write', ['--dev', refused, '--create', '--multi'], node('iso-pack', ['--prev', '0,64'], tar).stdout);
  t.equal(bad.status, 1);
  t.notOk(existsSync(refused), 'the file made for a refused session is gone');
});

t.test('--create --blank: a new blank medium for later appends', async (t) => {
  const img = join(work, 'blank.iso');
  t.equal(node('cd-write', ['--dev', img, '--create', '--blank']).status, 0);
  t.ok(existsSync(img));
  t.equal(node('cd-msinfo', ['--dev', img]).stdout.toString(), '0,32\n');
  const again = node('cd-write', ['--dev', img, '--create', '--blank']);
  t.equal(again.status, 1);
  t.equal(again.stderr.toString(), `cd-write: ${img} exists already: --blank only makes a new medium (nothing written)\n`);
  const noCreate = node('cd-write', ['--dev', img, '--blank']);
  t.equal(noCreate.status, 2);
  t.match(noCreate.stderr.toString(), /^cd-write: --blank only goes with --create \(isopipe never erases a medium\)/);
  t.equal(node('cd-write', ['--dev', img, '--multi'], first).status, 0, 'the first session goes onto it');
});

t.test('never under /dev, even with --create', async (t) => {
  for (const dev of ['/dev/isopipe-no-such-drive', '/dev/sr9']) {
    if (existsSync(dev)) continue;
    const r = node('cd-write', [`dev=${dev}`, '-multi', '--create'], first);
    t.equal(r.status, 1);
    // /dev/srN is a drive's name: the drive layer says there is none; any other path under /dev
    // is refused by the medium layer. Neither creates anything.
    const want =
      dev === '/dev/sr9'
        ? `cd-write: ${dev}: no such device (cd-msinfo --scan lists the drives; isopipe never creates files under /dev)\n`
        : `cd-write: ${dev} does not exist (no such drive?); isopipe never creates files under /dev: nothing written\n`;
    t.equal(r.stderr.toString(), want);
    t.notOk(existsSync(dev), `${dev} not created`);
  }
});

t.test('a cdrecord bus address is never a file name', async (t) => {
  for (const addr of ['1,0', '0,1,0', 'ATA:1,0,0', 'ATAPI:0,0,0', 'atapi:1,0']) {
    const r = node('cd-write', [`dev=${addr}`, '-multi', '--create'], first);
    // Mapped to the drive at that SCSI address through sysfs; there is none here.
    t.equal(r.status, 1, addr);
    t.match(r.stderr.toString(), /^cd-write: (no SCSI device at|the device at)/);
    t.notOk(existsSync(join(work, addr)), `no file ./${addr}`);
  }
  // stdio: says "this is a file", whatever its name looks like
  const r = node('cd-write', ['dev=stdio:1,0', '-multi', '--create'], first);
  t.equal(r.status, 0);
  t.ok(statSync(join(work, '1,0')).size > 0);
  t.ok(readFileSync(join(work, '1,0')).length > 0);
});
