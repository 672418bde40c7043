// The directories of a session as both trees see them: each directory's children named and
// ordered once (ISO 9660 and Joliet), in the ISO tree's pre-order, which is the order their
// extents are written. Serial numbers are given in the same walk. Sizes and addresses
// belong to the tree writers (iso-tree.ts, joliet-tree.ts). A directory's child lists may
// have been made while the tar streamed (left-directories.ts).
import { MAX_SECTION_BYTES, SECTOR } from '../iso9660/constants.js';
import { FLAG_MULTI_EXTENT } from '../iso9660/directory-record.js';
import { assignIsoNames, compareIsoNames, isoIdentifier } from '../iso9660/iso-names.js';
import { assignJolietNames, jolietOrder, jolietText } from '../iso9660/joliet-names.js';
import { JOLIET_ROOT_PATH, jolietPathLength, longestJolietName } from '../iso9660/joliet-path.js';
import { type Dir, type Extent, type Inode, isDir } from '../tree/tree.js';

export interface DirInfo {
  dir: Dir;
  /** Index of the parent in the list (the root's is itself, 0). */
  parent: number;
  /** Identifier in the parent (latin1 bytes for ISO, UTF-16 text for Joliet). */
  isoId: string;
  jolietId: string;
  /** Children in each tree's order with their identifiers. */
  iso: IsoChildren;
  joliet: JolietChildren;
  subdirCount: number;
  isoSubdirs: number[];
  jolietSubdirs: number[];
  /** Length of its Joliet path as libisofs measures it (joliet-path.ts); -1 when the
   *  directory is not in the Joliet tree. */
  jolietPath: number;
  /** Its sectors in each tree as measured while the tar streamed, when that measure still
   *  holds (ChildLists); else the tree writer measures it. */
  isoSectors: number | undefined;
  jolietSectors: number | undefined;
}

// Children in one tree's order are columns rather than an object per child: there are two
// lists per child, kept through the whole layout.

/** The ISO tree's children: raw names (for Rock Ridge), inodes, and the identifiers in one
 *  latin1 string per directory (not one string per child), the k-th ending at idEnds[k]. */
export interface IsoChildren {
  names: string[];
  inodes: Inode[];
  idText: string;
  idEnds: Uint32Array;
}

/** The Joliet tree's children: inodes and names (UTF-16), and where the directories are. */
export interface JolietChildren {
  inodes: Inode[];
  ids: string[];
  dirs: number[];
}

const NO_CHILDREN: JolietChildren = { inodes: [], ids: [], dirs: [] };

/** A directory's children by raw name (code-unit order of latin1 strings is byte order):
 *  their names and inodes, in two arrays. */
interface RawChildren {
  names: string[];
  inodes: Inode[];
}

function byRawName(dir: Dir): RawChildren {
  // The default sort compares strings by code units, natively.
  const names = [...dir.children.keys()].sort();
  return { names, inodes: names.map((name) => dir.children.get(name)!) };
}

/** A directory's own record: (LBA, bytes, flags). */
export type Section = [number, number, number];

/** A file's sections: contiguous from `lba`, or an earlier session's list. */
function fileSections(i: Inode): Extent[] {
  if (i.extents) return i.extents;
  const out: Extent[] = [];
  for (let off = 0; off < i.size; off += MAX_SECTION_BYTES) out.push({ lba: i.lba + off / SECTOR, bytes: Math.min(MAX_SECTION_BYTES, i.size - off) });
  return out;
}

/** How many records a child has in a tree: as many as forEachSection visits. */
export function sectionCount(i: Inode): number {
  if (i.type !== 'file' || i.size === 0) return 1;
  if (!i.extents) return i.size <= MAX_SECTION_BYTES ? 1 : Math.ceil(i.size / MAX_SECTION_BYTES);
  return i.extents.length;
}

/** Receives one directory record's (LBA, bytes, flags). */
export type SectionVisitor = (extent: number, size: number, flags: number) => void;

/** Visits the records a child needs in a tree: a directory's own (`dirExtent`), the
 *  shared zero sector for anything without data, else the file's sections. Called for
 *  every child of every directory: nothing is allocated for a file of one section. */
export function forEachSection(i: Inode, dirExtent: (d: Dir) => Section, zeroLba: number, visit: SectionVisitor): void {
  if (isDir(i)) {
    const [extent, size, flags] = dirExtent(i);
    visit(extent, size, flags);
  } else if (i.type !== 'file' || i.size === 0) visit(zeroLba, 0, 0);
  else if (!i.extents && i.size <= MAX_SECTION_BYTES) visit(i.lba, i.size, 0);
  else {
    const s = fileSections(i);
    for (let k = 0; k < s.length; k++) visit(s[k].lba, s[k].bytes, k < s.length - 1 ? FLAG_MULTI_EXTENT : 0);
  }
}

