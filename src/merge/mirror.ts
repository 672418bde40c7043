// iso-merge --mirror's decisions (issue 11/12): which file of the tar can go as a reference
// to data already on the medium, and whether the tar differs from the old session at all.
//
//   by path     same path, size and mtime as an old file: a reference, whatever the tar
//               says of mode, owners or other attributes (the new session records those)
//   by content  the old session recorded MD5s (iso-pack --md5, xorriso -md5 on) and a file
//               of the tar up to `hashLimit` bytes has the size and MD5 of an old file (a
//               touched, renamed or copied file): its data is held (only this file's, only
//               up to the limit) and hashed before its header goes out, then it goes as a
//               reference to that old extent. Larger files are sent in full.
//
// Whether anything changed is judged from what the new session would record: type, mode,
// owners, mtime (whole seconds, as Rock Ridge TF keeps them), size and content (same size
// and mtime at the same path), symlink targets, device numbers, hard-link groups, and no old
// entry left out. atime and ctime are not compared.
import { createHash, type Hash } from 'node:crypto';
import { fileNeedsContinuation } from '../iso9660/record-budget.js';
import type { TarEntry } from '../tar/parser.js';
import { type OldEntry, type OldTree, Seen } from './old-tree.js';

/** Largest file held in memory to be matched by MD5, by default. */
export const DEFAULT_HASH_LIMIT = 1 << 20;

export interface MirrorCounts {
  /** Files sent as references (unchanged empty files included), and their bytes. */
  reused: number;
  reusedBytes: number;
  /** Of those: found by MD5 (not by path, size and mtime). */
  reusedByContent: number;
  /** Of those: found by path whose mode, owners or times changed. */
  newAttributes: number;
  /** Files sent with their data: no old file at that path, and their bytes. */
  added: number;
  addedBytes: number;
  /** Files sent with their data although an old file has that path, and their bytes. */
  changed: number;
  changedBytes: number;
  /** Files unchanged at their path but sent with their data all the same (their names
   *  need a Rock Ridge continuation area, DESIGN §3), and their bytes. */
  resent: number;
  resentBytes: number;
  /** Files hashed (held up to the limit) to look for them by content, and their bytes. */
  hashed: number;
  hashedBytes: number;
  /** Old files the tar no longer has. */
  deleted: number;
}

export type FileDecision =
  /** Send as a reference to this old file's extents; drop the tar's data. */
  | { kind: 'reference'; old: OldEntry }
  /** Hand the data to hold(), then ask resolve(). */
  | { kind: 'hold' }
  /** Send with its data. */
  | { kind: 'send' };

export class Mirror {
  readonly counts: MirrorCounts = {
    reused: 0,
    reusedBytes: 0,
    reusedByContent: 0,
    newAttributes: 0,
    added: 0,
    addedBytes: 0,
    changed: 0,
    changedBytes: 0,
    resent: 0,
    resentBytes: 0,
    hashed: 0,
    hashedBytes: 0,
    deleted: 0,
  };
  /** Something in the tar differs from the old session. */
  private differs = false;
  /** `size:md5` → path of an old file that can be referenced, built on first need. */
  private byContent: Map<string, string> | null = null;
  private sizes: Set<number> | null = null;
  /** Old hard-link groups already claimed by a file of the tar (key → that file's path). */
  private readonly groups = new Map<string, string>();
  /** The file being held. */
  private held: Buffer[] = [];
  private hash: Hash | null = null;
  private heldEntry: TarEntry | null = null;
  private heldOld: OldEntry | undefined;

  constructor(
    private readonly old: OldTree | null,
    private readonly hashLimit: number,
  ) {
    if (!old) this.differs = true;
  }

  /** A regular file of the tar with data to send (no ISOPIPE.extents); `old` is the old entry at its path. */
  file(e: TarEntry, name: string, old: OldEntry | undefined): FileDecision {
    const oldFile = old?.type === 'file' ? old : undefined;
    if (oldFile) this.compare(e, oldFile);
    else this.differs = true;
    if (oldFile && e.size === 0 && oldFile.size === 0) {
      this.reused(e, oldFile, false);
      return { kind: 'send' }; // nothing to refer to: the header alone
    }
    const sameByPath = !!oldFile && e.size === oldFile.size && Math.floor(e.mtime) === Math.floor(oldFile.mtime);
    if (sameByPath) {
      if (oldFile.extents !== '' && !this.old!.needsData(oldFile)) {
        this.reused(e, oldFile, false);
        return { kind: 'reference', old: oldFile };
      }
      // Same file, but its name needs a continuation area: it travels with its data.
      this.counts.resent++;
      this.counts.resentBytes += e.size;
      return { kind: 'send' };
    }
    if (oldFile) this.differs = true; // new content, or at least a new mtime
    if (this.worthHashing(e, name)) {
      this.heldEntry = e;
      this.heldOld = oldFile;
      this.held = [];
      this.hash = createHash('md5');
      this.counts.hashed++;
      this.counts.hashedBytes += e.size;
      return { kind: 'hold' };
    }
    this.sent(e, oldFile);
    return { kind: 'send' };
  }

