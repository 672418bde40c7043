// cd-verify's engine: every session of a medium (or one), structurally and by its recorded
// checksums; the medium head against the newest session; optionally a tar stream against
// a session's tree. Problems are findings, passed to the sink as they are made.
import { decodeVolumeDescriptor, isPrimaryDescriptor } from '../iso9660/volume-descriptor.js';
import type { Image } from '../image/image.js';
import { ImageError } from '../image/errors.js';
import type { ImageEntry } from '../image/entry.js';
import type { SectorSource } from '../image/sector-source.js';
import { FIRST_SESSION, SESSION_ALIGNMENT, type SessionEntry } from '../image/sessions.js';
import { TarFormatError } from '../tar/header.js';
import { ChecksumVerifier, type SessionSums } from './checksums.js';
import type { FindingSink } from './findings.js';
import { checkMediumHead } from './medium-head-check.js';
import type { HashingThread } from './hashing-thread.js';
import { DataHasher } from './parallel-hashing.js';
import { SessionChecker } from './session-check.js';
import { compareTar } from './tar-compare.js';
import { SECTOR } from '../iso9660/constants.js';
import { roundUp } from '../iso9660/numbers.js';

export interface VerifyOptions {
  /** Check only this session (1-based) and compare the tar with it. */
  session?: number;
  /** A tar stream to compare with the newest (or the chosen) session. */
  tar?: Iterable<Buffer> | null;
  /** Bytes read so far, for progress reports. */
  onProgress?: (bytes: number) => void;
  /** A hashing thread reading the same medium: hash on it too (startHashingThread). */
  hashing?: HashingThread | null;
}

export interface VerifySummary {
  sessions: number;
  /** Regular files whose content was compared: by recorded MD5, or against the tar
   *  (the larger of the two counts, as most files are checked both ways). */
  files: number;
  /** Bytes read to verify content and checksums. */
  bytes: number;
  problems: number;
  seconds: number;
}

/** A usage-level problem: the session asked for does not exist. */
export class VerifyUsageError extends Error {}

/** Sessions chained from LBA 32 as libisoburn lays them out, read without the medium head. */
function chainFrom32(src: SectorSource): SessionEntry[] {
  const out: SessionEntry[] = [];
  let lba = FIRST_SESSION;
  while (src.holds(lba + 16, SECTOR) && out.length < 100_000) {
    const s = src.read(lba + 16, 1);
    if (!isPrimaryDescriptor(s)) break;
    let size: number;
    let volumeId = '';
    let created: Date | null = null;
    let modified: Date | null = null;
    try {
      const vd = decodeVolumeDescriptor(s);
      size = vd.volumeSpaceSize;
      volumeId = vd.volumeId;
      created = vd.created;
      modified = vd.modified;
    } catch {
      break;
    }
    if (size < 1) break;
    out.push({ number: out.length + 1, start: lba, size: Math.min(size, Math.max(0, src.sectors - lba)), volumeId, created, modified });
    lba = roundUp(lba + size, SESSION_ALIGNMENT);
  }
  return out;
}

/**
 * Inflates every zisofs-compressed file of a session: a bad header, pointer or block is a
 * finding (the recorded MD5s, as xorriso records them, cover the compressed bytes only).
 * Returns the uncompressed bytes read.
 */
function checkZisofs(image: Image, session: number, sink: FindingSink): number {
  let bytes = 0;
  try {
    image.walk(image.session(session), (e) => {
      if (e.type !== 'file' || !e.zisofs) return;
      if (!e.zf) {
        sink.add({
          kind: 'content',
          session,
          path: e.path,
          lba: e.recordLba,
          message: 'the zisofs-compressed file cannot be read: its ZF entry is unreadable',
        });
        return;
      }
      try {
        image.readContent(e, (chunk) => (bytes += chunk.length), 1 << 20, session);
      } catch (err) {
        if (!(err instanceof ImageError)) throw err;
        sink.add({ kind: 'content', session, path: e.path, lba: err.place.lba, message: `the zisofs-compressed file cannot be read: ${err.reason}` });
      }
    });
  } catch (err) {
    // The tree itself is damaged: the session check has said so already.
    if (!(err instanceof ImageError)) throw err;
  }
  return bytes;
}

