// ISO 9660 identifiers in the relaxed form of mkisofs -l -L: up to 31 d-characters,
// a leading dot kept, `;1` on files. Rock Ridge and Joliet carry the real names; these
// only have to be valid-looking, unique in their directory and sorted (ECMA-119 §9.3).

export const MAX_ISO_NAME = 31;

export interface IsoName {
  /** Name part (before the separator), d-characters, maybe a leading dot. */
  base: string;
  /** Extension (files only; may be empty). */
  ext: string;
  isDir: boolean;
}

/** Uppercase d-characters (and dots); every other byte of the raw name becomes `_`. */
function dChars(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e;
    // A UTF-8 sequence is one character: only its lead byte becomes `_`.
    if (!ok && c >= 0x80 && c < 0xc0) continue;
    out += ok ? String.fromCharCode(c) : '_';
  }
  return out;
}

/** Room for the longest name (255 bytes), one byte per character. */
const scratch = Buffer.allocUnsafe(256);

/**
 * isoCandidate for a name of ASCII characters only (nearly every name), in one pass over
 * its characters into `scratch`: the same identifier as the general rules below give; null
 * for any other name.
 */
function asciiCandidate(name: string, isDir: boolean): IsoName | null {
  const n = name.length;
  if (n > scratch.length) return null;
  // ASCII keeps every character in its place, so the raw name's last dot is the separator.
  const dot = isDir ? -1 : name.lastIndexOf('.');
  for (let i = 0; i < n; i++) {
    let c = name.charCodeAt(i);
    if (c >= 0x80) return null;
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    else if (c === 0x2e) {
      if (i !== 0 && i !== dot) c = 0x5f;
    } else if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f)) c = 0x5f;
    scratch[i] = c;
  }
  if (isDir) return { base: scratch.toString('latin1', 0, Math.min(n, MAX_ISO_NAME)), ext: '', isDir };
  let baseLength = dot > 0 ? dot : n;
  let extLength = dot > 0 ? n - dot - 1 : 0;
  if (baseLength + 1 + extLength > MAX_ISO_NAME) {
    extLength = Math.min(extLength, 8);
    baseLength = Math.min(baseLength, MAX_ISO_NAME - 1 - extLength);
  }
  return { base: scratch.toString('latin1', 0, baseLength), ext: extLength ? scratch.toString('latin1', dot + 1, dot + 1 + extLength) : '', isDir };
}

/** The identifier a name would get before collisions are resolved. */
export function isoCandidate(name: string, isDir: boolean): IsoName {
  return asciiCandidate(name, isDir) ?? generalCandidate(name, isDir);
}

/** isoCandidate by the general rules, for any name (exported for the test that holds the
 *  one-pass form to them). */
export function generalCandidate(name: string, isDir: boolean): IsoName {
  const up = dChars(name);
  const keepDot = (s: string, lead: boolean) => (lead && s.startsWith('.') ? '.' + s.slice(1).replace(/\./g, '_') : s.replace(/\./g, '_'));
  if (isDir) return { base: keepDot(up, true).slice(0, MAX_ISO_NAME), ext: '', isDir };
  const dot = up.lastIndexOf('.');
  let base = dot > 0 ? up.slice(0, dot) : up;
  let ext = dot > 0 ? up.slice(dot + 1) : '';
  base = keepDot(base, true);
  if (base.length + 1 + ext.length > MAX_ISO_NAME) {
    ext = ext.slice(0, Math.min(ext.length, 8));
    base = base.slice(0, MAX_ISO_NAME - 1 - ext.length);
  }
  return { base, ext, isDir };
}

export function isoKey(n: IsoName): string {
  return n.isDir ? n.base : `${n.base}.${n.ext}`;
}

/** A variant of `n` carrying counter `k`, still within the length limit. */
export function isoMangled(n: IsoName, k: number): IsoName {
  const digits = String(k);
  const room = (n.isDir ? MAX_ISO_NAME : MAX_ISO_NAME - 1 - n.ext.length) - digits.length;
  return { ...n, base: n.base.slice(0, Math.max(0, room)) + digits };
}

/** The identifier bytes as written in the directory record, in a latin1 string. */
export function isoIdentifier(n: IsoName): string {
  return n.isDir ? n.base : `${n.base}.${n.ext};1`;
}

