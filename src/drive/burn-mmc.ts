// One SCSI command at a time for the burn, with the retry policy cdrecord and libburn use:
// "not ready" while becoming ready or busy (2/04/01, 04, 07, 08) and unit attention resets
// are re-issued unchanged after a growing sleep, bounded in total time; everything else is
// an error naming the command and the drive's answer. The policy lives here once; the burn
// engine (burn.ts) only says which command and what to do on "medium may have changed".
import { classifySense, decodeSense, describeSense, type Sense } from './sense.js';
import { Drive } from './drive.js';
import type { DataDirection, ScsiCommand, Transport } from './transport.js';

/** The drive answered CHECK CONDITION (or a status other than GOOD) and retrying did not help. */
export class DriveCommandError extends Error {
  override name = 'DriveCommandError';
  constructor(
    readonly command: string,
    readonly sense: Sense | null,
    readonly status: number,
  ) {
    super(`${command} failed: ${sense ? describeSense(sense) : `SCSI status 0x${status.toString(16)}`}`);
  }

  is(key: number, asc?: number, ascq?: number): boolean {
    const s = this.sense;
    return !!s && s.key === key && (asc === undefined || s.asc === asc) && (ascq === undefined || s.ascq === ascq);
  }
}

/** The command never got an answer: the drive or its connection is gone. */
export class DriveGoneError extends Error {
  override name = 'DriveGoneError';
  constructor(
    readonly command: string,
    reason: string,
  ) {
    super(`${command}: the drive stopped answering (${reason})`);
  }
}

export interface RunOptions {
  direction?: DataDirection;
  data?: Buffer;
  inLength?: number;
  timeoutMs?: number;
  /** Total time spent retrying "not ready, busy" before giving up. */
  retryBudgetMs?: number;
  /** 6/28/00 (medium may have changed): 'retry' once the caller has nothing to re-check, else an error. */
  onMediumChanged?: 'retry' | 'throw';
}

export const DEFAULT_TIMEOUT_MS = 30_000;
/** libburn's WRITE timeout; CLOSE/SYNC without Immed can take minutes more. */
export const WRITE_TIMEOUT_MS = 200_000;
export const LONG_TIMEOUT_MS = 3_600_000;

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class BurnMmc {
  /** Retries taken, by sense code ('2/04/08' …), for -v and the tests. */
  readonly retries = new Map<string, number>();
  /** Longest single wait for a busy drive, ms. */
  longestWaitMs = 0;

  /** The read side (disc state, mode sense) over the same transport, with its own retries. */
  readonly drive: Drive;

  constructor(
    readonly transport: Transport,
    private readonly sleep: Sleep = realSleep,
  ) {
    this.drive = new Drive(transport, { sleep });
  }

  get name(): string {
    return this.transport.name;
  }

  async run(name: string, cdb: Buffer, opts: RunOptions = {}): Promise<Buffer> {
    const cmd: ScsiCommand = {
      cdb,
      direction: opts.direction ?? (opts.data ? 'out' : opts.inLength ? 'in' : 'none'),
      data: opts.data,
      inLength: opts.inLength,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    const budget = opts.retryBudgetMs ?? 120_000;
    let waited = 0;
    let delay = 10;
    let mediumChangedSeen = false;
    for (;;) {
      const reply = await this.transport.execute(cmd);
      if (reply.transportError) throw new DriveGoneError(name, reply.transportError);
      if (reply.status === 0) return reply.data;
      const sense = reply.status === 2 ? decodeSense(reply.sense) : null;
      let retry = false;
      if (sense) {
        const cls = classifySense(sense);
        if (cls === 'recovered') return reply.data;
        if (cls === 'retry') retry = true;
        // A unit attention is reported once; the command after it runs normally.
        if (cls === 'medium-changed' && opts.onMediumChanged === 'retry' && !mediumChangedSeen) {
          mediumChangedSeen = true;
          retry = true;
        }
      } else if (reply.status === 8) retry = true; // BUSY
      if (!retry || waited >= budget) throw new DriveCommandError(name, sense, reply.status);
      const key = sense
        ? `${sense.key.toString(16).toUpperCase()}/${sense.asc.toString(16).toUpperCase().padStart(2, '0')}/${sense.ascq.toString(16).toUpperCase().padStart(2, '0')}`
        : `status ${reply.status}`;
      this.retries.set(key, (this.retries.get(key) ?? 0) + 1);
      await this.sleep(delay);
      waited += delay;
      this.longestWaitMs = Math.max(this.longestWaitMs, delay);
      delay = Math.min(delay * 2, 1000);
    }
  }
}
