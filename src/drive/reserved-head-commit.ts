// The reserved-head commit (issue 15, docs/drive-stream.md): iso-pack's head-last stream on
// a DVD+R or BD-R SRM as ONE session. RESERVE TRACK of 32 blocks at the NWA S makes the
// session's first track; the drive must then show it at S, 32 blocks long, and the next
// track's NWA at exactly S+32, where iso-pack laid out the data. That is checked with READ
// TRACK INFORMATION before the first data sector: a drive that answers GOOD and reserves
// nothing (cdemu in TAO) leaves the disc as it was, and the burn falls back to the
// two-session commit. The data goes into the next track, which is closed; the head goes into
// the reserved track last; then the session is closed. Until the head is written the
// reserved track is empty, so a cut stream (or cd-write -fix after a killed burn) fills it
// with the placeholder head: the session then shows the previous newest tree.
// CD keeps the two-session commit: a CD track is at least 300 blocks and TAO adds run-out
// and pregap after it, so a reservation there would move the data away from S+32.
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import type { TrackInformation } from './mmc.js';
import type { BurnMmc } from './burn-mmc.js';
import { DriveCommandError } from './burn-mmc.js';
import { closeSession, waitReady, writeBlocks, type DiscForBurn, type DiscProbe } from './burn.js';
import { Profile, type ProfileInfo } from './profiles.js';
import { CloseFunction, closeTrackSession, reserveTrack, synchronizeCache } from './write-commands.js';

/** The head's track: the system area and volume descriptors iso-pack puts at S..S+31. */
export const RESERVED_HEAD_BLOCKS = HEAD_SECTORS;

/** DVD+R, DVD+R DL and BD-R SRM: reservations whose size is exact (16- and 32-block units divide 32). */
export function reservesHeadTrack(p: ProfileInfo): boolean {
  return p.code === Profile.DVD_PLUS_R || p.code === Profile.DVD_PLUS_R_DL || p.code === Profile.BD_R_SRM;
}

/**
 * What the drive did with RESERVE TRACK, judged from what it reports afterwards:
 * `reserved` — track `headTrack` at S of exactly 32 blocks, unwritten, and track
 * `headTrack`+1 writable at S+32; `ignored` — no new track, the next track still blank and
 * writable at S (the disc is as before: the two-session commit can start at S);
 * `unexpected` — anything else (a reservation of another size, another place).
 */
export type Reservation =
  | { kind: 'reserved'; headTrack: number; dataTrack: number }
  | { kind: 'ignored'; detail: string }
  | { kind: 'unexpected'; detail: string };

export interface AfterReserve {
  /** READ DISC INFORMATION's last track in the last session. */
  lastTrack: number;
  /** READ TRACK INFORMATION of the track the reservation should be (the session's next track before it). */
  head: TrackInformation;
  /** READ TRACK INFORMATION of the track after it, when lastTrack names one. */
  next: TrackInformation | null;
}

const describe = (t: TrackInformation) =>
  `track ${t.track}: start ${t.start}, size ${t.size}, ${t.nwaValid ? `NWA ${t.nextWritable}` : 'no NWA'}${t.blank ? ', blank' : ''}${t.reserved ? ', reserved' : ''}`;

/** Pure: the judgement above for a reservation of `blocks` asked at `start` as track `track`. */
export function judgeReservation(start: number, blocks: number, track: number, after: AfterReserve): Reservation {
  const { head, next } = after;
  if (after.lastTrack === track && head.blank && head.nwaValid && head.nextWritable === start && !head.reserved)
    return { kind: 'ignored', detail: `no track was reserved (${describe(head)})` };
  const headOk = head.track === track && head.start === start && head.size === blocks && head.blank && head.nwaValid && head.nextWritable === start;
  const nextOk =
    after.lastTrack === track + 1 &&
    next !== null &&
    next.track === track + 1 &&
    next.nwaValid &&
    next.nextWritable === start + blocks &&
    next.start === start + blocks;
  if (headOk && nextOk) return { kind: 'reserved', headTrack: track, dataTrack: track + 1 };
  return {
    kind: 'unexpected',
    detail: `asked ${blocks} blocks at ${start} as track ${track}; the drive reports ${describe(head)}${next ? `; ${describe(next)}` : ''}; last track ${after.lastTrack}`,
  };
}

/**
 * RESERVE TRACK of 32 blocks at the NWA (`disc.nwa`, track `disc.nextTrack`), then READ
 * DISC/TRACK INFORMATION to see what happened. A drive that refuses the command has
 * reserved nothing; that is checked too, never assumed.
 */
