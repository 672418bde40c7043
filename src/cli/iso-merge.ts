// iso-merge: a tar on stdin plus the tree of a session on the medium -> one tar on stdout
// whose files of earlier sessions travel as references to their extents, as pax ISOPIPE.extents records (man iso-merge).
import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { AddressError, resolveCdrecordAddress } from '../drive/address.js';
import { DevicePathError, normaliseCdrecordArgv, resolveDevicePath } from '../media/device-path.js';
import { MergeError, Merger, type MergeCounts } from '../merge/merger.js';
import { DEFAULT_HASH_LIMIT, type MirrorCounts } from '../merge/mirror.js';
import { OldTree } from '../merge/old-tree.js';
import { TarOutput } from '../merge/tar-output.js';
import { writeAll } from '../session/io.js';
import { openMediumImage } from './medium-image.js';
import { TarFormatError } from '../tar/header.js';
import { tarChunks } from '../tar/input.js';
import { TarParser } from '../tar/parser.js';
import { allOf, answerHelpOrVersion, has, lastOf, type OptionSpec, messageLine, parseOptions, runTool, safeText, UsageError } from './common.js';
import { Progress } from './progress.js';
import { encodeUnchanged } from '../tar/isopipe-records.js';

const TOOL = 'iso-merge';

const HELP = `Usage: iso-merge [--dev PATH | dev=PATH] [OPTIONS] < new.tar > merged.tar
Pass a tar through and add the files of the medium's newest session, as references to
their data on the medium, so that the next session shows the whole tree:

  tar c dir | iso-merge | iso-pack --prev $(cd-msinfo) | cd-write --multi

  --dev PATH, dev=PATH   the medium: an image file, a block device or an optical drive
                         (/dev/sr0, dev=1,0) (else CDR_DEVICE);
                         a blank or missing medium passes stdin through unchanged
      --mirror           the new session shows exactly the tar; a file whose data is
                         already on the medium refers to it with the tar's attributes (the
                         tar's copy is read and dropped): same path, size and mtime, or,
                         when the old session recorded MD5s (iso-pack --md5), same size and
                         MD5 as any old file; when nothing changed the tar is marked so
                         that cd-write writes no session
      --hash-limit SIZE  --mirror: largest file held in memory to look for by MD5
                         (default 1M; K, M, G suffixes; 0 for none)
      --remove GLOB      drop paths matching GLOB (basename or whole path, as
                         iso-pack -m) from the merged tree (repeatable)
      --session N        merge with session N instead of the newest (roll back, then add)
      --data             no tar on stdin: write session N (default the newest) as a tar
                         with every file's data read from the medium (restore:
                         iso-merge --data | tar x)
  -n                     no tar on stdin (an empty tree)
  -v                     report what was carried, reused and dropped on stderr
      --help, --version

Overlay (the default): every stdin entry passes through, then every entry of the old
session that stdin does not name; directories merge, stdin's entry wins for a path in
both. Files of the old session whose Rock Ridge data needs a continuation area (very long
names) travel with their data, so that libarchive can read the new session.`;

const OPTIONS: readonly OptionSpec[] = [
  { key: 'dev', names: ['dev'], value: true },
  { key: 'remove', names: ['remove'], value: true },
  { key: 'session', names: ['session'], value: true },
  { key: 'hash-limit', names: ['hash-limit'], value: true },
  { key: 'mirror', names: ['mirror'] },
  { key: 'data', names: ['data'] },
  { key: 'n', names: ['n'] },
  { key: 'v', names: ['v', 'verbose'] },
];

