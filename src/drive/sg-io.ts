// The Linux transport: SCSI commands through the SG_IO ioctl on /dev/srN or /dev/sgN, reached
// from Node through koffi (an optional dependency, loaded only here, only when a drive is used).
// The ioctl runs as a koffi async call on a worker thread, so the event loop keeps running
// while the drive works (a CLOSE SESSION can take minutes).
import { closeSync, constants, openSync, statSync } from 'node:fs';
import type { ScsiCommand, ScsiReply, Transport } from './transport.js';
import { noSyncAtExit } from '../session/libc.js';

/** The drive cannot be opened or spoken to; the message is one line for the user. */
export class DriveOpenError extends Error {
  override name = 'DriveOpenError';
}

const SG_IO = 0x2285;
const SG_DXFER_NONE = -1;
const SG_DXFER_TO_DEV = -2;
const SG_DXFER_FROM_DEV = -3;
const SG_INFO_OK_MASK = 0x1;
const SENSE_LENGTH = 64;
const SCSI_BLOCK_MAJOR_CDROM = 11;

// What koffi exposes that this file uses (typed narrowly, so koffi stays optional at build time).
interface Koffi {
  load(name: string): { func(decl: string): KoffiFunction };
  struct(name: string, fields: Record<string, string>): unknown;
  alloc(type: unknown, count: number): unknown;
  free(ptr: unknown): void;
  view(ptr: unknown, len: number): ArrayBuffer;
  encode(ptr: unknown, type: unknown, value: unknown): void;
  decode(ptr: unknown, type: unknown): Record<string, number>;
  errno(): number;
  sizeof(type: unknown): number;
}
interface KoffiFunction {
  (...args: unknown[]): number;
  async(...args: unknown[]): void;
}

interface Native {
  koffi: Koffi;
  ioctl: KoffiFunction;
  hdrType: unknown;
}

let native: Promise<Native> | null = null;

/** Loads koffi and libc's ioctl once; a missing koffi is one clear line. */
function loadNative(): Promise<Native> {
  native ??= (async () => {
    let koffi: Koffi;
    try {
      // A variable specifier keeps tsc from needing koffi's types: it is optional.
      const name = 'koffi';
      koffi = ((await import(name)) as { default: Koffi }).default;
    } catch {
      throw new DriveOpenError('talking to an optical drive needs the koffi package: run `npm install koffi` in the isopipe directory');
    }
    const libc = koffi.load('libc.so.6');
    noSyncAtExit(libc.func('int dup2(int, int)'));
    // sg_io_hdr_t from <scsi/sg.h>, declared field by field so koffi lays it out for this ABI.
    const hdrType = koffi.struct('isopipe_sg_io_hdr', {
      interface_id: 'int',
      dxfer_direction: 'int',
      cmd_len: 'uint8',
      mx_sb_len: 'uint8',
      iovec_count: 'uint16',
      dxfer_len: 'uint32',
      dxferp: 'void *',
      cmdp: 'void *',
      sbp: 'void *',
      timeout: 'uint32',
      flags: 'uint32',
      pack_id: 'int',
      usr_ptr: 'void *',
      status: 'uint8',
      masked_status: 'uint8',
      msg_status: 'uint8',
      sb_len_wr: 'uint8',
      host_status: 'uint16',
      driver_status: 'uint16',
      resid: 'int',
      duration: 'uint32',
      info: 'uint32',
    });
    const ioctl = libc.func('int ioctl(int fd, unsigned long request, void *arg)');
    return { koffi, ioctl, hdrType };
  })();
  native.catch(() => (native = null));
  return native;
}

const ERRNO_TEXT: Record<number, string> = { 1: 'EPERM', 5: 'EIO', 12: 'ENOMEM', 16: 'EBUSY', 19: 'ENODEV', 22: 'EINVAL', 25: 'ENOTTY', 123: 'ENOMEDIUM' };

