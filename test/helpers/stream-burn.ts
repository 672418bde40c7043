// What the burn-engine tests of iso-pack's head-last stream share: the stream and the plain
// image of one tar for one LBA, the stream fed in pieces, and the model recorder wired to
// the burn engine without real sleeps.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BurnMmc, type Sleep } from '../../dist/drive/burn-mmc.js';
import type { ModelMedium } from './recorder-model.js';
import { StreamRecorderModel } from './stream-recorder-model.js';
import { tarOfFiles } from './tar-of-files.js';

const ISO_PACK = new URL('../../bin/iso-pack.js', import.meta.url).pathname;

export type Pack = (lba: number, files: Record<string, Buffer | string>) => Promise<{ stream: Buffer; image: Buffer }>;

/** `pack` with its scratch directory, removed by `teardown` at the end of the test file. */
export function packer(teardown: (fn: () => void) => void): Pack {
  const work = mkdtempSync(join(tmpdir(), 'isopipe-stream-burn-'));
  teardown(() => rmSync(work, { recursive: true, force: true }));
  let n = 0;
  /** iso-pack for `lba`: the head-last stream (pipe) and the plain image (-o) of the same tar. */
  return async (lba, files) => {
    const tar = await tarOfFiles(files);
    const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
    const out = join(work, `img-${n++}.iso`);
    const a = spawnSync(process.execPath, [ISO_PACK, '--prev', `0,${lba}`], { input: tar, env, maxBuffer: 1 << 28 });
    const b = spawnSync(process.execPath, [ISO_PACK, '--prev', `0,${lba}`, '-o', out], { input: tar, env });
    if (a.status !== 0 || b.status !== 0) throw new Error(a.stderr.toString() + b.stderr.toString());
    return { stream: a.stdout, image: readFileSync(out) };
  };
}

/** `b` in pieces, as a pipe delivers it. */
export async function* chunks(b: Buffer, size = 100_000): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

/** The stream recorder model on `medium`, and the burn engine's MMC over it. */
export function rig(medium: ModelMedium): { model: StreamRecorderModel; mmc: BurnMmc } {
  const model = new StreamRecorderModel(medium);
  const sleep = (async () => {}) as Sleep;
  return { model, mmc: new BurnMmc(model, sleep) };
}
