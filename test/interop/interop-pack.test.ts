// iso-pack judged by independent readers: the fixture tree of issue 3, tarred by GNU tar (gnu
// and pax formats) and by bsdtar, piped into iso-pack; each reader's WHOLE listing must equal
// the source tree within that reader's documented limits (test/helpers/model.ts).
import t, { type Test } from 'tap';
import { lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, buildMixedLinkFixture, tarCommand, TAR_FORMATS, type TarFormat } from '../fixture/fixture.js';
import { isoPackBuilt, packPipeline } from '../helpers/isopack.js';
import { EVERY_READER, judge as judgeImage } from '../helpers/judge.js';
import { listDir, unescapeName, type Entry } from '../helpers/listing.js';
import type { ModelOptions } from '../helpers/model.js';
import { kernelHas32BitDates, linkGroups, pathTableProblems, readBsdtar, readIsoinfo, readIsoinfoPathTable } from '../helpers/readers.js';
import { IN_CI, gate, withReader } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-interop-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** Every reader's listing of `image` against the model of `source` (test/helpers/judge.ts). */
const judge = (t: Test, image: string, source: Entry[], groups: string[][], opts: ModelOptions, only: string[] = EVERY_READER) =>
  judgeImage(t, image, work, source, groups, opts, only);

/**
 * The tree as the tar holds it, when a tar writer cannot hold the source exactly. bsdtar
 * (libarchive 3.6) writes a negative mtime with a fraction as "floor.fraction" in pax
 * ("-1000000001.5" for -1000000000.5); read as the decimal number POSIX says it is, that is
 * -1000000001.5, whose whole second is one earlier than the source's. (GNU tar writes
 * "-1000000000.5"; both tars' own listings read the sign as applying to the integer part only.)
 */
function asTarHolds(source: Entry[], src: string, format: TarFormat): Entry[] {
  if (format !== 'bsdtar') return source;
  return source.map((e) => {
    const st = lstatSync(join(src, unescapeName(e.path).toString('utf8')), { bigint: true });
    const fraction = st.mtimeNs % 1_000_000_000n !== 0n;
    return fraction && st.mtimeNs < 0n ? { ...e, mtime: String(Number(e.mtime) - 1) } : e;
  });
}

