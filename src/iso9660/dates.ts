// ECMA-119 dates. isopipe writes UTC with a zero GMT offset (as xorriso does): no reader
// has to guess the time zone, and the same input gives the same bytes anywhere.

const FIRST_YEAR = 1900;
const LAST_YEAR = 2155;

export const MIN_SHORT_DATE_SECONDS = Date.UTC(FIRST_YEAR, 0, 1) / 1000;
export const MAX_SHORT_DATE_SECONDS = Date.UTC(LAST_YEAR, 11, 31, 23, 59, 59) / 1000;

/** 9.1.5 / RRIP TF short form: 7 bytes. Seconds outside 1900–2155 are clamped. */
export function encodeShortDate(epochSeconds: number, out: Buffer, off: number): void {
  const s = Math.min(Math.max(Math.floor(epochSeconds), MIN_SHORT_DATE_SECONDS), MAX_SHORT_DATE_SECONDS);
  const d = new Date(s * 1000);
  out[off] = d.getUTCFullYear() - FIRST_YEAR;
  out[off + 1] = d.getUTCMonth() + 1;
  out[off + 2] = d.getUTCDate();
  out[off + 3] = d.getUTCHours();
  out[off + 4] = d.getUTCMinutes();
  out[off + 5] = d.getUTCSeconds();
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
