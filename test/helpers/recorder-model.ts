// A small in-process model of a write-once recorder (CD-R, DVD+R, BD-R SRM) behind the
// Transport interface, for what the emulated recorder cannot do: faults (long write in
// progress, unit attention, write errors, not ready, no medium, a full disc, a drive that
// dies) injected per command. It answers the commands the burn sends with MMC's byte
// layouts, keeps every CDB in a trace, and keeps what was written by LBA.
// It models real spacing on CD (lead-out + lead-in + pregap between sessions), unlike cdemu,
// and RESERVE TRACK on DVD+R and BD-R SRM as MMC describes it (mmc-reference.md §3): a
// reserved track carved from the invisible one, an NWA per track, CLOSE TRACK padding a
// reserved track to its size, CLOSE SESSION refused while a reservation is not closed.
// `ignoreReservations` answers RESERVE TRACK with GOOD and reserves nothing, as cdemu does in TAO.
import type { ScsiCommand, ScsiReply, Transport } from '../../src/drive/transport.js';
import { decodeModeSense10 } from '../../src/drive/mmc.js';
import { decodeWriteParametersPage } from '../../src/drive/write-commands.js';

export type ModelMedium = 'cdr' | 'dvd-r' | 'dvd+r' | 'bdr' | 'cdrom' | 'none';

const PROFILE: Record<ModelMedium, number> = { cdr: 0x09, 'dvd-r': 0x11, 'dvd+r': 0x1b, bdr: 0x41, cdrom: 0x08, none: 0 };

export interface ModelSession {
  start: number;
  size: number;
}

/** A track of the open session: reserved or closed ones have an end; the one being written has none. */
export interface ModelTrack {
  start: number;
  /** First block after the track (a reservation's or a closed track's end); null: open-ended. */
  end: number | null;
  /** Its next writable address. */
  next: number;
  reserved: boolean;
  closed: boolean;
}

/** A fault: when `match` says so, answer with `sense` (or no answer: `dead`) instead of executing. */
export interface Fault {
  match: (cmd: ScsiCommand, model: RecorderModel) => boolean;
  sense?: [number, number, number];
  /** The command never completes: a transport error, and every later one too. */
  dead?: boolean;
  /** How many times it fires (default 1). */
  times?: number;
}

function senseReply(key: number, asc: number, ascq: number): ScsiReply {
  const s = Buffer.alloc(18);
  s[0] = 0x70;
  s[2] = key;
  s[7] = 10;
  s[12] = asc;
  s[13] = ascq;
  return { status: 2, sense: s, data: Buffer.alloc(0) };
}

const GOOD = (data: Buffer = Buffer.alloc(0)): ScsiReply => ({ status: 0, sense: Buffer.alloc(0), data });

export class RecorderModel implements Transport {
  readonly name = '/dev/model0';
  readonly trace: Buffer[] = [];
  readonly sessions: ModelSession[] = [];
  readonly blocks = new Map<number, Buffer>();
  faults: Fault[] = [];
  medium: ModelMedium;
  capacity: number;
  /** Free blocks the drive claims (a lying drive: more than there is). */
  claimedFree: number | null = null;
  closed = false;
  /** The tracks of the open (incomplete) session, in LBA order. */
  readonly openTracks: ModelTrack[] = [];
  /** Tracks of complete sessions that had more than one (by session index); the others are one track each. */
  readonly sessionTracks = new Map<number, ModelSession[]>();
  /** As cdemu in TAO: RESERVE TRACK answers GOOD and reserves nothing. */
  ignoreReservations = false;
  /** A drive that reserves this many blocks more than asked (a reservation not as MMC says). */
  reserveExtra = 0;
  multiField = 0;
  testWrite = false;
  writeType = 1;
  bufe = false;
  burnFree = true;
  pageLength = 0x36;
  locked = false;
  ejected = false;
  dead = false;
  speedCdb: Buffer | null = null;
  /** Blocks written in test-write mode (discarded, as a real drive does). */
  dummyBlocks = 0;

  constructor(medium: ModelMedium, capacity = medium === 'cdr' ? 359_847 : medium === 'dvd+r' || medium === 'dvd-r' ? 2_295_104 : 12_219_392) {
    this.medium = medium;
    this.capacity = capacity;
  }

  get cd(): boolean {
    return this.medium === 'cdr';
  }

  /** Media whose page 05h decides (CD, DVD-R); DVD+R and BD-R take no page 05h. */
  get takesPage05(): boolean {
    return this.medium === 'cdr' || this.medium === 'dvd-r';
  }

  linkSize = 0;
  fixedPacket = false;

