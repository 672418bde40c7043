// Independent readers of an ISO image, each turned into a listing in the oracle's format:
// the kernel (through the kernel oracle), xorriso, bsdtar and 7z (by extracting into a scratch
// directory as root and listing that with the oracle's --list-dir), and isoinfo (by parsing
// its listing and extracting every file for its md5).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdtempSync, openSync, readSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { escapeName, listDir, parseListing, type Entry } from './listing.js';
import { run } from './run.js';
import { KERNEL_ORACLE } from './skip.js';

/** Readers run in a UTF-8 locale and UTC, whatever the caller's environment. */
export const READER_ENV = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', TZ: 'UTC' };

export interface ReaderResult {
  entries: Entry[];
  /** What the reader said beyond the listing (kernel messages, warnings, errors). */
  notes: string[];
  /** Hard-link groups as extracted (paths sharing an inode), for extracting readers. */
  linkGroups?: string[][];
}

/** A reader's command in the readers' environment; a failure throws unless `allowFail`. */
function runReader(cmd: string, args: string[], opts: { allowFail?: boolean; env?: NodeJS.ProcessEnv; input?: Buffer } = {}) {
  const r = run(cmd, args, { env: opts.env ?? READER_ENV, input: opts.input });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  return r;
}

// ---------------------------------------------------------------- kernel

/** The kernel's Rock Ridge view (`opts` ''), its Joliet view ('norock,check=s'), etc. */
export function readKernel(image: string, opts = '', md5 = true): ReaderResult {
  const env = { ...READER_ENV, KERNEL_ORACLE_NO_SETUP: '1', KERNEL_ORACLE_MD5: md5 ? '1' : '0' };
  const args = opts ? [image, opts] : [image];
  const r = spawnSync(KERNEL_ORACLE, args, { env, maxBuffer: 1 << 28 });
  const stderr = r.stderr.toString().trim();
  if (r.status !== 0) throw new Error(`kernel-oracle ${args.join(' ')}: exit ${r.status}: ${stderr.split('\n').slice(-3).join(' | ')}`);
  const { entries, notes } = parseListing(r.stdout.toString('utf8'));
  // Informational messages are not problems; anything else the kernel logged is.
  const problems = notes.filter((n) => !/^#kmsg\tdebug\tISO 9660 Extensions: /.test(n));
  return { entries: md5 ? entries : entries.map((e) => ({ ...e, md5: e.type === 'file' ? '*' : e.md5 })), notes: problems };
}

let kernelInfo: string | undefined;
/** The oracle's kernel release, e.g. "6.1.0-56-amd64". */
export function kernelRelease(): string {
  kernelInfo ??= spawnSync(KERNEL_ORACLE, ['--info'], { env: READER_ENV }).stdout?.toString() ?? '';
  return /^kernel=(.*)$/m.exec(kernelInfo)?.[1] ?? '';
}

/** Linux before 6.11 keeps isofs dates in a 32-bit int (fs/isofs/util.c iso_date). */
export function kernelHas32BitDates(): boolean {
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease());
  if (!m) return true;
  return Number(m[1]) < 6 || (Number(m[1]) === 6 && Number(m[2]) < 11);
}

// ---------------------------------------------------------------- extracting readers

function scratch(work: string, tag: string): string {
  return mkdtempSync(join(work, `${tag}-`));
}

