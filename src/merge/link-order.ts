// Which name of an old hard-link group iso-merge sends first, and so with the data (DESIGN
// §3). iso-pack places a file's data when its first name arrives: in place when that name's
// Rock Ridge data fits in its record, after the metadata (held back) when it may need a
// continuation area. A group that travels with its data (OldTree.needsData: some name needs
// a CE) must therefore arrive under its longest name, or a later, longer name gets a CE after
// the data it shares, and libarchive refuses the whole session ("Invalid parameter in SUSP
// CE"). Groups that go as references keep the tree's order: no name of theirs needs a CE.
import type { OldEntry, OldTree } from './old-tree.js';

export class LinkPrimaries {
  /** Per group that travels with its data: its names, longest first (ties in tree order). */
  private groups: Map<string, OldEntry[]> | null = null;
  /** Old entries already sent ahead of their place in the tree. */
  private readonly sentEarly = new Set<number>();

  constructor(private readonly old: OldTree) {}

  /** True when `e` went out earlier as its group's first name. */
  sentAhead(e: OldEntry): boolean {
    return this.sentEarly.has(e.index);
  }

  /** Records that `e` went out ahead of its place in the tree. */
  markSent(e: OldEntry): void {
    this.sentEarly.add(e.index);
  }

  /**
   * The name to send before `e`, the first name of its group to go out, so that it carries
   * the data: the longest name that will be carried (`carried` says which), when that is
   * not `e` and the group needs its data; undefined to send `e` itself first.
   */
  ahead(e: OldEntry, carried: (c: OldEntry) => boolean): OldEntry | undefined {
    if (!e.linkKey || e.type !== 'file' || !this.old.needsData(e)) return undefined;
    const names = this.names().get(e.linkKey) ?? [];
    for (const c of names) {
      if (c.index === e.index) return undefined;
      if (!this.sentEarly.has(c.index) && carried(c)) return c;
    }
    return undefined;
  }

  private names(): Map<string, OldEntry[]> {
    if (this.groups) return this.groups;
    // One pass over the tree the first time a group needs it: only the few linked entries
    // that travel with data are kept.
    const groups = new Map<string, OldEntry[]>();
    for (const e of this.old.entries()) {
      if (!e.linkKey || !this.old.needsData(e)) continue;
      let g = groups.get(e.linkKey);
      if (!g) groups.set(e.linkKey, (g = []));
      g.push(e);
    }
    for (const g of groups.values()) g.sort((a, b) => baseLength(b) - baseLength(a) || a.index - b.index);
    this.groups = groups;
    return groups;
  }
}

function baseLength(e: OldEntry): number {
  return e.path.length - e.path.lastIndexOf('/') - 1;
}