  /** The open session (a track written or reserved in it): its start and the invisible track's NWA. */
  get open(): { start: number; next: number } | null {
    if (!this.openTracks.length) return null;
    // Live: a test may move the NWA (`m.open.next = 7`) as a medium change would.
    const model = this;
    return {
      start: this.openTracks[0].start,
      get next() {
        return model.nwa;
      },
      set next(v: number) {
        const w = model.writing;
        if (w) w.next = v;
      },
    };
  }

  /** Tests set up an interrupted burn (one open track) or clear it. */
  set open(v: { start: number; next: number } | null) {
    this.openTracks.length = 0;
    if (v) this.openTracks.push({ start: v.start, end: null, next: v.next, reserved: false, closed: false });
  }

  /** Where the next session's first track starts. */
  private get sessionStart(): number {
    const last = this.sessions[this.sessions.length - 1];
    if (!last) return 0;
    const end = last.start + last.size;
    // CD: lead-out (6750) + lead-in (4500) + pregap (150) after the first session, 6900 later.
    return this.cd ? end + (this.sessions.length === 1 ? 11_400 : 6_900) : end;
  }

  /** The track being written at the end of the open session, if any. */
  private get writing(): ModelTrack | null {
    const t = this.openTracks[this.openTracks.length - 1];
    return t && t.end === null ? t : null;
  }

  /** The invisible track's next writable address. */
  get nwa(): number {
    const w = this.writing;
    if (w) return w.next;
    const t = this.openTracks[this.openTracks.length - 1];
    return t ? t.end! : this.sessionStart;
  }

  /** Tracks in complete sessions. */
  get tracks(): number {
    let n = 0;
    for (let i = 0; i < this.sessions.length; i++) n += this.sessionTracks.get(i)?.length ?? 1;
    return n;
  }

  /** The invisible track's number (the one being written, or the blank one after the open session's tracks). */
  private get invisible(): number {
    return this.tracks + this.openTracks.length + (this.writing ? 0 : 1);
  }

  /** Every track of the complete sessions with its session number. */
  private completeTracks(): (ModelSession & { session: number })[] {
    return this.sessions.flatMap((s, i) => (this.sessionTracks.get(i) ?? [s]).map((t) => ({ ...t, session: i + 1 })));
  }

  /** The commands seen, as opcodes. */
  opcodes(): number[] {
    return this.trace.map((c) => c[0]);
  }

  writes(): Buffer[] {
    return this.trace.filter((c) => c[0] === 0x2a);
  }

  /** The bytes at `lba`..`lba+n`, zeros where nothing was written. */
  read(lba: number, n: number): Buffer {
    const out = Buffer.alloc(n * 2048);
    for (let i = 0; i < n; i++) this.blocks.get(lba + i)?.copy(out, i * 2048);
    return out;
  }

  close(): void {}

  async execute(cmd: ScsiCommand): Promise<ScsiReply> {
    this.trace.push(Buffer.from(cmd.cdb));
    await Promise.resolve();
    if (this.dead) return { status: 0, sense: Buffer.alloc(0), data: Buffer.alloc(0), transportError: 'no answer (timeout)' };
    for (const f of this.faults) {
      if ((f.times ?? 1) <= 0 || !f.match(cmd, this)) continue;
      f.times = (f.times ?? 1) - 1;
      if (f.dead) {
        this.dead = true;
        return { status: 0, sense: Buffer.alloc(0), data: Buffer.alloc(0), transportError: 'no answer (timeout)' };
      }
      const [k, a, q] = f.sense!;
      return senseReply(k, a, q);
    }
    return this.run(cmd);
  }

  private noMedium(): boolean {
    return this.medium === 'none' || this.ejected;
  }

