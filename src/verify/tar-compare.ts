// Compares a tar stream with one session's tree, entry by entry: type, mode, owners, size,
// mtime, link target, device numbers and content bytes. The tree's metadata is indexed
// first (memory per entry, as iso-pack's); file data is never held: each piece of tar data
// is compared with the same bytes read from the file's extents as it streams past.
import type { DataExtent, ImageEntry } from '../image/entry.js';
import { ImageError } from '../image/errors.js';
import type { SectorSource } from '../image/sector-source.js';
import { ZisofsFile } from '../image/zisofs-data.js';
import { TarParser, type TarEntry, type TarSink } from '../tar/parser.js';
import type { FindingKind, FindingSink } from './findings.js';
import { SECTOR } from '../iso9660/constants.js';
import { formatExtents, extentBytes, parseExtents } from '../tar/isopipe-records.js';

/** A tar path as the tree names it: no leading `./` or `/`, no trailing slash; '' is the root. */
export function treePath(tarPath: string): string {
  return tarPath
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

function parentOf(path: string): string {
  const k = path.lastIndexOf('/');
  return k < 0 ? '' : path.slice(0, k);
}

const octal = (n: number) => '0' + n.toString(8);

export interface TarCompareResult {
  entries: number;
  /** Regular files whose content was compared. */
  files: number;
  bytes: number;
}

class Comparison implements TarSink {
  private readonly seen = new Set<string>();
  private readonly missingDirs = new Set<string>();
  private current: { entry: ImageEntry; path: string; offset: number; failed: boolean; zisofs: ZisofsFile | null } | null = null;
  private readonly buf: Buffer;
  readonly result: TarCompareResult = { entries: 0, files: 0, bytes: 0 };

  constructor(
    private readonly index: Map<string, ImageEntry>,
    private readonly src: SectorSource,
    private readonly session: number,
    private readonly sink: FindingSink,
  ) {
    this.buf = Buffer.allocUnsafe(1 << 20);
  }

  private find(kind: FindingKind, path: string, message: string, where: { lba?: number; expected?: string | number; found?: string | number } = {}): void {
    this.sink.add({ kind, session: this.session, path, ...where, message });
  }

  private markSeen(path: string): void {
    for (let p = path; !this.seen.has(p); p = parentOf(p)) {
      this.seen.add(p);
      if (p === '') break;
    }
  }

  entry(e: TarEntry): void {
    this.current = null;
    this.result.entries++;
    const path = treePath(e.path);
    const parent = parentOf(path);
    const img = this.index.get(path);
    if (!img) {
      if (path !== '' && this.missingDirs.has(parent)) {
        if (e.type === 'dir') this.missingDirs.add(path);
        return;
      }
      if (e.type === 'dir') this.missingDirs.add(path);
      this.find('missing', path, `the tar has this ${e.type === 'link' ? 'hard link' : e.type}, the session does not`, { expected: e.type });
      return;
    }
    this.markSeen(path);
    if (e.type === 'link') return this.hardLink(e, img, path);
    const tarType = e.type === 'file' ? 'file' : e.type;
    if (img.type !== tarType) {
      this.find('type', path, `the tar has a ${tarType}, the session a ${img.type}`, { lba: img.recordLba, expected: tarType, found: img.type });
      return;
    }
    if ((e.mode & 0o7777) !== img.perm)
      this.find('mode', path, 'permissions differ', { lba: img.recordLba, expected: octal(e.mode & 0o7777), found: octal(img.perm) });
    if (e.uid !== img.uid || e.gid !== img.gid)
      this.find('owner', path, 'owners differ', { lba: img.recordLba, expected: `${e.uid}:${e.gid}`, found: `${img.uid}:${img.gid}` });
    if (Math.floor(e.mtime) !== img.mtime)
      this.find('mtime', path, 'modification times differ', { lba: img.recordLba, expected: Math.floor(e.mtime), found: img.mtime });
    if (tarType === 'symlink' && slTarget(e.linkname) !== slTarget(img.target ?? ''))
      this.find('target', path, 'symlink targets differ', { lba: img.recordLba, expected: show(e.linkname), found: show(img.target ?? '') });
    if ((tarType === 'chr' || tarType === 'blk') && (e.devmajor !== img.major || e.devminor !== img.minor))
      this.find('device', path, 'device numbers differ', { lba: img.recordLba, expected: `${e.devmajor},${e.devminor}`, found: `${img.major},${img.minor}` });
    if (tarType !== 'file') return;
    const ref = e.isopipe.get('extents');
    // A reference from iso-merge carries its size in ISOPIPE.size, not in the header.
    const size = ref !== undefined ? Number(e.isopipe.get('size') ?? referenceBytes(ref)) : e.size;
    // A zisofs file's content size is in its ZF entry (a reference's size is the stored bytes').
    const imgSize = ref === undefined && img.zf ? img.zf.size : img.size;
    if (size !== imgSize) {
      this.find('size', path, 'sizes differ', { lba: img.extents[0]?.lba ?? img.recordLba, expected: size, found: imgSize });
      return;
    }
    if (ref !== undefined) {
      // A reference from iso-merge: no data follows, the extents must be the session's.
      if (ref !== formatExtents(img.extents))
        this.find('content', path, 'the reference names other extents than the session', {
          lba: img.extents[0]?.lba,
          expected: ref,
          found: formatExtents(img.extents),
        });
      return;
    }
    let zisofs: ZisofsFile | null = null;
    if (img.zisofs) {
      // Compared uncompressed: the tar holds the content, the medium its zisofs form.
      try {
        if (!img.zf) throw new Error('its ZF entry is unreadable');
        zisofs = ZisofsFile.open(this.src, { path, extents: img.extents, zf: img.zf }, this.session);
      } catch (err) {
        this.find('content', path, `the zisofs-compressed file cannot be read: ${err instanceof ImageError ? err.reason : (err as Error).message}`, {
          lba: img.extents[0]?.lba ?? img.recordLba,
        });
        return;
      }
    }
    this.result.files++;
    this.current = { entry: img, path, offset: 0, failed: false, zisofs };
  }

  private hardLink(e: TarEntry, img: ImageEntry, path: string): void {
    const target = this.index.get(treePath(e.linkname));
    const same = (a: ImageEntry, b: ImageEntry) =>
      a.type === 'file' &&
      b.type === 'file' &&
      ((a.linkKey !== undefined && a.linkKey === b.linkKey) || (a.size > 0 && a.size === b.size && formatExtents(a.extents) === formatExtents(b.extents)));
    if (!target || !same(img, target))
      this.find('link', path, `the tar has a hard link to '${show(e.linkname)}'; the session does not link them`, {
        lba: img.recordLba,
        expected: show(e.linkname),
      });
  }

  data(chunk: Buffer): void {
    const c = this.current;
    if (!c || c.failed) return;
    let done = 0;
    while (done < chunk.length) {
      const piece = chunk.subarray(done, done + this.buf.length);
      if (c.zisofs) {
        try {
          c.zisofs.readInto(this.buf, c.offset, piece.length);
        } catch (err) {
          if (!(err instanceof ImageError)) throw err;
          c.failed = true;
          this.find('content', c.path, `the zisofs-compressed file cannot be read: ${err.reason}`, { lba: c.entry.extents[0]?.lba });
          return;
        }
      } else if (this.readAt(c.entry.extents, c.offset, piece.length) === null) {
        c.failed = true;
        this.find('content', c.path, 'the file data cannot be read from the medium', { lba: c.entry.extents[0]?.lba });
        return;
      }
      if (!piece.equals(this.buf.subarray(0, piece.length))) {
        let k = 0;
        while (piece[k] === this.buf[k]) k++;
        const offset = c.offset + k;
        c.failed = true;
        const lba = c.zisofs ? c.entry.extents[0]?.lba : lbaOf(c.entry.extents, offset);
        this.find('content', c.path, `content differs from byte ${offset} on${c.zisofs ? ' (uncompressed)' : ''}`, {
          lba,
          expected: piece[k],
          found: this.buf[k],
        });
        return;
      }
      c.offset += piece.length;
      this.result.bytes += piece.length;
      done += piece.length;
    }
  }

  /** Reads `length` bytes of the file from `offset` into the buffer; null when off the medium. */
  private readAt(extents: readonly DataExtent[], offset: number, length: number): true | null {
    let filled = 0;
    let base = 0;
    for (const x of extents) {
      if (filled === length) break;
      const from = offset + filled;
      if (from < base + x.bytes) {
        const within = from - base;
        const n = Math.min(length - filled, x.bytes - within);
        const pos = x.lba * SECTOR + within;
        if (!this.src.holds(0, pos + n)) return null;
        this.src.readInto(this.buf.subarray(filled), pos, n);
        filled += n;
      }
      base += x.bytes;
    }
    return filled === length ? true : null;
  }

  entryEnd(): void {
    this.current = null;
  }

  /** Entries of the session the tar did not name: only the topmost of each missing subtree. */
  extras(): void {
    const extraDirs = new Set<string>();
    for (const [path, e] of this.index) {
      if (this.seen.has(path)) continue;
      if (extraDirs.has(parentOf(path))) {
        if (e.type === 'dir') extraDirs.add(path);
        continue;
      }
      if (e.type === 'dir') extraDirs.add(path);
      this.find('extra', path, `the session has this ${e.type}, the tar does not`, { lba: e.recordLba, found: e.type });
    }
  }
}

/** Bytes an `ISOPIPE.extents` text names; NaN (a size no file has) when it is malformed. */
function referenceBytes(text: string): number {
  const extents = parseExtents(text);
  return extents ? extentBytes(extents) : NaN;
}

/** A symlink target as Rock Ridge SL can record it: components, so no repeated or
 *  trailing slashes. */
function slTarget(t: string): string {
  const s = t.replace(/\/+/g, '/');
  return s.length > 1 && s.endsWith('/') ? s.slice(0, -1) : s;
}

/** Raw bytes as text for a finding. */
function show(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

function lbaOf(extents: readonly DataExtent[], offset: number): number | undefined {
  let base = 0;
  for (const x of extents) {
    if (offset < base + x.bytes) return x.lba + Math.floor((offset - base) / SECTOR);
    base += x.bytes;
  }
  return undefined;
}

/**
 * Streams `chunks` (a tar) through the comparison with `index` (the session's entries by
 * path, pre-order). Throws a TarFormatError when the tar itself is broken.
 */
export function compareTar(chunks: Iterable<Buffer>, index: Map<string, ImageEntry>, src: SectorSource, session: number, sink: FindingSink): TarCompareResult {
  const cmp = new Comparison(index, src, session, sink);
  const parser = new TarParser(cmp);
  for (const c of chunks) parser.push(c);
  parser.end();
  cmp.extras();
  return cmp.result;
}
