// Pure parts of the safety work: bus addresses and /dev, the capacity mark, the cdrecord
// option table.
import t from 'tap';
import { isBusAddress, isUnderDev, resolveDevicePath } from '../dist/media/device-path.js';
import { blankHeadWithCapacity, recordedCapacity, setCapacityMark, CAPACITY_MARK_OFFSET, CLOSED_MARK_OFFSET } from '../dist/media/medium-head.js';
import { isPseudoBlankDescriptor } from '../dist/iso9660/volume-descriptor.js';
import { cdrecordHabit, takeCdrecordHabits } from '../dist/cli/cdrecord-options.js';

t.test('bus addresses are never file names', async (t) => {
  for (const a of ['1,0', '0,1,0', 'ATA:1,0,0', 'ATAPI:0,0,0', 'atapi:1,0', 'USCSI:0,1,0', 'REMOTE:host:1,0']) t.ok(isBusAddress(a), a);
  for (const a of ['backup.iso', './1,0', '/dev/sr0', 'a,b', '1,0.iso', 'stdio:1,0']) t.notOk(isBusAddress(a), a);
  t.throws(() => resolveDevicePath('1,0', {}), /dev=1,0 is a cdrecord bus address/);
  t.throws(() => resolveDevicePath(undefined, { CDR_DEVICE: 'ATA:1,0,0' }), /cdrecord bus address/);
  t.equal(resolveDevicePath('stdio:1,0', {}), '1,0', 'stdio: forces a file name');
});

t.test('/dev, also through a symlinked directory', async (t) => {
  const real = (d: string) => (d === '/mnt/devlink' ? '/dev' : d);
  t.ok(isUnderDev('/dev/sr0', real));
  t.ok(isUnderDev('/mnt/devlink/sr0', real));
  t.notOk(isUnderDev('/srv/backup.img', real));
  t.notOk(isUnderDev('/devices/x.iso', real));
});

t.test('the capacity mark: 32 bytes before the closed mark', async (t) => {
  t.equal(CAPACITY_MARK_OFFSET, CLOSED_MARK_OFFSET - 32);
  const pvd = Buffer.alloc(2048);
  t.equal(recordedCapacity(pvd), null);
  setCapacityMark(pvd, 333000);
  t.equal(pvd.toString('latin1', 1331, 1347), 'ISOPIPE-CAPACITY');
  t.equal(pvd.readUInt32LE(1347), 333000);
  t.equal(recordedCapacity(pvd), 333000);
  setCapacityMark(pvd, null);
  t.ok(pvd.equals(Buffer.alloc(2048)), 'cleared');
  const head = blankHeadWithCapacity(360000);
  t.equal(head.length, 65536);
  t.ok(isPseudoBlankDescriptor(head.subarray(16 * 2048, 17 * 2048)), 'LBA 16 reads as pseudo-blank (CDXX1)');
  t.equal(recordedCapacity(head.subarray(16 * 2048, 17 * 2048)), 360000);
});

t.test('cdrecord habits: a deliberate answer each', async (t) => {
  t.equal(cdrecordHabit('-dao')?.answer.answer, 'no-op');
  t.equal(cdrecordHabit('--tao')?.answer.answer, 'no-op');
  t.equal(cdrecordHabit('-eject'), null, '-eject is an option of its own (a drive opens its tray)');
  t.equal(cdrecordHabit('fs=16m')?.answer.answer, 'no-op');
  t.equal(cdrecordHabit('driveropts=burnfree')?.answer.answer, 'no-op');
  t.equal(cdrecordHabit('-scanbus')?.answer.why, 'use cd-msinfo --scan');
  t.equal(cdrecordHabit('backup.iso'), null);
  t.equal(cdrecordHabit('-multi'), null, 'implemented options are left to the parser');
  const r = takeCdrecordHabits(['-v', '-pad', 'dev=x', 'fs=4m', '-dao', 'session.iso', '--', '-pad'], (m) => new Error(m));
  t.same(r.argv, ['-v', 'dev=x', 'session.iso', '--', '-pad']);
  t.equal(r.noOps.length, 3);
  t.throws(() => takeCdrecordHabits(['blank=fast'], (m) => new Error(m)), /^blank=fast: not supported: isopipe never erases a medium/);
});
