// SCSI sense data: fixed (70h/71h) and descriptor (72h/73h) formats decoded to key/ASC/ASCQ,
// with a short English meaning for the conditions a burner meets. Pure bytes in, values out.

export interface Sense {
  /** Sense key, 0-15. */
  key: number;
  asc: number;
  ascq: number;
  /** Response code 70h-73h (0 when the buffer held no sense). */
  responseCode: number;
  /** Progress 0..65535 of a long operation (format, blank, close), when the drive gave it. */
  progress: number | null;
  /** The information field (an LBA for write errors), when valid. */
  information: number | null;
}

/** Fixed-format sense, one table of offsets (SPC-3 4.5.3). */
const FIXED = { responseCode: 0, key: 2, information: 3, additionalLength: 7, asc: 12, ascq: 13, sksv: 15, progress: 16 } as const;
/** Descriptor-format sense (SPC-3 4.5.2). */
const DESCRIPTOR = { responseCode: 0, key: 1, asc: 2, ascq: 3, additionalLength: 7, descriptors: 8 } as const;

/** Decodes sense bytes; null when the buffer holds no valid sense. */
export function decodeSense(buf: Buffer): Sense | null {
  if (buf.length < 1) return null;
  const code = buf[0] & 0x7f;
  if (code === 0x70 || code === 0x71) {
    if (buf.length < 3) return null;
    const sense: Sense = {
      responseCode: code,
      key: buf[FIXED.key] & 0x0f,
      asc: buf.length > FIXED.asc ? buf[FIXED.asc] : 0,
      ascq: buf.length > FIXED.ascq ? buf[FIXED.ascq] : 0,
      progress: null,
      information: null,
    };
    // VALID bit (byte 0 bit 7) says the information field holds something meaningful.
    if (buf[0] & 0x80 && buf.length >= 7) sense.information = buf.readUInt32BE(FIXED.information);
    // SKSV: sense-key-specific bytes are valid; for NOT READY they carry progress.
    if (buf.length >= 18 && buf[FIXED.sksv] & 0x80 && (sense.key === 0x2 || sense.key === 0x0)) sense.progress = buf.readUInt16BE(FIXED.progress);
    return sense;
  }
  if (code === 0x72 || code === 0x73) {
    if (buf.length < 4) return null;
    const sense: Sense = {
      responseCode: code,
      key: buf[DESCRIPTOR.key] & 0x0f,
      asc: buf[DESCRIPTOR.asc],
      ascq: buf[DESCRIPTOR.ascq],
      progress: null,
      information: null,
    };
    const end = Math.min(buf.length, DESCRIPTOR.descriptors + (buf.length > DESCRIPTOR.additionalLength ? buf[DESCRIPTOR.additionalLength] : 0));
    for (let p = DESCRIPTOR.descriptors; p + 2 <= end; p += 2 + buf[p + 1]) {
      const type = buf[p];
      // 00h information (VALID in byte 2, 8-byte field from byte 4); 02h sense key specific.
      if (type === 0x00 && p + 12 <= end && buf[p + 2] & 0x80) sense.information = Number(buf.readBigUInt64BE(p + 4));
      if (type === 0x02 && p + 8 <= end && buf[p + 4] & 0x80) sense.progress = buf.readUInt16BE(p + 5);
    }
    return sense;
  }
  return null;
}

const KEYS = [
  'no sense',
  'recovered error',
  'not ready',
  'medium error',
  'hardware error',
  'illegal request',
  'unit attention',
  'data protect',
  'blank check',
  'vendor specific',
  'copy aborted',
  'aborted command',
  'equal',
  'volume overflow',
  'miscompare',
  'reserved',
];

