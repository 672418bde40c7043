// cd-write on an optical drive: one session in LBA order (a plain ISO image from a file or
// stdin) burned as one TAO track (CD) or incremental track (DVD±R, BD-R SRM) at the disc's
// next writable address, then closed so the disc stays appendable (--multi) or is finalized.
// Everything that can be checked is checked before the first WRITE: the medium, the address
// the image was built for, its size against the free blocks (docs/drive-burn.md).
//
// Input and drive run side by side: the input is read into a ring as fast as it comes and
// the drive is fed 64 KiB WRITEs from the ring, so a producer that pauses does not starve it.
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import type { VolumeDescriptor } from '../iso9660/volume-descriptor.js';
import { isPlausibleStart, isRootDirectorySector } from '../session/plain-image.js';
import { RECEIVER_HOLD_BYTES, sessionReceiver, type ReceiveOptions, type SessionBegin } from '../session/receiver.js';
import { MediumRefusal } from '../media/medium.js';
import { type BurnMmc, DriveCommandError, DriveGoneError, LONG_TIMEOUT_MS, WRITE_TIMEOUT_MS, type Sleep } from './burn-mmc.js';
import type { Drive } from './drive.js';
import { Profile, profileInfo, type ProfileInfo } from './profiles.js';
import { Ring } from './ring.js';
import { looksLikeStreamHeader } from '../session/format.js';
import { sealPlanOf } from '../session/checksum-seal.js';
import { burnHeadSession, closePlaceholderSession, readPlaceholder, type CommitMethod, type HeadSession } from './two-session-commit.js';
import {
  RESERVED_HEAD_BLOCKS,
  closeSessionWithHead,
  isUnwrittenReservation,
  openSessionTracks,
  reserveHeadTrack,
  reservesHeadTrack,
  type ReservationReport,
} from './reserved-head-commit.js';
import {
  CloseFunction,
  READ_BUFFER_CAPACITY_LENGTH,
  WRITE_PARAMETERS_MIN_LENGTH,
  WRITE_PARAMETERS_PAGE,
  cdTaoDataParameters,
  closeTrackSession,
  decodeBufferCapacity,
  dvdMinusRIncrementalParameters,
  encodeWriteParametersPage,
  modeSelect10,
  modeSelectParameterList,
  performanceDescriptor,
  preventAllowMediumRemoval,
  readBufferCapacity,
  setCdSpeed,
  setStreaming,
  speedKBps,
  startStopUnit,
  synchronizeCache,
  testUnitReady,
  write10,
  type SpeedFamily,
} from './write-commands.js';

/** Blocks per WRITE(10): 64 KiB, a BD cluster, two DVD ECC blocks. */
export const WRITE_BLOCKS = 32;
/** A CD track is at least 4 s long (300 blocks); shorter data is padded with zeros. */
export const CD_MIN_TRACK = 300;
/**
 * Zero blocks appended to a CD data track (xorriso's default -padsize 300k): a TAO track
 * ends in two run-out blocks that readers' read-ahead trips over, and iso-pack puts its
 * directories at the end of the session.
 */
export const CD_PAD_BLOCKS = 150;
export const DEFAULT_RING_BYTES = 8 << 20;

/** What the burn needs to know about the disc (burn-probe.ts reads it from the drive). */
export interface DiscForBurn {
  /** Current profile from GET CONFIGURATION; 0 when there is no medium. */
  profile: number;
  status: 'blank' | 'appendable' | 'complete' | 'other';
  lastSessionState: 'empty' | 'incomplete' | 'damaged' | 'complete';
  /** Sessions on the disc, the empty one of an appendable disc not counted. */
  sessions: number;
  /** Number of the track a new session's track gets (the invisible track). */
  nextTrack: number;
  /** Where that track starts (NWA valid), else null. */
  nwa: number | null;
  /** Blocks free after the NWA. */
  freeBlocks: number | null;
  /** A track left open by an interrupted burn, with where it stopped. */
  openTrack: { number: number; nwa: number | null } | null;
  /** Page 2Ah BUF: the drive can do buffer-underrun-free recording. */
  burnFree: boolean;
}

export type DiscProbe = (drive: Drive) => Promise<DiscForBurn>;

export interface BurnProgress {
  written: number;
  total: number;
  /** Bytes queued in the ring. */
  ringFill: number;
  ringSize: number;
  /** The drive's buffer fill 0..1, when it reports it. */
  driveBuffer: number | null;
  seconds: number;
}

