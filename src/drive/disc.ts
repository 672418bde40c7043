// What is on the disc in a drive, read the way cdrecord and libburn read it: the profile from
// GET CONFIGURATION, the state from READ DISC INFORMATION, tracks from READ TRACK INFORMATION
// (starts from the TOC on CD), sessions grouped from the tracks, and msinfo's LAST,NEXT:
//   LAST = start of the first track of the last complete session
//          (CD: READ TOC format 1, as cdrecord/wodim; elsewhere from the track list, as libburn);
//   NEXT = the next writable address READ TRACK INFORMATION reports for the next track
//          (the invisible track 0xFF on CD and DVD+R; the last track in the last session on
//          DVD-R sequential and BD-R, where MMC-5 does not define 0xFF).
import { decodeVolumeDescriptor, isPrimaryDescriptor } from '../iso9660/volume-descriptor.js';
import type { MediumSession, MediumState, MediumStatus } from '../media/medium.js';
import { DriveError, type Drive } from './drive.js';
import { INVISIBLE_TRACK, LEAD_OUT_TRACK, type DiscInformation, type Inquiry, type SessionState, type TrackInformation } from './mmc.js';
import { profileInfo, type ProfileInfo } from './profiles.js';
import {
  WRITE_PARAMETERS_PAGE,
  WriteType,
  decodeWriteParametersPage,
  encodeWriteParametersPage,
  modeSelect10,
  modeSelectParameterList,
} from './write-commands.js';

export type TrackState = 'complete' | 'open' | 'blank' | 'reserved' | 'damaged';

export interface DiscTrack {
  number: number;
  session: number;
  /** LBA of the track's first user sector (the TOC's start on CD, after the pregap). */
  start: number;
  /** Sectors from start to the track's end. */
  size: number;
  /** 'data' when the CONTROL nibble says so (bit 2), else 'audio'. */
  kind: 'data' | 'audio';
  /** Track mode nibble and data mode as READ TRACK INFORMATION reports them. */
  trackMode: number;
  dataMode: number;
  state: TrackState;
  nextWritable: number | null;
  freeBlocks: number;
}

export interface DiscReport extends MediumStatus {
  device: string;
  drive: { vendor: string; product: string; revision: string } | null;
  profile: ProfileInfo;
  /** READ DISC INFORMATION's disc status and last session state. */
  discStatus: DiscInformation['status'];
  lastSessionState: SessionState;
  erasable: boolean;
  /** Every recorded track, and the open/blank next one last when the disc is appendable. */
  tracks: DiscTrack[];
  /** cdrecord -msinfo's two numbers, or null with `msinfoRefusal` saying why. */
  msinfo: { last: number; next: number } | null;
  msinfoRefusal: string | null;
}

function trackState(ti: TrackInformation): TrackState {
  if (ti.damage) return 'damaged';
  if (ti.reserved && ti.blank) return 'reserved';
  if (ti.blank) return 'blank';
  // A track still taking writes: an open (incomplete) track of an interrupted or running burn.
  if (ti.nwaValid) return 'open';
  return 'complete';
}

export interface ReadDiscOptions {
  /**
   * On an appendable CD, put the drive in TAO write mode (mode page 05h) before asking for
   * the NWA, as cdrecord, wodim and xorriso do for -msinfo: in SAO mode a drive reports the
   * NWA of the next track's pregap, 150 sectors early (cdemu does, after cdrskin -msinfo).
   * Only the write type changes, and only when it is not TAO already.
   */
  taoWriteMode?: boolean;
}

/** Mode page 05h's write type set to TAO, the rest of the page as the drive had it. */
async function ensureTaoWriteMode(drive: Drive, warnings: string[]): Promise<void> {
  try {
    const page = await drive.modeSense(WRITE_PARAMETERS_PAGE);
    const wp = decodeWriteParametersPage(page.bytes);
    if (wp.writeType === WriteType.TAO) return;
    const list = modeSelectParameterList(encodeWriteParametersPage({ ...wp, writeType: WriteType.TAO }, wp.pageLength));
    await drive.command('MODE SELECT(10)', modeSelect10(list.length), { direction: 'out', data: list });
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    warnings.push(`could not set the drive's write mode to TAO: ${err.message}`);
  }
}

