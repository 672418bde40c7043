// iso-pack -z's streaming compressor: the zisofs form it builds equals the whole-file codec's,
// whatever the chunking; a file that gives up (bound passed, not shrinking, no sector saved)
// comes back plain byte for byte, the rest of the chunk that gave up included.
import t from 'tap';
import { createHash } from 'node:crypto';
import { compressFile } from '../dist/iso9660/zisofs.js';
import { ZisofsCompressor } from '../dist/pack/zisofs-writer.js';

const text = Buffer.from(Array.from({ length: 20000 }, (_, i) => `entry ${i}: nothing to report\n`).join(''));
const noise = Buffer.concat(Array.from({ length: 8000 }, (_, i) => createHash('sha256').update(`x${i}`).digest()));

function feed(data: Buffer, chunk: number, holdLimit: number) {
  const c = new ZisofsCompressor(data.length, { blockLog2: 15, holdLimit });
  const plain: Buffer[] = [];
  let gaveUp = false;
  for (let off = 0; off < data.length; off += chunk) {
    const piece = data.subarray(off, off + chunk);
    if (gaveUp) plain.push(piece);
    else if (!c.push(piece)) {
      gaveUp = true;
      for (const p of c.plain()) plain.push(Buffer.from(p));
    }
  }
  if (gaveUp) return { z: null, plain: Buffer.concat(plain) };
  const z = c.finish();
  if (z) return { z, plain: null };
  return { z: null, plain: Buffer.concat([...c.plain()].map((b) => Buffer.from(b))) };
}

t.test('the streamed form is the whole-file form, for any chunking', async (t) => {
  const whole = compressFile(text)!;
  for (const chunk of [1000, 32768, 50000, 1 << 20]) {
    const { z } = feed(text, chunk, 64 << 20);
    t.ok(z, `chunks of ${chunk}`);
    t.ok(Buffer.concat(z!.parts).equals(whole), `chunks of ${chunk}: same bytes`);
    t.equal(z!.bytes, whole.length);
    t.same(z!.zf, { algorithm: 'pz', headerSize: 16, blockLog2: 15, size: text.length });
  }
});

t.test('giving up gives the plain bytes back', async (t) => {
  for (const chunk of [3000, 65536, 300000]) {
    const bound = feed(text, chunk, 4096);
    t.equal(bound.z, null, `bound passed, chunks of ${chunk}`);
    t.ok(bound.plain!.equals(text), `bound passed, chunks of ${chunk}: plain bytes`);
    const rand = feed(noise, chunk, 64 << 20);
    t.equal(rand.z, null, `incompressible, chunks of ${chunk}`);
    t.ok(rand.plain!.equals(noise), `incompressible, chunks of ${chunk}: plain bytes`);
  }
  const short = Buffer.from('x'.repeat(1500));
  const r = feed(short, 1000, 64 << 20);
  t.equal(r.z, null, 'one sector either way: plain');
  t.ok(r.plain!.equals(short));
});
