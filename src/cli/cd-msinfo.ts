// cd-msinfo: where the newest session of a medium starts and where the next one goes, as
// `cdrecord -msinfo` prints it (0,NEXT for emulated multi-session), or its table of sessions.
import minimist from 'minimist';
import { writeSync } from 'node:fs';
import { MEDIA_SECTORS } from '../media/capacity.js';
import { capacityOption } from './capacity-option.js';
import { DevicePathError, normaliseCdrecordArgv, resolveDevicePath } from '../media/device-path.js';
import { EmulatedMedium } from '../media/emulated-medium.js';
import type { MediumStatus } from '../media/medium.js';
import { answeredHelpOrVersion, checkKnownOptions, lastValue, packageVersion, runTool, UsageError } from './common.js';

const TOOL = 'cd-msinfo';

const HELP = `Usage: cd-msinfo [--dev PATH | dev=PATH] [--toc | --json] [--capacity N | --media NAME]
Print LAST,NEXT for iso-pack --prev: where the newest session starts (0 on image files
and block devices, whose head at LBA 0 shows the newest session) and the LBA where the
next session goes. A blank medium gives 0,32; a missing one is an error (make one
with cd-write --create).

  --dev PATH, dev=PATH   the medium: an image file or a block device (else CDR_DEVICE)
  --toc                  a table of sessions, the next writable address, state and free space
  --json                 the same as one JSON object
  --capacity N|SIZE      capacity in sectors, or a size such as 700M, 4.7GB
  --media NAME           capacity of ${Object.keys(MEDIA_SECTORS).join(', ')}
  -msinfo                accepted (cdrecord habit); this is what cd-msinfo does anyway
  -v                     also report warnings about the medium on stderr
  --help, --version

Exit status: 0; 1 when the medium does not exist, is closed, is not an ISO 9660
medium, or its head is torn or stale (cd-write -fix repairs it; nothing is written
either way); 2 for a usage error.`;

const STRING_OPTS = ['dev', 'capacity', 'media'];
const BOOL_OPTS = ['toc', 'json', 'msinfo', 'v', 'verbose', 'help', 'version'];



function isoDate(d: Date | null): string {
  return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') : '-';
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
    const fmt = (r: string[]) => r.map((c, i) => (i < 3 ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
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
  const args = minimist(normaliseCdrecordArgv(process.argv.slice(2), ['dev'], ['msinfo', 'toc', 'json', 'dev', 'capacity', 'media', 'verbose', 'help', 'version']), {
    string: STRING_OPTS,
    boolean: BOOL_OPTS,
  });
  if (answeredHelpOrVersion(TOOL, HELP, args)) return 0;
  checkKnownOptions(args, [...STRING_OPTS, ...BOOL_OPTS]);
  if (args._.length) throw new UsageError(`unexpected argument '${args._[0]}'`);
  if (args.toc && args.json) throw new UsageError('--toc and --json exclude each other');
  const capacity = capacityOption(args);
  let path: string;
  try {
    path = resolveDevicePath(lastValue(args.dev, 'dev'), process.env);
  } catch (err) {
    if (err instanceof DevicePathError) throw new UsageError(err.message);
    throw err;
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

runTool(TOOL, main);
