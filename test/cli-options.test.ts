// mkisofs/genisoimage spellings on iso-pack's command line, and the single-dash care of
// iso-merge and cd-verify: every option a user types gets a deliberate answer (#12).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-cli-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function run(tool: string, args: string[], input: Buffer = Buffer.alloc(0), env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [join(BIN, `${tool}.js`), ...args], { input, env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

// The commands by the names users type, as an installed package has them.
const PATH_DIR = join(work, 'bin');
mkdirSync(PATH_DIR);
for (const tool of ['iso-pack', 'iso-merge', 'cd-msinfo', 'cd-write', 'cd-verify']) {
  writeFileSync(join(PATH_DIR, tool), `#!/bin/sh\nexec '${process.execPath}' '${join(BIN, tool)}.js' "$@"\n`, { mode: 0o755 });
}

function sh(cmd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], {
    cwd: work,
    env: { ...process.env, PATH: `${PATH_DIR}:${process.env.PATH}`, ...env },
    maxBuffer: 1 << 28,
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function tarOf(dir: string): Buffer {
  const r = spawnSync('tar', ['-C', dir, '-cf', '-', '.']);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

/** The paths of the newest session, read back by iso-merge --data (isopipe's own reader). */
function listing(medium: string): string[] {
  const r = spawnSync('bash', ['-c', `node ${BIN}/iso-merge.js --data --dev '${medium}' </dev/null | tar tf -`]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout
    .toString()
    .trim()
    .split('\n')
    .map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''))
    .filter((p) => p && p !== '.')
    .sort();
}

const dir = join(work, 'dir');
for (const d of ['core', 'lost+found', 'sub']) mkdirSync(join(dir, d), { recursive: true });
writeFileSync(join(dir, 'a.txt'), 'a\n');
writeFileSync(join(dir, 'core', 'dump'), 'x');
writeFileSync(join(dir, 'sub', 'b.txt'), Buffer.alloc(10000, 0x62));
const tar = tarOf(dir);

t.test('a single-dash long option is never a bundle of letters nor --help', async (t) => {
  for (const word of ['-hide-joliet', '-hide', '-help-me']) {
    const r = run('iso-pack', [word, 'x'], tar);
    t.equal(r.status, 2, `${word}: usage error`);
    t.equal(r.stdout.length, 0, `${word}: nothing on stdout (no help text into a pipe)`);
    t.match(r.stderr, new RegExp(`^iso-pack: .*'?${word}`), `${word}: the message names the option as typed`);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  const r = run('iso-pack', ['-hide-joliet', 'x'], tar);
  t.match(r.stderr, /-hide-joliet: .*leave files out with -m GLOB/, 'refused with what to do instead');
  const u = run('iso-pack', ['-quux'], tar);
  t.equal(u.status, 2);
  t.match(u.stderr, /unknown option '-quux'/, 'an unknown word is named whole, not as its first letter');
  for (const h of ['-help', '--help', '-h']) {
    const r = run('iso-pack', [h]);
    t.equal(r.status, 0, `${h} is help`);
    t.match(r.stdout.toString(), /^Usage: iso-pack/);
  }
  t.match(run('iso-pack', ['-version']).stdout.toString(), /^iso-pack \(isopipe\) \d/);
});

t.test("the howto's mkisofs line works as written", async (t) => {
  const iso = join(work, 'howto.iso');
  const r = sh(`tar -C dir -c . | iso-pack -l -J -L -r -m core -m lost+found -o howto.iso`);
  t.equal(r.status, 0, r.stderr);
  t.same(listing(iso), ['a.txt', 'sub', 'sub/b.txt'], '-m core -m lost+found left out, the rest there');
  const r2 = sh(`tar -C dir -c . | iso-pack -l -J -L -r -m core -m lost+found -C 0,32 -o howto32.iso`);
  t.equal(r2.status, 0, r2.stderr);
  t.ok(statSync(join(work, 'howto32.iso')).size > 0);
});

t.test('options accepted as documented no-ops give the same bytes', async (t) => {
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  const plain = run('iso-pack', [], tar, env);
  t.equal(plain.status, 0);
  const noops = [
    '-l',
    '-L',
    '-D',
    '-N',
    '-d',
    '-U',
    '-allow-lowercase',
    '-allow-multidot',
    '-relaxed-filenames',
    '-graft-points',
    '-no-pad',
    '-pad',
    '-input-charset',
    'utf-8',
    '-output-charset',
    'UTF-8',
    '-iso-level',
    '3',
    '-J',
    '-R',
    '-joliet',
    '-rock',
    '-cache-inodes',
    '-quiet',
    '-full-iso9660-filenames',
    '-allow-leading-dots',
  ];
  const r = run('iso-pack', noops, tar, env);
  t.equal(r.status, 0, r.stderr);
  t.ok(r.stdout.equals(plain.stdout), 'byte-identical session');
  const bundle = run('iso-pack', ['-rJ'], tar, env);
  const separate = run('iso-pack', ['-r', '-J'], tar, env);
  t.equal(bundle.status, 0);
  t.ok(bundle.stdout.equals(separate.stdout), '-rJ is -r -J (a bundle of letters that are all flags)');
});

t.test('options iso-pack cannot honour are refused with what to do instead', async (t) => {
  const cases: [string[], RegExp][] = [
    [['-T'], /-T: .*TRANS\.TBL/],
    [['-f'], /-f: .*tar -h/],
    [['-follow-links'], /-follow-links: .*--dereference/],
    [['-sparc-boot', 'a,b'], /-sparc-boot: .*isohybrid MBR.*xorriso -as mkisofs/],
    [['-G', 'grub.img'], /-G: .*xorriso -as mkisofs/],
    [['-hard-disk-boot'], /-hard-disk-boot: .*no-emulation/],
    [['-abstract', 'ABSTRACT'], /-abstract: /],
    [['-input-charset', 'iso8859-1'], /-input-charset iso8859-1: .*UTF-8.*convmv/],
    [['-iso-level', '1'], /-iso-level 1: .*level 3/],
    [['-r', '-uid', '1000'], /-r sets owners and modes itself: use -R/],
    [['-hfs'], /-hfs: /],
    [['-sort', 'f'], /-sort: .*order of the tar/],
  ];
  for (const [args, re] of cases) {
    const r = run('iso-pack', args, tar);
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr, new RegExp(`^iso-pack: ${re.source}`), args.join(' '));
    t.notMatch(r.stderr, /try 'iso-pack --help'/, 'the refusal already says what to do');
    t.equal(r.stdout.length, 0);
  }
  const r = run('iso-pack', ['-o'], tar);
  t.equal(r.status, 2);
  t.match(r.stderr, /-o wants a value/);
});

t.test('identifiers, owners and modes given the mkisofs way', async (t) => {
  const iso = join(work, 'ids.iso');
  const r = run(
    'iso-pack',
    [
      '-publisher',
      'PUB',
      '-preparer',
      'PREP',
      '-appid',
      'APP',
      '-sysid',
      'SYS',
      '-volset',
      'VSET',
      '-volid',
      'VOL',
      '-uid',
      '1234',
      '-gid',
      '567',
      '-file-mode',
      '0600',
      '-dir-mode',
      '0700',
      '-o',
      iso,
    ],
    tar,
  );
  t.equal(r.status, 0, r.stderr);
  const pvd = readFileSync(iso).subarray(16 * 2048, 17 * 2048);
  const field = (off: number, len: number) => pvd.toString('latin1', off, off + len).trimEnd();
  t.equal(field(8, 32), 'SYS');
  t.equal(field(40, 32), 'VOL');
  t.equal(field(190, 128), 'VSET');
  t.equal(field(318, 128), 'PUB');
  t.equal(field(446, 128), 'PREP');
  t.equal(field(574, 128), 'APP');
  const x = spawnSync('bash', ['-c', `node ${BIN}/iso-merge.js --data --dev '${iso}' </dev/null | tar tvf - --numeric-owner`]);
  const lines = x.stdout.toString().split('\n');
  t.match(lines.find((l) => / \.?\/?a\.txt$/.test(l)) ?? '', /^-rw------- 1234\/567 /, 'file: -file-mode, -uid, -gid');
  t.match(lines.find((l) => / \.?\/?sub\/?$/.test(l)) ?? '', /^drwx------ 1234\/567 /, 'directory: -dir-mode');
});

t.test('-exclude-list and -x', async (t) => {
  const list = join(work, 'excl');
  writeFileSync(list, 'core\nlost+found\n');
  const iso = join(work, 'excl.iso');
  t.equal(run('iso-pack', ['-exclude-list', list, '-x', 'b.txt', '-o', iso], tar).status, 0);
  t.same(listing(iso), ['a.txt', 'sub']);
});

t.test('-print-size prints the sectors the session will take and writes nothing', async (t) => {
  const iso = join(work, 'size.iso');
  t.equal(run('iso-pack', ['-o', iso], tar).status, 0);
  const sectors = statSync(iso).size / 2048;
  const r = run('iso-pack', ['-print-size'], tar);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.toString(), `${sectors}\n`, 'the number alone on stdout, as mkisofs -print-size');
  t.equal(r.stderr, `Total extents scheduled to be written = ${sectors}\n`, "genisoimage's line on stderr");
  const q = run('iso-pack', ['-quiet', '-print-size', '-C', '0,1000'], tar);
  t.equal(q.stdout.toString(), `${sectors}\n`);
  t.equal(q.stderr, '', '-quiet: nothing on stderr');
  const o = run('iso-pack', ['-print-size', '-o', join(work, 'no.iso')], tar);
  t.equal(o.status, 2);
  t.notOk(existsSync(join(work, 'no.iso')), 'no file written');
});

