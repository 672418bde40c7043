// cd-write's engine: checks the session against the medium before writing a byte, passes
// its sectors straight to their LBAs as they arrive, and commits only a complete, valid
// session (DESIGN §4–5). Works on any Medium.
import { decodeVolumeDescriptor, descriptorSet, isPrimaryDescriptor } from '../iso9660/volume-descriptor.js';
import { SESSION_ALIGNMENT } from '../image/sessions.js';
import { receiveSession, type ReceiveOptions, type SessionBegin } from '../session/receiver.js';
import { isPlausibleStart } from '../session/plain-image.js';
import { sealChecksums, sealPlanOf, superblockTagOf } from '../session/checksum-seal.js';
import { withClosedMark } from './medium-head.js';
import { MediumRefusal, type Medium, type MediumStatus } from './medium.js';
import { SECTOR } from '../iso9660/constants.js';
import { roundUp } from '../iso9660/numbers.js';

export interface WriteSessionOptions {
  /** Keep the medium appendable (cdrecord -multi); without it the medium is recorded as closed. */
  multi: boolean;
  /** Every check, nothing written (cdrecord -dummy). */
  dummy?: boolean;
  /** Append to a closed medium (the medium object decides about foreign content). */
  force?: boolean;
  /** Size of the input when it is a file. */
  inputBytes?: number | null;
  /** Positional reads of a seekable input. */
  peek?: ReceiveOptions['peek'];
  /** Called after each batch written: bytes so far and the total when known. */
  onProgress?: (written: number, total: number | null) => void;
}

export interface WriteResult {
  kind: 'head-last' | 'plain';
  start: number;
  /** Sectors the session occupies (its volume space size). */
  sectors: number;
  /** Where the session after this one would go. */
  next: number;
  closed: boolean;
  dummy: boolean;
  /** Non-zero sectors after a plain image's volume end that were not written. */
  ignoredSectors: number;
  /** Why the medium was left appendable although closing was asked for, or null. */
  notClosed: string | null;
  /** The stream said nothing changed since the newest session (iso-merge --mirror): it was
   *  read and checked whole, and nothing was written or committed. */
  unchanged: boolean;
}

export const AT_ZERO_WITH_MULTI =
  'image laid out for LBA 0 with --multi: the next session would replace its head and it could no longer be restored on its own; lay it out for LBA 32 (iso-pack --prev 0,32, mkisofs -C 0,32) or use --force to write it at LBA 0 anyway; nothing written';

function refuse(message: string): never {
  throw new MediumRefusal(message);
}

function mib(sectors: number): string {
  return `${((sectors * SECTOR) / 1048576).toFixed(1)} MiB`;
}

/** The overflow message: the session's size and the free space, both in sectors and MiB. */
export function doesNotFit(sectors: number, start: number, capacity: number, atLeast: boolean, outcome: string): string {
  const free = Math.max(0, capacity - start);
  return `session of ${atLeast ? 'at least ' : ''}${sectors} sectors (${mib(sectors)}) at LBA ${start} does not fit: ${free} sectors (${mib(free)}) free of the medium's ${capacity}; ${outcome}`;
}

function checkRoom(status: MediumStatus, start: number, sectors: number): void {
  if (status.capacity === null) return;
  const end = roundUp(start + sectors, SESSION_ALIGNMENT);
  if (end > status.capacity) refuse(doesNotFit(sectors, start, status.capacity, false, 'nothing written'));
}