/** Why open() failed, in one line naming the device. */
function openErrorMessage(path: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EBUSY':
      return `${path}: the drive is busy or mounted (another program holds it, or a session is mounted: umount it first)`;
    case 'ENOENT':
      return `${path}: no such device (cd-msinfo --scan lists the drives; isopipe never creates files under /dev)`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied (the drive needs read-write access: join the group owning it, often 'cdrom')`;
    case 'ENOMEDIUM':
      return `no medium in ${path}`;
    case 'EROFS':
      return `${path}: the device refused a read-write open`;
    case 'ENXIO':
    case 'ENODEV':
      return `${path}: no drive answers at this device`;
    default:
      return `${path}: cannot open the drive: ${err.message}`;
  }
}

/** Native buffers that stay put while the ioctl runs on another thread. */
class NativeBuffer {
  readonly ptr: unknown;
  readonly view: Buffer;
  constructor(
    private readonly k: Koffi,
    readonly size: number,
  ) {
    this.ptr = k.alloc('uint8', Math.max(size, 1));
    this.view = Buffer.from(k.view(this.ptr, Math.max(size, 1)));
  }
  free(): void {
    this.k.free(this.ptr);
  }
}

/** A reader shares the drive; a writer holds it alone. */
export type DriveAccess = 'read' | 'write';

export class SgIoTransport implements Transport {
  private busy = false;
  private closed = false;
  private readonly cdb: NativeBuffer;
  private readonly sense: NativeBuffer;
  private readonly hdr: unknown;
  private data: NativeBuffer | null = null;

  private constructor(
    readonly name: string,
    private readonly fd: number,
    private readonly n: Native,
  ) {
    this.cdb = new NativeBuffer(n.koffi, 16);
    this.sense = new NativeBuffer(n.koffi, SENSE_LENGTH);
    this.hdr = n.koffi.alloc(n.hdrType, 1);
  }

  /**
   * Opens the drive as cdrecord and libburn do: O_RDWR|O_NONBLOCK (the cdrom layer's
   * ioctl-only open: works without a medium and on write-once media). A writer adds O_EXCL:
   * on /dev/srN the kernel then refuses while a session is mounted or another writer holds
   * the drive; on /dev/sgN it is sg's own exclusive open. Readers (cd-msinfo, iso-merge,
   * cd-verify) open shared, as mkisofs -M read the disc while cdrecord burned: the pipeline
   * `iso-merge dev=D | iso-pack | cd-write dev=D` holds the drive in two processes at once.
   */
  static async open(path: string, access: DriveAccess = 'read'): Promise<SgIoTransport> {
    const n = await loadNative();
    let fd: number;
    try {
      const st = statSync(path);
      if (!st.isBlockDevice() && !st.isCharacterDevice()) throw new DriveOpenError(`${path}: not a device`);
      // Decided from stat, not a first open, since each open of /dev/srN makes the kernel
      // probe the drive (event status, TEST UNIT READY, door lock).
      const cdrom = st.isBlockDevice() && (Math.floor(st.rdev / 256) & 0xfff) === SCSI_BLOCK_MAJOR_CDROM;
      const exclusive = access === 'write' && (cdrom || st.isCharacterDevice());
      fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | (exclusive ? constants.O_EXCL : 0));
    } catch (err) {
      if (err instanceof DriveOpenError) throw err;
      throw new DriveOpenError(openErrorMessage(path, err as NodeJS.ErrnoException));
    }
    return new SgIoTransport(path, fd, n);
  }

  private dataBuffer(size: number): NativeBuffer {
    if (!this.data || this.data.size < size) {
      this.data?.free();
      this.data = new NativeBuffer(this.n.koffi, Math.max(size, 65536));
    }
    return this.data;
  }

  async execute(command: ScsiCommand): Promise<ScsiReply> {
    if (this.closed) throw new Error(`${this.name}: the drive is closed`);
    // One command at a time: the native buffers are shared.
    if (this.busy) throw new Error(`${this.name}: a SCSI command is already running`);
    this.busy = true;
    try {
      return await this.run(command);
    } finally {
      this.busy = false;
      if (this.closed) this.release();
    }
  }

  /** The ioctl called on this thread: blocks until the drive answers (a READ(10) of 64 KiB). */
  executeSync(command: ScsiCommand): ScsiReply {
    if (this.closed) throw new Error(`${this.name}: the drive is closed`);
    if (this.busy) throw new Error(`${this.name}: a SCSI command is already running`);
    const data = this.prepare(command);
    let rc: number;
    try {
      rc = this.n.ioctl(this.fd, SG_IO, this.hdr) as number;
    } catch (err) {
      return this.finish(command, data, err, -1);
    }
    return this.finish(command, data, null, rc);
  }

  private run(command: ScsiCommand): Promise<ScsiReply> {
    const data = this.prepare(command);
    return new Promise((resolve) => {
      this.n.ioctl.async(this.fd, SG_IO, this.hdr, (err: unknown, rc: number) => resolve(this.finish(command, data, err, rc)));
    });
  }

  /** The command into the native sg_io_hdr_t and buffers. */
  private prepare(command: ScsiCommand): NativeBuffer | null {
    const { koffi, hdrType } = this.n;
    const length = command.direction === 'in' ? (command.inLength ?? 0) : command.direction === 'out' ? (command.data?.length ?? 0) : 0;
    const data = length > 0 ? this.dataBuffer(length) : null;
    if (command.direction === 'out' && data && command.data) command.data.copy(data.view, 0);
    command.cdb.copy(this.cdb.view, 0);
    this.sense.view.fill(0);
    koffi.encode(this.hdr, hdrType, {
      interface_id: 'S'.charCodeAt(0),
      dxfer_direction: length === 0 ? SG_DXFER_NONE : command.direction === 'out' ? SG_DXFER_TO_DEV : SG_DXFER_FROM_DEV,
      cmd_len: command.cdb.length,
      mx_sb_len: SENSE_LENGTH,
      iovec_count: 0,
      dxfer_len: length,
      dxferp: data ? data.ptr : null,
      cmdp: this.cdb.ptr,
      sbp: this.sense.ptr,
      timeout: command.timeoutMs,
      flags: 0,
      pack_id: 0,
      usr_ptr: null,
      status: 0,
      masked_status: 0,
      msg_status: 0,
      sb_len_wr: 0,
      host_status: 0,
      driver_status: 0,
      resid: 0,
      duration: 0,
      info: 0,
    });
    return data;
  }

  /** The reply from sg_io_hdr_t after the ioctl returned `rc` (or threw `err`). */
  private finish(command: ScsiCommand, data: NativeBuffer | null, err: unknown, rc: number): ScsiReply {
    const { koffi, hdrType } = this.n;
    const length = command.direction === 'in' ? (command.inLength ?? 0) : 0;
    if (err) return { status: 0, sense: Buffer.alloc(0), data: Buffer.alloc(0), transportError: `SG_IO failed: ${String(err)}` };
    if (rc < 0) {
      const errno = koffi.errno();
      return { status: 0, sense: Buffer.alloc(0), data: Buffer.alloc(0), transportError: `SG_IO failed (${ERRNO_TEXT[errno] ?? `errno ${errno}`})` };
    }
    const h = koffi.decode(this.hdr, hdrType);
    const got = command.direction === 'in' && data ? Math.max(0, length - Math.max(0, h.resid)) : 0;
    const sense = Buffer.from(this.sense.view.subarray(0, Math.min(h.sb_len_wr, SENSE_LENGTH)));
    const reply: ScsiReply = { status: h.status, sense, data: got ? Buffer.from(data!.view.subarray(0, got)) : Buffer.alloc(0) };
    // host_status: the adapter or link failed (DID_*); driver_status other than
    // DRIVER_SENSE (08h) likewise. A check condition alone is the drive speaking.
    if ((h.info & SG_INFO_OK_MASK) !== 0 && h.status === 0 && (h.host_status !== 0 || (h.driver_status & ~0x08) !== 0)) {
      reply.transportError = `host status 0x${h.host_status.toString(16)}, driver status 0x${h.driver_status.toString(16)}`;
    }
    if (h.status === 0 && sense.length > 0 && (h.driver_status & 0x08) !== 0) reply.status = 2;
    return reply;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A command still in the drive keeps its native buffers until it returns.
    if (!this.busy) this.release();
  }

  private release(): void {
    closeSync(this.fd);
    this.cdb.free();
    this.sense.free();
    this.data?.free();
    this.n.koffi.free(this.hdr);
  }
}
