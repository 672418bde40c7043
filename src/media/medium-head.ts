// The medium head (LBA 0–31, DESIGN §5): a copy of the newest session's head with the
// volume space size patched to the absolute end, and isopipe's "closed" mark. Pure: this
// module composes sectors and plans the order they are written in; it does no I/O.
import {
  DESCRIPTOR_PRIMARY,
  DESCRIPTOR_SUPPLEMENTARY,
  VD,
  asPseudoBlank,
  descriptorSet,
  isVolumeDescriptor,
  isZeroSector,
  encodeTerminator,
  withVolumeSpaceSize,
} from '../iso9660/volume-descriptor.js';
import { encodeTag, looksLikeTag, md5 } from '../iso9660/checksum-tags.js';
import { superblockTagOf } from '../session/checksum-seal.js';
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';

export const SYSTEM_AREA_SECTORS = 16;

/**
 * isopipe's "closed" mark: 32 bytes at the end of the PVD's application use area (883–1394)
 * of the medium head only. Magic, then a version. See docs/medium.md.
 */
export const CLOSED_MARK_OFFSET = VD.applicationUse + VD.applicationUseLength - 32; // 1363
const CLOSED_MAGIC = 'ISOPIPE-CLOSED..';
const CLOSED_VERSION = 1;

export function hasClosedMark(pvd: Buffer): boolean {
  return pvd.length >= CLOSED_MARK_OFFSET + 32 && pvd.toString('latin1', CLOSED_MARK_OFFSET, CLOSED_MARK_OFFSET + 16) === CLOSED_MAGIC;
}

/** Same check on an application use area (512 bytes) as MediumScan gives it. */
export function applicationUseHasClosedMark(appUse: Buffer | null): boolean {
  const off = CLOSED_MARK_OFFSET - VD.applicationUse;
  return appUse !== null && appUse.length >= off + 32 && appUse.toString('latin1', off, off + 16) === CLOSED_MAGIC;
}

/**
 * The capacity given when the medium was made (cd-write --create --media/--capacity), so
 * that later calls need not repeat it: 32 bytes just before the closed mark, in the medium
 * head's PVD only (or its pseudo-blank stand-in on a blank medium). Magic, sectors (u32 LE).
 */
export const CAPACITY_MARK_OFFSET = CLOSED_MARK_OFFSET - 32; // 1331
const CAPACITY_MAGIC = 'ISOPIPE-CAPACITY';

/** The capacity recorded in a medium head's PVD at LBA 16 (CD001 or CDXX1), or null. */
export function recordedCapacity(pvd: Buffer): number | null {
  if (pvd.length < CAPACITY_MARK_OFFSET + 32) return null;
  if (pvd.toString('latin1', CAPACITY_MARK_OFFSET, CAPACITY_MARK_OFFSET + 16) !== CAPACITY_MAGIC) return null;
  const n = pvd.readUInt32LE(CAPACITY_MARK_OFFSET + 16);
  return n > 0 ? n : null;
}

/** Records (or, with null, clears) the capacity in a PVD, in place. */
export function setCapacityMark(pvd: Buffer, sectors: number | null): void {
  const had = pvd.toString('latin1', CAPACITY_MARK_OFFSET, CAPACITY_MARK_OFFSET + 16) === CAPACITY_MAGIC;
  if (sectors === null) {
    if (had) pvd.fill(0, CAPACITY_MARK_OFFSET, CAPACITY_MARK_OFFSET + 32);
    return;
  }
  pvd.fill(0, CAPACITY_MARK_OFFSET, CAPACITY_MARK_OFFSET + 32);
  pvd.write(CAPACITY_MAGIC, CAPACITY_MARK_OFFSET, 'latin1');
  pvd.writeUInt32LE(sectors, CAPACITY_MARK_OFFSET + 16);
}

/**
 * The head of a new blank medium that remembers its capacity: a pseudo-blank PVD (CDXX1,
 * which xorriso and isopipe read as blank) at LBA 16 carrying the capacity mark, zeros
 * elsewhere. The first commit replaces it as it replaces xorriso's pseudo-blank head.
 */
export function blankHeadWithCapacity(sectors: number): Buffer {
  const head = Buffer.alloc(HEAD_SECTORS * SECTOR);
  const pvd = head.subarray(16 * SECTOR, 17 * SECTOR);
  pvd[VD.type] = DESCRIPTOR_PRIMARY;
  pvd.write('CDXX1', VD.standardId, 'latin1');
  pvd[VD.version] = 1;
  setCapacityMark(pvd, sectors);
  return head;
}

