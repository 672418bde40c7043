// Erasing and formatting rewritable discs: BLANK (cdrecord blank=fast|all) for CD-RW and
// DVD-RW, FORMAT UNIT for DVD+RW (full format, 26h) and BD-RE (with spare areas, 30h), each
// sent with Immed and then polled with TEST UNIT READY, whose not-ready sense carries the
// drive's progress (SKSV). CDBs and parameter lists are write-commands.ts's.
import { type BurnMmc, DriveCommandError, DriveGoneError, LONG_TIMEOUT_MS, realSleep, type Sleep } from './burn-mmc.js';
import { MediumRefusal } from '../media/medium.js';
import { currentProfile, formatCapacities } from './overwritable.js';
import { Profile, type ProfileInfo } from './profiles.js';
import { classifySense, decodeSense, describeSense } from './sense.js';
import { FormatType, blank, formatParameterList, formatUnit, testUnitReady, type FormattableCapacity } from './write-commands.js';

export type BlankKind = 'fast' | 'all';

/** An erase or format that failed after its command was sent: the message says what the disc holds. */
export class EraseError extends Error {
  override name = 'EraseError';
}

export interface EraseOptions {
  log?: (line: string) => void;
  /** Progress 0..1 when the drive reports it, and the seconds since the command. */
  onProgress?: (fraction: number | null, seconds: number) => void;
  sleep?: Sleep;
  /** Between TEST UNIT READY polls (default 1 s, as cdrecord and libburn poll). */
  pollMs?: number;
  /** How long to wait for the drive in all (default an hour: blank=all of a DVD-RW at 1x). */
  budgetMs?: number;
}

const BLANKABLE = new Set<number>([Profile.CD_RW, Profile.DVD_RW_RESTRICTED, Profile.DVD_RW_SEQUENTIAL]);
const DVD_PLUS_RW = new Set<number>([Profile.DVD_PLUS_RW, Profile.DVD_PLUS_RW_DL]);
/** After this many unit attentions in a row the drive is not settling: give up. */
const MAX_ATTENTIONS = 5;

/** Why `blank=kind` may not run on this disc, or null when it may. */
export function blankRefusal(profile: ProfileInfo | null, kind: BlankKind, name: string): string | null {
  if (profile === null) return `no disc in ${name}: insert a CD-RW or DVD-RW to blank`;
  if (profile.kind === 'rom') return `the disc in ${name} is a ${profile.name} (read-only): it cannot be blanked`;
  if (BLANKABLE.has(profile.code)) {
    // A minimally blanked DVD-RW takes a single DAO session only: no incremental track, no
    // multi-session, which is all cd-write writes.
    if (kind === 'fast' && profile.code !== Profile.CD_RW)
      return `blank=fast on a ${profile.name} leaves a disc that takes one DAO session only, which cd-write does not write: use blank=all; nothing was done`;
    return null;
  }
  if (profile.kind === 'overwritable') {
    const fmt = DVD_PLUS_RW.has(profile.code) || profile.code === Profile.BD_RE ? ' (--format formats it)' : '';
    return `the disc in ${name} is a ${profile.name}: overwritable media are never blanked, cd-write writes over them in place${fmt}; nothing was done`;
  }
  return `the disc in ${name} is a ${profile.name}, a write-once medium: it cannot be blanked; nothing was done`;
}

/**
 * Waits for an Immed BLANK or FORMAT UNIT to finish: TEST UNIT READY until GOOD, reporting
 * the progress the drive puts in its not-ready sense. Unit attentions (the drive saying the
 * medium changed as it was rewritten) are taken and asked again.
 */
export async function pollUntilReady(mmc: BurnMmc, opts: EraseOptions = {}): Promise<void> {
  const sleep = opts.sleep ?? realSleep;
  const pollMs = opts.pollMs ?? 1000;
  const budget = opts.budgetMs ?? LONG_TIMEOUT_MS;
  let waited = 0;
  let attentions = 0;
  for (;;) {
    const reply = await mmc.transport.execute({ cdb: testUnitReady(), direction: 'none', timeoutMs: 30_000 });
    if (reply.transportError) throw new DriveGoneError('TEST UNIT READY', reply.transportError);
    if (reply.status === 0) return;
    const sense = reply.status === 2 ? decodeSense(reply.sense) : null;
    if (sense) {
      const cls = classifySense(sense);
      if (cls === 'recovered') return;
      if (sense.key === 0x6) {
        if (++attentions > MAX_ATTENTIONS) throw new DriveCommandError('TEST UNIT READY', sense, reply.status);
        continue;
      }
      if (cls !== 'retry') throw new DriveCommandError('TEST UNIT READY', sense, reply.status);
      attentions = 0;
      opts.onProgress?.(sense.progress === null ? null : sense.progress / 65536, waited / 1000);
    } else if (reply.status !== 8) throw new DriveCommandError('TEST UNIT READY', null, reply.status);
    if (waited >= budget) throw new Error(`the drive was still busy after ${Math.round(budget / 1000)} s${sense ? ` (${describeSense(sense)})` : ''}`);
    await sleep(pollMs);
    waited += pollMs;
  }
}

export interface EraseResult {
  profile: string;
  seconds: number;
}

