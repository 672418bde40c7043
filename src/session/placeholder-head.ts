// The placeholder head of a two-session commit (docs/drive-stream.md): the 32 sectors a
// write-once disc gets at S..S+31 before the stream's data, because the real head comes
// last. It must leave the previous newest tree visible when this session is mounted (a copy
// of that session's head: every reference in it is an absolute LBA), or, on a blank disc, an
// empty but valid volume. Pure: bytes in, bytes out.
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import { encodePrimaryDescriptor, encodeTerminator } from '../iso9660/volume-descriptor.js';
import { DOT, DOTDOT, FLAG_DIRECTORY, encodeDirectoryRecord } from '../iso9660/directory-record.js';
import { encodePathTable } from '../iso9660/path-table.js';

/** Volume identifier of the empty placeholder tree on a blank disc. */
export const EMPTY_VOLUME_ID = 'ISOPIPE_EMPTY';
const L_PATH = 18;
const M_PATH = 19;
const ROOT = 20;

/**
 * An empty volume for a session at `start`, all within its 32 sectors: PVD at 16,
 * terminator at 17, path tables at 18 and 19, the root directory at 20. Its volume space
 * size is 32, session-relative as iso-pack's.
 */
export function emptyTreeHead(start: number, date: number): Buffer {
  const head = Buffer.alloc(HEAD_SECTORS * SECTOR);
  const root = start + ROOT;
  const rec = (id: Buffer) => {
    const b = Buffer.alloc(34);
    encodeDirectoryRecord({ extent: root, size: SECTOR, mtime: date, flags: FLAG_DIRECTORY, identifier: id }, b, 0);
    return b;
  };
  const entries = [{ identifier: Buffer.from([0]), extent: root, parent: 1 }];
  const l = encodePathTable(entries, true);
  encodePathTable(entries, false).copy(head, M_PATH * SECTOR);
  l.copy(head, L_PATH * SECTOR);
  rec(DOT).copy(head, ROOT * SECTOR);
  rec(DOTDOT).copy(head, ROOT * SECTOR + 34);
  const identity = { systemId: 'LINUX', volumeId: EMPTY_VOLUME_ID, volumeSetId: '', publisherId: '', preparerId: '', applicationId: 'ISOPIPE', date };
  encodePrimaryDescriptor(identity, {
    volumeSpaceSize: HEAD_SECTORS,
    pathTableSize: l.length,
    lPathTable: start + L_PATH,
    mPathTable: start + M_PATH,
    rootRecord: rec(DOT),
  }).copy(head, 16 * SECTOR);
  encodeTerminator().copy(head, 17 * SECTOR);
  return head;
}

const isDescriptor = (s: Buffer) => s.toString('latin1', 1, 6) === 'CD001';

/**
 * A copy of `previous` (the newest session's first 32 sectors) when it holds a primary
 * volume descriptor at sector 16: system area and descriptors up to the terminator, zeros
 * after (a checksum superblock tag there names its own LBA and would be wrong here).
 * Otherwise (blank disc, a session that is not ISO 9660) the empty tree.
 */
export function placeholderHead(start: number, previous: Buffer | null, date: number): Buffer {
  if (!previous || previous.length < HEAD_SECTORS * SECTOR) return emptyTreeHead(start, date);
  const pvd = previous.subarray(16 * SECTOR, 17 * SECTOR);
  if (pvd[0] !== 1 || !isDescriptor(pvd)) return emptyTreeHead(start, date);
  const head = Buffer.alloc(HEAD_SECTORS * SECTOR);
  previous.copy(head, 0, 0, 16 * SECTOR);
  for (let p = 16; p < HEAD_SECTORS; p++) {
    const s = previous.subarray(p * SECTOR, (p + 1) * SECTOR);
    if (!isDescriptor(s)) break;
    s.copy(head, p * SECTOR);
    if (s[0] === 255) break;
  }
  return head;
}
