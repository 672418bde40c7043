// cd-write end to end: three sessions through `iso-pack --prev $(cd-msinfo) | cd-write
// --multi` and through `iso-pack -o` + `cd-write FILE`, judged by xorriso, bsdtar and 7z (the
// Linux kernel: test/interop/cd-write-kernel.test.ts); appends to and from xorriso; plain
// images from other tools; every refusal (exit status, message, medium unchanged); cdrecord
// habits.
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { EmulatedMedium } from '../dist/media/emulated-medium.js';
import { have, run, tarOf } from './helpers/run.js';
import { makeSessionTree } from './helpers/sessions.js';
import { needs } from './helpers/skip.js';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-cdwrite-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, CDR_DEVICE: '', SOURCE_DATE_EPOCH: '1700000000' };

/** Commands run in the scratch directory, in ENV unless `env` says. */
const inWork = (cmd: string, args: string[], o: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}) =>
  run(cmd, args, { input: o.input, env: o.env ?? ENV, cwd: work });
const sh = (script: string, env: NodeJS.ProcessEnv = ENV) => inWork('sh', ['-c', script], { env });
const node = (tool: string, args: string[], input?: Buffer) => inWork(process.execPath, [join(BIN, `${tool}.js`), ...args], { input });
// --create: most media here start as a path that does not exist (cd-write-create.test.ts tests without).
const cdwrite = (args: string[], input?: Buffer) => node('cd-write', ['--create', ...args], input);
/** The medium's state, in process (the CLI itself is tested in cd-msinfo.test.ts). */
function status(img: string) {
  const m = EmulatedMedium.open(img, { write: false, create: true });
  try {
    return m.status();
  } finally {
    m.release();
  }
}
const msinfo = (img: string) => `0,${status(img).next}`;
const sha = (p: string) => (existsSync(p) ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'missing');

const tars = new Map<string, Buffer>();
function tarOfDir(parent: string, dir: string): Buffer {
  const key = `${parent}/${dir}`;
  if (!tars.has(key)) tars.set(key, tarOf(parent, [], [dir]));
  return tars.get(key)!;
}

/** iso-pack's output; the same arguments and tar give the same bytes (SOURCE_DATE_EPOCH). */
const packs = new Map<string, Buffer>();
function pack(args: string[], input: Buffer): Buffer {
  const key = args.join('\0') + createHash('sha1').update(input).digest('hex');
  if (args.includes('-o') || !packs.has(key)) {
    const r = node('iso-pack', args, input);
    if (r.status !== 0) throw new Error(r.stderr.toString());
    packs.set(key, r.stdout);
  }
  return packs.get(key)!;
}

function xorrisoToc(img: string): number[][] {
  const out = inWork('xorriso', ['-indev', `stdio:${img}`, '-toc']).stdout.toString();
  return [...out.matchAll(/^ISO session\s*:\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)s/gm)].map((m) => [Number(m[2]), Number(m[3])]);
}

function ourToc(img: string): number[][] {
  return status(img).sessions.map((s) => [s.start, s.size]);
}

function xorrisoMsinfo(img: string): string {
  return inWork('xorriso', ['-as', 'cdrecord', `dev=stdio:${img}`, '--grow_overwriteable_iso', '-msinfo'])
    .stdout.toString()
    .trim();
}

const trees = [1, 2, 3].map((i) => makeSessionTree(work, i));

