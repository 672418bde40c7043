// Which LBA a plain ISO image (no head-last framing) was laid out for. All its LBAs are
// absolute, but it does not say its start, so cd-write deduces it: the root directory's
// own "." record names the root's LBA R, and the sector holding it sits at R − start in
// the image. Until that sector is seen, the PVD's fields only tell which starts are
// plausible. Pure: sectors in, answers out.
import type { VolumeDescriptor } from '../iso9660/volume-descriptor.js';
import { SECTOR } from '../iso9660/constants.js';

function both32(b: Buffer, off: number): number | null {
  if (off + 8 > b.length) return null;
  const le = b.readUInt32LE(off);
  return le === b.readUInt32BE(off + 4) ? le : null;
}

/** A directory record at `off` that is "." (id 0) or ".." (id 1) with extent `lba`. */
function isDotRecord(b: Buffer, off: number, id: number, lba: number): number {
  const len = b[off];
  if (len === undefined || len < 34 || off + len > SECTOR) return 0;
  if (b[off + 32] !== 1 || b[off + 33] !== id) return 0;
  if ((b[off + 25] & 0x02) === 0) return 0;
  return both32(b, off + 2) === lba ? len : 0;
}

/** True when `sector` is the first sector of the root directory whose extent is `rootLba`. */
export function isRootDirectorySector(sector: Buffer, rootLba: number): boolean {
  if (sector.length < SECTOR) return false;
  const dot = isDotRecord(sector, 0, 0, rootLba);
  return dot > 0 && isDotRecord(sector, dot, 1, rootLba) > 0;
}

/**
 * Whether an image could have been laid out for `start`: its root directory and path
 * tables must lie after the descriptors at start+16 and inside the volume. The volume space
 * size of a session is its own length (DESIGN §5); some writers record the absolute end, so
 * either reading is allowed.
 */
export function isPlausibleStart(pvd: VolumeDescriptor, start: number): boolean {
  const limit = Math.max(start + pvd.volumeSpaceSize, pvd.volumeSpaceSize);
  const inside = (lba: number) => lba >= start + 17 && lba < limit;
  if (!inside(pvd.root.extent)) return false;
  if (pvd.lPathTable !== 0 && !inside(pvd.lPathTable)) return false;
  if (pvd.mPathTable !== 0 && !inside(pvd.mPathTable)) return false;
  return true;
}

/**
 * Searches a seekable image for the start it was laid out for: the root directory of a
 * session at X sits at R − X in the image, for X a multiple of 16 (all session starts are)
 * with R inside [X+17, X+size). Bounded by `maxProbes` reads. Used to name the right LBA
 * in a refusal.
 */
export function findBuiltFor(pvd: VolumeDescriptor, peek: (sector: number, count: number) => Buffer | null, maxProbes = 65536): number | null {
  const root = pvd.root.extent;
  const lowest = Math.max(0, root - pvd.volumeSpaceSize + 1);
  let probes = 0;
  for (let x = Math.floor((root - 17) / 16) * 16; x >= lowest && probes < maxProbes; x -= 16, probes++) {
    const s = peek(root - x, 1);
    if (s && isRootDirectorySector(s, root)) return x;
  }
  return null;
}
