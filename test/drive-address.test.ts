// cdrecord's dev=B,T,L (and ATA:B,T,L, T,L) mapped through a sysfs tree to /dev/srN or
// /dev/sgN, drives listed for --scan, and what counts as an optical drive.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressError, isOpticalDrive, listOpticalDrives, listScsiDevices, parseCdrecordAddress, resolveCdrecordAddress } from '../src/drive/address.js';

const root = mkdtempSync(join(tmpdir(), 'isopipe-sysfs-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const sys = join(root, 'sys');
const dev = join(root, 'dev');

/** A SCSI device at H:C:T:L with INQUIRY strings, reachable as srN and/or sgN, as Linux lays it out. */
function device(hctl: string, type: number, vendor: string, model: string, rev: string, sr: string | null, sg: string | null): void {
  const d = join(sys, 'devices', 'platform', 'host', hctl);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'type'), `${type}\n`);
  writeFileSync(join(d, 'vendor'), vendor.padEnd(8) + '\n');
  writeFileSync(join(d, 'model'), model.padEnd(16) + '\n');
  writeFileSync(join(d, 'rev'), rev.padEnd(4) + '\n');
  if (sr) {
    mkdirSync(join(sys, 'block', sr), { recursive: true });
    symlinkSync(d, join(sys, 'block', sr, 'device'));
  }
  if (sg) {
    mkdirSync(join(sys, 'class', 'scsi_generic', sg), { recursive: true });
    symlinkSync(d, join(sys, 'class', 'scsi_generic', sg, 'device'));
  }
}

device('0:0:0:0', 0, 'ATA', 'Samsung SSD', '1B6Q', null, 'sg0');
device('1:0:0:0', 5, 'HL-DT-ST', 'BD-RE BH16NS40', '1.02', 'sr0', 'sg1');
device('3:0:1:0', 5, 'CDEmu', 'CD-ROM', '1.0', null, 'sg2');
mkdirSync(join(sys, 'block', 'sda'), { recursive: true });
const roots = { sys, dev };

t.test('parse cdrecord addresses', async (t) => {
  t.same(parseCdrecordAddress('1,0,0'), { bus: 1, target: 0, lun: 0 });
  t.same(parseCdrecordAddress('1,0'), { bus: 0, target: 1, lun: 0 }, 'T,L is bus 0 as in cdrecord');
  t.same(parseCdrecordAddress('ATA:1,0,0'), { bus: 1, target: 0, lun: 0 });
  t.same(parseCdrecordAddress('ata:3,1,0'), { bus: 3, target: 1, lun: 0 });
  for (const s of ['/dev/sr0', 'image.iso', '1', '1,2,3,4', 'ATA:', 'x:1,0,0', '1,0,', '']) t.equal(parseCdrecordAddress(s), null, s);
});

t.test('list and resolve', async (t) => {
  const all = listScsiDevices(roots);
  t.same(
    all.map((e) => [e.address, e.block, e.generic, e.type, e.vendor, e.model, e.revision]),
    [
      [{ host: 0, channel: 0, target: 0, lun: 0 }, null, join(dev, 'sg0'), 0, 'ATA', 'Samsung SSD', '1B6Q'],
      [{ host: 1, channel: 0, target: 0, lun: 0 }, join(dev, 'sr0'), join(dev, 'sg1'), 5, 'HL-DT-ST', 'BD-RE BH16NS40', '1.02'],
      [{ host: 3, channel: 0, target: 1, lun: 0 }, null, join(dev, 'sg2'), 5, 'CDEmu', 'CD-ROM', '1.0'],
    ],
  );
  t.same(
    listOpticalDrives(roots).map((e) => e.generic),
    [join(dev, 'sg1'), join(dev, 'sg2')],
  );
  // The seed's dev=1,0 is bus 0 target 1: nothing there; 1,0,0 is the BD writer, sr preferred.
  t.equal(resolveCdrecordAddress('1,0,0', roots), join(dev, 'sr0'));
  t.equal(resolveCdrecordAddress('ATA:1,0,0', roots), join(dev, 'sr0'));
  t.equal(resolveCdrecordAddress('3,1,0', roots), join(dev, 'sg2'), 'no sr node: the sg one');
  t.equal(resolveCdrecordAddress('/dev/sr0', roots), null, 'not an address');
  t.throws(() => resolveCdrecordAddress('1,0', roots), new AddressError('no SCSI device at 1,0 (bus,target,lun): drives are at 1,0,0 3,1,0'));
  t.throws(() => resolveCdrecordAddress('5,0,0', { sys: join(root, 'nothing'), dev }), /no optical drive found/);
});

t.test('isOpticalDrive', async (t) => {
  // Regular files and directories are never drives; neither is /dev/null (char, major 1).
  writeFileSync(join(root, 'image.iso'), Buffer.alloc(2048));
  t.equal(isOpticalDrive(join(root, 'image.iso')), false);
  t.equal(isOpticalDrive(root), false);
  t.equal(isOpticalDrive('/dev/null'), false);
  t.equal(isOpticalDrive(join(root, 'missing')), false);
});
