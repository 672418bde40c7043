// cd-msinfo: where the newest session of a medium starts and where the next one goes, as
// `cdrecord -msinfo` prints it (0,NEXT for emulated multi-session, LAST,NEXT from the drive
// on a disc), or its table of sessions; --scan lists the optical drives (cdrecord -scanbus).
import minimist from 'minimist';
import { statSync, writeSync } from 'node:fs';
import { AddressError, isOpticalDrive, resolveCdrecordAddress } from '../drive/address.js';
import type { DiscReport } from '../drive/disc.js';
import { MEDIA_SECTORS } from '../media/capacity.js';
import { capacityOption } from './capacity-option.js';
import { DevicePathError, normaliseCdrecordArgv, resolveDevicePath } from '../media/device-path.js';
import { EmulatedMedium } from '../media/emulated-medium.js';
import type { MediumStatus } from '../media/medium.js';
import { answeredHelpOrVersion, checkKnownOptions, lastValue, packageVersion, runTool, UsageError } from './common.js';

const TOOL = 'cd-msinfo';

const HELP = `Usage: cd-msinfo [--dev PATH | dev=PATH] [--toc | --json] [--capacity N | --media NAME]
       cd-msinfo --scan [--json]
Print LAST,NEXT for iso-pack --prev: where the newest session starts and the LBA where the
next session goes. On image files and block devices LAST is 0 (the head at LBA 0 shows the
newest session) and a blank medium gives 0,32; a missing one is an error (make one with
cd-write --create). On a disc in an optical drive both come from the drive, as cdrecord
-msinfo and xorriso compute them; a blank disc has no session to import (exit 1, like
xorriso).

  --dev PATH, dev=PATH   the medium: an image file, a block device, or an optical drive
                         (/dev/srN, /dev/sgN, cdrecord's B,T,L or ATA:B,T,L); else CDR_DEVICE
  --toc                  a table of sessions (and tracks, on a disc), the next writable
                         address, state and free space
  --json                 the same as one JSON object
  --scan, -scanbus       list the optical drives: address, device, vendor, model, revision
                         and the medium in each
  --capacity N|SIZE      capacity in sectors, or a size such as 700M, 4.7GB
  --media NAME           capacity of ${Object.keys(MEDIA_SECTORS).join(', ')}
  -msinfo                accepted (cdrecord habit); this is what cd-msinfo does anyway
  -v                     also report warnings about the medium on stderr
  --help, --version

Exit status: 0; 1 when the medium does not exist, is closed, blank (on a disc),
read-only, missing from the drive, is not an ISO 9660 medium, or its head is torn or
stale (cd-write -fix repairs it; nothing is written either way); 2 for a usage error.`;

const STRING_OPTS = ['dev', 'capacity', 'media'];
const BOOL_OPTS = ['toc', 'json', 'msinfo', 'scan', 'scanbus', 'v', 'verbose', 'help', 'version'];

function isoDate(d: Date | null): string {
  return d
    ? d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '')
    : '-';
}

function mib(sectors: number): string {
  return `${((sectors * 2048) / 1048576).toFixed(1)} MiB`;
}

function tocText(path: string, st: MediumStatus): string {
  const lines: string[] = [`medium: ${path}`];
  if (st.sessions.length) {
    const rows = st.sessions.map((s) => [String(s.number), String(s.start), String(s.size), s.volumeId, isoDate(s.date)]);
    const headers = ['session', 'start', 'size', 'volume id', 'date'];
    const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) =>
      r
        .map((c, i) => (i < 3 ? c.padStart(width[i]) : c.padEnd(width[i])))
        .join('  ')
        .trimEnd();
    lines.push(fmt(headers), ...rows.map(fmt));
  } else {
    lines.push('no sessions');
  }
  lines.push(`next writable address: ${st.next}`);
  lines.push(`state: ${st.state}`);
  if (st.capacity !== null) lines.push(`capacity: ${st.capacity} sectors (${mib(st.capacity)}), free: ${st.free} sectors (${mib(st.free ?? 0)})`);
  return lines.join('\n') + '\n';
}

function tocJson(st: MediumStatus): string {
  return (
    JSON.stringify({
      state: st.state,
      next: st.next,
      capacity: st.capacity,
      free: st.free,
      sessions: st.sessions.map((s) => ({ number: s.number, start: s.start, size: s.size, volumeId: s.volumeId, date: s.date ? s.date.toISOString() : null })),
    }) + '\n'
  );
}