export interface BurnOptions {
  multi: boolean;
  dummy?: boolean;
  /** speed=N: N× for the medium's family. */
  speed?: number;
  eject?: boolean;
  /** Size of the input when it is a file. */
  inputBytes?: number | null;
  peek?: ReceiveOptions['peek'];
  ringBytes?: number;
  onProgress?: (p: BurnProgress) => void;
  /** -v lines (what is sent, retries). */
  log?: (line: string) => void;
  sleep?: Sleep;
  probe: DiscProbe;
  /**
   * A head-last stream on DVD+R/BD-R: try the reserved-head commit (one session), falling
   * back to the two-session commit when the drive does not reserve (reserved-head-commit.ts).
   */
  reserveHead?: boolean;
}

export interface BurnResult {
  start: number;
  /** The session's volume space size. */
  sectors: number;
  /** Blocks written, padding included. */
  written: number;
  closed: boolean;
  dummy: boolean;
  profile: string;
  /** Where the session after this one goes, read back from the drive (null after -dummy or finalizing). */
  next: number | null;
  seconds: number;
  /** The lowest ring fill seen while the input still flowed (bytes), and the ring size. */
  ringLow: number | null;
  ringSize: number;
  retries: Record<string, number>;
  ignoredSectors: number;
  /** 'two-session' for a head-last stream (two-session-commit.ts): `head` is session k+1; 'reserved-head': one session. */
  commit?: CommitMethod;
  head?: HeadSession | null;
  /** With reserveHead, for a head-last stream: what became of the reservation. */
  reservation?: ReservationReport | null;
}

/** The burn failed after the first WRITE: the message says what is on the disc now. */
export class BurnError extends Error {
  override name = 'BurnError';
}

/** RESERVE TRACK left the disc in a state MMC does not describe (reserved-head-commit.ts). */
class ReservationMismatch extends Error {
  override name = 'ReservationMismatch';
}

function family(p: ProfileInfo): SpeedFamily {
  return p.family === 'DVD' ? 'dvd' : p.family === 'BD' ? 'bd' : 'cd';
}

const isCd = (p: ProfileInfo) => p.family === 'CD';
const DVD_MINUS = new Set<number>([Profile.DVD_R_SEQUENTIAL, Profile.DVD_RW_SEQUENTIAL, Profile.DVD_R_DL_SEQUENTIAL, Profile.DVD_R_DL_JUMP]);
const isDvdMinus = (p: ProfileInfo) => DVD_MINUS.has(p.code);
/** Test write exists on CD-R/RW and DVD-R/-RW only (MMC; cdrecord refuses it elsewhere). */
const hasTestWrite = (p: ProfileInfo) => isCd(p) || isDvdMinus(p);

/** Checks made before anything is sent that changes the drive's state. */
export function checkDiscForBurn(disc: DiscForBurn, name: string, opts: { dummy?: boolean; fix?: boolean }): ProfileInfo {
  if (disc.profile === 0) throw new MediumRefusal(`no disc in ${name}: insert a CD-R, DVD+R or BD-R`);
  const p = profileInfo(disc.profile);
  if (p.kind === 'rom') throw new MediumRefusal(`the disc in ${name} is a ${p.name} (read-only): insert a writable CD-R, DVD±R or BD-R`);
  // cd-write hands overwritable discs to the emulated multi-session path (overwritable.ts) before this engine.
  if (p.kind === 'overwritable')
    throw new MediumRefusal(`the disc in ${name} is a ${p.name}: it takes no tracks; cd-write writes it with emulated multi-session, as an image file`);
  if (opts.dummy && !hasTestWrite(p)) throw new MediumRefusal(`-dummy: a ${p.name} has no test-write mode (only CD-R/RW and DVD-R do); nothing was written`);
  if (opts.fix) return p;
  if (disc.status === 'complete') throw new MediumRefusal(`the disc in ${name} is closed (finalized): no session can be appended`);
  if (disc.openTrack || disc.lastSessionState === 'incomplete')
    throw new MediumRefusal(
      `the disc in ${name} has a session left open by an interrupted burn: run 'cd-write -fix --multi dev=${name}' to close it, then append`,
    );
  if (disc.lastSessionState === 'damaged' || disc.status === 'other')
    throw new MediumRefusal(
      `the disc in ${name} is damaged or in a state cd-write does not know (disc status ${disc.status}, last session ${disc.lastSessionState}): nothing was written`,
    );
  if (disc.nwa === null) throw new MediumRefusal(`the drive ${name} reports no next writable address on the ${p.name}: nothing was written`);
  return p;
}

/** The one-line message for a head-last stream on a write-once disc (issue 15 lifts this). */
export function headLastRefusal(profile: string): string {
  return `iso-pack's head-last stream cannot be burned on a ${profile} yet (its volume descriptors come last, a write-once disc is written front to back): write the session with 'iso-pack -o FILE' and burn FILE`;
}

