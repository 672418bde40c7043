// The file tree a session describes, built from tar entries in stream order.
// Names are raw bytes held in latin1 strings; one Inode may have several names (hard links).
import type { ZfInfo } from '../iso9660/zisofs.js';

export type NodeType = 'file' | 'dir' | 'symlink' | 'chr' | 'blk' | 'fifo';

export interface Extent {
  lba: number;
  bytes: number;
}

export interface Inode {
  type: NodeType;
  /** Permission and setuid/setgid/sticky bits (no type bits). */
  perm: number;
  uid: number;
  gid: number;
  mtime: number;
  atime?: number;
  ctime?: number;
  size: number;
  /** First LBA of the file's data (contiguous sections); 0 until placed, and for empty files. */
  lba: number;
  /** Sections of an earlier session's file (iso-merge reference: no data in this session),
   *  which need not be contiguous. */
  extents?: Extent[];
  /** Symlink target, raw bytes. */
  target?: string;
  major?: number;
  minor?: number;
  /** Directories only: each name (raw bytes) and what it names. Only Tree changes it. */
  children?: ReadonlyMap<string, Inode>;
  /** Directories only: how many times Tree has changed `children` (so that lists made of
   *  them earlier can be known stale without comparing every name). */
  childEdits?: number;
  /** Names pointing at this inode. */
  links: number;
  /** Data waits in the hold-back buffer and is placed after the metadata. */
  heldBack?: boolean;
  serial?: number;
  /** zisofs-compressed data: the ZF entry's fields (`size` above is the stored size). */
  zisofs?: ZfInfo;
}

export interface Dir extends Inode {
  type: 'dir';
  children: ReadonlyMap<string, Inode>;
  childEdits: number;
}

/** Every inode gets every field, in one order, so that all share one hidden class:
 *  the layout reads these fields millions of times. */
export function newInode(type: NodeType, a: Attributes): Inode {
  return {
    type,
    perm: a.perm,
    uid: a.uid,
    gid: a.gid,
    mtime: a.mtime,
    atime: a.atime,
    ctime: a.ctime,
    size: 0,
    lba: 0,
    extents: undefined,
    target: undefined,
    major: undefined,
    minor: undefined,
    links: 0,
    heldBack: undefined,
    serial: undefined,
    children: undefined,
    childEdits: undefined,
    zisofs: undefined,
  } as Inode;
}

export class TreeError extends Error {}

export function isDir(i: Inode): i is Dir {
  return i.type === 'dir';
}

export type Attributes = Pick<Inode, 'perm' | 'uid' | 'gid' | 'mtime' | 'atime' | 'ctime'>;

export function newDir(attrs: Attributes): Dir {
  const d = newInode('dir', attrs) as Dir;
  d.links = 1;
  d.children = new Map();
  d.childEdits = 0;
  return d;
}

/** Splits a tar path into components: leading `./` and `/` stripped, empty and `.` dropped;
 *  `..` is refused since extraction would leave the tree. Returns [] for the root. */
export function splitPath(path: string): string[] {
  const parts = path.split('/');
  let n = 0;
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') throw new TreeError(`'${path}' has a '..' component`);
    parts[n++] = p;
  }
  parts.length = n;
  return parts;
}

/**
 * `splitPath(path).join('/')`: the path as a key. A path as tar writes it (a leading `./`,
 * a trailing `/` on directories, nothing else to drop) is cut out of the string as it is;
 * any other spelling goes through splitPath, whose errors it gives.
 */
export function pathKey(path: string): string {
  let start = 0;
  while (path.startsWith('./', start)) start += 2;
  let end = path.length;
  while (end > start && path.charCodeAt(end - 1) === SLASH) end--;
  let from = start;
  for (let i = start; i <= end; i++) {
    if (i < end && path.charCodeAt(i) !== SLASH) continue;
    const n = i - from;
    // An empty, `.` or `..` component: splitPath drops or refuses it.
    if (n === 0 || (n <= 2 && path.charCodeAt(from) === DOT && (n === 1 || path.charCodeAt(from + 1) === DOT))) return splitPath(path).join('/');
    from = i + 1;
  }
  return path.slice(start, end);
}

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * splitPath for a tar's entries in stream order. A tar lists a directory's entries
 * together, so most paths extend the previous entry's directory by one name: those reuse
 * that directory's components. Besides the split, that saves hashing the same component
 * strings again in each lookup, since a string keeps its hash.
 */
