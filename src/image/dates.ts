// ECMA-119 dates decoded to epoch seconds. The digits are local time at the recorded GMT
// offset; offsets outside −48…+52 quarter hours are ignored, as Linux does.
import { daysFromCivil } from '../iso9660/dates.js';
import { FormatProblem } from './errors.js';

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
