// Child lists (directories.ts childLists) made while the tar still streams, for each
// directory the tar has left. `tar c` lists a directory's whole subtree together, so a
// directory it has left is most likely complete; and while the tar streams, iso-pack waits
// on tar's reads with a core to spare, whereas the directory phase after the tar's end has
// one core and nothing to overlap. A directory the tar goes back into is not guessed again:
// at the end, Directories makes afresh any list made before the directory last changed
// (Tree counts the edits), so a tar that wanders costs at most one wasted list per directory.
// Each directory's extent is measured with its lists, in both trees, off the directory
// phase too. Its length follows from the lists and from what each child was made with (type,
// size, sections, symlink target, zisofs, --md5 slot), none of which changes while its name
// still leads to the same inode: where a list holds, so does its measure. A measure with
// continuation blocks is not kept: which files those come after depends on what is held
// back, known only at the end.
import { type Dir, isDir } from '../tree/tree.js';
import { type ChildLists, childLists } from './directories.js';
import { type IsoRecordShapes, measureIsoDirectory } from './iso-tree.js';
import { measureJolietDirectory } from './joliet-tree.js';

export class LeftDirectories {
  readonly lists = new Map<Dir, ChildLists>();
  /** The directories that hold the previous entry, the root first, and their names
   *  (names[k] is the name of path[k + 1]). */
  private readonly path: Dir[];
  private readonly names: string[] = [];

  /** @param jolietMax as for Directories
   *  @param shapes the ISO tree's record shapes, as its writer will make them */
  constructor(
    root: Dir,
    private readonly jolietMax: number | null,
    private readonly shapes: IsoRecordShapes,
  ) {
    this.path = [root];
  }

  /** The entry at `parts` (tree.ts splitPath) is in the tree. */
  entered(parts: readonly string[]): void {
    // The directories below the root that hold it (the root's own entry is in the root).
    const depth = Math.max(0, parts.length - 1);
    const names = this.names;
    let k = 0;
    while (k < depth && k < names.length && names[k] === parts[k]) k++;
    if (k === depth && k === names.length) return;
    for (let j = this.path.length - 1; j > k; j--) this.leave(this.path[j]);
    this.path.length = k + 1;
    names.length = k;
    let dir = this.path[k];
    for (; k < depth; k++) {
      const next = dir.children.get(parts[k]);
      // The entry's directories are in the tree once it is; anything else is no path to follow.
      if (next === undefined || !isDir(next)) return;
      dir = next;
      this.path.push(dir);
      names.push(parts[k]);
    }
  }

  private leave(dir: Dir): void {
    if (this.lists.has(dir)) return;
    const lists = childLists(dir, this.jolietMax);
    const iso = measureIsoDirectory(this.shapes, lists.iso, false);
    if (iso.ceBlocks === 0) lists.isoSectors = iso.sectors;
    if (lists.joliet) lists.jolietSectors = measureJolietDirectory(lists.joliet.children);
    this.lists.set(dir, lists);
  }
}
