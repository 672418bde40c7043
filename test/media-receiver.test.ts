// The session receiver: head-last streams (valid, cut anywhere, damaged) and plain images
// (where they were laid out for), in any chunking, in batches, in constant memory.
import t from 'tap';
import { crc32 } from 'node:zlib';
import { encodeStreamHeader, encodeStreamTrailer } from '../dist/session/format.js';
import { BATCH_BYTES, receiveSession, SessionStreamError, type SessionBegin, type SessionSink } from '../dist/session/receiver.js';
import { findBuiltFor, isPlausibleStart, isRootDirectorySector } from '../dist/session/plain-image.js';
import { decodeVolumeDescriptor, encodeTerminator } from '../dist/iso9660/volume-descriptor.js';

const SECTOR = 2048;

function both32(b: Buffer, off: number, v: number): void {
  b.writeUInt32LE(v, off);
  b.writeUInt32BE(v, off + 4);
}

function dotRecord(b: Buffer, off: number, id: number, lba: number): number {
  b[off] = 34;
  both32(b, off + 2, lba);
  both32(b, off + 10, SECTOR);
  b[off + 25] = 2;
  b[off + 32] = 1;
  b[off + 33] = id;
  return 34;
}

/**
 * A plain image laid out for `start`: PVD at 16 (root at `rootRel`, path tables just
 * before it), terminator, pseudo-random data elsewhere, root directory at `rootRel`.
 */
function plainImage(start: number, sectors: number, rootRel: number, seed = 1): Buffer {
  const img = Buffer.alloc(sectors * SECTOR);
  let x = seed;
  for (let i = 32 * SECTOR; i < img.length; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    img.writeUInt32LE(x, i);
  }
  const p = img.subarray(16 * SECTOR, 17 * SECTOR);
  p[0] = 1;
  p.write('CD001', 1, 'latin1');
  p[6] = 1;
  both32(p, 80, sectors);
  p.writeUInt16LE(SECTOR, 128);
  p.writeUInt16BE(SECTOR, 130);
  p.writeUInt32LE(start + rootRel - 2, 140);
  p.writeUInt32BE(start + rootRel - 1, 148);
  p[156] = 34;
  both32(p, 158, start + rootRel);
  both32(p, 166, SECTOR);
  p[181] = 2;
  p[881] = 1;
  encodeTerminator().copy(img, 17 * SECTOR);
  const root = img.subarray(rootRel * SECTOR, (rootRel + 1) * SECTOR);
  root.fill(0);
  const n = dotRecord(root, 0, 0, start + rootRel);
  dotRecord(root, n, 1, start + rootRel);
  return img;
}

/** The head-last stream of a plain image: header, sectors 32…, head, trailer. */
function headLast(img: Buffer, start: number): Buffer {
  const header = encodeStreamHeader({ start });
  const body = img.subarray(32 * SECTOR);
  const head = img.subarray(0, 32 * SECTOR);
  let crc = crc32(header);
  crc = crc32(body, crc);
  crc = crc32(head, crc);
  return Buffer.concat([header, body, head, encodeStreamTrailer({ start, sectors: img.length / SECTOR, crc32: crc })]);
}

/** A sink recording what it was given; `accept` decides the start. */
function memorySink(accept: (b: SessionBegin) => number = (b) => (b.kind === 'head-last' ? b.start : (b.builtFor ?? 0))) {
  const writes: { offset: number; length: number }[] = [];
  const sectors = new Map<number, Buffer>();
  const begins: SessionBegin[] = [];
  const sink: SessionSink = {
    begin: (b) => {
      begins.push(b);
      return accept(b);
    },
    write: (offset, data) => {
      writes.push({ offset, length: data.length });
      for (let i = 0; i < data.length / SECTOR; i++) sectors.set(offset + i, Buffer.from(data.subarray(i * SECTOR, (i + 1) * SECTOR)));
    },
  };
  return { sink, writes, sectors, begins };
}

function* chunked(buf: Buffer, sizes: number[]): Generator<Buffer> {
  let off = 0;
  let i = 0;
  while (off < buf.length) {
    const n = sizes[i++ % sizes.length];
    yield buf.subarray(off, off + n);
    off += n;
  }
}

/** The image reassembled from the sink (body) and the returned head. */
function reassembled(sectors: Map<number, Buffer>, head: Buffer, total: number): Buffer {
  const out = Buffer.alloc(total * SECTOR);
  head.copy(out, 0, 0, Math.min(head.length, out.length));
  for (const [off, s] of sectors) if (off < total) s.copy(out, off * SECTOR);
  return out;
}

const img = plainImage(64, 1600, 1590); // data first, root last, like iso-pack
const stream = headLast(img, 64);

