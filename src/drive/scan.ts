// cdrecord -scanbus for isopipe: the optical drives sysfs lists, each opened briefly to name
// the medium inside (profile and state), or why it could not be (busy, no medium, no koffi).
import { listOpticalDrives, type DriveEntry, type SysfsRoots } from './address.js';
import { DriveError, NoMediumError, openDrive } from './drive.js';
import { readDisc } from './disc.js';

export interface ScannedDrive extends DriveEntry {
  /** '0x0009 CD-R' etc., or null when unknown. */
  profile: string | null;
  state: string | null;
  /** Why the medium is unknown: 'no medium', the open error, ... */
  note: string | null;
}

export async function scanDrives(roots: SysfsRoots = {}): Promise<ScannedDrive[]> {
  const out: ScannedDrive[] = [];
  for (const e of listOpticalDrives(roots)) {
    const node = e.block ?? e.generic;
    const s: ScannedDrive = { ...e, profile: null, state: null, note: null };
    out.push(s);
    if (!node) {
      s.note = 'no device node';
      continue;
    }
    try {
      const { drive } = await openDrive(node);
      try {
        const r = await readDisc(drive);
        s.profile = r.profile.name;
        s.state = r.state;
      } finally {
        drive.close();
      }
    } catch (err) {
      if (err instanceof NoMediumError) s.note = 'no medium';
      else if (err instanceof DriveError || err instanceof Error) s.note = err.message.replace(`${node}: `, '');
      else throw err;
    }
  }
  return out;
}
