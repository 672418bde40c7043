// cd-msinfo against xorriso: the same NEXT as `xorriso -as cdrecord -msinfo` and the same
// sessions as `xorriso -toc`, for images made by xorriso, genisoimage + xorriso appends and
// isopipe; blank, closed and foreign media; usage errors.
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { have, run, tarOf } from './helpers/run.js';
import { needs } from './helpers/skip.js';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-msinfo-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** Commands run in the scratch directory, with no default recorder unless `env` says. */
const inWork = (cmd: string, args: string[], o: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}) =>
  run(cmd, args, { input: o.input, env: o.env ?? { ...process.env, CDR_DEVICE: '' }, cwd: work });

const msinfo = (args: string[], env?: NodeJS.ProcessEnv) => inWork(process.execPath, [join(BIN, 'cd-msinfo.js'), ...args], { env });
// --create: these tests start from a path that does not exist, as the first backup does.
const cdwrite = (args: string[], input?: Buffer) => inWork(process.execPath, [join(BIN, 'cd-write.js'), '--create', ...args], { input });
const isopack = (args: string[], input: Buffer) => inWork(process.execPath, [join(BIN, 'iso-pack.js'), ...args], { input });

const tarOfWork = (dir: string) => tarOf(work, [], [dir]);

function xorrisoMsinfo(img: string): string {
  return inWork('xorriso', ['-as', 'cdrecord', `dev=stdio:${img}`, '--grow_overwriteable_iso', '-msinfo'])
    .stdout.toString()
    .trim();
}

/** [start, size] of every session xorriso lists. */
function xorrisoToc(img: string): number[][] {
  const out = inWork('xorriso', ['-indev', `stdio:${img}`, '-toc']).stdout.toString();
  return [...out.matchAll(/^ISO session\s*:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)s/gm)].map((m) => [Number(m[2]), Number(m[3])]);
}

function ourToc(img: string): {
  state: string;
  next: number;
  sessions: { number: number; start: number; size: number; volumeId: string; date: string | null }[];
  capacity: number | null;
  free: number | null;
} {
  const r = msinfo(['--dev', img, '--json']);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

for (const d of ['d1', 'd2', 'd3']) {
  mkdirSync(join(work, d));
  writeFileSync(join(work, d, `${d}-file.txt`), `content of ${d}\n`.repeat(d === 'd3' ? 20000 : 1));
}

t.test('xorriso-made images: cd-msinfo agrees with xorriso', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const img = join(work, 'xorriso.iso');
  for (const d of ['d1', 'd2', 'd3']) {
    t.equal(inWork('xorriso', ['-dev', `stdio:${img}`, '-map', join(work, d), `/${d}`, '-commit']).status, 0);
    const ours = msinfo(['--dev', img]);
    t.equal(ours.status, 0);
    t.equal(ours.stdout.toString().trim(), xorrisoMsinfo(img), `msinfo after ${d}`);
  }
  const toc = ourToc(img);
  t.same(
    toc.sessions.map((s) => [s.start, s.size]),
    xorrisoToc(img),
  );
  t.equal(toc.sessions.length, 3);
  t.equal(toc.state, 'appendable');
  t.equal(toc.sessions[0].volumeId, 'ISOIMAGE');
  t.match(toc.sessions[0].date, /^\d{4}-\d\d-\d\dT/);
});

t.test('genisoimage image with xorriso appends', async (t) => {
  if (!needs(t, 'xorriso', 'genisoimage')) return;
  const img = join(work, 'geniso.iso');
  t.equal(inWork('genisoimage', ['-quiet', '-R', '-J', '-o', img, join(work, 'd1')]).status, 0);
  t.equal(msinfo(['--dev', img]).stdout.toString().trim(), xorrisoMsinfo(img));
  for (const d of ['d2', 'd3']) {
    t.equal(inWork('xorriso', ['-dev', `stdio:${img}`, '-map', join(work, d), `/${d}`, '-commit']).status, 0);
    t.equal(msinfo(['--dev', img]).stdout.toString().trim(), xorrisoMsinfo(img), `msinfo after ${d}`);
  }
  t.same(
    ourToc(img).sessions.map((s) => [s.start, s.size]),
    xorrisoToc(img),
    'one session at 0, as xorriso sees it',
  );
});

