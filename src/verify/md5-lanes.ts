// MD5 of many short messages at once: four messages side by side in the four 32-bit lanes
// of WebAssembly SIMD vectors. MD5 is sequential within a message, so one message cannot
// go faster than OpenSSL's; four independent ones (a block of small files) go about twice
// as fast in all. The WebAssembly function is emitted here as bytes (no toolchain): it
// runs whole 64-byte blocks for four lanes; padding and lane scheduling are done in
// TypeScript. Without WebAssembly SIMD, each message is hashed by node:crypto.
import { hash } from 'node:crypto';
import { MD5_BYTES } from '../iso9660/checksum-tags.js';

const LANES = 4;
const BLOCK = 64;
const IV = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

// Memory layout: the lanes' state (four vectors a, b, c, d, lane-interleaved), a padded
// tail (two blocks) per lane, then the data area the caller reads messages into.
const STATE_AT = 0;
const TAIL_AT = 64;
const TAIL_BYTES = 2 * BLOCK;
const DATA_AT = TAIL_AT + LANES * TAIL_BYTES;
const PAGE = 65536;

// --- the WebAssembly module -----------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (text: string): number[] => vec([...Buffer.from(text)].map((c) => [c]));

const I32 = 0x7f;
const V128 = 0x7b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_EQZ = 0x45;
const SIMD = { load: 0, store: 11, const: 12, shuffle: 13, not: 77, or: 80, xor: 81, bitselect: 82, shl: 171, shrU: 173, add: 174 };

const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const get = (i: number): number[] => [LOCAL_GET, ...uleb(i)];
const set = (i: number): number[] => [LOCAL_SET, ...uleb(i)];
const i32 = (n: number): number[] => [I32_CONST, ...sleb(n | 0)];
/** memarg: alignment 2^4, then the offset. */
const at = (offset: number): number[] => [4, ...uleb(offset)];

function splat(x: number): number[] {
  const b = Buffer.alloc(16);
  for (let k = 0; k < 4; k++) b.writeUInt32LE(x, 4 * k);
  return simd(SIMD.const, ...b);
}

/** i8x16.shuffle picking 32-bit lanes (0-3: first operand, 4-7: second). */
function pick(lanes: number[]): number[] {
  const bytes: number[] = [];
  for (const l of lanes) for (let k = 0; k < 4; k++) bytes.push(4 * l + k);
  return simd(SIMD.shuffle, ...bytes);
}

const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/**
 * md5x4(p0, p1, p2, p3, blocks): runs `blocks` 64-byte blocks of each lane's message, lane
 * k reading from byte pk on, over the state at STATE_AT.
 */