export class Directories {
  /** In pre-order of the ISO tree; the root first. */
  readonly list: DirInfo[] = [];
  private readonly indexOf = new Map<Dir, number>();
  /** Names the Joliet tree had to shorten or change (characters replaced, invalid UTF-8). */
  jolietRenamed = 0;
  /** Files and directories left out of the Joliet tree: their path is too long, or a
   *  directory above them was left out. */
  jolietLeftOut = 0;

  /** @param jolietMax longest Joliet name; null: no Joliet tree
   *  @param early child lists made while the tar streamed (left-directories.ts), used where
   *  the directory has not changed since */
  constructor(
    root: Dir,
    private readonly jolietMax: number | null,
    early?: ReadonlyMap<Dir, ChildLists>,
  ) {
    let serial = 1;
    root.serial = serial++;
    /** Each directory's subdirectories in ISO order, by its index. */
    const isoSubdirs: Dir[][] = [];
    const stack: [Dir, number, string, string, number][] = [[root, 0, '\0', '\0', JOLIET_ROOT_PATH]];
    while (stack.length) {
      const [dir, parent, isoId, jolietId, jolietPath] = stack.pop()!;
      const index = this.list.length;
      this.indexOf.set(dir, index);
      const made = early?.get(dir);
      const lists = made && made.childEdits === dir.childEdits ? made : childLists(dir, jolietMax);
      const iso = lists.iso;
      const joliet = lists.joliet ? this.jolietChildren(dir, lists.joliet, jolietPath) : NO_CHILDREN;
      // An early Joliet measure is of all the children it named: not of a list cut shorter here.
      const jolietAsListed = lists.joliet !== null && joliet === lists.joliet.children;
      const info: DirInfo = {
        dir,
        parent: index === 0 ? 0 : parent,
        isoId,
        jolietId,
        iso,
        joliet,
        subdirCount: 0,
        isoSubdirs: [],
        jolietSubdirs: [],
        jolietPath: jolietMax !== null ? jolietPath : -1,
        isoSectors: lists.isoSectors,
        jolietSectors: jolietAsListed ? lists.jolietSectors : undefined,
      };
      this.list.push(info);
      // A directory has one name: its inode stands for it.
      const jolietIds = new Map<Inode, string>();
      for (const k of joliet.dirs) jolietIds.set(joliet.inodes[k], joliet.ids[k]);
      // One pass over the children: five of them took ~15 ms of the directory phase on 100k
      // files (bench/RESULTS.md, eighteenth round).
      const subdirs: [Dir, number, string, string, number][] = [];
      const { inodes, idText, idEnds } = iso;
      for (let k = 0; k < inodes.length; k++) {
        const i = inodes[k];
        i.serial ??= serial++;
        if (!isDir(i)) continue;
        const id = jolietIds.get(i);
        subdirs.push([i, index, idText.slice(k ? idEnds[k - 1] : 0, idEnds[k]), id ?? '', id === undefined ? -1 : jolietPathLength(jolietPath, id.length)]);
      }
      info.subdirCount = subdirs.length;
      isoSubdirs.push(subdirs.map((s) => s[0]));
      for (let k = subdirs.length - 1; k >= 0; k--) stack.push(subdirs[k]);
    }
    if (this.list.length > 65535) throw new Error(`${this.list.length} directories: ISO 9660 path tables can number at most 65535`);
    // Subdirectory lists in each tree's order, for the path tables.
    for (const [k, d] of this.list.entries()) {
      for (const i of isoSubdirs[k]) d.isoSubdirs.push(this.index(i));
      for (const j of d.joliet.dirs) d.jolietSubdirs.push(this.index(d.joliet.inodes[j] as Dir));
    }
  }

  index(dir: Dir): number {
    return this.indexOf.get(dir)!;
  }

  /** Directory indexes breadth first, as a path table lists them. */
  breadthFirst(subdirs: (d: DirInfo) => number[]): number[] {
    const order = [0];
    for (let k = 0; k < order.length; k++) order.push(...subdirs(this.list[order[k]]));
    return order;
  }

