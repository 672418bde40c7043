// The tree of the session iso-merge carries forward: every entry's metadata in pre-order,
// indexed by path. Held in columns (typed arrays, plus side tables for the few entries
// with a symlink target, device numbers, several sections or hard links) and a PathIndex,
// about 60 bytes an entry plus its path's, so a tree of a million files fits in a small
// process (DESIGN §2).
// Read completely before iso-merge writes a byte, so that a damaged image fails the run
// before anything reaches iso-pack.
import type { ChecksumArea } from '../iso9660/checksum-tags.js';
import type { DataExtent, ImageEntry, ImageEntryType } from '../image/entry.js';
import { ImageError } from '../image/errors.js';
import type { ChecksumArray } from '../image/checksum-array.js';
import type { Image, SessionTree } from '../image/image.js';
import { fileNeedsContinuation } from '../iso9660/record-budget.js';
import { formatZf, parseZf, type ZfInfo, zfProblem } from '../iso9660/zisofs.js';
import { formatExtents, parseExtents } from '../tar/isopipe-records.js';
import { PathIndex } from './path-index.js';

/** How the tar on stdin named a path (set by the merger): not at all, as a directory, as
 *  something else, or only as an ancestor of something it named. */
export enum Seen {
  No = 0,
  Dir = 1,
  Other = 2,
  Implied = 3,
}

const TYPES: ImageEntryType[] = ['file', 'dir', 'symlink', 'chr', 'blk', 'fifo', 'sock'];
const TYPE_CODE = new Map(TYPES.map((t, i) => [t, i]));

/** One old entry, read out of the columns (a short-lived view). */
export interface OldEntry {
  /** Position in pre-order; the handle for setSeen(). */
  index: number;
  /** Raw bytes in a latin1 string, no leading slash; '' is the root. */
  path: string;
  type: ImageEntryType;
  perm: number;
  uid: number;
  gid: number;
  mtime: number;
  /** A regular file's content size (uncompressed, for a zisofs file). */
  size: number;
  /** ISOPIPE.extents text ('' for an empty file and for non-files): the bytes as stored. */
  extents: string;
  /** A zisofs-compressed file's ZF entry (ISOPIPE.zisofs text): its extents hold compressed bytes. */
  zisofs?: string;
  target?: string;
  major: number;
  minor: number;
  /** Hard-link group (see ImageEntry.linkKey). */
  linkKey?: string;
  seen: Seen;
}

/** The ZF fields of an old zisofs file, for reading its content. */
export function oldZf(e: OldEntry): ZfInfo | undefined {
  return e.zisofs === undefined ? undefined : parseZf(e.zisofs);
}

/** The sections of an old entry's extents text (which formatExtents made: always well formed). */
export function oldExtents(e: OldEntry): DataExtent[] {
  return parseExtents(e.extents)!;
}

export class OldTree {
  private count = 0;
  private readonly paths = new PathIndex();
  private type = new Uint8Array(1024);
  private seen = new Uint8Array(1024);
  private ownData = new Uint8Array(1024);
  private perm = new Uint16Array(1024);
  private uid = new Uint32Array(1024);
  private gid = new Uint32Array(1024);
  private mtime = new Float64Array(1024);
  private size = new Float64Array(1024);
  /** LBA of a single-section file's data. */
  private lba = new Uint32Array(1024);
  /** A file's index in the session's checksum array (isofs.cx), 0 for none. */
  private checksumIndex = new Uint32Array(1024);
  /** The session's checksum array, when it records MD5s and the array checks out. */
  private checksums: ChecksumArray | null = null;
  /** Side tables, by index, for the entries that need them. */
  private readonly multi = new Map<number, string>();
  private readonly targets = new Map<number, string>();
  private readonly devices = new Map<number, [number, number]>();
  private readonly linkKeys = new Map<number, string>();
  /** ZF entries of zisofs-compressed files (formatZf text). */
  private readonly zisofs = new Map<number, string>();
  /** Hard-link groups (by link key) any of whose names must carry the data. */
  private readonly groupNeedsData = new Set<string>();
  sockets = 0;

  private constructor(readonly session: SessionTree) {}

  static load(image: Image, session: SessionTree): OldTree {
    const t = new OldTree(session);
    let area: ChecksumArea | undefined;
    image.walk(session, (e) => {
      if (e.type === 'file' && e.zisofs) {
        // Carried as compressed bytes with their ZF entry; one iso-merge cannot read is refused
        // here, before a byte is written.
        const problem = e.zf ? zfProblem(e.zf) : 'ZF entry unreadable';
        if (problem)
          throw new ImageError(`the file is zisofs-compressed and cannot be carried: ${problem}`, {
            session: session.session.number,
            lba: e.recordLba,
            path: e.path,
          });
      }
      if (e.type === 'sock') t.sockets++;
      else t.add(e);
      if (e.path === '' && e.checksumArea) area = e.checksumArea;
    });
    if (area) t.checksums = image.checksumArray(session, area);
    return t;
  }

  get entryCount(): number {
    return this.count;
  }

