// MMC read-side commands: CDB builders and reply decoders, pure bytes in/bytes out, one table
// of offsets per structure (MMC-5/SPC-3; layouts cross-checked with what cdrecord, libburn and
// growisofs send). The write-side commands (MODE SELECT, WRITE, CLOSE, ...) live beside this.

export const OP = {
  TEST_UNIT_READY: 0x00,
  INQUIRY: 0x12,
  READ_CAPACITY: 0x25,
  READ_10: 0x28,
  READ_TOC: 0x43,
  GET_CONFIGURATION: 0x46,
  READ_DISC_INFORMATION: 0x51,
  READ_TRACK_INFORMATION: 0x52,
  MODE_SENSE_10: 0x5a,
} as const;

/** Writes a big-endian unsigned field of `width` bytes. */
function put(b: Buffer, off: number, width: number, v: number): void {
  for (let i = width - 1; i >= 0; i--, v = Math.floor(v / 256)) b[off + i] = v & 0xff;
}

function cdb10(op: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = op;
  return b;
}

/** Signed 32-bit big-endian: track starts and NWAs are negative in a CD pregap (-150). */
const s32 = (b: Buffer, off: number) => (b.length >= off + 4 ? b.readInt32BE(off) : 0);
const u8 = (b: Buffer, off: number) => (b.length > off ? b[off] : 0);

/** Bytes the reply says it holds (its own length field + the field's size), capped by what came. */
function replyLength(b: Buffer, lengthBytes: 2 | 4): number {
  if (b.length < lengthBytes) return b.length;
  const declared = (lengthBytes === 2 ? b.readUInt16BE(0) : b.readUInt32BE(0)) + lengthBytes;
  return Math.min(declared, b.length);
}

/** A reply too short to hold what is asked of it. */
export class ReplyError extends Error {
  override name = 'ReplyError';
}

function need(b: Buffer, n: number, what: string): void {
  if (b.length < n) throw new ReplyError(`${what} reply too short (${b.length} bytes, need ${n})`);
}

// --- TEST UNIT READY (00h) -------------------------------------------------------------

export function testUnitReadyCdb(): Buffer {
  return Buffer.alloc(6);
}

// --- INQUIRY (12h) ----------------------------------------------------------------------

export const INQUIRY_LENGTH = 36;
const INQ = { peripheral: 0, rmb: 1, version: 2, vendor: 8, product: 16, revision: 32, end: 36 } as const;

/** Standard INQUIRY, 36 bytes as cdrecord and libburn ask. */
export function inquiryCdb(allocation = INQUIRY_LENGTH): Buffer {
  const b = Buffer.alloc(6);
  b[0] = OP.INQUIRY;
  put(b, 3, 2, allocation);
  return b;
}

export interface Inquiry {
  /** Peripheral device type: 5 = CD/DVD/BD (MMC). */
  deviceType: number;
  /** Peripheral qualifier: 0 = connected. */
  qualifier: number;
  removable: boolean;
  vendor: string;
  product: string;
  revision: string;
}

/** MMC devices have peripheral device type 5. */
export const MMC_DEVICE_TYPE = 5;

export function decodeInquiry(b: Buffer): Inquiry {
  need(b, 1, 'INQUIRY');
  const text = (from: number, to: number) => b.subarray(from, Math.min(to, b.length)).toString('latin1').replace(/\0/g, ' ').trim();
  return {
    deviceType: b[INQ.peripheral] & 0x1f,
    qualifier: b[INQ.peripheral] >> 5,
    removable: (u8(b, INQ.rmb) & 0x80) !== 0,
    vendor: text(INQ.vendor, INQ.product),
    product: text(INQ.product, INQ.revision),
    revision: text(INQ.revision, INQ.end),
  };
}

// --- GET CONFIGURATION (46h) -----------------------------------------------------------

const CONF = { dataLength: 0, currentProfile: 6, features: 8 } as const;
const FEAT = { code: 0, flags: 2, additionalLength: 3, data: 4 } as const;
export const FEATURE_PROFILE_LIST = 0x0000;

