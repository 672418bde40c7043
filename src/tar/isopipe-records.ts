// isopipe's own pax records, `ISOPIPE.*` (DESIGN §7, man iso-merge): iso-merge writes them,
// iso-pack, iso-merge and cd-verify read them. One codec, so that the writer and the three
// readers agree on the wire format; each reader keeps its own answer to a malformed value.
// Pure: values in, records out and back.

import { EXACT_DECIMAL_DIGITS } from './header.js';

/** The pax key prefix of isopipe's records. */
export const ISOPIPE_PREFIX = 'ISOPIPE.';

/** One section of a file's data on the medium: `bytes` bytes from sector `lba`. */
export interface ExtentText {
  lba: number;
  bytes: number;
}

/** The `ISOPIPE.extents` text of a reference: `LBA+BYTES` per section, comma separated. */
export function formatExtents(extents: readonly ExtentText[]): string {
  return extents.map((x) => `${x.lba}+${x.bytes}`).join(',');
}

/** `ISOPIPE.extents` text back into sections ('' is none); null when it is not that form. */
export function parseExtents(text: string): ExtentText[] | null {
  if (text === '') return [];
  return extentsAsWritten(text) ?? extentsLoosely(text);
}

/**
 * The form formatExtents writes (`LBA+BYTES,…`, no spaces, no long numbers), read without
 * splitting or a regex: every unchanged file of a mirror carries one. Null for any other
 * text, which extentsLoosely then judges.
 */
function extentsAsWritten(text: string): ExtentText[] | null {
  const out: ExtentText[] = [];
  const end = text.length;
  let i = 0;
  // The loops stop at the end: charCodeAt past it is NaN, which V8 would recompile for.
  for (;;) {
    let lba = 0;
    const lbaStart = i;
    for (let c: number; i < end && (c = text.charCodeAt(i)) >= 0x30 && c <= 0x39; i++) lba = lba * 10 + (c - 0x30);
    if (i === lbaStart || i - lbaStart > EXACT_DECIMAL_DIGITS || i === end || text.charCodeAt(i) !== 0x2b) return null;
    const bytesStart = ++i;
    let bytes = 0;
    for (let c: number; i < end && (c = text.charCodeAt(i)) >= 0x30 && c <= 0x39; i++) bytes = bytes * 10 + (c - 0x30);
    if (i === bytesStart || i - bytesStart > EXACT_DECIMAL_DIGITS) return null;
    out.push({ lba, bytes });
    if (i === end) return out;
    if (text.charCodeAt(i) !== 0x2c) return null;
    i++;
  }
}

/** Any `LBA+BYTES` list the format allows: spaces around sections, numbers of any length. */
function extentsLoosely(text: string): ExtentText[] | null {
  const out: ExtentText[] = [];
  for (const part of text.split(',')) {
    const m = /^([0-9]+)\+([0-9]+)$/.exec(part.trim());
    if (!m) return null;
    out.push({ lba: Number(m[1]), bytes: Number(m[2]) });
  }
  return out;
}

/** Bytes the sections hold. */
export function extentBytes(extents: readonly ExtentText[]): number {
  return extents.reduce((n, x) => n + x.bytes, 0);
}

/** What a reference to an earlier session's file carries instead of data. */
export interface ReferenceRecords {
  /** `ISOPIPE.extents` text. */
  extents: string;
  /** Bytes the extents hold (a zisofs file's compressed bytes). */
  size: number;
  /** A zisofs file's ZF entry as text (formatZf). */
  zisofs?: string;
  /** The MD5 its session recorded, 32 hex digits. */
  md5?: string;
}

// A reference's keys, made once: iso-merge writes them for every unchanged file.
const EXTENTS_KEY = ISOPIPE_PREFIX + 'extents';
const SIZE_KEY = ISOPIPE_PREFIX + 'size';
const ZISOFS_KEY = ISOPIPE_PREFIX + 'zisofs';
const MD5_KEY = ISOPIPE_PREFIX + 'md5';

/** The pax records of a reference, in the order iso-merge writes them. */
export function encodeReference(r: ReferenceRecords): [string, string][] {
  const records: [string, string][] = [
    [EXTENTS_KEY, r.extents],
    [SIZE_KEY, String(r.size)],
  ];
  if (r.zisofs !== undefined) records.push([ZISOFS_KEY, r.zisofs]);
  if (r.md5 !== undefined) records.push([MD5_KEY, r.md5]);
  return records;
}

/** The global record saying the tar shows session N unchanged (iso-merge --mirror). */
export function encodeUnchanged(session: number): [string, string][] {
  return [[ISOPIPE_PREFIX + 'unchanged', String(session)]];
}

/** Whether a tar's global pax records carry encodeUnchanged's record. */
export function isUnchanged(globalRecords: ReadonlyMap<string, string>): boolean {
  return globalRecords.has(ISOPIPE_PREFIX + 'unchanged');
}

/** An entry's pax records in isopipe's namespace, keyed without the prefix; null for none. */
export function isopipeRecords(pax: ReadonlyMap<string, string>): Map<string, string> | null {
  let out: Map<string, string> | null = null;
  pax.forEach((v, k) => {
    if (k.startsWith(ISOPIPE_PREFIX)) (out ??= new Map()).set(REFERENCE_KEYS.get(k) ?? k.slice(ISOPIPE_PREFIX.length), v);
  });
  return out;
}

// A reference's keys without the prefix, made once: a mirror's tar has two records per file.
const REFERENCE_KEYS = new Map([EXTENTS_KEY, SIZE_KEY, ZISOFS_KEY, MD5_KEY].map((k) => [k, k.slice(ISOPIPE_PREFIX.length)]));

/** isopipeRecords' map back into pax records, in its order. */
export function encodeIsopipeRecords(records: ReadonlyMap<string, string>): [string, string][] {
  return [...records].map(([k, v]) => [ISOPIPE_PREFIX + k, v]);
}