/** Reads what the disc looks like after a failure, for the message; never throws. */
async function stateAfterFailure(mmc: BurnMmc, probe: DiscProbe, written: boolean): Promise<string> {
  if (!written) return 'nothing was written; the disc is as it was';
  try {
    const d = await probe(mmc.drive);
    if (d.profile === 0) return 'the disc is gone from the drive';
    const open = d.openTrack || d.lastSessionState === 'incomplete';
    return open
      ? `the disc now has an open session (earlier sessions still mount); 'cd-write -fix --multi' closes it`
      : `disc status now ${d.status}, last session ${d.lastSessionState}`;
  } catch {
    return 'the state of the disc is unknown (the drive does not answer); earlier sessions were closed before this burn and still mount';
  }
}

interface Prepared {
  start: number;
  sectors: number;
  head: Buffer;
  /** A head-last stream: `head` is the placeholder, the real head comes at the end. */
  headLast?: boolean;
}

/**
 * Burns one session read from `input` (chunks of any size). Refusals (MediumRefusal,
 * SessionStreamError before any WRITE) leave the disc untouched; a failure after the first
 * WRITE is a BurnError whose message says what the disc holds now.
 */
export async function burnSession(mmc: BurnMmc, input: AsyncIterable<Buffer>, opts: BurnOptions): Promise<BurnResult> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const disc = await opts.probe(mmc.drive);
  const profile = checkDiscForBurn(disc, mmc.name, { dummy: opts.dummy });
  const nwa = disc.nwa!;
  const cd = isCd(profile);
  log(`${profile.name}, ${disc.status}, ${disc.sessions} session(s), next writable address ${nwa}, ${disc.freeBlocks ?? '?'} blocks free`);

  const piece = WRITE_BLOCKS * SECTOR;
  const ringBytes = Math.max(opts.ringBytes ?? DEFAULT_RING_BYTES, RECEIVER_HOLD_BYTES + (2 << 20));
  const ring = new Ring(Math.ceil(ringBytes / piece) * piece);
  let prepared: Prepared | null = null;
  let expectOffset = 0;
  const it = input[Symbol.asyncIterator]();
  // A head-last stream is burned by the two-session commit, whose placeholder head (the
  // newest session's, read back) must be known before the receiver begins: look at the
  // first sector for the stream's header.
  const first: Buffer[] = [];
  let firstBytes = 0;
  while (firstBytes < SECTOR) {
    const r = await it.next();
    if (r.done) break;
    first.push(Buffer.from(r.value)); // the input may reuse its buffer
    firstBytes += r.value.length;
  }
  const placeholder =
    firstBytes >= SECTOR && looksLikeStreamHeader(Buffer.concat(first).subarray(0, SECTOR)) ? await readPlaceholder(mmc, disc, nwa, log) : null;
  const tryReserve = !!opts.reserveHead && !opts.dummy && reservesHeadTrack(profile);

  // The receiver decides what the input is and where it belongs; begin() runs before it
  // hands over a single sector, so every refusal here happens before any WRITE.
  const receiver = sessionReceiver(
    {
      begin(info: SessionBegin): number {
        if (info.kind === 'head-last') {
          if (!placeholder) throw new MediumRefusal(headLastRefusal(profile.name));
          if (info.start !== nwa)
            throw new MediumRefusal(
              `stream was built for LBA ${info.start}, the disc's next writable address is ${nwa}: run cd-msinfo again and rebuild the session`,
            );
          const known = info.knownSectors;
          const blocks = known === null ? 0 : trackBlocks(known, cd) + trackBlocks(HEAD_SECTORS, cd);
          if (known !== null && disc.freeBlocks !== null && blocks > disc.freeBlocks)
            throw new MediumRefusal(
              `session of ${known} sectors (${blocks} blocks with padding and the head session) does not fit: the ${profile.name} has ${disc.freeBlocks} blocks free`,
            );
          log(
            tryReserve
              ? `head-last stream: reserved-head commit asked (RESERVE TRACK of ${RESERVED_HEAD_BLOCKS} blocks, checked before the first data sector; the two-session commit if the drive does not reserve)`
              : `head-last stream: two-session commit (placeholder head, data, then the real head as a session of its own)${opts.reserveHead ? `; no reservation on a ${profile.name} (the data would move)` : ''}`,
          );
          prepared = { start: nwa, sectors: known ?? HEAD_SECTORS, head: placeholder, headLast: true };
          expectOffset = HEAD_SECTORS;
          return nwa;
        }
        const wrong = (lba: number) =>
          `image was built for LBA ${lba}, the disc's next writable address is ${nwa}: run cd-msinfo again and rebuild the session`;
        if (info.builtFor !== null && info.builtFor !== nwa) throw new MediumRefusal(wrong(info.builtFor));
        if (info.builtFor === null && opts.peek) {
          // The file's root directory is not where a session at the NWA has it: find where
          // it is, to name the address the image was built for (CD addresses are not
          // multiples of 16, so findBuiltFor's coarse search may miss it).
          const at = findRootSector(info.pvd, opts.peek);
          throw new MediumRefusal(
            at !== null
              ? wrong(info.pvd.root.extent - at)
              : `image was not built for LBA ${nwa}, the disc's next writable address (its root directory is not where a session there has it): run cd-msinfo again and rebuild the session`,
          );
        }
        if (info.builtFor === null && !isPlausibleStart(info.pvd, nwa))
          throw new MediumRefusal(
            `image was not built for LBA ${nwa}, the disc's next writable address (its root directory at LBA ${info.pvd.root.extent} cannot lie there): run cd-msinfo again and rebuild the session`,
          );
        const sectors = info.knownSectors;
        const blocks = trackBlocks(sectors, cd);
        if (disc.freeBlocks !== null && blocks > disc.freeBlocks)
          throw new MediumRefusal(
            `session of ${sectors} sectors${blocks > sectors ? ` (${blocks} with padding)` : ''} does not fit: the ${profile.name} has ${disc.freeBlocks} blocks free`,
          );
        prepared = { start: nwa, sectors, head: info.head };
        expectOffset = Math.min(HEAD_SECTORS, sectors);
        return nwa;
      },
      write(offset: number, data: Buffer): void {
        if (offset !== expectOffset) throw new Error(`internal: session sector ${offset} arrived where ${expectOffset} was due`);
        ring.push(data);
        expectOffset += data.length / SECTOR;
      },
    },
    { inputBytes: opts.inputBytes ?? null, peek: opts.peek, candidates: [nwa] },
  );

  for (const c of first) receiver.push(c);
  // Read until the receiver knows the session (or refuses it): nothing is sent yet.
  while (!prepared) {
    const r = await it.next();
    if (r.done) {
      receiver.end(); // throws: too short, not an image
      throw new Error('internal: input ended before the session began');
    }
    receiver.push(r.value);
  }
  const session: Prepared = prepared;
  // The head goes first: a write-once disc is written strictly front to back.
  const headSectors = Math.min(HEAD_SECTORS, session.sectors);
  const queued = Buffer.from(ringDrain(ring));
  ring.push(session.head.subarray(0, headSectors * SECTOR));
  if (queued.length) ring.push(queued);
  const headLast = !!session.headLast;
  let total = trackBlocks(session.sectors, cd);
  let realHead: Buffer | null = null;
  /** The reserved-head commit under way: the head's track and the data's. */
  let reserved: { headTrack: number; dataTrack: number } | null = null;
  let reservation: ReservationReport | null = headLast && opts.reserveHead ? (tryReserve ? null : 'not-for-profile') : null;

  // Drive setup: tray lock, speed, write parameters. Still no WRITE.
  await mmc.run('PREVENT ALLOW MEDIUM REMOVAL', preventAllowMediumRemoval(true)).catch(() => {});
  try {
    if (opts.speed !== undefined) await setSpeed(mmc, profile, opts.speed, nwa + (disc.freeBlocks ?? 0), log);
    if (cd || isDvdMinus(profile))
      await selectWriteParameters(mmc, profile, { multi: opts.multi || headLast, testWrite: !!opts.dummy, bufe: disc.burnFree }, log);
  } catch (err) {
    await mmc.run('PREVENT ALLOW MEDIUM REMOVAL', preventAllowMediumRemoval(false)).catch(() => {});
    throw new BurnError(`${(err as Error).message}; nothing was written; the disc is as it was`);
  }

  let lba = nwa;
  let writtenBlocks = 0;
  let anyWritten = false;
  let ringLow: number | null = null;
  let driveBuffer: number | null = null;
  let lastProgress = 0;
  let lastBufferPoll = 0;
  let inputError: unknown = null;
  let writerError: unknown = null;
  let ignored = 0;

  const producer = (async () => {
    try {
      for (;;) {
        const r = await it.next();
        if (writerError) return;
        if (r.done) break;
        const chunk = r.value;
        // Room for the chunk and whatever the receiver still holds back.
        await ring.waitFree(Math.min(ring.capacity, chunk.length + RECEIVER_HOLD_BYTES));
        if (writerError) return;
        receiver.push(chunk);
      }
      const got = receiver.end(); // throws when the image was cut short or is not what it said
      ignored = got.ignoredSectors;
      if (headLast) {
        // The trailer has told the session's length; the real head is held for session k+1.
        if (sealPlanOf(got.head))
          throw new Error(
            `the stream's head asks for an --md5 seal, which needs the session rewritten after the head is known: not possible on a ${profile.name}; pack without --md5 or burn 'iso-pack -o FILE'`,
          );
        session.sectors = got.sectors;
        total = trackBlocks(got.sectors, cd);
        realHead = got.head;
      }
      // Zero blocks after the image: up to the CD minimum track length, plus the run-out pad.
      let pad = (total - session.sectors) * SECTOR;
      const zeros = Buffer.alloc(WRITE_BLOCKS * SECTOR);
      while (pad > 0) {
        const n = Math.min(pad, zeros.length);
        await ring.waitFree(n);
        ring.push(zeros.subarray(0, n));
        pad -= n;
      }
    } catch (err) {
      inputError = err;
    } finally {
      ring.end();
    }
  })();

  let writeDisc = disc;
  const writer = async () => {
    // As cdrecord: fill the fifo before the first WRITE, so the drive starts with a reserve.
    await ring.waitPrefilled();
    if (tryReserve && headLast && !inputError) {
      // Reserve the head's track and check it before the first data sector; the placeholder
      // at the ring's front is then not written (the head goes into the reservation last).
      const r = await reserveHeadTrack(mmc, disc, log);
      reservation = r.kind;
      if (r.kind === 'reserved') {
        reserved = { headTrack: r.headTrack, dataTrack: r.dataTrack };
        ring.release(RESERVED_HEAD_BLOCKS * SECTOR);
        lba = nwa + RESERVED_HEAD_BLOCKS;
        writeDisc = { ...disc, nextTrack: r.dataTrack, nwa: lba };
      } else if (r.kind === 'unexpected') {
        throw new ReservationMismatch(r.detail);
      } else log(`the drive reserved nothing: two-session commit instead (the disc is as it was)`);
    }
    for (;;) {
      await ring.waitFill(piece);
      if (inputError) return;
      if (ring.fill === 0 && ring.ended) return;
      if (!ring.ended) ringLow = ringLow === null ? ring.fill : Math.min(ringLow, ring.fill);
      // Whole blocks only; the producer pushes whole sectors, so a short tail is a block multiple.
      const data = ring.peek(piece);
      const blocks = data.length / SECTOR;
      await writeBlocks(mmc, lba, blocks, data, writeDisc, opts.probe);
      anyWritten = true;
      ring.release(data.length);
      lba += blocks;
      writtenBlocks += blocks;
      const now = Date.now();
      if (opts.onProgress && now - lastProgress >= 500) {
        if (now - lastBufferPoll >= 2000) {
          lastBufferPoll = now;
          driveBuffer = await pollDriveBuffer(mmc);
        }
        lastProgress = now;
        opts.onProgress({
          written: writtenBlocks * SECTOR,
          total: Math.max(total, writtenBlocks) * SECTOR,
          ringFill: ring.fill,
          ringSize: ring.capacity,
          driveBuffer,
          seconds: (now - t0) / 1000,
        });
      }
    }
  };

  try {
    try {
      await writer();
    } catch (err) {
      writerError = err;
      ring.end();
    }
    if (writerError) {
      // Do not wait for an input that may never end (a pipe whose writer is stalled).
      void producer;
      void it.return?.();
      throw writerError;
    }
    await producer;
    if (inputError) throw inputError;
    const skipped = reserved ? RESERVED_HEAD_BLOCKS : 0;
    if (writtenBlocks + skipped !== total) throw new Error(`internal: ${writtenBlocks} blocks written of ${total}`);
    opts.onProgress?.({
      written: writtenBlocks * SECTOR,
      total: total * SECTOR,
      ringFill: 0,
      ringSize: ring.capacity,
      driveBuffer,
      seconds: (Date.now() - t0) / 1000,
    });

    log(`${writtenBlocks} blocks written at ${nwa}..${lba - 1}; synchronizing the drive's cache`);
    await waitReady(mmc, 'SYNCHRONIZE CACHE', synchronizeCache(true));
    let closed = false;
    let headSession: HeadSession | null = null;
    let commit: CommitMethod = headLast ? 'two-session' : 'plain';
    if (opts.dummy) log('-dummy: test write done, nothing closed');
    else if (reserved) {
      // The data track is closed, then the real head goes into the reserved track: the commit point.
      const done = await closeSessionWithHead(mmc, profile, async () => realHead!, {
        multi: opts.multi,
        disc: writeDisc,
        probe: opts.probe,
        expectStart: nwa,
        log,
      });
      writtenBlocks += RESERVED_HEAD_BLOCKS;
      closed = done.closed;
      commit = 'reserved-head';
    } else if (headLast) {
      await closeSession(mmc, profile, disc.nextTrack, true, log);
      headSession = await burnHeadSession(mmc, profile, realHead!, { multi: opts.multi, probe: opts.probe, log });
      closed = headSession.closed;
    } else {
      closed = await closeSession(mmc, profile, disc.nextTrack, opts.multi, log);
    }
    let next: number | null = headSession ? headSession.next : null;
    if (!opts.dummy && !closed && !headSession) {
      try {
        next = (await opts.probe(mmc.drive)).nwa;
      } catch {
        next = null;
      }
    }
    await mmc.run('PREVENT ALLOW MEDIUM REMOVAL', preventAllowMediumRemoval(false)).catch(() => {});
    if (opts.eject) await mmc.run('START STOP UNIT', startStopUnit(true), { timeoutMs: 60_000 });
    return {
      start: nwa,
      sectors: session.sectors,
      written: writtenBlocks,
      closed,
      dummy: !!opts.dummy,
      profile: profile.name,
      next,
      seconds: (Date.now() - t0) / 1000,
      ringLow,
      ringSize: ring.capacity,
      retries: Object.fromEntries(mmc.retries),
      ignoredSectors: ignored,
      commit,
      head: headSession,
      reservation,
    };
  } catch (err) {
    if (reserved && !writerError && err === inputError) {
      // A cut or damaged stream after the reservation: the reserved track gets the
      // placeholder head, so the session shows the previous newest tree.
      let how: string;
      try {
        await closeSessionWithHead(mmc, profile, async () => session.head, { multi: true, disc: writeDisc, probe: opts.probe, expectStart: nwa, log });
        how = `nothing was committed: the ${writtenBlocks} blocks burned at LBA ${nwa + RESERVED_HEAD_BLOCKS} are unreferenced, the reserved head track got the previous newest session's head and the session was closed, so the disc shows what it showed before and stays appendable`;
      } catch (closeErr) {
        how = `nothing was committed, but closing the session with the placeholder head failed (${(closeErr as Error).message}): earlier sessions still mount; 'cd-write -fix --multi' closes it`;
      }
      await mmc.run('PREVENT ALLOW MEDIUM REMOVAL', preventAllowMediumRemoval(false)).catch(() => {});
      throw new BurnError(`${(err as Error).message}; ${how}`);
    }
    if (err instanceof ReservationMismatch) {
      // Not what MMC describes: nothing is written at a guessed address. The reservation is
      // filled with the placeholder and closed, so the disc shows what it showed before.
      let how: string;
      try {
        // The placeholder was made for S; a reservation elsewhere gets one made for its start.
        const headFor = async (start: number) => (start === nwa ? session.head : readPlaceholder(mmc, disc, start, log));
        await closeSessionWithHead(mmc, profile, headFor, { multi: true, disc, probe: opts.probe, log });
        how = `no data was written; the reservation got the previous newest session's head and its session was closed, so the disc shows what it showed before and stays appendable: run cd-msinfo again and burn without --reserve-head`;
      } catch (closeErr) {
        how = `no data was written, but closing the reservation failed (${(closeErr as Error).message}): earlier sessions still mount; 'cd-write -fix --multi' closes it`;
      }
      await mmc.run('PREVENT ALLOW MEDIUM REMOVAL', preventAllowMediumRemoval(false)).catch(() => {});
      throw new BurnError(`the drive did not reserve the head's track as asked (${err.message}); ${how}`);
    }
    if (headLast && anyWritten && !writerError && err === inputError && !opts.dummy) {
      // A cut or damaged stream: close session k with its placeholder head, so the newest
      // session shows the previous tree and the disc takes the next append.
      let how: string;
      try {
        await closePlaceholderSession(mmc, profile, disc, nwa, writtenBlocks, log);
        how = `nothing was committed: the ${writtenBlocks} blocks burned at LBA ${nwa} are unreferenced and their session was closed with the previous newest session's head, so the disc shows what it showed before and stays appendable`;
      } catch (closeErr) {
        how = `nothing was committed, but closing the placeholder session failed (${(closeErr as Error).message}): earlier sessions still mount; 'cd-write -fix --multi' closes it`;
      }
      await mmc.run('PREVENT ALLOW MEDIUM REMOVAL', preventAllowMediumRemoval(false)).catch(() => {});
      throw new BurnError(`${(err as Error).message}; ${how}`);
    }
    await mmc.run('PREVENT ALLOW MEDIUM REMOVAL', preventAllowMediumRemoval(false)).catch(() => {});
    if (err instanceof DriveGoneError)
      throw new BurnError(`${(err as Error).message} after ${writtenBlocks} of ${total} blocks; ${await stateAfterFailure(mmc, opts.probe, anyWritten)}`);
    const what = err instanceof DriveCommandError ? `${err.message}${err.command === 'WRITE(10)' ? ` at LBA ${lba}` : ''}` : (err as Error).message;
    throw new BurnError(`${what}; ${writtenBlocks} of ${total} blocks written; ${await stateAfterFailure(mmc, opts.probe, anyWritten)}`);
  }
}