function main() {
  const src = join(work, 'src');
  mkdirSync(src);
  buildFixture(src);
  const source = listDir(src);
  const groups = linkGroups(src);
  const base: ModelOptions = { jolietLimit: 64, kernelDates32: gate('kernel').ok ? kernelHas32BitDates() : true };

  t.test('the fixture covers issue 3', async (t) => {
    const names = source.map((e) => Buffer.from(e.path.slice(e.path.lastIndexOf('/') + 1)).length);
    t.ok(
      names.some((n) => n >= 240 && n <= 250),
      'names of 240-250 bytes',
    );
    t.ok(
      source.some((e) => /[\u{10000}-\u{10ffff}]/u.test(e.path)),
      'a name outside the BMP',
    );
    t.ok(
      source.some((e) => e.path.split('/').length >= 14),
      '12 levels below a top directory',
    );
    for (const type of ['symlink', 'fifo', 'chr', 'blk'])
      t.ok(
        source.some((e) => e.type === type),
        `a ${type}`,
      );
    for (const mode of ['4755', '2755', '1777', '0751'])
      t.ok(
        source.some((e) => e.mode === mode),
        `mode ${mode}`,
      );
    t.ok(source.some((e) => Number(e.mtime) < 0) && source.some((e) => Number(e.mtime) > 2 ** 31), 'mtimes before 1970 and after 2038');
    t.ok(
      groups.some((g) => g.length >= 3),
      'a hard-link group of three or more',
    );
  });

  for (const format of TAR_FORMATS) {
    t.test(`${format} tar | iso-pack`, async (t) => {
      const withTool = format === 'bsdtar' ? 'bsdtar' : 'tar';
      await withReader(t, withTool, async () => {
        const image = join(work, `${format}.iso`);
        const r = packPipeline(tarCommand(src, format as TarFormat), ['-o', image]);
        t.equal(r.status, 0, `iso-pack exits 0 ${r.stderr.trim()}`);
        if (r.status !== 0) return;
        await judge(t, image, asTarHolds(source, src, format as TarFormat), groups, base);
        await t.test('isoinfo: the L path tables agree with the directory trees', async (t) =>
          withReader(t, 'isoinfo', () => {
            for (const joliet of [false, true]) {
              const table = readIsoinfoPathTable(image, joliet);
              const tree = readIsoinfo(image, joliet ? 'J' : 'plain', false).entries;
              t.same(pathTableProblems(table, tree, !joliet), [], `${joliet ? 'Joliet' : 'ISO 9660'} path table: ${table.length} directories`);
            }
          }),
        );
        rmSync(image, { force: true });
      });
    });
  }

  t.test('pax tar | iso-pack --joliet-long: Joliet names up to 103 units', async (t) => {
    const image = join(work, 'long.iso');
    const r = packPipeline(tarCommand(src, 'pax'), ['--joliet-long', '-o', image]);
    t.equal(r.status, 0, `iso-pack exits 0 ${r.stderr.trim()}`);
    if (r.status !== 0) return;
    await judge(t, image, source, groups, { ...base, jolietLimit: 103 }, ['kernelJoliet', 'sevenZip', 'isoinfoJoliet']);
    rmSync(image, { force: true });
  });

  t.test('a hard link whose long name comes after its data: readable, or iso-pack says libarchive will refuse it', async (t) => {
    const dir = join(work, 'mixed');
    mkdirSync(dir);
    buildMixedLinkFixture(dir);
    const mixed = listDir(dir);
    const image = join(work, 'mixed.iso');
    const r = packPipeline(['tar', ['-C', dir, '--format=gnu', '--sort=name', '-cf', '-', '.']], ['-o', image]);
    t.equal(r.status, 0, `iso-pack exits 0 ${r.stderr.trim()}`);
    if (r.status !== 0) return;
    await judge(t, image, mixed, linkGroups(dir), base, ['kernel', 'xorriso', 'isoinfo']);
    await t.test('bsdtar', async (t) =>
      withReader(t, 'bsdtar', async () => {
        const b = readBsdtar(image, work);
        if (b.notes.length) {
          t.match(r.stderr, /libarchive|bsdtar/, `bsdtar refuses the image (${b.notes[0]}), and iso-pack warned about it`);
        } else {
          await judge(t, image, mixed, linkGroups(dir), base, ['bsdtar']);
        }
      }),
    );
    rmSync(image, { force: true });
  });

  t.test('bsdtar tar | iso-pack --md5: the checksum entries change nothing readers show', async (t) => {
    const image = join(work, 'md5.iso');
    const r = packPipeline(tarCommand(src, 'bsdtar'), ['--md5', '-o', image]);
    t.equal(r.status, 0, `iso-pack exits 0 ${r.stderr.trim()}`);
    if (r.status !== 0) return;
    await judge(t, image, asTarHolds(source, src, 'bsdtar'), groups, base, ['kernel', 'xorriso', 'bsdtar', 'isoinfo']);
    rmSync(image, { force: true });
  });

  t.test('gnu tar | iso-pack -r: rationalized owners and modes', async (t) => {
    const image = join(work, 'rational.iso');
    const r = packPipeline(tarCommand(src, 'gnu'), ['-r', '-o', image]);
    t.equal(r.status, 0, `iso-pack exits 0 ${r.stderr.trim()}`);
    if (r.status !== 0) return;
    await judge(t, image, source, groups, { ...base, rationalized: true }, ['kernel', 'isoinfo']);
    rmSync(image, { force: true });
  });
}

if (!isoPackBuilt()) {
  t.fail('iso-pack is not built (dist/cli/iso-pack.js): run npx tsc -p tsconfig.json');
  t.end();
} else if (process.getuid?.() !== 0) {
  // Owners, setuid bits and device nodes need root, both to build the fixture and to extract.
  if (IN_CI) t.fail('the interop fixture needs root (CI runs as root)');
  else t.pass('the interop fixture needs root', { skip: 'not root' });
  t.end();
} else {
  main();
}
