// How many sectors a medium holds: --capacity SECTORS|SIZE, --media NAME, or the size of a
// block device. Parsing only; the CLI turns errors into usage errors.
import { readFileSync } from 'node:fs';
import { SECTOR } from '../iso9660/constants.js';

/** Nominal capacities in 2048-byte sectors (what cdrecord/growisofs report for blank media). */
export const MEDIA_SECTORS: Readonly<Record<string, number>> = {
  cd74: 333_000,
  cd80: 360_000,
  dvd: 2_295_104,
  'dvd-dl': 4_173_824,
  bd25: 12_219_392,
  bd50: 24_438_784,
};

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * `--capacity`: a bare number is sectors (as cd-msinfo prints them), `Ns` too; a number
 * with a unit is bytes (k/M/G/T binary, kB/MB/GB/TB decimal), rounded down to sectors.
 */
export function parseCapacity(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw new Error(`--capacity wants SECTORS or a size such as 700M, not '${text}'`);
  const value = Number(m[1]);
  const unit = m[2].toLowerCase();
  let sectors: number;
  if (unit === '' || unit === 's') {
    if (!Number.isInteger(value)) throw new Error(`--capacity: ${text} is not a whole number of sectors`);
    sectors = value;
  } else if (unit in UNITS) {
    sectors = Math.floor((value * UNITS[unit]) / SECTOR);
  } else {
    throw new Error(`--capacity: unknown unit '${m[2]}' (use s, k, M, G, T, kB, MB, GB, TB)`);
  }
  if (!Number.isSafeInteger(sectors) || sectors < 1 || sectors > 0xffffffff) throw new Error(`--capacity ${text} is out of range`);
  return sectors;
}

export function mediaCapacity(name: string): number {
  const n = MEDIA_SECTORS[name.toLowerCase()];
  if (n === undefined) throw new Error(`--media must be one of ${Object.keys(MEDIA_SECTORS).join(', ')}, not '${name}'`);
  return n;
}

/**
 * Size in bytes of the block device with device number `rdev`, from sysfs (Node cannot
 * issue BLKGETSIZE64). Null when sysfs does not say.
 */
export function blockDeviceBytes(rdev: number): number | null {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  try {
    const text = readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'latin1').trim();
    if (!/^[0-9]+$/.test(text)) return null;
    return Number(text) * 512; // sysfs counts 512-byte units whatever the device's block size
  } catch {
    return null;
  }
}