t.test('isopipe-made images', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const img = join(work, 'isopipe.iso');
  t.equal(cdwrite(['--dev', img, '--blank']).status, 0, 'a new blank medium (cd-write --create --blank)');
  for (const d of ['d1', 'd2', 'd3']) {
    const prev = msinfo(['--dev', img]).stdout.toString().trim();
    const packed = isopack(['--prev', prev], tarOfWork(d));
    t.equal(packed.status, 0, packed.stderr.toString());
    const w = cdwrite(['--dev', img, '--multi'], packed.stdout);
    t.equal(w.status, 0, w.stderr.toString());
    t.equal(msinfo(['--dev', img]).stdout.toString().trim(), xorrisoMsinfo(img));
  }
  const toc = ourToc(img);
  t.same(
    toc.sessions.map((s) => [s.start, s.size]),
    xorrisoToc(img),
  );
  t.same(
    toc.sessions.map((s) => s.start),
    [32, 96, 160],
    'iso-pack sessions of 64 sectors, aligned to 32',
  );
  t.equal(toc.sessions[2].volumeId, 'ISOPIPE');

  const text = msinfo(['--dev', img, '--toc', '--media', 'cd74']);
  t.equal(text.status, 0);
  const lines = text.stdout.toString().split('\n');
  t.match(lines[1], /^session\s+start\s+size\s+volume id\s+date$/);
  t.match(lines[2], /^\s+1\s+32\s+\d+\s+ISOPIPE\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  t.ok(lines.includes(`next writable address: ${toc.next}`));
  t.ok(lines.includes('state: appendable'));
  t.match(text.stdout.toString(), new RegExp(`capacity: 333000 sectors \\(650\\.4 MiB\\), free: ${333000 - toc.next} sectors`));
  const j = ourToc(img);
  t.equal(j.capacity, null);
  const jc = JSON.parse(msinfo(['--dev', img, '--json', '--capacity', '10000']).stdout.toString());
  t.equal(jc.capacity, 10000);
  t.equal(jc.free, 10000 - toc.next);
});

t.test('a missing medium: exit 1, and how to make one', async (t) => {
  const missing = join(work, 'missing.iso');
  const r = msinfo(['--dev', missing]);
  t.equal(r.status, 1);
  t.equal(r.stdout.toString(), '');
  t.equal(r.stderr.toString(), `cd-msinfo: ${missing} does not exist: no medium there (cd-write --create makes a new image file; see cd-write(1))\n`);
  t.notOk(existsSync(missing), 'nothing created');
  // CDR_DEVICE inside a mount point that is not mounted: refused, not a fresh blank medium.
  const unmounted = msinfo([], { ...process.env, CDR_DEVICE: join(work, 'usb-disk-not-mounted', 'backup.iso') });
  t.equal(unmounted.status, 1);
  t.match(unmounted.stderr.toString(), /does not exist: no medium there/);
  const dev = msinfo(['dev=/dev/isopipe-no-such-drive']);
  t.equal(dev.status, 1);
  t.match(dev.stderr.toString(), /^cd-msinfo: \/dev\/isopipe-no-such-drive does not exist \(no such drive\?\); isopipe never creates files under \/dev\n$/);
  for (const addr of ['1,0', '0,1,0', 'ATA:1,0,0', 'ATAPI:0,0,0']) {
    const b = msinfo([`dev=${addr}`]);
    // Mapped to the drive at that SCSI address through sysfs (there is none here), never a file.
    t.equal(b.status, 1, `dev=${addr}: no such drive`);
    t.equal(
      b.stderr.toString(),
      `cd-msinfo: no SCSI device at ${addr} (bus,target,lun): no optical drive found (cd-msinfo --scan lists them)\n`,
      `dev=${addr}: says what it is`,
    );
  }
});

