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

/** The profile codes the write side singles out, named once. */
export const Profile = {
  CD_RW: 0x000a,
  DVD_R_SEQUENTIAL: 0x0011,
  DVD_RAM: 0x0012,
  DVD_RW_RESTRICTED: 0x0013,
  DVD_RW_SEQUENTIAL: 0x0014,
  DVD_R_DL_SEQUENTIAL: 0x0015,
  DVD_R_DL_JUMP: 0x0016,
  DVD_PLUS_RW: 0x001a,
  DVD_PLUS_R: 0x001b,
  DVD_PLUS_RW_DL: 0x002a,
  DVD_PLUS_R_DL: 0x002b,
  BD_R_SRM: 0x0041,
  BD_RE: 0x0043,
} as const;

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
  P(Profile.CD_RW, 'CD-RW', 'CD', 'sequential', 'invisible'),
  P(0x0010, 'DVD-ROM', 'DVD', 'rom'),
  P(Profile.DVD_R_SEQUENTIAL, 'DVD-R sequential recording', 'DVD', 'sequential', 'last-track'),
  P(Profile.DVD_RAM, 'DVD-RAM', 'DVD', 'overwritable'),
  P(Profile.DVD_RW_RESTRICTED, 'DVD-RW restricted overwrite', 'DVD', 'overwritable'),
  P(Profile.DVD_RW_SEQUENTIAL, 'DVD-RW sequential recording', 'DVD', 'sequential', 'last-track'),
  P(Profile.DVD_R_DL_SEQUENTIAL, 'DVD-R/DL sequential recording', 'DVD', 'sequential', 'last-track'),
  P(Profile.DVD_R_DL_JUMP, 'DVD-R/DL layer jump recording', 'DVD', 'sequential', 'last-track'),
  P(Profile.DVD_PLUS_RW, 'DVD+RW', 'DVD', 'overwritable'),
  P(Profile.DVD_PLUS_R, 'DVD+R', 'DVD', 'sequential', 'invisible'),
  P(Profile.DVD_PLUS_RW_DL, 'DVD+RW/DL', 'DVD', 'overwritable'),
  P(Profile.DVD_PLUS_R_DL, 'DVD+R/DL', 'DVD', 'sequential', 'invisible'),
  P(0x0040, 'BD-ROM', 'BD', 'rom'),
  P(Profile.BD_R_SRM, 'BD-R sequential recording', 'BD', 'sequential', 'last-track'),
  P(0x0042, 'BD-R random recording', 'BD', 'overwritable'),
  P(Profile.BD_RE, 'BD-RE', 'BD', 'overwritable'),
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