export function verifyMedium(image: Image, sink: FindingSink, opts: VerifyOptions = {}): VerifySummary {
  const t0 = process.hrtime.bigint();
  const src = image.source;
  const scan = image.scan;
  const summary: VerifySummary = { sessions: 0, files: 0, bytes: 0, problems: 0, seconds: 0 };
  const finish = () => {
    summary.problems = sink.count;
    summary.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return summary;
  };
  if (src.bytes % SECTOR !== 0)
    sink.add({ kind: 'medium', lba: src.sectors, message: `the medium's size (${src.bytes} bytes) is not a whole number of sectors: truncated?` });

  let sessions: SessionEntry[] = scan.sessions;
  let headOk = true;
  if (scan.kind === 'foreign') {
    sink.add({ kind: 'medium', lba: 16, message: `not an ISO 9660 medium: ${scan.foreign}` });
    return finish();
  }
  if (scan.kind === 'blank') {
    sessions = chainFrom32(src);
    if (sessions.length === 0) {
      sink.add({ kind: 'medium', message: 'the medium is blank: it holds no session to verify' });
      return finish();
    }
    headOk = false;
    sink.add({
      kind: 'medium-head',
      lba: 16,
      message: `the medium head (LBA 0–31) is ${scan.blank === 'pseudo-blank' ? 'marked blank' : 'blank'}, but ${sessions.length} session(s) follow from LBA 32: readers see an empty medium`,
    });
  }
  if (scan.end > src.sectors)
    sink.add({
      kind: 'medium',
      lba: src.sectors,
      expected: scan.end,
      found: src.sectors,
      message: `the volume ends at LBA ${scan.end} but the medium has only ${src.sectors} sectors: it is truncated`,
    });
  for (const w of scan.warnings) if (!/looks truncated/.test(w)) sink.add({ kind: 'medium', message: w });

  const chosen = opts.session;
  if (chosen !== undefined && (!Number.isInteger(chosen) || chosen < 1 || chosen > sessions.length))
    throw new VerifyUsageError(`there is no session ${chosen}: the medium has ${sessions.length}`);
  const list = chosen !== undefined ? [sessions[chosen - 1]] : sessions;
  const hasher = new DataHasher(src, opts.hashing, opts.onProgress);
  try {
    const sums = new ChecksumVerifier(src, sink, hasher, list.length > 1);
    for (const s of list) {
      // The checksummed ranges are hashed (on the other thread) while the tree is walked.
      let begun: SessionSums | null = null;
      const c = new SessionChecker(src, s, sink).check((partial) => (begun = sums.beginSession(partial)));
      summary.sessions++;
      sums.finishSession(c, begun!);
      if (c.zisofsFiles > 0) summary.bytes += checkZisofs(image, s.number, sink);
    }
    const newest = sessions[sessions.length - 1];
    const chainBroken = scan.warnings.some((w) => /chain of session heads broken/.test(w));
    if (scan.layout === 'head' && headOk && !chainBroken && (chosen === undefined || chosen === sessions.length)) {
      checkMediumHead(src, newest, sink);
      sums.verifyMediumHeadTag(newest.start);
    }
    summary.files += sums.files;
    summary.bytes += sums.bytes;
  } finally {
    hasher.close();
  }

  if (opts.tar) {
    const number = chosen ?? sessions.length;
    const index = new Map<string, ImageEntry>();
    let indexed = false;
    try {
      const tree = image.session(number);
      image.walk(tree, (e) => index.set(e.path, e));
      indexed = true;
    } catch (err) {
      if (!(err instanceof ImageError)) throw err;
      sink.add({
        kind: 'directory',
        session: err.place.session ?? number,
        lba: err.place.lba,
        path: err.place.path,
        message: `the tar cannot be compared: ${err.reason}`,
      });
    }
    if (indexed) {
      try {
        const r = compareTar(opts.tar, index, src, number, sink);
        // A file checked both ways counts once.
        summary.files = Math.max(summary.files, r.files);
        summary.bytes += r.bytes;
      } catch (err) {
        if (!(err instanceof TarFormatError)) throw err;
        sink.add({ kind: 'tar', session: number, message: `the tar on stdin is unreadable: ${err.message}` });
      }
    }
  }
  return finish();
}
