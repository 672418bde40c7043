// iso-merge's engine: the tar on stdin and the tree of an earlier session in, one tar out
// (DESIGN §7). Stdin's entries pass through as they come, remembered by path only; the old
// session's files follow as references to their extents (pax ISOPIPE.extents/size, and
// ISOPIPE.md5 when that session recorded the file's MD5; no data).
//
//   overlay  stdin, then every old entry stdin did not name (directories merge, stdin's
//            attributes win; an old directory that stdin replaced by a non-directory goes
//            with everything under it)
//   mirror   stdin only; a file whose data is already on the medium goes as a reference
//            with the tar's attributes and its data is read and dropped (mirror.ts decides)
//   data     the old session alone, every file with its data (restore)
import type { Image } from '../image/image.js';
import { Excluder } from '../tree/exclude.js';
import type { TarEntry, TarSink } from '../tar/parser.js';
import { pathKey, splitPath, TreeError } from '../tree/tree.js';
import { LinkPrimaries } from './link-order.js';
import { Mirror } from './mirror.js';
import { type OldEntry, type OldTree, oldExtents, oldZf, Seen } from './old-tree.js';
import type { TarOutput } from './tar-output.js';
import type { OutEntry } from '../tar/header.js';
import { encodeIsopipeRecords, encodeReference, extentBytes } from '../tar/isopipe-records.js';

export type MergeMode = 'overlay' | 'mirror';

export class MergeError extends Error {}

export interface MergeCounts {
  /** Entries that came from stdin and went out. */
  passed: number;
  /** Old entries carried (overlay) or restored (data). */
  carried: number;
  /** Old files sent as references. */
  references: number;
  /** Old files sent with their data read from the medium. */
  withData: number;
  /** Entries dropped by --remove. */
  removed: number;
  /** Old sockets, which tar cannot carry. */
  sockets: number;
}

export interface MergeOptions {
  mode: MergeMode;
  remove: string[];
  /** Mirror: largest file held to be matched by MD5 (0: none). */
  hashLimit?: number;
}

export class Merger implements TarSink {
  readonly counts: MergeCounts = {
    passed: 0,
    carried: 0,
    references: 0,
    withData: 0,
    removed: 0,
    sockets: 0,
  };
  /** Mirror mode's decisions and counts. */
  readonly mirror: Mirror | null;
  /** Mirror: set by finish() when the tar shows the old session's tree unchanged. */
  unchanged = false;
  private readonly excluder: Excluder;
  /** First name emitted of each old hard-link group. */
  private readonly linkFirst = new Map<string, string>();
  /** Which name of a hard-link group goes first (and carries the data). */
  private readonly links: LinkPrimaries | null;
  /** Where the current stdin entry's data goes. */
  private target: 'out' | 'drop' | 'hold' = 'drop';
  private currentEntry: OutEntry | null = null;
  private currentSize = 0;
  /** The ancestor remember() looked up last, and its index in the old tree. */
  private lastParent = '';
  private lastParentIndex: number | undefined;

  constructor(
    private readonly opt: MergeOptions,
    private readonly old: OldTree | null,
    private readonly image: Image | null,
    private readonly out: TarOutput,
  ) {
    this.excluder = new Excluder(opt.remove);
    this.mirror = opt.mode === 'mirror' ? new Mirror(old, opt.hashLimit ?? 0) : null;
    if (old) this.counts.sockets = old.sockets;
    this.links = old ? new LinkPrimaries(old) : null;
  }

  // ---- stdin (TarSink) ----

  entry(e: TarEntry): void {
    this.target = 'drop';
    let key: string;
    try {
      key = pathKey(e.path);
    } catch (err) {
      if (err instanceof TreeError) throw new MergeError(`${err.message}: refused (it would extract outside the tree)`);
      throw err;
    }
    if (this.excluder.excludesKey(key)) {
      this.counts.removed++;
      return;
    }
    let targetKey: string | undefined;
    if (e.type === 'link') {
      const targetParts = splitPath(e.linkname);
      targetKey = targetParts.join('/');
      if (this.excluder.excludes(targetParts)) {
        this.counts.removed++;
        return;
      }
      this.linkToOld(targetParts, targetKey);
    }
    const old = this.old?.get(key);
    this.remember(key, old, e.type === 'dir' ? Seen.Dir : Seen.Other);

    const out = this.fromTar(e);
    if (this.mirror) {
      if (e.type === 'file' && !e.isopipe.has('extents')) {
        const d = this.mirror.file(e, key.slice(key.lastIndexOf('/') + 1), old);
        if (d.kind === 'reference') {
          this.counts.passed++;
          this.out.header(this.reference(out, d.old));
          return; // the data is read and dropped
        }
        if (d.kind === 'hold') {
          this.counts.passed++;
          this.target = 'hold';
          this.currentEntry = out;
          return; // the header waits for the data's MD5
        }
      } else this.mirror.other(e, old, targetKey);
    }
    this.counts.passed++;
    this.out.header(out);
    if (out.size > 0) {
      this.target = 'out';
      this.currentSize = out.size;
    }
  }

