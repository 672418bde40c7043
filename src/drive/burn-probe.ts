// What the burn asks the drive before it writes: the current profile, the disc's status,
// the next track's number, next writable address and free blocks, an open track left by
// an interrupted burn, and whether the drive does BURN-Free. Commands and decoding are
// drive.ts's and mmc.ts's; this only chooses what to ask, per profile, as libburn does.
import { DriveError, NoMediumError, type Drive } from './drive.js';
import type { DiscForBurn } from './burn.js';
import { INVISIBLE_TRACK } from './mmc.js';
import { profileInfo } from './profiles.js';

const CAPABILITIES_PAGE = 0x2a;
/** Page 2Ah byte 4 bit 7: BUF, buffer underrun free recording. */
const BUF_BYTE = 4;

const NONE: DiscForBurn = {
  profile: 0,
  status: 'other',
  lastSessionState: 'empty',
  sessions: 0,
  nextTrack: 1,
  nwa: null,
  freeBlocks: null,
  openTrack: null,
  burnFree: false,
};

export async function probeForBurn(drive: Drive): Promise<DiscForBurn> {
  let profile: number;
  let di;
  try {
    await drive.testUnitReady();
    profile = (await drive.configuration()).currentProfile;
    if (profile === 0) return { ...NONE };
    di = await drive.discInformation();
  } catch (err) {
    if (err instanceof NoMediumError) return { ...NONE };
    throw err;
  }
  const p = profileInfo(profile);
  const disc: DiscForBurn = {
    profile,
    status: di.status,
    lastSessionState: di.lastSessionState,
    // READ DISC INFORMATION counts the empty session of an appendable disc.
    sessions: di.status === 'blank' ? 0 : di.lastSessionState === 'complete' ? di.sessions : di.sessions - 1,
    nextTrack: di.lastTrackInLastSession || 1,
    nwa: null,
    freeBlocks: null,
    openTrack: null,
    burnFree: false,
  };
  if (p.kind === 'sequential' && (di.status === 'blank' || di.status === 'appendable')) {
    if (di.lastSessionState === 'incomplete') {
      // An interrupted burn: the last track of the last session is still open.
      const t = await drive.trackInformation('track', di.lastTrackInLastSession);
      if (!t.blank) disc.openTrack = { number: t.track || di.lastTrackInLastSession, nwa: t.nwaValid ? t.nextWritable : null };
    }
    const t = await drive.trackInformation('track', p.nwaBy === 'invisible' ? INVISIBLE_TRACK : di.lastTrackInLastSession);
    // Addressed by number on DVD-R/BD-R, the "next" track may be a partly written open one.
    if (!t.blank && disc.openTrack === null && t.nwaValid && p.nwaBy !== 'invisible') disc.openTrack = { number: t.track, nwa: t.nextWritable };
    disc.nextTrack = t.track || disc.nextTrack;
    disc.nwa = t.nwaValid ? t.nextWritable : null;
    disc.freeBlocks = t.freeBlocks;
    // A blank CD's first track starts at 0 after its pregap; some drives (and cdemu)
    // report the pregap's start, -150, as NWA. libburn and cdrecord write at 0.
    if (di.status === 'blank' && disc.nwa !== null && disc.nwa < 0) disc.nwa = 0;
  }
  try {
    const caps = await drive.modeSense(CAPABILITIES_PAGE);
    disc.burnFree = caps.bytes.length > BUF_BYTE && (caps.bytes[BUF_BYTE] & 0x80) !== 0;
  } catch (err) {
    if (!(err instanceof DriveError)) throw err;
  }
  return disc;
}