/** ASC/ASCQ meanings (SPC/MMC) for what a burner meets; key 'AA/QQ', or 'AA/*' for any ASCQ. */
const MEANINGS: Record<string, string> = {
  '00/00': 'no additional sense information',
  '04/00': 'not ready, cause not reportable',
  '04/01': 'becoming ready',
  '04/02': 'not ready, initializing command required',
  '04/04': 'format in progress',
  '04/07': 'operation in progress',
  '04/08': 'long write in progress',
  '0C/00': 'write error',
  '0C/07': 'write error, recovery needed',
  '0C/09': 'write error, loss of streaming (buffer underrun)',
  '0C/0A': 'write error, padding blocks added',
  '11/00': 'unrecovered read error',
  '11/05': 'L-EC uncorrectable error',
  '15/00': 'random positioning error',
  '1A/00': 'parameter list length error',
  '20/00': 'invalid command operation code',
  '21/00': 'logical block address out of range',
  '21/02': 'invalid address for write',
  '24/00': 'invalid field in CDB',
  '26/00': 'invalid field in parameter list',
  '26/01': 'parameter not supported',
  '26/02': 'parameter value invalid',
  '27/00': 'write protected',
  '28/00': 'medium may have changed',
  '29/*': 'power on, reset or bus device reset occurred',
  '2A/*': 'parameters changed',
  '2C/00': 'command sequence error',
  '30/00': 'incompatible medium installed',
  '30/01': 'cannot read medium, unknown format',
  '30/02': 'cannot read medium, incompatible format',
  '30/05': 'cannot write medium, incompatible format',
  '30/06': 'cannot format medium, incompatible medium',
  '30/09': 'current session not fixated for append',
  '31/00': 'medium format corrupted',
  '3A/*': 'medium not present',
  '3E/*': 'logical unit has not self-configured yet',
  '44/00': 'internal target failure',
  '53/02': 'medium removal prevented',
  '57/00': 'unable to recover table of contents',
  '5D/*': 'failure prediction threshold exceeded',
  '63/00': 'end of user area encountered on this track',
  '64/00': 'illegal mode for this track',
  '64/01': 'invalid packet size',
  '72/00': 'session fixation error',
  '72/01': 'session fixation error writing lead-in',
  '72/02': 'session fixation error writing lead-out',
  '72/03': 'session fixation error, incomplete track in session',
  '72/04': 'empty or partially written reserved track',
  '72/05': 'no more track reservations allowed',
  '73/00': 'CD control error',
  '73/01': 'power calibration area almost full',
  '73/02': 'power calibration area is full',
  '73/03': 'power calibration area error',
  '73/04': 'program memory area update failure',
  '73/05': 'program memory area is full',
};

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** 'key/ASC/ASCQ' in hex as burners print it, e.g. '2/3A/00'. */
export function senseCode(s: Sense): string {
  return `${s.key.toString(16).toUpperCase()}/${hex2(s.asc)}/${hex2(s.ascq)}`;
}

/** A short English meaning: the ASC/ASCQ's, else the sense key's. */
export function senseMeaning(s: Sense): string {
  const exact = MEANINGS[`${hex2(s.asc)}/${hex2(s.ascq)}`] ?? MEANINGS[`${hex2(s.asc)}/*`];
  return exact ?? KEYS[s.key];
}

/** 'medium not present (2/3A/00)'. */
export function describeSense(s: Sense): string {
  return `${senseMeaning(s)} (${senseCode(s)})`;
}

/** What a caller should do about a CHECK CONDITION. */
export type SenseClass = 'recovered' | 'retry' | 'no-medium' | 'medium-changed' | 'fatal';

/**
 * How to treat the condition: key 1 is success; not ready while spinning up (cause not
 * reportable), becoming ready, or busy with a long write/operation is retried as cdrecord
 * and libburn do; unit attention is retried after the caller re-reads the medium; no
 * medium is its own answer.
 */
export function classifySense(s: Sense): SenseClass {
  if (s.key === 0x1) return 'recovered';
  if (s.key === 0x2 && s.asc === 0x3a) return 'no-medium';
  if (s.key === 0x2 && s.asc === 0x04 && [0x00, 0x01, 0x04, 0x07, 0x08].includes(s.ascq)) return 'retry';
  if (s.key === 0x6 && s.asc === 0x28) return 'medium-changed';
  if (s.key === 0x6) return 'retry';
  if (s.key === 0xb) return 'retry';
  return 'fatal';
}
