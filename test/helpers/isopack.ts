// Running iso-pack the way users do: a tar piped into it, output to a file (-o), to a regular
// file on stdout, or to a pipe (the head-last stream).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const ISO_PACK = new URL('../../bin/iso-pack.js', import.meta.url).pathname;
export const ISO_PACK_BUILT = new URL('../../dist/cli/iso-pack.js', import.meta.url).pathname;

export function isoPackBuilt(): boolean {
  return existsSync(ISO_PACK_BUILT);
}

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface PackResult {
  status: number | null;
  stderr: string;
  stdout: Buffer;
}

/**
 * `TAR | iso-pack ARGS` through a real pipe, with `redirect` appended to iso-pack's side
 * (e.g. `> file`, `| cat > file`). Fails when the tar side fails.
 */
export function packPipeline(tar: [string, string[]], args: string[], redirect = '', env: NodeJS.ProcessEnv = {}): PackResult {
  const cmd = `${[tar[0], ...tar[1]].map(sh).join(' ')} | ${[process.execPath, ISO_PACK, ...args].map(sh).join(' ')} ${redirect}`;
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  return { status: r.status, stderr: r.stderr.toString(), stdout: r.stdout };
}

/** iso-pack with `input` on stdin (a pipe) and stdout captured (a pipe: the head-last stream). */
export function packBuffer(input: Buffer, args: string[], env: NodeJS.ProcessEnv = {}): PackResult {
  const r = spawnSync(process.execPath, [ISO_PACK, ...args], { input, env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  return { status: r.status, stderr: r.stderr.toString(), stdout: r.stdout };
}
