// A torn or stale medium head (issue #11): LBA 16–31 must be a copy of the newest complete
// session's volume descriptors with the volume space size set to its end. A power loss
// during the commit write, or a tool that rewrote part of the head, can leave a mix of two
// heads; readers then see a wrong tree. Reads through a ReadSectors; checkMediumHeadOf opens a path.
import {
  DESCRIPTOR_PRIMARY,
  DESCRIPTOR_SUPPLEMENTARY,
  DESCRIPTOR_TERMINATOR,
  VD,
  decodeVolumeDescriptor,
  descriptorSet,
  isPrimaryDescriptor,
  isVolumeDescriptor,
} from '../iso9660/volume-descriptor.js';
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import { roundUp } from '../iso9660/numbers.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FIRST_SESSION, MAX_SESSIONS, SESSION_ALIGNMENT, scanMedium, type MediumScan, type ReadSectors } from '../image/sessions.js';
import { blockDeviceBytes } from './capacity.js';

/** A session found by walking the chain from LBA 32, whatever the head says. */
export interface ChainedSession {
  start: number;
  size: number;
}

function sectorAt(read: ReadSectors, lba: number, count = 1): Buffer {
  const got = read(lba, count);
  if (got.length >= count * SECTOR) return got.subarray(0, count * SECTOR);
  const b = Buffer.alloc(count * SECTOR);
  got.copy(b);
  return b;
}

/**
 * Every complete session from LBA 32 on, without the medium head: a session is complete when
 * its own head holds a descriptor set (cd-write writes it only after the session's data is
 * on disk) and the medium holds all of its sectors. Stops at the first that is not.
 */
export function chainFrom32(read: ReadSectors, mediumSectors: number): ChainedSession[] {
  const out: ChainedSession[] = [];
  let lba = FIRST_SESSION;
  while (out.length < MAX_SESSIONS && lba + HEAD_SECTORS <= mediumSectors) {
    const head = sectorAt(read, lba, HEAD_SECTORS);
    const pvd = head.subarray(16 * SECTOR, 17 * SECTOR);
    if (!isPrimaryDescriptor(pvd) || !descriptorSet(head)) break;
    let size: number;
    try {
      size = decodeVolumeDescriptor(pvd).volumeSpaceSize;
    } catch {
      break;
    }
    if (size < 1 || lba + size > mediumSectors) break;
    out.push({ start: lba, size });
    lba = roundUp(lba + size, SESSION_ALIGNMENT);
  }
  return out;
}

/**
 * Bytes of a descriptor the medium head may have of its own: the volume space size, and the
 * PVD's application use area (isopipe's closed and capacity marks; cd-verify's check skips it too).
 */
function ignored(type: number, k: number): boolean {
  if (k >= VD.volumeSpaceSize && k < VD.volumeSpaceSize + 8) return true;
  return type === DESCRIPTOR_PRIMARY && k >= VD.applicationUse && k < VD.applicationUse + VD.applicationUseLength;
}

/** How the head's descriptors differ from those of the session at `start` ending at `end`, or null. */
function descriptorDifference(read: ReadSectors, start: number, end: number): string | null {
  for (let i = 0; i < 16; i++) {
    const own = sectorAt(read, start + 16 + i);
    const head = sectorAt(read, 16 + i);
    if (!isVolumeDescriptor(own)) return null;
    if (!isVolumeDescriptor(head)) return `LBA ${16 + i} holds no volume descriptor where the session has one`;
    if (head[0] !== own[0]) return `LBA ${16 + i} holds a descriptor of type ${head[0]} where the session has type ${own[0]}`;
    const type = own[0];
    if (type === DESCRIPTOR_PRIMARY || type === DESCRIPTOR_SUPPLEMENTARY) {
      const size = head.readUInt32LE(VD.volumeSpaceSize);
      if (size !== end) return `LBA ${16 + i} gives the volume end ${size}, the session ends at ${end}`;
    }
    for (let k = 0; k < SECTOR; k++)
      if (head[k] !== own[k] && !ignored(type, k)) return `LBA ${16 + i} differs from the session's descriptor at LBA ${start + 16 + i}`;
    if (type === DESCRIPTOR_TERMINATOR) return null;
  }
  return null;
}

/**
 * Why the medium head does not show the newest complete session, or null when it does (or
 * when there is no head to check: blank, a plain image at LBA 0, a truncated medium).
 */
export function mediumHeadProblem(read: ReadSectors, mediumSectors: number, scan: MediumScan): string | null {
  const advice = 'it looks torn or stale: cd-write -fix rewrites it from the newest complete session';
  if (scan.kind === 'foreign') {
    const chain = chainFrom32(read, mediumSectors);
    if (chain.length === 0) return null;
    return `the medium head (LBA 16–31) holds no ISO 9660 volume descriptor set, but ${chain.length} session(s) follow from LBA 32; ${advice}`;
  }
  if (scan.kind !== 'iso' || scan.layout !== 'head' || scan.truncated || scan.sessions.length === 0) return null;
  const newest = scan.sessions[scan.sessions.length - 1];
  const end = newest.start + newest.size;
  const why = descriptorDifference(read, newest.start, end);
  if (why === null) return null;
  return `the medium head (LBA 16–31) does not match the newest complete session (session ${newest.number} at LBA ${newest.start}): ${why}; ${advice}`;
}

/**
 * For cd-verify: why the medium head of the image file or device at `path` does not show
 * the newest complete session (with the -fix advice), or null. Opens, reads, closes.
 */
export function checkMediumHeadOf(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    const bytes = st.isBlockDevice() ? (blockDeviceBytes(st.rdev) ?? 0) : st.size;
    const read: ReadSectors = (lba, count) => {
      const b = Buffer.alloc(count * SECTOR);
      const n = lba * SECTOR >= bytes ? 0 : readSync(fd, b, 0, b.length, lba * SECTOR);
      return b.subarray(0, n);
    };
    const sectors = Math.ceil(bytes / SECTOR);
    return mediumHeadProblem(read, sectors, scanMedium(read, sectors));
  } finally {
    closeSync(fd);
  }
}