function md5x4Module(pages: number): Uint8Array<ArrayBuffer> {
  const BLOCKS = 4;
  // v128 locals: the block's 16 words, the state, the state at the block's start, scratch.
  const M = 5;
  const S = M + 16;
  const S0 = S + 4;
  const TMP = S0 + 4;
  const ROW = TMP + 1;
  const HALF = ROW + 4;
  const v128Locals = 16 + 4 + 4 + 1 + 4 + 4;
  const body: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) body.push(...p);
  };
  for (let k = 0; k < 4; k++) emit(i32(STATE_AT), simd(SIMD.load, ...at(16 * k)), set(S + k));
  emit([0x02, 0x40, 0x03, 0x40]); // block, loop
  emit(get(BLOCKS), [I32_EQZ, 0x0d, 1]); // br_if out of the block
  // Word w of lane k to lane k of M[w]: four 4×4 transposes.
  for (let q = 0; q < 4; q++) {
    for (let k = 0; k < LANES; k++) emit(get(k), simd(SIMD.load, ...at(16 * q)), set(ROW + k));
    emit(get(ROW), get(ROW + 1), pick([0, 4, 1, 5]), set(HALF));
    emit(get(ROW + 2), get(ROW + 3), pick([0, 4, 1, 5]), set(HALF + 1));
    emit(get(ROW), get(ROW + 1), pick([2, 6, 3, 7]), set(HALF + 2));
    emit(get(ROW + 2), get(ROW + 3), pick([2, 6, 3, 7]), set(HALF + 3));
    emit(get(HALF), get(HALF + 1), pick([0, 1, 4, 5]), set(M + 4 * q));
    emit(get(HALF), get(HALF + 1), pick([2, 3, 6, 7]), set(M + 4 * q + 1));
    emit(get(HALF + 2), get(HALF + 3), pick([0, 1, 4, 5]), set(M + 4 * q + 2));
    emit(get(HALF + 2), get(HALF + 3), pick([2, 3, 6, 7]), set(M + 4 * q + 3));
  }
  for (let k = 0; k < 4; k++) emit(get(S + k), set(S0 + k));
  // The 64 steps, the names a, b, c, d rotating over the four state locals.
  let [a, b, c, d] = [S, S + 1, S + 2, S + 3];
  for (let i = 0; i < 64; i++) {
    const round = i >> 4;
    let word: number;
    emit(get(a));
    if (round === 0) {
      emit(get(c), get(d), get(b), simd(SIMD.bitselect)); // (b & c) | (~b & d)
      word = i;
    } else if (round === 1) {
      emit(get(b), get(c), get(d), simd(SIMD.bitselect)); // (d & b) | (~d & c)
      word = (5 * i + 1) % 16;
    } else if (round === 2) {
      emit(get(b), get(c), simd(SIMD.xor), get(d), simd(SIMD.xor));
      word = (3 * i + 5) % 16;
    } else {
      emit(get(c), get(b), get(d), simd(SIMD.not), simd(SIMD.or), simd(SIMD.xor)); // c ^ (b | ~d)
      word = (7 * i) % 16;
    }
    const shift = SHIFTS[round * 4 + (i & 3)];
    emit(simd(SIMD.add), splat(K[i]), simd(SIMD.add), get(M + word), simd(SIMD.add), [LOCAL_TEE, ...uleb(TMP)]);
    emit(i32(shift), simd(SIMD.shl), get(TMP), i32(32 - shift), simd(SIMD.shrU), simd(SIMD.or), get(b), simd(SIMD.add), set(a));
    [a, b, c, d] = [d, a, b, c];
  }
  // 64 steps rotate the names back to where they started.
  for (let k = 0; k < 4; k++) emit(get(S + k), get(S0 + k), simd(SIMD.add), set(S + k));
  for (let k = 0; k < LANES; k++) emit(get(k), i32(BLOCK), [I32_ADD], set(k));
  emit(get(BLOCKS), i32(1), [I32_SUB], set(BLOCKS));
  emit([0x0c, 0, 0x0b, 0x0b]); // br to the loop, end loop, end block
  for (let k = 0; k < 4; k++) emit(i32(STATE_AT), get(S + k), simd(SIMD.store, ...at(16 * k)));
  emit([0x0b]);
  const code = [...vec([[...uleb(v128Locals), V128]]), ...body];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(
      7,
      vec([
        [...name('md5x4'), 0x00, 0],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

type Md5x4 = (p0: number, p1: number, p2: number, p3: number, blocks: number) => void;

/** The instantiated function and two views of its memory. */
interface Engine {
  run: Md5x4;
  words: Uint32Array;
  bytes: Buffer;
}

function instantiate(dataBytes: number): Engine | null {
  try {
    const pages = Math.ceil((DATA_AT + dataBytes) / PAGE);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(md5x4Module(pages)));
    const memory = (instance.exports.memory as WebAssembly.Memory).buffer;
    return { run: instance.exports.md5x4 as Md5x4, words: new Uint32Array(memory), bytes: Buffer.from(memory) };
  } catch {
    return null;
  }
}

// --- lanes ----------------------------------------------------------------------------

/** MD5s of messages laid out in `data`, four at a time. */
export class Md5Lanes {
  /** Where messages are put to be hashed: `dataBytes` long. */
  readonly data: Buffer;
  private readonly engine: Engine | null;
  // Per lane: the message it holds (-1: none), where its next block is, how many blocks
  // of the message's own bytes are left, and whether its padded tail has been set up.
  private readonly message = new Int32Array(LANES);
  private readonly next = new Int32Array(LANES);
  private readonly left = new Int32Array(LANES);
  private readonly inTail = new Uint8Array(LANES);

  constructor(dataBytes: number) {
    this.engine = instantiate(dataBytes);
    this.data = this.engine ? this.engine.bytes.subarray(DATA_AT, DATA_AT + dataBytes) : Buffer.allocUnsafe(dataBytes);
  }

  /** False where WebAssembly SIMD is missing: each message is then hashed by node:crypto. */
  get vectorized(): boolean {
    return this.engine !== null;
  }

  /**
   * The MD5 of data[offsets[i] - base, + sizes[i]) for every i in [first, last), written
   * to `out` at 16 bytes per i.
   */
  digest(offsets: Float64Array, base: number, sizes: Float64Array, first: number, last: number, out: Uint8Array): void {
    const { engine } = this;
    if (!engine || last - first < LANES) {
      const view = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      for (let i = first; i < last; i++) {
        const off = offsets[i] - base;
        // Written as latin1 text into place: no Buffer per message.
        view.write(hash('md5', this.data.subarray(off, off + sizes[i]), 'binary'), i * MD5_BYTES, MD5_BYTES, 'latin1');
      }
      return;
    }
    const { run, words } = engine;
    const { message, next, left, inTail } = this;
    const outWords = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let taken = first;
    let busy = 0;
    for (let k = 0; k < LANES; k++) {
      message[k] = -1;
      if (taken < last) {
        this.load(engine, k, taken, offsets[taken] - base, sizes[taken]);
        taken++;
        busy++;
      }
    }
    while (busy > 0) {
      let blocks = 0x7fffffff;
      for (let k = 0; k < LANES; k++) if (message[k] >= 0 && left[k] < blocks) blocks = left[k];
      // An idle lane hashes the data area's first blocks into a state nobody reads.
      run(
        message[0] >= 0 ? next[0] : DATA_AT,
        message[1] >= 0 ? next[1] : DATA_AT,
        message[2] >= 0 ? next[2] : DATA_AT,
        message[3] >= 0 ? next[3] : DATA_AT,
        blocks,
      );
      for (let k = 0; k < LANES; k++) {
        if (message[k] < 0) continue;
        next[k] += blocks * BLOCK;
        left[k] -= blocks;
        if (left[k] > 0) continue;
        if (!inTail[k]) {
          this.tail(engine, k, offsets[message[k]] - base, sizes[message[k]]);
          continue;
        }
        const at = message[k] * MD5_BYTES;
        for (let w = 0; w < 4; w++) outWords.setUint32(at + 4 * w, words[STATE_AT / 4 + 4 * w + k], true);
        message[k] = -1;
        busy--;
        if (taken < last) {
          this.load(engine, k, taken, offsets[taken] - base, sizes[taken]);
          taken++;
          busy++;
        }
      }
    }
  }

  /** Starts message `index` (at data offset `off`, `size` bytes) in lane `k`. */
  private load(engine: Engine, k: number, index: number, off: number, size: number): void {
    for (let w = 0; w < 4; w++) engine.words[STATE_AT / 4 + 4 * w + k] = IV[w];
    this.message[k] = index;
    this.inTail[k] = 0;
    this.next[k] = DATA_AT + off;
    this.left[k] = Math.floor(size / BLOCK);
    if (this.left[k] === 0) this.tail(engine, k, off, size);
  }

  /** Copies the message's last partial block to the lane's tail area and pads it. */
  private tail({ bytes }: Engine, k: number, off: number, size: number): void {
    const at = TAIL_AT + k * TAIL_BYTES;
    const rest = size % BLOCK;
    const blocks = rest < BLOCK - 8 ? 1 : 2;
    bytes.copy(bytes, at, DATA_AT + off + size - rest, DATA_AT + off + size);
    bytes.fill(0, at + rest, at + blocks * BLOCK);
    bytes[at + rest] = 0x80;
    // The length in bits, 64-bit little-endian.
    bytes.writeUInt32LE((size * 8) >>> 0, at + blocks * BLOCK - 8);
    bytes.writeUInt32LE(Math.floor(size / 2 ** 29), at + blocks * BLOCK - 4);
    this.inTail[k] = 1;
    this.next[k] = at;
    this.left[k] = blocks;
  }
}