t.test('three sessions through pipes, and the same through files', async (t) => {
  const piped = join(work, 'piped.iso');
  t.equal(cdwrite(['--dev', piped, '--blank']).status, 0, 'the README set-up step: a new blank medium');
  for (const [i, parent] of trees.entries()) {
    const r = sh(`tar -C '${parent}' -cf - s${i + 1} | node '${BIN}iso-pack.js' --prev $(node '${BIN}cd-msinfo.js') | node '${BIN}cd-write.js' --multi`, {
      ...ENV,
      CDR_DEVICE: piped,
    });
    t.equal(r.status, 0, r.stderr.toString());
    t.equal(r.stderr.toString(), '', 'quiet without -v on a non-terminal');
  }
  const filed = join(work, 'filed.iso');
  for (const [i, parent] of trees.entries()) {
    const img = join(work, `session${i + 1}.iso`);
    pack(['--prev', msinfo(filed), '-o', img], tarOfDir(parent, `s${i + 1}`));
    const r = cdwrite([`dev=${filed}`, '-multi', img]);
    t.equal(r.status, 0, r.stderr.toString());
  }
  t.equal(sha(filed), sha(piped), 'the file route gives the same medium, byte for byte');
  const toc = ourToc(piped);
  t.equal(toc.length, 3);
  t.equal(toc[0][0], 32);
  for (let k = 1; k < 3; k++) t.equal(toc[k][0], Math.ceil((toc[k - 1][0] + toc[k - 1][1]) / 32) * 32, 'each session at round_up(end of the previous, 32)');
  t.equal(readFileSync(piped).length / 2048, Math.ceil((toc[2][0] + toc[2][1]) / 32) * 32, 'the file ends at the next writable address');

  if (needs(t, 'xorriso')) {
    t.same(xorrisoToc(piped), toc, 'xorriso -toc lists the same sessions');
    t.equal(msinfo(piped), xorrisoMsinfo(piped), 'cd-msinfo equals xorriso -msinfo');
  }
  if (needs(t, 'bsdtar')) {
    const list = inWork('bsdtar', ['tf', piped]).stdout.toString();
    t.match(list, /s3\/Sub Dir\/a long name with spaces, longer than thirty-one characters\.txt/, 'bsdtar lists the newest session');
    t.notMatch(list, /s1\//);
  }
  if (needs(t, '7z')) {
    const list = inWork('7z', ['l', piped]).stdout.toString();
    t.match(list, /s3\/MixedCase\.Name-3\.txt/, '7z lists the newest session');
    t.notMatch(list, /s1\//);
  }
});

t.test('xorriso appends to an isopipe medium, isopipe to an xorriso one', async (t) => {
  if (!needs(t, 'xorriso')) return;
  const ours = join(work, 'ours-then-xorriso.iso');
  copyFileSync(join(work, 'piped.iso'), ours);
  t.equal(inWork('xorriso', ['-dev', `stdio:${ours}`, '-map', join(trees[0], 's1'), '/again', '-commit']).status, 0);
  t.equal(ourToc(ours).length, 4);
  t.same(ourToc(ours), xorrisoToc(ours));
  t.equal(msinfo(ours), xorrisoMsinfo(ours));
  // and isopipe goes on after xorriso
  const w = cdwrite(['--dev', ours, '--multi'], pack(['--prev', msinfo(ours)], tarOfDir(trees[1], 's2')));
  t.equal(w.status, 0, w.stderr.toString());
  t.same(ourToc(ours), xorrisoToc(ours));
  t.equal(ourToc(ours).length, 5);

  const theirs = join(work, 'xorriso-then-ours.iso');
  for (const d of ['s1', 's2'])
    t.equal(inWork('xorriso', ['-dev', `stdio:${theirs}`, '-map', join(trees[d === 's1' ? 0 : 1], d), `/${d}`, '-commit']).status, 0);
  const r = cdwrite(['--dev', theirs, '--multi'], pack(['--prev', msinfo(theirs)], tarOfDir(trees[2], 's3')));
  t.equal(r.status, 0, r.stderr.toString());
  t.equal(xorrisoToc(theirs).length, 3);
  t.same(ourToc(theirs), xorrisoToc(theirs));
  const ls = inWork('xorriso', ['-indev', `stdio:${theirs}`, '-ls', '/s3']).stdout.toString();
  t.match(ls, /MixedCase\.Name-3\.txt/, 'xorriso loads the tree isopipe wrote');
  t.equal(inWork('xorriso', ['-dev', `stdio:${theirs}`, '-map', join(trees[0], 's1'), '/more', '-commit']).status, 0, 'and appends after it');
  t.same(ourToc(theirs), xorrisoToc(theirs));
  // A medium xorriso blanked (pseudo-blank head) takes a first session at 32.
  const blanked = join(work, 'blanked.iso');
  copyFileSync(theirs, blanked);
  t.equal(inWork('xorriso', ['-dev', `stdio:${blanked}`, '-blank', 'as_needed']).status, 0);
  t.equal(cdwrite(['--dev', blanked, '--multi'], pack(['--prev', msinfo(blanked)], tarOfDir(trees[0], 's1'))).status, 0);
  t.same(xorrisoToc(blanked), ourToc(blanked));
  t.equal(ourToc(blanked)[0][0], 32);
});

t.test('plain images from genisoimage and xorriso -C, from a file and a pipe', async (t) => {
  if (!needs(t, 'genisoimage', 'xorriso')) return;
  const img = join(work, 'plain-appends.iso');
  t.equal(cdwrite(['--dev', img, '--multi'], pack(['--prev', '0,32'], tarOfDir(trees[0], 's1'))).status, 0);
  const g = join(work, 'g.iso');
  t.equal(inWork('genisoimage', ['-quiet', '-R', '-J', '-C', msinfo(img), '-o', g, join(trees[1], 's2')]).status, 0);
  let r = cdwrite(['--dev', img, '--multi', g]);
  t.equal(r.status, 0, r.stderr.toString());
  const x = join(work, 'x.iso');
  t.equal(inWork('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-C', msinfo(img), '-o', x, join(trees[2], 's3')]).status, 0);
  r = cdwrite(['--dev', img, '--multi'], readFileSync(x));
  t.equal(r.status, 0, r.stderr.toString());
  t.same(ourToc(img), xorrisoToc(img));
  t.equal(ourToc(img).length, 3);
  const ls = inWork('xorriso', ['-indev', `stdio:${img}`, '-ls', '/']).stdout.toString();
  t.match(ls, /MixedCase\.Name-3\.txt/, 'the newest tree is the xorriso -C image');
});

t.test('a plain image built for LBA 0 goes to LBA 0 of a blank medium', async (t) => {
  const plain = join(work, 'at0.iso');
  pack(['-o', plain], tarOfDir(trees[0], 's1'));
  const medium = join(work, 'at0-medium.iso');
  // With --multi its history would be lost at the next append: refused without --force.
  for (const input of [[plain], []]) {
    const no = cdwrite(['--dev', medium, '--multi', ...input], input.length ? undefined : readFileSync(plain));
    t.equal(no.status, 1);
    t.equal(
      no.stderr.toString(),
      'cd-write: image laid out for LBA 0 with --multi: the next session would replace its head and it could no longer be restored on its own; lay it out for LBA 32 (iso-pack --prev 0,32, mkisofs -C 0,32) or use --force to write it at LBA 0 anyway; nothing written\n',
    );
    t.notOk(existsSync(medium), 'nothing written, no file made');
  }
  const refusedStream = cdwrite(['--dev', medium, '--multi'], pack([], tarOfDir(trees[0], 's1')));
  t.equal(refusedStream.status, 1, 'iso-pack without --prev (laid out for 0) too');
  t.equal(cdwrite(['--dev', medium, '--dummy', '--multi', plain]).status, 1, '--dummy says so too');
  // Without --multi the medium is closed: nothing to lose.
  const closedAt0 = join(work, 'at0-closed.iso');
  t.equal(cdwrite(['--dev', closedAt0, plain]).status, 0);
  const r = cdwrite(['--dev', medium, '--multi', '--force', '-v', plain]);
  t.equal(r.status, 0, r.stderr.toString());
  t.match(r.stderr.toString(), /session at LBA 0, \d+ sectors, written; next writable address/);
  t.equal(sha(medium), sha(plain), 'the medium is the image');
  // from a pipe too (its root directory comes last: chosen by plausibility, confirmed later)
  const piped = join(work, 'at0-piped.iso');
  t.equal(cdwrite(['--dev', piped, '--multi', '--force'], readFileSync(plain)).status, 0);
  t.equal(sha(piped), sha(plain));
  // A head-last stream laid out for LBA 0 (iso-pack without --prev) also goes to 0 of a blank medium.
  const streamed0 = join(work, 'at0-stream.iso');
  t.equal(cdwrite(['--dev', streamed0, '--multi', '--force'], pack([], tarOfDir(trees[0], 's1'))).status, 0);
  t.equal(sha(streamed0), sha(plain), 'stream and plain image give the same medium');
  // then a session after it
  const w = cdwrite(['--dev', medium, '--multi'], pack(['--prev', msinfo(medium)], tarOfDir(trees[1], 's2')));
  t.equal(w.status, 0, w.stderr.toString());
  if (needs(t, 'xorriso')) {
    t.same(ourToc(medium), xorrisoToc(medium));
    t.match(inWork('xorriso', ['-indev', `stdio:${medium}`, '-ls', '/s2']).stdout.toString(), /MixedCase/);
  }
});

t.test('refusals: exit 1, one line, medium unchanged', async (t) => {
  const base = join(work, 'refusals.iso');
  t.equal(cdwrite(['--dev', base, '--multi'], pack(['--prev', '0,32'], tarOfDir(trees[0], 's1'))).status, 0);
  const next = Number(msinfo(base).split(',')[1]);
  const closed = join(work, 'closed.iso');
  t.equal(cdwrite(['--dev', closed], pack(['--prev', '0,32'], tarOfDir(trees[0], 's1'))).status, 0);
  const mbr = join(work, 'mbr.img');
  const mbrBytes = Buffer.alloc(1 << 20);
  mbrBytes[510] = 0x55;
  mbrBytes[511] = 0xaa;
  writeFileSync(mbr, mbrBytes);
  const text = join(work, 'notes.txt');
  writeFileSync(text, 'shopping list\n'.repeat(1000));
  const stale = pack(['--prev', '0,32'], tarOfDir(trees[1], 's2'));
  const good = pack(['--prev', `0,${next}`], tarOfDir(trees[1], 's2'));
  const goodFile = join(work, 'good.stream');
  writeFileSync(goodFile, good);
  const staleFile = join(work, 'stale.iso');
  pack(['--prev', '0,32', '-o', staleFile], tarOfDir(trees[1], 's2'));
  const genStale = join(work, 'gen-stale.iso');
  if (have('genisoimage')) inWork('genisoimage', ['-quiet', '-R', '-C', '0,32', '-o', genStale, join(trees[1], 's2')]);

  const truncated = join(work, 'truncated.iso');
  writeFileSync(truncated, readFileSync(base).subarray(0, (next - 10) * 2048));
  const cases: { name: string; dev: string; args?: string[]; input?: Buffer; re: RegExp }[] = [
    {
      name: 'truncated medium',
      dev: truncated,
      input: good,
      re: /^cd-write: the volume ends at LBA \d+ but .*truncated\.iso holds only \d+ sectors: it looks truncated \(--force to append anyway\)$/,
    },
    { name: 'stale stream', dev: base, input: stale, re: /^cd-write: packed for LBA 32, medium's next writable address is \d+: run cd-msinfo again$/ },
    {
      name: 'stale plain image file (data first)',
      dev: base,
      args: [staleFile],
      re: /^cd-write: packed for LBA 32, medium's next writable address is \d+: run cd-msinfo again$/,
    },
    {
      name: 'stale plain image on a pipe (data first)',
      dev: base,
      input: readFileSync(staleFile),
      re: /^cd-write: image was not laid out for LBA \d+, the medium's next writable address \(its root directory at LBA \d+ cannot lie there\): run cd-msinfo again$/,
    },
    { name: 'closed medium', dev: closed, input: good, re: /^cd-write: medium is closed \(written without --multi\): no session can be appended/ },
    {
      name: 'too big for --capacity (a file: refused before writing)',
      dev: base,
      args: ['--capacity', String(next + 40), goodFile],
      re: /^cd-write: session of 64 sectors \(0\.1 MiB\) at LBA \d+ does not fit: 40 sectors \(0\.1 MiB\) free of the medium's \d+; nothing written$/,
    },
    {
      name: 'too big for --capacity (a pipe: stops at the capacity)',
      dev: base,
      args: ['--capacity', String(next + 40)],
      input: good,
      re: /^cd-write: session of 64 sectors \(0\.1 MiB\) at LBA \d+ does not fit: 40 sectors \(0\.1 MiB\) free of the medium's \d+; nothing committed$/,
    },
    {
      name: 'partition table',
      dev: mbr,
      input: pack(['--prev', '0,32'], tarOfDir(trees[0], 's1')),
      re: /^cd-write: .*mbr\.img is not an ISO 9660 medium: it holds a partition table or boot sector/,
    },
    { name: 'a text file', dev: text, input: pack(['--prev', '0,32'], tarOfDir(trees[0], 's1')), re: /is not an ISO 9660 medium: it holds unrecognised data/ },
    {
      name: 'input that is no session',
      dev: base,
      input: Buffer.from('hello\n'.repeat(10000)),
      re: /^cd-write: input is neither an isopipe head-last stream nor an ISO 9660 image/,
    },
    { name: 'empty input', dev: base, input: Buffer.alloc(0), re: /^cd-write: no session on input \(it is empty\)$/ },
    {
      name: 'stream cut short',
      dev: base,
      input: good.subarray(0, good.length - 2048),
      re: /^cd-write: stream has no valid trailer: it was cut short or damaged$/,
    },
    { name: 'tar instead of a session', dev: base, input: tarOfDir(trees[0], 's1'), re: /neither an isopipe head-last stream nor an ISO 9660 image/ },
  ];
  if (existsSync(genStale))
    cases.push({
      name: 'stale genisoimage -C image',
      dev: base,
      input: readFileSync(genStale),
      re: /^cd-write: packed for LBA 32, medium's next writable address is \d+/,
    });
  for (const c of cases) {
    const before = sha(c.dev);
    const r = cdwrite(['--dev', c.dev, '--multi', ...(c.args ?? [])], c.input);
    t.equal(r.status, 1, `${c.name}: exit 1`);
    const lines = r.stderr.toString().trim().split('\n');
    t.equal(lines.length, 1, `${c.name}: one line`);
    t.match(lines[0], c.re, c.name);
    t.equal(r.stdout.length, 0);
    t.equal(sha(c.dev), before, `${c.name}: medium unchanged`);
  }
  // A missing medium is not created by a refused session.
  const missing = join(work, 'never.iso');
  t.equal(cdwrite(['--dev', missing, '--multi'], good).status, 1);
  t.notOk(existsSync(missing), 'no file left behind');
  // --force writes over foreign content and appends to a closed medium.
  const f = cdwrite(['--dev', mbr, '--multi', '--force'], pack(['--prev', '0,32'], tarOfDir(trees[0], 's1')));
  t.equal(f.status, 0, f.stderr.toString());
  t.equal(msinfo(mbr), '0,96');
  t.equal(readFileSync(mbr)[510], 0, 'the foreign boot sector is gone');
  const c2 = cdwrite(['--dev', closed, '--multi', '--force'], pack(['--prev', msinfo(closed) || '0,96'], tarOfDir(trees[1], 's2')));
  t.equal(c2.status, 0, c2.stderr.toString());
  t.equal(ourToc(closed).length, 2);
});

t.test('cdrecord habits, dummy runs, progress and usage errors', async (t) => {
  const img = join(work, 'habits.iso');
  const first = pack(['--prev', '0,32'], tarOfDir(trees[0], 's1'));
  const dummy = cdwrite([`dev=${img}`, '-dummy', '-multi', '-v'], first);
  t.equal(dummy.status, 0, dummy.stderr.toString());
  t.match(dummy.stderr.toString(), /checked \(dummy, nothing written\)/);
  t.notOk(existsSync(img), 'dummy writes nothing');
  const r = inWork(process.execPath, [join(BIN, 'cd-write.js'), '-v', '-multi', '-create', 'speed=8', '-data', '-tao', '-'], {
    input: first,
    env: { ...ENV, CDR_DEVICE: img },
  });
  t.equal(r.status, 0, r.stderr.toString());
  t.match(r.stderr.toString(), /cd-write: \d+\.\d MB written, \d+\.\d MB\/s/, 'progress with -v');
  t.match(r.stderr.toString(), /session at LBA 32, 64 sectors, written; next writable address 96/);
  const before = sha(img);
  const dummy2 = cdwrite(['--dev', img, '--dummy', '--multi'], pack(['--prev', '0,96'], tarOfDir(trees[1], 's2')));
  t.equal(dummy2.status, 0);
  t.equal(sha(img), before, 'dummy append leaves the medium alone');
  const dummyBad = cdwrite(['--dev', img, '--dummy', '--multi'], pack(['--prev', '0,32'], tarOfDir(trees[1], 's2')));
  t.equal(dummyBad.status, 1, 'dummy still checks');
  const j = cdwrite(['--dev', img, '--multi', '--json'], pack(['--prev', '0,96'], tarOfDir(trees[1], 's2')));
  t.same(JSON.parse(j.stdout.toString()), { start: 96, sectors: 64, next: 160, state: 'appendable', dummy: false, input: 'head-last', unchanged: false });

  for (const [args, re] of [
    [[], /no medium given: use --dev PATH \(or dev=PATH\), or set CDR_DEVICE/],
    [['--dev', img, '--bogus'], /unknown option '--bogus'/],
    [['--dev', img, 'a.iso', 'b.iso'], /one session at a time/],
    [['--dev', img, 'speed=fast'], /speed= wants a number/],
    [['--dev', img, '--capacity', '12q'], /unknown unit/],
    [['--dev', img, '--media', 'cd74', '--capacity', '5'], /exclude each other/],
  ] as [string[], RegExp][]) {
    const u = cdwrite(args, Buffer.alloc(0));
    t.equal(u.status, 2, args.join(' '));
    t.match(u.stderr.toString(), re);
  }
  const missingInput = cdwrite(['--dev', img, join(work, 'no-such.iso')]);
  t.equal(missingInput.status, 1);
  t.match(missingInput.stderr.toString(), /cannot open .*no-such\.iso/);
  t.match(cdwrite(['--help']).stdout.toString(), /^Usage: cd-write/);
  t.match(cdwrite(['--version']).stdout.toString(), /^cd-write \(isopipe\) \d+\.\d+\.\d+\n$/);
  t.equal(sha(img), sha(img));
});

t.test('a non-zero system area survives appends', async (t) => {
  const img = join(work, 'hybrid.iso');
  t.equal(cdwrite(['--dev', img, '--multi'], pack(['--prev', '0,32'], tarOfDir(trees[0], 's1'))).status, 0);
  const buf = readFileSync(img);
  const mbr = Buffer.alloc(32768, 0);
  mbr.write('isohybrid boot code', 0, 'latin1');
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  mbr.copy(buf, 0);
  writeFileSync(img, buf);
  for (const i of [1, 2]) t.equal(cdwrite(['--dev', img, '--multi'], pack(['--prev', msinfo(img)], tarOfDir(trees[i], `s${i + 1}`))).status, 0);
  t.ok(readFileSync(img).subarray(0, 32768).equals(mbr), 'LBA 0–15 kept');
  t.equal(ourToc(img).length, 3);
});

t.test('a block device (loop)', async (t) => {
  const backing = join(work, 'loop-backing.img');
  writeFileSync(backing, Buffer.alloc(4 << 20));
  const ls = inWork('losetup', ['--find', '--show', backing]);
  if (ls.status !== 0) {
    t.skip(`no loop device here: ${ls.stderr.toString().trim()}`);
    return;
  }
  const dev = ls.stdout.toString().trim();
  t.teardown(() => inWork('losetup', ['-d', dev]));
  t.equal(msinfo(dev), '0,32');
  const j = JSON.parse(node('cd-msinfo', ['--dev', dev, '--json']).stdout.toString());
  t.equal(j.capacity, 2048, 'capacity from the device size');
  for (const i of [0, 1]) {
    const r = cdwrite(['--dev', dev, '--multi'], pack(['--prev', msinfo(dev)], tarOfDir(trees[i], `s${i + 1}`)));
    t.equal(r.status, 0, r.stderr.toString());
  }
  t.equal(ourToc(dev).length, 2);
  const big = join(work, 'big');
  mkdirSync(big);
  writeFileSync(join(big, 'f'), Buffer.alloc(5 << 20, 1));
  const next = Number(msinfo(dev).split(',')[1]);
  const committed = () => readFileSync(backing).subarray(0, next * 2048);
  const before = committed();
  const r = cdwrite(['--dev', dev, '--multi'], pack(['--prev', msinfo(dev)], tarOfDir(work, 'big')));
  t.equal(r.status, 1);
  t.match(
    r.stderr.toString(),
    /^cd-write: session of (at least )?\d+ sectors \(\d+\.\d MiB\) at LBA \d+ does not fit: \d+ sectors \(\d+\.\d MiB\) free of the medium's 2048; nothing (written|committed)\n$/,
  );
  t.equal(ourToc(dev).length, 2, 'the previous sessions stay');
  t.ok(committed().equals(before), 'every committed sector unchanged (a device cannot be cut back, so only sectors past the end were written)');
});