t.test("-M DEV merges the previous session: the howto's append line", async (t) => {
  const medium = join(work, 'multi.iso');
  writeFileSync(medium, '');
  const env = { CDR_DEVICE: medium };
  let r = sh(`tar -C dir -c . | iso-pack -C $(cd-msinfo) | cd-write -multi`, env);
  t.equal(r.status, 0, r.stderr);
  const more = join(work, 'more');
  mkdirSync(more);
  writeFileSync(join(more, 'new.txt'), 'new\n');
  writeFileSync(join(more, 'a.txt'), 'replaced\n');
  r = sh(`tar -C more -c . | iso-pack -C $(cd-msinfo) -M $CDR_DEVICE | cd-write -multi`, env);
  t.equal(r.status, 0, r.stderr);
  t.same(listing(medium), ['a.txt', 'core', 'core/dump', 'lost+found', 'new.txt', 'sub', 'sub/b.txt'], 'old and new files in the new session');
  const a = spawnSync('bash', ['-c', `node ${BIN}/iso-merge.js --data --dev '${medium}' </dev/null | tar xOf - a.txt`]);
  t.equal(a.stdout.toString(), 'replaced\n', "stdin's file wins");
  const v = run('cd-verify', ['--dev', medium]);
  t.equal(v.status, 0, v.stdout.toString());

  // The same bytes as iso-merge | iso-pack through a pipe.
  const viaPipe = sh(`tar -C more -c . | iso-merge | iso-pack -C $(cd-msinfo) | cat > pipe.out`, { ...env, SOURCE_DATE_EPOCH: '1700000000' });
  const inProc = sh(`tar -C more -c . | iso-pack -C $(cd-msinfo) -M $CDR_DEVICE | cat > inproc.out`, { ...env, SOURCE_DATE_EPOCH: '1700000000' });
  t.equal(viaPipe.status, 0);
  t.equal(inProc.status, 0);
  t.ok(readFileSync(join(work, 'pipe.out')).equals(readFileSync(join(work, 'inproc.out'))), 'byte-identical to iso-merge | iso-pack');

  const noC = sh(`tar -C more -c . | iso-pack -M $CDR_DEVICE > /dev/null`, env);
  t.equal(noC.status, 2);
  t.match(noC.stderr, /-M needs -C/);
  const missing = sh(`tar -C more -c . | iso-pack -C 0,32 -M nowhere.iso > /dev/null`, env);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /^iso-pack: -M nowhere\.iso: no such medium/);
});

t.test('iso-merge and cd-verify: single-dash care, --session N missing is exit 2 in both', async (t) => {
  const medium = join(work, 'multi.iso');
  for (const tool of ['iso-merge', 'cd-verify']) {
    const h = run(tool, ['-hide', '--dev', medium]);
    t.equal(h.status, 2, `${tool} -hide`);
    t.equal(h.stdout.length, 0);
    t.match(h.stderr, new RegExp(`^${tool}: unknown option '-hide'`));
    const s = run(tool, ['--dev', medium, '--session', '99'], Buffer.alloc(0));
    t.equal(s.status, 2, `${tool} --session 99`);
    t.match(s.stderr, /there is no session 99: the medium has 2/);
  }
  const m = run('iso-merge', ['-mirror', '-n', '-v', '-dev', medium]);
  t.equal(m.status, 0, 'iso-merge takes -mirror, -dev with one dash: ' + m.stderr);
  const v = run('cd-verify', ['-quiet', 'dev=' + medium]);
  t.equal(v.status, 0);
  t.equal(v.stdout.length, 0, 'cd-verify -quiet is --quiet');
});