  private run(cmd: ScsiCommand): ScsiReply {
    const c = cmd.cdb;
    const op = c[0];
    const needsMedium = ![0x12, 0x46, 0x5a, 0x55, 0x1e, 0x1b, 0xbb, 0xb6].includes(op);
    if (needsMedium && this.noMedium()) return senseReply(2, 0x3a, 0);
    switch (op) {
      case 0x00:
        return GOOD();
      case 0x46: {
        const b = Buffer.alloc(8);
        b.writeUInt32BE(4, 0);
        b.writeUInt16BE(this.noMedium() ? 0 : PROFILE[this.medium], 6);
        return GOOD(b.subarray(0, Math.min(8, cmd.inLength ?? 8)));
      }
      case 0x51:
        return GOOD(this.discInformation());
      case 0x52:
        return this.trackInformation(c.readInt32BE(2));
      case 0x5a: {
        const page = c[2] & 0x3f;
        const b = Buffer.alloc(8 + 2 + this.pageLength);
        b.writeUInt16BE(b.length - 2, 0);
        b[8] = page;
        b[9] = this.pageLength;
        if (page === 0x2a) b[8 + 4] = this.burnFree ? 0x80 : 0;
        if (page === 0x05) {
          b[10] = (this.bufe ? 0x40 : 0) | (this.testWrite ? 0x10 : 0) | this.writeType;
          b[11] = this.multiField << 6;
        }
        return GOOD(b.subarray(0, Math.min(b.length, cmd.inLength ?? b.length)));
      }
      case 0x55: {
        const page = decodeModeSense10(Buffer.concat([Buffer.from([0, cmd.data!.length - 2]), cmd.data!.subarray(2)]));
        if (page.code !== 0x05 || !this.takesPage05) return senseReply(5, 0x26, 0);
        const p = decodeWriteParametersPage(page.bytes);
        this.multiField = p.multiSession;
        this.testWrite = p.testWrite;
        this.writeType = p.writeType;
        this.bufe = p.bufe;
        this.linkSize = p.linkSizeValid ? p.linkSize : 0;
        this.fixedPacket = p.fixedPacket;
        return GOOD();
      }
      case 0x2a:
        return this.write(c.readInt32BE(2), c.readUInt16BE(7), cmd.data!);
      case 0x35:
        return GOOD();
      case 0x5b:
        return this.closeTrackSession(c[2] & 7, c.readUInt16BE(4));
      case 0x53:
        return this.reserveTrack(c);
      case 0x5c: {
        const b = Buffer.alloc(12);
        b.writeUInt16BE(10, 0);
        b.writeUInt32BE(4 << 20, 4);
        b.writeUInt32BE(3 << 20, 8);
        return GOOD(b);
      }
      case 0x1e:
        this.locked = c[4] === 1;
        return GOOD();
      case 0x1b:
        if (c[4] === 0x02) this.ejected = true;
        return GOOD();
      case 0xbb:
      case 0xb6:
        this.speedCdb = Buffer.from(c);
        return GOOD();
      default:
        return senseReply(5, 0x20, 0);
    }
  }

  private discInformation(): Buffer {
    const b = Buffer.alloc(34);
    b.writeUInt16BE(32, 0);
    const blank = this.sessions.length === 0 && !this.open;
    const status = blank ? 0 : this.closed ? 2 : 1;
    const lastState = this.open ? 1 : this.closed ? 3 : 0;
    b[2] = (lastState << 2) | status;
    b[3] = 1;
    const sessions = this.sessions.length + (this.closed ? 0 : 1);
    b[4] = sessions & 0xff;
    const lastTrack = this.closed ? this.tracks : this.invisible;
    const firstTrack = this.closed ? this.tracks - (this.sessionTracks.get(this.sessions.length - 1)?.length ?? 1) + 1 : this.tracks + 1;
    b[5] = firstTrack;
    b[6] = lastTrack;
    return b;
  }

  private trackInformation(track: number): ScsiReply {
    const b = Buffer.alloc(48);
    b.writeUInt16BE(46, 0);
    const invisible = this.invisible;
    const n = track === 0xff ? invisible : track;
    if (n < 1 || n > invisible) return senseReply(5, 0x24, 0);
    b[2] = n;
    const complete = this.tracks;
    if (n > complete && n - complete <= this.openTracks.length && this.openTracks[n - complete - 1].end !== null) {
      // A reserved or closed track of the open session.
      const t = this.openTracks[n - complete - 1];
      const end = t.end!;
      b[3] = this.sessions.length + 1;
      b[5] = 4;
      b[6] = (t.reserved ? 0x80 : 0) | (t.next === t.start ? 0x40 : 0) | 1;
      const writable = !t.closed && t.next < end;
      b[7] = writable ? 0x01 : 0;
      b.writeInt32BE(t.start, 8);
      b.writeInt32BE(writable ? t.next : 0, 12);
      b.writeInt32BE(writable ? end - t.next : 0, 16);
      b.writeInt32BE(end - t.start, 24);
    } else if (n === invisible) {
      if (this.closed) return senseReply(5, 0x24, 0);
      b[3] = this.sessions.length + 1;
      const w = this.writing;
      b[6] = w && w.next > w.start ? 0x00 : 0x40; // blank unless written
      b[7] = 0x01; // NWA_V
      const start = w ? w.start : this.nwa;
      b.writeInt32BE(start, 8);
      b.writeInt32BE(this.nwa, 12);
      const free = this.claimedFree ?? this.capacity - this.nwa;
      b.writeInt32BE(free, 16);
      // As drives (and cdemu) report it: the invisible track runs to the end of the disc.
      b.writeInt32BE(this.capacity - start, 24);
    } else {
      const s = this.completeTracks()[n - 1];
      b[3] = s.session;
      b[5] = 4;
      b[6] = 1;
      b.writeInt32BE(s.start, 8);
      b.writeInt32BE(s.size, 24);
    }
    return GOOD(b);
  }