/** The image sector holding the root directory's first sector, searched from the end (where data-first images keep it), bounded. */
function findRootSector(pvd: VolumeDescriptor, peek: NonNullable<ReceiveOptions['peek']>): number | null {
  const last = Math.min(pvd.volumeSpaceSize - 1, pvd.root.extent);
  for (let p = last, probes = 0; p >= 17 && probes < 65536; p--, probes++) {
    const s = peek(p, 1);
    if (s && isRootDirectorySector(s, pvd.root.extent)) return p;
  }
  return null;
}

/** Takes everything queued so far (the receiver may have queued body sectors with begin()). */
function ringDrain(ring: Ring): Buffer {
  const parts: Buffer[] = [];
  while (ring.fill > 0) {
    const p = ring.peek(ring.fill);
    parts.push(Buffer.from(p));
    ring.release(p.length);
  }
  return Buffer.concat(parts);
}

/** Blocks the track takes on the disc: the session, on CD padded (minimum length, run-out). */
export function trackBlocks(sectors: number, cd: boolean): number {
  return cd ? Math.max(CD_MIN_TRACK, sectors + CD_PAD_BLOCKS) : sectors;
}

/**
 * One WRITE(10), re-sent unchanged while the drive is busy (2/04/08 long write in
 * progress, not ready: BurnMmc's bounded back-off). A unit attention (medium may have
 * changed) is retried only when the track still ends where this WRITE begins.
 */
