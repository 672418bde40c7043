// Uncommitted bytes past the committed end of an image file (issue #12 item 6): what a
// cd-write killed by a signal leaves. Only bytes past the committed end are ever removed,
// and never below the size the file had before the run.
import { closeSync, constants, fstatSync, ftruncateSync, fsyncSync, openSync, readSync, unlinkSync } from 'node:fs';
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import { scanMedium } from '../image/sessions.js';
import { lockImageFile } from './medium-lock.js';

/** Where the committed part of an image file ends, in bytes, from what it holds now. */
export function committedEndBytes(read: (lba: number, count: number) => Buffer, sizeBytes: number): number {
  const scan = scanMedium(read, Math.ceil(sizeBytes / SECTOR));
  if (scan.kind === 'iso') return scan.next * SECTOR;
  if (scan.kind === 'blank' && scan.blank === 'pseudo-blank') return HEAD_SECTORS * SECTOR;
  if (scan.kind === 'blank') return 0;
  return sizeBytes; // foreign: not ours to cut
}

export interface DebrisOutcome {
  removedBytes: number;
  /** The file did not exist before the run and holds no session: it was removed. */
  removedFile: boolean;
}

/**
 * After a cd-write died by a signal: cuts `path` back to max(its committed end, `before`
 * bytes) — or removes it when it did not exist before (`before` null) and nothing
 * committed. Takes the medium's lock first (briefly); a medium held by another writer is
 * left alone (that writer's commit removes the debris).
 */
export function removeDebris(path: string, before: number | null): DebrisOutcome {
  const none = { removedBytes: 0, removedFile: false };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR);
  } catch {
    return none;
  }
  let lock: { release(): void } | null = null;
  try {
    if (!fstatSync(fd).isFile()) return none;
    try {
      lock = lockImageFile(path, fd, { waitSeconds: 2 });
    } catch {
      return none;
    }
    const size = fstatSync(fd).size;
    const read = (lba: number, count: number): Buffer => {
      const b = Buffer.alloc(count * SECTOR);
      let got = 0;
      for (;;) {
        const n = readSync(fd, b, got, b.length - got, lba * SECTOR + got);
        if (n === 0) break;
        got += n;
        if (got === b.length) break;
      }
      return b.subarray(0, got);
    };
    const end = committedEndBytes(read, size);
    if (before === null && end === 0) {
      unlinkSync(path);
      return { removedBytes: size, removedFile: true };
    }
    const keep = Math.max(end, before ?? 0);
    if (size <= keep) return none;
    ftruncateSync(fd, keep);
    fsyncSync(fd);
    return { removedBytes: size - keep, removedFile: false };
  } finally {
    lock?.release();
    closeSync(fd);
  }
}