async function main(): Promise<number> {
  const args = minimist(
    normaliseCdrecordArgv(
      process.argv.slice(2),
      ['dev'],
      ['msinfo', 'toc', 'json', 'dev', 'capacity', 'media', 'scan', 'scanbus', 'verbose', 'help', 'version'],
    ),
    {
      string: STRING_OPTS,
      boolean: BOOL_OPTS,
    },
  );
  if (answeredHelpOrVersion(TOOL, HELP, args)) return 0;
  checkKnownOptions(args, [...STRING_OPTS, ...BOOL_OPTS]);
  if (args._.length) throw new UsageError(`unexpected argument '${args._[0]}'`);
  if (args.toc && args.json) throw new UsageError('--toc and --json exclude each other');
  if (args.scan || args.scanbus) {
    if (args.toc || args.dev !== undefined) throw new UsageError('--scan lists every drive: it takes no --dev or --toc');
    return scan(Boolean(args.json));
  }
  const capacity = capacityOption(args);
  // cdrecord's dev=B,T,L / ATA:B,T,L names the drive at that SCSI address (sysfs maps it
  // to /dev/srN); never a file of that name.
  const given = lastValue(args.dev, 'dev') ?? process.env.CDR_DEVICE;
  let path: string;
  try {
    const mapped = given !== undefined ? resolveCdrecordAddress(given) : null;
    path = mapped ?? resolveDevicePath(given, process.env);
  } catch (err) {
    if (err instanceof DevicePathError) throw new UsageError(err.message);
    if (err instanceof AddressError) throw new Error(err.message);
    throw err;
  }
  if (isOpticalDrive(path)) {
    const done = await onDrive(path, args, capacity);
    if (done !== null) return done;
  }
  const medium = EmulatedMedium.open(path, { write: false, capacity });
  try {
    const st = medium.status();
    // A torn or stale head: say so in every form, exit 1 (the address it shows is not to be trusted).
    const problem = st.headProblem ?? null;
    if (args.v || args.verbose) for (const w of st.warnings) writeSync(2, `${TOOL}: warning: ${w}\n`);
    if (args.toc) {
      process.stdout.write(tocText(path, st) + (problem ? `problem: ${problem}\n` : ''));
      if (problem) writeSync(2, `${TOOL}: ${path}: ${problem}\n`);
      return problem ? 1 : 0;
    }
    if (args.json) {
      process.stdout.write(problem ? tocJson(st).replace(/}\n$/, `,"problem":${JSON.stringify(problem)}}\n`) : tocJson(st));
      if (problem) writeSync(2, `${TOOL}: ${path}: ${problem}\n`);
      return problem ? 1 : 0;
    }
    if (problem) throw new Error(`${path}: ${problem}`);
    if (st.state === 'closed') throw new Error(`${path} is closed (written without --multi): no session can be appended`);
    process.stdout.write(`0,${st.next}\n`);
    return 0;
  } finally {
    medium.release();
  }
}

function driveTocText(r: DiscReport): string {
  const who = r.drive ? ` (${[r.drive.vendor, r.drive.product, r.drive.revision].join(' ')})` : '';
  const lines: string[] = [`medium: ${r.device}${who}`, `profile: ${r.profile.name} (0x${r.profile.code.toString(16).padStart(4, '0')})`];
  lines.push(`disc: ${r.discStatus}, last session ${r.lastSessionState}${r.erasable ? ', erasable' : ''}`);
  const table = (headers: string[], rows: string[][], numeric: number) => {
    const width = headers.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
    const fmt = (x: string[]) =>
      x
        .map((c, i) => (i < numeric ? c.padStart(width[i]) : c.padEnd(width[i])))
        .join('  ')
        .trimEnd();
    lines.push(fmt(headers), ...rows.map(fmt));
  };
  if (r.sessions.length)
    table(
      ['session', 'start', 'size', 'volume id', 'date'],
      r.sessions.map((s) => [String(s.number), String(s.start), String(s.size), s.volumeId, isoDate(s.date)]),
      3,
    );
  else lines.push('no sessions');
  if (r.tracks.length) {
    const mode = (t: DiscReport['tracks'][number]) =>
      t.kind === 'audio' ? 'audio' : t.dataMode === 1 ? 'data, mode 1' : t.dataMode === 2 ? 'data, mode 2' : 'data';
    table(
      ['track', 'session', 'start', 'size', 'mode', 'state'],
      r.tracks.map((t) => [String(t.number), String(t.session), String(t.start), String(t.size), mode(t), t.state]),
      4,
    );
  }
  if (r.msinfo) lines.push(`msinfo: ${r.msinfo.last},${r.msinfo.next}`);
  lines.push(`next writable address: ${r.state === 'closed' ? '-' : r.next}`);
  lines.push(`state: ${r.state}`);
  if (r.capacity !== null) lines.push(`capacity: ${r.capacity} sectors (${mib(r.capacity)}), free: ${r.free ?? 0} sectors (${mib(r.free ?? 0)})`);
  return lines.join('\n') + '\n';
}

