// The two-session commit (issue 15, docs/drive-stream.md): iso-pack's head-last stream on a
// write-once disc. Session k is one track in LBA order — a placeholder head at S..S+31 (a
// copy of the newest session's head, so mounting session k still shows the previous tree),
// then the stream's sectors S+32… as iso-pack laid them out for S — closed appendable.
// Session k+1 is the real head alone (padded to the profile's minimum track), whose
// descriptors point back into session k by absolute LBA. Writing it is the commit point:
// a stream that ends early leaves session k with the placeholder, i.e. the previous tree.
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import { placeholderHead } from '../session/placeholder-head.js';
import { MediumRefusal } from '../media/medium.js';
import type { BurnMmc } from './burn-mmc.js';
import { closeSession, selectWriteParameters, trackBlocks, waitReady, writeBlocks, type DiscForBurn, type DiscProbe } from './burn.js';
import type { ProfileInfo } from './profiles.js';
import { synchronizeCache } from './write-commands.js';

export type CommitMethod = 'plain' | 'two-session';

const isCd = (p: ProfileInfo) => p.family === 'CD';
const needsPage05 = (p: ProfileInfo) => isCd(p) || [0x11, 0x14, 0x15, 0x16].includes(p.code);

/**
 * The placeholder for a session at `nwa`: the newest session's head read back (READ TOC
 * format 1 names its start, as the kernel finds it), or the empty tree on a blank disc.
 * A disc whose newest head cannot be read is refused: an empty placeholder would hide
 * its tree if the stream were cut.
 */
export async function readPlaceholder(mmc: BurnMmc, disc: DiscForBurn, nwa: number, log: (l: string) => void): Promise<Buffer> {
  const date = Math.floor(Date.now() / 1000);
  if (disc.sessions === 0) {
    log('blank disc: the placeholder head is an empty tree');
    return placeholderHead(nwa, null, date);
  }
  let start: number;
  let prev: Buffer;
  try {
    start = (await mmc.drive.sessionInfo()).start;
    prev = await mmc.drive.read(start, HEAD_SECTORS);
  } catch (err) {
    throw new MediumRefusal(
      `cannot read the newest session's head for the placeholder (${(err as Error).message}): nothing was written; burn an image from 'iso-pack -o FILE' instead`,
    );
  }
  log(`placeholder head: a copy of the newest session's head at LBA ${start}`);
  return placeholderHead(nwa, prev, date);
}

export interface HeadSession {
  start: number;
  blocks: number;
  next: number | null;
  closed: boolean;
}

/**
 * Session k+1: the real head written at the NWA after session k, padded to the profile's
 * track minimum (CD: 300 blocks with run-out pad), then closed as the user asked.
 */
export async function burnHeadSession(
  mmc: BurnMmc,
  profile: ProfileInfo,
  head: Buffer,
  o: { multi: boolean; probe: DiscProbe; log: (l: string) => void },
): Promise<HeadSession> {
  const disc = await o.probe(mmc.drive);
  if (disc.nwa === null) throw new Error(`the drive reports no next writable address for the head session`);
  const cd = isCd(profile);
  const blocks = trackBlocks(HEAD_SECTORS, cd);
  const track = Buffer.alloc(blocks * SECTOR);
  head.copy(track, 0, 0, HEAD_SECTORS * SECTOR);
  o.log(`writing the real head as session ${disc.sessions + 1} at LBA ${disc.nwa} (${blocks} blocks)`);
  if (needsPage05(profile)) await selectWriteParameters(mmc, profile, { multi: o.multi, testWrite: false, bufe: disc.burnFree }, o.log);
  const piece = 32;
  for (let i = 0; i < blocks; i += piece) {
    const n = Math.min(piece, blocks - i);
    await writeBlocks(mmc, disc.nwa + i, n, track.subarray(i * SECTOR, (i + n) * SECTOR), disc, o.probe);
  }
  await waitReady(mmc, 'SYNCHRONIZE CACHE', synchronizeCache(true));
  const closed = await closeSession(mmc, profile, disc.nextTrack, o.multi, o.log);
  let next: number | null = null;
  if (!closed) next = (await o.probe(mmc.drive).catch(() => null))?.nwa ?? null;
  return { start: disc.nwa, blocks, next, closed };
}

/**
 * After a cut or damaged stream: session k's track is closed as it stands, with the
 * placeholder as its head (on CD padded to the 300-block minimum), and the session closed
 * appendable — the newest session then shows the previous tree and the disc takes the next
 * append. `written` blocks were written from `start`.
 */
export async function closePlaceholderSession(
  mmc: BurnMmc,
  profile: ProfileInfo,
  disc: DiscForBurn,
  start: number,
  written: number,
  log: (l: string) => void,
): Promise<void> {
  const cd = isCd(profile);
  const minimum = cd ? trackBlocks(0, true) : 0;
  if (written < minimum) {
    const zeros = Buffer.alloc(32 * SECTOR);
    for (let lba = start + written; lba < start + minimum; lba += 32) {
      const n = Math.min(32, start + minimum - lba);
      await writeBlocks(mmc, lba, n, zeros.subarray(0, n * SECTOR), disc, async () => disc);
    }
  }
  await waitReady(mmc, 'SYNCHRONIZE CACHE', synchronizeCache(true));
  if (needsPage05(profile)) await selectWriteParameters(mmc, profile, { multi: true, testWrite: false, bufe: disc.burnFree }, log);
  await closeSession(mmc, profile, disc.nextTrack, true, log);
}
