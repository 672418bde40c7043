// ECMA-119 dates. isopipe writes UTC with a zero GMT offset (as xorriso does): no reader
// has to guess the time zone, and the same input gives the same bytes anywhere.
// Decoding: the digits are local time at the recorded GMT offset; offsets outside −48…+52
// quarter hours are ignored, as Linux does.
import { FormatProblem } from './format-problem.js';
import { checkRoom } from './numbers.js';

const FIRST_YEAR = 1900;
const LAST_YEAR = 2155;

/** Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm):
 *  integer arithmetic, no Date object — this runs several times per directory record. */
function civil(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Days since 1970-01-01 of a proleptic Gregorian date (the inverse of civil()). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export const MIN_SHORT_DATE_SECONDS = -2208988800; // 1900-01-01T00:00:00Z

const MAX_SECONDS = Date.UTC(LAST_YEAR, 11, 31, 23, 59, 59) / 1000;

/** The last second encodeShortDate encoded, and its bytes: a directory's records mostly
 *  carry the same few times (each record has two, files of one tar often the same). */
let lastSeconds = Number.NaN;
const lastShort = new Uint8Array(7);

/** 9.1.5 / RRIP TF short form: 7 bytes. Seconds outside 1900–2155 are clamped. */
export function encodeShortDate(epochSeconds: number, out: Buffer, off: number): void {
  const s = Math.min(Math.max(Math.floor(epochSeconds), MIN_SHORT_DATE_SECONDS), MAX_SECONDS);
  if (s !== lastSeconds) {
    const days = Math.floor(s / 86400);
    const secs = s - days * 86400;
    const [y, m, d] = civil(days);
    lastShort[0] = y - FIRST_YEAR;
    lastShort[1] = m;
    lastShort[2] = d;
    lastShort[3] = Math.floor(secs / 3600);
    lastShort[4] = Math.floor((secs % 3600) / 60);
    lastShort[5] = secs % 60;
    lastShort[6] = 0;
    lastSeconds = s;
  }
  checkRoom(out, off, 7, 'date');
  for (let k = 0; k < 7; k++) out[off + k] = lastShort[k];
}

/** 8.4.26.1: 17 bytes of ASCII digits plus a GMT offset byte; null = "not specified". */
export function encodeLongDate(epochSeconds: number | null, out: Buffer, off: number): void {
  if (epochSeconds === null) {
    out.write('0000000000000000', off, 'latin1');
    out[off + 16] = 0;
    return;
  }
  const ms = Math.round(epochSeconds * 1000);
  const d = new Date(ms);
  const p = (n: number, w: number) => String(n).padStart(w, '0');
  const hundredths = Math.floor((((ms % 1000) + 1000) % 1000) / 10);
  const text =
    p(d.getUTCFullYear(), 4) +
    p(d.getUTCMonth() + 1, 2) +
    p(d.getUTCDate(), 2) +
    p(d.getUTCHours(), 2) +
    p(d.getUTCMinutes(), 2) +
    p(d.getUTCSeconds(), 2) +
    p(hundredths, 2);
  out.write(text, off, 'latin1');
  out[off + 16] = 0;
}

// Decoding.

/** Date.UTC without its mapping of years 0–99 to 1900–1999, in milliseconds. Runs for every
 *  record and Rock Ridge time: plain arithmetic for days that exist in every month, Date
 *  (and its normalising of impossible days) only for the rest. */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (mo >= 1 && mo <= 12 && d >= 1 && d <= 28) return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + s * 1000;
  const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  t.setUTCFullYear(y);
  return t.getTime();
}

function offsetSeconds(raw: number): number {
  const q = raw > 127 ? raw - 256 : raw;
  return q >= -48 && q <= 52 ? q * 15 * 60 : 0;
}

/** 7-byte form (directory records, TF short form); all zeros = not specified = 0. */
export function decodeShortDate(b: Buffer, off: number): number {
  let zero = true;
  for (let i = 0; i < 7; i++) if (b[off + i] !== 0) zero = false;
  if (zero) return 0;
  const ms = utc(1900 + b[off], b[off + 1], b[off + 2], b[off + 3], b[off + 4], b[off + 5]);
  return ms / 1000 - offsetSeconds(b[off + 6]);
}

/** 17-byte form (TF long form): ASCII digits and a GMT offset; "not specified" = 0. */
export function decodeLongDate(b: Buffer, off: number): number {
  const text = b.toString('latin1', off, off + 16);
  if (!/^[0-9]{16}$/.test(text)) throw new FormatProblem(`malformed 17-byte date ${JSON.stringify(text)}`);
  if (/^0+$/.test(text)) return 0;
  const n = (a: number, l: number) => Number(text.slice(a, a + l));
  const ms = utc(n(0, 4), n(4, 2), n(6, 2), n(8, 2), n(10, 2), n(12, 2));
  return Math.floor(ms / 1000) - offsetSeconds(b[off + 16]);
}

/**
 * 8.4.26.1 17-byte volume descriptor date (lenient, to the hundredth): sixteen ASCII digits and a GMT offset in quarter hours.
 * Returns null for "not specified" and for anything that is not a valid date.
 */
export function decodeVolumeDate(b: Buffer, off: number): Date | null {
  if (off < 0 || off + 17 > b.length) return null;
  const digits = b.toString('latin1', off, off + 16);
  if (!/^[0-9]{16}$/.test(digits) || /^0+$/.test(digits)) return null;
  const n = (a: number, l: number) => Number(digits.slice(a, a + l));
  const [year, month, day, hour, minute, second, centi] = [n(0, 4), n(4, 2), n(6, 2), n(8, 2), n(10, 2), n(12, 2), n(14, 2)];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let offset = b.readInt8(off + 16);
  if (offset < -48 || offset > 52) offset = 0; // as Linux: an offset outside the range is ignored
  const t = Date.UTC(year, month - 1, day, hour, minute, second, centi * 10) - offset * 15 * 60 * 1000;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}
