// MMC profiles (GET CONFIGURATION's "current profile"): a name as cdrecord/xorriso print it
// and what kind of recording the medium allows, which decides how LAST,NEXT are computed.

/**
 * sequential: write-once or sequentially recorded (CD-R/RW, DVD-R[W] seq, DVD+R, BD-R SRM):
 *   real sessions, NWA from READ TRACK INFORMATION.
 * overwritable: one track, random writes (DVD+RW, DVD-RAM, DVD-RW restricted, BD-RE, BD-R RRM):
 *   multi-session is emulated in the ISO image as on image files (DESIGN §5).
 * rom: read-only.
 */
export type ProfileKind = 'sequential' | 'overwritable' | 'rom';
export type ProfileFamily = 'CD' | 'DVD' | 'BD' | 'other';

export interface ProfileInfo {
  code: number;
  name: string;
  family: ProfileFamily;
  kind: ProfileKind;
  /**
   * How libburn finds the next writable address: READ TRACK INFORMATION of the invisible
   * track 0xFF (defined by MMC-5 only for CD and DVD+R) or of the last track in the last
   * session (READ DISC INFORMATION), for DVD-R/-RW sequential and BD-R SRM.
   */
  nwaBy: 'invisible' | 'last-track' | null;
}

const P = (code: number, name: string, family: ProfileFamily, kind: ProfileKind, nwaBy: ProfileInfo['nwaBy'] = null): ProfileInfo => ({
  code,
  name,
  family,
  kind,
  nwaBy,
});

const PROFILES: ProfileInfo[] = [
  P(0x0008, 'CD-ROM', 'CD', 'rom'),
  P(0x0009, 'CD-R', 'CD', 'sequential', 'invisible'),
  P(0x000a, 'CD-RW', 'CD', 'sequential', 'invisible'),
  P(0x0010, 'DVD-ROM', 'DVD', 'rom'),
  P(0x0011, 'DVD-R sequential recording', 'DVD', 'sequential', 'last-track'),
  P(0x0012, 'DVD-RAM', 'DVD', 'overwritable'),
  P(0x0013, 'DVD-RW restricted overwrite', 'DVD', 'overwritable'),
  P(0x0014, 'DVD-RW sequential recording', 'DVD', 'sequential', 'last-track'),
  P(0x0015, 'DVD-R/DL sequential recording', 'DVD', 'sequential', 'last-track'),
  P(0x0016, 'DVD-R/DL layer jump recording', 'DVD', 'sequential', 'last-track'),
  P(0x001a, 'DVD+RW', 'DVD', 'overwritable'),
  P(0x001b, 'DVD+R', 'DVD', 'sequential', 'invisible'),
  P(0x002a, 'DVD+RW/DL', 'DVD', 'overwritable'),
  P(0x002b, 'DVD+R/DL', 'DVD', 'sequential', 'invisible'),
  P(0x0040, 'BD-ROM', 'BD', 'rom'),
  P(0x0041, 'BD-R sequential recording', 'BD', 'sequential', 'last-track'),
  P(0x0042, 'BD-R random recording', 'BD', 'overwritable'),
  P(0x0043, 'BD-RE', 'BD', 'overwritable'),
];

const BY_CODE = new Map(PROFILES.map((p) => [p.code, p]));

/** The profile's description; unknown codes (and 0, "no current profile") get a generic one. */
export function profileInfo(code: number): ProfileInfo {
  return BY_CODE.get(code) ?? P(code, code === 0 ? 'no current profile' : `unknown profile 0x${code.toString(16).padStart(4, '0')}`, 'other', 'rom');
}

/** '0x0009 CD-R' as xorriso prints profiles. */
export function profileLabel(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')} ${profileInfo(code).name}`;
}
