// Session discovery on an emulated multi-session medium (DESIGN §5, reference §6.2): is it
// blank, an ISO image, or something else; where does each session start and how long is it;
// where may the next one go. Follows libisoburn so that the listing equals `xorriso -toc`.
// Pure: the caller supplies a sector reader; every loop is bounded and every value checked.
import {
  applicationUse,
  decodeVolumeDescriptor,
  isPrimaryDescriptor,
  isPseudoBlankDescriptor,
  isVolumeDescriptor,
  isZeroSector,
  type VolumeDescriptor,
} from '../iso9660/volume-descriptor.js';
import { SECTOR, HEAD_SECTORS } from '../iso9660/constants.js';
import { roundUp } from '../iso9660/numbers.js';

/**
 * Reads `count` sectors from `lba`. It may return fewer bytes at the end of the medium
 * (the missing bytes count as zeros) and must not throw for reads past the end.
 */
export type ReadSectors = (lba: number, count: number) => Buffer;

/** Sessions are aligned to 32 sectors (64 KiB), as libisoburn aligns them. */
export const SESSION_ALIGNMENT = 32;
/** The first session of a medium with a head starts here. */
export const FIRST_SESSION = 32;
/** More sessions than any real medium holds: a bound for hostile images. */
export const MAX_SESSIONS = 100_000;

export interface SessionEntry {
  /** 1-based, oldest first. */
  number: number;
  start: number;
  /** Sectors, from the session's own PVD (its volume space size). */
  size: number;
  volumeId: string;
  created: Date | null;
  modified: Date | null;
}

export type MediumKind = 'blank' | 'iso' | 'foreign';

export interface MediumScan {
  kind: MediumKind;
  /** Why a medium counts as blank. */
  blank?: 'empty' | 'zero' | 'pseudo-blank' | 'unfinished-head';
  /** Why a medium is not an ISO image (kind 'foreign'). */
  foreign?: string;
  /** The PVD at LBA 16 (the newest tree), when there is one. */
  head: VolumeDescriptor | null;
  /** The application use area of the PVD at LBA 16 (copy), where isopipe records "closed". */
  headApplicationUse: Buffer | null;
  /** Absolute end of the recorded volume: the volume space size at LBA 16 (0 when blank). */
  end: number;
  /** Next writable address: round_up(end, 32), 32 on a blank medium. */
  next: number;
  /**
   * 'head': a 64 KiB medium head, sessions from LBA 32 (xorriso, isopipe);
   * 'single': one session at LBA 0 (a plain image), whose data may lie in LBA 17–31.
   */
  layout: 'head' | 'single' | null;
  sessions: SessionEntry[];
  /** Oddities worth telling the user; the scan still gives its best answer. */
  warnings: string[];
  /** Set when the medium is shorter than its recorded volume (a copy cut short). */
  truncated?: boolean;
}

function sector(read: ReadSectors, lba: number): Buffer {
  const got = read(lba, 1);
  if (got.length >= SECTOR) return got.subarray(0, SECTOR);
  const b = Buffer.alloc(SECTOR);
  got.copy(b);
  return b;
}

/** A PVD at `lba` decoded, or null when there is none (or it is garbage). */
function primaryAt(read: ReadSectors, lba: number): VolumeDescriptor | null {
  const s = sector(read, lba);
  if (!isPrimaryDescriptor(s)) return null;
  try {
    return decodeVolumeDescriptor(s);
  } catch {
    return null;
  }
}

function blankScan(blank: MediumScan['blank'], warnings: string[] = []): MediumScan {
  return { kind: 'blank', blank, head: null, headApplicationUse: null, end: 0, next: FIRST_SESSION, layout: null, sessions: [], warnings };
}

function foreignScan(why: string): MediumScan {
  return { kind: 'foreign', foreign: why, head: null, headApplicationUse: null, end: 0, next: FIRST_SESSION, layout: null, sessions: [], warnings: [] };
}

/**
 * A head left by a commit that was cut short inside a single write (DESIGN §5): system
 * area zero, no PVD at 16, and nothing in 17–31 but descriptors and zeros. isopipe writes
 * the pseudo-blank mark first, so this only arises from a write torn by the kernel.
 */
function isUnfinishedHead(head: Buffer): boolean {
  if (!isZeroSector(head, 0, 17 * SECTOR)) return false;
  for (let i = 17; i < HEAD_SECTORS; i++) {
    const s = head.subarray(i * SECTOR, (i + 1) * SECTOR);
    if (!isZeroSector(s) && !isVolumeDescriptor(s) && !isPseudoBlankDescriptor(s)) return false;
  }
  return true;
}

