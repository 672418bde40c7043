// What each reader should show of an image packed from a source tree, derived from the
// source's listing by the reader's documented limits (never from the image), and the
// comparison of a reader's whole listing with that expectation.
//
// Names a reader may legitimately change (Joliet truncation to 64/103 UTF-16 units with a
// unique suffix) cannot be predicted exactly; they are expected as a constraint (length,
// kept prefix and extension) and paired with the found name by content.
import { isoinfoId } from './readers.js';
import { MASKED, compareListings, escapeName, sortEntries, unescapeName, type Difference, type Entry } from './listing.js';

/** How a reader shows a name: a pure function of the name it reads from the image. */
export interface NameView {
  /** Joliet tree (UTF-16, limited length) instead of Rock Ridge names. */
  joliet: boolean;
  /** The plain ISO 9660 tree (no Rock Ridge, no Joliet): mangled d-character names, paired by content. */
  iso?: boolean;
  /** Maximum name length in UTF-16 units (Joliet only). */
  limit?: number;
  /** Display transform of a (Joliet) name as the reader shows it; null when the reader hides the entry. */
  display?: (name: string) => string | null;
}

export interface ReaderModel {
  name: string;
  names: NameView;
  /** Transforms an expected entry (source view, path already mapped); null drops it. */
  entry: (e: Entry, ctx: { isRoot: boolean }) => Entry | null;
  /** Masks applied to found entries too (fields the reader cannot show). */
  mask?: (e: Entry, ctx: { isRoot: boolean }) => Entry;
  /** Source entries the reader cannot represent at all: neither expected nor judged when found under the same name. */
  ignore?: (e: Entry) => boolean;
  /** How its extracted hard-link groups compare with the source's: equal, or only never wrong. */
  links?: 'exact' | 'subset';
}

const JOLIET_FORBIDDEN = new Set(['*', '/', ':', ';', '?', '\\']);

/** A name as iso-pack's Joliet tree should hold it before any truncation (UTF-16 string). */
export function jolietName(name: string): string {
  let out = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    out += cp < 0x20 || cp === 0x7f || JOLIET_FORBIDDEN.has(ch) ? '_' : ch;
  }
  return out;
}

/** The extension a truncation keeps: from the last dot (not a leading one), if short. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length - dot > 16) return '';
  return name.slice(dot);
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

type NameSpec = { exact: string } | { long: string; ext: string; limit: number } | { iso: string; dir: boolean };

/**
 * Whether `found` can be the ISO 9660 name (mkisofs -l -L: up to 31 d-characters and dots,
 * a leading dot kept, ";1" on files) of a file or directory named `name`.
 */
function fitsIsoName(found: string, spec: { iso: string; dir: boolean }): boolean {
  const m = /^([A-Z0-9_.]{1,31})(;1)?$/.exec(found);
  if (!m || (spec.dir && m[2])) return false;
  return !spec.iso.startsWith('.') || found.startsWith('.');
}

function fits(found: string, spec: NameSpec): boolean {
  if ('exact' in spec) return found === spec.exact;
  if ('iso' in spec) return fitsIsoName(found, spec);
  return fitsTruncation(found, spec);
}

/** Whether `found` is an acceptable truncation of `spec.long`. */
function fitsTruncation(found: string, spec: { long: string; ext: string; limit: number }): boolean {
  if (found.length > spec.limit || found.length === 0) return false;
  if (hasLoneSurrogate(found) || found.includes('\ufffd')) return false;
  if (spec.ext && !found.endsWith(spec.ext)) return false;
  const stem = spec.long.slice(0, spec.long.length - spec.ext.length);
  // Up to 10 units may go to a uniqueness suffix such as "~12".
  const need = Math.min(stem.length, Math.max(1, spec.limit - spec.ext.length - 10));
  let common = 0;
  while (common < found.length && found[common] === stem[common]) common++;
  return common >= need;
}

// ---------------------------------------------------------------- trees

interface SrcNode {
  name: string;
  entry: Entry;
  children: SrcNode[];
}
interface FoundNode {
  name: string;
  entry: Entry;
  children: FoundNode[];
  used?: boolean;
}

function nameOf(path: string): string {
  return unescapeName(path.slice(path.lastIndexOf('/') + 1)).toString('utf8');
}

