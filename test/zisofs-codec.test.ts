// zisofs v1 codec: the ZF entry, the file header, the pointer table and whole files, byte
// for byte where the format fixes the bytes, and hostile input refused with a reason.
import t from 'tap';
import { inflateSync } from 'node:zlib';
import {
  compressFile,
  decodeHeader,
  decodePointers,
  decodeZf,
  decompressBlock,
  decompressFile,
  encodeHeader,
  encodePointers,
  encodeZf,
  formatZf,
  parseZf,
  tableEnd,
  zfProblem,
} from '../dist/iso9660/zisofs.js';

const ZF = { algorithm: 'pz', headerSize: 16, blockLog2: 15, size: 0x12345 };

t.test('ZF entry', async (t) => {
  const b = encodeZf(ZF);
  t.equal(b.toString('hex'), '5a46' + '1001' + '707a' + '04' + '0f' + '45230100' + '00012345');
  t.same(decodeZf(b, 0, b.length), ZF);
  t.equal(decodeZf(b, 0, 15), null, 'a short entry decodes to nothing');
  t.equal(formatZf(ZF), 'pz,16,15,74565');
  t.same(parseZf('pz,16,17,0'), { algorithm: 'pz', headerSize: 16, blockLog2: 17, size: 0 });
  for (const bad of ['pz,16,15', 'pz,16,15,-1', 'pz,16,18,5', 'pz,8,15,5', 'PZ,16,15,5', 'xx,16,15,5', 'pz,16,15,4294967296'])
    t.throws(() => parseZf(bad), { name: 'ZisofsError' }, bad);
  t.match(zfProblem({ ...ZF, algorithm: 'PZ' }), /zisofs2/);
  t.match(zfProblem({ ...ZF, algorithm: 'Z2' }), /zisofs2/);
});

t.test('file header and pointer table', async (t) => {
  const h = encodeHeader(100000, 15);
  t.equal(h.toString('hex'), '37e45396c9dbd607' + 'a0860100' + '04' + '0f' + '0000');
  t.same(decodeHeader(h), { size: 100000, headerSize: 16, blockLog2: 15 });
  t.throws(() => decodeHeader(Buffer.alloc(16)), /magic/);
  t.equal(tableEnd(100000, 15), 16 + 4 * 5, '4 blocks, 5 pointers');
  t.equal(tableEnd(0, 15), 20, 'an empty file has one pointer');
  const p = encodePointers([36, 40, 40, 90]);
  t.equal(p.toString('hex'), '24000000' + '28000000' + '28000000' + '5a000000');
  t.same(decodePointers(p, 3, 90, 15), [36, 40, 40, 90]);
  t.throws(() => decodePointers(p, 3, 89, 15), /pointer 3 \(90\) lies outside/);
  t.throws(() => decodePointers(encodePointers([36, 30, 40, 90]), 3, 90, 15), /pointer 1 \(30\) lies outside/);
  t.throws(() => decodePointers(encodePointers([36, 50, 40, 90]), 3, 90, 15), /pointer 2 \(40\) lies before/);
  t.throws(() => decodePointers(encodePointers([36, 36 + 40000]), 1, 1e6, 15), /longer than any compressed block/);
  t.throws(() => decodePointers(Buffer.alloc(8), 3, 90, 15), /runs past/);
});

t.test('whole files round trip', async (t) => {
  const text = Buffer.from('all work and no play makes jack a dull boy\n'.repeat(5000));
  for (const log2 of [15, 16, 17]) {
    const z = compressFile(text, log2)!;
    t.ok(z && z.length < text.length / 10, `2^${log2}: shrinks`);
    t.same(decodeHeader(z), { size: text.length, headerSize: 16, blockLog2: log2 });
    t.ok(decompressFile(z, { algorithm: 'pz', headerSize: 16, blockLog2: log2, size: text.length }).equals(text));
    t.ok(compressFile(text, log2)!.equals(z), 'deterministic');
  }
  // 3 blocks, 4 pointers: the data starts at 32. Zero blocks are stored as nothing (pointer k = pointer k+1), as mkzftree and libisofs do.
  const sparse = Buffer.concat([Buffer.alloc(65536), text.subarray(0, 100)]);
  const z = compressFile(sparse)!;
  t.equal(z.readUInt32LE(16), 32);
  t.equal(z.readUInt32LE(20), 32);
  t.equal(z.readUInt32LE(24), 32);
  t.ok(inflateSync(z.subarray(32)).equals(text.subarray(0, 100)));
  t.ok(decompressFile(z, { ...ZF, size: sparse.length }).equals(sparse));
  // Incompressible, or not shorter in whole sectors: stays plain.
  const noise = Buffer.alloc(100000);
  for (let i = 0; i < noise.length; i++) noise[i] = ((i * 2654435761) >>> 24) ^ ((i * 40503) & 0xff);
  t.equal(compressFile(Buffer.from('x')), null, 'one byte');
  t.equal(compressFile(Buffer.alloc(0)), null, 'empty');
  t.equal(compressFile(Buffer.from('a'.repeat(2000))), null, 'one sector either way');
  t.ok(compressFile(Buffer.from('a'.repeat(5000))), 'three sectors to one');
});

t.test('hostile blocks and headers', async (t) => {
  const text = Buffer.from('hostile\n'.repeat(10000));
  const zf = { ...ZF, size: text.length };
  const z = compressFile(text)!;
  t.throws(() => decompressBlock(Buffer.from('not zlib'), 32768, 0), /block 0 does not inflate/);
  const bad = Buffer.from(z);
  bad[z.readUInt32LE(16) + 10] ^= 0xff;
  t.throws(() => decompressFile(bad, zf), { name: 'ZisofsError' });
  t.throws(() => decompressFile(z, { ...zf, size: text.length + 1 }), /header says/);
  t.throws(() => decompressFile(z, { ...zf, blockLog2: 16 }), { name: 'ZisofsError' }, 'another block size reads other pointers');
  // A block that inflates to more than its share (a zip bomb) stops at one block.
  const bomb = compressFile(Buffer.alloc(32768, 1))!;
  t.throws(() => decompressBlock(bomb.subarray(bomb.readUInt32LE(16)), 100, 0), /block 0/);
});