/**
 * Classifies a medium and lists its sessions.
 * @param mediumSectors the medium's size in sectors (file size or device size)
 */
export function scanMedium(read: ReadSectors, mediumSectors: number): MediumScan {
  if (!Number.isSafeInteger(mediumSectors) || mediumSectors < 0) throw new RangeError(`medium size ${mediumSectors} sectors is not valid`);
  if (mediumSectors === 0) return blankScan('empty');
  const headRaw = read(0, HEAD_SECTORS);
  const head = Buffer.alloc(HEAD_SECTORS * SECTOR);
  headRaw.copy(head, 0, 0, Math.min(headRaw.length, head.length));
  if (isZeroSector(head)) return blankScan('zero');
  const s16 = head.subarray(16 * SECTOR, 17 * SECTOR);
  if (isPseudoBlankDescriptor(s16)) return blankScan('pseudo-blank');
  if (isZeroSector(s16) && isUnfinishedHead(head))
    return blankScan('unfinished-head', ['LBA 17–31 hold descriptors of an unfinished first session; treated as blank']);
  if (!isVolumeDescriptor(s16)) return foreignScan('no ISO 9660 volume descriptor at LBA 16');
  if (!isPrimaryDescriptor(s16)) return foreignScan(`the volume descriptor at LBA 16 has type ${s16[0]}, not a primary one`);

  const pvd = decodeVolumeDescriptor(s16);
  const warnings: string[] = pvd.problems.map((p) => `PVD at LBA 16: ${p}`);
  const end = pvd.volumeSpaceSize;
  if (end < 1) return foreignScan('the PVD at LBA 16 gives a volume space size of 0');
  if (end > mediumSectors) warnings.push(`the volume ends at LBA ${end} but the medium has only ${mediumSectors} sectors: it looks truncated`);

  const base: Omit<MediumScan, 'layout' | 'sessions'> = {
    kind: 'iso',
    truncated: end > mediumSectors,
    head: pvd,
    headApplicationUse: Buffer.from(applicationUse(s16)),
    end,
    next: roundUp(end, SESSION_ALIGNMENT),
    warnings,
  };
  const whole = (): MediumScan => ({ ...base, layout: 'single', sessions: [entry(1, 0, Math.min(end, mediumSectors), pvd)] });

  // libisoburn: a PVD at LBA 48 means a 64 KiB head and a session chain from 32.
  if (!primaryAt(read, FIRST_SESSION + 16)) return whole();
  const sessions: SessionEntry[] = [];
  let lba = FIRST_SESSION;
  let probeMinus16 = false;
  while (lba < end) {
    if (sessions.length >= MAX_SESSIONS) {
      warnings.push(`more than ${MAX_SESSIONS} sessions: listing stops at LBA ${lba}`);
      break;
    }
    // growisofs aligns sessions to 16 sectors: try 16 earlier when that is where it would be.
    let start = lba;
    let spvd: VolumeDescriptor | null = probeMinus16 ? primaryAt(read, lba) : null;
    if (spvd) start = lba - 16;
    else spvd = primaryAt(read, lba + 16);
    if (!spvd) {
      if (sessions.length === 0) return whole();
      warnings.push(`chain of session heads broken at session ${sessions.length + 1}, LBA ${lba}`);
      break;
    }
    let size: number = spvd.volumeSpaceSize;
    if (size < 1) {
      warnings.push(`session ${sessions.length + 1} at LBA ${start} has volume space size 0: listing stops`);
      break;
    }
    if (start + size > mediumSectors) {
      warnings.push(`session ${sessions.length + 1} at LBA ${start} ends at ${start + size}, past the medium's ${mediumSectors} sectors`);
      size = Math.max(0, mediumSectors - start);
    }
    sessions.push(entry(sessions.length + 1, start, size, spvd));
    const sessionEnd: number = start + size;
    const next = roundUp(sessionEnd, SESSION_ALIGNMENT);
    probeMinus16 = next - roundUp(sessionEnd, 16) === 16;
    if (next <= lba) break; // cannot happen with size >= 1, but never loop in place
    lba = next;
  }
  return { ...base, layout: 'head', sessions };
}

function entry(number: number, start: number, size: number, pvd: VolumeDescriptor): SessionEntry {
  return { number, start, size, volumeId: pvd.volumeId, created: pvd.created, modified: pvd.modified };
}