function buildTree<T extends { name: string; entry: Entry; children: T[] }>(entries: Entry[]): { root: T | null; orphans: Entry[] } {
  const byPath = new Map<string, T>();
  let root: T | null = null;
  const orphans: Entry[] = [];
  for (const e of sortEntries(entries)) {
    const node = { name: e.path === '/' ? '' : nameOf(e.path), entry: e, children: [] as T[] } as unknown as T;
    if (e.path === '/') {
      root = node;
      byPath.set('/', node);
      continue;
    }
    const parentPath = e.path.slice(0, e.path.lastIndexOf('/')) || '/';
    const parent = byPath.get(parentPath);
    if (!parent) {
      orphans.push(e);
      continue;
    }
    parent.children.push(node);
    byPath.set(e.path, node);
  }
  return { root, orphans };
}

function joinPath(parent: string, name: string): string {
  const esc = escapeName(Buffer.from(name, 'utf8'));
  return parent === '/' ? `/${esc}` : `${parent}/${esc}`;
}

export interface Comparison {
  expected: Entry[];
  found: Entry[];
  diff: Difference;
  /** Problems outside the field comparison (duplicate names, unparsable lines). */
  notes: string[];
  /** Paths (relative, unescaped) of source entries the model ignores for this reader. */
  ignored: string[];
}

/**
 * A reader's messages minus those about entries its model ignores; when some were about them,
 * the reader's generic "there were errors" lines and exit status go too.
 */
export function relevantNotes(notes: string[], ignored: string[]): string[] {
  const about = (n: string) => ignored.some((p) => n.includes(p));
  const rest = notes.filter((n) => !about(n));
  if (rest.length === notes.length) return notes;
  return rest.filter((n) => !/Error exit delayed|^(bsdtar|xorriso|7z) exit \d+|aborting : -abort_on/.test(n));
}

/**
 * Compares a reader's listing with the source listing under the reader's model.
 * Both are whole listings; the result lists every difference.
 */
