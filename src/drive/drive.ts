// A drive: MMC commands over a Transport, with the retries burners do for a drive that is
// becoming ready, busy with a long write, or reporting a unit attention. Encoding and decoding
// stay in the pure codecs (mmc.ts); this file only sends, waits and turns sense into errors.
import * as mmc from './mmc.js';
import { classifySense, decodeSense, describeSense, type Sense } from './sense.js';
import type { DataDirection, ScsiReply, Transport } from './transport.js';
import type { DiscReport, ReadDiscOptions } from './disc.js';

/** A command the drive refused or could not carry out; `sense` says why when the drive said. */
export class DriveError extends Error {
  override name = 'DriveError';
  constructor(
    message: string,
    readonly command: string,
    readonly sense: Sense | null = null,
  ) {
    super(message);
  }
}

/** The drive reports no medium (2/3A/xx). */
export class NoMediumError extends DriveError {
  override name = 'NoMediumError';
}

/** The device answers INQUIRY but is not an MMC (CD/DVD/BD) drive, or does not answer at all. */
export class NotMmcDriveError extends DriveError {
  override name = 'NotMmcDriveError';
}

export interface DriveOptions {
  /** How to wait between retries (tests pass a fake clock). */
  sleep?: (ms: number) => Promise<void>;
  /** How commandSync waits between retries (blocks the thread by default). */
  sleepSync?: (ms: number) => void;
  /** How long a not-ready/busy drive is waited for before giving up, ms. */
  readyTimeoutMs?: number;
}

export interface CommandOptions {
  direction?: DataDirection;
  inLength?: number;
  data?: Buffer;
  timeoutMs?: number;
  /** How long to keep retrying a not-ready/busy drive for this command (a format: an hour). */
  readyTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** cdrecord polls a drive that is becoming ready for up to a minute; libburn similarly. */
const DEFAULT_READY_TIMEOUT_MS = 120_000;
/** Unit attentions come one per event; a handful in a row means something else is wrong. */
const MAX_UNIT_ATTENTIONS = 5;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const blockingSleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Short waits first (a long write clears in milliseconds), then up to half a second. */
const pauseMs = (attempt: number) => Math.min(500, 10 * 2 ** Math.min(attempt, 6));

interface RetryState {
  started: number;
  waited: number;
  attentions: number;
  readyTimeoutMs: number;
}

export class Drive {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly sleepSync: (ms: number) => void;
  private readonly readyTimeoutMs: number;
  /** Counts 6/28/00 (medium may have changed): whoever cached the medium's state re-reads it. */
  mediumChanges = 0;
  /** Every command sent, in order (opcode names), for tests and -v. */
  readonly log: string[] = [];

  constructor(
    readonly transport: Transport,
    opts: DriveOptions = {},
  ) {
    this.sleep = opts.sleep ?? defaultSleep;
    this.sleepSync = opts.sleepSync ?? ((ms) => void blockingSleep(ms));
    this.readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  }

  get name(): string {
    return this.transport.name;
  }

