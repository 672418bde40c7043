// Path tables (ECMA-119 §9.4): breadth-first, one record per directory.

export interface PathTableEntry {
  identifier: Buffer;
  extent: number;
  /** 1-based number of the parent directory in the table (the root's is 1). */
  parent: number;
}

export function pathTableRecordLength(identifierLength: number): number {
  return 8 + identifierLength + (identifierLength % 2);
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
    out[off] = e.identifier.length;
    if (littleEndian) {
      out.writeUInt32LE(e.extent, off + 2);
      out.writeUInt16LE(e.parent, off + 6);
    } else {
      out.writeUInt32BE(e.extent, off + 2);
      out.writeUInt16BE(e.parent, off + 6);
    }
    e.identifier.copy(out, off + 8);
    off += pathTableRecordLength(e.identifier.length);
  }
  return out;
}
