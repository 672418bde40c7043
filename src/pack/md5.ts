// iso-pack --md5: libisofs-compatible checksums (src/iso9660/checksum-tags.ts), so that
// `xorriso -check_md5` and cd-verify can verify a session years later without its source.
// - Each file's MD5 is computed as its data streams through (one pass, nothing held), or
//   taken from the tar for a file of an earlier session (pax ISOPIPE.md5).
// - Every file with an MD5 gets an index (AAIP isofs.cx) in the order its data came, the
//   root an isofs.ca naming the array; the array follows the session's last data.
// - The session MD5 (array entry 0), the array's own MD5 and the tree and session tags
//   cover sectors from the session start, head included: they are filled in by a second
//   pass once the head is known (src/session/checksum-seal.ts); the array is written with
//   those two entries zero.
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { SECTOR } from '../iso9660/constants.js';
import { checksumArrayBytes, encodeAttributeEntries, encodeChecksumArea, encodeChecksumIndex, MD5_BYTES } from '../iso9660/checksum-tags.js';
import { DONE, FAILED, failureBlock, failureOf, neverStarted, sleepOn, startHelper } from '../threads/helper-thread.js';
import type { Inode } from '../tree/tree.js';
import {
  align4,
  CONTROL_CELLS,
  DATA,
  DISCARD,
  END,
  FINISH,
  HEAD,
  HEADER_BYTES,
  READER_IDLE,
  REF,
  RING_BYTES,
  STATE,
  TAIL,
  WRAP,
  WRITER_WAITING,
  type RingData,
} from './md5-ring.js';

const HEX32 = /^[0-9a-fA-F]{32}$/;
const WORKER_URL = new URL('./md5-worker.js', import.meta.url);
const MASK = RING_BYTES - 1;
/** Longest DATA record: a chunk larger than this is split, so the ring holds several. */
const MAX_PIECE = RING_BYTES / 4;
/** A DATA piece shorter than this is not worth a record before the ring's end: wrap instead. */
const MIN_PIECE = 64 * 1024;
/** Data pending before a sleeping worker is woken (see publish). */
const WAKE_BYTES = RING_BYTES / 4;
/** Space the main thread waits for once the ring is full, so that it does not wake for
 *  every piece the worker frees. */
const REFILL_BYTES = RING_BYTES / 4;

export class Md5Error extends Error {}

/** MD5s of files, computed by a worker thread so that hashing overlaps reading the tar and
 *  writing the image (a 2-core machine otherwise pays both in turn). The main thread copies
 *  each chunk into a ring (src/pack/md5-ring.ts) and only waits when the ring is full. */
export class FileChecksums {
  /** Filled in from the worker once the tar has ended: slot k is array entry k + 1. A file
   *  the tar later replaces keeps its slot, which nothing then refers to. */
  private digests: Buffer | null = null;
  /** Slot of each file's MD5: one number per file, no object per digest. */
  private readonly slots = new Map<Inode, number>();
  private used = 0;
  private currentInode: Inode | null = null;
  /** Whether the current file has sent data. */
  private sent = false;
  private readonly indexTemplate = encodeAttributeEntries([{ name: 'isofs.cx', value: encodeChecksumIndex(0) }])[0];

