// What cd-msinfo and cd-write need from a medium, whatever it is: today an image file or
// block device with emulated multi-session (emulated-medium.ts), later an optical drive
// (DESIGN §9) — where write() maps onto writing a track and commit() onto filling the
// reserved head track and closing the session.

export type MediumState = 'blank' | 'appendable' | 'closed';

export interface MediumSession {
  /** 1-based, oldest first. */
  number: number;
  /** LBA of the session's first sector. */
  start: number;
  /** Length in sectors. */
  size: number;
  volumeId: string;
  /** The session's volume creation date, when recorded. */
  date: Date | null;
}

export interface MediumStatus {
  state: MediumState;
  /** Where the next session goes (its LBA): round_up(end, 32), 32 on a blank medium. */
  next: number;
  /** Sectors the medium holds, when known. */
  capacity: number | null;
  /** Sectors from `next` to the capacity, when known. */
  free: number | null;
  sessions: MediumSession[];
  /** Oddities found while reading the medium. */
  warnings: string[];
  /** Why appending would be unsafe (e.g. the medium is shorter than its volume), else null. */
  damage: string | null;
  /** Why the medium head does not show the newest complete session (torn, stale), else null. */
  headProblem?: string | null;
}

export interface SessionCommit {
  start: number;
  /** The session's first 32 sectors, held back until now. */
  head: Buffer;
  /** The session's volume space size (its own PVD): the medium's new end is start + this. */
  volumeSize: number;
}

export interface Medium {
  /** How to name the medium in messages. */
  readonly name: string;
  /** Reads the medium's state; throws NotIsoMediumError when it holds something else. */
  status(): MediumStatus;
  /** Writes session sectors at `lba`; they become visible only with commit(). */
  write(lba: number, data: Buffer): void;
  /** Reads back sectors written since the last commit (to seal checksums, iso-pack --md5). */
  read(lba: number, buf: Buffer): void;
  /** Makes the session visible. With `close`, no further session may be appended. */
  commit(session: SessionCommit, opts: { close: boolean }): void;
  /** Undoes what write() did since the last commit, as far as the medium allows. */
  abandon(): void;
  /** Releases the medium (closes the device). */
  release(): void;
}

/** The medium holds something other than an ISO image or a blank head. */
export class NotIsoMediumError extends Error {
  override name = 'NotIsoMediumError';
}

/** Something a caller could have avoided: wrong address, closed medium, no room. */
export class MediumRefusal extends Error {
  override name = 'MediumRefusal';
}

/** The medium's path does not exist and may not be created (no --create, or under /dev). */
export class MediumMissingError extends Error {
  override name = 'MediumMissingError';
}