t.test('a valid head-last stream, in any chunking', async (t) => {
  for (const sizes of [[stream.length], [1], [7, 2048, 65536], [3 << 20], [2047, 2049]]) {
    if (sizes[0] === 1 && sizes.length === 1) {
      // byte by byte is slow; a prefix of single bytes, then the rest
      const first = stream.subarray(0, 5000);
      const chunks = [...Array.from(first, (b) => Buffer.from([b])), stream.subarray(5000)];
      const m = memorySink();
      const r = receiveSession(chunks, m.sink);
      t.equal(r.sectors, 1600);
      continue;
    }
    const m = memorySink();
    const r = receiveSession(chunked(stream, sizes), m.sink);
    t.match(r, { kind: 'head-last', start: 64, sectors: 1600 }, `chunks ${sizes.join(',')}`);
    t.same(m.begins, [{ kind: 'head-last', start: 64, knownSectors: null, unchanged: false }]);
    t.ok(reassembled(m.sectors, r.head, 1600).equals(img), 'every sector where it belongs');
    t.equal(Math.min(...m.writes.map((w) => w.offset)), 32, 'body starts at offset 32');
    const small = m.writes.slice(0, -1).filter((w) => w.length < BATCH_BYTES);
    t.same(small, [], 'all writes but the last are at least 1 MiB');
  }
  const m = memorySink();
  receiveSession([stream], m.sink, { inputBytes: stream.length });
  t.same(m.begins[0], { kind: 'head-last', start: 64, knownSectors: 1600, unchanged: false }, 'size known for a file');
});

t.test('a stream cut anywhere commits nothing', async (t) => {
  const offsets = [0, 1, 100, 2047, 2048, 2049, 4096, 32 * SECTOR, 100 * SECTOR + 5];
  for (let s = 1500; s <= 1602; s += 7) offsets.push(s * SECTOR, s * SECTOR + 1000);
  offsets.push(stream.length - SECTOR, stream.length - 1, stream.length - 33 * SECTOR);
  for (const cut of offsets) {
    if (cut >= stream.length) continue;
    const m = memorySink();
    t.throws(() => receiveSession([stream.subarray(0, cut)], m.sink), SessionStreamError, `cut at ${cut}`);
  }
  const m = memorySink();
  t.throws(() => receiveSession([], m.sink), /empty/);
  t.throws(() => receiveSession([stream.subarray(0, stream.length - SECTOR)], memorySink().sink), /no valid trailer|cut short/);
  t.throws(() => receiveSession([stream.subarray(0, stream.length - 1)], memorySink().sink), /middle of a sector/);
});

t.test('damaged streams', async (t) => {
  const flipped = Buffer.from(stream);
  flipped[40 * SECTOR + 17] ^= 1;
  t.throws(() => receiveSession([flipped], memorySink().sink), /checksum does not match/);

  const headFlip = Buffer.from(stream);
  headFlip[stream.length - 20 * SECTOR] ^= 0x80;
  t.throws(() => receiveSession([headFlip], memorySink().sink), /checksum/);

  const wrongN = Buffer.from(stream);
  wrongN.writeUInt32LE(1599, stream.length - SECTOR + 24);
  t.throws(() => receiveSession([wrongN], memorySink().sink), /trailer says 1599/);

  const wrongS = Buffer.from(stream);
  wrongS.writeUInt32LE(96, stream.length - SECTOR + 20);
  t.throws(() => receiveSession([wrongS], memorySink().sink), /trailer names LBA 96/);

  const extra = Buffer.concat([stream, Buffer.alloc(SECTOR)]);
  t.throws(() => receiveSession([extra], memorySink().sink), /no valid trailer/, 'data after the trailer');

  for (const [off, v, re] of [
    [16, 2, /version 2/],
    [24, 2, /unknown flags/],
    [28, 16, /head length 16/],
  ] as const) {
    const bad = Buffer.from(stream);
    bad.writeUInt32LE(v, off);
    const m = memorySink();
    t.throws(() => receiveSession([bad], m.sink), re);
    t.same(m.begins, [], 'refused before begin');
  }
});

t.test("the header's unchanged flag reaches begin; the stream is still checked whole", async (t) => {
  const marked = Buffer.from(stream);
  marked.writeUInt32LE(1, 24);
  const m = memorySink();
  t.throws(() => receiveSession([marked], m.sink), /checksum does not match/, 'the flag is under the CRC');
  t.same(m.begins, [{ kind: 'head-last', start: 64, knownSectors: null, unchanged: true }]);
  const header = encodeStreamHeader({ start: 64, flags: 1 });
  t.equal(header.readUInt32LE(24), 1, 'encoded at offset 24');
});

t.test('a refusal in begin stops before any write', async (t) => {
  const m = memorySink(() => {
    throw new Error('packed for LBA 64, medium says 96');
  });
  t.throws(() => receiveSession([stream], m.sink), /packed for LBA 64/);
  t.same(m.writes, []);
});