t.test('blank media: 0,32', async (t) => {
  const empty = join(work, 'empty.iso');
  writeFileSync(empty, '');
  t.equal(msinfo(['--dev', empty]).stdout.toString(), '0,32\n');
  const zeros = join(work, 'zeros.iso');
  writeFileSync(zeros, Buffer.alloc(1 << 20));
  t.equal(msinfo(['--dev', zeros]).stdout.toString(), '0,32\n');
  t.match(msinfo(['--dev', zeros, '--toc']).stdout.toString(), /no sessions\nnext writable address: 32\nstate: blank\n/);
  if (have('xorriso')) {
    // xorriso's pseudo-blank head (CDXX1) after -blank
    const pseudo = join(work, 'pseudo.iso');
    copyFileSync(join(work, 'isopipe.iso'), pseudo);
    t.equal(inWork('xorriso', ['-dev', `stdio:${pseudo}`, '-blank', 'as_needed']).status, 0);
    t.equal(msinfo(['--dev', pseudo]).stdout.toString(), '0,32\n');
  }
});

t.test('closed media', async (t) => {
  const img = join(work, 'closed.iso');
  const packed = isopack(['--prev', '0,32'], tarOfWork('d1'));
  t.equal(cdwrite(['--dev', img], packed.stdout).status, 0, 'written without --multi');
  const r = msinfo(['--dev', img]);
  t.equal(r.status, 1);
  t.equal(r.stdout.toString(), '');
  t.match(r.stderr.toString(), /^cd-msinfo: .*closed\.iso is closed \(written without --multi\): no session can be appended\n$/);
  const toc = msinfo(['--dev', img, '--toc']);
  t.equal(toc.status, 0, '--toc lists a closed medium');
  t.match(toc.stdout.toString(), /state: closed/);
  t.equal(ourToc(img).state, 'closed');
  if (have('xorriso')) t.same(xorrisoToc(img), [[32, 64]], 'xorriso still reads it');
});

t.test('foreign media: exit 1, nothing written', async (t) => {
  const mbr = Buffer.alloc(1 << 20);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const cases: [string, Buffer, RegExp][] = [
    ['mbr.img', mbr, /holds a partition table or boot sector/],
    ['text.txt', Buffer.from('hello world\n'.repeat(10000)), /holds unrecognised data/],
  ];
  for (const [name, content, re] of cases) {
    const p = join(work, name);
    writeFileSync(p, content);
    for (const extra of name === 'mbr.img' ? [[], ['--toc'], ['--json']] : [[]]) {
      const r = msinfo(['--dev', p, ...extra]);
      t.equal(r.status, 1);
      t.equal(r.stdout.toString(), '');
      t.match(r.stderr.toString(), /^cd-msinfo: .* is not an ISO 9660 medium: it holds/);
      t.match(r.stderr.toString(), re);
      t.equal(r.stderr.toString().trim().split('\n').length, 1);
    }
    t.ok(readFileSync(p).equals(content), 'unchanged');
  }
  const dir = msinfo(['--dev', work]);
  t.equal(dir.status, 1);
  t.match(dir.stderr.toString(), /neither a regular file nor a block device/);
});

t.test('naming the medium and usage errors', async (t) => {
  const img = join(work, 'isopipe.iso');
  const expected = msinfo(['--dev', img]).stdout.toString();
  t.equal(msinfo([`dev=${img}`, '-msinfo']).stdout.toString(), expected, 'cdrecord spelling');
  t.equal(msinfo([`dev=stdio:${img}`]).stdout.toString(), expected, 'xorriso spelling');
  t.equal(msinfo([], { ...process.env, CDR_DEVICE: img }).stdout.toString(), expected, 'CDR_DEVICE');
  const none = msinfo([]);
  t.equal(none.status, 2);
  t.match(none.stderr.toString(), /^cd-msinfo: no medium given: use --dev PATH \(or dev=PATH\), or set CDR_DEVICE/);
  for (const [args, re] of [
    [['--dev', img, '--bogus'], /unknown option '--bogus'/],
    [['--dev', img, 'extra'], /unexpected argument 'extra'/],
    [['--dev', img, '--toc', '--json'], /exclude each other/],
    [['--dev', img, '--capacity', 'x'], /--capacity wants/],
    [['--dev', img, '--media', 'floppy'], /--media must be one of/],
  ] as [string[], RegExp][]) {
    const r = msinfo(args);
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr.toString(), re);
  }
  const help = msinfo(['--help']);
  t.equal(help.status, 0);
  t.match(help.stdout.toString(), /^Usage: cd-msinfo/);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  t.equal(msinfo(['--version']).stdout.toString(), `cd-msinfo (isopipe) ${pkg.version}\n`);
});
