// cd-msinfo's drive options where there is no drive (tier 1): --scan finding nothing, a
// cdrecord address that maps to no device, usage errors. The drive itself is exercised on
// the emulated recorder (test/interop/drive-msinfo.test.ts).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const BIN = new URL('../bin/', import.meta.url).pathname;
const msinfo = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [join(BIN, 'cd-msinfo.js'), ...args], { encoding: 'utf8', env: { ...process.env, CDR_DEVICE: '', ...env } });

// Only meaningful where this machine has no optical drive (the CI container, a server).
const drives = existsSync('/sys/class/scsi_generic') ? readdirSync('/sys/class/scsi_generic') : [];
const noDrive = drives.length === 0 && !existsSync('/dev/sr0');

t.test('no drive here', { skip: noDrive ? false : 'this machine has SCSI devices' }, async (t) => {
  const scan = msinfo(['--scan']);
  t.equal(scan.status, 1);
  t.equal(scan.stdout, '');
  t.equal(scan.stderr, 'cd-msinfo: no optical drive found (sysfs lists no SCSI device of type 5)\n');
  const json = msinfo(['-scanbus', '--json']);
  t.same([json.status, json.stdout], [0, '[]\n']);
  const addr = msinfo(['dev=1,0,0']);
  t.equal(addr.status, 1);
  t.equal(addr.stderr, 'cd-msinfo: no SCSI device at 1,0,0 (bus,target,lun): no optical drive found (cd-msinfo --scan lists them)\n');
  const env = msinfo([], { CDR_DEVICE: 'ATA:0,1,0' });
  t.match(env.stderr, /^cd-msinfo: no SCSI device at ATA:0,1,0 /);
});

t.test('usage', async (t) => {
  const r = msinfo(['--scan', '--dev', '/dev/sr0']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--scan lists every drive: it takes no --dev or --toc/);
  const h = msinfo(['--help']);
  t.match(h.stdout, /--scan, -scanbus/);
  t.match(h.stdout, /cdrecord's B,T,L or ATA:B,T,L/);
});

t.test('a non-drive character device is not an optical drive', async (t) => {
  // /dev/null is a character device but not sg: it stays on the image-file path.
  const r = msinfo(['--dev', '/dev/null']);
  t.equal(r.status, 1);
  t.notMatch(r.stderr, /MMC|koffi/);
});
