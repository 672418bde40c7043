// The write side of MMC as pure codecs (MODE SENSE and the read side are in mmc.ts): command descriptor blocks and parameter lists for
// burning (mode page 05h, WRITE(10), SYNCHRONIZE CACHE, CLOSE TRACK/SESSION, RESERVE TRACK,
// SET CD SPEED, SET STREAMING, READ BUFFER CAPACITY, START STOP UNIT, PREVENT ALLOW MEDIUM
// REMOVAL, BLANK, FORMAT UNIT, READ FORMAT CAPACITIES) and the replies they get. Bytes in, bytes out; layouts from
// MMC as cdrecord (scsi_cdr.c, drv_mmc.c) and libburn (mmc.c, spc.c) send them
// (docs/drive-burn.md, mmc-reference.md §2).

export const OP = {
  TEST_UNIT_READY: 0x00,
  FORMAT_UNIT: 0x04,
  READ_FORMAT_CAPACITIES: 0x23,
  START_STOP_UNIT: 0x1b,
  PREVENT_ALLOW_MEDIUM_REMOVAL: 0x1e,
  WRITE_10: 0x2a,
  SYNCHRONIZE_CACHE: 0x35,
  RESERVE_TRACK: 0x53,
  MODE_SELECT_10: 0x55,
  CLOSE_TRACK_SESSION: 0x5b,
  READ_BUFFER_CAPACITY: 0x5c,
  BLANK: 0xa1,
  SET_STREAMING: 0xb6,
  SET_CD_SPEED: 0xbb,
} as const;

export const WRITE_PARAMETERS_PAGE = 0x05;

/** Write Type (page 05h byte 2 bits 3-0). */
export const WriteType = { PACKET: 0, TAO: 1, SAO: 2, RAW: 3, LAYER_JUMP: 4 } as const;
/** Multi-session field (page 05h byte 3 bits 7-6): 00b no next session, 11b next session allowed. */
export const MultiSession = { NONE: 0, NONE_B0_FF: 1, NEXT_ALLOWED: 3 } as const;
/** Data Block Type (page 05h byte 4 bits 3-0): 8 = mode 1, 2048 bytes. */
export const DATA_BLOCK_MODE1 = 8;
/** Track Mode (Q-subchannel CONTROL nibble): 4 data uninterrupted, 5 data incremental. */
export const TRACK_MODE_DATA = 4;
export const TRACK_MODE_DATA_INCREMENTAL = 5;

/** CLOSE TRACK/SESSION close functions (CDB byte 2 bits 2-0). */
export const CloseFunction = {
  /** 001b: close the logical track named by the number field. */
  TRACK: 1,
  /** 010b: close the session (CD: page 05h multi-session decides; DVD+R/BD-R: stays appendable). */
  SESSION: 2,
  /** 101b: DVD+R, finalize the disc with minimal radius. */
  FINALIZE_MINIMAL: 5,
  /** 110b: DVD+R / BD-R, finalize the disc. */
  FINALIZE: 6,
} as const;

function checkU16(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} ${v} is not a 16-bit count`);
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} ${v} is not a 32-bit number`);
}

// ---------------------------------------------------------------------------------------
// Mode page 05h: Write Parameters

export interface WriteParameters {
  /** BUFE: buffer underrun free recording (BURN-Free). */
  bufe: boolean;
  /** LS_V: the link size field is valid. */
  linkSizeValid: boolean;
  /** Test Write: the laser stays cold (cdrecord -dummy). CD-R/RW and DVD-R only. */
  testWrite: boolean;
  writeType: number;
  multiSession: number;
  /** FP: fixed packets. */
  fixedPacket: boolean;
  copy: boolean;
  trackMode: number;
  dataBlockType: number;
  linkSize: number;
  hostApplicationCode: number;
  sessionFormat: number;
  packetSize: number;
  audioPauseLength: number;
}