export async function writeBlocks(mmc: BurnMmc, lba: number, blocks: number, data: Buffer, disc: DiscForBurn, probe: DiscProbe): Promise<void> {
  const cdb = write10(lba, blocks);
  for (let attempt = 0; ; attempt++) {
    try {
      await mmc.run('WRITE(10)', cdb, { data, timeoutMs: WRITE_TIMEOUT_MS, retryBudgetMs: WRITE_TIMEOUT_MS });
      return;
    } catch (err) {
      if (attempt === 0 && err instanceof DriveCommandError && err.is(6, 0x28)) {
        const now = await probe(mmc.drive).catch(() => null);
        const track = now?.openTrack ?? null;
        const at = track && track.number === disc.nextTrack ? track.nwa : now && now.nwa !== null && lba === disc.nwa ? now.nwa : null;
        if (at === lba) continue;
        throw new Error(`the medium changed during the burn (unit attention 6/28/00) and the track no longer ends at LBA ${lba}`);
      }
      throw err;
    }
  }
}

/** Sends an Immed command and polls TEST UNIT READY until the drive has finished it. */
export async function waitReady(mmc: BurnMmc, name: string, cdb: Buffer): Promise<void> {
  await mmc.run(name, cdb, { timeoutMs: LONG_TIMEOUT_MS, retryBudgetMs: LONG_TIMEOUT_MS });
  await mmc.run('TEST UNIT READY', testUnitReady(), { retryBudgetMs: LONG_TIMEOUT_MS, onMediumChanged: 'retry' });
}

