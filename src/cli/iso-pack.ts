// iso-pack: a tar stream on stdin -> one ISO 9660 session (Rock Ridge + Joliet) on stdout.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { JOLIET_LONG_MAX, JOLIET_MAX } from '../iso9660/joliet-names.js';
import { FileChecksums } from '../pack/md5.js';
import type { SessionLayout } from '../pack/layout.js';
import { Packer } from '../pack/packer.js';
import type { ZisofsOptions } from '../pack/zisofs-writer.js';
import { bootPlan } from './boot-options.js';
import { DEFAULT_BLOCK_LOG2 } from '../iso9660/zisofs.js';
import { writeAll } from '../session/io.js';
import { tarChunks } from '../tar/input.js';
import { SessionOutput, type SessionSink } from '../session/output.js';
import type { Compression } from '../tar/compression.js';
import { type TarEntry, TarParser, type TarSink } from '../tar/parser.js';
import {
  allOf,
  answerHelpOrVersion,
  fileError,
  has,
  lastOf,
  packageVersion,
  type ParsedOptions,
  parseOptions,
  RefusedOption,
  runTool,
  safeText,
  UsageError,
  wantProgress,
  messageLine,
} from './common.js';
import { ISO_PACK_OPTIONS } from './iso-pack-options.js';
import type { Image } from '../image/image.js';
import type { MergeFeed } from './merge-feed.js';
import { openOutputFile, type OutputFile } from './output-file.js';
import { Progress } from './progress.js';
import { isUnchanged } from '../tar/isopipe-records.js';

const TOOL = 'iso-pack';

const HELP = `Usage: iso-pack [OPTIONS] < archive.tar > session
Turn a tar stream into one ISO 9660 session with Rock Ridge and Joliet.

Output: -o FILE, or a stdout that is a regular file or block device, gets a plain
ISO image; a stdout that is a pipe gets the head-last stream for cd-write, or with
-o - a plain image in LBA order (the tar is then read twice: stdin must be a file).
Options are spelled as mkisofs spells them, with one dash or two.

  -o FILE               write a plain image to FILE; -o -: to stdout, even a pipe
                        (for cd-write on a drive, wodim -, dd; reads a tar file twice)
  -C, -prev LAST,NEXT   lay the session out for LBA NEXT (from cd-msinfo)
  -M, -prev-session DEV show the files of DEV's newest session too (as iso-merge does);
                        needs -C
  -print-size           read the tar and print the session's size in sectors; write nothing
  -V, -volid ID         volume identifier (default ISOPIPE, or the tar's GNU volume label)
  -A, -appid ID         application identifier
  -P, -publisher ID     publisher identifier
  -p, -preparer ID      data preparer identifier
  -sysid ID             system identifier (default LINUX)
  -volset ID            volume set identifier
  -J, -joliet           write a Joliet tree (the default)
  -no-joliet            no Joliet tree
  -joliet-long          allow Joliet names of 103 characters instead of 64
  -R, -rock             Rock Ridge with the tar's owners and modes (the default)
  -r, -rational-rock    rationalized Rock Ridge: owners 0, readable by all, no write bits
  -uid N, -gid N        owner and group of every entry
  -file-mode M, -dir-mode M  octal mode of every regular file / directory
  -m, -x, -exclude GLOB leave out files whose name or path matches GLOB (repeatable)
  -exclude-list FILE    the same with one GLOB per line of FILE
  -md5, --md5           record MD5 checksums as xorriso -md5 on does (per file and for
                        the session's metadata), for xorriso -check_md5 and cd-verify
  -hold-back MIB        memory for data of long-named files written after the metadata (64)
  -z, -zisofs           compress regular files with zisofs (Rock Ridge ZF, as xorriso
                        -zisofs): read back uncompressed by Linux, xorriso and bsdtar;
                        files that would not shrink stay plain
  -zisofs-limit MIB     compressed bytes one file may hold in memory; larger files
                        stay plain (64)
  -b FILE               BIOS boot image (El Torito), a file of the tar; with
                        -no-emul-boot, -boot-load-size N, -boot-info-table
  -e FILE               EFI boot image (a FAT image in the tar), platform 0xEF
  -c FILE               where the boot catalog goes in the tree (hidden without -c)
  -eltorito-alt-boot    start the next boot entry
  -isohybrid-mbr FILE   MBR (isohdpfx.bin) so the image boots as a disk (USB stick)
  -v, -verbose          report what was packed on stderr
  -q, -quiet            no warnings, no progress
  -help, -version

Accepted and ignored: -l -L -D -N -d -U -allow-lowercase -allow-multidot -graft-points
-pad -no-pad -input-charset utf-8 -iso-level 3 and more; options iso-pack cannot honour
(-hide, -f, -G, -isohybrid-mbr, -T, ...) are refused with what to do instead: see iso-pack(1).

SOURCE_DATE_EPOCH, when set, gives the volume dates: the same tar and options give
the same bytes.`;