t.test('plain image, metadata first: its start is known before any write', async (t) => {
  const meta = plainImage(288, 182, 28);
  const m = memorySink();
  const r = receiveSession(chunked(meta, [65536]), m.sink);
  t.match(m.begins, [{ kind: 'plain', builtFor: 288, knownSectors: 182 }]);
  t.match(r, { kind: 'plain', start: 288, sectors: 182, ignoredSectors: 0 });
  t.ok(reassembled(m.sectors, r.head, 182).equals(meta));
  const wrong = memorySink(() => 320);
  t.throws(() => receiveSession([meta], wrong.sink), /laid out for LBA 288, not for LBA 320/);
  t.same(wrong.writes, []);
});

t.test('plain image, data first, from a pipe: confirmed when the root goes by', async (t) => {
  const m = memorySink((b) => (b.kind === 'plain' && b.builtFor === null ? 64 : -1));
  const r = receiveSession(chunked(img, [1 << 16]), m.sink);
  t.match(m.begins, [{ kind: 'plain', builtFor: null }]);
  t.equal(r.start, 64);
  const wrong = memorySink(() => 96);
  t.throws(() => receiveSession(chunked(img, [1 << 16]), wrong.sink), /laid out for LBA 64, not for LBA 96/);
});

t.test('plain image from a file: peek finds the start, or where it belongs', async (t) => {
  const peek = (s: number, c: number) => (s + c <= img.length / SECTOR ? img.subarray(s * SECTOR, (s + c) * SECTOR) : null);
  const ok = memorySink();
  receiveSession([img], ok.sink, { peek, candidates: [64] });
  t.match(ok.begins, [{ builtFor: 64 }]);
  const other = memorySink(() => 0);
  t.throws(() => receiveSession([img], other.sink, { peek, candidates: [0, 32] }));
  t.match(other.begins, [{ builtFor: 64 }], 'found by search, for the refusal');
  const pvd = decodeVolumeDescriptor(img.subarray(16 * SECTOR, 17 * SECTOR));
  t.equal(findBuiltFor(pvd, peek), 64);
  t.ok(isPlausibleStart(pvd, 64));
  t.ok(isPlausibleStart(pvd, 96), 'data first: plausible for later starts too');
  t.notOk(isPlausibleStart(pvd, 2000));
  t.ok(isRootDirectorySector(img.subarray(1590 * SECTOR), 1654));
  t.notOk(isRootDirectorySector(img.subarray(1590 * SECTOR), 1655));
});

t.test('plain images cut short or not images at all', async (t) => {
  t.throws(
    () => receiveSession([img.subarray(0, 1000 * SECTOR)], memorySink((b) => (b.kind === 'plain' ? 64 : 0)).sink),
    /ended after 1000 sectors but its volume space size is 1600/,
  );
  t.throws(() => receiveSession([img.subarray(0, img.length - 5)], memorySink(() => 64).sink), /middle of a sector/);
  t.throws(() => receiveSession([img.subarray(0, 10 * SECTOR)], memorySink().sink), /too short/);
  t.throws(() => receiveSession([Buffer.alloc(40 * SECTOR, 0x41)], memorySink().sink), /no primary volume descriptor at sector 16/);
  t.throws(() => receiveSession([Buffer.from('hello\n')], memorySink().sink), /only 6 bytes/);
  const padded = Buffer.concat([plainImage(0, 40, 20), Buffer.alloc(3 * SECTOR, 1), Buffer.alloc(SECTOR)]);
  const m = memorySink();
  const r = receiveSession([padded], m.sink);
  t.equal(r.sectors, 40);
  t.equal(r.ignoredSectors, 3, 'non-zero sectors past the volume end are counted, not written');
  t.notOk([...m.sectors.keys()].some((k) => k >= 40));
  const tiny = plainImage(0, 24, 20);
  const rt = receiveSession([tiny], memorySink().sink);
  t.equal(rt.head.length, 32 * SECTOR, 'a session shorter than its head');
  t.ok(rt.head.subarray(0, 24 * SECTOR).equals(tiny));
});

t.test('memory stays flat for a large stream', async (t) => {
  const n = 64 * 512; // 64 MiB session
  const big = Buffer.alloc(n * SECTOR);
  img.copy(big, 0, 0, 32 * SECTOR); // head with a PVD (values are not looked at here)
  const header = encodeStreamHeader({ start: 32 });
  const body = big.subarray(32 * SECTOR);
  const head = big.subarray(0, 32 * SECTOR);
  const crc = crc32(head, crc32(body, crc32(header)));
  const trailer = encodeStreamTrailer({ start: 32, sectors: n, crc32: crc });
  function* source() {
    yield header;
    for (let off = 0; off < body.length; off += 1 << 20) yield body.subarray(off, off + (1 << 20));
    yield head;
    yield trailer;
  }
  global.gc?.();
  const before = process.memoryUsage().arrayBuffers;
  let peak = 0;
  let count = 0;
  const r = receiveSession(source(), {
    begin: () => 32,
    write: () => {
      count++;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    },
  });
  t.equal(r.sectors, n);
  t.ok(count <= 64, `${count} writes for 64 MiB`);
  t.ok(peak < 16 << 20, `extra buffer memory ${Math.round(peak / 1048576)} MiB`);
});