/** The page cdrecord builds for `-tao -data` (mode 1), BURN-Free on, with or without -multi. */
export function cdTaoDataParameters(opts: { multi: boolean; testWrite: boolean; bufe: boolean }): WriteParameters {
  return {
    bufe: opts.bufe,
    linkSizeValid: false,
    testWrite: opts.testWrite,
    writeType: WriteType.TAO,
    multiSession: opts.multi ? MultiSession.NEXT_ALLOWED : MultiSession.NONE,
    fixedPacket: false,
    copy: false,
    trackMode: TRACK_MODE_DATA,
    dataBlockType: DATA_BLOCK_MODE1,
    linkSize: 0,
    hostApplicationCode: 0,
    sessionFormat: 0x00,
    packetSize: 0,
    // Some drives come with a bad default; 150 is what cdrecord and libburn set.
    audioPauseLength: 150,
  };
}

/** DVD-R/-RW sequential incremental recording (libburn, growisofs): packets of 16 blocks, link size 16. */
export function dvdMinusRIncrementalParameters(opts: { multi: boolean; testWrite: boolean; bufe: boolean }): WriteParameters {
  return {
    bufe: opts.bufe,
    linkSizeValid: true,
    testWrite: opts.testWrite,
    writeType: WriteType.PACKET,
    multiSession: opts.multi ? MultiSession.NEXT_ALLOWED : MultiSession.NONE,
    fixedPacket: true,
    copy: false,
    trackMode: TRACK_MODE_DATA_INCREMENTAL,
    dataBlockType: DATA_BLOCK_MODE1,
    linkSize: 16,
    hostApplicationCode: 0,
    sessionFormat: 0x00,
    packetSize: 16,
    audioPauseLength: 150,
  };
}

/** Minimum page length (byte 1) of page 05h: 32h in MMC-2/3; later drives answer 36h. */
export const WRITE_PARAMETERS_MIN_LENGTH = 0x32;

/**
 * The page as MODE SELECT sends it: `pageLength` is byte 1 (what MODE SENSE reported, 32h
 * or 36h); the page is pageLength + 2 bytes. PS (byte 0 bit 7) is always 0 on select.
 * Fields not modelled (MCN, ISRC, sub-header, vendor bytes) are zero.
 */
export function encodeWriteParametersPage(p: WriteParameters, pageLength = WRITE_PARAMETERS_MIN_LENGTH): Buffer {
  if (!Number.isInteger(pageLength) || pageLength < WRITE_PARAMETERS_MIN_LENGTH || pageLength > 0xff)
    throw new RangeError(`write parameters page length ${pageLength} is below 0x32 or above 0xff`);
  const b = Buffer.alloc(pageLength + 2);
  b[0] = WRITE_PARAMETERS_PAGE;
  b[1] = pageLength;
  b[2] = (p.bufe ? 0x40 : 0) | (p.linkSizeValid ? 0x20 : 0) | (p.testWrite ? 0x10 : 0) | (p.writeType & 0x0f);
  b[3] = ((p.multiSession & 3) << 6) | (p.fixedPacket ? 0x20 : 0) | (p.copy ? 0x10 : 0) | (p.trackMode & 0x0f);
  b[4] = p.dataBlockType & 0x0f;
  b[5] = p.linkSize & 0xff;
  b[7] = p.hostApplicationCode & 0x3f;
  b[8] = p.sessionFormat & 0xff;
  checkU32(p.packetSize, 'packet size');
  b.writeUInt32BE(p.packetSize, 10);
  checkU16(p.audioPauseLength, 'audio pause length');
  b.writeUInt16BE(p.audioPauseLength, 14);
  return b;
}

export function decodeWriteParametersPage(page: Buffer): WriteParameters & { pageLength: number } {
  if (page.length < 16 || (page[0] & 0x3f) !== WRITE_PARAMETERS_PAGE) throw new Error('not a write parameters page (05h)');
  return {
    pageLength: page[1],
    bufe: (page[2] & 0x40) !== 0,
    linkSizeValid: (page[2] & 0x20) !== 0,
    testWrite: (page[2] & 0x10) !== 0,
    writeType: page[2] & 0x0f,
    multiSession: (page[3] >> 6) & 3,
    fixedPacket: (page[3] & 0x20) !== 0,
    copy: (page[3] & 0x10) !== 0,
    trackMode: page[3] & 0x0f,
    dataBlockType: page[4] & 0x0f,
    linkSize: page[5],
    hostApplicationCode: page[7] & 0x3f,
    sessionFormat: page[8],
    packetSize: page.readUInt32BE(10),
    audioPauseLength: page.readUInt16BE(14),
  };
}

