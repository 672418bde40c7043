// iso-pack --md5: the checksums xorriso records with -md5 on, so that
// `xorriso -check_md5 FAILURE -- ; -check_md5_r FAILURE / --` reports every session and every
// file as matching, and cd-verify verifies them (and finds damage by them).
import t from 'tap';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { withReader } from './helpers/skip.js';
import { run } from './helpers/run.js';
import { describe, flipByte, gnuTar, readAt, records, SECTOR, sh, tool, u32, verify } from './helpers/verify.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-md5-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 151 + seed * 13 + (i >> 9)) & 0xff));
const src = join(work, 'src');
function put(path: string, data: string | Buffer): void {
  mkdirSync(join(src, path, '..'), { recursive: true });
  writeFileSync(join(src, path), data);
  utimesSync(join(src, path), 1700000000, 1700000000);
}
put('small.txt', 'small\n');
put('empty', '');
put('dir/big.bin', pattern(1_500_000, 1));
put('dir/sector.bin', pattern(2048, 2));
put(`dir/${'long-name-'.repeat(20)}.txt`, pattern(9000, 3)); // needs a continuation area: held back
put(`dir/${'x'.repeat(120)}.dat`, pattern(100, 4)); // fits its record only without the checksum index
linkSync(join(src, 'dir/sector.bin'), join(src, 'dir/hard-link.bin'));
symlinkSync('small.txt', join(src, 'link'));
const FILES = 7; // regular file names (the hard link counts: it has its own record)

function xorrisoCheck(img: string, sbsector?: number) {
  const load = sbsector === undefined ? [] : ['-load', 'sbsector', String(sbsector)];
  const r = run('xorriso', ['-md5', 'on', ...load, '-indev', img, '-check_md5', 'FAILURE', '--', '-check_md5_r', 'FAILURE', '/', '--']);
  const out = r.stdout.toString() + r.stderr.toString();
  return {
    status: r.status,
    out,
    session: /Ok, session data match recorded md5/.test(out),
    files: /File contents and their MD5 checksums match/.test(out),
    noMd5: /have no MD5/.test(out),
    mismatch: /MISMATCH|mismatch/.test(out),
  };
}

function allMatch(t: Tap.Test, img: string, sbsector?: number): void {
  const x = xorrisoCheck(img, sbsector);
  const where = sbsector === undefined ? 'newest session' : `session at LBA ${sbsector}`;
  t.equal(x.status, 0, `${where}: xorriso exit 0`);
  t.ok(x.session, `${where}: xorriso: session data match recorded md5`) || t.comment(x.out);
  t.ok(x.files, `${where}: xorriso: file contents and their MD5 checksums match`) || t.comment(x.out);
  t.notOk(x.noMd5, `${where}: every file has an MD5`) || t.comment(x.out);
  t.notOk(x.mismatch, `${where}: no mismatch`) || t.comment(x.out);
}

