// Listings in the kernel oracle's line format (path type mode uid gid size mtime nlink target
// md5, tab separated; see kernel-oracle README), and a whole-listing comparison that prints a
// readable difference: entries missing, entries extra, and field by field for the rest.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';

export const FIELDS = ['path', 'type', 'mode', 'uid', 'gid', 'size', 'mtime', 'nlink', 'target', 'md5'] as const;
export type Field = (typeof FIELDS)[number];
export type Entry = Record<Field, string>;

/** Placeholder for a field a reader cannot show; equal on both sides of a comparison. */
export const MASKED = '*';

export function parseListing(text: string): { entries: Entry[]; notes: string[] } {
  const entries: Entry[] = [];
  const notes: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      notes.push(line);
      continue;
    }
    const f = line.split('\t');
    if (f.length !== FIELDS.length) throw new Error(`not a listing line: ${JSON.stringify(line)}`);
    entries.push(Object.fromEntries(FIELDS.map((k, i) => [k, f[i]])) as Entry);
  }
  return { entries, notes };
}

export function formatEntry(e: Entry): string {
  return FIELDS.map((k) => e[k]).join('\t');
}

/** Escapes a path or symlink target as the oracle does (valid UTF-8 as is, `\\ \t \n \r \xHH`). */
export function escapeName(raw: Buffer | string): string {
  const b = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n > 1 && i + n <= b.length && validUtf8(b.subarray(i, i + n))) {
      const s = b.toString('utf8', i, i + n);
      const cp = s.codePointAt(0)!;
      if (cp >= 0x80 && cp < 0xa0) out += `\\x${b[i].toString(16).padStart(2, '0')}\\x${b[i + 1].toString(16).padStart(2, '0')}`;
      else out += s;
      i += n;
      continue;
    }
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c === 0x7f || c >= 0x80) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(c);
    i++;
  }
  return out;
}

function validUtf8(seq: Buffer): boolean {
  const s = seq.toString('utf8');
  return !s.includes('\ufffd') && Buffer.from(s, 'utf8').equals(seq);
}

/** Undoes escapeName: the raw bytes of a listed name. */
export function unescapeName(s: string): Buffer {
  const parts: Buffer[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      lit += s[i];
      continue;
    }
    parts.push(Buffer.from(lit, 'utf8'));
    lit = '';
    const e = s[++i];
    if (e === 'x') {
      parts.push(Buffer.from([parseInt(s.slice(i + 1, i + 3), 16)]));
      i += 2;
    } else parts.push(Buffer.from(e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e, 'latin1'));
  }
  parts.push(Buffer.from(lit, 'utf8'));
  return Buffer.concat(parts);
}

/** Tree order: component by component, bytewise (the oracle's pre-order). */
export function comparePaths(a: string, b: string): number {
  const ac = a.split('/');
  const bc = b.split('/');
  for (let i = 0; i < Math.min(ac.length, bc.length); i++) {
    if (ac[i] === bc[i]) continue;
    return Buffer.compare(unescapeName(ac[i]), unescapeName(bc[i]));
  }
  return ac.length - bc.length;
}

export function sortEntries(entries: Entry[]): Entry[] {
  return [...entries].sort((a, b) => comparePaths(a.path, b.path));
}

/**
 * The expected tree: a host directory listed as the kernel oracle's `--list-dir` does (its
 * oracle-ls: pre-order, children sorted bytewise, lstat fields, md5 of regular files), in
 * the project's own code, so that a fresh clone needs no oracle to know what to expect.
 */
export function listDir(dir: string): Entry[] {
  const out: Entry[] = [];
  const visit = (abs: Buffer, path: string) => {
    const st = lstatSync(abs, { bigint: true });
    const fmt = Number(st.mode) & 0o170000;
    const type = TYPES[fmt] ?? 'unknown';
    let target = '-';
    if (type === 'symlink') {
      const link = readlinkSync(abs, { encoding: 'buffer' });
      target = link.length === 1 && link[0] === 0x2d ? '\\x2d' : escapeName(link); // "-" alone would read as "none"
    } else if (type === 'chr' || type === 'blk') target = `${major(st.rdev)}:${minor(st.rdev)}`;
    const sec = st.mtimeNs / 1_000_000_000n - (st.mtimeNs % 1_000_000_000n < 0n ? 1n : 0n); // tv_sec: floor
    out.push({
      path: path || '/',
      type,
      mode: (Number(st.mode) & 0o7777).toString(8).padStart(4, '0'),
      uid: String(st.uid),
      gid: String(st.gid),
      size: String(st.size),
      mtime: String(sec),
      nlink: String(st.nlink),
      target,
      md5: type === 'file' ? md5File(abs) : '-',
    });
    if (type !== 'dir') return;
    const names = (readdirSync(abs, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare);
    for (const name of names) visit(Buffer.concat([abs, SLASH, name]), `${path}/${escapeName(name)}`);
  };
  visit(Buffer.from(dir), '');
  return out;
}

const SLASH = Buffer.from('/');
const TYPES: Record<number, string> = {
  0o040000: 'dir',
  0o100000: 'file',
  0o120000: 'symlink',
  0o020000: 'chr',
  0o060000: 'blk',
  0o010000: 'fifo',
  0o140000: 'sock',
};
// glibc's major() and minor() of a dev_t.
const major = (d: bigint) => ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
const minor = (d: bigint) => (d & 0xffn) | ((d >> 12n) & ~0xffn);

function md5File(path: Buffer): string {
  const h = createHash('md5');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n: number; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

export interface Difference {
  missing: Entry[]; // expected, not found
  extra: Entry[]; // found, not expected
  changed: { path: string; fields: { field: Field; expected: string; found: string }[] }[];
}

/** Compares two whole listings by path; MASKED on either side matches anything. */
export function compareListings(expected: Entry[], found: Entry[]): Difference {
  const diff: Difference = { missing: [], extra: [], changed: [] };
  const byPath = new Map<string, Entry[]>();
  for (const e of found) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
  for (const e of expected) {
    const candidates = byPath.get(e.path);
    const f = candidates?.shift();
    if (!f) {
      diff.missing.push(e);
      continue;
    }
    const fields = FIELDS.filter((k) => e[k] !== f[k] && e[k] !== MASKED && f[k] !== MASKED).map((field) => ({ field, expected: e[field], found: f[field] }));
    if (fields.length) diff.changed.push({ path: e.path, fields });
  }
  for (const rest of byPath.values()) diff.extra.push(...rest);
  return diff;
}

export function isEqual(d: Difference): boolean {
  return d.missing.length === 0 && d.extra.length === 0 && d.changed.length === 0;
}

/** A readable report of a difference, at most `limit` lines per kind. */
export function formatDifference(d: Difference, limit = 60): string {
  const out: string[] = [];
  const some = <T>(xs: T[], f: (x: T) => string) => {
    for (const x of xs.slice(0, limit)) out.push(f(x));
    if (xs.length > limit) out.push(`  ... and ${xs.length - limit} more`);
  };
  if (d.missing.length) {
    out.push(`missing (${d.missing.length}):`);
    some(d.missing, (e) => `  - ${formatEntry(e)}`);
  }
  if (d.extra.length) {
    out.push(`unexpected (${d.extra.length}):`);
    some(d.extra, (e) => `  + ${formatEntry(e)}`);
  }
  if (d.changed.length) {
    out.push(`different (${d.changed.length}):`);
    some(d.changed, (c) => `  ${c.path}: ${c.fields.map((f) => `${f.field} expected ${f.expected} found ${f.found}`).join('; ')}`);
  }
  return out.join('\n');
}
