// Overwritable discs (DVD+RW, DVD-RAM, DVD-RW restricted overwrite, formatted BD-RE and
// BD-R RRM) carry emulated multi-session, the same layout as image files (DESIGN §5,
// docs/medium.md): this opens one as an EmulatedMedium whose sectors go through the drive
// (drive-sector-io.ts). The checks first: formatted, and how many sectors it holds.
import { EmulatedMedium, type OpenOptions } from '../media/emulated-medium.js';
import { MediumRefusal } from '../media/medium.js';
import { DriveSectorIo } from './drive-sector-io.js';
import { DriveError, type Drive } from './drive.js';
import { profileInfo, type ProfileInfo } from './profiles.js';
import { FORMAT_CAPACITIES_LENGTH, decodeFormatCapacities, readFormatCapacities, type FormatCapacities } from './write-commands.js';

/** READ FORMAT CAPACITIES, or null from a drive that does not answer it (DVD-RAM drives of old). */
export async function formatCapacities(drive: Drive): Promise<FormatCapacities | null> {
  try {
    return decodeFormatCapacities(await drive.command('READ FORMAT CAPACITIES', readFormatCapacities(), { inLength: FORMAT_CAPACITIES_LENGTH }));
  } catch (err) {
    if (err instanceof DriveError && err.sense) return null;
    throw err;
  }
}

export interface OverwritableDisc {
  profile: ProfileInfo;
  /** Sectors the disc holds (READ CAPACITY). */
  sectors: number;
}

/** The hint every message about an unformatted disc ends with. */
export function formatHint(name: string): string {
  return `format it first: cd-write --format dev=${name}`;
}

/**
 * The overwritable disc in `drive`: refused when it is not formatted (a DVD+RW or BD-RE
 * fresh from the box), since only a formatted disc takes random writes.
 */
export async function probeOverwritable(drive: Drive, profile: ProfileInfo): Promise<OverwritableDisc> {
  const caps = await formatCapacities(drive);
  if (caps?.current.state === 'unformatted') throw new MediumRefusal(`the ${profile.name} in ${drive.name} is not formatted: ${formatHint(drive.name)}`);
  let sectors: number;
  try {
    sectors = (await drive.capacity()).lastLba + 1;
  } catch (err) {
    if (!(err instanceof DriveError) || !caps) throw err;
    sectors = caps.current.blocks;
  }
  if (!(sectors > 0))
    throw new MediumRefusal(
      `the ${profile.name} in ${drive.name} reports no capacity (${caps?.current.state ?? 'READ CAPACITY failed'}): ${formatHint(drive.name)}`,
    );
  return { profile, sectors };
}

/** The current profile, or null when the drive reports none (no disc, or an MMC-1 drive). */
export async function currentProfile(drive: Drive): Promise<ProfileInfo | null> {
  try {
    const code = (await drive.configuration()).currentProfile;
    return code === 0 ? null : profileInfo(code);
  } catch (err) {
    if (err instanceof DriveError) return null;
    throw err;
  }
}

/**
 * The disc as an emulated multi-session medium. For writing, the drive must have been opened
 * for writing (O_EXCL: the one-writer guarantee, and the kernel refuses it while mounted).
 * Releasing the medium closes the drive when `closeDrive` says so.
 */
export function overwritableMedium(drive: Drive, disc: OverwritableDisc, opts: OpenOptions, closeDrive = true): EmulatedMedium {
  return EmulatedMedium.onSectors(drive.name, new DriveSectorIo(drive, disc.sectors, closeDrive), opts);
}