/** MODE SELECT(10), page format (PF), not saved; `parameterLength` = 8 + page length + 2. */
export function modeSelect10(parameterLength: number): Buffer {
  checkU16(parameterLength, 'parameter list length');
  const c = Buffer.alloc(10);
  c[0] = OP.MODE_SELECT_10;
  c[1] = 0x10;
  c.writeUInt16BE(parameterLength, 7);
  return c;
}

/** The MODE SELECT(10) parameter list: an all-zero 8-byte header (no block descriptors) and the page. */
export function modeSelectParameterList(page: Buffer): Buffer {
  const out = Buffer.alloc(8 + page.length);
  page.copy(out, 8);
  out[8] &= 0x3f; // PS is reserved on MODE SELECT
  return out;
}

// ---------------------------------------------------------------------------------------
// Writing and closing

/** WRITE(10) of `blocks` blocks at `lba` (signed: a CD's first track may start at -150). */
export function write10(lba: number, blocks: number): Buffer {
  if (!Number.isInteger(lba) || lba < -0x80000000 || lba > 0xffffffff) throw new RangeError(`LBA ${lba} does not fit WRITE(10)`);
  checkU16(blocks, 'transfer length');
  const c = Buffer.alloc(10);
  c[0] = OP.WRITE_10;
  c.writeUInt32BE(lba >>> 0, 2);
  c.writeUInt16BE(blocks, 7);
  return c;
}

/** SYNCHRONIZE CACHE(10) of the whole cache; `immed` returns before the drive has finished. */
export function synchronizeCache(immed = false): Buffer {
  const c = Buffer.alloc(10);
  c[0] = OP.SYNCHRONIZE_CACHE;
  if (immed) c[1] = 0x02;
  return c;
}

/** CLOSE TRACK/SESSION with function `fn` (CloseFunction) for track or session `number`. */
export function closeTrackSession(fn: number, number: number, immed = false): Buffer {
  checkU16(number, 'track/session number');
  const c = Buffer.alloc(10);
  c[0] = OP.CLOSE_TRACK_SESSION;
  if (immed) c[1] = 0x01;
  c[2] = fn & 0x07;
  c.writeUInt16BE(number, 4);
  return c;
}

/** RESERVE TRACK of `blocks` blocks (ARSV = 0: reservation size form). */
export function reserveTrack(blocks: number): Buffer {
  checkU32(blocks, 'reservation size');
  const c = Buffer.alloc(10);
  c[0] = OP.RESERVE_TRACK;
  c.writeUInt32BE(blocks, 5);
  return c;
}

// ---------------------------------------------------------------------------------------
// Speed

/** 1x in kB/s (1000 bytes) as drives count it: CD 176.4 (75 × 2352 bytes), DVD 1385, BD 4495.5. */
export const SPEED_1X = { cd: 176.4, dvd: 1385, bd: 4495.5 } as const;
export type SpeedFamily = keyof typeof SPEED_1X;

/** kB/s for `times`× on a family of media, rounded up so the drive (which rounds down) keeps N×. */
export function speedKBps(times: number, family: SpeedFamily): number {
  return Math.min(0xffff, Math.ceil(times * SPEED_1X[family]));
}

/** SET CD SPEED (BBh): read and write speed in kB/s; 0xFFFF = as fast as the drive can. */
export function setCdSpeed(writeKBps: number, readKBps = 0xffff): Buffer {
  checkU16(writeKBps, 'write speed');
  checkU16(readKBps, 'read speed');
  const c = Buffer.alloc(12);
  c[0] = OP.SET_CD_SPEED;
  c.writeUInt16BE(readKBps, 2);
  c.writeUInt16BE(writeKBps, 4);
  return c;
}