/**
 * GET CONFIGURATION. `rt` 0 all features, 1 current ones, 2 only `feature`. The default asks
 * for the profile list feature alone, as libburn does to learn the medium and the drive.
 */
export function getConfigurationCdb(rt: 0 | 1 | 2 = 2, feature = FEATURE_PROFILE_LIST, allocation = 1024): Buffer {
  const b = cdb10(OP.GET_CONFIGURATION);
  b[1] = rt & 0x03;
  put(b, 2, 2, feature);
  put(b, 7, 2, allocation);
  return b;
}

export interface Feature {
  code: number;
  version: number;
  persistent: boolean;
  current: boolean;
  data: Buffer;
}

export interface Configuration {
  currentProfile: number;
  features: Feature[];
  /** From the profile list feature (0000h): every profile the drive knows, with the current one flagged. */
  profiles: { code: number; current: boolean }[];
}

export function decodeConfiguration(b: Buffer): Configuration {
  need(b, 8, 'GET CONFIGURATION');
  const end = replyLength(b, 4);
  const features: Feature[] = [];
  for (let p = CONF.features; p + FEAT.data <= end; ) {
    const len = b[p + FEAT.additionalLength];
    const flags = b[p + FEAT.flags];
    features.push({
      code: b.readUInt16BE(p + FEAT.code),
      version: (flags >> 2) & 0x0f,
      persistent: (flags & 0x02) !== 0,
      current: (flags & 0x01) !== 0,
      data: Buffer.from(b.subarray(p + FEAT.data, Math.min(p + FEAT.data + len, end))),
    });
    p += FEAT.data + len;
  }
  const profiles: Configuration['profiles'] = [];
  const list = features.find((f) => f.code === FEATURE_PROFILE_LIST);
  // Profile descriptors: [0-1] profile number, [2] bit 0 CurrentP, [3] reserved.
  if (list) for (let p = 0; p + 4 <= list.data.length; p += 4) profiles.push({ code: list.data.readUInt16BE(p), current: (list.data[p + 2] & 1) !== 0 });
  return { currentProfile: b.readUInt16BE(CONF.currentProfile), features, profiles };
}

// --- READ DISC INFORMATION (51h) -------------------------------------------------------

export const DISC_INFORMATION_LENGTH = 34;
const DI = {
  length: 0,
  status: 2,
  firstTrack: 3,
  sessionsLsb: 4,
  firstTrackInLastSessionLsb: 5,
  lastTrackInLastSessionLsb: 6,
  flags: 7,
  discType: 8,
  sessionsMsb: 9,
  firstTrackInLastSessionMsb: 10,
  lastTrackInLastSessionMsb: 11,
  discId: 12,
  lastSessionLeadIn: 16,
  lastPossibleLeadOut: 20,
} as const;

export function readDiscInformationCdb(allocation = DISC_INFORMATION_LENGTH): Buffer {
  const b = cdb10(OP.READ_DISC_INFORMATION);
  put(b, 7, 2, allocation);
  return b;
}

export type DiscStatusCode = 'blank' | 'appendable' | 'complete' | 'other';
export type SessionState = 'empty' | 'incomplete' | 'damaged' | 'complete';

export interface DiscInformation {
  erasable: boolean;
  /** State of the last session: on an appendable disc that is the open, empty one. */
  lastSessionState: SessionState;
  /** 'other' = random-access overwritable medium (DVD+RW, DVD-RAM, BD-RE...). */
  status: DiscStatusCode;
  firstTrack: number;
  /** Number of sessions, the open (empty) one of an appendable disc included. */
  sessions: number;
  firstTrackInLastSession: number;
  lastTrackInLastSession: number;
  /** Disc type byte: 00h CD-DA/CD-ROM, 10h CD-I, 20h CD-ROM XA. */
  discType: number;
  /** Background format status (DVD+RW, BD-RE): 0 none, 1 suspended, 2 running, 3 complete. */
  backgroundFormat: number;
  /** Raw 4-byte fields; on CD they hold MSF in bytes 1-3 (see msfToLba). */
  lastSessionLeadIn: number;
  lastPossibleLeadOut: number;
}