function setClosedMark(pvd: Buffer, closed: boolean): void {
  if (closed) {
    pvd.fill(0, CLOSED_MARK_OFFSET, CLOSED_MARK_OFFSET + 32);
    pvd.write(CLOSED_MAGIC, CLOSED_MARK_OFFSET, 'latin1');
    pvd.writeUInt32LE(CLOSED_VERSION, CLOSED_MARK_OFFSET + 16);
  } else if (hasClosedMark(pvd)) {
    pvd.fill(0, CLOSED_MARK_OFFSET, CLOSED_MARK_OFFSET + 32);
  }
}

/** A copy of a session head whose PVD (sector 16) carries the closed mark. */
export function withClosedMark(head: Buffer): Buffer {
  const copy = Buffer.from(head);
  setClosedMark(copy.subarray(16 * SECTOR, 17 * SECTOR), true);
  return copy;
}

export interface SectorWrite {
  lba: number;
  data: Buffer;
}

/** Writes to do in order, with an fsync after each step. */
export interface HeadCommitPlan {
  /** Makes the old state safe to keep while the new head is incomplete. */
  prepare: SectorWrite[];
  /** The commit: sectors 16–17 (16–T for a 'single' layout) in one write. */
  commit: SectorWrite[];
  /** After the commit: the relocated superblock checksum tag, when the session has tags. */
  finish: SectorWrite[];
}

/**
 * True when the old PVD at 16 and old sector 17 still end in a terminator once LBA 18–31
 * hold the new head: the old 17 is a terminator, or it is a descriptor and the new 18 is
 * one. Then the old set (e.g. its Joliet SVD) stays whole between the two steps.
 */
function keepsOldSet(current: Buffer, head: Buffer): boolean {
  const old17 = current.subarray(17 * SECTOR, 18 * SECTOR);
  const new18 = head.subarray(18 * SECTOR, 19 * SECTOR);
  if (!isVolumeDescriptor(old17)) return false;
  return old17[0] === 255 || (isVolumeDescriptor(new18) && new18[0] === 255);
}

export interface HeadPlanInput {
  /** The medium's LBA 0–31 as they are now (shorter = zeros). */
  current: Buffer;
  /**
   * 'blank': nothing to keep. 'head': LBA 17–31 hold only old descriptors (xorriso, isopipe).
   * 'single': the newest session starts at 0 and LBA 18–31 may hold its live data.
   */
  currentLayout: 'blank' | 'head' | 'single';
  /** The new session's first 32 sectors (its head), as written at its start. */
  sessionHead: Buffer;
  /** LBA the new session starts at. */
  start: number;
  /** Absolute end of the new volume: session start + its volume space size. */
  end: number;
  /** Record the medium as closed (written without --multi). */
  closed: boolean;
  /** Overwrite the medium's system area even when it is not zero (--force over foreign data). */
  replaceSystemArea?: boolean;
  /** The medium's capacity to record in the head (not for a session at LBA 0, whose head is its own). */
  capacity?: number | null;
}

/**
 * The new medium head and the order to write it in, so that a crash between the steps
 * leaves the previous state visible:
 * - prepare ('head'): LBA 18–31 get the new head; sector 17 becomes a terminator first
 *   unless the old PVD's set still ends in one (then the old Joliet tree stays too).
 *   Blank: 16 gets the pseudo-blank mark (xorriso and isopipe read blank), 17 a terminator,
 *   18–31 the new head. 'single': nothing but a new system area.
 * - commit: sectors 16–17 in one 4 KiB page-aligned write (16–T for 'single').
 * - finish: libisofs's relocated superblock tag after the descriptors, when the session has
 *   a superblock tag (xorriso -md5 on, iso-pack --md5), as xorriso writes it. The session's
 *   own tags, and stale ones, are cleared from the copy first: they name other LBAs.
 *   Written last, so that a crash before it leaves no tag rather than a wrong one.
 * The system area (LBA 0–15) of the medium is kept when it is not all zero.
 */