export function compareWithModel(model: ReaderModel, source: Entry[], found: Entry[]): Comparison {
  const notes: string[] = [];
  const src = buildTree<SrcNode>(source);
  const fnd = buildTree<FoundNode>(found);
  if (!src.root) throw new Error('source listing has no root');
  for (const o of fnd.orphans) notes.push(`${model.name}: entry without a parent directory: ${o.path}`);
  const exp: Entry[] = [];
  const got: Entry[] = [];
  const ignored: string[] = [];
  const mask = (e: Entry, isRoot: boolean) => (model.mask ? model.mask(e, { isRoot }) : e);

  const emit = (e: Entry | null, path: string, isRoot: boolean) => {
    if (!e) return;
    exp.push(mask({ ...e, path }, isRoot));
  };
  const emitFound = (n: FoundNode, path: string, isRoot: boolean) => {
    got.push(mask({ ...n.entry, path }, isRoot));
  };
  const emitExtra = (n: FoundNode, path: string) => {
    emitFound(n, path, false);
    for (const c of n.children) emitExtra(c, joinPath(path, c.name));
  };

  const specOf = (child: SrcNode, siblings: SrcNode[]): NameSpec | null => {
    const v = model.names;
    if (v.iso) return { iso: child.name, dir: child.entry.type === 'dir' };
    if (!v.joliet) return { exact: child.name };
    const limit = v.limit ?? 64;
    const j = jolietName(child.name);
    const clash = siblings.some((s) => s !== child && jolietName(s.name) === j);
    const display = (s: string) => (v.display ? v.display(s) : s);
    if (j.length <= limit && !clash) {
      const d = display(j);
      return d === null ? null : { exact: d };
    }
    const long = display(j);
    if (long === null) return null;
    const ext = extensionOf(j);
    return { long, ext: ext ? (display(ext) ?? '') : '', limit };
  };

  // Joliet trees leave out paths over 240 bytes as libisofs counts them (1 for the root,
  // 1 + 2 per UTF-16 unit of each component), everything under them too.
  const jolietLength = (parent: number, child: SrcNode) => parent + 1 + 2 * Math.min(jolietName(child.name).length, model.names.limit ?? 64);
  const walk = (s: SrcNode, f: FoundNode | null, path: string, isRoot: boolean, jpath = 1) => {
    const e = model.entry(s.entry, { isRoot });
    if (!e) return; // the reader does not show this entry (nor its subtree)
    emit(e, path, isRoot);
    if (f) emitFound(f, path, isRoot);
    const fChildren = f?.children ?? [];
    const seen = new Map<string, number>();
    for (const c of fChildren) seen.set(c.name, (seen.get(c.name) ?? 0) + 1);
    for (const [name, count] of seen) if (count > 1) notes.push(`${model.name}: ${count} entries named ${JSON.stringify(name)} in ${path}`);

    const pending: { child: SrcNode; spec: NameSpec }[] = [];
    for (const child of s.children) {
      if (model.ignore?.(child.entry)) {
        ignored.push(unescapeName(child.entry.path.slice(1)).toString('utf8'));
        const same = fChildren.find((c) => !c.used && c.name === child.name);
        if (same) same.used = true;
        continue;
      }
      if (!model.entry(child.entry, { isRoot: false })) continue;
      if (model.names.joliet && jolietLength(jpath, child) > 240) continue;
      const spec = specOf(child, s.children);
      if (!spec) continue;
      pending.push({ child, spec });
    }
    const pairs = new Map<SrcNode, FoundNode | null>();
    // Exact names first, then truncated ones by content.
    for (const { child, spec } of pending) {
      if (!('exact' in spec)) continue;
      const m = fChildren.find((c) => !c.used && c.name === spec.exact);
      if (m) m.used = true;
      pairs.set(child, m ?? null);
    }
    for (const { child, spec } of pending) {
      if ('exact' in spec) continue;
      const want = model.entry(child.entry, { isRoot: false })!;
      const cands = fChildren.filter((c) => !c.used && c.entry.type === want.type && fits(c.name, spec));
      // The candidate that agrees on most fields the reader shows (contents first), then by subtree.
      const like = 'iso' in spec ? child.name.toUpperCase().replace(/[^A-Z0-9_.]/g, '_') : 'long' in spec ? spec.long : '';
      const score = (c: FoundNode) =>
        (c.entry.type === 'dir' ? 0 : (['md5', 'size', 'mtime'] as const).filter((k) => c.entry[k] === want[k]).length * 1000) +
        commonPrefix(c.name, like) * 10 +
        (c.entry.type === 'dir' ? overlap(c, child) : 0);
      const m = cands.sort((a, b) => score(b) - score(a))[0];
      if (m) m.used = true;
      pairs.set(child, m ?? null);
    }
    for (const { child, spec } of pending) {
      const m = pairs.get(child) ?? null;
      // An expected truncated name: report it under its found name when paired, else as the long name.
      const name =
        'exact' in spec ? spec.exact : m ? m.name : 'iso' in spec ? `${spec.iso} (as an ISO 9660 name)` : `${spec.long} (truncated to ${spec.limit})`;
      walk(child, m, joinPath(path, name), false, jolietLength(jpath, child));
    }
    for (const c of fChildren) if (!c.used) emitExtra(c, joinPath(path, c.name));
  };
  walk(src.root, fnd.root, '/', true);
  if (!fnd.root) notes.push(`${model.name}: no root directory listed`);
  for (const o of fnd.orphans) got.push(mask(o, false));
  return { expected: exp, found: got, diff: compareListings(exp, got), notes, ignored };
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && a[n] === b[n]) n++;
  return n;
}

/** How many of a directory's children look alike (same name, or same size and contents). */
function overlap(f: FoundNode, s: SrcNode): number {
  const names = new Set(s.children.map((c) => c.name));
  const contents = new Set(s.children.filter((c) => c.entry.type === 'file').map((c) => `${c.entry.size}:${c.entry.md5}`));
  return f.children.filter((c) => names.has(c.name) || contents.has(`${c.entry.size}:${c.entry.md5}`)).length;
}

// ---------------------------------------------------------------- reader models

const SPECIAL = new Set(['symlink', 'chr', 'blk', 'fifo', 'sock']);

/** Linux 6.1's isofs keeps dates in a 32-bit int (iso_date): later and earlier times wrap. */
export function int32Time(t: string): string {
  return String(BigInt.asIntN(32, BigInt(t)));
}

/** The UTC calendar day of an epoch time, as a 7-byte directory record holds it (isoinfo prints only the day). */
export function utcDay(t: string): string {
  const d = new Date(Number(t) * 1000);
  return d.toISOString().slice(0, 10);
}

