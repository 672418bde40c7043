// The SG_IO transport where there is no drive: the sg_io_hdr_t layout koffi builds matches
// <scsi/sg.h> on x86-64, the ioctl runs (ENOTTY on /dev/null → "not an MMC drive"), and
// open errors are one line naming the device. Skips when koffi is not installed.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDrive } from '../src/drive/drive.js';
import { SgIoTransport } from '../src/drive/sg-io.js';

let koffi: { struct(n: string, f: Record<string, string>): unknown; sizeof(x: unknown): number; offsetof(x: unknown, f: string): number } | null = null;
try {
  const name = 'koffi';
  koffi = ((await import(name)) as { default: typeof koffi }).default;
} catch {
  koffi = null;
}
const skip = koffi ? false : 'koffi is not installed (optional dependency)';
const work = mkdtempSync(join(tmpdir(), 'isopipe-sgio-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

t.test('open errors', { skip }, async (t) => {
  await t.rejects(SgIoTransport.open(join(work, 'missing')), {
    name: 'DriveOpenError',
    message: `${join(work, 'missing')}: no such device (cd-msinfo --scan lists the drives; isopipe never creates files under /dev)`,
  });
  writeFileSync(join(work, 'image.iso'), Buffer.alloc(2048));
  await t.rejects(SgIoTransport.open(join(work, 'image.iso')), { name: 'DriveOpenError', message: `${join(work, 'image.iso')}: not a device` });
});

t.test('a CD-ROM device node with no drive behind it', { skip }, async (t) => {
  // Block major 11 (sr) with a minor no drive has: what a stale /dev/srN gives (ENXIO).
  const node = join(work, 'sr200');
  if (spawnSync('mknod', [node, 'b', '11', '200']).status !== 0) {
    t.skip('mknod not allowed here');
    return;
  }
  await t.rejects(openDrive(node), { name: 'DriveOpenError', message: `${node}: no drive answers at this device` });
  const r = spawnSync(process.execPath, [new URL('../bin/cd-msinfo.js', import.meta.url).pathname, `dev=${node}`], { encoding: 'utf8' });
  t.same([r.status, r.stderr], [1, `cd-msinfo: ${node}: no drive answers at this device\n`]);
});

t.test('SG_IO on a device that is not SCSI', { skip }, async (t) => {
  await t.rejects(openDrive('/dev/null'), { name: 'NotMmcDriveError', message: '/dev/null: not an MMC drive (it does not take SCSI commands)' });
  const tr = await SgIoTransport.open('/dev/null');
  const r = await tr.execute({ cdb: Buffer.from([0x12, 0, 0, 0, 36, 0]), direction: 'in', inLength: 36, timeoutMs: 1000 });
  t.equal(r.transportError, 'SG_IO failed (ENOTTY)');
  tr.close();
  tr.close();
  await t.rejects(tr.execute({ cdb: Buffer.alloc(6), direction: 'none', timeoutMs: 1000 }), /closed/);
});

t.test('sg_io_hdr_t layout (x86-64)', { skip: skip || (process.arch !== 'x64' ? 'offsets checked on x86-64 only' : false) }, async (t) => {
  // The same declaration as sg-io.ts, checked against <scsi/sg.h> compiled on x86-64.
  const hdr = koffi!.struct('isopipe_test_sg_io_hdr', {
    interface_id: 'int',
    dxfer_direction: 'int',
    cmd_len: 'uint8',
    mx_sb_len: 'uint8',
    iovec_count: 'uint16',
    dxfer_len: 'uint32',
    dxferp: 'void *',
    cmdp: 'void *',
    sbp: 'void *',
    timeout: 'uint32',
    flags: 'uint32',
    pack_id: 'int',
    usr_ptr: 'void *',
    status: 'uint8',
    masked_status: 'uint8',
    msg_status: 'uint8',
    sb_len_wr: 'uint8',
    host_status: 'uint16',
    driver_status: 'uint16',
    resid: 'int',
    duration: 'uint32',
    info: 'uint32',
  });
  t.equal(koffi!.sizeof(hdr), 88);
  const offsets: [string, number][] = [
    ['dxfer_len', 12],
    ['dxferp', 16],
    ['cmdp', 24],
    ['sbp', 32],
    ['timeout', 40],
    ['usr_ptr', 56],
    ['status', 64],
    ['sb_len_wr', 67],
    ['host_status', 68],
    ['driver_status', 70],
    ['resid', 72],
    ['info', 80],
  ];
  for (const [f, off] of offsets) t.equal(koffi!.offsetof(hdr, f), off, f);
});
