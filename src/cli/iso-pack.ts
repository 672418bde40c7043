// iso-pack: a tar stream on stdin -> one ISO 9660 session (Rock Ridge + Joliet) on stdout.
import { closeSync, fstatSync, openSync, unlinkSync } from 'node:fs';
import { isatty } from 'node:tty';
import minimist from 'minimist';
import { JOLIET_LONG_MAX, JOLIET_MAX } from '../iso9660/joliet-names.js';
import { FileChecksums } from '../pack/md5.js';
import { Packer } from '../pack/packer.js';
import { type ZisofsOptions } from '../pack/zisofs-writer.js';
import { DEFAULT_BLOCK_LOG2 } from '../iso9660/zisofs.js';
import { readChunks, writeAll } from '../session/io.js';
import { SessionOutput } from '../session/output.js';
import { TarParser } from '../tar/parser.js';
import { answeredHelpOrVersion, checkKnownOptions, lastValue, packageVersion, runTool, UsageError, wantProgress } from './common.js';

const TOOL = 'iso-pack';

const HELP = `Usage: iso-pack [OPTIONS] < archive.tar > session
Turn a tar stream into one ISO 9660 session with Rock Ridge and Joliet.

Output: -o FILE, or a stdout that is a regular file or block device, gets a plain
ISO image; a stdout that is a pipe gets the head-last stream for cd-write.

  -o FILE               write a plain image to FILE
  -C, --prev LAST,NEXT  lay the session out for LBA NEXT (from cd-msinfo)
  -V, --volid ID        volume identifier (default ISOPIPE, or the tar's GNU volume label)
  -A ID                 application identifier
  -P, --publisher ID    publisher identifier
  -p, --preparer ID     data preparer identifier
      --sysid ID        system identifier (default LINUX)
  -J                    write a Joliet tree (the default)
      --no-joliet       no Joliet tree
      --joliet-long     allow Joliet names of 103 characters instead of 64
  -R                    Rock Ridge with the tar's owners and modes (the default)
  -r                    rationalized Rock Ridge: owners 0, readable by all, no write bits
  -m, --exclude GLOB    leave out files whose name or path matches GLOB (repeatable)
      --hold-back MIB   memory for data of long-named files written after the metadata (64)
  -z, --zisofs          compress regular files with zisofs (Rock Ridge ZF, as xorriso
                        -zisofs): read back uncompressed by Linux, xorriso and bsdtar;
                        files that would not shrink stay plain
      --zisofs-limit MIB  compressed bytes one file may hold in memory; larger files
                        stay plain (64)
      --md5             record MD5 checksums as xorriso -md5 on does (per file and for
                        the session's metadata), for xorriso -check_md5 and cd-verify
  -v                    report what was packed on stderr
  -q                    no warnings
      --help, --version

SOURCE_DATE_EPOCH, when set, gives the volume dates: the same tar and options give
the same bytes.`;

const STRING_OPTS = ['o', 'C', 'prev', 'V', 'volid', 'A', 'P', 'publisher', 'p', 'preparer', 'sysid', 'm', 'exclude', 'hold-back', 'zisofs-limit'];
const BOOL_OPTS = ['J', 'joliet', 'joliet-long', 'R', 'r', 'z', 'zisofs', 'md5', 'v', 'q', 'help', 'h', 'version'];
/** mkisofs spells long options with one dash. */
const SINGLE_DASH_LONG = ['joliet-long', 'volid', 'publisher', 'preparer', 'sysid', 'exclude', 'prev', 'no-joliet'];

/** -z/--zisofs (mkisofs's letter, xorriso's compress-on-the-fly meaning) and its bound. */
function zisofsOption(args: minimist.ParsedArgs): ZisofsOptions | undefined {
  const limit = lastValue(args['zisofs-limit'], 'zisofs-limit');
  if (!args.z && !args.zisofs) {
    if (limit !== undefined) throw new UsageError('--zisofs-limit needs -z');
    return undefined;
  }
  const mib = Number(limit ?? 64);
  if (!(mib > 0)) throw new UsageError('--zisofs-limit wants a number of MiB above 0');
  return { blockLog2: DEFAULT_BLOCK_LOG2, holdLimit: Math.floor(mib * 1024 * 1024) };
}

function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) => (/^-[a-z]/.test(a) && SINGLE_DASH_LONG.includes(a.slice(1)) ? '-' + a : a));
}