function maskDir(e: Entry, nlinkToo: boolean): Entry {
  if (e.type !== 'dir') return e;
  return { ...e, size: MASKED, nlink: nlinkToo ? MASKED : e.nlink };
}

/** A device iso-pack writes in the form only Linux reads (minor above 255; rockridge.ts pnEntry). */
function bigDevice(e: Entry): boolean {
  if (e.type !== 'chr' && e.type !== 'blk') return false;
  const [maj, min] = e.target.split(':').map(Number);
  return min > 255 || maj > 4095;
}

export interface ModelOptions {
  /** Joliet name limit iso-pack was run with (64, or 103 with --joliet-long). */
  jolietLimit: number;
  /** Kernel keeps 32-bit dates (Linux 6.1). */
  kernelDates32: boolean;
  /** Expect -r (rationalized) owners and modes in Rock Ridge. */
  rationalized?: boolean;
}

/**
 * mkisofs -r: owners 0; read bits set for all; if any execute/search bit, all of them; write
 * bits and setuid/setgid/sticky cleared. A symlink keeps its mode.
 */
export function rationalize(e: Entry): Entry {
  if (e.type === 'symlink') return { ...e, uid: '0', gid: '0' };
  let m = parseInt(e.mode, 8) & 0o777;
  const anyX = (m & 0o111) !== 0;
  m = (m & ~0o222) | 0o444 | (anyX ? 0o111 : 0);
  return { ...e, uid: '0', gid: '0', mode: m.toString(8).padStart(4, '0') };
}

