// In-process models of rewritable discs behind the Transport interface, for what the emulated
// recorder cannot do (it offers no erasable media): an overwritable drive (DVD+RW, BD-RE,
// DVD-RAM) that formats, reads and writes at random, and a CD-RW built on the write-once
// recorder model that also blanks. Long operations (BLANK, FORMAT UNIT with Immed) keep the
// drive not ready with progress in the sense for a number of TEST UNIT READY polls. Faults are
// injected per command as in recorder-model.ts; every CDB is kept in a trace.
import type { ScsiCommand, ScsiReply, Transport } from '../../src/drive/transport.js';
import { RecorderModel } from './recorder-model.js';

export type RewritableMedium = 'dvd+rw' | 'bd-re' | 'dvd-ram' | 'dvd+r' | 'cdrom' | 'none';

const PROFILE: Record<RewritableMedium, number> = { 'dvd+rw': 0x1a, 'bd-re': 0x43, 'dvd-ram': 0x12, 'dvd+r': 0x1b, cdrom: 0x08, none: 0 };

export interface Fault {
  match: (cmd: ScsiCommand) => boolean;
  sense?: [number, number, number];
  /** No answer, for this command and every later one (the drive died). */
  dead?: boolean;
  times?: number;
}

export function senseReply(key: number, asc: number, ascq: number, progress: number | null = null): ScsiReply {
  const s = Buffer.alloc(18);
  s[0] = 0x70;
  s[2] = key;
  s[7] = 10;
  s[12] = asc;
  s[13] = ascq;
  if (progress !== null) {
    s[15] = 0x80; // SKSV
    s.writeUInt16BE(progress, 16);
  }
  return { status: 2, sense: s, data: Buffer.alloc(0) };
}

const GOOD = (data: Buffer = Buffer.alloc(0)): ScsiReply => ({ status: 0, sense: Buffer.alloc(0), data });
const DEAD: ScsiReply = { status: 0, sense: Buffer.alloc(0), data: Buffer.alloc(0), transportError: 'no answer (timeout)' };

/** A drive holding an overwritable (or, for refusals, another) disc. */
export class OverwritableModel implements Transport {
  readonly name = '/dev/model1';
  readonly trace: Buffer[] = [];
  readonly blocks = new Map<number, Buffer>();
  faults: Fault[] = [];
  formatted: boolean;
  /** TEST UNIT READY polls a FORMAT UNIT keeps the drive busy for. */
  formatPolls = 4;
  busy = 0;
  /** The parameter list of the last FORMAT UNIT. */
  formatList: Buffer | null = null;
  /** Format types the drive lists in READ FORMAT CAPACITIES (default: what the profile has). */
  offers: number[];
  dead = false;
  locked = false;
  syncs = 0;

  constructor(
    public medium: RewritableMedium,
    public capacity = medium === 'bd-re' ? 11_826_176 : 2_295_104,
    opts: { formatted?: boolean } = {},
  ) {
    this.formatted = opts.formatted ?? true;
    this.offers = medium === 'dvd+rw' ? [0x26] : medium === 'bd-re' ? [0x00, 0x30, 0x30, 0x31] : medium === 'dvd-ram' ? [0x00] : [];
  }

  get profile(): number {
    return PROFILE[this.medium];
  }

  writes(): Buffer[] {
    return this.trace.filter((c) => c[0] === 0x2a);
  }

  read(lba: number, n: number): Buffer {
    const out = Buffer.alloc(n * 2048);
    for (let i = 0; i < n; i++) this.blocks.get(lba + i)?.copy(out, i * 2048);
    return out;
  }

  close(): void {}

  async execute(cmd: ScsiCommand): Promise<ScsiReply> {
    await Promise.resolve();
    return this.executeSync(cmd);
  }

  executeSync(cmd: ScsiCommand): ScsiReply {
    this.trace.push(Buffer.from(cmd.cdb));
    if (this.dead) return DEAD;
    for (const f of this.faults) {
      if ((f.times ?? 1) <= 0 || !f.match(cmd)) continue;
      f.times = (f.times ?? 1) - 1;
      if (f.dead) {
        this.dead = true;
        return DEAD;
      }
      return senseReply(...f.sense!);
    }
    return this.run(cmd);
  }