  /** The Joliet tree's children of `dir` at Joliet path length `path`: all of `named`
   *  when its longest name fits under JOLIET_MAX_PATH, else named again with the room
   *  there is; none below a directory left out (path -1). */
  private jolietChildren(dir: Dir, named: JolietNamed, path: number): JolietChildren {
    if (path < 0) {
      this.jolietLeftOut += named.candidates;
      return NO_CHILDREN;
    }
    const room = longestJolietName(path);
    const fitting = named.longest <= room ? named : jolietNamed(byRawName(dir), this.jolietMax!, room);
    this.jolietRenamed += fitting.renamed;
    this.jolietLeftOut += fitting.candidates - fitting.children.inodes.length;
    return fitting.children;
  }
}

/** A directory's children named and ordered for both trees: everything that depends on
 *  the directory alone, not on the path above it. */
export interface ChildLists {
  /** The directory's childEdits when they were made: they hold while it is the same. */
  childEdits: number;
  iso: IsoChildren;
  /** null: no Joliet tree. */
  joliet: JolietNamed | null;
  /** Sectors of the directory's extent in each tree, when measured with the lists
   *  (left-directories.ts): of `iso` (not the root's), and of `joliet`'s children. */
  isoSectors?: number;
  jolietSectors?: number;
}

/** Names and orders `dir`'s children (sorted once for both trees). */
export function childLists(dir: Dir, jolietMax: number | null): ChildLists {
  const children = byRawName(dir);
  return { childEdits: dir.childEdits, iso: isoChildren(children), joliet: jolietMax === null ? null : jolietNamed(children, jolietMax, Infinity) };
}

/** A directory's Joliet children, with what the counts of renamed and left out need. */
interface JolietNamed {
  children: JolietChildren;
  /** Files and directories (Joliet has no place for the rest). */
  candidates: number;
  /** Kept names that had to be shortened or changed. */
  renamed: number;
  /** The longest name (UTF-16 units) among all candidates. */
  longest: number;
}

/** Files and directories in Joliet order, those whose name is at most `room` units long.
 *  Plain loops: in the form with callbacks V8 kept recompiling it while the tar streamed,
 *  on the core tar needs (bench/RESULTS.md, fourteenth round). */
function jolietNamed(children: RawChildren, jolietMax: number, room: number): JolietNamed {
  const { names: rawNames, inodes } = children;
  // Joliet has a place for files and directories only.
  const nodes: number[] = [];
  const candidates: { name: string; isDir: boolean }[] = [];
  for (let k = 0; k < inodes.length; k++) {
    const type = inodes[k].type;
    if (type !== 'file' && type !== 'dir') continue;
    nodes.push(k);
    candidates.push({ name: jolietText(rawNames[k]), isDir: type === 'dir' });
  }
  const names = assignJolietNames(candidates, jolietMax);
  const keptIds: string[] = [];
  const keptDirs: boolean[] = [];
  const keptInodes: Inode[] = [];
  let renamed = 0;
  let longest = 0;
  for (let n = 0; n < nodes.length; n++) {
    const { text, changed } = names[n];
    if (text.length > longest) longest = text.length;
    if (text.length > room) continue;
    // A name that is not UTF-8 came through jolietText() with U+FFFD in it: changed too.
    const converted = candidates[n].name;
    if (changed || (converted.includes('\ufffd') && Buffer.from(converted, 'utf8').toString('latin1') !== rawNames[nodes[n]])) renamed++;
    keptIds.push(text);
    keptDirs.push(candidates[n].isDir);
    keptInodes.push(inodes[nodes[n]]);
  }
  const order = jolietOrder(keptIds, keptDirs);
  const ids: string[] = new Array(order.length);
  const ordered: Inode[] = new Array(order.length);
  const dirs: number[] = [];
  for (let k = 0; k < order.length; k++) {
    ids[k] = keptIds[order[k]];
    ordered[k] = keptInodes[order[k]];
    if (keptDirs[order[k]]) dirs.push(k);
  }
  return { children: { inodes: ordered, ids, dirs }, candidates: nodes.length, renamed, longest };
}

/** Children (by raw name) in ISO 9660 order with their identifiers (latin1). */
function isoChildren(children: RawChildren): IsoChildren {
  const { names: raw, inodes } = children;
  const names = assignIsoNames(raw.map((name, k) => ({ name, isDir: isDir(inodes[k]) })));
  const order = names.map((_, k) => k).sort((a, b) => compareIsoNames(names[a], names[b]));
  const ids = order.map((k) => isoIdentifier(names[k]));
  const idEnds = new Uint32Array(ids.length);
  let end = 0;
  ids.forEach((id, k) => {
    idEnds[k] = end += id.length;
  });
  return { names: order.map((k) => raw[k]), inodes: order.map((k) => inodes[k]), idText: ids.join(''), idEnds };
}