function driveJson(r: DiscReport): string {
  return (
    JSON.stringify({
      device: r.device,
      drive: r.drive,
      profile: r.profile.name,
      profileCode: r.profile.code,
      disc: r.discStatus,
      lastSession: r.lastSessionState,
      state: r.state,
      msinfo: r.msinfo ? `${r.msinfo.last},${r.msinfo.next}` : null,
      next: r.state === 'closed' ? null : r.next,
      capacity: r.capacity,
      free: r.free,
      sessions: r.sessions.map((s) => ({ number: s.number, start: s.start, size: s.size, volumeId: s.volumeId, date: s.date ? s.date.toISOString() : null })),
      tracks: r.tracks.map((t) => ({
        number: t.number,
        session: t.session,
        start: t.start,
        size: t.size,
        kind: t.kind,
        dataMode: t.dataMode,
        state: t.state,
        nextWritable: t.nextWritable,
        freeBlocks: t.freeBlocks,
      })),
      warnings: r.warnings,
    }) + '\n'
  );
}

/**
 * cd-msinfo on an optical drive. Returns null when the disc is an overwritable medium
 * (DVD+RW, DVD-RAM, BD-RE...) in a block device: then its sessions are emulated in the ISO
 * image exactly as on any block device, and the caller reads it that way.
 */
async function onDrive(path: string, args: minimist.ParsedArgs, capacity: number | null): Promise<number | null> {
  if (capacity !== null) throw new UsageError('--capacity and --media are for image files: a drive reports its own capacity');
  const { openDrive } = await import('../drive/drive.js');
  const { readDisc } = await import('../drive/disc.js');
  const { drive, inquiry } = await openDrive(path);
  let r: DiscReport;
  try {
    r = await readDisc(drive, inquiry, { taoWriteMode: true });
  } finally {
    drive.close();
  }
  if (r.profile.kind === 'overwritable' && statSync(path).isBlockDevice()) return null;
  if (args.v || args.verbose) for (const w of r.warnings) writeSync(2, `${TOOL}: warning: ${w}\n`);
  if (args.toc) {
    process.stdout.write(driveTocText(r));
    return 0;
  }
  if (args.json) {
    process.stdout.write(driveJson(r));
    return 0;
  }
  if (!r.msinfo) throw new Error(r.msinfoRefusal ?? `${path}: no multi-session information`);
  process.stdout.write(`${r.msinfo.last},${r.msinfo.next}\n`);
  return 0;
}

/** --scan: one line per drive, cdrecord -scanbus style, or a JSON list. */
async function scan(json: boolean): Promise<number> {
  const { scanDrives } = await import('../drive/scan.js');
  const drives = await scanDrives();
  if (json) {
    process.stdout.write(
      JSON.stringify(
        drives.map((d) => ({
          address: `${d.address.host},${d.address.target},${d.address.lun}`,
          hctl: `${d.address.host}:${d.address.channel}:${d.address.target}:${d.address.lun}`,
          block: d.block,
          generic: d.generic,
          vendor: d.vendor,
          model: d.model,
          revision: d.revision,
          profile: d.profile,
          state: d.state,
          note: d.note,
        })),
      ) + '\n',
    );
  } else {
    for (const d of drives) {
      const medium = d.profile ? `${d.profile}, ${d.state}` : (d.note ?? 'medium unknown');
      process.stdout.write(
        `${d.address.host},${d.address.target},${d.address.lun}\t${d.block ?? '-'}\t${d.generic ?? '-'}\t'${d.vendor}' '${d.model}' '${d.revision}'\t${medium}\n`,
      );
    }
  }
  // The JSON list may be empty; the table form says so and fails, as a scan finding nothing.
  if (!drives.length && !json) throw new Error('no optical drive found (sysfs lists no SCSI device of type 5)');
  return 0;
}

runTool(TOOL, main);
