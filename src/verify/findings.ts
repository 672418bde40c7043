// What cd-verify reports: one finding per problem, each naming where it is (session, path,
// LBA) and, when there is one, what was expected and what was found.

export type FindingKind =
  /** The medium as a whole: truncated, unreadable, not ISO 9660. */
  | 'medium'
  /** A sector the drive could not read (a READ error on a disc). */
  | 'unreadable'
  /** Volume descriptors of a session. */
  | 'descriptor'
  /** LBA 0–31 against the newest session's head. */
  | 'medium-head'
  | 'path-table'
  /** A directory record or directory extent that is malformed. */
  | 'directory'
  /** Records out of ECMA-119 order. */
  | 'order'
  /** An extent outside the medium or the session. */
  | 'extent'
  | 'rock-ridge'
  /** The Joliet tree does not describe the same files as the Rock Ridge / ISO tree. */
  | 'joliet'
  /** libisofs checksum tags, array, session and file MD5s. */
  | 'checksum-tag'
  | 'checksum-array'
  | 'session-md5'
  | 'file-md5'
  /** Differences between the tar on stdin and the session. */
  | 'missing'
  | 'extra'
  | 'type'
  | 'mode'
  | 'owner'
  | 'size'
  | 'mtime'
  | 'target'
  | 'link'
  | 'device'
  | 'content'
  /** The tar on stdin itself is unreadable. */
  | 'tar';

export interface Finding {
  kind: FindingKind;
  /** 1-based session number. */
  session?: number;
  /** Path in the tree, raw bytes in a latin1 string ('' is the root). */
  path?: string;
  lba?: number;
  expected?: string | number;
  found?: string | number;
  message: string;
}

/** Collects findings as they are made and passes each on at once (output streams). */
export class FindingSink {
  count = 0;
  /** Findings per kind, for the summary. */
  readonly byKind = new Map<FindingKind, number>();

  constructor(private readonly emit: (f: Finding) => void) {}

  add(f: Finding): void {
    this.count++;
    this.byKind.set(f.kind, (this.byKind.get(f.kind) ?? 0) + 1);
    this.emit(f);
  }
}

/** A raw-bytes path as shown to people and in JSON: UTF-8 text with a leading slash. */
export function showPath(path: string): string {
  return '/' + Buffer.from(path, 'latin1').toString('utf8');
}

/** The JSON object of a finding, fields in a fixed order, absent ones left out. */
export function findingJson(f: Finding): Record<string, unknown> {
  const o: Record<string, unknown> = { kind: f.kind };
  if (f.session !== undefined) o.session = f.session;
  if (f.path !== undefined) o.path = showPath(f.path);
  if (f.lba !== undefined) o.lba = f.lba;
  if (f.expected !== undefined) o.expected = f.expected;
  if (f.found !== undefined) o.found = f.found;
  o.message = f.message;
  return o;
}
