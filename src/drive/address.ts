// Finding drives the Linux way, without opening them: sysfs names every SCSI device by
// Host:Channel:Target:Lun with its INQUIRY type, vendor, model and revision. cdrecord's
// `dev=B,T,L` (and `ATA:B,T,L`, `dev=T,L` with bus 0) maps onto that address; `/dev/srN` is
// the block node of a CD-ROM-class device (major 11) and `/dev/sgN` its generic sibling.
import { existsSync, readdirSync, readFileSync, readlinkSync, type Stats, statSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface ScsiAddress {
  host: number;
  channel: number;
  target: number;
  lun: number;
}

export interface DriveEntry {
  address: ScsiAddress;
  /** /dev/srN when the sr driver has the device, else null. */
  block: string | null;
  /** /dev/sgN when the sg driver has it, else null. */
  generic: string | null;
  /** Peripheral device type from INQUIRY (5 = CD/DVD/BD). */
  type: number;
  vendor: string;
  model: string;
  revision: string;
}

export interface SysfsRoots {
  sys?: string;
  dev?: string;
}

const SCSI_CDROM_MAJOR = 11;
const SCSI_GENERIC_MAJOR = 21;

/**
 * cdrecord's device address: `B,T,L`, `T,L` (bus 0), each optionally after `ATA:` (or the
 * other libscg transport names that mean the same SCSI-mapped drive on Linux today).
 * Returns null when `dev` is not such an address.
 */
export function parseCdrecordAddress(dev: string): { bus: number; target: number; lun: number } | null {
  const m = /^(?:(?:ATA|ATAPI|SCSI|sg|scg):)?(\d+),(\d+)(?:,(\d+))?$/i.exec(dev.trim());
  if (!m) return null;
  return m[3] === undefined ? { bus: 0, target: Number(m[1]), lun: Number(m[2]) } : { bus: Number(m[1]), target: Number(m[2]), lun: Number(m[3]) };
}

function parseHctl(name: string): ScsiAddress | null {
  const m = /^(\d+):(\d+):(\d+):(\d+)$/.exec(name);
  return m ? { host: +m[1], channel: +m[2], target: +m[3], lun: +m[4] } : null;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return '';
  }
}

/** Every SCSI device sysfs knows through sr or sg, one entry per H:C:T:L, in address order. */
export function listScsiDevices(roots: SysfsRoots = {}): DriveEntry[] {
  const sys = roots.sys ?? '/sys';
  const dev = roots.dev ?? '/dev';
  const byAddress = new Map<string, DriveEntry>();
  const add = (node: string, deviceLink: string, kind: 'block' | 'generic') => {
    let target: string;
    try {
      target = readlinkSync(deviceLink);
    } catch {
      return;
    }
    const address = parseHctl(basename(target));
    if (!address) return;
    const key = basename(target);
    let e = byAddress.get(key);
    if (!e) {
      const d = deviceLink;
      e = {
        address,
        block: null,
        generic: null,
        type: Number(readText(join(d, 'type')) || -1),
        vendor: readText(join(d, 'vendor')),
        model: readText(join(d, 'model')),
        revision: readText(join(d, 'rev')),
      };
      byAddress.set(key, e);
    }
    e[kind] = join(dev, node);
  };
  const list = (dir: string) => {
    try {
      return readdirSync(dir).sort();
    } catch {
      return [];
    }
  };
  for (const n of list(join(sys, 'block'))) if (/^sr\d+$/.test(n)) add(n, join(sys, 'block', n, 'device'), 'block');
  for (const n of list(join(sys, 'class', 'scsi_generic'))) if (/^sg\d+$/.test(n)) add(n, join(sys, 'class', 'scsi_generic', n, 'device'), 'generic');
  const order = (a: ScsiAddress) => [a.host, a.channel, a.target, a.lun];
  return [...byAddress.values()].sort((x, y) => {
    const a = order(x.address);
    const b = order(y.address);
    for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  });
}

/** The optical drives (INQUIRY type 5) among them. */
export function listOpticalDrives(roots: SysfsRoots = {}): DriveEntry[] {
  return listScsiDevices(roots).filter((e) => e.type === 5);
}

