// The second pass of iso-pack --md5: fills in what libisofs hashes from the session start
// (the tree and session tags, the array's session MD5 and its own MD5) once the head is
// known. iso-pack writes the head last, so these can only be computed by reading the
// session back: iso-pack does it on a file (-o), cd-write on a head-last stream before it
// commits. Where they go is the plan line in the superblock tag's sector (checksum-tags.ts).
// Every MD5 is computed from the bytes read back, so it covers what is really there.
import { createHash } from 'node:crypto';
import { decodeSealPlan, decodeTag, encodeSuperblockSector, encodeTag, MD5_BYTES, md5, type DecodedTag, type SealPlan } from '../iso9660/checksum-tags.js';
import { descriptorSet } from '../iso9660/volume-descriptor.js';
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';

/** Sectors hashed per read. */
const CHUNK_SECTORS = 512;

export interface SealIo {
  /** Fills `buf` from LBA `lba` on. */
  read(lba: number, buf: Buffer): void;
  write(lba: number, data: Buffer): void;
}

/** The head sector after the volume descriptor set terminator, where libisofs puts the
 *  superblock tag; null when the head has no descriptor set or no room after it. */
export function superblockTagSector(head: Buffer): number | null {
  const set = descriptorSet(head.subarray(0, HEAD_SECTORS * SECTOR));
  if (!set) return null;
  const sector = set[set.length - 1].index + 1;
  return sector < HEAD_SECTORS ? sector : null;
}

/** The session head's superblock tag, if it has one where libisofs puts it. */
export function superblockTagOf(head: Buffer): DecodedTag | null {
  const sector = superblockTagSector(head);
  const tag = sector === null ? null : decodeTag(head.subarray(sector * SECTOR, (sector + 1) * SECTOR));
  return tag?.type === 'superblock' ? tag : null;
}

/** The plan and its sector in a session head, or null when the head carries none. */
export function sealPlanOf(head: Buffer): { sector: number; plan: SealPlan } | null {
  const sector = superblockTagSector(head);
  if (sector === null) return null;
  const plan = decodeSealPlan(head.subarray(sector * SECTOR, (sector + 1) * SECTOR));
  return plan ? { sector, plan } : null;
}

function arraySectors(entries: number): number {
  return Math.ceil((entries * MD5_BYTES) / SECTOR);
}

/** Why `plan` cannot belong to a session at `start` of `sectors` sectors, or null. */
export function sealPlanProblem(plan: SealPlan, start: number, sectors: number): string | null {
  const end = start + sectors;
  if (plan.tree < start + HEAD_SECTORS || plan.tree >= plan.array)
    return `tree tag at LBA ${plan.tree} is not between the head and the checksum array (LBA ${plan.array})`;
  if (plan.entries < 2) return `a checksum array of ${plan.entries} entries (at least 2)`;
  if (plan.array + arraySectors(plan.entries) > plan.session) return `the checksum array at LBA ${plan.array} runs into the session tag at LBA ${plan.session}`;
  if (plan.session >= end) return `session tag at LBA ${plan.session} lies past the session's end (LBA ${end})`;
  return null;
}

/**
 * Seals the session at `start` whose head is `head` (in memory, updated in place: its
 * superblock tag is recomputed, since the caller may have changed the head) and whose other
 * sectors are on `io`. Throws when the head carries no usable plan.
 */
export function sealChecksums(head: Buffer, start: number, sectors: number, io: SealIo): void {
  const found = sealPlanOf(head);
  if (!found) throw new Error('the session head has no checksum plan after its volume descriptors');
  const { sector: sbSector, plan } = found;
  const problem = sealPlanProblem(plan, start, sectors);
  if (problem) throw new Error(`checksum plan in the session head: ${problem}`);

  encodeSuperblockSector(
    { pos: start + sbSector, rangeStart: start, rangeSize: sbSector, next: plan.tree, md5: md5(head.subarray(0, sbSector * SECTOR)) },
    plan,
  ).copy(head, sbSector * SECTOR);

  const h = createHash('md5');
  h.update(head.subarray(0, HEAD_SECTORS * SECTOR));
  let lba = start + HEAD_SECTORS;
  const buf = Buffer.allocUnsafe(CHUNK_SECTORS * SECTOR);
  const hashUpTo = (to: number) => {
    while (lba < to) {
      const n = Math.min(CHUNK_SECTORS, to - lba);
      const b = buf.subarray(0, n * SECTOR);
      io.read(lba, b);
      h.update(b);
      lba += n;
    }
  };
  const put = (data: Buffer) => {
    io.write(lba, data);
    h.update(data);
    lba += data.length / SECTOR;
  };

  hashUpTo(plan.tree);
  put(encodeTag({ type: 'tree', pos: lba, rangeStart: start, rangeSize: lba - start, next: plan.session, md5: h.copy().digest() }));
  hashUpTo(plan.array);
  const array = Buffer.alloc(arraySectors(plan.entries) * SECTOR);
  io.read(lba, array);
  h.copy().digest().copy(array, 0);
  const last = (plan.entries - 1) * MD5_BYTES;
  md5(array.subarray(0, last)).copy(array, last);
  put(array);
  hashUpTo(plan.session);
  io.write(lba, encodeTag({ type: 'session', pos: lba, rangeStart: start, rangeSize: lba - start, md5: h.digest() }));
}
