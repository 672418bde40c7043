// iso-merge and hard-link groups one of whose names needs a Rock Ridge continuation area
// (issue 13): the group must travel with its data under its longest name, so that iso-pack
// holds the data back after the CE and bsdtar (libarchive) can still read the new session.
// First sessions by iso-pack and by xorriso; also iso-merge --data.
import t from 'tap';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { TarParser, type TarEntry } from '../dist/tar/parser.js';
import { appendSession, hostTree, linkGroups } from './helpers/merge.js';
import { must, node, run } from './helpers/run.js';
import { needs } from './helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-merge-links-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const LONG = 'L'.repeat(200);
// The issue's repro: the short name sorts (and is read) first.
const S = join(work, 's');
mkdirSync(join(S, 'hl/b'), { recursive: true });
writeFileSync(join(S, 'hl/b/short'), 'd\n');
linkSync(join(S, 'hl/b/short'), join(S, `hl/${LONG}`));
writeFileSync(join(S, 'plain'), 'p\n');
// A new tar for the second session.
const N = join(work, 'n');
mkdirSync(N);
writeFileSync(join(N, 'newfile'), 'n\n');
const newTar = must('tar', ['-C', N, '--format=gnu', '-cf', '-', '.']);

/** bsdtar's view: exit status, messages and the link groups it restores. */
function bsdtarReads(image: string): { ok: boolean; stderr: string; groups: string[][]; names: string[] } {
  const out = mkdtempSync(join(work, 'x-'));
  const r = run('bsdtar', ['-x', '-f', image, '-C', out]);
  const tree = hostTree(out);
  rmSync(out, { recursive: true, force: true });
  return { ok: r.status === 0, stderr: r.stderr.trim(), groups: linkGroups(tree), names: [...tree.keys()].sort() };
}

/** iso-merge's output: each file entry's path, type and whether it carries data. */
async function mergeOutput(medium: string, args: string[], input = newTar): Promise<string[]> {
  const r = node('iso-merge', ['--dev', medium, ...args], { input });
  if (r.status !== 0) throw new Error(r.stderr);
  const seen: string[] = [];
  const p = new TarParser({
    entry: (e: TarEntry) => {
      if (e.type === 'file' || e.type === 'link')
        seen.push(`${e.path.replace(/^\.\//, '')} ${e.type}${e.type === 'file' ? (e.isopipe.has('extents') ? ' ref' : ` ${e.size}`) : ''}`);
    },
    data: () => {},
    entryEnd: () => {},
    volumeLabel: () => {},
  });
  p.push(r.stdout);
  p.end();
  return seen;
}

async function scenario(t: Tap.Test, medium: string) {
  const order = await mergeOutput(medium, []);
  const group = order.filter((l) => l.includes('short') || l.includes(LONG));
  t.same(group, [`hl/${LONG} file 2`, 'hl/b/short link'], 'the long name goes first, with the data; the short one links to it');
  t.ok(order.includes('plain file ref'), 'files that need no CE still go as references');

  const r = appendSession(newTar, medium);
  t.equal(r.status, 0, `the append succeeds ${r.stderr}`);
  t.notMatch(r.stderr, /continuation area after their data/, 'iso-pack has nothing to warn about');
  const b = bsdtarReads(medium);
  t.ok(b.ok, `bsdtar reads the new session (${b.stderr})`);
  t.same(b.groups, [[`hl/${LONG}`, 'hl/b/short'].sort()], 'and restores the two names as one file');
  t.ok(b.names.includes('newfile') && b.names.includes('plain'), 'with the old and the new files');
}

t.test('a first session by iso-pack (long name first in its tar)', async (t) => {
  if (!needs(t, 'bsdtar')) return;
  const medium = join(work, 'pack.iso');
  const tar = must('tar', ['-C', S, '--format=gnu', '--no-recursion', '-cf', '-', '.', './hl', `./hl/${LONG}`, './hl/b', './hl/b/short', './plain']);
  const r = run(
    'bash',
    [
      '-o',
      'pipefail',
      '-c',
      `${process.execPath} ${new URL('../bin/iso-pack.js', import.meta.url).pathname} -q --prev 0,32 | ${process.execPath} ${new URL('../bin/cd-write.js', import.meta.url).pathname} --create --dev '${medium}' --multi`,
    ],
    { input: tar },
  );
  t.equal(r.status, 0, r.stderr);
  t.ok(bsdtarReads(medium).ok, 'bsdtar reads session 1');
  await scenario(t, medium);
});

t.test('a first session by xorriso', async (t) => {
  if (!needs(t, 'bsdtar') || !needs(t, 'xorriso')) return;
  const medium = join(work, 'xorriso.iso');
  must('xorriso', ['-dev', 'stdio:' + medium, '-hardlinks', 'on', '-map', S, '/', '-commit']);
  t.ok(bsdtarReads(medium).ok, 'bsdtar reads session 1');
  await scenario(t, medium);
});

t.test('iso-merge --data sends the group under its long name too', async (t) => {
  const medium = join(work, 'xorriso.iso');
  if (!needs(t, 'xorriso')) return;
  const order = await mergeOutput(medium, ['--data', '-n']);
  const group = order.filter((l) => l.includes('short') || l.includes(LONG));
  t.same(group, [`hl/${LONG} file 2`, 'hl/b/short link']);
});

t.test('a hard link on stdin to the short name: the group still goes under its long name first', async (t) => {
  if (!needs(t, 'xorriso') || !needs(t, 'bsdtar')) return;
  const medium = join(work, 'stdin-link.iso');
  must('xorriso', ['-dev', 'stdio:' + medium, '-hardlinks', 'on', '-map', S, '/', '-commit']);
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const end = new Promise((r) => p.on('end', r));
  p.entry({ name: 'alias', type: 'link', linkname: 'hl/b/short', mtime: new Date(1_700_000_000_000) });
  p.finalize();
  await end;
  const tar = Buffer.concat(chunks);
  const order = await mergeOutput(medium, [], tar);
  t.same(order.slice(0, 3), [`hl/${LONG} file 2`, 'hl/b/short link', 'alias link'], "long name with the data, then the old short name, then stdin's link");
  const r = appendSession(tar, medium);
  t.equal(r.status, 0, r.stderr);
  const b = bsdtarReads(medium);
  t.ok(b.ok, `bsdtar reads the new session (${b.stderr})`);
  t.same(b.groups, [['alias', `hl/${LONG}`, 'hl/b/short'].sort()], 'all three names one file');
});