  /** A piece of the held file's data (copied: the parser's chunks are only lent). */
  hold(chunk: Buffer): void {
    this.hash!.update(chunk);
    this.held.push(Buffer.from(chunk));
  }

  /** After the held file's data: a reference, or the data to send. */
  resolve(): { old: OldEntry } | { data: Buffer[] } {
    const e = this.heldEntry!;
    const md5 = this.hash!.digest('hex');
    const data = this.held;
    const oldFile = this.heldOld;
    this.held = [];
    this.hash = null;
    this.heldEntry = null;
    this.heldOld = undefined;
    const path = this.byContent!.get(`${e.size}:${md5}`);
    const match = path === undefined ? undefined : this.old!.get(path);
    if (match) {
      this.reused(e, match, true);
      return { old: match };
    }
    this.sent(e, oldFile);
    return { data };
  }

  /** Any other entry of the tar (directories, links, symlinks, devices, FIFOs, files already references). */
  other(e: TarEntry, old: OldEntry | undefined, linkTarget?: string): void {
    if (!old) {
      this.differs = true;
      return;
    }
    if (e.type === 'link') {
      const target = linkTarget === undefined ? undefined : this.old!.get(linkTarget);
      if (old.type !== 'file' || !old.linkKey || target?.linkKey !== old.linkKey) this.differs = true;
      return;
    }
    if (e.type === 'file') {
      this.differs = true; // a reference that came in on stdin: not ours to judge
      return;
    }
    if (old.type !== e.type) {
      this.differs = true;
      return;
    }
    this.compare(e, old);
    if (e.type === 'symlink' && e.linkname !== old.target) this.differs = true;
    if ((e.type === 'chr' || e.type === 'blk') && (e.devmajor !== old.major || e.devminor !== old.minor)) this.differs = true;
  }

  /** After the tar: counts the deletions; true when the new session would show the old tree. */
  finish(): boolean {
    if (!this.old) return false;
    // By index: only the entries the tar did not name are read out of the columns.
    for (let i = 0; i < this.old.entryCount; i++) {
      const seen = this.old.seenAt(i);
      if (seen === Seen.Other || seen === Seen.Dir) continue;
      const e = this.old.entry(i);
      if (e.type === 'file') this.counts.deleted++;
      // The root may go unnamed (tar c a b): iso-pack then gives it the same implied attributes.
      if (e.path !== '') this.differs = true;
    }
    if (this.old.sockets) this.differs = true; // tar cannot hold them: the new session lacks them
    return !this.differs;
  }

  // ---- helpers ----

  /** Attributes the new session records, and hard-link group membership. */
  private compare(e: TarEntry, old: OldEntry): void {
    if ((e.mode & 0o7777) !== old.perm || e.uid !== old.uid || e.gid !== old.gid || Math.floor(e.mtime) !== Math.floor(old.mtime)) this.differs = true;
    if (e.type !== 'file') return;
    if (old.linkKey) {
      // A second file of the tar in one old group: the group was split.
      if (this.groups.has(old.linkKey)) this.differs = true;
      else this.groups.set(old.linkKey, e.path);
    }
  }

  private reused(e: TarEntry, old: OldEntry, byContent: boolean): void {
    this.counts.reused++;
    this.counts.reusedBytes += e.size;
    if (byContent) this.counts.reusedByContent++;
    else if ((e.mode & 0o7777) !== old.perm || e.uid !== old.uid || e.gid !== old.gid) this.counts.newAttributes++;
  }

  private sent(e: TarEntry, oldFile: OldEntry | undefined): void {
    if (oldFile) {
      this.counts.changed++;
      this.counts.changedBytes += e.size;
    } else {
      this.counts.added++;
      this.counts.addedBytes += e.size;
    }
  }

  /** A file small enough to hold, of a size some old file with a recorded MD5 has, whose
   *  name lets its new record stay without a continuation area (DESIGN §3). */
  private worthHashing(e: TarEntry, name: string): boolean {
    if (!this.old || e.size === 0 || e.size > this.hashLimit) return false;
    if (fileNeedsContinuation(name.length, { checksumIndex: true })) return false;
    if (!this.sizes) this.index();
    return this.sizes!.has(e.size);
  }

  /** Every old file with data and a recorded MD5, by size and MD5. Read
   *  once, the first time a file could use it (the MD5s are read from the medium). */
  private index(): void {
    this.byContent = new Map();
    this.sizes = new Set();
    const old = this.old!;
    if (!old.hasChecksums) return;
    for (const e of old.entries()) {
      // An old long-named file's data may be referred to from a new record that needs no
      // continuation area: only the new name matters (checked in worthHashing).
      if (e.type !== 'file' || e.size === 0 || e.extents === '') continue;
      // xorriso records a zisofs file's MD5 over its compressed bytes, not its content.
      if (e.zisofs !== undefined) continue;
      const md5 = old.recordedMd5(e);
      if (md5 === undefined) continue;
      const key = `${e.size}:${md5}`;
      if (!this.byContent.has(key)) this.byContent.set(key, e.path);
      this.sizes.add(e.size);
    }
  }
}