export function writeSession(medium: Medium, chunks: Iterable<Buffer>, opts: WriteSessionOptions): WriteResult {
  const status = medium.status();
  if (status.damage && !opts.force) refuse(`${status.damage} (--force to append anyway)`);
  if (status.state === 'closed' && !opts.force) refuse('medium is closed (written without --multi): no session can be appended (--force to append anyway)');
  const blank = status.state === 'blank';
  const acceptable = (lba: number) => lba === status.next || (blank && lba === 0);
  const wrongAddress = (lba: number) => `packed for LBA ${lba}, medium's next writable address is ${status.next}: run cd-msinfo again`;

  let started = false;
  /** Nothing changed (stream flag) and the medium stays appendable: write nothing. */
  let unchanged = false;
  let chosenStart = -1;
  let written = 0;
  let total: number | null = null;
  const begin = (info: SessionBegin): number => {
    let start: number;
    if (info.kind === 'head-last') {
      if (!acceptable(info.start)) refuse(wrongAddress(info.start));
      start = info.start;
      // Closing (no --multi) still writes the session: the user asked for a last one.
      unchanged = info.unchanged && opts.multi;
      if (info.knownSectors !== null) {
        if (!unchanged) checkRoom(status, start, info.knownSectors);
        total = info.knownSectors * SECTOR;
      }
    } else {
      if (info.builtFor !== null) {
        if (!acceptable(info.builtFor)) refuse(wrongAddress(info.builtFor));
        start = info.builtFor;
      } else {
        // Data-first image read from a pipe: its root directory comes last, so choose by
        // plausibility now and let the receiver confirm before the commit.
        // (With --multi, LBA 0 would be refused below: then the next writable address goes first.)
        const order = blank ? (opts.multi && !opts.force ? [status.next, 0] : [0, status.next]) : [status.next];
        const candidates = order.filter((c) => isPlausibleStart(info.pvd, c));
        if (candidates.length === 0)
          refuse(
            `image was not laid out for LBA ${status.next}, the medium's next writable address (its root directory at LBA ${info.pvd.root.extent} cannot lie there): run cd-msinfo again`,
          );
        start = candidates[0];
      }
      checkRoom(status, start, info.knownSectors);
      total = info.knownSectors * SECTOR;
    }
    // A session at LBA 0 is its own medium head: the next append replaces that head, and
    // the session can no longer be found on its own (cd-msinfo --toc then lists one).
    if (start === 0 && opts.multi && !opts.force) refuse(AT_ZERO_WITH_MULTI);
    started = true;
    chosenStart = start;
    return start;
  };
  // A stream from a pipe whose size was not announced may turn out too big: from then on
  // nothing more is written, but the rest is read, to say how big the session is.
  let overflowAt: number | null = null;
  const sink = {
    begin,
    write(offset: number, data: Buffer): void {
      const end = chosenStart + offset + data.length / SECTOR;
      if (overflowAt === null && status.capacity !== null && end > status.capacity) overflowAt = end;
      if (!opts.dummy && !unchanged && overflowAt === null) medium.write(chosenStart + offset, data);
      written += data.length;
      opts.onProgress?.(written, total);
    },
  };
  const overflow = (sectors: number, atLeast: boolean): never =>
    refuse(doesNotFit(sectors, chosenStart, status.capacity ?? 0, atLeast, opts.dummy ? 'nothing written' : 'nothing committed'));

  try {
    const candidates = blank ? [0, status.next] : [status.next];
    let session: ReturnType<typeof receiveSession>;
    try {
      session = receiveSession(chunks, sink, { inputBytes: opts.inputBytes ?? null, peek: opts.peek, candidates });
    } catch (err) {
      if (overflowAt !== null) overflow(Math.ceil(written / SECTOR), true);
      throw err;
    }
    if (unchanged)
      return {
        kind: session.kind,
        start: session.start,
        sectors: 0,
        next: status.next,
        closed: false,
        dummy: !!opts.dummy,
        ignoredSectors: 0,
        notClosed: null,
        unchanged: true,
      };
    if (overflowAt !== null) overflow(session.sectors, false);
    const s16 = session.head.subarray(16 * SECTOR, 17 * SECTOR);
    if (!isPrimaryDescriptor(s16) || !descriptorSet(session.head))
      throw new Error('the session has no volume descriptor set (PVD at sector 16 up to a terminator) in its head: nothing committed');
    const pvd = decodeVolumeDescriptor(s16);
    const volumeSize = pvd.volumeSpaceSize;
    if (volumeSize < 1 || volumeSize > session.sectors)
      throw new Error(`the session's volume space size ${volumeSize} does not match its ${session.sectors} sectors: nothing committed`);
    if (!isPlausibleStart(pvd, session.start))
      throw new Error(`the session's root directory (LBA ${pvd.root.extent}) lies outside the session at LBA ${session.start}: nothing committed`);
    checkRoom(status, session.start, volumeSize);
    // A session at LBA 0 is its own medium head, closed mark included: its checksums must
    // cover the head as it will be. Another writer's tags (xorriso -md5 on) cannot be redone
    // here, and libisofs refuses a medium whose superblock tag does not match: such a
    // session is left appendable rather than made unreadable.
    let head = session.head;
    let close = !opts.multi;
    let notClosed: string | null = null;
    if (session.start === 0 && close) {
      if (!sealPlanOf(head) && superblockTagOf(head)) {
        close = false;
        notClosed =
          'the session at LBA 0 carries libisofs checksum tags over its volume descriptors, which the closed mark would break: the medium is left appendable';
      } else head = withClosedMark(head);
    }
    // iso-pack --md5 through a pipe leaves the checksums that hash from the session start
    // to be filled in here, where the session can be read back (checksum-seal.ts).
    const changed = !head.equals(session.head);
    if (!opts.dummy && sealPlanOf(head) && (session.kind === 'head-last' || changed)) {
      sealChecksums(head, session.start, volumeSize, { read: (lba, buf) => medium.read(lba, buf), write: (lba, data) => medium.write(lba, data) });
    }
    if (!opts.dummy) medium.commit({ start: session.start, head, volumeSize }, { close });
    return {
      kind: session.kind,
      start: session.start,
      sectors: volumeSize,
      next: roundUp(session.start + volumeSize, SESSION_ALIGNMENT),
      closed: close,
      dummy: !!opts.dummy,
      ignoredSectors: session.ignoredSectors,
      notClosed,
      unchanged: false,
    };
  } catch (err) {
    if (started && !opts.dummy && !unchanged) medium.abandon();
    throw err;
  }
}
