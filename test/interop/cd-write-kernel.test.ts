// The Linux kernel (through the kernel oracle) reads a medium of three sessions written by
// `iso-pack --prev $(cd-msinfo) | cd-write --multi`: the newest with Rock Ridge names and
// modes, and each older one by its start sector (sbsector=), as the source trees are.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEntry, listDir } from '../helpers/listing.js';
import { sessionStarts } from '../helpers/merge.js';
import { bin, run, shQuote } from '../helpers/run.js';
import { makeSessionTree } from '../helpers/sessions.js';
import { KERNEL_ORACLE, needs } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-cdwrite-kernel-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000' };

/** One line per entry, as the kernel oracle prints it; directory sizes and the root left out. */
function normalised(lines: string[]): string[] {
  return lines
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('/\t'))
    .map((l) => {
      const f = l.split('\t');
      if (f[1] === 'dir') f[5] = '-';
      return f.join('\t');
    });
}

function oracle(img: string, opts?: string): { status: number | null; lines: string[]; raw: string } {
  const r = run(KERNEL_ORACLE, opts ? [img, opts] : [img], { env: ENV });
  return { status: r.status, lines: normalised(r.stdout.toString().split('\n')), raw: r.stdout.toString() + r.stderr };
}

/** What the kernel must show of a session: its source tree, listed the oracle's way. */
const expected = (parent: string) => normalised(listDir(parent).map(formatEntry));

t.test('the kernel mounts every session of a three-session medium', async (t) => {
  if (!needs(t, KERNEL_ORACLE)) return;
  const trees = [1, 2, 3].map((i) => makeSessionTree(work, i));
  const piped = join(work, 'piped.iso');
  const n = shQuote(process.execPath);
  // A new medium is made on purpose, as the README's cron set-up does.
  t.equal(run(process.execPath, [bin('cd-write'), '--create', '--blank', '--dev', piped]).status, 0, 'a new blank medium');
  for (const [i, parent] of trees.entries()) {
    const r = run(
      'sh',
      [
        '-c',
        `tar -C ${shQuote(parent)} -cf - s${i + 1} | ${n} ${shQuote(bin('iso-pack'))} --prev $(${n} ${shQuote(bin('cd-msinfo'))}) | ${n} ${shQuote(bin('cd-write'))} --multi`,
      ],
      { env: { ...ENV, CDR_DEVICE: piped } },
    );
    t.equal(r.status, 0, r.stderr);
  }
  const starts = sessionStarts(piped);
  t.equal(starts.length, 3);
  const newest = oracle(piped);
  t.equal(newest.status, 0, newest.raw);
  t.same(newest.lines, expected(trees[2]), 'the kernel mounts the newest session with Rock Ridge names and modes');
  t.match(newest.raw, /RRIP_1991A/);
  for (const k of [0, 1]) {
    const old = oracle(piped, `sbsector=${starts[k]}`);
    t.equal(old.status, 0, old.raw);
    t.same(old.lines, expected(trees[k]), `session ${k + 1} with sbsector=${starts[k]}`);
  }
});
