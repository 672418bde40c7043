// Where an emulated multi-session medium's bytes live: an image file or block device
// (positional reads and writes on a descriptor, fsync), or an overwritable disc in an optical
// drive (READ(10)/WRITE(10), SYNCHRONIZE CACHE: src/drive/drive-sector-io.ts). The medium
// logic (emulated-medium.ts) is written once against this interface.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { blockDeviceBytes } from './capacity.js';

export interface SectorIo {
  /**
   * 'file' grows as it is written and can be cut back; 'device' (a block device, a disc in a
   * drive) has a fixed size, the most a session may reach.
   */
  readonly kind: 'file' | 'device';
  /** Bytes the medium holds now: a file's size, a device's capacity. */
  size(): number;
  /** Reads up to `length` bytes at byte `position` into `buf` at `offset`; 0 at the end. */
  readAt(buf: Buffer, offset: number, length: number, position: number): number;
  /** Writes some of `length` bytes from `data` at `offset` to byte `position`; returns how many. */
  writeAt(data: Buffer, offset: number, length: number, position: number): number;
  /** What sync() is called in messages: 'fsync', 'SYNCHRONIZE CACHE'. */
  readonly syncName: string;
  /** Makes everything written so far durable (fsync, SYNCHRONIZE CACHE). */
  sync(): void;
  /** Cuts a file back to `bytes` (files only). */
  truncate(bytes: number): void;
  close(): void;
}

/** An image file or block device, through its descriptor. */
export class FdSectorIo implements SectorIo {
  readonly kind: 'file' | 'device';
  readonly syncName = 'fsync';

  constructor(readonly fd: number) {
    const st = fstatSync(fd);
    this.kind = st.isBlockDevice() ? 'device' : 'file';
  }

  size(): number {
    const st = fstatSync(this.fd);
    return this.kind === 'device' ? (blockDeviceBytes(st.rdev) ?? 0) : st.size;
  }

  readAt(buf: Buffer, offset: number, length: number, position: number): number {
    return readSync(this.fd, buf, offset, length, position);
  }

  writeAt(data: Buffer, offset: number, length: number, position: number): number {
    return writeSync(this.fd, data, offset, length, position);
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  truncate(bytes: number): void {
    if (this.kind !== 'file') return;
    ftruncateSync(this.fd, bytes);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
