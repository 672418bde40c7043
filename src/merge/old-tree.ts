// The tree of the session iso-merge carries forward: every entry's metadata in pre-order,
// indexed by path. Read completely before iso-merge writes a byte, so that a damaged
// image fails the run before anything reaches iso-pack.
import { type ImageEntry } from '../image/entry.js';
import { ImageError } from '../image/errors.js';
import { type Image, type SessionTree } from '../image/image.js';
import { fileNeedsContinuation } from '../pack/layout.js';

export class OldTree {
  /** Entries in pre-order: a directory before everything under it. */
  readonly entries: ImageEntry[] = [];
  private readonly index = new Map<string, number>();
  /** Hard-link groups (by link key) any of whose names must carry the data. */
  private readonly groupNeedsData = new Set<string>();
  sockets = 0;

  private constructor(readonly session: SessionTree) {}

  static load(image: Image, session: SessionTree): OldTree {
    const t = new OldTree(session);
    image.walk(session, (e) => {
      if (e.type === 'file' && e.zisofs)
        throw new ImageError('the file is zisofs-compressed (Rock Ridge ZF); iso-merge cannot carry compressed files', { session: session.session.number, lba: e.recordLba, path: e.path });
      if (e.type === 'sock') {
        t.sockets++;
        return;
      }
      t.index.set(e.path, t.entries.length);
      t.entries.push(e);
      if (e.linkKey && needsOwnData(e)) t.groupNeedsData.add(e.linkKey);
    });
    return t;
  }

  get(path: string): ImageEntry | undefined {
    const i = this.index.get(path);
    return i === undefined ? undefined : this.entries[i];
  }

  /**
   * True when a regular file must travel with its data instead of as a reference: its Rock
   * Ridge data needed a continuation area, or iso-pack will need one for its name. A CE
   * written in the new session would lie after the file's data in an older one, and
   * libarchive refuses such a file (DESIGN §3). Hard links share the answer.
   */
  needsData(e: ImageEntry): boolean {
    if (e.type !== 'file' || e.size === 0) return false;
    if (e.linkKey) return this.groupNeedsData.has(e.linkKey);
    return needsOwnData(e);
  }
}

function needsOwnData(e: ImageEntry): boolean {
  if (e.size === 0) return false;
  const slash = e.path.lastIndexOf('/');
  return e.continuation || fileNeedsContinuation(e.path.length - slash - 1);
}
