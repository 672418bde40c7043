// ECMA-119 dates. isopipe writes UTC with a zero GMT offset (as xorriso does): no reader
// has to guess the time zone, and the same input gives the same bytes anywhere.

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

/** 9.1.5 / RRIP TF short form: 7 bytes. Seconds outside 1900–2155 are clamped. */
export function encodeShortDate(epochSeconds: number, out: Buffer, off: number): void {
  const s = Math.min(Math.max(Math.floor(epochSeconds), MIN_SHORT_DATE_SECONDS), MAX_SECONDS);
  const days = Math.floor(s / 86400);
  const secs = s - days * 86400;
  const [y, m, d] = civil(days);
  out[off] = y - FIRST_YEAR;
  out[off + 1] = m;
  out[off + 2] = d;
  out[off + 3] = Math.floor(secs / 3600);
  out[off + 4] = Math.floor((secs % 3600) / 60);
  out[off + 5] = secs % 60;
  out[off + 6] = 0;
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
    p(d.getUTCFullYear(), 4) + p(d.getUTCMonth() + 1, 2) + p(d.getUTCDate(), 2) +
    p(d.getUTCHours(), 2) + p(d.getUTCMinutes(), 2) + p(d.getUTCSeconds(), 2) + p(hundredths, 2);
  out.write(text, off, 'latin1');
  out[off + 16] = 0;
}