  private run(cmd: ScsiCommand): ScsiReply {
    const c = cmd.cdb;
    const op = c[0];
    if (op === 0x12) {
      const b = Buffer.alloc(36, 0x20);
      b[0] = 5;
      b.fill(0, 1, 8);
      return GOOD(b);
    }
    if (op === 0x46) {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(4, 0);
      b.writeUInt16BE(this.profile, 6);
      return GOOD(b);
    }
    if (this.medium === 'none') return senseReply(2, 0x3a, 0);
    if (this.busy > 0 && op !== 0x03) {
      // Formatting: every command but REQUEST SENSE waits, progress in the sense.
      this.busy--;
      const progress = Math.floor((65536 * (this.formatPolls - this.busy)) / (this.formatPolls + 1));
      if (this.busy === 0) this.formatted = true;
      return senseReply(2, 0x04, 0x04, progress);
    }
    switch (op) {
      case 0x00:
        return GOOD();
      case 0x51: {
        const b = Buffer.alloc(34);
        b.writeUInt16BE(32, 0);
        // Erasable; a formatted random-access disc reports "other" (11b), an unformatted one blank.
        b[2] = 0x10 | (this.formatted ? (3 << 2) | 3 : 0);
        b[3] = 1;
        b[4] = 1;
        b[5] = 1;
        b[6] = 1;
        return GOOD(b);
      }
      case 0x52: {
        if (c.readUInt32BE(2) !== 1) return senseReply(5, 0x24, 0);
        const b = Buffer.alloc(48);
        b.writeUInt16BE(46, 0);
        b[2] = 1;
        b[3] = 1;
        b[5] = 4;
        b[6] = 1;
        b.writeInt32BE(0, 8);
        b.writeInt32BE(this.formatted ? this.capacity : 0, 24);
        return GOOD(b);
      }
      case 0x23:
        return GOOD(this.formatCapacities().subarray(0, c.readUInt16BE(7)));
      case 0x25: {
        const b = Buffer.alloc(8);
        b.writeInt32BE(this.formatted ? this.capacity - 1 : 0, 0);
        b.writeUInt32BE(2048, 4);
        return GOOD(b);
      }
      case 0x04: {
        const list = cmd.data!;
        const type = list[8] >> 2;
        if (!this.offers.includes(type) || list.readUInt16BE(2) !== 8) return senseReply(5, 0x26, 0);
        this.formatList = Buffer.from(list);
        this.blocks.clear();
        this.formatted = false;
        this.busy = this.formatPolls;
        if (this.busy === 0) this.formatted = true;
        return GOOD();
      }
      case 0xa1:
        return senseReply(5, 0x30, 0x06);
      case 0x28: {
        const lba = c.readUInt32BE(2);
        const n = c.readUInt16BE(7);
        if (!this.formatted) return senseReply(5, 0x30, 0x01);
        if (lba + n > this.capacity) return senseReply(5, 0x21, 0);
        return GOOD(this.read(lba, n));
      }
      case 0x2a: {
        const lba = c.readUInt32BE(2);
        const n = c.readUInt16BE(7);
        if (!this.formatted) return senseReply(5, 0x30, 0x05);
        if (lba + n > this.capacity) return senseReply(5, 0x21, 0);
        if (cmd.data!.length !== n * 2048) return senseReply(5, 0x24, 0);
        for (let i = 0; i < n; i++) this.blocks.set(lba + i, Buffer.from(cmd.data!.subarray(i * 2048, (i + 1) * 2048)));
        return GOOD();
      }
      case 0x35:
        this.syncs++;
        return GOOD();
      case 0x1e:
        this.locked = c[4] === 1;
        return GOOD();
      case 0x1b:
        return GOOD();
      default:
        return senseReply(5, 0x20, 0);
    }
  }

  private formatCapacities(): Buffer {
    const descriptors = this.offers.map((type) => {
      const d = Buffer.alloc(8);
      d.writeUInt32BE(this.capacity, 0);
      d[4] = type << 2;
      d.writeUIntBE(type === 0x30 ? 0x3000 : type === 0x26 ? 0 : 2048, 5, 3);
      return d;
    });
    const head = Buffer.alloc(12);
    head[3] = 8 * (1 + descriptors.length);
    head.writeUInt32BE(this.capacity, 4);
    head[8] = this.formatted ? 2 : 1;
    head.writeUIntBE(2048, 9, 3);
    return Buffer.concat([head, ...descriptors]);
  }
}

/**
 * A CD-RW (or DVD-RW sequential): the write-once recorder model, which also blanks. BLANK
 * (Immed) empties the disc and keeps the drive not ready for `blankPolls` TEST UNIT READY
 * polls, with progress; the recorder model's faults apply to it and to the polls.
 */
export class CdRwModel extends RecorderModel {
  blankPolls = 3;
  busy = 0;
  blanks: Buffer[] = [];

  constructor(private readonly profileCode = 0x0a) {
    super('cdr');
  }

  override async execute(cmd: ScsiCommand): Promise<ScsiReply> {
    const r = await super.execute(cmd);
    if (r.transportError) return r;
    const op = cmd.cdb[0];
    const invalidOpcode = r.status === 2 && (r.sense[2] & 0x0f) === 5 && r.sense[12] === 0x20;
    if (op === 0xa1 && invalidOpcode) {
      this.blanks.push(Buffer.from(cmd.cdb));
      this.sessions.length = 0;
      this.blocks.clear();
      this.open = null;
      this.closed = false;
      this.busy = this.blankPolls;
      return GOOD();
    }
    if (r.status !== 0) return r;
    if (op === 0x00 && this.busy > 0) {
      this.busy--;
      return senseReply(2, 0x04, 0x07, Math.floor((65536 * (this.blankPolls - this.busy)) / (this.blankPolls + 1)));
    }
    if (op === 0x46 && r.data.length >= 8 && r.data.readUInt16BE(6) !== 0) {
      const d = Buffer.from(r.data);
      d.writeUInt16BE(this.profileCode, 6);
      return GOOD(d);
    }
    if (op === 0x51) {
      const d = Buffer.from(r.data);
      d[2] |= 0x10; // erasable
      return GOOD(d);
    }
    return r;
  }
}