async function pollDriveBuffer(mmc: BurnMmc): Promise<number | null> {
  try {
    const c = decodeBufferCapacity(await mmc.run('READ BUFFER CAPACITY', readBufferCapacity(), { inLength: READ_BUFFER_CAPACITY_LENGTH, retryBudgetMs: 0 }));
    return c.size > 0 ? Math.max(0, Math.min(1, (c.size - c.free) / c.size)) : null;
  } catch {
    return null;
  }
}

async function setSpeed(mmc: BurnMmc, p: ProfileInfo, times: number, endLba: number, log: (l: string) => void): Promise<void> {
  const kBps = speedKBps(times, family(p));
  try {
    if (isCd(p)) await mmc.run('SET CD SPEED', setCdSpeed(kBps));
    else await mmc.run('SET STREAMING', setStreaming(), { data: performanceDescriptor(Math.max(0, endLba - 1), kBps) });
    log(`speed ${times}x = ${kBps} kB/s asked`);
  } catch (err) {
    // cdrecord and libburn carry on at the drive's own speed when it refuses one.
    log(`the drive refused speed ${times}x (${(err as Error).message}); burning at its own speed`);
  }
}

/**
 * Mode page 05h as cdrecord sends it for `-tao -data [-multi]` on CD (libburn's DVD-R
 * incremental page on DVD-R/-RW): the page length the drive reports is kept (32h or 36h).
 * DVD+R and BD-R take no page 05h (MMC-5; libburn sends none): their session close
 * function decides whether the disc stays appendable.
 */
