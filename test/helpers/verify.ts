// Running cd-verify and the tools that make its test images; patching bytes of an image.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { node, tarOf, type RunResult } from './run.js';

export interface VerifyRun {
  status: number | null;
  /** Every JSON line but the summary. */
  findings: Record<string, unknown>[];
  summary: Record<string, unknown> | null;
  stdout: string;
  stderr: string;
}

/** One of the tools with `input` on stdin (an empty pipe when none), no default recorder. */
export function tool(name: string, args: string[], input?: Buffer, env: NodeJS.ProcessEnv = {}): RunResult {
  return node(name, args, { input: input ?? Buffer.alloc(0), env: { ...process.env, CDR_DEVICE: '', ...env } });
}

/** cd-verify with `input` on stdin (empty: no tar). */
export function verify(args: string[], input?: Buffer): VerifyRun {
  const r = tool('cd-verify', args, input);
  const stdout = r.stdout.toString();
  const lines = stdout.split('\n').filter((l) => l !== '');
  const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = objects.find((o) => o.kind === 'summary') ?? null;
  return { status: r.status, findings: objects.filter((o) => o.kind !== 'summary'), summary, stdout, stderr: r.stderr.toString() };
}

/** Findings as one line each, for test messages. */
export function describe(v: VerifyRun): string {
  return v.findings.map((f) => JSON.stringify(f)).join('\n') + (v.stderr ? `\n[stderr] ${v.stderr.trim()}` : '');
}

export function sh(cmd: string): string {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd}: exit ${r.status}: ${r.stderr.toString().trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout.toString();
}

/** The tar cd-verify's tests compare against: GNU format, numeric owners. */
export function gnuTar(dir: string): Buffer {
  return tarOf(dir, ['--format=gnu', '--numeric-owner']);
}

export function readAt(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

export function writeAt(file: string, offset: number, data: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** Inverts the byte at `offset`. */
export function flipByte(file: string, offset: number): void {
  const b = readAt(file, offset, 1);
  writeAt(file, offset, Buffer.from([b[0] ^ 0xff]));
}

export const SECTOR = 2048;

/** Little-endian uint32 at `offset` of sector `lba`. */
export function u32(file: string, lba: number, offset: number): number {
  return readAt(file, lba * SECTOR + offset, 4).readUInt32LE(0);
}

/** The records of one directory sector: offset, length, extent, identifier. */
export function records(file: string, lba: number): { off: number; len: number; extent: number; size: number; id: string }[] {
  const s = readAt(file, lba * SECTOR, SECTOR);
  const out = [];
  for (let off = 0; off < SECTOR && s[off] !== 0; off += s[off]) {
    out.push({ off, len: s[off], extent: s.readUInt32LE(off + 2), size: s.readUInt32LE(off + 10), id: s.toString('latin1', off + 33, off + 33 + s[off + 32]) });
  }
  return out;
}