/** -z/--zisofs (mkisofs's letter, xorriso's compress-on-the-fly meaning) and its bound. */
function zisofsOption(args: ParsedOptions): ZisofsOptions | undefined {
  const limit = lastOf(args, 'zisofs-limit');
  if (!has(args, 'z')) {
    if (limit !== undefined) throw new UsageError('--zisofs-limit needs -z');
    return undefined;
  }
  const mib = Number(limit ?? 64);
  if (!(mib > 0)) throw new UsageError('--zisofs-limit wants a number of MiB above 0');
  return { blockLog2: DEFAULT_BLOCK_LOG2, holdLimit: Math.floor(mib * 1024 * 1024) };
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

/** Raw bytes in a latin1 string, as tar names are held. */
const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

async function main(): Promise<void> {
  const args = parseOptions(process.argv.slice(2), ISO_PACK_OPTIONS);
  if (answerHelpOrVersion(TOOL, HELP, args)) return;
  if (args.operands.length) throw new UsageError(`unexpected argument '${safeText(args.operands[0])}': the tar comes on stdin (iso-pack takes no path list)`);
  if (has(args, 'R') && has(args, 'r')) throw new UsageError('-R and -r exclude each other');
  checkCharset(args, 'input-charset', 'convert the names first (convmv -f CHARSET -t utf-8, or tar --transform)');
  checkCharset(args, 'output-charset', 'Rock Ridge names are written as the bytes the tar holds');
  const level = lastOf(args, 'iso-level');
  if (level !== undefined && level !== '2' && level !== '3')
    throw new RefusedOption(
      `-iso-level ${safeText(level)}: iso-pack writes ISO 9660 level 3 (names of up to 31 characters, files of 4 GiB and more in several extents); levels 2 and 3 are accepted`,
    );
  const prev = lastOf(args, 'prev');
  const start = prev === undefined ? 0 : parsePrev(prev);
  const mergeDev = lastOf(args, 'merge');
  if (mergeDev !== undefined && prev === undefined)
    throw new UsageError(`${args.spelled.get('merge')} needs -C LAST,NEXT too (from cd-msinfo): the new session goes after the old one`);
  const boot = bootPlan(args, start);
  const holdBackMiB = Number(lastOf(args, 'hold-back') ?? 64);
  if (!(holdBackMiB >= 0)) throw new UsageError('--hold-back wants a number of MiB');
  const zisofs = zisofsOption(args);
  const overrides = attributeOverrides(args);
  if (overrides && has(args, 'r')) throw new RefusedOption('-r sets owners and modes itself: use -R with -uid, -gid, -file-mode or -dir-mode');
  const excludes = allOf(args, 'exclude');
  for (const f of allOf(args, 'exclude-list')) excludes.push(...readPatternFile(f));
  const printSize = has(args, 'print-size');
  const quiet = has(args, 'q');
  const verbose = has(args, 'v');
  const date = volumeDate();
  const volid = lastOf(args, 'volid');
  const identity = {
    systemId: lastOf(args, 'sysid') ?? 'LINUX',
    volumeId: volid ?? 'ISOPIPE',
    volumeSetId: lastOf(args, 'volset') ?? '',
    publisherId: lastOf(args, 'publisher') ?? '',
    preparerId: lastOf(args, 'preparer') ?? '',
    applicationId: lastOf(args, 'appid') ?? `ISOPIPE ${packageVersion()}`,
    date,
  };

  // Where the bytes go decides the form (man iso-pack, docs/stream-format.md); -print-size writes nothing.
  const outPath = lastOf(args, 'o');
  if (isatty(0)) throw new UsageError('no tar on stdin (a terminal): pipe one in, as in tar c DIR | iso-pack ...');
  // -o -: a plain image on stdout, in LBA order even to a pipe.
  const plainOut = outPath === '-';
  let fd = 1;
  let outFile: OutputFile | null = null;
  if (printSize) {
    if (outPath !== undefined) throw new UsageError('-print-size writes nothing: leave out -o');
  } else if (outPath !== undefined && !plainOut) {
    outFile = openOutputFile(outPath); // read back by --md5's second pass
    fd = outFile.fd;
  } else if (isatty(1)) {
    throw new UsageError('refusing to write an image to a terminal: use -o FILE or a pipe');
  }
  const seekable = (n: number) => {
    const st = fstatSync(n);
    return st.isFile() || st.isBlockDevice();
  };
  const inOrder = !printSize && plainOut && !seekable(fd);
  if (inOrder) {
    // The head comes first in LBA order but is known only once the tar has ended: a first
    // read lays the session out (as -print-size does), a second one writes it.
    if (!fstatSync(0).isFile())
      throw new UsageError('-o - to a pipe writes the image in LBA order, reading the tar twice: stdin must be a tar file (< FILE.tar)');
    if (has(args, 'md5'))
      throw new UsageError(
        '--md5 with -o - to a pipe: the checksums cover the head, which goes out first; write to a file (-o FILE), or leave out -o - for the head-last stream, which cd-write seals',
      );
  }
  /** One read of the tar into a packer writing to `out`; `pass` names it in the progress line. */
  // -M's medium, opened once for both reads of the tar when the image goes out in LBA order.
  let mergeMedium: Image | null = null;
  let merging: ((sink: TarSink) => MergeFeed) | null = null;
  const pack = (out: SessionSink, input: number, progress: Progress | null, pass = ''): Packed => {
    const packer = new Packer(
      {
        start,
        joliet: !has(args, 'no-joliet'),
        jolietMax: has(args, 'joliet-long') ? JOLIET_LONG_MAX : JOLIET_MAX,
        rationalize: has(args, 'r'),
        identity,
        excludes: excludes.map(bytes),
        holdBackLimit: holdBackMiB * 1024 * 1024,
        impliedDate: Math.floor(date),
        checksums: has(args, 'md5') ? new FileChecksums() : undefined,
        zisofs,
        boot,
      },
      out,
    );
    const parser = readTar(input, overrides ? new OverrideSink(packer, overrides) : packer, merging, progress, () => `${packer.counts.files} files${pass}`);
    // iso-merge --mirror found the newest session's tree unchanged (a pax global header at
    // the end of its tar): flag the stream so that cd-write writes no session
    // (docs/stream-format.md). Not a plain image, nor a tree -m has cut.
    const unchanged = !printSize && isUnchanged(parser.globalRecords) && packer.counts.excluded === 0 && out.markUnchanged();
    if (volid === undefined && packer.label) identity.volumeId = packer.label;
    return { packer, layout: packer.finish(), unchanged };
  };
  const showProgress = !printSize && !quiet && wantProgress(verbose);
  let progress = showProgress ? inputProgress() : null;
  let out: SessionOutput | undefined;
  try {
    if (mergeDev !== undefined) {
      // iso-merge's engine and the image reader (some 20 modules) load only for -M: every
      // start-up pays for what it loads while tar waits on the pipe.
      const { mergeFeed, openMergeMedium } = await import('./merge-feed.js');
      const medium = await openMergeMedium(mergeDev);
      mergeMedium = medium;
      merging = (sink) => mergeFeed(medium, sink);
    }
    let run: Packed;
    if (printSize) {
      const { layout } = pack(countingOutput(), 0, null);
      // As mkisofs -print-size: the number alone on stdout, genisoimage's line on stderr.
      if (!quiet) say(`Total extents scheduled to be written = ${layout.sectors}\n`);
      writeAll(1, Buffer.from(`${layout.sectors}\n`));
      return;
    }
    if (inOrder) {
      const head = pack(countingOutput(), 0, progress, ' (first read: laying out)').layout.head();
      progress?.clear();
      out = new SessionOutput(fd, start, { kind: 'in-order', head });
      const again = openSync('/proc/self/fd/0', 'r');
      progress = showProgress ? inputProgress() : null;
      try {
        run = pack(out, again, progress, ' (second read: writing)');
      } finally {
        closeSync(again);
      }
      // Before the metadata goes out: an image cut short is refused by every reader and by cd-write.
      if (!run.layout.head().equals(head)) throw new Error('the tar on stdin changed between its two reads: the image is left incomplete');
    } else {
      out = new SessionOutput(fd, start, { kind: seekable(fd) ? 'plain' : 'stream' });
      run = pack(out, 0, progress);
    }
    const { packer, layout, unchanged } = run;
    const sectors = layout.sectors;
    layout.write(out);
    progress?.clear();
    if (!quiet) for (const w of packer.warnings) messageLine(`${TOOL}: warning: ${w}`);
    if (verbose)
      say(
        `${TOOL}: ${packer.counts.files} files, ${packer.counts.dirs} directories, ${packer.counts.bytes} bytes of data; session LBA ${start}–${layout.end - 1} (${sectors} sectors)\n`,
      );
    if (verbose && zisofs) say(`${TOOL}: zisofs: ${packer.counts.compressed} file(s) compressed to ${packer.counts.compressedBytes} bytes\n`);
    if (verbose && unchanged) say(`${TOOL}: nothing changed since the newest session: the stream is marked so that cd-write writes none\n`);
    outFile?.commit();
  } catch (err) {
    progress?.clear();
    out?.abandon();
    outFile?.abandon();
    throw err;
  } finally {
    mergeMedium?.close();
  }
}

interface Packed {
  packer: Packer;
  layout: SessionLayout;
  unchanged: boolean;
}

/** Reads the tar on `fd` into `sink`, through iso-merge's engine first under -M. */
function readTar(fd: number, sink: TarSink, merging: ((sink: TarSink) => MergeFeed) | null, progress: Progress | null, detail: () => string): TarParser {
  const input: { compression?: Compression | null } = {};
  const merge = merging ? merging(sink) : null;
  const parser = new TarParser(merge ? merge.sink : sink);
  let read = 0;
  for (const chunk of tarChunks(fd, input)) {
    if (read === 0 && input.compression) progress?.unknownTotal(`${input.compression} input: size unknown`);
    read += chunk.length;
    parser.push(chunk);
    progress?.update(read, detail());
  }
  parser.end();
  merge?.finish();
  return parser;
}

/** -input-charset/-output-charset: names are UTF-8 (as the tar holds them) or nothing. */
function checkCharset(args: ParsedOptions, key: string, advice: string): void {
  const cs = lastOf(args, key);
  if (cs !== undefined && !/^(utf-?8|default)$/i.test(cs))
    throw new RefusedOption(`${args.spelled.get(key)} ${safeText(cs)}: iso-pack reads tar names as UTF-8 and keeps their bytes: ${advice}`);
}

function readPatternFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fileError('cannot read', path, err);
  }
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '');
}

