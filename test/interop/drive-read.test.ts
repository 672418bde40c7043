// cd-verify and iso-merge on a disc (tier 2: boots the drive oracle, one VM per medium). On
// cdr74 and dvd+r, two -multi sessions burned by cdrskin and xorriso -as cdrecord (the
// second imports the first, both with MD5s): cd-verify dev=$DRIVE finds both sessions and
// no problem, before the kernel has even reread the disc; iso-merge --data lists the newest
// session's tree exactly as xorriso -find and the kernel's mount see it, and session 1's
// as its source tree; session 1's large file comes back byte for byte.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driveOracleHere, type OracleAssertions, type RecResult, ROOT, recResults, runDriveOracle } from '../helpers/drive-oracle.js';

const SCRIPT = join(ROOT, 'test', 'interop', 'drive-read.sh');

const work = mkdtempSync(join(tmpdir(), 'isopipe-drive-read-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

type Result = RecResult;

function runOracle(t: OracleAssertions, media: string): Map<string, Result> | null {
  if (!driveOracleHere(t)) return null;
  const r = runDriveOracle(t, { disc: ['--media', media], out: join(work, media), script: SCRIPT, scriptArgs: [ROOT], timeoutMs: 1_500_000 });
  return r === null ? null : recResults(r.stdout);
}

function get(results: Map<string, Result>, key: string): Result {
  const r = results.get(key);
  if (!r) throw new Error(`the guest script printed no result for ${key}`);
  return r;
}

const list = (r: Result) => r.out.split(' | ').filter((x) => x);

for (const media of ['cdr74', 'dvd+r']) {
  t.test(`cd-verify and iso-merge on ${media}`, { timeout: 1_600_000 }, async (t) => {
    const res = runOracle(t, media);
    if (!res) return;
    t.equal(get(res, 'burn1').rc, 0, 'cdrskin burned session 1');
    t.equal(get(res, 'burn2').rc, 0, 'xorriso burned session 2');
    t.comment(`msinfo after session 1: ${get(res, 'msinfo1').out}; kernel's size before the rescan: ${get(res, 'kernelsize').out}`);

    for (const key of ['verify', 'verify2']) {
      const v = get(res, key);
      t.equal(v.rc, 0, `${key}: cd-verify passes (${v.err})`);
      const lines = list(v).map((l) => JSON.parse(l) as { kind: string; sessions?: number; files?: number; problems?: number });
      const summary = lines.find((l) => l.kind === 'summary');
      t.same(
        lines.filter((l) => l.kind !== 'summary'),
        [],
        `${key}: no findings`,
      );
      t.equal(summary?.sessions, 2, `${key}: both sessions checked`);
      t.ok((summary?.files ?? 0) > 0, `${key}: ${summary?.files} files checked by their MD5s`);
    }
    t.match(get(res, 'verify.err2').out, /2 session\(s\).*no problems/);

    const newest = get(res, 'merge.newest');
    t.equal(newest.rc, 0, `iso-merge --data (${newest.err})`);
    t.ok(list(newest).length > 10, `${list(newest).length} names`);
    t.equal(get(res, 'xfind').rc, 0, 'xorriso -find');
    t.same(list(newest), list(get(res, 'xfind')), 'the newest session equals xorriso -find');
    const mount = get(res, 'mount.newest');
    t.equal(mount.rc, 0, `the kernel mounts the newest session (${mount.err})`);
    t.same(list(newest), list(mount), "the newest session equals the kernel's mount");
    t.same(list(newest), list(get(res, 'src.newest')), 'and both source trees');
    const s1 = get(res, 'merge.s1');
    t.equal(s1.rc, 0, `iso-merge --data --session 1 (${s1.err})`);
    t.same(list(s1), list(get(res, 'src.s1')), 'session 1 equals its source tree');
    t.equal(get(res, 'merge.big').out, 'same', "session 1's 3 MB file byte for byte");
    const packM = get(res, 'pack.M');
    t.equal(packM.out, 'packed', `iso-pack -M reads the disc through the drive (${packM.err})`);
    const packMerge = get(res, 'pack.merge');
    t.equal(packMerge.out, 'same', `iso-pack -M gives the bytes of iso-merge | iso-pack (${packMerge.err})`);
  });
}
