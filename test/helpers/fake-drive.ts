// An in-process MMC drive for unit tests: it answers the read-side commands from a small disc
// model (tracks with sessions, as a real drive or cdemu would report them) and injects faults
// (sense conditions, transport failures) on chosen commands — what the emulator cannot do.
import type { ScsiCommand, ScsiReply, Transport } from '../../src/drive/transport.js';

export interface FakeTrack {
  session: number;
  /** Start as READ TRACK INFORMATION reports it (cdemu counts a CD pregap in: -150 for track 1). */
  rtiStart: number;
  rtiSize: number;
  /** The TOC's start (user data) on CD; defaults to rtiStart. */
  tocStart?: number;
  blank?: boolean;
  damaged?: boolean;
  nwa?: number | null;
  free?: number;
  trackMode?: number;
}

export interface FakeDisc {
  profile: number;
  /** READ DISC INFORMATION byte 2 bits 1-0: 0 blank, 1 appendable, 2 complete, 3 other. */
  status: 0 | 1 | 2 | 3;
  /** Bits 3-2 of byte 2: 0 empty, 1 incomplete, 2 damaged, 3 complete. */
  lastSessionState: 0 | 1 | 2 | 3;
  sessions: number;
  tracks: FakeTrack[];
  /** Sector contents by LBA (PVDs); unlisted sectors read as zeros. */
  sectors?: Map<number, Buffer>;
  /** Lead-out start for READ TOC format 0. */
  leadOut?: number;
  /** The invisible track's reply for 0xFF (else the last track's). */
  invisible?: FakeTrack;
  /**
   * Mode page 05h write type (1 TAO, 2 SAO). Like cdemu, a CD in SAO mode reports the NWA of
   * the next track's pregap: 150 sectors before the TAO one.
   */
  writeType?: number;
}

export interface Fault {
  /** Opcode to hit (first CDB byte); undefined = any. */
  opcode?: number;
  /** Sense key/ASC/ASCQ of the CHECK CONDITION, or a transport error text. */
  sense?: [number, number, number];
  transportError?: string;
  /** How many times to fire (default 1). */
  times?: number;
  /** Descriptor-format sense instead of fixed. */
  descriptor?: boolean;
  /** Only a READ(10) covering this LBA; such a fault fires every time unless `times` is set. */
  lba?: number;
}

export function fixedSense(key: number, asc: number, ascq: number): Buffer {
  const b = Buffer.alloc(18);
  b[0] = 0x70;
  b[2] = key;
  b[7] = 10;
  b[12] = asc;
  b[13] = ascq;
  return b;
}

export function descriptorSense(key: number, asc: number, ascq: number): Buffer {
  return Buffer.from([0x72, key, asc, ascq, 0, 0, 0, 0]);
}

export class FakeTransport implements Transport {
  readonly name: string;
  readonly sent: ScsiCommand[] = [];
  faults: Fault[] = [];
  closed = false;

  constructor(
    public disc: FakeDisc | null,
    name = '/dev/sr0',
    public deviceType = 5,
  ) {
    this.name = name;
  }

  async execute(cmd: ScsiCommand): Promise<ScsiReply> {
    return this.executeSync(cmd);
  }

  executeSync(cmd: ScsiCommand): ScsiReply {
    this.sent.push(cmd);
    const hits = (f: Fault) => {
      if (f.lba === undefined) return true;
      if (cmd.cdb[0] !== 0x28) return false;
      const lba = cmd.cdb.readUInt32BE(2);
      return f.lba >= lba && f.lba < lba + cmd.cdb.readUInt16BE(7);
    };
    const i = this.faults.findIndex((f) => (f.opcode === undefined || f.opcode === cmd.cdb[0]) && hits(f));
    if (i >= 0) {
      const f = this.faults[i];
      if (f.lba !== undefined && f.times === undefined) {
        // A bad sector stays bad.
      } else if ((f.times ?? 1) <= 1) this.faults.splice(i, 1);
      else f.times = (f.times ?? 1) - 1;
      if (f.transportError) return { status: 0, sense: Buffer.alloc(0), data: Buffer.alloc(0), transportError: f.transportError };
      const [k, a, q] = f.sense!;
      // A recovered error (key 1) still moved the data.
      const moved = k === 1 ? this.answer(cmd) : null;
      const data = Buffer.isBuffer(moved) ? moved.subarray(0, cmd.inLength ?? 0) : Buffer.alloc(0);
      return { status: 2, sense: f.descriptor ? descriptorSense(k, a, q) : fixedSense(k, a, q), data };
    }
    const data = this.answer(cmd);
    if (!Buffer.isBuffer(data)) return { status: 2, sense: fixedSense(...data), data: Buffer.alloc(0) };
    return { status: 0, sense: Buffer.alloc(0), data: data.subarray(0, cmd.inLength ?? 0) };
  }

  close(): void {
    this.closed = true;
  }