/** Reads the disc's state; NoMediumError without one. */
export async function readDisc(drive: Drive, inquiry: Inquiry | null = null, opts: ReadDiscOptions = {}): Promise<DiscReport> {
  const warnings: string[] = [];
  await drive.testUnitReady();
  let profile: ProfileInfo;
  try {
    profile = profileInfo((await drive.configuration()).currentProfile);
  } catch (err) {
    // MMC-1 drives answer GET CONFIGURATION with invalid opcode; libburn then guesses from
    // READ DISC INFORMATION. A CD drive is the only kind that old.
    if (!(err instanceof DriveError) || !err.sense) throw err;
    profile = profileInfo(0);
    warnings.push(`the drive does not report its medium's profile (${err.message})`);
  }
  const di = await drive.discInformation();
  const isCd = profile.family === 'CD' || (profile.code === 0 && di.discType !== 0xff);

  // CD: the TOC gives the start of each track's user data. Drives (and cdemu) count a TAO
  // track's 150-sector pregap into READ TRACK INFORMATION's start, so prefer the TOC's.
  const tocStart = new Map<number, number>();
  if (isCd && di.status !== 'blank') {
    try {
      for (const t of (await drive.toc()).tracks) if (t.track !== LEAD_OUT_TRACK) tocStart.set(t.track, t.start);
    } catch (err) {
      if (!(err instanceof DriveError)) throw err;
      warnings.push(`READ TOC failed: ${err.message}`);
    }
  }

  const tracks: DiscTrack[] = [];
  const last = Math.max(di.lastTrackInLastSession, di.firstTrack);
  for (let n = di.firstTrack || 1; n <= last; n++) {
    let ti: TrackInformation;
    try {
      ti = await drive.trackInformation('track', n);
    } catch (err) {
      if (!(err instanceof DriveError) || !err.sense) throw err;
      warnings.push(`READ TRACK INFORMATION of track ${n} failed: ${err.message}`);
      continue;
    }
    // A blank next track starts at its NWA: its RTI start may include the pregap (cdemu).
    const start = tocStart.get(n) ?? (ti.blank && ti.nwaValid && ti.nextWritable > ti.start ? ti.nextWritable : ti.start);
    const end = ti.start + ti.size;
    tracks.push({
      number: ti.track || n,
      session: ti.session,
      start,
      size: ti.blank ? ti.size - (start - ti.start) : Math.max(0, end - start),
      kind: ti.trackMode & 0x04 ? 'data' : 'audio',
      trackMode: ti.trackMode,
      dataMode: ti.dataMode,
      state: trackState(ti),
      nextWritable: ti.nwaValid ? ti.nextWritable : null,
      freeBlocks: ti.freeBlocks,
    });
  }

  const written = tracks.filter((t) => t.state !== 'blank' && t.state !== 'reserved');
  // The open session of an appendable disc is "the last session" READ DISC INFORMATION counts.
  const completeSessions = di.lastSessionState === 'complete' ? di.sessions : di.sessions - 1;
  const sessions: MediumSession[] = [];
  for (const t of written) {
    if (t.state !== 'complete' && t.session > completeSessions) continue;
    let s = sessions.find((x) => x.number === t.session);
    if (!s) sessions.push((s = { number: t.session, start: t.start, size: 0, volumeId: '', date: null }));
    s.size = t.start + t.size - s.start;
  }
  for (const t of tracks) {
    if (t.state === 'damaged') warnings.push(`track ${t.number} (session ${t.session}) is damaged: a burn was interrupted; cd-write -fix closes it`);
    else if (t.state === 'open' && t.session <= completeSessions) warnings.push(`track ${t.number} (session ${t.session}) is still open`);
  }
  if (di.lastSessionState === 'incomplete' && written.some((t) => t.session === di.sessions)) {
    warnings.push(`session ${di.sessions} is incomplete (an interrupted burn): cd-write -fix closes it`);
  }

  // The ISO volume of each session: its name, date and size (xorriso lists the same).
  for (const s of sessions) {
    try {
      const pvd = await drive.read(s.start + 16, 1);
      if (isPrimaryDescriptor(pvd)) {
        const vd = decodeVolumeDescriptor(pvd);
        s.volumeId = vd.volumeId;
        s.date = vd.created;
        // The volume's own size, not the track's (padding, 16-sector DVD rounding), as
        // xorriso -toc lists it. xorriso writes it session-relative; mkisofs -C counts from
        // LBA 0: take whichever fits inside the track.
        const vss = vd.volumeSpaceSize;
        if (vss > 0 && vss <= s.size) s.size = vss;
        else if (vss > s.start && vss - s.start <= s.size) s.size = vss - s.start;
      }
    } catch (err) {
      if (!(err instanceof DriveError) && !(err instanceof Error && /volume descriptor/.test(err.message))) throw err;
      warnings.push(`session ${s.number}: no readable volume descriptor at ${s.start + 16}`);
    }
  }

  let state: MediumState;
  if (profile.kind === 'rom' || di.status === 'complete') state = 'closed';
  else if (di.status === 'blank') state = 'blank';
  else state = 'appendable';

  // The next track: NWA and free blocks from READ TRACK INFORMATION, addressed as libburn does.
  let next: number | null = null;
  let free: number | null = null;
  let nextTrack: TrackInformation | null = null;
  if (state !== 'closed' && profile.kind !== 'overwritable') {
    if (opts.taoWriteMode && isCd && state === 'appendable') await ensureTaoWriteMode(drive, warnings);
    try {
      nextTrack = await drive.trackInformation('track', profile.nwaBy === 'last-track' ? di.lastTrackInLastSession : INVISIBLE_TRACK);
    } catch (err) {
      if (!(err instanceof DriveError) || !err.sense) throw err;
      warnings.push(`READ TRACK INFORMATION of the next track failed: ${err.message}`);
    }
    if (nextTrack?.nwaValid) {
      // Some drives (and cdemu) report -150 on a blank CD: libburn clamps to the track start.
      next = Math.max(nextTrack.nextWritable, state === 'blank' ? Math.max(0, nextTrack.start) : nextTrack.nextWritable);
      free = nextTrack.freeBlocks;
    }
  }

  let lastStart: number | null = null;
  if (state === 'appendable' && sessions.length) {
    if (isCd) {
      try {
        lastStart = (await drive.sessionInfo()).start;
      } catch (err) {
        if (!(err instanceof DriveError)) throw err;
        warnings.push(`READ TOC format 1 failed: ${err.message}`);
      }
    }
    lastStart ??= sessions[sessions.length - 1].start;
  }

  let msinfoRefusal: string | null = null;
  if (profile.kind === 'rom') msinfoRefusal = `${drive.name} holds a read-only ${profile.name} disc: not writable`;
  else if (profile.kind === 'overwritable')
    msinfoRefusal = `${drive.name} holds ${profile.name}, an overwritable medium: its sessions are emulated in the ISO image`;
  else if (state === 'closed') msinfoRefusal = `${drive.name} holds a closed disc (written without -multi): no session can be appended`;
  else if (state === 'blank') msinfoRefusal = `${drive.name} holds a blank disc: there is no session to import (burn the first session without --prev)`;
  else if (next === null) msinfoRefusal = `${drive.name}: the drive reports no next writable address (an open or damaged track? cd-write -fix closes it)`;
  else if (lastStart === null) msinfoRefusal = `${drive.name}: the appendable disc lists no complete session`;

  const capacity = next !== null && free !== null ? next + free : state === 'closed' ? tracks.reduce((m, t) => Math.max(m, t.start + t.size), 0) : null;
  return {
    device: drive.name,
    drive: inquiry ? { vendor: inquiry.vendor, product: inquiry.product, revision: inquiry.revision } : null,
    profile,
    discStatus: di.status,
    lastSessionState: di.lastSessionState,
    erasable: di.erasable,
    tracks,
    msinfo: msinfoRefusal === null ? { last: lastStart!, next: next! } : null,
    msinfoRefusal,
    state,
    next: next ?? capacity ?? 0,
    capacity,
    free: state === 'closed' ? 0 : free,
    sessions,
    warnings,
    damage: tracks.some((t) => t.state === 'damaged') ? 'a damaged track (interrupted burn)' : null,
  };
}