  /**
   * Sends one command. Retries while the drive is becoming ready, busy (long write or
   * operation in progress) or reports a unit attention; recovered errors count as success.
   * Throws NoMediumError for 2/3A, DriveError for everything else.
   */
  async command(name: string, cdb: Buffer, opts: CommandOptions = {}): Promise<Buffer> {
    const direction = opts.direction ?? (opts.inLength ? 'in' : opts.data ? 'out' : 'none');
    const state: RetryState = { started: Date.now(), waited: 0, attentions: 0, readyTimeoutMs: opts.readyTimeoutMs ?? this.readyTimeoutMs };
    for (let attempt = 0; ; attempt++) {
      this.log.push(name);
      const reply: ScsiReply = await this.transport.execute({
        cdb,
        direction,
        data: opts.data,
        inLength: opts.inLength,
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      const verdict = this.judge(name, reply, state);
      if (verdict === 'again') continue;
      if (verdict === 'wait') {
        state.waited += await this.pause(attempt);
        continue;
      }
      return verdict;
    }
  }

  /**
   * `command` without yielding: for the synchronous image reader over a disc. Needs a
   * transport with executeSync; waits between retries block the thread.
   */
  commandSync(name: string, cdb: Buffer, opts: CommandOptions = {}): Buffer {
    const exec = this.transport.executeSync?.bind(this.transport);
    if (!exec) throw new DriveError(`${this.name}: ${name}: this transport cannot send commands synchronously`, name);
    const direction = opts.direction ?? (opts.inLength ? 'in' : opts.data ? 'out' : 'none');
    const state: RetryState = { started: Date.now(), waited: 0, attentions: 0, readyTimeoutMs: opts.readyTimeoutMs ?? this.readyTimeoutMs };
    for (let attempt = 0; ; attempt++) {
      this.log.push(name);
      const reply = exec({ cdb, direction, data: opts.data, inLength: opts.inLength, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
      const verdict = this.judge(name, reply, state);
      if (verdict === 'again') continue;
      if (verdict === 'wait') {
        const ms = pauseMs(attempt);
        this.sleepSync(ms);
        state.waited += ms;
        continue;
      }
      return verdict;
    }
  }

  /**
   * What to do with one reply: its data, send again at once, wait and send again, or throw
   * (NoMediumError for 2/3A, DriveError for everything else). Shared by both send loops.
   */
  private judge(name: string, reply: ScsiReply, state: RetryState): Buffer | 'again' | 'wait' {
    if (reply.transportError) throw new DriveError(`${this.name}: ${name} failed: ${reply.transportError}`, name);
    if (reply.status === 0) return reply.data;
    if (reply.status !== 2) {
      // BUSY (08h) or a reservation conflict: wait like a not-ready drive.
      if (reply.status === 0x08 && state.waited < state.readyTimeoutMs) return 'wait';
      throw new DriveError(`${this.name}: ${name} failed: SCSI status 0x${reply.status.toString(16)}`, name);
    }
    const sense = decodeSense(reply.sense);
    if (!sense) throw new DriveError(`${this.name}: ${name} failed: check condition without sense data`, name);
    switch (classifySense(sense)) {
      case 'recovered':
        return reply.data;
      case 'no-medium':
        throw new NoMediumError(`no medium in ${this.name}`, name, sense);
      case 'medium-changed':
        this.mediumChanges++;
        if (++state.attentions <= MAX_UNIT_ATTENTIONS) return 'again';
        break;
      case 'retry':
        if (sense.key === 0x6 && ++state.attentions > MAX_UNIT_ATTENTIONS) break;
        if (Math.max(state.waited, Date.now() - state.started) < state.readyTimeoutMs) return 'wait';
        throw new DriveError(
          `${this.name}: ${name} failed: the drive stayed busy for ${Math.round(state.readyTimeoutMs / 1000)} s: ${describeSense(sense)}`,
          name,
          sense,
        );
      case 'fatal':
        break;
    }
    throw new DriveError(`${this.name}: ${name} failed: ${describeSense(sense)}`, name, sense);
  }

  /** Short waits first (a long write clears in milliseconds), then up to half a second. */
  private async pause(attempt: number): Promise<number> {
    const ms = pauseMs(attempt);
    await this.sleep(ms);
    return ms;
  }

  async inquiry(): Promise<mmc.Inquiry> {
    return mmc.decodeInquiry(await this.command('INQUIRY', mmc.inquiryCdb(), { inLength: mmc.INQUIRY_LENGTH }));
  }

  /** TEST UNIT READY, waiting while the drive becomes ready; NoMediumError without a disc. */
  async testUnitReady(): Promise<void> {
    await this.command('TEST UNIT READY', mmc.testUnitReadyCdb());
  }

  async configuration(): Promise<mmc.Configuration> {
    return mmc.decodeConfiguration(await this.command('GET CONFIGURATION', mmc.getConfigurationCdb(), { inLength: 1024 }));
  }

  async discInformation(): Promise<mmc.DiscInformation> {
    return mmc.decodeDiscInformation(await this.command('READ DISC INFORMATION', mmc.readDiscInformationCdb(), { inLength: mmc.DISC_INFORMATION_LENGTH }));
  }

  async trackInformation(by: 'track' | 'lba', value: number): Promise<mmc.TrackInformation> {
    return mmc.decodeTrackInformation(
      await this.command('READ TRACK INFORMATION', mmc.readTrackInformationCdb(by, value), { inLength: mmc.TRACK_INFORMATION_LENGTH }),
    );
  }

  async toc(): Promise<mmc.Toc> {
    return mmc.decodeToc(await this.command('READ TOC', mmc.readTocCdb(0), { inLength: 4096 }));
  }

  async sessionInfo(): Promise<mmc.SessionInfo> {
    return mmc.decodeSessionInfo(await this.command('READ TOC', mmc.readTocCdb(1), { inLength: 12 }));
  }

  async fullToc(): Promise<ReturnType<typeof mmc.decodeFullToc>> {
    return mmc.decodeFullToc(await this.command('READ TOC', mmc.readTocCdb(2), { inLength: 4096 }));
  }

  async capacity(): Promise<mmc.Capacity> {
    return mmc.decodeCapacity(await this.command('READ CAPACITY', mmc.readCapacityCdb(), { inLength: 8 }));
  }

  /** READ(10) of whole 2048-byte sectors. */
  async read(lba: number, blocks: number): Promise<Buffer> {
    const data = await this.command('READ(10)', mmc.read10Cdb(lba, blocks), { inLength: blocks * 2048, timeoutMs: 60_000 });
    if (data.length !== blocks * 2048) throw new DriveError(`${this.name}: READ(10) at ${lba} returned ${data.length} of ${blocks * 2048} bytes`, 'READ(10)');
    return data;
  }

  /** READ(10) without yielding (commandSync): the image reader over a disc is synchronous. */
  readSync(lba: number, blocks: number): Buffer {
    const data = this.commandSync('READ(10)', mmc.read10Cdb(lba, blocks), { inLength: blocks * 2048, timeoutMs: 60_000 });
    if (data.length !== blocks * 2048) throw new DriveError(`${this.name}: READ(10) at ${lba} returned ${data.length} of ${blocks * 2048} bytes`, 'READ(10)');
    return data;
  }

  async modeSense(page: number, pageControl: 0 | 1 | 2 | 3 = 0): Promise<mmc.ModePage> {
    return mmc.decodeModeSense10(await this.command('MODE SENSE(10)', mmc.modeSense10Cdb(page, pageControl), { inLength: 0xff }));
  }

  /**
   * The disc in MediumStatus's shape (state, next, capacity, free, sessions), as image files
   * report it, plus the drive's own view (profile, tracks, LAST,NEXT): see disc.ts.
   */
  async mediumStatus(opts: ReadDiscOptions = {}): Promise<DiscReport> {
    const { readDisc } = await import('./disc.js');
    return readDisc(this, null, opts);
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * Opens an optical drive through SG_IO and checks it is one: INQUIRY must say peripheral
 * type 5 (MMC), else "not an MMC drive" — a disk or tape answers SG_IO too.
 */
export async function openDrive(path: string, opts: DriveOptions & { access?: 'read' | 'write' } = {}): Promise<{ drive: Drive; inquiry: mmc.Inquiry }> {
  const { SgIoTransport } = await import('./sg-io.js');
  const transport = await SgIoTransport.open(path, opts.access);
  const drive = new Drive(transport, opts);
  try {
    let inquiry: mmc.Inquiry;
    try {
      inquiry = await drive.inquiry();
    } catch (err) {
      if (err instanceof DriveError && /SG_IO failed \((ENOTTY|EINVAL)\)/.test(err.message))
        throw new NotMmcDriveError(`${path}: not an MMC drive (it does not take SCSI commands)`, 'INQUIRY');
      throw err;
    }
    if (inquiry.deviceType !== mmc.MMC_DEVICE_TYPE) {
      throw new NotMmcDriveError(
        `${path}: not an MMC drive (INQUIRY: peripheral type ${inquiry.deviceType}, ${[inquiry.vendor, inquiry.product].filter(Boolean).join(' ')})`,
        'INQUIRY',
      );
    }
    return { drive, inquiry };
  } catch (err) {
    drive.close();
    throw err;
  }
}
