// Five sessions of a changing tree through the whole pipeline in --mirror mode:
//   tar | iso-merge --mirror | iso-pack --prev $(cd-msinfo) | cd-write --multi
// After each, xorriso, bsdtar, 7z and the Linux kernel must show exactly the source tree of
// that moment (md5 of every file), and the image must grow by about the changed bytes
// only. At the end every older session must still show its own moment (kernel sbsector=,
// xorriso -load sbsector, iso-merge --data --session N — the last equal to the tar).
import t from 'tap';
import {
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendSession,
  describe,
  type Field,
  type HostEntry,
  hostListing,
  hostTree,
  kernelComparable,
  kernelListingAsync,
  linkGroups,
  sessionStarts,
  untar,
} from '../helpers/merge.js';
import { must, node, run, tarOf } from '../helpers/run.js';
import { KERNEL_ORACLE, needs } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-mirror-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const src = join(work, 'src');
const medium = join(work, 'medium.iso');
const T0 = 1_700_000_000;
const LONG = 'N'.repeat(150) + '.txt';
const BULK = 2 * 1024 * 1024;

/** Writes a file with a fixed mtime for moment k (the mirror test must not depend on the clock). */
function put(rel: string, data: string | Buffer, k: number, mode = 0o644) {
  const p = join(src, rel);
  writeFileSync(p, data);
  chmodSync(p, mode);
  utimesSync(p, T0 + k * 1000, T0 + k * 1000);
}

/** The changes of each moment, and the bytes of file data they add. */
const moments: (() => number)[] = [
  () => {
    mkdirSync(join(src, 'd'), { recursive: true });
    put('bulk.bin', Buffer.from(Array.from({ length: BULK }, (_, i) => (i * 2654435761) >>> 24)), 1);
    put('a.txt', 'alpha v1\n', 1);
    put('b.txt', 'bravo\n', 1);
    chownSync(join(src, 'b.txt'), 1234, 5678);
    put('d/x', 'x\n', 1);
    put('d/y', 'y\n', 1);
    symlinkSync('a.txt', join(src, 's'));
    put('r', 'r-file\n', 1);
    put('h1', 'linked data\n', 1);
    linkSync(join(src, 'h1'), join(src, 'h2'));
    put(LONG, 'long name\n', 1);
    put('ü.txt', 'utf-8\n', 1);
    must('mkfifo', [join(src, 'fifo')]);
    must('mknod', [join(src, 'chr'), 'c', '1', '3']);
    return BULK + 100;
  },
  () => {
    put('a.txt', 'alpha v2, longer\n', 2); // modify
    unlinkSync(join(src, 'b.txt')); // delete
    renameSync(join(src, 'd/x'), join(src, 'd/x2')); // rename
    chmodSync(join(src, 'd/y'), 0o600); // chmod
    put('n.txt', 'new\n', 2); // add
    return 100;
  },
  () => {
    unlinkSync(join(src, 'r')); // a file becomes a directory
    mkdirSync(join(src, 'r'));
    put('r/in', 'inside r\n', 3);
    unlinkSync(join(src, 's')); // new symlink target
    symlinkSync('d/y', join(src, 's'));
    linkSync(join(src, 'h1'), join(src, 'h3')); // add a hard link
    unlinkSync(join(src, 'h2')); // break one: h2 becomes its own file
    put('h2', 'separate now\n', 3);
    return 100;
  },
  () => {
    rmSync(join(src, 'r'), { recursive: true }); // and back to a file
    put('r', 'r-again\n', 4);
    utimesSync(join(src, 'a.txt'), T0 + 4000, T0 + 4000); // same size, new mtime: sent again
    mkdirSync(join(src, 'e'));
    put('e/f', 'e/f\n', 4);
    return 100;
  },
  () => {
    rmSync(join(src, 'd'), { recursive: true }); // a whole directory goes
    put('n.txt', 'new, edited\n', 5);
    return 100;
  },
];

// Files compared by every reader that sees Rock Ridge; devices, owners and modes included.
const FIELDS: Field[] = ['type', 'perm', 'owner', 'size', 'mtime', 'target', 'md5', 'dev'];
const notRoot = (p: string) => p !== '';

interface Moment {
  tar: Buffer;
  tree: Map<string, HostEntry>;
  kernel: string[] | null;
  start: number;
}
const done: Moment[] = [];

function sameAsMoment(t: Tap.Test, got: Map<string, HostEntry>, m: Moment, what: string) {
  t.strictSame(describe(got, FIELDS, notRoot), describe(m.tree, FIELDS, notRoot), `${what}: every entry`);
  t.strictSame(linkGroups(got), linkGroups(m.tree), `${what}: hard-link groups`);
}

function viaXorriso(t: Tap.Test, m: Moment, what: string, start?: number) {
  if (!needs(t, 'xorriso')) return;
  const out = join(work, `xorriso-${done.length}-${start ?? 'new'}`);
  const load = start === undefined ? [] : ['-load', 'sbsector', String(start)];
  must('xorriso', ['-osirrox', 'on:device_files', '-hardlinks', 'on', ...load, '-indev', medium, '-extract', '/', out]);
  sameAsMoment(t, hostTree(out), m, what);
  rmSync(out, { recursive: true, force: true });
}

const haveOracle = (t: Tap.Test) => needs(t, KERNEL_ORACLE);