  /** The reply's bytes, or the sense of a CHECK CONDITION. */
  private answer(cmd: ScsiCommand): Buffer | [number, number, number] {
    const c = cmd.cdb;
    if (c[0] === 0x12) {
      const b = Buffer.alloc(36, 0x20);
      b[0] = this.deviceType;
      b[1] = 0x80;
      b.fill(0, 2, 8);
      b.write('CDEmu', 8, 'latin1');
      b.write('CD-ROM', 16, 'latin1');
      b.write('1.0', 32, 'latin1');
      return b;
    }
    const d = this.disc;
    if (!d) return [2, 0x3a, 0];
    switch (c[0]) {
      case 0x00:
        return Buffer.alloc(0);
      case 0x46: {
        const b = Buffer.alloc(16);
        b.writeUInt32BE(12, 0);
        b.writeUInt16BE(d.profile, 6);
        b.writeUInt16BE(0, 8);
        b[10] = 0x03;
        b[11] = 4;
        b.writeUInt16BE(d.profile, 12);
        b[14] = 1;
        return b;
      }
      case 0x51: {
        const b = Buffer.alloc(34);
        b.writeUInt16BE(32, 0);
        b[2] = (d.lastSessionState << 2) | d.status;
        b[3] = 1;
        b[4] = d.sessions;
        const last = d.tracks.length ? d.tracks[d.tracks.length - 1] : null;
        b[5] = d.tracks.findIndex((t) => t.session === d.sessions) + 1 || 1;
        b[6] = d.tracks.length || 1;
        void last;
        return b;
      }
      case 0x52: {
        const n = c.readUInt32BE(2);
        const t = n === 0xff ? (d.invisible ?? d.tracks[d.tracks.length - 1]) : d.tracks[n - 1];
        if (!t || c[1] !== 1) return [5, 0x24, 0];
        const num = n === 0xff ? (d.invisible ? d.tracks.length + 1 : d.tracks.length) : n;
        const b = Buffer.alloc(48);
        b.writeUInt16BE(46, 0);
        b[2] = num;
        b[3] = t.session;
        b[5] = (t.damaged ? 0x20 : 0) | (t.trackMode ?? 4);
        b[6] = (t.blank ? 0x40 : 0) | 1;
        b[7] = t.nwa !== undefined && t.nwa !== null ? 1 : 0;
        b.writeInt32BE(t.rtiStart, 8);
        const sao = (d.writeType ?? 1) === 2 && (d.profile === 0x09 || d.profile === 0x0a) && t.blank;
        b.writeInt32BE((t.nwa ?? 0) - (sao ? 150 : 0), 12);
        b.writeInt32BE(t.free ?? 0, 16);
        b.writeInt32BE(t.rtiSize, 24);
        return b;
      }
      case 0x43: {
        const format = c[2] & 0x0f;
        const done = d.tracks.filter((t) => !t.blank);
        if (!done.length) return [5, 0x24, 0];
        if (format === 1) {
          const complete = d.lastSessionState === 3 ? d.sessions : d.sessions - 1;
          const first = d.tracks.findIndex((t) => t.session === complete);
          const b = Buffer.alloc(12);
          b.writeUInt16BE(10, 0);
          b[2] = 1;
          b[3] = complete;
          b[5] = 0x14;
          b[6] = first + 1;
          b.writeInt32BE(d.tracks[first].tocStart ?? d.tracks[first].rtiStart, 8);
          return b;
        }
        if (format === 0) {
          const b = Buffer.alloc(4 + 8 * (done.length + 1));
          b.writeUInt16BE(b.length - 2, 0);
          b[2] = 1;
          b[3] = done.length;
          done.forEach((t, i) => {
            b[4 + 8 * i + 1] = 0x14;
            b[4 + 8 * i + 2] = i + 1;
            b.writeInt32BE(t.tocStart ?? t.rtiStart, 4 + 8 * i + 4);
          });
          const p = 4 + 8 * done.length;
          b[p + 1] = 0x14;
          b[p + 2] = 0xaa;
          b.writeInt32BE(d.leadOut ?? 0, p + 4);
          return b;
        }
        return [5, 0x24, 0];
      }
      case 0x28: {
        const lba = c.readUInt32BE(2);
        const n = c.readUInt16BE(7);
        const out = Buffer.alloc(n * 2048);
        for (let i = 0; i < n; i++) d.sectors?.get(lba + i)?.copy(out, i * 2048);
        return out;
      }
      case 0x5a: {
        if ((c[2] & 0x3f) !== 0x05) return [5, 0x24, 0];
        const b = Buffer.alloc(8 + 0x34);
        b.writeUInt16BE(b.length - 2, 0);
        b[8] = 0x05;
        b[9] = 0x32;
        b[10] = 0x40 | (d.writeType ?? 1);
        b[11] = 0xc4;
        b[12] = 0x08;
        b.writeUInt16BE(150, 8 + 14);
        return b.subarray(0, Math.min(b.length, c.readUInt16BE(7)));
      }
      case 0x55: {
        const page = cmd.data!.subarray(8);
        if (page[0] !== 0x05 || page[1] < 0x32) return [5, 0x26, 0];
        d.writeType = page[2] & 0x0f;
        return Buffer.alloc(0);
      }
      case 0x25: {
        const b = Buffer.alloc(8);
        b.writeUInt32BE(2048, 4);
        return b;
      }
      default:
        return [5, 0x20, 0];
    }
  }
}

/** A minimal primary volume descriptor: volume id and volume space size. */
export function pvd(volumeId: string, volumeSpaceSize: number): Buffer {
  const b = Buffer.alloc(2048);
  b[0] = 1;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  b.fill(0x20, 40, 72);
  b.write(volumeId, 40, 'latin1');
  b.writeUInt32LE(volumeSpaceSize, 80);
  b.writeUInt32BE(volumeSpaceSize, 84);
  b.writeUInt16LE(1, 120);
  b.writeUInt16BE(1, 122);
  b.writeUInt16LE(1, 124);
  b.writeUInt16BE(1, 126);
  b.writeUInt16LE(2048, 128);
  b.writeUInt16BE(2048, 130);
  b[156] = 34;
  b[156 + 25] = 2;
  b[881] = 1;
  return b;
}