/** Thrown when a cdrecord address names no drive here. */
export class AddressError extends Error {
  override name = 'AddressError';
}

/**
 * Maps cdrecord's `B,T,L` to a device node: bus B is the SCSI host (channel 0) as Linux
 * numbers them, which is what `cdrecord -scanbus` and `wodim -scanbus` list as scsibusB.
 * Prefers /dev/srN (the block node the kernel locks with O_EXCL) over /dev/sgN.
 */
export function resolveCdrecordAddress(dev: string, roots: SysfsRoots = {}): string | null {
  const a = parseCdrecordAddress(dev);
  if (!a) return null;
  const all = listScsiDevices(roots);
  const e =
    all.find((x) => x.address.host === a.bus && x.address.target === a.target && x.address.lun === a.lun && x.address.channel === 0) ??
    all.find((x) => x.address.host === a.bus && x.address.target === a.target && x.address.lun === a.lun);
  if (!e) {
    const seen = listOpticalDrives(roots).map((x) => `${x.address.host},${x.address.target},${x.address.lun}`);
    throw new AddressError(
      `no SCSI device at ${dev} (bus,target,lun)${seen.length ? `: drives are at ${seen.join(' ')}` : ': no optical drive found (cd-msinfo --scan lists them)'}`,
    );
  }
  const node = e.block ?? e.generic;
  if (!node) throw new AddressError(`the device at ${dev} has no /dev/sr or /dev/sg node`);
  return node;
}

/** The sysfs entry for a device node (/dev/srN, /dev/sgN or a symlink to one), if any. */
export function sysfsEntryOf(path: string, roots: SysfsRoots = {}): DriveEntry | null {
  let rdev: number;
  let block: boolean;
  try {
    const st = statSync(path);
    if (!st.isBlockDevice() && !st.isCharacterDevice()) return null;
    rdev = st.rdev;
    block = st.isBlockDevice();
  } catch {
    return null;
  }
  const sys = roots.sys ?? '/sys';
  const majmin = `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
  for (const e of listScsiDevices(roots)) {
    const node = block ? e.block : e.generic;
    if (!node) continue;
    const dir = block ? join(sys, 'block', basename(node)) : join(sys, 'class', 'scsi_generic', basename(node));
    if (readText(join(dir, 'dev')) === majmin) return e;
  }
  return null;
}

/**
 * Whether `path` is an optical drive: a block device of the SCSI CD-ROM class (major 11,
 * /dev/srN), or an sg device (major 21) whose INQUIRY type in sysfs is 5. Image files,
 * disks and everything else are not.
 */
export function isOpticalDrive(path: string, roots: SysfsRoots = {}): boolean {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  const major = Math.floor(st.rdev / 256) & 0xfff;
  if (st.isBlockDevice()) return major === SCSI_CDROM_MAJOR;
  if (st.isCharacterDevice() && major === SCSI_GENERIC_MAJOR) return sysfsEntryOf(path, roots)?.type === 5;
  return false;
}

/** The drive a cdrecord bus address (`1,0`, `ATA:1,0,0`) names, or null for any other name. */
export function driveAtAddress(given: string): string | null {
  return parseCdrecordAddress(given) ? resolveCdrecordAddress(given) : null;
}

/** The drive a medium path names, or null when it is an image file or another device. */
export function drivePathOf(path: string): string | null {
  if (parseCdrecordAddress(path)) return resolveCdrecordAddress(path);
  // By name first: a node being recreated (a rescan, a tray event) must not send a drive
  // down the block-device path, which would open it plainly and fail with EROFS.
  // A writer named by /dev/sgN burns through its /dev/srN, whose O_EXCL open the kernel
  // refuses while a session of the disc is mounted.
  if (/^\/dev\/sg[0-9]+$/.test(path)) return sysfsEntryOf(path)?.block ?? path;
  if (/^\/dev\/(sr|scd)[0-9]+$/.test(path)) return path;
  return isOpticalDrive(path) ? path : null;
}

/** Whether sysfs is there to be asked (not on other systems or in some containers). */
export function haveSysfs(roots: SysfsRoots = {}): boolean {
  return existsSync(join(roots.sys ?? '/sys', 'class'));
}