export const PERFORMANCE_DESCRIPTOR_LENGTH = 28;

/** SET STREAMING (B6h) with one performance descriptor (type 0). */
export function setStreaming(): Buffer {
  const c = Buffer.alloc(12);
  c[0] = OP.SET_STREAMING;
  c.writeUInt16BE(PERFORMANCE_DESCRIPTOR_LENGTH, 9);
  return c;
}

/**
 * The performance descriptor for DVD/BD speed (what growisofs and libburn send): the whole
 * disc from 0 to `endLba`, `kBps` kB per 1000 ms for read and write. Restore Logical Unit
 * Defaults off, Exact off (the drive picks the nearest speed it can do).
 */
export function performanceDescriptor(endLba: number, kBps: number): Buffer {
  checkU32(endLba, 'end LBA');
  checkU32(kBps, 'speed');
  const d = Buffer.alloc(PERFORMANCE_DESCRIPTOR_LENGTH);
  d.writeUInt32BE(0, 4);
  d.writeUInt32BE(endLba, 8);
  d.writeUInt32BE(kBps, 12);
  d.writeUInt32BE(1000, 16);
  d.writeUInt32BE(kBps, 20);
  d.writeUInt32BE(1000, 24);
  return d;
}

// ---------------------------------------------------------------------------------------
// Buffer, tray, blanking, formatting

export const READ_BUFFER_CAPACITY_LENGTH = 12;

/** READ BUFFER CAPACITY (5Ch), in bytes (Block = 0). */
export function readBufferCapacity(): Buffer {
  const c = Buffer.alloc(10);
  c[0] = OP.READ_BUFFER_CAPACITY;
  c.writeUInt16BE(READ_BUFFER_CAPACITY_LENGTH, 7);
  return c;
}

export interface BufferCapacity {
  /** The drive's buffer size in bytes. */
  size: number;
  /** Bytes of it that are free (not yet burned). */
  free: number;
}

export function decodeBufferCapacity(reply: Buffer): BufferCapacity {
  if (reply.length < READ_BUFFER_CAPACITY_LENGTH) throw new Error(`READ BUFFER CAPACITY reply of ${reply.length} bytes is too short`);
  return { size: reply.readUInt32BE(4), free: reply.readUInt32BE(8) };
}

/** START STOP UNIT: `eject` opens the tray (LoEj=1, Start=0); else load and start. */
export function startStopUnit(eject: boolean, immed = false): Buffer {
  const c = Buffer.alloc(6);
  c[0] = OP.START_STOP_UNIT;
  if (immed) c[1] = 0x01;
  c[4] = eject ? 0x02 : 0x03;
  return c;
}

/** PREVENT ALLOW MEDIUM REMOVAL: lock the tray for the burn, unlock after. */
export function preventAllowMediumRemoval(prevent: boolean): Buffer {
  const c = Buffer.alloc(6);
  c[0] = OP.PREVENT_ALLOW_MEDIUM_REMOVAL;
  c[4] = prevent ? 0x01 : 0x00;
  return c;
}

export function testUnitReady(): Buffer {
  return Buffer.alloc(6);
}

/** BLANK (A1h) of CD-RW/DVD-RW: 'all' = blank the disc (type 0), 'fast' = minimal (type 1). Immed. */
export function blank(kind: 'all' | 'fast', immed = true): Buffer {
  const c = Buffer.alloc(12);
  c[0] = OP.BLANK;
  c[1] = (immed ? 0x10 : 0) | (kind === 'all' ? BlankType.ALL : BlankType.MINIMAL);
  return c;
}

/** BLANK types this toolkit sends: 000b the whole disc, 001b minimal (PMA, TOC, first track's pregap). */
export const BlankType = { ALL: 0, MINIMAL: 1 } as const;

/** FORMAT UNIT (04h) with a parameter list (FmtData = 1, format code 001b). */
export function formatUnit(): Buffer {
  const c = Buffer.alloc(6);
  c[0] = OP.FORMAT_UNIT;
  c[1] = 0x11;
  return c;
}

