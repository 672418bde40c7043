// Where a session's bytes go (DESIGN §4): a plain image (head written last, in place), the
// head-last stream with header and trailer, or a plain image in LBA order to a pipe, whose
// head a first read of the tar worked out. Data is batched into large writes; a plain
// image's long files are written by a thread of their own.
import { closeSync, openSync, readSync } from 'node:fs';
import { sealChecksums, sealPlanOf, type SealIo } from './checksum-seal.js';
import { FLAG_UNCHANGED, FLAGS_OFFSET, encodeStreamHeader, encodeStreamTrailer } from './format.js';
import { writeAll } from './io.js';
import { LongStream } from './pipe-size.js';
import { StreamCrc } from './stream-crc.js';
import { SLOT_BYTES } from './write-ring.js';
import { WriteThread } from './write-thread.js';
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';

/** Write size. 128 KiB writes ran 3 GiB to a file in 4.5 s where 1 MiB writes took 7–12 s
 *  on this VM (each 1 MiB write cost ~2.6 ms), and pipes are no slower. */
const BATCH = SLOT_BYTES;
const ZEROS = Buffer.alloc(BATCH);
/** A plain image's files this long are written by the writing thread (fileBegins): eight
 *  slots, two of its wake-ups. 256 KiB gave the same times on the mixed tree. */
const BULK_FILE_BYTES = 1 << 20;

/** plain: a file or device we can seek in; stream: the head-last stream (a pipe);
 *  in-order: a plain image written front to back, its head known beforehand. */
export type OutputForm = { kind: 'plain' } | { kind: 'stream' } | { kind: 'in-order'; head: Buffer };

/** What packing a session writes to: a SessionOutput, or nothing (iso-pack's counting pass). */
export type SessionSink = Pick<SessionOutput, 'append' | 'appendZeros' | 'fileBegins' | 'markUnchanged' | 'finish'>;

export class SessionOutput {
  /** Reused while this thread writes: each write completes before it is filled again. */
  private readonly own = Buffer.allocUnsafe(BATCH);
  /** The batch being filled: `own`, or a slot of the writing thread's ring. */
  private batch: Buffer = this.own;
  /** Takes a plain image's writes of long files (write-thread.ts, fileBegins); started
   *  for the first, kept to the end. Null once there is none to be had. */
  private thread: WriteThread | null | undefined;
  private threaded = false;
  private fill = 0;
  private position = 0;
  private readonly crc = new StreamCrc();

  private readonly streamFraming: boolean;
  /** Output to a pipe, which grows once the stream is long. */
  private readonly stream: LongStream | null;

  /** @param fd where the bytes go */
  constructor(
    private readonly fd: number,
    private readonly start: number,
    private readonly form: OutputForm,
  ) {
    this.streamFraming = form.kind === 'stream';
    this.stream = form.kind === 'plain' ? null : new LongStream(fd);
    if (form.kind === 'stream') this.append(encodeStreamHeader({ start }));
    else if (form.kind === 'in-order') this.append(form.head);
    else this.appendZeros(HEAD_SECTORS * SECTOR);
  }

  /**
   * Sets the stream header's "unchanged" flag (docs/stream-format.md) while the header is
   * still the only thing written, i.e. no file data went out in place. Returns whether it
   * did; a plain image has no header and is never marked.
   */
  markUnchanged(): boolean {
    if (!this.streamFraming || this.position !== 0 || this.fill !== SECTOR) return false;
    this.batch.writeUInt32LE(this.batch.readUInt32LE(FLAGS_OFFSET) | FLAG_UNCHANGED, FLAGS_OFFSET);
    return true;
  }

  /** Copies `data` into the batch, writing whenever it fills. */
  append(data: Buffer): void {
    let off = 0;
    while (off < data.length) {
      const n = Math.min(BATCH - this.fill, data.length - off);
      data.copy(this.batch, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === BATCH) this.flush();
    }
  }