/** xorriso's extraction (Rock Ridge; hard links by PX serial; devices enabled). */
export function readXorriso(image: string, work: string): ReaderResult {
  const dir = scratch(work, 'xorriso');
  try {
    const target = join(dir, 'root'); // new, so that the root's own attributes are restored
    const r = runReader(
      'xorriso',
      ['-abort_on', 'NEVER', '-return_with', 'FAILURE', '32', '-osirrox', 'on:device_files', '-hardlinks', 'on', '-indev', image, '-extract', '/', target],
      { allowFail: true },
    );
    const notes = r.stderr
      .toString()
      .split('\n')
      .filter((l) => /: (FAILURE|SORRY|WARNING|MISHAP|FATAL) :/.test(l));
    if (r.status !== 0) notes.push(`xorriso exit ${r.status}`);
    return { entries: listDir(target), notes, linkGroups: linkGroups(target) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bsdtar's extraction (libarchive: Rock Ridge, hard links, owners by number). */
export function readBsdtar(image: string, work: string): ReaderResult {
  const dir = scratch(work, 'bsdtar');
  try {
    const r = runReader('bsdtar', ['-x', '-p', '--numeric-owner', '-f', image, '-C', dir], { allowFail: true });
    const notes = r.stderr
      .toString()
      .split('\n')
      .filter((l) => l.trim() !== '');
    if (r.status !== 0) notes.push(`bsdtar exit ${r.status}`);
    return { entries: listDir(dir), notes, linkGroups: linkGroups(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 7z's extraction (its ISO handler reads the Joliet tree). */
export function read7z(image: string, work: string): ReaderResult {
  const dir = scratch(work, '7z');
  try {
    const r = runReader('7z', ['x', '-y', '-bd', `-o${dir}`, image], { allowFail: true });
    const notes: string[] = [];
    if (r.status !== 0)
      notes.push(
        `7z exit ${r.status}: ${r.stdout
          .toString()
          .split('\n')
          .filter((l) => /ERROR|Error|WARNING/.test(l))
          .join(' | ')}`,
      );
    return { entries: listDir(dir), notes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Paths (relative, '/'-separated) that share an inode, for trees with hard links. */
export function linkGroups(dir: string): string[][] {
  const groups = new Map<string, string[]>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, p), { bigint: true });
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        groups.set(key, [...(groups.get(key) ?? []), `/${p}`]);
      }
    }
  };
  walk('');
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

// ---------------------------------------------------------------- isoinfo

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TYPES: Record<string, string> = { '-': 'file', d: 'dir', l: 'symlink', c: 'chr', b: 'blk', f: 'fifo', s: 'sock' };

/**
 * isoinfo's listing line has fixed columns (cdrkit isoinfo.c dump_stat): type and nine
 * permission letters (no setuid/setgid/sticky), nlink at 11, owner in octal "%4lo" at 15 —
 * cut to 5 digits by the group written at 20 —, group in octal at 20, size at 30, the record
 * date's month/day/year at 41/45/48, "[extent flags]" at 53..65, then the name and, for a
 * symlink, "-> target".
 */
const ENTRY = /^[-dlcbfs?][-r][-w][-x][-r][-w][-x][-r][-w][-x] [ \d]{3} .{5}.{10}[ \d]{10} [A-Z][a-z]{2} [ \d]\d [ \d]{4} \[ *\d+ [0-9A-F]{2}\] /s;

/** How isoinfo prints an owner or group: octal, the owner cut to 5 digits. */
export function isoinfoId(id: string, isOwner: boolean): string {
  const oct = Number(id).toString(8);
  return `o${isOwner ? oct.slice(0, 5) : oct.slice(0, 10)}`;
}

export interface IsoinfoEntry extends Entry {
  extent: string;
  /** Unescaped full path. */
  raw: string;
}

/**
 * `isoinfo -R -l` (or `-J -l`) parsed; owners stay in isoinfo's octal form (isoinfoId), the
 * date is the record's day. A name may hold a newline: a line that is not an entry continues
 * the last name. With `image` contents, every regular file's md5 is taken from the extent and
 * size isoinfo shows (what `isoinfo -x` reads, without one process per file).
 */
export function readIsoinfo(image: string, tree: 'R' | 'J' | 'plain', md5: boolean): ReaderResult & { entries: IsoinfoEntry[] } {
  const r = runReader('isoinfo', [...(tree === 'plain' ? [] : [`-${tree}`]), '-l', '-i', image]);
  // Joliet names come out as Latin-1 bytes; Rock Ridge names as the bytes recorded (UTF-8).
  const text = r.stdout.toString(tree === 'J' ? 'latin1' : 'utf8');
  const notes = r.stderr
    .toString()
    .split('\n')
    .filter((l) => l.trim() !== '');
  const entries: IsoinfoEntry[] = [];
  let dir: string | null = null;
  let last: { e: IsoinfoEntry; name: string } | null = null;
  const finish = () => {
    if (!last || dir === null) return;
    let name = last.name;
    const arrow = name.indexOf(' -> ');
    if (last.e.type === 'symlink' && arrow >= 0) {
      last.e.target = escapeName(Buffer.from(name.slice(arrow + 4), 'utf8'));
      name = name.slice(0, arrow);
    } else {
      name = name.replace(/ $/, ''); // "%s %s" with an empty second part
    }
    if (name === '.' || name === '..') {
      if (name === '.' && dir === '/') entries.push({ ...last.e, path: '/', raw: '/' });
    } else {
      const raw = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const path = raw
        .split('/')
        .map((c) => escapeName(Buffer.from(c, 'utf8')))
        .join('/');
      entries.push({ ...last.e, path, raw });
    }
    last = null;
  };
  for (const line of text.split('\n')) {
    const head = /^Directory listing of (.*)$/.exec(line);
    if (head) {
      finish();
      dir = head[1].replace(/\/$/, '') || '/';
      continue;
    }
    if (ENTRY.test(line)) {
      finish();
      const type = TYPES[line[0]] ?? '?';
      let mode = 0;
      for (let i = 0; i < 9; i++) if (line[1 + i] !== '-') mode |= 1 << (8 - i);
      const month = String(MONTHS.indexOf(line.slice(41, 44)) + 1).padStart(2, '0');
      const ext = /\[ *(\d+) /.exec(line.slice(53))!;
      last = {
        name: line.slice(67),
        e: {
          path: '',
          raw: '',
          type,
          mode: mode.toString(8).padStart(4, '0'),
          nlink: line.slice(11, 14).trim(),
          uid: `o${line.slice(15, 20).trim()}`,
          gid: `o${line.slice(20, 30).trim()}`,
          size: line.slice(30, 40).trim(),
          mtime: `${line.slice(48, 52).trim()}-${month}-${line.slice(45, 47).trim().padStart(2, '0')}`,
          target: '-',
          md5: type === 'file' ? '*' : '-',
          extent: ext[1],
        },
      };
      continue;
    }
    if (line === '' && last) {
      finish();
      continue;
    }
    if (last)
      last.name += `\n${line}`; // a name with a newline
    else if (line.trim()) notes.push(`isoinfo: unparsed line ${JSON.stringify(line)}`);
  }
  finish();
  if (md5) {
    const fd = openSync(image, 'r');
    try {
      for (const e of entries) {
        if (e.type !== 'file') continue;
        e.md5 = md5OfRange(fd, Number(e.extent) * 2048, Number(e.size));
      }
    } finally {
      closeSync(fd);
    }
  }
  return { entries, notes };
}

function md5OfRange(fd: number, offset: number, size: number): string {
  const h = createHash('md5');
  const buf = Buffer.alloc(1 << 20);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - done), offset + done);
    if (n <= 0) return `ERR:SIZE=${done}`;
    h.update(buf.subarray(0, n));
    done += n;
  }
  return h.digest('hex');
}

export interface PathTableEntry {
  index: number;
  parent: number;
  extent: number;
  name: string;
}

/** `isoinfo -p` (the PVD's L path table) or `-J -p` (the Joliet SVD's), parsed. */
export function readIsoinfoPathTable(image: string, joliet: boolean): PathTableEntry[] {
  const r = runReader('isoinfo', [...(joliet ? ['-J'] : []), '-p', '-i', image]);
  const out: PathTableEntry[] = [];
  for (const line of r.stdout.toString('latin1').split('\n')) {
    const m = /^ *(\d+): +(\d+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) out.push({ index: Number(m[1]), parent: Number(m[2]), extent: parseInt(m[3], 16), name: m[4] });
  }
  return out;
}

/**
 * Problems in a path table against the directory tree the same reader lists: every directory
 * once with its extent and parent, root first, levels never decreasing, parents before
 * children, and (ISO 9660 9.4) siblings in identifier order, space-padded bytewise.
 */
export function pathTableProblems(table: PathTableEntry[], tree: Entry[] & { extent?: string }[], checkOrder: boolean): string[] {
  const problems: string[] = [];
  const dirs = new Map<string, string>(); // raw path -> extent
  for (const e of tree as IsoinfoEntry[]) if (e.type === 'dir') dirs.set(e.raw, e.extent);
  const pathOf: string[] = [];
  const level: number[] = [];
  for (const [i, p] of table.entries()) {
    if (p.index !== i + 1) problems.push(`entry ${i + 1} is numbered ${p.index}`);
    if (i === 0) {
      pathOf[1] = '/';
      level[1] = 1;
      if (p.parent !== 1) problems.push(`root's parent is ${p.parent}`);
    } else {
      if (p.parent < 1 || p.parent >= p.index) {
        problems.push(`${p.name}: parent ${p.parent} does not come before entry ${p.index}`);
        continue;
      }
      pathOf[p.index] = pathOf[p.parent] === '/' ? `/${p.name}` : `${pathOf[p.parent]}/${p.name}`;
      level[p.index] = level[p.parent] + 1;
      if (level[p.index] < level[p.index - 1]) problems.push(`${pathOf[p.index]}: level ${level[p.index]} after level ${level[p.index - 1]}`);
      const prev = table[i - 1];
      if (checkOrder && prev.parent === p.parent && i > 1) {
        const w = Math.max(prev.name.length, p.name.length);
        if (Buffer.compare(Buffer.from(prev.name.padEnd(w, ' '), 'latin1'), Buffer.from(p.name.padEnd(w, ' '), 'latin1')) >= 0) {
          problems.push(`${pathOf[p.index]} comes after ${prev.name} out of order`);
        }
      }
    }
    const want = dirs.get(pathOf[p.index]);
    if (want === undefined) problems.push(`${pathOf[p.index]}: in the path table, not in the directory tree`);
    else if (Number(want) !== p.extent) problems.push(`${pathOf[p.index]}: path table extent ${p.extent}, directory record ${want}`);
    dirs.delete(pathOf[p.index]);
  }
  for (const d of dirs.keys()) problems.push(`${d}: a directory missing from the path table`);
  return problems;
}

/** Hard-link groups as isoinfo shows them: non-empty regular files sharing an extent. */
export function isoinfoLinkGroups(entries: IsoinfoEntry[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type !== 'file' || e.size === '0') continue;
    groups.set(e.extent, [...(groups.get(e.extent) ?? []), e.raw]);
  }
  return [...groups.values()]
    .filter((g) => g.length > 1)
    .map((g) => g.sort())
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

// ---------------------------------------------------------------- whole-file streams

/** md5 of a command's stdout, streamed through md5sum (no copy on disk, none in memory). */
export function md5OfCommand(cmd: string, args: string[]): string {
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', `${quoted} | md5sum`], { env: READER_ENV, maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} | md5sum: exit ${r.status}: ${r.stderr.toString().trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout.toString().split(' ')[0];
}
