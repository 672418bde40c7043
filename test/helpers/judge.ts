// Every reader on one image, each whole listing compared with the source tree under that
// reader's model (model.ts), as test/interop-pack.test.ts does; shared by the interop tests.
import type { Test } from 'tap';
import { formatDifference, isEqual, type Entry } from './listing.js';
import { compareWithModel, models, relevantNotes, type ModelOptions } from './model.js';
import { isoinfoLinkGroups, read7z, readBsdtar, readIsoinfo, readKernel, readXorriso, type ReaderResult } from './readers.js';
import { withReader } from './skip.js';

export interface Check {
  reader: string; // key of models()
  gate: string; // key of READER_COMMANDS
  read: (image: string, work: string) => ReaderResult;
  /** Run only when named in `only` (one more VM boot that most tests do not need). */
  optional?: boolean;
}

export const CHECKS: Check[] = [
  { reader: 'kernel', gate: 'kernel', read: (img) => readKernel(img) },
  { reader: 'kernelJoliet', gate: 'kernel', read: (img) => readKernel(img, 'norock,check=s') },
  { reader: 'kernelIso', gate: 'kernel', read: (img) => readKernel(img, 'norock,nojoliet,map=off'), optional: true },
  { reader: 'xorriso', gate: 'xorriso', read: (img, work) => readXorriso(img, work) },
  { reader: 'bsdtar', gate: 'bsdtar', read: (img, work) => readBsdtar(img, work) },
  { reader: 'sevenZip', gate: '7z', read: (img, work) => read7z(img, work) },
  { reader: 'isoinfo', gate: 'isoinfo', read: (img) => readIsoinfo(img, 'R', true) },
  { reader: 'isoinfoJoliet', gate: 'isoinfo', read: (img) => readIsoinfo(img, 'J', false) },
];

/** Every reader, the optional ones too. */
export const EVERY_READER = CHECKS.map((c) => c.reader);

/**
 * Runs the readers (all but the optional ones, or `only`) on `image` and compares each whole listing with the model
 * of `source`; extracting readers' hard-link groups must equal the source's (or, for a
 * reader modelled with links 'subset', never join names the source keeps apart). Returns
 * each reader's result for further checks.
 */
export async function judge(
  t: Test,
  image: string,
  work: string,
  source: Entry[],
  sourceGroups: string[][],
  opts: ModelOptions,
  only?: string[],
): Promise<Map<string, ReaderResult>> {
  const all = models(opts);
  const results = new Map<string, ReaderResult>();
  for (const check of CHECKS) {
    if (only ? !only.includes(check.reader) : check.optional) continue;
    const model = all[check.reader];
    await t.test(model.name, async (t) =>
      withReader(t, check.gate, () => {
        const r = check.read(image, work);
        results.set(check.reader, r);
        const c = compareWithModel(model, source, r.entries);
        const same = isEqual(c.diff);
        t.ok(
          same,
          `${model.name} shows the source tree (${c.expected.length} entries expected, ${c.found.length} listed)`,
          same ? {} : { differences: formatDifference(c.diff) },
        );
        t.same([...relevantNotes(r.notes, c.ignored), ...c.notes], [], `${model.name} reports no problem`);
        if (r.linkGroups && model.links === 'subset') {
          const wrong = r.linkGroups.filter((g) => !sourceGroups.some((s) => g.every((p) => s.includes(p))));
          t.same(wrong, [], `${model.name}: every hard-link group it restores is part of a source group`);
        } else if (r.linkGroups) {
          t.same(r.linkGroups, sourceGroups, `${model.name}: hard-link groups as in the source`);
        }
        if (check.reader === 'isoinfo') {
          const nonEmpty = sourceGroups.filter((g) => source.find((e) => e.path === g[0])?.size !== '0');
          t.same(isoinfoLinkGroups(r.entries as never), nonEmpty, 'isoinfo: hard links share one extent');
        }
      }),
    );
  }
  return results;
}