  private add(e: ImageEntry): void {
    if (this.count === this.type.length) this.grow();
    const i = this.count++;
    this.paths.add(e.path);
    this.type[i] = TYPE_CODE.get(e.type)!;
    this.perm[i] = e.perm;
    this.uid[i] = e.uid;
    this.gid[i] = e.gid;
    this.mtime[i] = e.mtime;
    const zf = e.type === 'file' && e.zisofs && e.zf && e.extents.length > 0 ? e.zf : null;
    this.size[i] = zf ? zf.size : e.size;
    const own = needsOwnData(e);
    this.ownData[i] = own ? 1 : 0;
    if (zf) {
      this.zisofs.set(i, formatZf(zf));
      this.multi.set(i, formatExtents(e.extents));
    } else if (e.type === 'file' && e.extents.length === 1 && e.extents[0].bytes === e.size && e.size <= 0xffffffff) this.lba[i] = e.extents[0].lba;
    else if (e.type === 'file' && e.extents.length > 0) this.multi.set(i, formatExtents(e.extents));
    if (e.type === 'file' && e.checksumIndex !== undefined && e.checksumIndex <= 0xffffffff) this.checksumIndex[i] = e.checksumIndex;
    if (e.target !== undefined) this.targets.set(i, e.target);
    if (e.type === 'chr' || e.type === 'blk') this.devices.set(i, [e.major ?? 0, e.minor ?? 0]);
    if (e.linkKey) {
      this.linkKeys.set(i, e.linkKey);
      if (own) this.groupNeedsData.add(e.linkKey);
    }
  }

  private grow(): void {
    const n = this.type.length * 2;
    const g = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.type = g(this.type, (n) => new Uint8Array(n));
    this.seen = g(this.seen, (n) => new Uint8Array(n));
    this.ownData = g(this.ownData, (n) => new Uint8Array(n));
    this.perm = g(this.perm, (n) => new Uint16Array(n));
    this.uid = g(this.uid, (n) => new Uint32Array(n));
    this.gid = g(this.gid, (n) => new Uint32Array(n));
    this.mtime = g(this.mtime, (n) => new Float64Array(n));
    this.size = g(this.size, (n) => new Float64Array(n));
    this.lba = g(this.lba, (n) => new Uint32Array(n));
    this.checksumIndex = g(this.checksumIndex, (n) => new Uint32Array(n));
  }

  /** The entry at `path`, or undefined. */
  get(path: string): OldEntry | undefined {
    const i = this.paths.find(path);
    return i === undefined ? undefined : this.at(i);
  }

  /** The position in pre-order of the entry at `path`, or undefined. */
  indexOf(path: string): number | undefined {
    return this.paths.find(path);
  }

  /** Every entry, in pre-order. */
  *entries(): Generator<OldEntry> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }

  /** The entry at position `index` in pre-order (0 ≤ index < entryCount). */
  entry(index: number): OldEntry {
    return this.at(index);
  }

  setSeen(e: OldEntry, how: Seen): void {
    this.seen[e.index] = how;
    e.seen = how;
  }

  seenAt(index: number): Seen {
    return this.seen[index];
  }

  setSeenAt(index: number, how: Seen): void {
    this.seen[index] = how;
  }

  private at(i: number): OldEntry {
    const type = TYPES[this.type[i]];
    const size = this.size[i];
    const dev = this.devices.get(i);
    const e: OldEntry = {
      index: i,
      path: this.paths.path(i),
      type,
      perm: this.perm[i],
      uid: this.uid[i],
      gid: this.gid[i],
      mtime: this.mtime[i],
      size,
      extents: type === 'file' && size > 0 ? (this.multi.get(i) ?? `${this.lba[i]}+${size}`) : '',
      major: dev?.[0] ?? 0,
      minor: dev?.[1] ?? 0,
      seen: this.seen[i] as Seen,
    };
    const target = this.targets.get(i);
    if (target !== undefined) e.target = target;
    const key = this.linkKeys.get(i);
    if (key !== undefined) e.linkKey = key;
    const zf = this.zisofs.get(i);
    if (zf !== undefined) e.zisofs = zf;
    return e;
  }

  /** True when the session's checksum array was found and checks out. */
  get hasChecksums(): boolean {
    return this.checksums !== null;
  }

  /** The MD5 the old session recorded for a file (32 lowercase hex digits), if any. */
  recordedMd5(e: OldEntry): string | undefined {
    const index = this.checksumIndex[e.index];
    if (!this.checksums || e.type !== 'file' || index === 0) return undefined;
    return this.checksums.fileMd5(index);
  }

  /**
   * True when a regular file must travel with its data instead of as a reference: its Rock
   * Ridge data needed a continuation area, or iso-pack will need one for its name. A CE
   * written in the new session would lie after the file's data in an older one, and
   * libarchive refuses such a file (DESIGN §3). Hard links share the answer.
   */
  needsData(e: OldEntry): boolean {
    if (e.type !== 'file' || e.size === 0) return false;
    if (e.linkKey) return this.groupNeedsData.has(e.linkKey);
    return this.ownData[e.index] === 1;
  }
}

function needsOwnData(e: ImageEntry): boolean {
  if (e.type !== 'file' || e.size === 0) return false;
  const slash = e.path.lastIndexOf('/');
  return e.continuation || nameNeedsContinuation(e.path.length - slash - 1, !!e.zisofs);
}

/** fileNeedsContinuation's answers by name length, for files without and with ZF: a tree
 *  of a million files asks about a few hundred lengths. */
const continuationByLength = [new Map<number, boolean>(), new Map<number, boolean>()];

function nameNeedsContinuation(nameBytes: number, zisofs: boolean): boolean {
  const known = continuationByLength[zisofs ? 1 : 0];
  let answer = known.get(nameBytes);
  if (answer === undefined) {
    // Assume the new session may be packed with --md5, whose isofs.cx takes room too.
    answer = fileNeedsContinuation(nameBytes, { checksumIndex: true, zisofs });
    known.set(nameBytes, answer);
  }
  return answer;
}