export class PathSplitter {
  /** The previous entry's directory path (up to its last '/'), and its components. */
  private dirPath: string | null = null;
  private dirParts: string[] = [];

  split(path: string): string[] {
    const end = path.endsWith('/') ? path.length - 1 : path.length;
    const slash = path.lastIndexOf('/', end - 1);
    if (slash > 0) {
      const dirPath = this.dirPath;
      if (dirPath !== null && slash === dirPath.length && path.startsWith(dirPath)) {
        const name = path.slice(slash + 1, end);
        if (name !== '' && name !== '.' && name !== '..') {
          const parts = this.dirParts.slice();
          parts.push(name);
          return parts;
        }
      }
    }
    const parts = splitPath(path);
    if (slash > 0) {
      this.dirPath = path.slice(0, slash);
      this.dirParts = splitPath(this.dirPath);
    }
    return parts;
  }
}

/** `s` in memory of its own. A component split from a path is a slice of the path string:
 *  it would keep the whole path alive, and slices compare several times slower in the sorts
 *  of every directory's children. */
function ownCopy(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

/** `dir`'s children, to be changed: every change is counted. */
function edit(dir: Dir): Map<string, Inode> {
  dir.childEdits++;
  return dir.children as Map<string, Inode>;
}

function copyAttributes(to: Inode, from: Inode): void {
  to.perm = from.perm;
  to.uid = from.uid;
  to.gid = from.gid;
  to.mtime = from.mtime;
  to.atime = from.atime;
  to.ctime = from.ctime;
}

export class Tree {
  readonly root: Dir;

  constructor(private readonly impliedDir: () => Attributes) {
    this.root = newDir(impliedDir());
  }

  /** The directory that holds `parts`' last component, creating implied directories. */
  private parentOf(parts: string[]): Dir {
    let dir = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      let child = dir.children.get(parts[i]);
      if (!child || !isDir(child)) {
        // A file in the way is replaced by the directory, as extraction would.
        if (child) this.unlink(dir, parts[i]);
        child = newDir(this.impliedDir());
        edit(dir).set(ownCopy(parts[i]), child);
      }
      dir = child as Dir;
    }
    return dir;
  }

  lookup(parts: string[]): Inode | undefined {
    let dir: Dir = this.root;
    for (let i = 0; i < parts.length; i++) {
      const child = dir.children.get(parts[i]);
      if (!child) return undefined;
      if (i === parts.length - 1) return child;
      if (!isDir(child)) return undefined;
      dir = child;
    }
    return undefined;
  }

  private unlink(dir: Dir, name: string): void {
    const old = dir.children.get(name);
    if (old) old.links--;
    edit(dir).delete(name);
  }

  /** Adds or replaces the entry at `parts`. A directory that already exists keeps its
   *  children and takes the new attributes. */
  set(parts: string[], inode: Inode, path: string): void {
    if (parts.length === 0) {
      if (!isDir(inode)) throw new TreeError(`'${path}' names the root but is not a directory`);
      copyAttributes(this.root, inode);
      return;
    }
    const parent = this.parentOf(parts);
    const name = parts[parts.length - 1];
    const old = parent.children.get(name);
    if (old && isDir(old) && isDir(inode)) {
      copyAttributes(old, inode);
      return;
    }
    if (old) this.unlink(parent, name);
    inode.links++;
    edit(parent).set(ownCopy(name), inode);
  }

  /** Removes the entry at `parts` (used by excludes); true when something was there. */
  remove(parts: string[]): boolean {
    if (parts.length === 0) return false;
    if (!this.lookup(parts)) return false;
    const parent = parts.length === 1 ? this.root : (this.lookup(parts.slice(0, -1)) as Dir);
    this.unlink(parent, parts[parts.length - 1]);
    return true;
  }
}