interface Overrides {
  uid?: number;
  gid?: number;
  fileMode?: number;
  dirMode?: number;
}

function attributeOverrides(args: ParsedOptions): Overrides | null {
  const num = (key: string, re: RegExp, base: number, what: string): number | undefined => {
    const v = lastOf(args, key);
    if (v === undefined) return undefined;
    if (!re.test(v)) throw new UsageError(`${args.spelled.get(key)} wants ${what}, not '${safeText(v)}'`);
    return parseInt(v, base);
  };
  const o: Overrides = {
    uid: num('uid', /^[0-9]{1,10}$/, 10, 'a numeric user id'),
    gid: num('gid', /^[0-9]{1,10}$/, 10, 'a numeric group id'),
    fileMode: num('file-mode', /^[0-7]{1,4}$/, 8, 'an octal mode'),
    dirMode: num('dir-mode', /^[0-7]{1,4}$/, 8, 'an octal mode'),
  };
  return Object.values(o).some((x) => x !== undefined) ? o : null;
}

/** -uid, -gid, -file-mode, -dir-mode: every entry's owners and modes replaced on their way in. */
class OverrideSink implements TarSink {
  constructor(
    private readonly inner: TarSink,
    private readonly o: Overrides,
  ) {}

  entry(e: TarEntry): void {
    const x = { ...e };
    if (this.o.uid !== undefined) x.uid = this.o.uid;
    if (this.o.gid !== undefined) x.gid = this.o.gid;
    if (e.type === 'file' && this.o.fileMode !== undefined) x.mode = this.o.fileMode;
    if (e.type === 'dir' && this.o.dirMode !== undefined) x.mode = this.o.dirMode;
    this.inner.entry(x);
  }

  data(chunk: Buffer): void {
    this.inner.data(chunk);
  }

  entryEnd(): void {
    this.inner.entryEnd();
  }

  volumeLabel(label: string): void {
    this.inner.volumeLabel?.(label);
  }
}

/** -print-size and the first read of -o - to a pipe: the packer runs as usual, but the bytes go nowhere. */
function countingOutput(): SessionSink {
  return { append() {}, appendZeros() {}, fileBegins() {}, finish() {}, markUnchanged: () => false };
}

/** Progress against stdin's size when it is a regular file. */
function inputProgress(): Progress {
  const st = fstatSync(0);
  return st.isFile() && st.size > 0 ? new Progress(TOOL, st.size, '') : new Progress(TOOL, null, 'stdin is a pipe: size unknown');
}

/** stderr written synchronously: the packing loop never yields to the event loop. */
function say(text: string): void {
  writeAll(2, Buffer.from(text));
}

runTool(TOOL, main);
