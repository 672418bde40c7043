// How every isopipe tool names its medium (DESIGN §1): --dev PATH, cdrecord's dev=PATH,
// else the CDR_DEVICE environment variable — and cdrecord's option spelling, which
// minimist cannot parse by itself (dev=X, single-dash long options such as -multi).

/** Thrown for a medium that cannot be named; the CLI reports it as a usage error. */
export class DevicePathError extends Error {}

export function resolveDevicePath(dev: string | undefined, env: NodeJS.ProcessEnv): string {
  const path = dev ?? env.CDR_DEVICE;
  if (path === undefined || path === '') throw new DevicePathError('no medium given: use --dev PATH (or dev=PATH), or set CDR_DEVICE');
  // cdrecord/xorriso spell image files as stdio:PATH; accept that spelling too.
  return path.startsWith('stdio:') ? path.slice(6) : path;
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