  private readonly ring = new SharedArrayBuffer(RING_BYTES);
  private readonly bytes = Buffer.from(this.ring);
  private readonly words = new Uint32Array(this.ring);
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CONTROL_CELLS * 4));
  private readonly failure = failureBlock();
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private head = 0;
  /** TAIL as last read: free space known without touching the shared cell. */
  private tail = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    const data: RingData = { ring: this.ring, control: this.ctl.buffer as SharedArrayBuffer, port: port2, failure: this.failure };
    const worker = startHelper(WORKER_URL, data, [port2]);
    if (!worker) throw new Md5Error(`MD5 worker ${fileURLToPath(WORKER_URL)} cannot start (missing? run tsc)`);
    this.worker = worker;
  }

  /** A file's data begins (call even for an empty file). */
  begin(inode: Inode): void {
    if (this.currentInode && this.sent) this.record(DISCARD, 0, HEADER_BYTES); // a file that never ended
    this.currentInode = inode;
    this.sent = false;
  }

  update(chunk: Buffer): void {
    if (!this.currentInode) return;
    for (let done = 0; done < chunk.length; ) {
      const off = this.head & MASK;
      const toEnd = RING_BYTES - off;
      let piece = Math.min(chunk.length - done, MAX_PIECE);
      if (toEnd < HEADER_BYTES + align4(piece)) {
        if (toEnd - HEADER_BYTES < MIN_PIECE) {
          this.wrap();
          continue;
        }
        piece = (toEnd - HEADER_BYTES) & ~3;
      }
      this.reserve(HEADER_BYTES + align4(piece));
      this.words[off >>> 2] = DATA;
      this.words[(off >>> 2) + 1] = piece;
      chunk.copy(this.bytes, off + HEADER_BYTES, done, done + piece);
      this.head = (this.head + HEADER_BYTES + align4(piece)) | 0;
      done += piece;
      this.sent = true;
      this.publish();
    }
  }

  /** The current file's data has ended. */
  end(): void {
    if (!this.currentInode) return;
    const slot = this.slot(this.currentInode);
    this.record(END, slot, HEADER_BYTES);
    this.currentInode = null;
    this.publish();
  }

  /** A file of an earlier session: its recorded MD5 (32 hex digits), or none. */
  reference(inode: Inode, hex: string | undefined, path: string): void {
    if (hex === undefined) return;
    if (!HEX32.test(hex)) throw new Md5Error(`'${path}': malformed ISOPIPE.md5 ${JSON.stringify(hex)} (32 hex digits expected)`);
    const off = this.record(REF, this.slot(inode), HEADER_BYTES + MD5_BYTES);
    this.bytes.write(hex, off + HEADER_BYTES, MD5_BYTES, 'hex');
    this.publish();
  }

  /** The next slot, in the order files were seen. */
  private slot(inode: Inode): number {
    if (this.digests) throw new Md5Error('file checksums added after the array was taken');
    this.slots.set(inode, this.used);
    return this.used++;
  }

  /** Writes a record header with room for `size` bytes in all; returns its offset. */
  private record(type: number, value: number, size: number): number {
    if (RING_BYTES - (this.head & MASK) < size) this.wrap();
    this.reserve(size);
    const off = this.head & MASK;
    this.words[off >>> 2] = type;
    this.words[(off >>> 2) + 1] = value;
    this.head = (this.head + size) | 0;
    return off;
  }

  /** Skips the rest of the ring up to its end. */
  private wrap(): void {
    const off = this.head & MASK;
    this.reserve(RING_BYTES - off);
    this.words[off >>> 2] = WRAP;
    this.head = (this.head + RING_BYTES - off) | 0;
  }

  /** Waits until `size` bytes at head are free (the worker has read past them). */
  private reserve(size: number): void {
    if (RING_BYTES - ((this.head - this.tail) | 0) >= size) return;
    this.tail = Atomics.load(this.ctl, TAIL);
    if (RING_BYTES - ((this.head - this.tail) | 0) >= size) return;
    this.publish(true);
    const want = Math.max(size, REFILL_BYTES);
    let waited = 0;
    for (;;) {
      this.tail = Atomics.load(this.ctl, TAIL);
      if (RING_BYTES - ((this.head - this.tail) | 0) >= want) return;
      Atomics.store(this.ctl, WRITER_WAITING, 1);
      if (Atomics.load(this.ctl, TAIL) === this.tail) waited += sleepOn(this.ctl, TAIL, this.tail);
      Atomics.store(this.ctl, WRITER_WAITING, 0);
      this.check(waited);
    }
  }

  /** Makes the records written so far visible to the worker. A sleeping worker is woken
   *  only once WAKE_BYTES wait (or when `now`): on this VM each wake-up of an idle vCPU is
   *  expensive, and waking it per 64 KiB pipe read made a 3 GiB pack 2.5× slower. */
  private publish(now = false): void {
    Atomics.store(this.ctl, HEAD, this.head);
    if (!Atomics.load(this.ctl, READER_IDLE)) return;
    if (now || ((this.head - Atomics.load(this.ctl, TAIL)) | 0) >= WAKE_BYTES) Atomics.notify(this.ctl, HEAD);
  }

  /** Throws the worker's error, or gives up on a worker that never started. */
  private check(waited: number): void {
    const state = Atomics.load(this.ctl, STATE);
    if (state === FAILED) {
      this.stop();
      throw new Md5Error(`MD5 thread failed: ${failureOf(this.failure, 'unknown error').message}`);
    }
    const notStarted = neverStarted(state, waited, 'MD5 thread');
    if (notStarted) {
      this.stop();
      throw new Md5Error(notStarted);
    }
  }

  private stop(): void {
    this.worker.terminate().catch(() => {});
  }

  /** Waits for the worker to hash everything written and takes its digests. */
  private drain(): Buffer {
    if (this.digests) return this.digests;
    this.record(FINISH, 0, HEADER_BYTES);
    this.publish(true);
    let waited = 0;
    for (;;) {
      const state = Atomics.load(this.ctl, STATE);
      if (state === DONE) break;
      this.check(waited);
      waited += sleepOn(this.ctl, STATE, state);
    }
    const msg = receiveMessageOnPort(this.port)?.message as { digests?: Uint8Array } | undefined;
    this.stop();
    const got = msg?.digests;
    if (!got || got.length !== this.used * MD5_BYTES)
      throw new Md5Error(`MD5 thread returned ${got ? got.length / MD5_BYTES : 'no'} digests for ${this.used} files`);
    this.digests = Buffer.from(got.buffer, got.byteOffset, got.length);
    return this.digests;
  }

  /** The index of a file's MD5 in the array (1…N); null for a file without an MD5. */
  indexOf(inode: Inode): number | null {
    const k = this.slots.get(inode);
    return k === undefined ? null : k + 1;
  }

  /** File entries in the array. */
  get count(): number {
    return this.used;
  }

  /** The AL entries of a file's record (isofs.cx). */
  indexEntries(index: number): Buffer[] {
    const e = Buffer.from(this.indexTemplate);
    e.writeUInt32BE(index, e.length - 4);
    return [e];
  }

  /** The AL entries of the root's `.` record (isofs.ca): session MD5 over [start, end), the
   *  array at `end`. */
  areaEntries(start: number, end: number): Buffer[] {
    return encodeAttributeEntries([{ name: 'isofs.ca', value: encodeChecksumArea({ start, end, count: this.count + 2 }) }]);
  }

  /** Sectors the array takes. */
  get arraySectors(): number {
    return Math.ceil(checksumArrayBytes(this.count) / SECTOR);
  }

  /** The array, zero-padded to whole sectors: the files by index between a zero session
   *  MD5 and a zero MD5 of all entries, both left to the seal. */
  array(): Buffer {
    const entries = Buffer.alloc(this.arraySectors * SECTOR);
    this.drain().copy(entries, MD5_BYTES);
    return entries;
  }
}
