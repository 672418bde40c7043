#!/usr/bin/env node
// cd-verify's structural check of a session (descriptors, both trees walked side by side,
// path tables) of two builds, timed in one process, alternately, over the same image. The
// walk is the part of cd-verify that runs on one core before the file hashing can start;
// `bench/run.sh` cannot show a change of a few per cent in it on this machine.
//
//   node bench/verify-walk.mjs OLD_CHECKOUT NEW_CHECKOUT IMAGE [RUNS]
//
// Each checkout must be built (dist/). Each run checks every session of the image and
// counts the findings (both builds must find the same number). The JIT is warm after the
// first run: compare the two builds, not these times with a whole cd-verify's.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './median.mjs';

const [oldRoot, newRoot, image, runsArg = '15'] = process.argv.slice(2);
if (!oldRoot || !newRoot || !image) {
  console.error('usage: node bench/verify-walk.mjs OLD_CHECKOUT NEW_CHECKOUT IMAGE [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg);

async function loaded(root) {
  const dist = (m) => import(pathToFileURL(resolve(root, 'dist', m)).href);
  const { SectorSource } = await dist('image/sector-source.js');
  const { scanMedium } = await dist('image/sessions.js');
  const { SessionChecker } = await dist('verify/session-check.js');
  const { FindingSink } = await dist('verify/findings.js');
  const src = SectorSource.open(image);
  const { sessions } = scanMedium((lba, n) => src.read(lba, n), src.sectors);
  return {
    check() {
      const sink = new FindingSink(() => {});
      const t0 = process.hrtime.bigint();
      for (const s of sessions) new SessionChecker(src, s, sink).check();
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6, findings: sink.count };
    },
  };
}

const builds = [await loaded(oldRoot), await loaded(newRoot)];
const times = [[], []];
for (let run = 0; run < runs; run++)
  for (const k of run % 2 ? [1, 0] : [0, 1]) {
    const { ms, findings } = builds[k].check();
    if (run === 0) console.log(`${k ? 'new' : 'old'}: ${findings} finding(s), first run ${ms.toFixed(0)} ms`);
    else times[k].push(ms);
  }
const [o, n] = times.map(median);
console.log(`median of ${runs - 1} warm runs: old ${o.toFixed(0)} ms, new ${n.toFixed(0)} ms, new/old ${(n / o).toFixed(3)}`);
