// A session's ISO 9660 tree walked with its Joliet tree side by side, one directory at a
// time: relocated directories seen at their logical place, files counted and their MD5
// indexes gathered, both trees compared, every directory entered for the path tables.
import { type DirectoryChild, DirectoryWalker } from '../image/directory-walker.js';
import { typeFromMode } from '../image/entry.js';
import type { ChecksummedFiles } from './checksummed-files.js';
import { type DirectoryAt, DirectoryCheck, type DirectoryTotals } from './directory-check.js';
import { compareTrees } from './joliet-compare.js';
import type { DirPlace } from './path-table-check.js';
import type { SessionContext } from './session-context.js';
import { walkFindings } from './walk-findings.js';

export interface TreeTotals extends DirectoryTotals {
  files: number;
  directories: number;
  /** Bytes of regular file data the tree describes. */
  fileBytes: number;
  checksummed: ChecksummedFiles;
}

interface DirWork extends DirectoryAt {
  depth: number;
  /** The Joliet directory describing the same directory, when there is one. */
  joliet: DirectoryAt | null;
}

export class TreeCheck {
  /** Each directory of a tree as its path table must list it, by extent. */
  readonly isoDirs = new Map<number, DirPlace>();
  readonly jolietDirs = new Map<number, DirPlace>();
  /** Some directory could not be read whole: the path tables cannot be held against the tree. */
  incomplete = false;
  private readonly walker: DirectoryWalker;
  private readonly dirs: DirectoryCheck;
  private readonly visitedJoliet = new Set<number>();
  /** `..` extent of each directory reached through a CL (its real ISO 9660 parent). */
  private readonly relocatedParent = new Map<number, number>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly totals: TreeTotals,
    private readonly rockRidge: boolean,
  ) {
    // One walker reads both trees: twice the medium's sectors may be read.
    this.walker = new DirectoryWalker(
      ctx.src,
      walkFindings(ctx, () => (this.incomplete = true)),
      { directoryReads: 2 },
      { start: ctx.session.start, end: ctx.end },
    );
    this.dirs = new DirectoryCheck(ctx, this.walker, totals, rockRidge);
  }

  /** `afterRoot` is called as soon as the root directory has been read. */
  walk(rootExtent: number, rootSize: number, jolietRoot: { extent: number; size: number } | null, afterRoot: () => void): void {
    const t = this.totals;
    this.isoDirs.set(rootExtent, { parentExtent: rootExtent, identifier: Buffer.from([0]) });
    if (jolietRoot) this.jolietDirs.set(jolietRoot.extent, { parentExtent: jolietRoot.extent, identifier: Buffer.from([0]) });
    const stack: DirWork[] = [
      {
        path: '',
        extent: rootExtent,
        size: rootSize,
        parentExtent: rootExtent,
        depth: 0,
        joliet: jolietRoot ? { ...jolietRoot, parentExtent: jolietRoot.extent, path: '' } : null,
      },
    ];
    while (stack.length) {
      const w = stack.pop()!;
      if (!this.walker.enter(w.extent, w.depth, w.path)) continue;
      t.directories++;
      const kids = this.read(w, false);
      if (w.depth === 0) afterRoot();
      if (!kids) continue;
      // The Rock Ridge view: relocated directories at their logical place, their records
      // in the relocation directory skipped.
      const view: DirectoryChild[] = [];
      for (const c of kids) {
        if (c.rr.relocated) continue;
        if (c.rr.childLink !== undefined) {
          const target = this.relocatedDir(c);
          if (target) view.push(target);
          continue;
        }
        view.push(c);
      }
      for (const c of view) {
        if (!c.isDir) {
          const type = this.rockRidge && c.rr.mode !== undefined ? typeFromMode(c.rr.mode) : 'file';
          if (type !== 'file') continue;
          t.files++;
          t.fileBytes += c.sections.reduce((n, x) => n + x.bytes, 0);
          if (c.rr.checksumIndex !== undefined) t.checksummed.add(c.path, c.sections, c.rr.checksumIndex);
        }
      }
      let jolietKids: DirectoryChild[] | null = null;
      if (w.joliet) {
        if (this.visitedJoliet.has(w.joliet.extent)) {
          this.ctx.find('joliet', `Joliet directory at LBA ${w.joliet.extent} is reached a second time`, { lba: w.joliet.extent, path: w.path });
        } else {
          this.visitedJoliet.add(w.joliet.extent);
          jolietKids = this.read(w.joliet, true);
        }
      }
      const pairs =
        jolietKids && w.joliet
          ? compareTrees(this.ctx, { iso: w.path, joliet: w.joliet.path }, this.rockRidge, view, jolietKids)
          : new Map<DirectoryChild, DirectoryChild>();
      const subdirs: DirWork[] = [];
      for (const c of view) {
        if (!c.isDir) continue;
        const jc = pairs.get(c);
        subdirs.push({
          path: c.path,
          extent: c.record.extent,
          size: c.record.size,
          depth: w.depth + 1,
          parentExtent: this.relocatedParent.get(c.record.extent) ?? w.extent,
          joliet: jc && w.joliet ? { extent: jc.record.extent, size: jc.record.size, parentExtent: w.joliet.extent, path: jc.path } : null,
        });
      }
      for (let k = subdirs.length - 1; k >= 0; k--) stack.push(subdirs[k]);
    }
  }

  private read(w: DirectoryAt, joliet: boolean): DirectoryChild[] | null {
    const kids = this.dirs.read(w, joliet, joliet ? this.jolietDirs : this.isoDirs);
    if (!kids) this.incomplete = true;
    return kids;
  }

  /** The directory a CL placeholder stands for, as a child of the placeholder's directory. */
  private relocatedDir(c: DirectoryChild): DirectoryChild | null {
    const target = this.walker.relocated(c);
    if (!target) return null;
    const { dot, dotdot, rr } = target;
    this.relocatedParent.set(dot.extent, dotdot.extent);
    this.isoDirs.set(dot.extent, { parentExtent: dotdot.extent, identifier: c.record.identifier });
    return { ...c, record: dot, isDir: true, sections: [], rr: { ...c.rr, ...rr, childLink: undefined, relocated: undefined, mode: rr.mode ?? c.rr.mode } };
  }
}