export async function reserveHeadTrack(mmc: BurnMmc, disc: DiscForBurn, log: (l: string) => void): Promise<Reservation> {
  const start = disc.nwa!;
  const track = disc.nextTrack;
  let refused: string | null = null;
  try {
    await mmc.run('RESERVE TRACK', reserveTrack(RESERVED_HEAD_BLOCKS));
  } catch (err) {
    if (!(err instanceof DriveCommandError)) throw err;
    refused = err.message;
  }
  const lastTrack = (await mmc.drive.discInformation()).lastTrackInLastSession;
  const head = await mmc.drive.trackInformation('track', track);
  const next = lastTrack > track ? await mmc.drive.trackInformation('track', track + 1) : null;
  const r = judgeReservation(start, RESERVED_HEAD_BLOCKS, track, { lastTrack, head, next });
  if (refused && r.kind === 'ignored') return { kind: 'ignored', detail: `${refused}; ${r.detail}` };
  log(
    r.kind === 'reserved'
      ? `reserved track ${track} at LBA ${start} (${RESERVED_HEAD_BLOCKS} blocks) for the head; the data goes into track ${track + 1} at ${start + RESERVED_HEAD_BLOCKS}`
      : `RESERVE TRACK ${r.kind}: ${r.detail}`,
  );
  return r;
}

/** What cd-write reports: the judgement, or that the profile takes no reservation (CD, DVD-R). */
export type ReservationReport = Reservation['kind'] | 'not-for-profile';

/** The tracks of the open session, as READ DISC/TRACK INFORMATION report them. */
export async function openSessionTracks(mmc: BurnMmc): Promise<TrackInformation[]> {
  const di = await mmc.drive.discInformation();
  if (di.lastSessionState !== 'incomplete') return [];
  const out: TrackInformation[] = [];
  for (let n = di.firstTrackInLastSession; n <= di.lastTrackInLastSession; n++) out.push(await mmc.drive.trackInformation('track', n));
  return out;
}

/** A reserved track nothing was written into (the head's, until the commit or a -fix). */
export function isUnwrittenReservation(t: TrackInformation, lastTrack: number): boolean {
  return t.blank && t.nwaValid && t.nextWritable === t.start && (t.reserved || t.track < lastTrack);
}

/**
 * Closes the open session with a head in its unwritten reserved track: any written track
 * still open is closed first (the data), then `headFor(start)` is written into the
 * reservation (which must start at `expectStart` when given) and that track closed —
 * CLOSE TRACK pads what the head does not fill — then the session is closed (appendable
 * with `multi`, else finalized, as closeSession does).
 */
export async function closeSessionWithHead(
  mmc: BurnMmc,
  profile: ProfileInfo,
  headFor: (start: number) => Promise<Buffer>,
  o: { multi: boolean; disc: DiscForBurn; probe: DiscProbe; expectStart?: number; log: (l: string) => void },
): Promise<{ headStart: number; closed: boolean }> {
  await waitReady(mmc, 'SYNCHRONIZE CACHE', synchronizeCache(true));
  for (const t of await openSessionTracks(mmc)) {
    if (t.blank || !t.nwaValid) continue;
    o.log(`closing track ${t.track} (written up to LBA ${t.nextWritable - 1})`);
    await waitReady(mmc, 'CLOSE TRACK', closeTrackSession(CloseFunction.TRACK, t.track, true));
  }
  const tracks = await openSessionTracks(mmc);
  const last = tracks.length ? tracks[tracks.length - 1].track : 0;
  const reserved = tracks.filter((t) => isUnwrittenReservation(t, last));
  if (reserved.length !== 1) throw new Error(`the open session has ${reserved.length} unwritten reserved tracks, not one (${tracks.map(describe).join('; ')})`);
  const r = reserved[0];
  if (o.expectStart !== undefined && r.start !== o.expectStart) throw new Error(`the reserved track starts at LBA ${r.start}, not at ${o.expectStart}`);
  // A reservation is at least the 32 blocks asked; CLOSE TRACK pads whatever the head leaves.
  const blocks = Math.min(RESERVED_HEAD_BLOCKS, r.freeBlocks > 0 ? r.freeBlocks : RESERVED_HEAD_BLOCKS);
  const head = await headFor(r.start);
  o.log(`writing the head into reserved track ${r.track} at LBA ${r.start} (${blocks} blocks)`);
  await writeBlocks(mmc, r.start, blocks, head.subarray(0, blocks * SECTOR), { ...o.disc, nextTrack: r.track, nwa: r.start }, o.probe);
  await waitReady(mmc, 'SYNCHRONIZE CACHE', synchronizeCache(true));
  const closed = await closeSession(mmc, profile, r.track, o.multi, o.log);
  return { headStart: r.start, closed };
}