/** Compares code units, the shorter string padded with spaces (ECMA-119 §9.3). */
export function comparePadded(a: string, b: string): number {
  const len = Math.max(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const x = i < a.length ? a.charCodeAt(i) : 0x20;
    const y = i < b.length ? b.charCodeAt(i) : 0x20;
    if (x !== y) return x - y;
  }
  return 0;
}

/** ECMA-119 §9.3: by name, then extension, each padded with spaces. */
export function compareIsoNames(a: IsoName, b: IsoName): number {
  return comparePadded(a.base, b.base) || comparePadded(a.ext, b.ext);
}

/**
 * The names already given in one directory, and for each mangling template (the part before
 * and after the counter) the counters known to be taken. Finding a free counter skips the
 * taken ones in jumps (a union-find over counters with path compression), so a directory of
 * n names that all mangle alike costs about n steps instead of n²/2 — and picks exactly the
 * smallest free counter, as probing 1, 2, 3 … does.
 */
export class NameSpace {
  private readonly used = new Set<string>();
  /** template → counter → a larger counter: every counter in between is taken. */
  private readonly skips = new Map<string, Map<number, number>>();

  add(key: string): void {
    this.used.add(key);
  }

  /** Adds `key` if it is free; false when it was taken (one lookup, not two). */
  claim(key: string): boolean {
    const before = this.used.size;
    this.used.add(key);
    return this.used.size !== before;
  }

  /** The smallest k in [from, end) for which `prefix + k + suffix` is not taken, or `end`. */
  firstFree(prefix: string, suffix: string, from: number, end: number): number {
    const id = `${prefix}\u0000${suffix}`;
    let skip = this.skips.get(id);
    if (!skip) this.skips.set(id, (skip = new Map()));
    const path: number[] = [];
    let k = from;
    while (k < end) {
      const next = skip.get(k);
      if (next === undefined && !this.used.has(prefix + k + suffix)) break;
      path.push(k);
      k = next ?? k + 1;
    }
    // Taken stays taken (names are only added), so the jump is valid for every later search.
    for (const p of path) skip.set(p, k);
    return k;
  }
}

/**
 * The first free name of the mangled forms `template(d)` gives for counters of d digits:
 * counter 1 first, as if each k = 1, 2, 3 … were tried in turn.
 */
export function firstFreeMangled(taken: NameSpace, template: (digits: number) => [prefix: string, suffix: string]): string {
  let k = 1;
  for (let digits = 1, end = 10; ; digits++, end *= 10) {
    const [prefix, suffix] = template(digits);
    k = taken.firstFree(prefix, suffix, k, end);
    if (k < end) return prefix + k + suffix;
  }
}

/** Gives each of `names` (raw bytes in latin1 strings) a unique identifier, in input order:
 *  a later name that collides gets the smallest counter that makes it unique. */
export function assignIsoNames(names: readonly { name: string; isDir: boolean }[]): IsoName[] {
  const taken = new NameSpace();
  return names.map((n) => {
    const first = isoCandidate(n.name, n.isDir);
    let key = isoKey(first);
    if (!taken.claim(key)) {
      // isoMangled's identifier for counter k, split around the counter.
      const room = first.isDir ? MAX_ISO_NAME : MAX_ISO_NAME - 1 - first.ext.length;
      const suffix = first.isDir ? '' : `.${first.ext}`;
      key = firstFreeMangled(taken, (digits) => [first.base.slice(0, Math.max(0, room - digits)), suffix]);
      taken.add(key);
      return { ...first, base: first.isDir ? key : key.slice(0, key.length - suffix.length) };
    }
    return first;
  });
}

/** An ISO 9660 identifier (bytes [start, end) of `identifier`) as a name: version (`;1`)
 *  and a then trailing dot dropped, as libarchive does. Case is kept. */
export function isoName(identifier: Buffer, directory: boolean, start = 0, end = identifier.length): string {
  let s = identifier.toString('latin1', start, end);
  if (!directory) {
    const semi = s.lastIndexOf(';');
    if (semi >= 0) s = s.slice(0, semi);
    if (s.endsWith('.')) s = s.slice(0, -1);
  }
  return s;
}