export function planMediumHead(input: HeadPlanInput): HeadCommitPlan {
  const { currentLayout, end, closed } = input;
  const current = Buffer.alloc(HEAD_SECTORS * SECTOR);
  input.current.copy(current, 0, 0, Math.min(input.current.length, current.length));
  const session = Buffer.alloc(HEAD_SECTORS * SECTOR);
  input.sessionHead.copy(session, 0, 0, Math.min(input.sessionHead.length, session.length));

  const set = descriptorSet(session);
  if (!set || set[0].type !== DESCRIPTOR_PRIMARY) throw new Error('the session head has no volume descriptor set starting with a PVD at sector 16');
  const last = set[set.length - 1].index;

  const head = Buffer.from(session);
  const keepSystemArea = !input.replaceSystemArea && !isZeroSector(current, 0, SYSTEM_AREA_SECTORS * SECTOR);
  if (keepSystemArea) current.copy(head, 0, 0, SYSTEM_AREA_SECTORS * SECTOR);
  for (const d of set) {
    if (d.type !== DESCRIPTOR_PRIMARY && d.type !== DESCRIPTOR_SUPPLEMENTARY) continue;
    const at = d.index * SECTOR;
    const patched = withVolumeSpaceSize(head.subarray(at, at + SECTOR), end);
    if (d.index === 16) {
      setClosedMark(patched, closed);
      if (input.start !== 0) setCapacityMark(patched, input.capacity ?? null);
    }
    patched.copy(head, at);
  }
  // A session at LBA 0 is the medium head: its tags are its own and stay. Otherwise the
  // copy's tags name the session's LBAs: clear them, and relocate the superblock tag.
  const tagAt = last + 1;
  let relocatedTag: Buffer | null = null;
  if (input.start !== 0) {
    const own = superblockTagOf(session);
    for (let k = tagAt; k < HEAD_SECTORS; k++) if (looksLikeTag(head.subarray(k * SECTOR, (k + 1) * SECTOR))) head.fill(0, k * SECTOR, (k + 1) * SECTOR);
    if (own)
      relocatedTag = encodeTag({
        type: 'relocated-superblock',
        pos: tagAt,
        rangeStart: 0,
        rangeSize: tagAt,
        next: input.start,
        md5: md5(head.subarray(0, tagAt * SECTOR)),
      });
  }
  const finish: SectorWrite[] = relocatedTag ? [{ lba: tagAt, data: relocatedTag }] : [];
  const sectors = (from: number, to: number): SectorWrite => ({ lba: from, data: head.subarray(from * SECTOR, to * SECTOR) });
  // Written only when it changes: the medium's is zero and the session brings one.
  const newSystemArea = !keepSystemArea && (input.replaceSystemArea || !isZeroSector(head, 0, SYSTEM_AREA_SECTORS * SECTOR));
  const systemArea: SectorWrite[] = newSystemArea ? [sectors(0, SYSTEM_AREA_SECTORS)] : [];

  if (currentLayout === 'single') {
    // LBA 17… may be the old session's live data until the PVD at 16 changes: write only
    // the new descriptor set, in one go (xorriso does the same).
    // libisofs searches LBA 16–31 for tags and refuses a medium whose tag does not match
    // its descriptors: the old session's tags go first (a tag sector is never file data),
    // and the relocated tag may only go where one was.
    const stale: SectorWrite[] = [];
    for (let k = 17; k < HEAD_SECTORS; k++)
      if (looksLikeTag(current.subarray(k * SECTOR, (k + 1) * SECTOR))) stale.push({ lba: k, data: Buffer.alloc(SECTOR) });
    const tagSlot = relocatedTag && stale.some((w) => w.lba === tagAt);
    return { prepare: [...systemArea, ...stale], commit: [sectors(16, last + 1)], finish: tagSlot ? [{ lba: tagAt, data: relocatedTag! }] : [] };
  }
  const prepare = [...systemArea];
  if (currentLayout === 'blank') {
    const rest = Buffer.concat([asPseudoBlank(head.subarray(16 * SECTOR, 17 * SECTOR)), encodeTerminator(), head.subarray(18 * SECTOR)]);
    prepare.push({ lba: 16, data: rest });
  } else if (keepsOldSet(current, head)) {
    prepare.push(sectors(18, HEAD_SECTORS));
  } else {
    prepare.push({ lba: 17, data: Buffer.concat([encodeTerminator(), head.subarray(18 * SECTOR)]) });
  }
  return { prepare, commit: [sectors(16, 18)], finish };
}