  /** A GNU volume label passes through: iso-pack offers it as the volume identifier. */
  volumeLabel(label: string): void {
    this.out.header({ path: label, type: 'label', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
  }

  data(chunk: Buffer): void {
    if (this.target === 'out') this.out.data(chunk);
    else if (this.target === 'hold') this.mirror!.hold(chunk);
  }

  entryEnd(): void {
    if (this.target === 'out') this.out.endData(this.currentSize);
    else if (this.target === 'hold') {
      const out = this.currentEntry!;
      const found = this.mirror!.resolve();
      if ('old' in found) this.out.header(this.reference(out, found.old));
      else {
        this.out.header(out);
        for (const chunk of found.data) this.out.data(chunk);
        this.out.endData(out.size);
      }
      this.currentEntry = null;
    }
    this.target = 'drop';
  }

  // ---- after stdin ----

  /** Overlay: every old entry stdin did not name; mirror: only the report of deletions. */
  finish(): void {
    if (!this.old) return;
    if (this.mirror) {
      this.unchanged = this.mirror.finish();
      return;
    }
    let skipUnder: string | null = null;
    for (const e of this.old.entries()) {
      if (skipUnder !== null) {
        if (e.path.startsWith(skipUnder)) continue;
        skipUnder = null;
      }
      const removed = this.excluder.excludesKey(e.path);
      if (removed || e.seen === Seen.Other || (e.seen === Seen.Implied && e.type !== 'dir')) {
        if (removed) this.counts.removed++;
        // An old directory that is removed, or replaced by a non-directory, goes whole.
        if (e.type === 'dir') skipUnder = e.path + '/';
        continue;
      }
      if (e.seen === Seen.Dir) continue; // stdin's directory: its attributes win, contents merge
      this.emitOld(e, false);
    }
  }

  /** --data: the old session's whole tree with every file's data. */
  restore(): void {
    if (!this.old) return;
    for (const e of this.old.entries()) {
      if (this.excluder.excludesKey(e.path)) {
        this.counts.removed++;
        continue;
      }
      this.emitOld(e, true);
    }
  }

  // ---- helpers ----

  /**
   * Marks the old entry stdin names (`old`, at `key`), and the old directories above it as
   * directories stdin implies. Only old entries are marked: stdin's own paths are never held.
   */
  private remember(key: string, old: OldEntry | undefined, how: Seen): void {
    if (!this.old) return;
    if (key === '') {
      if (old && how === Seen.Dir) this.old.setSeen(old, Seen.Dir);
      return;
    }
    if (old) this.old.setSeen(old, how);
    // Up to the first ancestor already known as a directory: those above it are known too.
    for (let cut = key.lastIndexOf('/'); cut > 0; cut = key.lastIndexOf('/', cut - 1)) {
      const a = this.ancestorIndex(key, cut);
      if (a === undefined) continue;
      const seen = this.old.seenAt(a);
      if (seen === Seen.Dir || seen === Seen.Implied) break;
      this.old.setSeenAt(a, Seen.Implied);
    }
  }

  /** The old entry at `key`'s first `cut` characters. A tar lists a directory's entries one
   *  after the other: the parent looked up last is most often the one asked for again. */
  private ancestorIndex(key: string, cut: number): number | undefined {
    const last = this.lastParent;
    if (last.length === cut && key.startsWith(last)) return this.lastParentIndex;
    const path = key.slice(0, cut);
    const i = this.old!.indexOf(path);
    this.lastParent = path;
    this.lastParentIndex = i;
    return i;
  }

  /** A stdin hard link to an old file stdin did not carry: send that file first (overlay). */
  private linkToOld(targetParts: string[], targetKey: string): void {
    if (this.opt.mode !== 'overlay' || !this.old) return;
    const e = this.old.get(targetKey);
    if (!e || e.seen !== Seen.No || e.type !== 'file' || this.excluder.excludes(targetParts)) return;
    this.remember(targetKey, e, Seen.Other);
    this.emitOld(e, false);
  }

  /** Whether an old entry will go out: not removed, not replaced by stdin, nor under a
   *  directory that was (the conditions finish() and restore() apply). */
  private willCarry(c: OldEntry, restoring: boolean): boolean {
    const parts = c.path.split('/');
    if (this.excluder.excludes(parts)) return false;
    if (restoring) return true;
    if (this.old!.get(c.path)?.seen !== Seen.No) return false;
    for (let k = parts.length - 1; k >= 1; k--) if (this.old!.get(parts.slice(0, k).join('/'))?.seen === Seen.Other) return false;
    return true;
  }

  private fromTar(e: TarEntry): OutEntry {
    const hasData = e.type === 'file' && !e.isopipe.has('extents');
    const out: OutEntry = {
      path: e.path,
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      size: hasData ? e.size : 0,
      mtime: e.mtime,
      uname: e.uname,
      gname: e.gname,
    };
    if (e.atime !== undefined) out.atime = e.atime;
    if (e.ctime !== undefined) out.ctime = e.ctime;
    if (e.type === 'link' || e.type === 'symlink') out.linkname = e.linkname;
    if (e.type === 'chr' || e.type === 'blk') {
      out.devmajor = e.devmajor;
      out.devminor = e.devminor;
    }
    if (e.isopipe.size) out.records = encodeIsopipeRecords(e.isopipe);
    return out;
  }

  /** `out` (fromTar's, not shared) made a reference to an old file's extents, with the MD5
   *  its session recorded (so that an iso-pack --md5 session records it again: its data is
   *  not hashed on the way). Changed in place: a spread copy per file costs CPU, and in V8
   *  it outlives its scavenge and piles up in the old generation (RSS). */
  private reference(out: OutEntry, old: OldEntry): OutEntry {
    // ISOPIPE.size is what the extents hold; a zisofs file's content size travels in its ZF.
    const stored = old.zisofs === undefined ? old.size : extentBytes(oldExtents(old));
    out.size = 0;
    out.records = encodeReference({ extents: old.extents, size: stored, zisofs: old.zisofs, md5: this.old!.recordedMd5(old) });
    return out;
  }

  /** One old entry: a directory, symlink, device or FIFO as it is; a file as a reference,
   *  with its data, or as a hard link to the group's first name. */
  private emitOld(e: OldEntry, withData: boolean): void {
    if (this.links?.sentAhead(e)) return;
    this.counts.carried++;
    const out: OutEntry = {
      path: e.path === '' ? './' : e.path,
      type: e.type as OutEntry['type'],
      mode: e.perm,
      uid: e.uid,
      gid: e.gid,
      size: 0,
      mtime: e.mtime,
    };
    switch (e.type) {
      case 'symlink':
        out.linkname = e.target;
        break;
      case 'chr':
      case 'blk':
        out.devmajor = e.major;
        out.devminor = e.minor;
        break;
      case 'file': {
        if (e.linkKey) {
          const first = this.linkFirst.get(e.linkKey);
          if (first !== undefined) {
            this.out.header({ ...out, type: 'link', linkname: first });
            return;
          }
          const ahead = this.links!.ahead(e, (c) => this.willCarry(c, withData));
          if (ahead) {
            this.counts.carried--; // counted with its own name below
            this.emitOld(ahead, withData);
            this.links!.markSent(ahead);
            this.emitOld(e, withData);
            return;
          }
          this.linkFirst.set(e.linkKey, out.path);
        }
        if (e.size === 0) break;
        if (withData || this.old!.needsData(e)) {
          this.counts.withData++;
          this.out.header({ ...out, size: e.size });
          // A zisofs file goes uncompressed: the tar holds content, not the medium's bytes.
          this.image!.readContent(
            { path: e.path, extents: oldExtents(e), zf: oldZf(e) },
            (chunk) => this.out.data(chunk),
            1 << 20,
            this.old!.session.session.number,
          );
          this.out.endData(e.size);
          return;
        }
        this.counts.references++;
        this.out.header(this.reference(out, e));
        return;
      }
    }
    this.out.header(out);
  }
}