  private write(lba: number, n: number, data: Buffer): ScsiReply {
    if (this.closed) return senseReply(5, 0x2c, 0);
    if (data.length !== n * 2048) return senseReply(5, 0x24, 0);
    if (this.testWrite) {
      if (lba !== this.nwa + this.dummyBlocks) return senseReply(5, 0x21, 0x02);
      this.dummyBlocks += n;
      return GOOD();
    }
    // At the NWA of a reserved track (within it), or of the invisible track.
    let track = this.openTracks.find((t) => t.end !== null && !t.closed && t.next === lba) ?? null;
    if (track && lba + n > track.end!) return senseReply(5, 0x21, 0x02);
    if (!track) {
      if (lba !== this.nwa) return senseReply(5, 0x21, 0x02);
      if (lba + n > this.capacity) return senseReply(5, 0x21, 0x00);
      track = this.writing;
      if (!track) this.openTracks.push((track = { start: lba, end: null, next: lba, reserved: false, closed: false }));
    }
    for (let i = 0; i < n; i++) this.blocks.set(lba + i, Buffer.from(data.subarray(i * 2048, (i + 1) * 2048)));
    track.next += n;
    return GOOD();
  }

  /** RESERVE TRACK, ARSV = 0: the size rounded up to the ECC block (DVD+R 16) or cluster (BD-R 32). */
  private reserveTrack(c: Buffer): ScsiReply {
    if (this.medium !== 'dvd+r' && this.medium !== 'bdr') return senseReply(5, 0x20, 0); // not modelled elsewhere
    if (this.closed) return senseReply(5, 0x2c, 0);
    if (c[1] & 1) return senseReply(5, 0x24, 0); // ARSV = 1 (reservation LBA form): not modelled
    const asked = c.readUInt32BE(5);
    if (asked === 0) return senseReply(5, 0x24, 0);
    if (this.ignoreReservations) return GOOD();
    // The reservation is carved from the invisible track, which must still be blank.
    const w = this.writing;
    if (w && w.next > w.start) return senseReply(5, 0x2c, 0);
    if (w) this.openTracks.pop();
    const unit = this.medium === 'bdr' ? 32 : 16;
    const blocks = Math.ceil((asked + this.reserveExtra) / unit) * unit;
    const start = this.nwa;
    if (start + blocks > this.capacity) return senseReply(5, 0x72, 0x05);
    this.openTracks.push({ start, end: start + blocks, next: start, reserved: true, closed: false });
    return GOOD();
  }

  /** The open session's track with number `n`, or null. */
  private openTrack(n: number): ModelTrack | null {
    const i = n - this.tracks - 1;
    return i >= 0 && i < this.openTracks.length ? this.openTracks[i] : null;
  }

  private closeTrackSession(fn: number, number: number): ScsiReply {
    if (fn === 1) {
      if (number === this.invisible && !this.writing) return GOOD(); // the blank invisible track: nothing to close
      const t = this.openTrack(number);
      if (!t) return number >= 1 && number <= this.tracks ? GOOD() : senseReply(5, 0x24, 0);
      if (t.end === null) {
        // The track ends where writing stopped (an empty one would just stay the invisible track).
        if (t.next === t.start) return GOOD();
        t.end = t.next;
      } else {
        // A reserved track is padded with zeros to its reserved size.
        for (let lba = t.next; lba < t.end; lba++) this.blocks.set(lba, Buffer.alloc(2048));
        t.next = t.end;
      }
      t.closed = true;
      return GOOD();
    }
    if (fn === 2 || fn === 5 || fn === 6) {
      // Every reservation must be written or closed first (DVD+R: 5/72/03, session fixation error).
      if (this.openTracks.some((t) => t.reserved && !t.closed && t.next < t.end!)) return senseReply(5, 0x72, 0x03);
      const w = this.writing;
      if (w && w.next === w.start) this.openTracks.pop();
      if (this.openTracks.length) {
        const tracks = this.openTracks.map((t) => ({ start: t.start, size: (t.end ?? t.next) - t.start }));
        const start = tracks[0].start;
        const last = tracks[tracks.length - 1];
        this.sessions.push({ start, size: last.start + last.size - start });
        if (tracks.length > 1) this.sessionTracks.set(this.sessions.length - 1, tracks);
        this.openTracks.length = 0;
      }
      // CD: page 05h decides; DVD+R/BD-R: function 2 keeps it appendable.
      if (this.takesPage05 ? this.multiField !== 3 : fn !== 2) this.closed = true;
      return GOOD();
    }
    return senseReply(5, 0x24, 0);
  }
}

/** Faults by command: the n-th WRITE(10), a WRITE at an LBA, any command with opcode. */
export const on = {
  write: (pred: (lba: number) => boolean) => (cmd: ScsiCommand) => cmd.cdb[0] === 0x2a && pred(cmd.cdb.readInt32BE(2)),
  op: (opcode: number) => (cmd: ScsiCommand) => cmd.cdb[0] === opcode,
};