/** Format types (format descriptor byte 4 bits 7-2) this toolkit uses or reports. */
export const FormatType = {
  /** 00h: full format (DVD-RAM, DVD-RW restricted overwrite). */
  FULL: 0x00,
  /** 26h: DVD+RW full format. */
  DVD_PLUS_RW: 0x26,
  /** 30h: BD-RE with spare areas (the type-dependent parameter names the spare size). */
  BD_RE_WITH_SPARE: 0x30,
  /** 31h: BD-RE without spare areas. */
  BD_RE_WITHOUT_SPARE: 0x31,
} as const;

/**
 * FORMAT UNIT parameter list: the 4-byte header (Immed) and one format descriptor.
 * DVD+RW full format is type 26h with the size READ FORMAT CAPACITIES lists for it (drives
 * take FFFFFFFFh too: growisofs, libburn); BD-RE with spare areas type 30h with the size and
 * spare parameter of the descriptor the drive lists. `subType` is byte 4 bits 1-0 (BD-RE).
 */
export function formatParameterList(formatType: number, blocks: number, typeDependent = 0, immed = true, subType = 0): Buffer {
  checkU32(blocks, 'number of blocks');
  const b = Buffer.alloc(12);
  b[1] = immed ? 0x02 : 0x00;
  b.writeUInt16BE(8, 2);
  b.writeUInt32BE(blocks, 4);
  b[8] = ((formatType & 0x3f) << 2) | (subType & 0x03);
  b[9] = (typeDependent >> 16) & 0xff;
  b.writeUInt16BE(typeDependent & 0xffff, 10);
  return b;
}

/** Replies are a 4-byte header and 8-byte descriptors; 252 bytes hold 31 of them (MMC's limit is far above any drive's list). */
export const FORMAT_CAPACITIES_LENGTH = 0xfc;

/** READ FORMAT CAPACITIES (23h). */
export function readFormatCapacities(allocation = FORMAT_CAPACITIES_LENGTH): Buffer {
  checkU16(allocation, 'allocation length');
  const c = Buffer.alloc(10);
  c[0] = OP.READ_FORMAT_CAPACITIES;
  c.writeUInt16BE(allocation, 7);
  return c;
}

/** The current/maximum capacity descriptor's type (byte 4 bits 1-0). */
export type MediumFormatState = 'unformatted' | 'formatted' | 'no-medium' | 'reserved';
const FORMAT_STATE: MediumFormatState[] = ['reserved', 'unformatted', 'formatted', 'no-medium'];

export interface FormattableCapacity {
  formatType: number;
  blocks: number;
  /** Bytes 5-7: the block length for most types, the spare size or other type-specific value elsewhere. */
  typeDependent: number;
}

export interface FormatCapacities {
  /** What the medium holds now: its formatted state and capacity in blocks. */
  current: { state: MediumFormatState; blocks: number; blockLength: number };
  /** The formats the drive offers for this medium, in the drive's order. */
  formats: FormattableCapacity[];
}

export function decodeFormatCapacities(reply: Buffer): FormatCapacities {
  if (reply.length < 12) throw new Error(`READ FORMAT CAPACITIES reply of ${reply.length} bytes is too short`);
  const listLength = reply[3];
  if (listLength < 8 || listLength % 8 !== 0) throw new Error(`READ FORMAT CAPACITIES: capacity list length ${listLength} is not a multiple of 8`);
  const end = Math.min(reply.length, 4 + listLength);
  const current = {
    state: FORMAT_STATE[reply[8] & 0x03],
    blocks: reply.readUInt32BE(4),
    blockLength: reply.readUIntBE(9, 3),
  };
  const formats: FormattableCapacity[] = [];
  for (let p = 12; p + 8 <= end; p += 8)
    formats.push({ blocks: reply.readUInt32BE(p), formatType: reply[p + 4] >> 2, typeDependent: reply.readUIntBE(p + 5, 3) });
  return { current, formats };
}
