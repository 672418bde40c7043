// The structural checks of one session, in the order they run: its volume descriptors
// (descriptor-check), the ISO 9660 tree with its Rock Ridge data and the Joliet tree walked
// side by side (tree-check), and both path tables against the directories found
// (path-table-check). Unlike the image reader, which stops at the first problem, every
// problem becomes a finding and the walk goes on wherever it safely can.
import type { ChecksumArea } from '../iso9660/checksum-tags.js';
import type { SectorSource } from '../image/sector-source.js';
import type { SessionEntry } from '../image/sessions.js';
import { TreeWalker } from '../image/tree-walker.js';
import type { VolumeDescriptor } from '../iso9660/volume-descriptor.js';
import { SECTOR } from '../iso9660/constants.js';
import { ChecksummedFiles } from './checksummed-files.js';
import { checkDescriptors } from './descriptor-check.js';
import type { FindingSink } from './findings.js';
import { checkPathTables } from './path-table-check.js';
import { SessionContext } from './session-context.js';
import { TreeCheck } from './tree-check.js';

export interface SessionCheck {
  session: SessionEntry;
  /** The session's own volume space size (its PVD), or null without a PVD. */
  volumeSpaceSize: number | null;
  primary: VolumeDescriptor | null;
  joliet: VolumeDescriptor | null;
  rockRidge: boolean;
  files: number;
  directories: number;
  /** Bytes of regular file data the tree describes. */
  fileBytes: number;
  /** isofs.ca of the root, when the session records MD5s. */
  checksumArea: ChecksumArea | null;
  checksummed: ChecksummedFiles;
  /** The head sectors S+16… that hold descriptors, up to and including the terminator. */
  descriptorSectors: number;
  /** Records with a ZF (zisofs) entry: the verifier inflates their content when any. */
  zisofsFiles: number;
}

export class SessionChecker {
  private readonly ctx: SessionContext;
  private readonly result: SessionCheck;
  private afterRoot: ((partial: SessionCheck) => void) | undefined;

  constructor(
    private readonly src: SectorSource,
    session: SessionEntry,
    sink: FindingSink,
  ) {
    this.ctx = new SessionContext(src, session, sink);
    this.result = {
      session,
      volumeSpaceSize: null,
      primary: null,
      joliet: null,
      rockRidge: false,
      files: 0,
      directories: 0,
      fileBytes: 0,
      checksumArea: null,
      checksummed: new ChecksummedFiles(),
      descriptorSectors: 0,
      zisofsFiles: 0,
    };
  }

  /**
   * Runs every check. `afterRoot` is called once, as soon as the root directory has been
   * read (result.checksumArea is known then), or at the end when there is no root.
   */
  check(afterRoot?: (partial: SessionCheck) => void): SessionCheck {
    const r = this.result;
    this.afterRoot = afterRoot;
    const set = checkDescriptors(this.ctx);
    r.primary = set.primary;
    r.joliet = set.joliet;
    r.volumeSpaceSize = set.primary?.volumeSpaceSize ?? null;
    r.descriptorSectors = set.sectors;
    if (!r.primary) return this.rootDone();
    const pvd = r.primary;
    const n = this.ctx.session.number;
    r.rockRidge = this.rootOk(pvd.root.extent) && TreeWalker.hasRockRidge(this.src, n, pvd.root.extent, pvd.root.size);
    const jolietRoot = r.joliet && this.rootOk(r.joliet.root.extent) ? r.joliet.root : null;
    const tree = new TreeCheck(this.ctx, r, r.rockRidge);
    tree.walk(pvd.root.extent, pvd.root.size, jolietRoot, () => this.rootDone());
    this.rootDone();
    checkPathTables(this.ctx, pvd, tree.isoDirs, pvd.root.extent, false, tree.incomplete);
    if (r.joliet && jolietRoot) checkPathTables(this.ctx, r.joliet, tree.jolietDirs, jolietRoot.extent, true, tree.incomplete);
    return r;
  }

  private rootDone(): SessionCheck {
    const call = this.afterRoot;
    this.afterRoot = undefined;
    call?.(this.result);
    return this.result;
  }

  private rootOk(extent: number): boolean {
    return this.src.holds(extent, SECTOR);
  }
}
