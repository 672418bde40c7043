// The head-last stream's CRC-32 (docs/stream-format.md: zlib's polynomial), kept by iso-pack
// as it writes the stream and by cd-write as it receives it. node:zlib's CRC-32 runs at about
// 5 GB/s here, libdeflate's (carry-less multiplication) at about 14: into a pipe, the CRC was
// the largest single cost of iso-pack's main thread after the copies (bench/RESULTS.md,
// thirteenth round). libdeflate is a common Debian library (libdeflate0), reached through
// koffi once the stream is long, since loading koffi costs about 40 ms; without either, the
// CRC stays node:zlib's. Both give the same value, so the switch happens mid-stream.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { nativeLibrary } from './libc.js';
import { LONG_STREAM_BYTES } from './pipe-size.js';

type Crc32 = (crc: number, data: Buffer) => number;

const viaZlib: Crc32 = (crc, data) => zlibCrc32(data, crc);

let viaLibdeflate: Crc32 | null | undefined;

/** libdeflate's CRC-32, or null where it (or koffi) is missing. */
function libdeflateCrc32(): Crc32 | null {
  if (viaLibdeflate === undefined) {
    try {
      const f = nativeLibrary('libdeflate.so.0')?.func('uint32_t libdeflate_crc32(uint32_t, const void *, size_t)');
      viaLibdeflate = f ? (crc, data) => f(crc, data, data.length) : null;
    } catch {
      viaLibdeflate = null;
    }
  }
  return viaLibdeflate;
}

export class StreamCrc {
  private crc = 0;
  private shortLeft = LONG_STREAM_BYTES;
  private crc32 = viaZlib;

  /** Adds `data`, the next bytes of the stream. */
  update(data: Buffer): void {
    if (data.length === 0) return;
    if (this.shortLeft > 0 && (this.shortLeft -= data.length) <= 0) this.crc32 = libdeflateCrc32() ?? viaZlib;
    this.crc = this.crc32(this.crc, data);
  }

  /** The CRC-32 of the bytes so far, unsigned. */
  get value(): number {
    return this.crc >>> 0;
  }

  /** Which implementation takes the next bytes (for the tests). */
  get engine(): 'zlib' | 'libdeflate' {
    return this.crc32 === viaZlib ? 'zlib' : 'libdeflate';
  }
}