const DISC_STATUS: DiscStatusCode[] = ['blank', 'appendable', 'complete', 'other'];
const SESSION_STATE: SessionState[] = ['empty', 'incomplete', 'damaged', 'complete'];

export function decodeDiscInformation(b: Buffer): DiscInformation {
  need(b, 7, 'READ DISC INFORMATION');
  const st = b[DI.status];
  const wide = (lsb: number, msb: number) => (u8(b, msb) << 8) | b[lsb];
  return {
    erasable: (st & 0x10) !== 0,
    lastSessionState: SESSION_STATE[(st >> 2) & 3],
    status: DISC_STATUS[st & 3],
    firstTrack: b[DI.firstTrack],
    sessions: wide(DI.sessionsLsb, DI.sessionsMsb),
    firstTrackInLastSession: wide(DI.firstTrackInLastSessionLsb, DI.firstTrackInLastSessionMsb),
    lastTrackInLastSession: wide(DI.lastTrackInLastSessionLsb, DI.lastTrackInLastSessionMsb),
    discType: u8(b, DI.discType),
    backgroundFormat: u8(b, DI.flags) & 3,
    lastSessionLeadIn: b.length >= DI.lastSessionLeadIn + 4 ? b.readUInt32BE(DI.lastSessionLeadIn) : 0,
    lastPossibleLeadOut: b.length >= DI.lastPossibleLeadOut + 4 ? b.readUInt32BE(DI.lastPossibleLeadOut) : 0,
  };
}

/** CD addresses in MSF (0 M S F in a 4-byte field) to LBA: (M*60+S)*75+F-150, M >= 90 negative. */
export function msfToLba(m: number, s: number, f: number): number {
  const lba = (m * 60 + s) * 75 + f;
  return m >= 90 ? lba - 450150 : lba - 150;
}

