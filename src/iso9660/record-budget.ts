// Which System Use entries a directory record carries, in which order and of what lengths:
// decided here once, for iso-pack's sizing and emission alike and for the budget below.
//
// The budget: whether a regular file's Rock Ridge data fits inside its directory record. It
// must, for libarchive, unless the file's data follows the metadata (DESIGN §3): iso-pack
// decides this as the data arrives, before the ISO name is chosen, and iso-merge decides
// which old files travel with their data. Both therefore assume the longest identifier.
import { attributeEntriesLength, encodeChecksumArea, encodeChecksumIndex } from './checksum-tags.js';
import { MAX_RECORD } from './constants.js';
import { systemUseRoom } from './directory-record.js';
import { MAX_ISO_NAME } from './iso-names.js';
import { erEntry, nmEntryLengths, PN_LENGTH, PX_LENGTH, SP_LENGTH, TF_LENGTH } from './rockridge.js';
import { ZF_LENGTH } from './zisofs.js';

/** Longest file identifier iso-pack writes: 31 characters and `;1`. */
const MAX_FILE_IDENTIFIER = MAX_ISO_NAME + 2;

/** Bytes of the AAIP AL entry that carries a file's isofs.cx (iso-pack --md5). */
const CHECKSUM_INDEX_ENTRY_LENGTH = attributeEntriesLength([{ name: 'isofs.cx', value: encodeChecksumIndex(0) }]);
/** Bytes of the AL entry that carries the root's isofs.ca. */
const CHECKSUM_AREA_ENTRY_LENGTH = attributeEntriesLength([{ name: 'isofs.ca', value: encodeChecksumArea({ start: 0, end: 0, count: 0 }) }]);
const ER_LENGTH = erEntry().length;

/** What decides a record's entries. */
export interface RecordFacts {
  /** The root's `.` record: SP first, ER (and isofs.ca) after the rest, all inside the
   *  record for the kernel (DESIGN §5). */
  root?: boolean;
  /** A named record: its name's length in bytes (NM). */
  nameLength?: number;
  /** A character or block device (PN). */
  device?: boolean;
  /** A zisofs file (ZF). */
  zisofs?: boolean;
  /** A symlink: the lengths of its SL entries (they depend on the target's components). */
  slLengths?: readonly number[];
  /** --md5: a file's isofs.cx. */
  checksumIndex?: boolean;
  /** --md5: the root's isofs.ca. */
  checksumArea?: boolean;
}

export type EntryKind = 'SP' | 'PX' | 'TF' | 'PN' | 'ZF' | 'NM' | 'SL' | 'CX' | 'ER' | 'CA';

/** One entry: its kind, its length and, for NM and SL, which of the kind's entries it is. */
export interface SystemUseEntry {
  kind: EntryKind;
  length: number;
  part: number;
}

/** A record's entries in the order they are written. ZF comes before NM, so that a long
 *  name goes to a continuation area while ZF stays in the record. */
export function systemUseEntries(f: RecordFacts): SystemUseEntry[] {
  const out: SystemUseEntry[] = [];
  const add = (kind: EntryKind, length: number, part = 0) => {
    out.push({ kind, length, part });
  };
  if (f.root) add('SP', SP_LENGTH);
  add('PX', PX_LENGTH);
  add('TF', TF_LENGTH);
  if (f.device) add('PN', PN_LENGTH);
  if (f.zisofs) add('ZF', ZF_LENGTH);
  if (f.nameLength !== undefined) for (const [k, n] of nmEntryLengths(f.nameLength).entries()) add('NM', n, k);
  for (const [k, n] of (f.slLengths ?? []).entries()) add('SL', n, k);
  if (f.checksumIndex) add('CX', CHECKSUM_INDEX_ENTRY_LENGTH);
  if (f.root) add('ER', ER_LENGTH);
  if (f.checksumArea) add('CA', CHECKSUM_AREA_ENTRY_LENGTH);
  return out;
}

/** True when the entries of a regular file named with `nameBytes` bytes (and ZF, isofs.cx
 *  as asked) may not fit in its record. */
export function fileNeedsContinuation(nameBytes: number, also: { zisofs?: boolean; checksumIndex?: boolean } = {}): boolean {
  // Asked for every file: the answer for each name length and options is worked out once.
  const key = nameBytes * 4 + (also.zisofs ? 2 : 0) + (also.checksumIndex ? 1 : 0);
  let needs = continuationAnswers.get(key);
  if (needs === undefined) {
    const room = systemUseRoom(MAX_FILE_IDENTIFIER, MAX_RECORD);
    let su = 0;
    for (const e of systemUseEntries({ nameLength: nameBytes, ...also })) su += e.length;
    continuationAnswers.set(key, (needs = su > room));
  }
  return needs;
}

const continuationAnswers = new Map<number, boolean>();
