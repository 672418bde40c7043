// Four-lane MD5 (src/verify/md5-lanes.ts): every digest equals node:crypto's, for lengths
// around each padding boundary (55, 56, 63, 64 bytes and their multiples), empty messages,
// messages that overlap or repeat, long ones beside short ones (lanes refilled at
// different times), fewer messages than lanes, and offsets that are not block-aligned.
import t from 'tap';
import { createHash } from 'node:crypto';
import { Md5Lanes } from '../dist/verify/md5-lanes.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** Digests of the messages (offset, size) in `lanes.data`, by Md5Lanes and by node:crypto. */
function both(lanes: Md5Lanes, base: number, list: [number, number][], first = 0, last = list.length) {
  const offsets = new Float64Array(list.map(([off]) => off + base));
  const sizes = new Float64Array(list.map(([, size]) => size));
  const out = new Uint8Array(list.length * 16);
  lanes.digest(offsets, base, sizes, first, last, out);
  const got: string[] = [];
  const want: string[] = [];
  for (let i = first; i < last; i++) {
    got.push(Buffer.from(out.subarray(i * 16, i * 16 + 16)).toString('hex'));
    want.push(md5(lanes.data.subarray(list[i][0], list[i][0] + list[i][1])));
  }
  return { got, want, out };
}

function fill(b: Buffer, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
}

t.test('the RFC 1321 test suite, four lanes at a time', async (t) => {
  const lanes = new Md5Lanes(1 << 16);
  t.ok(lanes.vectorized, 'WebAssembly SIMD hashes (Node 20 has it on x86-64 and arm64)');
  const texts = [
    '',
    'a',
    'abc',
    'message digest',
    'abcdefghijklmnopqrstuvwxyz',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
    '1234567890'.repeat(8),
  ];
  const want = [
    'd41d8cd98f00b204e9800998ecf8427e',
    '0cc175b9c0f1b6a831c399e269772661',
    '900150983cd24fb0d6963f7d28e17f72',
    'f96b697d7cb7938d525a2f31aaf161d0',
    'c3fcd3d76192e4007dfb496cca67e13b',
    'd174ab98d277d9f5a5611c2c9f419d9f',
    '57edf4a22be3c955ac49da2e2107b67a',
  ];
  const list: [number, number][] = [];
  let at = 0;
  for (const text of texts) {
    lanes.data.write(text, at, 'latin1');
    list.push([at, text.length]);
    at += text.length;
  }
  t.same(both(lanes, 0, list).got, want);
});

t.test('every length from 0 to 300 bytes, at odd offsets', async (t) => {
  const lanes = new Md5Lanes(1 << 20);
  fill(lanes.data, 7);
  const list: [number, number][] = [];
  let at = 3;
  for (let size = 0; size <= 300; size++) {
    list.push([at, size]);
    at += size + 5;
  }
  const { got, want } = both(lanes, 0, list);
  t.same(got, want);
});

t.test('short and long messages mixed, overlapping, repeated, at a base position', async (t) => {
  const lanes = new Md5Lanes(2 << 20);
  fill(lanes.data, 99);
  const list: [number, number][] = [];
  let x = 12345;
  for (let i = 0; i < 2000; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const size = i % 50 === 0 ? 100_000 + (x % 50_000) : x % 9000;
    const off = (x >>> 7) % (lanes.data.length - size);
    list.push([off, size]);
    if (i % 333 === 0) list.push([off, size]);
  }
  const base = 7 * 2 ** 32 + 2048;
  const { got, want } = both(lanes, base, list);
  t.equal(got.length, list.length);
  t.same(
    got.filter((g, i) => g !== want[i]),
    [],
    'every digest is the MD5 of its bytes',
  );
});

t.test('a range of the messages, and fewer messages than lanes', async (t) => {
  const lanes = new Md5Lanes(1 << 16);
  fill(lanes.data, 3);
  const list: [number, number][] = Array.from({ length: 12 }, (_, i) => [i * 1000, 64 * i + 1]);
  for (const [first, last] of [
    [0, 0],
    [0, 1],
    [2, 5],
    [1, 11],
    [0, 12],
  ]) {
    const { got, want, out } = both(lanes, 0, list, first, last);
    t.same(got, want, `messages ${first} to ${last}`);
    const untouched = [...out.subarray(0, first * 16), ...out.subarray(last * 16)];
    t.ok(
      untouched.every((b) => b === 0),
      'the digests outside the range are left alone',
    );
  }
});
