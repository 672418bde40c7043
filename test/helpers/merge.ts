// Shared by the image-reader and iso-merge tests: appending sessions through the pipeline,
// listing trees on the host and as the readers see them.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { formatEntry, listDir } from './listing.js';
import { bin, must, run, shQuote, type RunResult } from './run.js';
import { KERNEL_ORACLE } from './skip.js';

/**
 * One full append through the pipeline, the tar on stdin:
 * iso-merge [args] | iso-pack --prev $(cd-msinfo) | cd-write --multi
 */
export function appendSession(tar: Buffer, medium: string, mergeArgs: string[] = []): RunResult {
  const q = shQuote;
  const n = q(process.execPath);
  const script = [
    // The first append starts a new medium, as the README's setup step does.
    `[ -e ${q(medium)} ] || ${n} ${q(bin('cd-write'))} --dev ${q(medium)} --create --blank || exit 8`,
    `prev=$(${n} ${q(bin('cd-msinfo'))} --dev ${q(medium)}) || exit 9`,
    `${n} ${q(bin('iso-merge'))} --dev ${q(medium)} ${mergeArgs.map(q).join(' ')} | ${n} ${q(bin('iso-pack'))} -q --prev "$prev" | ${n} ${q(bin('cd-write'))} --dev ${q(medium)} --multi`,
  ].join('\n');
  return run('bash', ['-o', 'pipefail', '-c', script], { input: tar });
}

/** appendSession with the tar streamed from `tar c -C dir .` (for trees too big to hold). */
export function appendDir(dir: string, medium: string, mergeArgs: string[] = []): RunResult {
  const q = shQuote;
  const n = q(process.execPath);
  const script = [
    // The first append starts a new medium, as the README's setup step does.
    `[ -e ${q(medium)} ] || ${n} ${q(bin('cd-write'))} --dev ${q(medium)} --create --blank || exit 8`,
    `prev=$(${n} ${q(bin('cd-msinfo'))} --dev ${q(medium)}) || exit 9`,
    `tar -C ${q(dir)} -cf - . | ${n} ${q(bin('iso-merge'))} --dev ${q(medium)} ${mergeArgs.map(q).join(' ')} | ${n} ${q(bin('iso-pack'))} -q --prev "$prev" | ${n} ${q(bin('cd-write'))} --dev ${q(medium)} --multi`,
  ].join('\n');
  return run('bash', ['-o', 'pipefail', '-c', script]);
}

/** Extracts a tar into `dir` (created) as root would: owners, modes, devices, links. */
export function untar(tar: Buffer, dir: string): void {
  mkdirSync(dir, { recursive: true });
  must('tar', ['--numeric-owner', '-xpf', '-', '-C', dir], { input: tar });
}

/** Session table of a medium: start LBAs in session order. */
export function sessionStarts(medium: string): number[] {
  const j = JSON.parse(String(must(process.execPath, [bin('cd-msinfo'), '--dev', medium, '--json']))) as { sessions: { start: number }[] };
  return j.sessions.map((s) => s.start);
}

export function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

export interface HostEntry {
  type: 'file' | 'dir' | 'symlink' | 'chr' | 'blk' | 'fifo' | 'sock';
  perm: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  target?: string;
  md5?: string;
  dev?: string;
  ino: number;
}

/** Every entry under `root` (paths relative, no leading slash; the root is ''). Names are
 *  raw bytes in latin1 strings, as the image reader reports them. */
export function hostTree(root: string): Map<string, HostEntry> {
  const out = new Map<string, HostEntry>();
  const walk = (rel: string) => {
    const absB = rel === '' ? Buffer.from(root) : Buffer.concat([Buffer.from(root + '/'), Buffer.from(rel, 'latin1')]);
    const st = lstatSync(absB, { bigint: false });
    const type = st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isCharacterDevice()
            ? 'chr'
            : st.isBlockDevice()
              ? 'blk'
              : st.isFIFO()
                ? 'fifo'
                : 'sock';
    const e: HostEntry = {
      type,
      perm: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: type === 'file' ? st.size : 0,
      mtime: Math.floor(st.mtimeMs / 1000),
      ino: st.ino,
    };
    if (type === 'symlink') e.target = (readlinkSync(absB, { encoding: 'buffer' }) as Buffer).toString('latin1');
    if (type === 'file') e.md5 = md5(readFileSync(absB));
    if (type === 'chr' || type === 'blk') e.dev = `${Math.floor(st.rdev / 256) & 0xfff}:${(st.rdev & 0xff) | ((st.rdev >>> 12) & 0xfff00)}`;
    out.set(rel, e);
    if (type === 'dir')
      for (const name of readdirSync(absB, { encoding: 'buffer' }) as Buffer[])
        walk(rel === '' ? name.toString('latin1') : rel + '/' + name.toString('latin1'));
  };
  walk('');
  return out;
}

