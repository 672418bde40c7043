// Path tables (ECMA-119 §9.4), both ways: breadth-first, one record per directory.

/** Offsets inside a path table record. */
export const PT = { identifierLength: 0, extent: 2, parent: 6, identifier: 8 } as const;

export interface PathTableEntry {
  identifier: Buffer;
  extent: number;
  /** 1-based number of the parent directory in the table (the root's is 1). */
  parent: number;
}

export function pathTableRecordLength(identifierLength: number): number {
  return PT.identifier + identifierLength + (identifierLength % 2);
}

export function pathTableSize(entries: readonly PathTableEntry[]): number {
  let n = 0;
  for (const e of entries) n += pathTableRecordLength(e.identifier.length);
  return n;
}

export function encodePathTable(entries: readonly PathTableEntry[], littleEndian: boolean): Buffer {
  const out = Buffer.alloc(pathTableSize(entries));
  let off = 0;
  for (const e of entries) {
    out[off + PT.identifierLength] = e.identifier.length;
    if (littleEndian) {
      out.writeUInt32LE(e.extent, off + PT.extent);
      out.writeUInt16LE(e.parent, off + PT.parent);
    } else {
      out.writeUInt32BE(e.extent, off + PT.extent);
      out.writeUInt16BE(e.parent, off + PT.parent);
    }
    e.identifier.copy(out, off + PT.identifier);
    off += pathTableRecordLength(e.identifier.length);
  }
  return out;
}

export interface DecodedPathTable {
  /** The records read, each with its byte offset in the table. */
  entries: (PathTableEntry & { offset: number })[];
  /** Offset of the first malformed record (identifier length 0 or running past the end),
   *  where decoding stopped; null when the table decoded to its end. */
  malformedAt: number | null;
}

/** A path table's records, L (little-endian) or M; stops at the first malformed record. */
export function decodePathTable(b: Buffer, littleEndian: boolean): DecodedPathTable {
  const entries: DecodedPathTable['entries'] = [];
  let off = 0;
  while (off < b.length) {
    const len = b[off + PT.identifierLength];
    if (len === 0 || off + PT.identifier + len > b.length) return { entries, malformedAt: off };
    entries.push({
      extent: littleEndian ? b.readUInt32LE(off + PT.extent) : b.readUInt32BE(off + PT.extent),
      parent: littleEndian ? b.readUInt16LE(off + PT.parent) : b.readUInt16BE(off + PT.parent),
      identifier: b.subarray(off + PT.identifier, off + PT.identifier + len),
      offset: off,
    });
    off += pathTableRecordLength(len);
  }
  return { entries, malformedAt: null };
}