function parsePrev(text: string): number {
  const m = /^\s*([0-9]+)\s*,\s*([0-9]+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--prev wants LAST,NEXT (as cd-msinfo prints), not '${text}'`);
  const next = Number(m[2]);
  if (next > 0xffffffff - 64) throw new UsageError(`--prev: next writable address ${next} is out of range`);
  return next;
}

function volumeDate(): number {
  const sde = process.env.SOURCE_DATE_EPOCH;
  if (sde === undefined || sde === '') return Date.now() / 1000;
  if (!/^[0-9]+$/.test(sde)) throw new UsageError(`SOURCE_DATE_EPOCH must be a number of seconds, not '${sde}'`);
  return Number(sde);
}


function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => {
    if (typeof x !== 'string' || x === '') throw new UsageError('--exclude wants a pattern');
    return x;
  });
}

/** Raw bytes in a latin1 string, as tar names are held. */
const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

async function main(): Promise<void> {
  const args = minimist(normaliseArgv(process.argv.slice(2)), {
    string: STRING_OPTS,
    boolean: BOOL_OPTS,
    default: { joliet: true },
    alias: { h: 'help' },
  });
  if (answeredHelpOrVersion(TOOL, HELP, args)) return;
  checkKnownOptions(args, [...STRING_OPTS, ...BOOL_OPTS]);
  if (args._.length) throw new UsageError(`unexpected argument '${args._[0]}': the tar comes on stdin`);
  if (args.R && args.r) throw new UsageError('-R and -r exclude each other');
  const prev = lastValue(args.prev, 'prev') ?? lastValue(args.C, 'C');
  const start = prev === undefined ? 0 : parsePrev(prev);
  const holdBackMiB = Number(lastValue(args['hold-back'], 'hold-back') ?? 64);
  if (!(holdBackMiB >= 0)) throw new UsageError('--hold-back wants a number of MiB');
  const zisofs = zisofsOption(args);
  const date = volumeDate();
  const volid = lastValue(args.volid, 'volid') ?? lastValue(args.V, 'V');
  const identity = {
    systemId: lastValue(args.sysid, 'sysid') ?? 'LINUX',
    volumeId: volid ?? 'ISOPIPE',
    volumeSetId: '',
    publisherId: lastValue(args.publisher, 'publisher') ?? lastValue(args.P, 'P') ?? '',
    preparerId: lastValue(args.preparer, 'preparer') ?? lastValue(args.p, 'p') ?? '',
    applicationId: lastValue(args.A, 'A') ?? `ISOPIPE ${packageVersion()}`,
    date,
  };

  // Where the bytes go decides the form (DESIGN §4).
  const outPath = lastValue(args.o, 'o');
  let fd = 1;
  let createdFile: string | null = null;
  if (outPath !== undefined) {
    if (outPath === '') throw new UsageError('-o wants a file name');
    fd = openSync(outPath, 'w+'); // read back by --md5's second pass
    createdFile = fstatSync(fd).isFile() ? outPath : null;
  } else if (isatty(1)) {
    throw new UsageError('refusing to write an image to a terminal: use -o FILE or a pipe');
  }
  const st = fstatSync(fd);
  const streamFraming = !(st.isFile() || st.isBlockDevice());
  const out = new SessionOutput(fd, start, streamFraming);
  const packer = new Packer(
    {
      start, joliet: args.joliet !== false, jolietMax: args['joliet-long'] ? JOLIET_LONG_MAX : JOLIET_MAX,
      rationalize: !!args.r, identity, excludes: list(args.exclude).concat(list(args.m)).map(bytes),
      holdBackLimit: holdBackMiB * 1024 * 1024, impliedDate: Math.floor(date),
      checksums: args.md5 ? new FileChecksums() : undefined, zisofs,
    },
    out,
  );
  const progress = wantProgress(!!args.v) ? new Progress() : null;
  try {
    const parser = new TarParser(packer);
    for (const chunk of readChunks(0)) {
      parser.push(chunk);
      progress?.update(packer.counts.bytes, packer.counts.files);
    }
    parser.end();
    // iso-merge --mirror found the newest session's tree unchanged (a pax global header at
    // the end of its tar): flag the stream so that cd-write writes no session
    // (docs/stream-format.md). Not a plain image, nor a tree -m has cut.
    const unchanged = parser.globalRecords.has('ISOPIPE.unchanged') && packer.counts.excluded === 0 && out.markUnchanged();
    if (volid === undefined && packer.label) identity.volumeId = packer.label;
    const layout = packer.finish();
    for (const b of layout.body()) out.append(b);
    out.finish(layout.head(), layout.end - start);
    progress?.done();
    if (!args.q) for (const w of packer.warnings) writeAll(2, Buffer.from(`${TOOL}: warning: ${w}\n`));
    if (args.v)
      say(
        `${TOOL}: ${packer.counts.files} files, ${packer.counts.dirs} directories, ${packer.counts.bytes} bytes of data; session LBA ${start}–${layout.end - 1} (${layout.end - start} sectors)\n`,
      );
    if (args.v && zisofs) say(`${TOOL}: zisofs: ${packer.counts.compressed} file(s) compressed to ${packer.counts.compressedBytes} bytes\n`);
    if (args.v && unchanged) say(`${TOOL}: nothing changed since the newest session: the stream is marked so that cd-write writes none\n`);
  } catch (err) {
    progress?.done();
    if (createdFile) {
      closeSync(fd);
      unlinkSync(createdFile);
    }
    throw err;
  }
  if (outPath !== undefined) closeSync(fd);
}

class Progress {
  private last = 0;
  private readonly t0 = Date.now();

  update(bytes: number, files: number): void {
    const now = Date.now();
    if (now - this.last < 1000) return;
    this.last = now;
    const mb = bytes / 1e6;
    const rate = mb / Math.max(0.001, (now - this.t0) / 1000);
    writeAll(2, Buffer.from(`\r${TOOL}: ${mb.toFixed(0)} MB, ${files} files, ${rate.toFixed(0)} MB/s   `));
  }

  done(): void {
    if (this.last) writeAll(2, Buffer.from('\n'));
  }
}

/** stderr written synchronously: the packing loop never yields to the event loop. */
function say(text: string): void {
  writeAll(2, Buffer.from(text));
}

runTool(TOOL, main);
