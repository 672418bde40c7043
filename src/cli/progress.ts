// Progress on stderr for iso-pack and iso-merge. On a terminal one line, redrawn in place
// at most once a second and cleared before anything else is written; elsewhere (a log, cron
// mail) one plain line every ten seconds, no carriage returns. Percent and ETA when the
// input's size is known (stdin a regular file); otherwise the line says it is not.
import { writeAll } from '../session/io.js';

const TERMINAL_INTERVAL = 1000;
const LOG_INTERVAL = 10_000;

export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(h ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h ? `${h}:${mmss}` : mmss;
}

export class Progress {
  private last = 0;
  private shown = false;
  private readonly t0 = Date.now();
  private readonly interval: number;

  /**
   * @param tool the name the lines start with
   * @param total the input's size in bytes, or null when it cannot be known
   * @param unknownWhy said in place of percent and ETA when `total` is null
   */
  constructor(
    private readonly tool: string,
    private total: number | null,
    private unknownWhy: string,
    private readonly terminal = process.stderr.isTTY === true,
  ) {
    // ISOPIPE_PROGRESS_MS: a shorter interval, for tests.
    const forced = Number(process.env.ISOPIPE_PROGRESS_MS);
    this.interval = forced > 0 ? forced : terminal ? TERMINAL_INTERVAL : LOG_INTERVAL;
    this.last = this.t0;
  }

  /** The size turned out not to be the input's (it was compressed). */
  unknownTotal(why: string): void {
    this.total = null;
    this.unknownWhy = why;
  }

  /** `bytes` of input read so far; `detail` what else to show (files, entries). */
  update(bytes: number, detail: string): void {
    const now = Date.now();
    if (now - this.last < this.interval) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.t0) / 1000);
    const rate = bytes / secs;
    let text = `${this.tool}: ${(bytes / 1e6).toFixed(0)} MB read, ${detail}, ${(rate / 1e6).toFixed(1)} MB/s`;
    if (this.total) {
      const fraction = Math.min(1, bytes / this.total);
      text += `, ${(fraction * 100).toFixed(0)}% of ${(this.total / 1e6).toFixed(0)} MB`;
      if (rate > 0 && fraction < 1) text += `, ETA ${clock((this.total - bytes) / rate)}`;
    } else text += ` (${this.unknownWhy})`;
    if (this.terminal) {
      writeAll(2, Buffer.from(`\r\x1b[K${text}`));
      this.shown = true;
    } else writeAll(2, Buffer.from(text + '\n'));
  }

  /** Takes the line off the terminal, before a message or at the end. */
  clear(): void {
    if (this.shown) writeAll(2, Buffer.from('\r\x1b[K'));
    this.shown = false;
  }
}