for (let k = 0; k < moments.length; k++) {
  t.test(`session ${k + 1}`, async (t) => {
    if (k === 0) mkdirSync(src);
    const changed = moments[k]();
    const tar = tarOf(src);
    const before = statSync(medium, { throwIfNoEntry: false })?.size ?? 0;
    const r = appendSession(tar, medium, ['--mirror', '-v']);
    t.equal(r.status, 0, `pipeline: ${r.stderr}`);
    const grown = statSync(medium).size - before;
    // Data of the changed files, the long-named file (carried with its data), the new
    // session's metadata and padding — but never the unchanged 2 MiB again.
    t.ok(grown < changed + 256 * 1024, `the image grew by ${grown} bytes for ${changed} changed`);
    if (k > 0) t.match(r.stderr, /reused \d+ files/, 'the -v report');
    const starts = sessionStarts(medium);
    t.equal(starts.length, k + 1, `${k + 1} sessions`);
    const m: Moment = { tar, tree: hostTree(src), kernel: null, start: starts[k] };
    done.push(m);

    const oracle = haveOracle(t) ? kernelListingAsync(medium) : null;
    if (oracle) m.kernel = kernelComparable(hostListing(src));

    viaXorriso(t, m, 'xorriso');

    if (needs(t, 'bsdtar')) {
      const out = join(work, `bsdtar-${k}`);
      mkdirSync(out);
      must('bsdtar', ['--numeric-owner', '-xpf', medium, '-C', out]);
      sameAsMoment(t, hostTree(out), m, 'bsdtar');
      rmSync(out, { recursive: true, force: true });
    }

    if (needs(t, '7z')) {
      // 7-Zip reads the Joliet tree: names up to 64 characters, regular files only.
      const out = join(work, `7z-${k}`);
      must('7z', ['x', '-o' + out, medium]);
      // The long name is cut to 64 characters there: compare it by its content.
      const files = (tree: Map<string, HostEntry>) => describe(tree, ['size', 'md5'], (p, e) => e.type === 'file' && !p.startsWith('NNNN'));
      const got = hostTree(out);
      t.strictSame(files(got), files(m.tree), '7z: every file (Joliet names)');
      const cut = [...got].filter(([p]) => p.startsWith('NNNN'));
      t.equal(cut.length, 1, '7z: the long name, shortened');
      t.equal(cut[0]?.[1].md5, m.tree.get(LONG)!.md5, '7z: the long-named file');
      rmSync(out, { recursive: true, force: true });
    }

    if (oracle) {
      const got = await oracle;
      t.equal(got.status, 0, `kernel mounts the image: ${got.stderr.trim().split('\n').pop()}`);
      t.strictSame(kernelComparable(got.lines), m.kernel, 'kernel: every entry with its md5');
    }
  });
}

t.test('every older session still shows its own moment', async (t) => {
  t.equal(done.length, 5);
  for (let k = 0; k < done.length - 1; k++) {
    const m = done[k];
    viaXorriso(t, m, `session ${k + 1} via xorriso -load sbsector`, m.start);

    const r = node('iso-merge', ['--dev', medium, '--data', '--session', String(k + 1), '-n']);
    t.equal(r.status, 0, r.stderr);
    const out = join(work, `data-${k}`);
    untar(r.stdout, out);
    sameAsMoment(t, hostTree(out), m, `session ${k + 1} via iso-merge --data`);
    // The restored tar lists as the tar that made the session: `./` prefixes aside, and
    // with hard links shown as files, since which name of a group carries the data is
    // the writer's choice.
    const list = (tar: Buffer) => {
      const rows = String(run('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, env: { ...process.env, TZ: 'UTC' } }).stdout)
        .split('\n')
        .filter((l) => l && !/ \.\/$/.test(l))
        .map((l) => /^(\S)(\S+) (\S+)\s+(\S+) (\S+ \S+) (?:\.\/)?(.*?)(?: link to (?:\.\/)?(.*))?$/.exec(l)!);
      const sizes = new Map(rows.filter((x) => x[1] === '-').map((x) => [x[6], x[4]]));
      return rows
        .map((x) => {
          const link = x[1] === 'h';
          const size = x[1] === 'd' ? '-' : link ? sizes.get(x[7]) : x[4];
          return [link ? '-' : x[1], x[2], x[3], size, x[5], x[6]].join(' ');
        })
        .sort();
    };
    t.strictSame(list(r.stdout), list(m.tar), `session ${k + 1}: tar tv of --data equals the tar`);
    rmSync(out, { recursive: true, force: true });
  }
  // The kernel, mounting each older session by its start sector, two VMs at a time.
  if (!haveOracle(t)) return;
  const older = done.slice(0, -1);
  for (let i = 0; i < older.length; i += 2) {
    const batch = older.slice(i, i + 2);
    const got = await Promise.all(batch.map((m) => kernelListingAsync(medium, `sbsector=${m.start}`)));
    batch.forEach((m, j) => {
      t.equal(got[j].status, 0, `kernel mounts sbsector=${m.start}`);
      // Known: a session's own PVD holds its session-relative size (DESIGN §5), and this
      // kernel refuses Rock Ridge continuation areas past that size when it mounts the
      // session by sbsector=, so the file whose long name lives in a CE is not listed.
      const long = (l: string) => l.startsWith('/' + LONG.slice(0, 20));
      t.strictSame(
        kernelComparable(got[j].lines).filter((l) => !long(l)),
        m.kernel!.filter((l) => !long(l)),
        `session ${i + j + 1} via the kernel (sbsector=${m.start})`,
      );
      t.ok(got[j].lines.some(long), 'the long-named file via sbsector=', { todo: 'session-relative volume size vs the kernel CE check (DESIGN §5)' });
    });
  }
});