export async function selectWriteParameters(
  mmc: BurnMmc,
  p: ProfileInfo,
  o: { multi: boolean; testWrite: boolean; bufe: boolean },
  log: (l: string) => void,
): Promise<void> {
  let pageLength = WRITE_PARAMETERS_MIN_LENGTH;
  try {
    const sensed = await mmc.drive.modeSense(WRITE_PARAMETERS_PAGE);
    if (sensed.code === WRITE_PARAMETERS_PAGE && sensed.bytes[1] >= WRITE_PARAMETERS_MIN_LENGTH) pageLength = sensed.bytes[1];
  } catch {
    // a drive without MODE SENSE of page 05h still takes the MMC-3 length
  }
  const params = isCd(p) ? cdTaoDataParameters(o) : dvdMinusRIncrementalParameters(o);
  const list = modeSelectParameterList(encodeWriteParametersPage(params, pageLength));
  await mmc.run('MODE SELECT(10)', modeSelect10(list.length), { data: list });
  log(
    `write parameters: ${isCd(p) ? 'TAO' : 'incremental'}, mode 1, multi-session ${o.multi ? '11b (next session allowed)' : '00b (finalize)'}${o.bufe ? ', BURN-Free' : ''}${o.testWrite ? ', test write' : ''}`,
  );
}

