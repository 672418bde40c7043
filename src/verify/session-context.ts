// What every check of one session shares: the medium, the session's bounds and the sink
// its findings go to.
import type { SectorSource } from '../image/sector-source.js';
import type { SessionEntry } from '../image/sessions.js';
import type { FindingKind, FindingSink } from './findings.js';

export interface FindingPlace {
  lba?: number;
  path?: string;
  expected?: string | number;
  found?: string | number;
}

export class SessionContext {
  /** The first LBA after the session. */
  readonly end: number;

  constructor(
    readonly src: SectorSource,
    readonly session: SessionEntry,
    private readonly sink: FindingSink,
  ) {
    this.end = session.start + session.size;
  }

  find(kind: FindingKind, message: string, where: FindingPlace = {}): void {
    this.sink.add({ kind, session: this.session.number, ...where, message });
  }
}