/** Hard-link groups of regular files (two or more names), as sorted path lists. */
export function linkGroups(tree: Map<string, HostEntry>): string[][] {
  const by = new Map<number, string[]>();
  for (const [p, e] of tree) if (e.type === 'file') by.set(e.ino, [...(by.get(e.ino) ?? []), p]);
  return [...by.values()]
    .filter((g) => g.length > 1)
    .map((g) => g.sort())
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

export type Field = 'type' | 'perm' | 'owner' | 'size' | 'mtime' | 'target' | 'md5' | 'dev' | 'dirmtime';

/** One line per entry with the chosen fields, sorted: two trees are equal when these are. */
export function describe(tree: Map<string, HostEntry>, fields: Field[], filter: (p: string, e: HostEntry) => boolean = () => true): string[] {
  const lines: string[] = [];
  for (const [p, e] of tree) {
    if (!filter(p, e)) continue;
    const f: string[] = [JSON.stringify(Buffer.from(p, 'latin1').toString())];
    for (const k of fields) {
      if (k === 'type') f.push(e.type);
      else if (k === 'perm') f.push(e.perm.toString(8));
      else if (k === 'owner') f.push(`${e.uid}:${e.gid}`);
      else if (k === 'size') f.push(e.type === 'file' ? String(e.size) : '-');
      else if (k === 'mtime') f.push(e.type === 'file' ? String(e.mtime) : '-');
      else if (k === 'dirmtime') f.push(e.type === 'dir' && p !== '' ? String(e.mtime) : '-');
      else if (k === 'target') f.push(e.target ?? '-');
      else if (k === 'md5') f.push(e.md5 ?? '-');
      else if (k === 'dev') f.push(e.dev ?? '-');
    }
    lines.push(f.join(' '));
  }
  return lines.sort();
}

/** The kernel oracle's listing of an image (md5 column included), without its #kmsg lines. */
export function kernelListing(image: string, opts = ''): { lines: string[]; status: number | null; stderr: string } {
  const r = run(KERNEL_ORACLE, opts ? [image, opts] : [image], { env: { ...process.env, KERNEL_ORACLE_NO_SETUP: '1' } });
  return {
    lines: String(r.stdout)
      .split('\n')
      .filter((l) => l && !l.startsWith('#kmsg')),
    status: r.status,
    stderr: r.stderr,
  };
}

/** kernelListing without blocking, so that two VMs can run at once. */
export function kernelListingAsync(image: string, opts = ''): Promise<{ lines: string[]; status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(KERNEL_ORACLE, opts ? [image, opts] : [image], { env: { ...process.env, KERNEL_ORACLE_NO_SETUP: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    p.on('close', (status) =>
      resolve({
        lines: String(Buffer.concat(out))
          .split('\n')
          .filter((l) => l && !l.startsWith('#kmsg')),
        status,
        stderr: String(Buffer.concat(err)),
      }),
    );
  });
}

/** A host directory listed in the kernel oracle's format (by test/helpers/listing.ts: no
 *  oracle needed), to compare with kernelListing. */
export function hostListing(dir: string): string[] {
  return listDir(dir).map(formatEntry);
}

/** Oracle lines with the fields that differ between an image and a host directory for
 *  directories (size, link count) blanked. */
export function kernelComparable(lines: string[]): string[] {
  return lines
    .map((l) => {
      const f = l.split('\t');
      if (f[1] === 'dir') {
        f[5] = '-';
        f[7] = '-';
      }
      return f.join('\t');
    })
    .sort();
}
