// A file of more than 4 GiB (multi-extent): one image, tar piped into iso-pack, the file's md5
// read back by bsdtar, xorriso and 7z through pipes (never extracted to disk), and the kernel's
// listing without content hashing (KERNEL_ORACLE_MD5=0: it reads at about 20 MB/s).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIG_SIZE, buildBigFixture, tarCommand } from '../fixture/fixture.js';
import { isoPackBuilt, packPipeline } from '../helpers/isopack.js';
import { formatDifference, isEqual, listDir } from '../helpers/listing.js';
import { compareWithModel, models } from '../helpers/model.js';
import { READER_ENV, kernelHas32BitDates, md5OfCommand, readKernel } from '../helpers/readers.js';
import { gate, withReader } from '../helpers/skip.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-big-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

if (!isoPackBuilt()) {
  t.fail('iso-pack is not built (dist/cli/iso-pack.js): run npx tsc -p tsconfig.json');
} else {
  const src = join(work, 'src');
  mkdirSync(src);
  buildBigFixture(src);
  const source = listDir(src); // hashes the big file once: the expected md5
  const want = new Map(source.filter((e) => e.type === 'file').map((e) => [e.path.slice(1), e.md5]));
  const image = join(work, 'big.iso');

  t.test('gnu tar | iso-pack -o: a file over 4 GiB', async (t) => {
    const started = Date.now();
    const r = packPipeline(tarCommand(src, 'gnu'), ['-o', image]);
    t.equal(r.status, 0, `iso-pack exits 0 ${r.stderr.trim()}`);
    if (r.status !== 0) return;
    t.comment(`packed ${BIG_SIZE} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.ok(statSync(image).size > BIG_SIZE, 'the image holds the whole file');

    for (const [reader, cmd] of [
      ['bsdtar', (f: string) => ['bsdtar', ['-x', '-O', '-f', image, f]]],
      ['xorriso', (f: string) => ['xorriso', ['-osirrox', 'on', '-indev', image, '-concat', 'append', '-', `/${f}`]]],
      ['7z', (f: string) => ['7z', ['x', '-so', image, f]]],
    ] as const) {
      await t.test(`${reader} streams the contents`, async (t) =>
        withReader(t, reader, () => {
          for (const [file, md5] of want) {
            const [c, args] = cmd(file);
            let got: string;
            try {
              got = md5OfCommand(c as string, args as string[]);
            } catch (e) {
              got = String((e as Error).message);
            }
            t.equal(got, md5, `${reader}: md5 of ${file}`);
          }
        }),
      );
    }

    await t.test('kernel lists it (no content hashing)', async (t) =>
      withReader(t, 'kernel', () => {
        const r = readKernel(image, '', false);
        const model = models({ jolietLimit: 64, kernelDates32: gate('kernel').ok ? kernelHas32BitDates() : true }).kernel;
        const c = compareWithModel(model, source, r.entries);
        t.ok(
          isEqual(c.diff),
          'the kernel shows the source tree (sizes, owners, modes, mtimes)',
          isEqual(c.diff) ? {} : { differences: formatDifference(c.diff) },
        );
        t.same([...r.notes, ...c.notes], [], 'no kernel complaint');
      }),
    );

    await t.test('isoinfo sees the file as extents that add up', async (t) =>
      withReader(t, 'isoinfo', () => {
        // isoinfo prints one line per directory record; a multi-extent file has several.
        const out = spawnSync('isoinfo', ['-R', '-l', '-i', image], { env: READER_ENV, maxBuffer: 1 << 26 }).stdout.toString();
        const sizes = out
          .split('\n')
          .filter((l) => / big\.bin $/.test(l))
          .map((l) => Number(l.slice(30, 40).trim()));
        t.ok(sizes.length >= 2, `big.bin has ${sizes.length} extents`);
        t.equal(
          sizes.reduce((a, b) => a + b, 0),
          BIG_SIZE,
          'their sizes add up to the file size',
        );
        t.ok(
          sizes.slice(0, -1).every((s) => s % 2048 === 0),
          'every extent but the last is whole sectors',
        );
      }),
    );
    rmSync(image, { force: true });
  });
}
