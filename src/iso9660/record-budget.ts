// Whether a regular file's Rock Ridge data fits inside its directory record. It must, for
// libarchive, unless the file's data follows the metadata (DESIGN §3): iso-pack decides
// this as the data arrives, before the ISO name is chosen, and iso-merge decides which
// old files travel with their data. Both therefore assume the longest identifier.
import { attributeEntriesLength, encodeChecksumIndex } from './checksum-tags.js';
import { MAX_RECORD } from './constants.js';
import { systemUseRoom } from './directory-record.js';
import { MAX_ISO_NAME } from './iso-names.js';
import { nmEntryLengths, PX_LENGTH, TF_LENGTH } from './rockridge.js';

/** Longest file identifier iso-pack writes: 31 characters and `;1`. */
const MAX_FILE_IDENTIFIER = MAX_ISO_NAME + 2;

/** Bytes of the AAIP AL entry that carries a file's isofs.cx (iso-pack --md5). */
export const CHECKSUM_INDEX_ENTRY_LENGTH = attributeEntriesLength([{ name: 'isofs.cx', value: encodeChecksumIndex(0) }]);

/** True when PX, TF and the NM entries of a `nameBytes`-byte name (and `extraBytes` of
 *  further entries) may not fit in the record. */
export function fileNeedsContinuation(nameBytes: number, extraBytes = 0): boolean {
  const room = systemUseRoom(MAX_FILE_IDENTIFIER, MAX_RECORD);
  let su = PX_LENGTH + TF_LENGTH + extraBytes;
  for (const n of nmEntryLengths(nameBytes)) su += n;
  return su > room;
}
