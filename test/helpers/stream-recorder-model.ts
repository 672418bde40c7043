// The recorder model (recorder-model.ts) plus what the two-session commit reads back from the
// disc: READ TOC format 1 (the newest session's first track) and READ(10) of what was written.
import type { ScsiCommand, ScsiReply } from '../../src/drive/transport.js';
import { RecorderModel } from './recorder-model.js';

export class StreamRecorderModel extends RecorderModel {
  override async execute(cmd: ScsiCommand): Promise<ScsiReply> {
    const c = cmd.cdb;
    if (c[0] === 0x43 && (c[2] & 0x0f) === 1 && !this.faults.some((f) => (f.times ?? 1) > 0 && f.match(cmd, this))) {
      this.trace.push(Buffer.from(c));
      const b = Buffer.alloc(12);
      b.writeUInt16BE(10, 0);
      b[2] = 1;
      b[3] = Math.max(1, this.sessions.length);
      b[5] = 0x14;
      const last = this.sessions[this.sessions.length - 1];
      b[6] = Math.max(1, this.sessions.length);
      b.writeInt32BE(last ? last.start : 0, 8);
      return { status: 0, sense: Buffer.alloc(0), data: b };
    }
    if (c[0] === 0x28 && !this.faults.some((f) => (f.times ?? 1) > 0 && f.match(cmd, this))) {
      this.trace.push(Buffer.from(c));
      return { status: 0, sense: Buffer.alloc(0), data: this.read(c.readInt32BE(2), c.readUInt16BE(7)) };
    }
    return super.execute(cmd);
  }
}
