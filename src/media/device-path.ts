// How every isopipe tool names its medium (DESIGN §1): --dev PATH, cdrecord's dev=PATH,
// else the CDR_DEVICE environment variable — and cdrecord's option spelling, which
// minimist cannot parse by itself (dev=X, single-dash long options such as -multi).

import { dirname, resolve } from 'node:path';

/** Thrown for a medium that cannot be named; the CLI reports it as a usage error. */
export class DevicePathError extends Error {}

export function resolveDevicePath(dev: string | undefined, env: NodeJS.ProcessEnv): string {
  const path = dev ?? env.CDR_DEVICE;
  if (path === undefined || path === '') throw new DevicePathError('no medium given: use --dev PATH (or dev=PATH), or set CDR_DEVICE');
  // cdrecord/xorriso spell image files as stdio:PATH; accept that spelling too. With the
  // prefix, the rest is a file name whatever it looks like.
  if (path.startsWith('stdio:')) return path.slice(6);
  if (isBusAddress(path)) return busAddressMedium(path);
  return path;
}

/**
 * cdrecord's ways to name a drive rather than a file: `1,0` / `0,1,0` (SCSI bus,target,lun)
 * and `ATA:1,0,0`, `ATAPI:0,0,0`, `USCSI:…`, `REMOTE:…` — never file names (`dev=1,0` once
 * created a file `./1,0`).
 */
export function isBusAddress(text: string): boolean {
  return /^[0-9]+,[0-9]+(,[0-9]+)?$/.test(text) || /^(ATA|ATAPI|USCSI|REMOTE|SCSI)[^/]*:/i.test(text);
}

/**
 * The drive a bus address names. This is the place for src/drive/address.ts (the drive
 * layer maps `1,0`, `ATA:…` to a drive, as `cd-msinfo --scan` lists them); until then a
 * bus address is refused, and never taken as a file name.
 */
function busAddressMedium(address: string): never {
  throw new DevicePathError(
    `dev=${address} is a cdrecord bus address, not a medium isopipe can open: name the drive's device (dev=/dev/sr0) or an image file (dev=stdio:${address} if that really is a file's name)`,
  );
}

/**
 * True when `path` lies in /dev (also through a symlinked directory): isopipe never
 * creates a file there — a missing /dev/sr0 means no drive, not a new medium.
 */
export function isUnderDev(path: string, realDir: (dir: string) => string): boolean {
  const abs = resolve(path);
  if (abs === '/dev' || abs.startsWith('/dev/')) return true;
  try {
    const dir = realDir(dirname(abs));
    return dir === '/dev' || dir.startsWith('/dev/');
  } catch {
    return false;
  }
}

/**
 * Rewrites cdrecord habits into minimist's spelling: `dev=X` → `--dev=X` (any NAME=VALUE
 * word whose NAME is in `valued`), `-multi` → `--multi` (single-dash words in `long`).
 * Words after `--` and file names are left alone.
 */
export function normaliseCdrecordArgv(argv: string[], valued: readonly string[], long: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const a of argv) {
    if (rest || a === '--') {
      rest = true;
      out.push(a);
      continue;
    }
    const eq = /^([a-z]+)=(.*)$/s.exec(a);
    if (eq && valued.includes(eq[1])) out.push(`--${eq[1]}=${eq[2]}`);
    else if (/^-[a-z][a-z-]+(=.*)?$/s.test(a) && long.includes(a.slice(1).split('=')[0])) out.push('-' + a);
    else out.push(a);
  }
  return out;
}