function pack(args: string[], input: Buffer): Buffer {
  const r = tool('iso-pack', args, input, { SOURCE_DATE_EPOCH: '1700000000' });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

t.test('one session: xorriso and cd-verify agree that everything matches', async (t) =>
  withReader(t, 'xorriso', async () => {
    const img = join(work, 'one.iso');
    pack(['--md5', '-o', img], gnuTar(src));
    allMatch(t, img);
    const v = verify(['--dev', img]);
    t.equal(v.status, 0);
    t.same(v.findings, []) || t.comment(describe(v));
    t.equal(v.summary?.files, FILES - 1, 'every file read once (the hard link shares its data)');
    // The same bytes for the same input, through a pipe and cd-write too.
    const again = join(work, 'again.iso');
    pack(['--md5', '-o', again], gnuTar(src));
    t.ok(readFileSync(img).equals(readFileSync(again)), 'reproducible with SOURCE_DATE_EPOCH');
    const streamed = join(work, 'streamed.iso');
    const w = tool('cd-write', ['--create', '--dev', streamed], pack(['--md5', '--prev', '0,32'], gnuTar(src)));
    t.equal(w.status, 0, w.stderr.toString());
    allMatch(t, streamed);
  }),
);

t.test('sessions appended by cd-write; references keep their MD5 (ISOPIPE.md5)', async (t) =>
  withReader(t, 'xorriso', async () => {
    const img = join(work, 'multi.iso');
    const first = pack(['--md5', '--prev', '0,32'], gnuTar(src));
    t.equal(tool('cd-write', ['--create', '--dev', img, '--multi'], first).status, 0);
    // Session 2: a new file, and dir/big.bin carried by reference with its recorded MD5.
    const big = records(img, findDir(img, 'DIR')).find((r) => r.id.startsWith('BIG.BIN'))!;
    const bigMd5 = (await import('node:crypto')).createHash('md5').update(pattern(1_500_000, 1)).digest('hex');
    const tar = await craft([
      { header: { name: 'new.txt', size: 4, mtime: new Date(1700000000000) }, data: Buffer.from('new\n') },
      {
        header: {
          name: 'dir/big.bin',
          size: 0,
          mtime: new Date(1700000000000),
          pax: { 'ISOPIPE.extents': `${big.extent}+${big.size}`, 'ISOPIPE.size': String(big.size), 'ISOPIPE.md5': bigMd5 },
        },
      },
    ]);
    const next = tool('cd-msinfo', ['--dev', img]).stdout.toString().trim();
    t.equal(tool('cd-write', ['--create', '--dev', img, '--multi'], pack(['--md5', '--prev', next], tar)).status, 0);
    const sessions: { start: number }[] = JSON.parse(tool('cd-msinfo', ['--dev', img, '--json']).stdout.toString()).sessions;
    t.equal(sessions.length, 2);
    for (const s of sessions) allMatch(t, img, s.start);
    allMatch(t, img);
    const v = verify(['--dev', img]);
    t.equal(v.status, 0);
    t.same(v.findings, []) || t.comment(describe(v));
    // A wrong recorded MD5 for a reference is found by both.
    const bad = await craft([
      {
        header: {
          name: 'big.bin',
          size: 0,
          mtime: new Date(1700000000000),
          pax: { 'ISOPIPE.extents': `${big.extent}+${big.size}`, 'ISOPIPE.md5': 'f'.repeat(32) },
        },
      },
    ]);
    const img2 = join(work, 'multi-bad.iso');
    copyFileSync(img, img2);
    const next2 = tool('cd-msinfo', ['--dev', img2]).stdout.toString().trim();
    t.equal(tool('cd-write', ['--create', '--dev', img2, '--multi'], pack(['--md5', '--prev', next2], bad)).status, 0);
    const vb = verify(['--dev', img2]);
    t.equal(vb.status, 1);
    t.ok(vb.findings.some((f) => f.kind === 'file-md5' && f.path === '/big.bin' && f.session === 3)) || t.comment(describe(vb));
    t.ok(xorrisoCheck(img2).mismatch, 'xorriso finds the mismatch too');
    const malformed = await craft([{ header: { name: 'x', size: 0, pax: { 'ISOPIPE.extents': `${big.extent}+${big.size}`, 'ISOPIPE.md5': 'nothex' } } }]);
    const r = tool('iso-pack', ['--md5', '--prev', next2], malformed);
    t.equal(r.status, 1, 'a malformed ISOPIPE.md5 is refused');
    t.match(r.stderr.toString(), /^iso-pack: 'x': malformed ISOPIPE\.md5/);
  }),
);

t.test('damage found by the checksums', async (t) =>
  withReader(t, 'xorriso', async () => {
    const img = join(work, 'one.iso');
    const start = 0;
    const root = u32(img, start + 16, 158);
    const dir = findDir(img, 'DIR');
    const big = records(img, dir).find((r) => r.id.startsWith('BIG.BIN'))!;
    const data = join(work, 'bad-data.iso');
    copyFileSync(img, data);
    flipByte(data, big.extent * SECTOR + 777777);
    const v = verify(['--dev', data]);
    t.equal(v.status, 1);
    t.ok(v.findings.some((f) => f.kind === 'file-md5' && f.path === '/dir/big.bin' && f.lba === big.extent)) || t.comment(describe(v));
    // The tree tag, session MD5 and session tag cover the data too (ranges from the session start).
    const others = v.findings.filter((f) => f.kind !== 'file-md5');
    t.same(
      others.map((f) => [f.kind, f.session, f.lba]).sort(),
      [
        ['checksum-tag', 1, 0],
        ['checksum-tag', 1, 0],
        ['session-md5', 1, 0],
      ],
      'besides that file: the tree tag, the session MD5 and the session tag, each from the session start',
    ) || t.comment(describe(v));
    t.equal(v.findings.filter((f) => f.kind === 'file-md5').length, 1, 'only that file');
    t.ok(xorrisoCheck(data).mismatch, 'xorriso -check_md5_r finds it too');
    // A byte of a name in a directory record: structurally fine, but the session MD5 changes.
    const name = join(work, 'bad-name.iso');
    copyFileSync(img, name);
    const rec = records(img, root).find((r) => r.id.startsWith('SMALL.TXT'))!;
    flipByte(name, root * SECTOR + rec.off + 33 + 1);
    const vn = verify(['--dev', name]);
    t.equal(vn.status, 1);
    t.ok(vn.findings.some((f) => f.kind === 'session-md5' && f.session === 1)) || t.comment(describe(vn));
    const xn = xorrisoCheck(name);
    t.notOk(xn.session, 'xorriso: the session MD5 no longer matches');
  }),
);

t.test('xorriso appends to an isopipe --md5 image and keeps our checksums', async (t) =>
  withReader(t, 'xorriso', async () => {
    const img = join(work, 'xorriso-append.iso');
    copyFileSync(join(work, 'streamed.iso'), img);
    const extra = join(work, 'extra');
    mkdirSync(extra);
    writeFileSync(join(extra, 'x.txt'), 'from xorriso\n');
    const r = run('xorriso', ['-md5', 'on', '-dev', img, '-map', extra, '/extra', '-commit']);
    t.equal(r.status, 0, r.stderr.toString());
    allMatch(t, img);
    const v = verify(['--dev', img]);
    t.equal(v.status, 0);
    t.same(v.findings, []) || t.comment(describe(v));
    t.equal(v.summary?.sessions, 2);
    // A plain image (iso-pack -o, no 64 KiB head) grown by xorriso in place: one session to
    // readers, its superblock copied to LBA 16.
    const grown = join(work, 'xorriso-grown.iso');
    copyFileSync(join(work, 'one.iso'), grown);
    t.equal(run('xorriso', ['-md5', 'on', '-dev', grown, '-map', extra, '/extra', '-commit']).status, 0);
    allMatch(t, grown);
    const vg = verify(['--dev', grown]);
    t.equal(vg.status, 0);
    t.same(vg.findings, []) || t.comment(describe(vg));
  }),
);

/** xorriso -check_media: the libisofs tags it found, by session start. */
function xorrisoTags(img: string) {
  const r = run('xorriso', ['-md5', 'on', '-indev', img, '-check_media', '--']);
  const out = r.stdout.toString() + r.stderr.toString();
  const matching = [...out.matchAll(/Found matching MD5 (superblock|tree|session) tag: start=(\d+)/g)].map((m) => `${m[1]}@${m[2]}`);
  return { out, matching, nonMatching: /NON-MATCHING|md5_mismatch/.test(out) };
}

/** Every session of `img` has matching superblock, tree and session tags for xorriso. */
function allTagsMatch(t: Tap.Test, img: string, starts: number[], what: string): void {
  const x = xorrisoTags(img);
  const want = starts.flatMap((s) => [`superblock@${s}`, `tree@${s}`, `session@${s}`]);
  t.same(x.matching, want, `${what}: xorriso -check_media finds matching superblock, tree and session tags`) || t.comment(x.out);
  t.notOk(x.nonMatching, `${what}: no non-matching tag`) || t.comment(x.out);
}

/** The libisofs tags in LBA 16–31 of a file, as [LBA, first line]. */
function headTags(img: string): [number, string][] {
  const out: [number, string][] = [];
  for (let k = 16; k < 32; k++) {
    const line = readAt(img, k * SECTOR, 300).toString('latin1');
    if (line.startsWith('libisofs_')) out.push([k, line.slice(0, line.indexOf('\n'))]);
  }
  return out;
}

t.test('libisofs tags: superblock, tree and session tags from the session start; relocated superblock tag in the medium head', async (t) =>
  withReader(t, 'xorriso', async () => {
    // iso-pack -o seals the image itself.
    allTagsMatch(t, join(work, 'one.iso'), [0], 'iso-pack -o');
    // Standard output redirected to a file (write-only): read back through a second descriptor.
    const redirected = join(work, 'redirected.iso');
    writeFileSync(join(work, 'in.tar'), gnuTar(src));
    sh(
      `SOURCE_DATE_EPOCH=1700000000 ${JSON.stringify(process.execPath)} ${JSON.stringify(new URL('../bin/iso-pack.js', import.meta.url).pathname)} --md5 < ${JSON.stringify(join(work, 'in.tar'))} > ${JSON.stringify(redirected)}`,
    );
    t.ok(readFileSync(redirected).equals(readFileSync(join(work, 'one.iso'))), 'iso-pack --md5 > file gives the same bytes as -o');
    // Through a pipe cd-write seals before it commits; the medium head gets the relocated tag.
    const streamed = join(work, 'streamed.iso');
    allTagsMatch(t, streamed, [32], 'iso-pack | cd-write');
    const tags = headTags(streamed);
    t.equal(tags.length, 1, 'one tag in the medium head') || t.comment(JSON.stringify(tags));
    t.match(
      tags[0]?.[1],
      /^libisofs_rlsb32_checksum_tag_v1 pos=19 range_start=0 range_size=19 session_start=32 md5=/,
      'the relocated superblock tag, pointing at the session',
    );
    // A closed session at LBA 0: its PVD gets the closed mark, and the checksums cover it.
    for (const [what, input] of [
      ['stream', pack(['--md5'], gnuTar(src))],
      ['plain image', readFileSync(join(work, 'one.iso'))],
    ] as const) {
      const at0 = join(work, `at0-${what.replace(' ', '-')}.iso`);
      const w = tool('cd-write', ['--create', '--dev', at0], input);
      t.equal(w.status, 0, w.stderr.toString());
      t.equal(JSON.parse(tool('cd-msinfo', ['--dev', at0, '--json']).stdout.toString()).state, 'closed', `${what} at LBA 0 is closed`);
      allTagsMatch(t, at0, [0], `${what} at LBA 0, closed`);
      t.equal(verify(['--dev', at0]).status, 0, `${what} at LBA 0: cd-verify clean`);
    }
    // xorriso's own tagged image at LBA 0 cannot take the closed mark (its tags cover the
    // PVD and libisofs refuses a mismatch): left appendable, with a warning, still loadable.
    const foreign = join(work, 'xorriso-at0.iso');
    t.equal(run('xorriso', ['-as', 'mkisofs', '--md5', '-R', '-o', foreign, src]).status, 0);
    const closedTry = join(work, 'xorriso-at0-written.iso');
    const wf = tool('cd-write', ['--create', '--dev', closedTry], readFileSync(foreign));
    t.equal(wf.status, 0, wf.stderr.toString());
    t.match(wf.stderr.toString(), /^cd-write: warning: the session at LBA 0 carries libisofs checksum tags .* left appendable\n$/);
    t.equal(JSON.parse(tool('cd-msinfo', ['--dev', closedTry, '--json']).stdout.toString()).state, 'appendable');
    const written = readFileSync(closedTry);
    const original = readFileSync(foreign);
    t.ok(
      written.subarray(0, original.length).equals(original) && !written.subarray(original.length).some((x) => x !== 0),
      'written as it came (then zero padding)',
    );
    allMatch(t, closedTry);
    // Two appended sessions: each session's tags, one relocated tag naming the newest.
    const multi = join(work, 'multi.iso');
    const sessions: { start: number }[] = JSON.parse(tool('cd-msinfo', ['--dev', multi, '--json']).stdout.toString()).sessions;
    allTagsMatch(
      t,
      multi,
      sessions.map((s) => s.start),
      'two sessions by cd-write',
    );
    const mt = headTags(multi);
    t.equal(mt.length, 1);
    t.match(mt[0]?.[1], new RegExp(`session_start=${sessions[1].start} `), 'the medium head tag names the newest session');
    // A damaged tree tag is found by both.
    const bad = join(work, 'bad-tag.iso');
    copyFileSync(join(work, 'one.iso'), bad);
    const sb = readAt(bad, 19 * SECTOR, 200).toString('latin1');
    const tree = Number(/ next=(\d+)/.exec(sb)![1]);
    flipByte(bad, tree * SECTOR + 60);
    const v = verify(['--dev', bad]);
    t.equal(v.status, 1);
    t.ok(
      v.findings.some((f) => f.kind === 'checksum-tag' && f.lba === tree && f.session === 1),
      "cd-verify names the tree tag's LBA",
    ) || t.comment(describe(v));
    t.notOk(xorrisoTags(bad).matching.includes('tree@0'), 'xorriso no longer finds a matching tree tag');
  }),
);

/** The extent of a directory named `id` in the root of the newest session. */
function findDir(img: string, id: string): number {
  const root = u32(img, 16, 158);
  return records(img, root).find((r) => r.id === id)!.extent;
}

async function craft(entries: { header: tarStream.Headers; data?: Buffer }[]): Promise<Buffer> {
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => p.on('end', r));
  for (const e of entries) p.entry(e.header, e.data ?? Buffer.alloc(0));
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