export function models(o: ModelOptions): Record<string, ReaderModel> {
  const rr = (e: Entry) => (o.rationalized ? rationalize(e) : e);
  const kdate = (t: string) => (o.kernelDates32 ? int32Time(t) : t);
  const jolietFile = (e: Entry): Entry | null => (SPECIAL.has(e.type) ? null : e);

  return {
    // Linux, Rock Ridge: everything; directory size and nlink are the writer's.
    kernel: {
      name: 'kernel (Rock Ridge)',
      names: { joliet: false },
      entry: (e) => ({ ...rr(e), mtime: kdate(e.mtime) }),
      mask: (e) => maskDir(e, true),
    },
    // Linux, Joliet (norock,check=s: case-sensitive lookups): no owners or modes (0555, root),
    // no hard links, no symlinks/devices/FIFOs; trailing dots stripped, a name of dots alone hidden.
    kernelJoliet: {
      name: 'kernel (Joliet, norock)',
      names: {
        joliet: true,
        limit: o.jolietLimit,
        display: (n) => {
          const s = n.replace(/(?<=.)\.+$/, '');
          return s === '.' ? null : s;
        },
      },
      entry: (e) => {
        const j = jolietFile(e);
        return j && { ...j, mode: '0555', uid: '0', gid: '0', nlink: j.type === 'dir' ? j.nlink : '1', mtime: kdate(j.mtime) };
      },
      mask: (e) => maskDir(e, true),
    },
    // Linux, plain ISO 9660 (norock,nojoliet,map=off): every entry, under a mangled name; what
    // is not a file or directory shows as an empty file; no owners, modes or links.
    kernelIso: {
      name: 'kernel (ISO 9660 names, norock,nojoliet)',
      names: { joliet: false, iso: true },
      entry: (e) => {
        const plain = e.type === 'dir' || e.type === 'file' ? e : { ...e, type: 'file', size: '0', target: '-', md5: 'd41d8cd98f00b204e9800998ecf8427e' };
        return { ...plain, mode: '0555', uid: '0', gid: '0', nlink: plain.type === 'dir' ? plain.nlink : '1', mtime: kdate(e.mtime) };
      },
      mask: (e) => maskDir(e, true),
    },
    // xorriso -osirrox extraction: restores everything but a symlink's owner and times. It reads
    // PN as one 64-bit dev_t (high << 32 | low) where Linux reads MKDEV(high, low) or, with high
    // 0, the 16-bit dev_t: the two agree for minors below 256, which iso-pack writes as a dev_t;
    // bigger minors go in Linux's form, which xorriso cannot create, so they are left out here.
    xorriso: {
      name: 'xorriso (extracted)',
      names: { joliet: false },
      entry: (e) => rr(e),
      mask: (e) => {
        let m = maskDir(e, false);
        if (m.type === 'symlink') m = { ...m, uid: MASKED, gid: MASKED, mtime: MASKED };
        return m;
      },
      ignore: bigDevice,
      links: 'exact',
    },
    // bsdtar -x (libarchive 3.6, Rock Ridge). Its limits, seen with genisoimage and xorriso images
    // too: the extraction root is ours; PN read as in libisofs (minors above 255 left out, as
    // for xorriso); an mtime of exactly -1 comes back
    // as 0 (isodate7); a target split over several SL entries loses the '/' at each split
    // (parse_rockridge_SL1 restarts its separator); a hard link is only restored when its partner
    // is the entry read just before (read order is data order: with data first, partners in other
    // directories come apart), and empty files are never linked — so links may be missing, never wrong.
    bsdtar: {
      name: 'bsdtar (extracted)',
      names: { joliet: false },
      entry: (e) => {
        const r = rr(e);
        return r.mtime === '-1' ? { ...r, mtime: '0' } : r;
      },
      mask: (e, { isRoot }) => {
        let m = maskDir(e, false);
        if (isRoot) m = { ...m, mode: MASKED, uid: MASKED, gid: MASKED, mtime: MASKED };
        if (m.type === 'file') m = { ...m, nlink: MASKED };
        if (m.type === 'symlink' && m.target.length > 200) m = { ...m, size: MASKED, target: m.target.replace(/\//g, '') };
        return m;
      },
      ignore: bigDevice,
      links: 'subset',
    },
    // 7z -x reads Joliet only: names, sizes, mtimes, contents; no owners/modes/links/specials.
    // 7-Zip's extraction drops trailing dots and names a name of dots alone "_".
    sevenZip: {
      name: '7z (extracted, Joliet)',
      names: { joliet: true, limit: o.jolietLimit, display: (n) => n.replace(/\.+$/, '') || '_' },
      entry: (e) => {
        const j = jolietFile(e);
        return j && { ...j, nlink: j.type === 'dir' ? j.nlink : '1' };
      },
      mask: (e, { isRoot }) => {
        // A directory's nlink is the host's count of the subdirectories 7z extracted, which
        // the tree comparison checks already (and which Joliet's path limit can make smaller).
        const m = { ...maskDir(e, true), mode: MASKED, uid: MASKED, gid: MASKED };
        return isRoot ? { ...m, mtime: MASKED } : m;
      },
    },
    // isoinfo -R -l: Rock Ridge names, permissions (not setuid/setgid/sticky), owners in octal (the
    // owner cut to 5 digits), PX nlink, record size, record date (day only); device numbers not
    // shown; a symlink's size is its record's; a target's final slash is not shown.
    isoinfo: {
      name: 'isoinfo -R',
      names: { joliet: false },
      entry: (e) => {
        const r = rr(e);
        return {
          ...r,
          mode: (parseInt(r.mode, 8) & 0o777).toString(8).padStart(4, '0'),
          uid: isoinfoId(r.uid, true),
          gid: isoinfoId(r.gid, false),
          mtime: utcDay(r.mtime),
          // isoinfo strips a final slash from every target (so "/" prints empty).
          target: r.type === 'symlink' ? r.target.replace(/\/$/, '') : r.target,
        };
      },
      mask: (e) => {
        let m = maskDir(e, true);
        if (m.type === 'symlink') m = { ...m, size: MASKED };
        if (m.type === 'chr' || m.type === 'blk') m = { ...m, target: MASKED };
        return m;
      },
    },
    // isoinfo -J -l: Joliet names squeezed to Latin-1 ('_' above U+00FF), sizes, record dates
    // (day only); modes, owners and links not shown; no contents (it cannot address such names).
    isoinfoJoliet: {
      name: 'isoinfo -J',
      names: { joliet: true, limit: o.jolietLimit, display: (n) => n.replace(/[^\u0000-\u00ff]/g, '_') },
      entry: (e) => {
        const j = jolietFile(e);
        return j && { ...j, mtime: utcDay(j.mtime) };
      },
      mask: (e) => ({ ...maskDir(e, true), mode: MASKED, uid: MASKED, gid: MASKED, nlink: MASKED, md5: MASKED }),
    },
  };
}