/** A 4-byte MSF field (as READ DISC INFORMATION's lead-in/lead-out on CD) to LBA. */
export function msfFieldToLba(v: number): number {
  return msfToLba((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

// --- READ TRACK INFORMATION (52h) ------------------------------------------------------

export const TRACK_INFORMATION_LENGTH = 48;
const TI = {
  length: 0,
  trackLsb: 2,
  sessionLsb: 3,
  trackFlags: 5,
  dataFlags: 6,
  validFlags: 7,
  start: 8,
  nextWritable: 12,
  freeBlocks: 16,
  packetSize: 20,
  size: 24,
  lastRecorded: 28,
  trackMsb: 32,
  sessionMsb: 33,
  readCompatibility: 36,
} as const;

/** The "invisible" track: the next one to be written (CD, DVD+R). */
export const INVISIBLE_TRACK = 0xff;

/**
 * READ TRACK INFORMATION by track number (address type 01b) or by LBA (00b).
 * 48 bytes covers MMC-5's whole reply; drives send what they have.
 */
export function readTrackInformationCdb(by: 'track' | 'lba', value: number, allocation = TRACK_INFORMATION_LENGTH): Buffer {
  const b = cdb10(OP.READ_TRACK_INFORMATION);
  b[1] = by === 'track' ? 0x01 : 0x00;
  b.writeInt32BE(value, 2);
  put(b, 7, 2, allocation);
  return b;
}

export interface TrackInformation {
  track: number;
  session: number;
  damage: boolean;
  copy: boolean;
  /** Track mode (CONTROL nibble): 4 = data, uninterrupted; 5 = data, incremental. */
  trackMode: number;
  /** RT: a reserved track. */
  reserved: boolean;
  blank: boolean;
  /** Packet/incremental recording. */
  packet: boolean;
  fixedPacket: boolean;
  /** 1 mode 1, 2 mode 2, 15 unknown/none. */
  dataMode: number;
  lraValid: boolean;
  nwaValid: boolean;
  start: number;
  nextWritable: number;
  freeBlocks: number;
  packetSize: number;
  size: number;
  lastRecorded: number;
  readCompatibility: number | null;
}

export function decodeTrackInformation(b: Buffer): TrackInformation {
  need(b, 28, 'READ TRACK INFORMATION');
  const end = replyLength(b, 2);
  const has = (off: number, n: number) => end >= off + n;
  return {
    track: (has(TI.trackMsb, 1) ? b[TI.trackMsb] << 8 : 0) | b[TI.trackLsb],
    session: (has(TI.sessionMsb, 1) ? b[TI.sessionMsb] << 8 : 0) | b[TI.sessionLsb],
    damage: (b[TI.trackFlags] & 0x20) !== 0,
    copy: (b[TI.trackFlags] & 0x10) !== 0,
    trackMode: b[TI.trackFlags] & 0x0f,
    reserved: (b[TI.dataFlags] & 0x80) !== 0,
    blank: (b[TI.dataFlags] & 0x40) !== 0,
    packet: (b[TI.dataFlags] & 0x20) !== 0,
    fixedPacket: (b[TI.dataFlags] & 0x10) !== 0,
    dataMode: b[TI.dataFlags] & 0x0f,
    lraValid: (b[TI.validFlags] & 0x02) !== 0,
    nwaValid: (b[TI.validFlags] & 0x01) !== 0,
    start: s32(b, TI.start),
    nextWritable: s32(b, TI.nextWritable),
    freeBlocks: s32(b, TI.freeBlocks),
    packetSize: s32(b, TI.packetSize),
    size: s32(b, TI.size),
    lastRecorded: has(TI.lastRecorded, 4) ? s32(b, TI.lastRecorded) : 0,
    readCompatibility: has(TI.readCompatibility, 4) ? s32(b, TI.readCompatibility) : null,
  };
}

// --- READ TOC/PMA/ATIP (43h) -----------------------------------------------------------

export const TOC_FORMAT = { toc: 0, sessionInfo: 1, fullToc: 2 } as const;

/** READ TOC in LBA form (MSF bit clear), format in byte 2 as MMC has it. */
export function readTocCdb(format: 0 | 1 | 2, trackOrSession = 0, allocation = format === 1 ? 12 : 4096): Buffer {
  const b = cdb10(OP.READ_TOC);
  b[2] = format & 0x0f;
  b[6] = trackOrSession;
  put(b, 7, 2, allocation);
  return b;
}

const TOC = { length: 0, first: 2, last: 3, descriptors: 4 } as const;
const TOC0 = { size: 8, adrControl: 1, track: 2, start: 4 } as const;
const TOC1 = { adrControl: 5, firstTrack: 6, start: 8 } as const;
const TOC2 = { size: 11, session: 0, adrControl: 1, tno: 2, point: 3, min: 4, sec: 5, frame: 6, pmin: 8, psec: 9, pframe: 10 } as const;

export const LEAD_OUT_TRACK = 0xaa;

export interface TocTrack {
  /** Track number; 0xAA is the lead-out. */
  track: number;
  adr: number;
  /** CONTROL nibble: bit 2 set = data track. */
  control: number;
  start: number;
}

export interface Toc {
  firstTrack: number;
  lastTrack: number;
  tracks: TocTrack[];
}

/** Format 0: the tracks and the lead-out of the disc (of its complete sessions). */
export function decodeToc(b: Buffer): Toc {
  need(b, 4, 'READ TOC');
  const end = replyLength(b, 2);
  const tracks: TocTrack[] = [];
  for (let p = TOC.descriptors; p + TOC0.size <= end; p += TOC0.size) {
    tracks.push({ track: b[p + TOC0.track], adr: b[p + TOC0.adrControl] >> 4, control: b[p + TOC0.adrControl] & 0x0f, start: b.readInt32BE(p + TOC0.start) });
  }
  return { firstTrack: b[TOC.first], lastTrack: b[TOC.last], tracks };
}

export interface SessionInfo {
  firstSession: number;
  /** The last complete session. */
  lastSession: number;
  /** First track of the last complete session, and its start (msinfo's LAST on CD). */
  firstTrackInLastSession: number;
  start: number;
  control: number;
}

/** Format 1: the last complete session's first track. */
export function decodeSessionInfo(b: Buffer): SessionInfo {
  need(b, 12, 'READ TOC format 1');
  return {
    firstSession: b[TOC.first],
    lastSession: b[TOC.last],
    control: b[TOC1.adrControl] & 0x0f,
    firstTrackInLastSession: b[TOC1.firstTrack],
    start: b.readInt32BE(TOC1.start),
  };
}

export interface FullTocEntry {
  session: number;
  adr: number;
  control: number;
  tno: number;
  /** 1-99 track, A0 first track, A1 last track, A2 lead-out, B0 next program area, C0 ATIP. */
  point: number;
  min: number;
  sec: number;
  frame: number;
  pmin: number;
  psec: number;
  pframe: number;
}

/** Format 2: the raw Q sub-channel TOC of every complete session. */
export function decodeFullToc(b: Buffer): { firstSession: number; lastSession: number; entries: FullTocEntry[] } {
  need(b, 4, 'READ TOC format 2');
  const end = replyLength(b, 2);
  const entries: FullTocEntry[] = [];
  for (let p = TOC.descriptors; p + TOC2.size <= end; p += TOC2.size) {
    entries.push({
      session: b[p + TOC2.session],
      adr: b[p + TOC2.adrControl] >> 4,
      control: b[p + TOC2.adrControl] & 0x0f,
      tno: b[p + TOC2.tno],
      point: b[p + TOC2.point],
      min: b[p + TOC2.min],
      sec: b[p + TOC2.sec],
      frame: b[p + TOC2.frame],
      pmin: b[p + TOC2.pmin],
      psec: b[p + TOC2.psec],
      pframe: b[p + TOC2.pframe],
    });
  }
  return { firstSession: b[TOC.first], lastSession: b[TOC.last], entries };
}

// --- READ CAPACITY (25h) ---------------------------------------------------------------

export function readCapacityCdb(): Buffer {
  return cdb10(OP.READ_CAPACITY);
}

export interface Capacity {
  /** The last readable LBA (the last recorded one on sequential media). */
  lastLba: number;
  blockLength: number;
}

export function decodeCapacity(b: Buffer): Capacity {
  need(b, 8, 'READ CAPACITY');
  return { lastLba: b.readInt32BE(0), blockLength: b.readUInt32BE(4) };
}

// --- READ(10) (28h) --------------------------------------------------------------------

/** READ(10) of `blocks` 2048-byte sectors from `lba`. */
export function read10Cdb(lba: number, blocks: number): Buffer {
  if (blocks < 0 || blocks > 0xffff) throw new RangeError(`READ(10) of ${blocks} blocks`);
  const b = cdb10(OP.READ_10);
  put(b, 2, 4, lba >>> 0);
  put(b, 7, 2, blocks);
  return b;
}

// --- MODE SENSE(10) (5Ah) --------------------------------------------------------------

const MS = { dataLength: 0, blockDescriptorLength: 6, header: 8 } as const;
export const PAGE_CONTROL = { current: 0, changeable: 1, default: 2, saved: 3 } as const;

/** MODE SENSE(10) of one page, block descriptors disabled (DBD) as MMC drives expect. */
export function modeSense10Cdb(page: number, pageControl: 0 | 1 | 2 | 3 = 0, allocation = 0xff): Buffer {
  const b = cdb10(OP.MODE_SENSE_10);
  b[1] = 0x08;
  b[2] = ((pageControl & 3) << 6) | (page & 0x3f);
  put(b, 7, 2, allocation);
  return b;
}

export interface ModePage {
  code: number;
  /** PS: the page can be saved. */
  savable: boolean;
  /** The page with its 2-byte header (code, length), ready to edit and send back. */
  bytes: Buffer;
}

/** The first mode page of a MODE SENSE(10) reply. */
export function decodeModeSense10(b: Buffer): ModePage {
  need(b, MS.header + 2, 'MODE SENSE');
  const end = replyLength(b, 2);
  const p = MS.header + b.readUInt16BE(MS.blockDescriptorLength);
  need(b, p + 2, 'MODE SENSE');
  const len = b[p + 1];
  return { code: b[p] & 0x3f, savable: (b[p] & 0x80) !== 0, bytes: Buffer.from(b.subarray(p, Math.min(p + 2 + len, end))) };
}