/**
 * Closes what was written. CD: SYNCHRONIZE CACHE already ended the TAO track (cdrecord and
 * libburn send no CLOSE TRACK there), CLOSE SESSION writes the lead-in/lead-out and page
 * 05h's multi-session field decides appendable or finalized. DVD±R and BD-R: CLOSE TRACK,
 * then CLOSE SESSION (stays appendable) or finalize (DVD+R 101b as libburn, BD-R 110b).
 * Returns true when the disc was finalized.
 */
export async function closeSession(mmc: BurnMmc, p: ProfileInfo, track: number, multi: boolean, log: (l: string) => void): Promise<boolean> {
  if (!isCd(p)) {
    log(`closing track ${track}`);
    await waitReady(mmc, 'CLOSE TRACK', closeTrackSession(CloseFunction.TRACK, track, true));
  }
  let fn: number = CloseFunction.SESSION;
  if (!multi && !isCd(p) && !isDvdMinus(p))
    fn = p.code === Profile.DVD_PLUS_R || p.code === Profile.DVD_PLUS_R_DL ? CloseFunction.FINALIZE_MINIMAL : CloseFunction.FINALIZE;
  log(multi ? 'closing the session, the disc stays appendable' : 'closing the session and finalizing the disc');
  await waitReady(mmc, 'CLOSE SESSION', closeTrackSession(fn, 0, true));
  return !multi;
}

export interface FixResult {
  action: 'closed' | 'nothing';
  state: string;
}

/**
 * cdrecord -fix: closes a track and session left open by an interrupted burn, keeping the
 * disc appendable with --multi, finalizing it without. Nothing to do on a disc whose last
 * session is complete.
 */
export async function fixDisc(mmc: BurnMmc, opts: { multi: boolean; probe: DiscProbe; log?: (l: string) => void }): Promise<FixResult> {
  const log = opts.log ?? (() => {});
  const disc = await opts.probe(mmc.drive);
  const p = checkDiscForBurn(disc, mmc.name, { fix: true });
  const open = disc.openTrack !== null || disc.lastSessionState === 'incomplete';
  if (!open) return { action: 'nothing', state: disc.status === 'complete' ? 'closed' : disc.status };
  log(`open ${disc.openTrack ? `track ${disc.openTrack.number}` : 'session'} found on the ${p.name}`);
  await waitReady(mmc, 'SYNCHRONIZE CACHE', synchronizeCache(true));
  if (reservesHeadTrack(p)) {
    // A reserved-head burn that stopped before its head: the reservation gets the
    // placeholder head (the newest session's, or an empty volume), so the closed session
    // shows the previous tree instead of an empty track.
    const tracks = await openSessionTracks(mmc);
    const last = tracks.length ? tracks[tracks.length - 1].track : 0;
    const hole = tracks.find((t) => isUnwrittenReservation(t, last));
    if (hole) {
      log(`track ${hole.track} at LBA ${hole.start} is a reservation nothing was written into: it gets the placeholder head`);
      const done = await closeSessionWithHead(mmc, p, (start) => readPlaceholder(mmc, disc, start, log), { multi: opts.multi, disc, probe: opts.probe, log });
      const after = await opts.probe(mmc.drive).catch(() => null);
      return { action: 'closed', state: after ? (after.status === 'complete' ? 'closed' : after.status) : done.closed ? 'closed' : 'appendable' };
    }
  }
  if (isCd(p) || isDvdMinus(p)) await selectWriteParameters(mmc, p, { multi: opts.multi, testWrite: false, bufe: false }, log);
  const track = disc.openTrack?.number ?? disc.nextTrack;
  if (isCd(p)) {
    // A TAO track that lost its SYNCHRONIZE CACHE is closed by it; CLOSE TRACK pads one that is not.
    await waitReady(mmc, 'CLOSE TRACK', closeTrackSession(CloseFunction.TRACK, track, true)).catch((err) => log(`CLOSE TRACK: ${(err as Error).message}`));
  }
  const closed = await closeSession(mmc, p, track, opts.multi, log);
  const after = await opts.probe(mmc.drive).catch(() => null);
  return { action: 'closed', state: after ? (after.status === 'complete' ? 'closed' : after.status) : closed ? 'closed' : 'appendable' };
}
