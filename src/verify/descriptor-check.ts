// A session's volume descriptor set: each descriptor well-formed, one primary first, a
// terminator; the primary's zero fields; where both roots and path tables lie.
import {
  decodeVolumeDescriptor,
  DESCRIPTOR_BOOT,
  DESCRIPTOR_PARTITION,
  DESCRIPTOR_PRIMARY,
  DESCRIPTOR_SUPPLEMENTARY,
  DESCRIPTOR_TERMINATOR,
  isVolumeDescriptor,
  type VolumeDescriptor,
} from '../iso9660/volume-descriptor.js';
import { SECTOR } from '../iso9660/constants.js';
import { MAX_DESCRIPTORS } from '../image/image.js';
import type { SessionContext } from './session-context.js';

export interface DescriptorSet {
  primary: VolumeDescriptor | null;
  joliet: VolumeDescriptor | null;
  /** The head sectors S+16… that hold descriptors, up to and including the terminator. */
  sectors: number;
}

export function checkDescriptors(ctx: SessionContext): DescriptorSet {
  const s = ctx.session;
  const set: DescriptorSet = { primary: null, joliet: null, sectors: 0 };
  let terminator = false;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const lba = s.start + 16 + i;
    if (!ctx.src.holds(lba, SECTOR)) {
      ctx.find('descriptor', `the volume descriptor set runs past the end of the medium at LBA ${lba}`, { lba });
      return set;
    }
    const sector = ctx.src.read(lba, 1);
    if (!isVolumeDescriptor(sector)) {
      if (i === 0) ctx.find('descriptor', 'no volume descriptor at the session start + 16', { lba });
      else ctx.find('descriptor', 'the volume descriptor set ends without a terminator', { lba });
      return set;
    }
    const type = sector[0];
    set.sectors = i + 1;
    if (i === 0 && type !== DESCRIPTOR_PRIMARY)
      ctx.find('descriptor', `the first volume descriptor has type ${type}, not a primary one`, { lba, expected: DESCRIPTOR_PRIMARY, found: type });
    if (type === DESCRIPTOR_TERMINATOR) {
      terminator = true;
      if (sector[6] !== 1) ctx.find('descriptor', `terminator version ${sector[6]} is not 1`, { lba });
      for (let k = 7; k < SECTOR; k++)
        if (sector[k] !== 0) {
          ctx.find('descriptor', `terminator byte ${k} is not zero`, { lba, found: sector[k] });
          break;
        }
      break;
    }
    if (type === DESCRIPTOR_PRIMARY || type === DESCRIPTOR_SUPPLEMENTARY) {
      let vd: VolumeDescriptor;
      try {
        vd = decodeVolumeDescriptor(sector);
      } catch (err) {
        ctx.find('descriptor', (err as Error).message, { lba });
        continue;
      }
      for (const p of vd.problems) ctx.find('descriptor', p, { lba });
      if (type === DESCRIPTOR_PRIMARY) {
        if (set.primary) ctx.find('descriptor', 'a second primary volume descriptor', { lba });
        else {
          set.primary = vd;
          primaryFields(ctx, sector, vd, lba);
        }
      } else if (vd.jolietLevel && !set.joliet) {
        set.joliet = vd;
        descriptorGeometry(ctx, vd, lba, 'Joliet');
      }
    } else if (type !== DESCRIPTOR_BOOT && type !== DESCRIPTOR_PARTITION) {
      ctx.find('descriptor', `volume descriptor of unknown type ${type}`, { lba, found: type });
    }
  }
  if (!terminator && set.sectors >= MAX_DESCRIPTORS)
    ctx.find('descriptor', `no terminator among the first ${MAX_DESCRIPTORS} volume descriptors`, { lba: s.start + 16 });
  return set;
}

/** Zero fields and geometry of the PVD, as strict readers (libarchive) check them. */
function primaryFields(ctx: SessionContext, sector: Buffer, vd: VolumeDescriptor, lba: number): void {
  const zero = (from: number, to: number, what: string) => {
    for (let k = from; k < to; k++)
      if (sector[k] !== 0) {
        ctx.find('descriptor', `PVD ${what} (byte ${k}) is not zero`, { lba, found: sector[k] });
        return;
      }
  };
  zero(7, 8, 'unused field');
  zero(72, 80, 'unused field');
  zero(88, 120, 'unused field');
  zero(1395, SECTOR, 'reserved area');
  if (vd.fileStructureVersion !== 1) ctx.find('descriptor', `file structure version ${vd.fileStructureVersion} is not 1`, { lba });
  // libisoburn's convention (and ours): a session's PVD gives the session's own length.
  const end = ctx.session.start + vd.volumeSpaceSize;
  if (end > ctx.src.sectors)
    ctx.find('medium', `the session ends at LBA ${end}, past the end of the medium (${ctx.src.sectors} sectors): truncated`, {
      lba: ctx.src.sectors,
      expected: end,
      found: ctx.src.sectors,
    });
  descriptorGeometry(ctx, vd, lba, 'PVD');
}

function descriptorGeometry(ctx: SessionContext, vd: VolumeDescriptor, lba: number, what: string): void {
  const inSession = (x: number) => x >= ctx.session.start && x < ctx.end;
  if (!inSession(vd.root.extent))
    ctx.find('extent', `${what} root directory at LBA ${vd.root.extent} lies outside the session`, { lba, found: vd.root.extent });
  if (vd.root.size === 0 || vd.root.size % SECTOR)
    ctx.find('directory', `${what} root directory size ${vd.root.size} is not a whole number of sectors`, { lba });
  if (!inSession(vd.lPathTable)) ctx.find('path-table', `${what} L path table at LBA ${vd.lPathTable} lies outside the session`, { lba, found: vd.lPathTable });
  if (vd.mPathTable !== 0 && !inSession(vd.mPathTable))
    ctx.find('path-table', `${what} M path table at LBA ${vd.mPathTable} lies outside the session`, { lba, found: vd.mPathTable });
}