  appendZeros(n: number): void {
    while (n > 0) {
      const k = Math.min(n, BATCH - this.fill);
      // Copied, not filled: fill() on shared memory (the writing thread's slots) is many
      // times slower than a copy.
      ZEROS.copy(this.batch, this.fill, 0, k);
      this.fill += k;
      n -= k;
      if (this.fill === BATCH) this.flush();
    }
  }

  private flush(): void {
    if (this.fill === 0) return;
    if (this.threaded) {
      this.thread!.publish(this.fill, this.position);
      this.passed(this.fill);
      this.batch = this.thread!.slot();
    } else {
      this.write(this.batch.subarray(0, this.fill));
    }
    this.fill = 0;
  }

  /**
   * A file's `bytes` of data come next. Into a plain image, the writing thread writes long
   * files and this thread the rest: with big files, the copy out of the tar's pipe and the
   * write into the page cache are each a large share, and overlap well; among smaller
   * files, or into a pipe, the thread did not pay (bench/RESULTS.md, eleventh round). A
   * plain image's writes are positioned, so the two may write side by side.
   */
  fileBegins(bytes: number): void {
    if (this.form.kind !== 'plain' || bytes >= BULK_FILE_BYTES === this.threaded) return;
    if (this.thread === undefined) this.thread = WriteThread.start(this.fd);
    if (this.thread === null) return;
    this.flush();
    this.threaded = !this.threaded;
    this.batch = this.threaded ? this.thread!.slot() : this.own;
  }

  /** Waits for the writing thread's last write: what follows is written here. */
  private stopThread(): void {
    if (!this.thread) return;
    this.thread.finish();
    this.thread = null;
    this.threaded = false;
    this.batch = this.own;
  }

  /** The session failed: its writing thread ends without writing what it still holds. */
  abandon(): void {
    this.thread?.abandon();
    this.thread = null;
    this.threaded = false;
  }

  private write(buf: Buffer): void {
    if (this.streamFraming) {
      this.crc.update(buf);
      writeAll(this.fd, buf);
    } else {
      writeAll(this.fd, buf, this.form.kind === 'plain' ? this.position : null);
    }
    this.passed(buf.length);
  }

  private passed(bytes: number): void {
    this.position += bytes;
    this.stream?.passed(bytes);
  }

  /** Writes the head (and, for a stream, the trailer); the session is complete after this.
   *  A plain image whose head carries a checksum plan (--md5) is sealed first; a stream is
   *  sealed by cd-write, which can read the medium back. */
  finish(head: Buffer, sessionSectors: number): void {
    this.flush();
    this.stopThread();
    if (this.form.kind === 'in-order') {
      if (!head.equals(this.form.head)) throw new Error('internal: the session head differs from the one written first');
      return;
    }
    if (!this.streamFraming) {
      if (sealPlanOf(head)) this.sealInPlace(head, sessionSectors);
      writeAll(this.fd, head, 0);
      return;
    }
    this.write(head);
    this.write(encodeStreamTrailer({ start: this.start, sectors: sessionSectors, crc32: this.crc.value }));
  }

  private sealInPlace(head: Buffer, sessionSectors: number): void {
    // stdout redirected to a file is write-only: read through a second descriptor.
    let readFd = this.fd;
    let own = false;
    try {
      readSync(this.fd, Buffer.alloc(1), 0, 1, 0);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EBADF') throw err;
      readFd = openSync(`/proc/self/fd/${this.fd}`, 'r');
      own = true;
    }
    const offset = (lba: number) => (lba - this.start) * SECTOR;
    const io: SealIo = {
      read: (lba, buf) => {
        for (let got = 0; got < buf.length; ) {
          const n = readSync(readFd, buf, got, buf.length - got, offset(lba) + got);
          if (n === 0) throw new Error(`the image ends before LBA ${lba + Math.floor(got / SECTOR)} while reading it back for --md5`);
          got += n;
        }
      },
      write: (lba, data) => writeAll(this.fd, data, offset(lba)),
    };
    try {
      sealChecksums(head, this.start, sessionSectors, io);
    } finally {
      if (own) closeSync(readFd);
    }
  }
}