/** A byte count: digits with an optional K, M or G (powers of 1024). */
function parseSize(text: string, name: string): number {
  const m = /^([0-9]+)([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--${name} wants a size in bytes (e.g. 1M, 512K, 0), not '${text}'`);
  const n = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name}: ${text} is too large`);
  return n;
}

/** stdin's chunks, or none at all when there is no tar to read. */
function* stdinChunks(noInput: boolean): Generator<Buffer> {
  if (noInput) return;
  yield* tarChunks(0);
}

async function main(): Promise<void> {
  const args = parseOptions(normaliseCdrecordArgv(process.argv.slice(2), ['dev'], []), OPTIONS);
  if (answerHelpOrVersion(TOOL, HELP, args)) return;
  if (args.operands.length) throw new UsageError(`unexpected argument '${safeText(args.operands[0])}': the tar comes on stdin`);
  const mirror = has(args, 'mirror');
  const data = has(args, 'data');
  if (mirror && data) throw new UsageError('--mirror and --data exclude each other');
  const sessionText = lastOf(args, 'session');
  let sessionNumber: number | undefined;
  if (sessionText !== undefined) {
    if (!/^[1-9][0-9]*$/.test(sessionText)) throw new UsageError(`--session wants a session number (1 = the oldest), not '${sessionText}'`);
    sessionNumber = Number(sessionText);
  }
  const remove = allOf(args, 'remove').map((x) => Buffer.from(x, 'utf8').toString('latin1'));
  const hashLimitText = lastOf(args, 'hash-limit');
  if (hashLimitText !== undefined && !mirror) throw new UsageError('--hash-limit applies to --mirror only');
  const hashLimit = hashLimitText === undefined ? DEFAULT_HASH_LIMIT : parseSize(hashLimitText, 'hash-limit');
  let devPath: string;
  try {
    const given = lastOf(args, 'dev');
    devPath = (given !== undefined ? resolveCdrecordAddress(given) : null) ?? resolveDevicePath(given, process.env);
  } catch (err) {
    if (err instanceof DevicePathError) throw new UsageError(err.message);
    if (err instanceof AddressError) throw new Error(err.message);
    throw err;
  }
  if (isatty(1)) throw new UsageError('refusing to write a tar to a terminal: pipe it into iso-pack or tar');

  // --data reads no tar; otherwise a terminal on stdin is a mistake unless -n says so.
  const stdinIsTty = isatty(0);
  if (!data && !has(args, 'n') && stdinIsTty) throw new UsageError('no tar on stdin (a terminal): pipe one in, or use -n for none');
  const noInput = has(args, 'n') || (data && stdinIsTty);
  const verbose = has(args, 'v');

  // A disc in a drive is read with READ(10); extents keep their absolute LBAs, so a
  // reference to an old file is the disc's own address. Nothing there: a blank medium.
  const image = await openMediumImage(devPath);
  try {
    if (!image || image.blank) {
      if (data) throw new MergeError(`${devPath}: the medium is blank: there is no session to restore`);
      if (sessionNumber !== undefined) throw new UsageError(`--session ${sessionNumber}: ${devPath} is blank: it holds no session`);
      if (remove.length === 0) return passThrough(noInput, verbose);
    }
    // A session that does not exist is a usage error, as in cd-verify.
    if (image && !image.blank && sessionNumber !== undefined && !image.sessions.some((s) => s.number === sessionNumber))
      throw new UsageError(`there is no session ${sessionNumber}: the medium has ${image.sessions.length}`);
    const session = image && !image.blank ? image.session(sessionNumber) : null;
    const old = session ? OldTree.load(image!, session) : null;
    const out = new TarOutput(1);
    const merger = new Merger({ mode: mirror ? 'mirror' : 'overlay', remove, hashLimit }, old, image, out);

    if (data) {
      let empty = true;
      for (const chunk of stdinChunks(noInput)) {
        if (chunk.length) {
          empty = false;
          break;
        }
      }
      if (!empty) throw new UsageError('--data takes no tar on stdin (use -n, or give it an empty stdin)');
      merger.restore();
    } else {
      const parser = new TarParser(merger);
      let any = false;
      let read = 0;
      const progress = verbose && !noInput ? inputProgress() : null;
      for (const chunk of stdinChunks(noInput)) {
        any = true;
        read += chunk.length;
        parser.push(chunk);
        progress?.update(read, `${merger.counts.passed} entries`);
      }
      progress?.clear();
      if (any) parser.end(); // an empty stdin is an empty tree
      merger.finish();
    }
    // Nothing changed against the newest session: say so at the end of the tar, where
    // iso-pack turns it into the stream's "unchanged" flag (docs/stream-format.md).
    const unchanged = merger.unchanged && session !== null && session.session.number === image!.sessions[image!.sessions.length - 1].number;
    if (unchanged) out.globalHeader(encodeUnchanged(session.session.number));
    out.finish();
    if (verbose) report(merger.counts, merger.mirror?.counts ?? null, data, session?.session.number ?? null);
    if (verbose && unchanged) say(`${TOOL}: nothing changed since session ${session.session.number}: marked so that cd-write writes no session\n`);
    if (merger.counts.sockets) messageLine(`${TOOL}: warning: ${merger.counts.sockets} socket(s) of the old session left out: tar cannot hold sockets`);
  } catch (err) {
    if (err instanceof TarFormatError) throw new MergeError(`stdin: ${err.message}`);
    throw err;
  } finally {
    image?.close();
  }
}

/** A blank medium: nothing to add, the tar goes on byte for byte. */
function passThrough(noInput: boolean, verbose: boolean): void {
  let bytes = 0;
  for (const chunk of stdinChunks(noInput)) {
    writeAll(1, chunk);
    bytes += chunk.length;
  }
  if (noInput) writeAll(1, Buffer.alloc(1024)); // an empty archive
  if (verbose) say(`${TOOL}: blank medium: passed ${bytes} bytes of stdin through unchanged\n`);
}

/** Progress against stdin's size when it is a regular file (-v). */
function inputProgress(): Progress {
  const st = fstatSync(0);
  return st.isFile() && st.size > 0 ? new Progress(TOOL, st.size, '') : new Progress(TOOL, null, 'stdin is a pipe: size unknown');
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

function report(c: MergeCounts, m: MirrorCounts | null, data: boolean, session: number | null): void {
  const from = session === null ? 'no session' : `session ${session}`;
  if (data) say(`${TOOL}: restored ${c.carried} entries of ${from}, ${c.withData} files with data\n`);
  else if (m) {
    const rewritten = m.added + m.changed + m.resent;
    const how = [`${m.added} new`, `${m.changed} changed`];
    if (m.resent) how.push(`${m.resent} unchanged but long-named`);
    say(
      `${TOOL}: mirror of ${from}: reused ${m.reused} files (${mb(m.reusedBytes)} not re-written; ${m.newAttributes} with new attributes, ${m.reusedByContent} found by MD5), ` +
        `re-written ${rewritten} files (${mb(m.addedBytes + m.changedBytes + m.resentBytes)}: ${how.join(', ')}), deleted ${m.deleted}\n`,
    );
    if (m.hashed) say(`${TOOL}: hashed ${m.hashed} files (${mb(m.hashedBytes)}) to look for them by MD5\n`);
  } else say(`${TOOL}: overlay on ${from}: ${c.passed} entries from stdin, ${c.carried} carried (${c.references} references, ${c.withData} files with data)\n`);
  if (c.removed) say(`${TOOL}: removed ${c.removed} entries matching --remove\n`);
}

function say(text: string): void {
  writeAll(2, Buffer.from(text));
}

runTool(TOOL, main);
