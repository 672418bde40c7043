// cd-verify on intact images of every writer it must accept: isopipe (the issue-3 fixture,
// with its tar on stdin), xorriso with -md5 on (appended sessions), genisoimage with
// relocated deep directories, bsdtar. Each gives exit 0 and nothing but the summary.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, tarTo } from './fixture/fixture.js';
import { withReader } from './helpers/skip.js';
import { describe, sh, tool, verify } from './helpers/verify.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-verify-images-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string | number>): string {
  const dir = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), typeof content === 'number' ? Buffer.alloc(content, path.length) : content);
  }
  return dir;
}

const d1 = tree('d1', { 'a.txt': 'hello\n', 'sub/b.bin': 5000, empty: '' });
const d2 = tree('d2', { 'two.txt': 'two\n', 'deep/a/b/c/d/e/f/g/h/i/j/leaf.txt': 'leaf\n', 'deep/big': 300000 });

function clean(t: Tap.Test, args: string[], input?: Buffer): Record<string, unknown> | null {
  const v = verify(args, input);
  t.equal(v.status, 0, 'exit 0');
  t.same(v.findings, [], 'no findings');
  if (v.findings.length) t.comment(describe(v));
  t.ok(v.summary, 'a summary line');
  t.match(v.stderr, /no problems/, 'human summary on stderr');
  return v.summary;
}

t.test('isopipe: the fixture tree, with and without its tar on stdin', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('building the fixture needs root (owners, devices)');
  const root = join(work, 'fixture');
  mkdirSync(root);
  buildFixture(root);
  const tarFile = join(work, 'fixture.tar');
  tarTo(root, 'gnu', tarFile);
  const img = join(work, 'fixture.iso');
  sh(`${process.execPath} ${new URL('../bin/iso-pack.js', import.meta.url).pathname} -o ${img} < ${tarFile}`);
  clean(t, ['--dev', img]);
  const { readFileSync } = await import('node:fs');
  const tar = readFileSync(tarFile);
  const s = clean(t, ['--dev', img], tar);
  t.ok(Number(s?.files) > 100, 'the tar comparison read every file');
  // bsdtar's restricted pax, packed and compared with itself.
  for (const format of ['bsdtar'] as const) {
    const other = join(work, `fixture-${format}.tar`);
    tarTo(root, format, other);
    const img2 = join(work, `fixture-${format}.iso`);
    sh(`${process.execPath} ${new URL('../bin/iso-pack.js', import.meta.url).pathname} -o ${img2} < ${other}`);
    clean(t, ['--dev', img2], readFileSync(other));
  }
});

t.test('xorriso -md5 on: three sessions, checksums verified', async (t) =>
  withReader(t, 'xorriso', () => {
    const img = join(work, 'xorriso.iso');
    sh(`xorriso -md5 on -outdev ${img} -map ${d1} / -commit`);
    sh(`xorriso -md5 on -dev ${img} -map ${d2} /d2 -commit`);
    sh(`xorriso -md5 on -dev ${img} -rm /a.txt -- -commit`);
    const s = clean(t, ['--dev', img]);
    t.equal(s?.sessions, 3);
    t.ok(Number(s?.files) >= 5, 'every recorded file MD5 was compared');
    // Without Joliet, and one session alone.
    const img2 = join(work, 'xorriso-joliet.iso');
    sh(`xorriso -md5 on -joliet on -outdev ${img2} -map ${d2} / -commit`);
    sh(`xorriso -md5 on -joliet on -dev ${img2} -map ${d1} /d1 -commit`);
    clean(t, ['--dev', img2]);
    clean(t, ['--dev', img2, '--session', '1']);
  }),
);

t.test('genisoimage: Rock Ridge with relocated deep directories, Joliet', async (t) =>
  withReader(t, 'isoinfo', () => {
    const img = join(work, 'geniso.iso');
    sh(`genisoimage -quiet -R -J -o ${img} ${d1} ${d2}`);
    clean(t, ['--dev', img]);
    const img2 = join(work, 'geniso-r.iso');
    sh(`genisoimage -quiet -r -J -joliet-long -o ${img2} ${d2}`);
    clean(t, ['--dev', img2]);
  }),
);

t.test('bsdtar: plain and with Rock Ridge and Joliet', async (t) =>
  withReader(t, 'bsdtar', () => {
    const img = join(work, 'bsdtar.iso');
    sh(`bsdtar -C ${d2} --format iso9660 -cf ${img} .`);
    clean(t, ['--dev', img]);
    const img2 = join(work, 'bsdtar-rr.iso');
    sh(`bsdtar -C ${d2} --format iso9660 --options rockridge,joliet -cf ${img2} .`);
    clean(t, ['--dev', img2]);
  }),
);

t.test('isopipe: sessions appended by cd-write, compared with the newest tar', async (t) => {
  const img = join(work, 'appended.iso');
  tool('cd-write', ['--dev', img, '--create', '--blank']); // a new medium, as the README's set-up step makes it
  for (const d of [d1, d2]) {
    const msinfo = tool('cd-msinfo', ['--dev', img]).stdout.toString().trim();
    const tar = sh(`tar -C ${d} -cf - . | base64 -w0`);
    const packed = tool('iso-pack', ['--prev', msinfo], Buffer.from(tar, 'base64'));
    t.equal(packed.status, 0, packed.stderr.toString());
    const w = tool('cd-write', ['--create', '--dev', img, '--multi'], packed.stdout);
    t.equal(w.status, 0, w.stderr.toString());
  }
  const s = clean(t, ['--dev', img]);
  t.equal(s?.sessions, 2);
  clean(t, ['--dev', img, '--session', '1'], Buffer.from(sh(`tar -C ${d1} -cf - . | base64 -w0`), 'base64'));
  clean(t, ['--dev', `stdio:${img}`], Buffer.from(sh(`tar -C ${d2} -cf - . | base64 -w0`), 'base64'));
});

t.test('usage', async (t) => {
  const none = tool('cd-verify', []);
  t.equal(none.status, 2, 'no medium: usage error');
  t.match(none.stderr.toString(), /^cd-verify: no medium given/);
  const bad = tool('cd-verify', ['--dev', '/nonexistent/x.iso']);
  t.equal(bad.status, 1);
  t.match(bad.stderr.toString(), /^cd-verify: .*does not exist\n$/);
  const img = join(work, 'appended.iso');
  const s = tool('cd-verify', ['--dev', img, '--session', '9']);
  t.equal(s.status, 2, 'a session that does not exist');
  t.match(s.stderr.toString(), /there is no session 9/);
  t.equal(tool('cd-verify', ['--bogus']).status, 2);
  const h = tool('cd-verify', ['--help']);
  t.equal(h.status, 0);
  t.match(h.stdout.toString(), /^Usage: cd-verify/);
  t.match(tool('cd-verify', ['--version']).stdout.toString(), /^cd-verify \(isopipe\) \d/);
  const q = tool('cd-verify', ['--dev', img, '-q']);
  t.equal(q.status, 0);
  t.equal(q.stdout.length + q.stderr.length, 0, '--quiet: no output at all');
  const env = tool('cd-verify', [], undefined, { CDR_DEVICE: img });
  t.equal(env.status, 0, 'CDR_DEVICE names the medium');
  const dev = tool('cd-verify', [`dev=${img}`]);
  t.equal(dev.status, 0, 'dev= as cdrecord spells it');
});
