// How the drive layer talks to a drive: one SCSI command at a time, whatever carries it
// (SG_IO on Linux, an in-process model for fault injection). Commands and replies are
// encoded and decoded elsewhere (pure CDB codecs); a transport only moves bytes.

export type DataDirection = 'none' | 'in' | 'out';

export interface ScsiCommand {
  /** The command descriptor block, 6 to 16 bytes. */
  cdb: Buffer;
  direction: DataDirection;
  /** For 'out': the bytes sent to the drive. */
  data?: Buffer;
  /** For 'in': how many bytes to accept from the drive. */
  inLength?: number;
  timeoutMs: number;
}

export interface ScsiReply {
  /** SCSI status byte: 0 GOOD, 2 CHECK CONDITION, 8 BUSY, … */
  status: number;
  /** Sense data when status is CHECK CONDITION (possibly empty otherwise). */
  sense: Buffer;
  /** For 'in': the bytes received (inLength less the residual). Empty otherwise. */
  data: Buffer;
  /** Set when the command never reached the drive or the host adapter failed it. */
  transportError?: string;
}

export interface Transport {
  /** How to name the drive in messages, e.g. /dev/sr0. */
  readonly name: string;
  execute(command: ScsiCommand): Promise<ScsiReply>;
  /**
   * The same, blocking the thread until the drive answers: for the image reader, which is
   * synchronous, reading a disc (cd-verify, iso-merge). Optional: only reads need it.
   */
  executeSync?(command: ScsiCommand): ScsiReply;
  close(): void;
}
