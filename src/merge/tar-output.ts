// Tar entries written to a file descriptor (or handed to a function) with blocking writes through a 1 MiB buffer
// (one write per pipe buffer, not per header; headers are encoded straight into it).
// Nothing is flushed after a failure, and the end-of-archive marker is written only by
// finish(): a run that fails leaves a tar that every reader, iso-pack included, rejects as
// truncated.
import { writeAll } from '../session/io.js';
import { LongStream } from '../session/pipe-size.js';
import { encodeEntryHeader, encodeGlobalHeader, END_OF_ARCHIVE, entryHeaderBound, type OutEntry, paddingFor, writeEntryHeader } from '../tar/header.js';

const BUFFER = 1 << 20;
const ZEROS = Buffer.alloc(BUFFER);

export class TarOutput {
  private readonly buf = Buffer.allocUnsafe(BUFFER);
  private fill = 0;
  /** Bytes handed to write(), for reports. */
  bytes = 0;

  private readonly sink: (b: Buffer) => void;

  /** @param to a descriptor, or a function given every piece (iso-pack -M feeds its own parser;
   *  a piece is only valid during the call) */
  constructor(to: number | ((b: Buffer) => void)) {
    if (typeof to === 'number') {
      const stream = new LongStream(to);
      this.sink = (b) => {
        writeAll(to, b);
        stream.passed(b.length);
      };
    } else this.sink = to;
  }

  /** Header blocks of an entry; its data (if any) follows with data() and end(). */
  header(e: OutEntry): void {
    const room = entryHeaderBound(e);
    if (room > BUFFER - this.fill) {
      this.flush();
      if (room > BUFFER) {
        this.write(encodeEntryHeader(e)); // pax records of a megabyte: rare enough to allocate
        return;
      }
    }
    const end = writeEntryHeader(e, this.buf, this.fill);
    this.bytes += end - this.fill;
    this.fill = end;
  }

  data(chunk: Buffer): void {
    this.write(chunk);
  }

  /** Pads the data of an entry of `size` bytes to a whole block. */
  endData(size: number): void {
    const pad = paddingFor(size);
    if (pad) this.write(ZEROS.subarray(0, pad));
  }

  /** A pax global header (no entry of its own). */
  globalHeader(records: [string, string][]): void {
    this.write(encodeGlobalHeader(records));
  }

  /** Writes the end-of-archive marker and everything still buffered. */
  finish(): void {
    this.write(END_OF_ARCHIVE);
    this.flush();
  }

  private write(b: Buffer): void {
    this.bytes += b.length;
    if (b.length > BUFFER - this.fill) {
      this.flush();
      if (b.length >= BUFFER / 2) {
        this.sink(b);
        return;
      }
    }
    b.copy(this.buf, this.fill);
    this.fill += b.length;
  }

  private flush(): void {
    if (this.fill === 0) return;
    this.sink(this.buf.subarray(0, this.fill));
    this.fill = 0;
  }
}