/** cdrecord blank=fast|all: BLANK with Immed, then polled until the drive is ready. */
export async function blankDisc(mmc: BurnMmc, kind: BlankKind, opts: EraseOptions = {}): Promise<EraseResult> {
  const t0 = Date.now();
  const profile = await currentProfile(mmc.drive);
  const why = blankRefusal(profile, kind, mmc.name);
  if (why) throw new MediumRefusal(why);
  const p = profile!;
  opts.log?.(`blanking the ${p.name} (${kind === 'all' ? 'the whole disc' : 'minimal: table of contents and PMA'})`);
  try {
    await mmc.run('BLANK', blank(kind, true), { timeoutMs: 60_000 });
  } catch (err) {
    // Refused before it started (the drive said so): the disc is as it was.
    if (err instanceof DriveCommandError) throw new EraseError(`blank=${kind} on the ${p.name} in ${mmc.name}: ${err.message}; the disc is as it was`);
    throw new EraseError(`blank=${kind} on the ${p.name} in ${mmc.name}: ${(err as Error).message}; the state of the disc is unknown: run blank=${kind} again`);
  }
  await pollOrExplain(mmc, opts, `blank=${kind} on the ${p.name} in ${mmc.name}`, `it is neither blank nor what it held: run blank=${kind} again`);
  return { profile: p.name, seconds: (Date.now() - t0) / 1000 };
}

export interface FormatResult extends EraseResult {
  action: 'formatted' | 'nothing';
  /** The format sent: type and blocks. */
  format: FormattableCapacity | null;
  /** DVD+RW: the drive goes on formatting in the background (the disc is usable already). */
  background: boolean;
}

/** The format this toolkit sends for the profile: DVD+RW full (26h), BD-RE with spare areas (30h). */
function wantedFormat(profile: ProfileInfo, name: string): number {
  if (DVD_PLUS_RW.has(profile.code)) return FormatType.DVD_PLUS_RW;
  if (profile.code === Profile.BD_RE) return FormatType.BD_RE_WITH_SPARE;
  if (profile.kind === 'rom') throw new MediumRefusal(`the disc in ${name} is a ${profile.name} (read-only): it cannot be formatted`);
  if (profile.code === Profile.DVD_RAM)
    throw new MediumRefusal(`the disc in ${name} is a DVD-RAM: it comes formatted and cd-write writes it as it is; nothing was done`);
  if (BLANKABLE.has(profile.code))
    throw new MediumRefusal(`the disc in ${name} is a ${profile.name}: it is erased with blank=all, not formatted; nothing was done`);
  throw new MediumRefusal(`the disc in ${name} is a ${profile.name}: cd-write formats DVD+RW and BD-RE only; nothing was done`);
}

/**
 * Formats a DVD+RW or BD-RE with the descriptor the drive lists for it (READ FORMAT
 * CAPACITIES): FORMAT UNIT with Immed, then polled. A disc already formatted is left alone
 * unless `force`.
 */
export async function formatDisc(mmc: BurnMmc, opts: EraseOptions & { force?: boolean } = {}): Promise<FormatResult> {
  const t0 = Date.now();
  const profile = await currentProfile(mmc.drive);
  if (profile === null) throw new MediumRefusal(`no disc in ${mmc.name}: insert a DVD+RW or BD-RE to format`);
  const type = wantedFormat(profile, mmc.name);
  const caps = await formatCapacities(mmc.drive);
  if (!caps) throw new MediumRefusal(`the drive ${mmc.name} lists no formats for the ${profile.name} (READ FORMAT CAPACITIES refused): nothing was done`);
  if (caps.current.state === 'formatted' && !opts.force) return { action: 'nothing', profile: profile.name, seconds: 0, format: null, background: false };
  const chosen = caps.formats.find((f) => f.formatType === type);
  if (!chosen) {
    const offered = caps.formats.map((f) => `${f.formatType.toString(16).padStart(2, '0')}h`).join(', ') || 'none';
    throw new MediumRefusal(
      `the drive ${mmc.name} does not offer format ${type.toString(16)}h for the ${profile.name} (it lists: ${offered}); nothing was done`,
    );
  }
  // 26h's type-dependent bytes are reserved; 30h's carry the spare size the drive listed.
  const param = type === FormatType.DVD_PLUS_RW ? 0 : chosen.typeDependent;
  opts.log?.(`formatting the ${profile.name}: format ${type.toString(16)}h, ${chosen.blocks} blocks${param ? `, parameter ${param.toString(16)}h` : ''}`);
  const what = `--format of the ${profile.name} in ${mmc.name}`;
  try {
    await mmc.run('FORMAT UNIT', formatUnit(), { data: formatParameterList(type, chosen.blocks, param, true), timeoutMs: 60_000 });
  } catch (err) {
    if (err instanceof DriveCommandError) throw new EraseError(`${what}: ${err.message}; the disc is as it was`);
    throw new EraseError(`${what}: ${(err as Error).message}; the state of the disc is unknown: run --format again`);
  }
  await pollOrExplain(mmc, opts, what, 'it is not fully formatted: run --format --force again');
  let background = false;
  try {
    background = (await mmc.drive.discInformation()).backgroundFormat === 2;
  } catch {
    // only for the message
  }
  return { action: 'formatted', profile: profile.name, seconds: (Date.now() - t0) / 1000, format: { ...chosen, typeDependent: param }, background };
}

/** Polls; a failure becomes one line naming the job, the drive's answer and the disc's state. */
async function pollOrExplain(mmc: BurnMmc, opts: EraseOptions, what: string, state: string): Promise<void> {
  try {
    await pollUntilReady(mmc, opts);
  } catch (err) {
    if (err instanceof DriveGoneError) throw new EraseError(`${what}: ${err.message}; the state of the disc is unknown, ${state}`);
    throw new EraseError(`${what}: ${(err as Error).message}; ${state}`);
  }
}
