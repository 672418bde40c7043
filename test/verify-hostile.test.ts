// cd-verify on crafted images (loops, extents and sizes past the end, endless continuation
// chains, malformed records, a root past the end): exit 1 with findings, quickly, never a
// crash or a hang.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, sh, verify } from './helpers/verify.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-verify-hostile-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const SECTOR = 2048;
const src = join(work, 'src');
mkdirSync(join(src, 'sub/deeper'), { recursive: true });
writeFileSync(join(src, 'a.txt'), 'a\n');
writeFileSync(join(src, 'sub/deeper/x'), 'x\n');
writeFileSync(join(src, 'L'.repeat(150)), 'long\n');
symlinkSync('a.txt', join(src, 's'));
const goodPath = join(work, 'good.iso');
sh(`tar -C ${src} -cf - . | ${process.execPath} ${new URL('../bin/iso-pack.js', import.meta.url).pathname} -q --md5 -o ${goodPath}`);
const good = readFileSync(goodPath);

const put733 = (b: Buffer, off: number, v: number) => {
  b.writeUInt32LE(v >>> 0, off);
  b.writeUInt32BE(v >>> 0, off + 4);
};

/** Records of a one-sector directory by Rock Ridge name. */
function records(b: Buffer, lba: number): { off: number; name: string; extent: number }[] {
  const out = [];
  for (let off = lba * SECTOR; b[off] !== 0 && off < (lba + 1) * SECTOR; off += b[off]) {
    const nm = b.indexOf('NM', off + 33, 'latin1');
    const id = b[off + 33];
    const name = b[off + 32] === 1 && id < 2 ? ['.', '..'][id] : nm > 0 && nm < off + b[off] ? b.toString('latin1', nm + 5, nm + b[nm + 2]) : '';
    out.push({ off, name, extent: b.readUInt32LE(off + 2) });
  }
  return out;
}

const rootLba = good.readUInt32LE(16 * SECTOR + 158);
const root = records(good, rootLba);
const rec = (name: string) => root.find((r) => r.name === name)!;
const sub = rec('sub');
const deeper = records(good, sub.extent).find((r) => r.name === 'deeper')!;
const longRec = root.find((r) => r.name === '')!;
const ceAt = good.indexOf('CE', longRec.off + 33, 'latin1');

const cases: { name: string; patch: (b: Buffer) => Buffer; want: { kind: string; lba?: number; path?: string } }[] = [
  { name: 'a directory loop', patch: (b) => (put733(b, deeper.off + 2, rootLba), b), want: { kind: 'directory', lba: rootLba, path: '/sub/deeper' } },
  { name: 'a file extent past the end', patch: (b) => (put733(b, rec('a.txt').off + 2, 0xffffff00), b), want: { kind: 'extent', path: '/a.txt' } },
  { name: 'an absurd file size', patch: (b) => (put733(b, rec('a.txt').off + 10, 0xffffffff), b), want: { kind: 'extent', path: '/a.txt' } },
  { name: 'an absurd directory size', patch: (b) => (put733(b, sub.off + 10, 0xfffff800), b), want: { kind: 'extent', path: '/sub' } },
  {
    name: 'a continuation chain that never ends',
    patch: (b) => {
      const block = b.readUInt32LE(ceAt + 4);
      const offset = b.readUInt32LE(ceAt + 12);
      const area = block * SECTOR + offset;
      b.fill(0, area, area + b.readUInt32LE(ceAt + 20));
      b.write('CE', area, 'latin1');
      b[area + 2] = 28;
      b[area + 3] = 1;
      put733(b, area + 4, block);
      put733(b, area + 12, offset);
      put733(b, area + 20, 28);
      return b;
    },
    want: { kind: 'rock-ridge' },
  },
  { name: 'a continuation area past the end', patch: (b) => (put733(b, ceAt + 4, 0x7ffffff0), b), want: { kind: 'rock-ridge', lba: 0x7ffffff0 } },
  { name: 'a record shorter than its fixed part', patch: (b) => ((b[rec('s').off] = 20), b), want: { kind: 'directory', lba: rootLba } },
  { name: 'an identifier longer than its record', patch: (b) => ((b[rec('s').off + 32] = 200), b), want: { kind: 'directory', lba: rootLba } },
  { name: 'a root directory past the end', patch: (b) => (put733(b, 16 * SECTOR + 158, 0x10000000), b), want: { kind: 'extent', lba: 16 } },
  { name: 'an L path table past the end', patch: (b) => (b.writeUInt32LE(0x10000000, 16 * SECTOR + 140), b), want: { kind: 'path-table', lba: 16 } },
  {
    name: 'an absurd checksum array',
    patch: (b) => {
      const ca = b.indexOf(Buffer.from([0x04, 0x63, 0x61]), rootLba * SECTOR); // isofs.ca on the root
      b.writeUInt32BE(0x7fffffff, ca + 5 + 11); // COUNT
      return b;
    },
    want: { kind: 'checksum-array' },
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const image = join(work, 'bad.iso');
    writeFileSync(image, c.patch(Buffer.from(good)));
    const t0 = Date.now();
    const v = verify(['--dev', image]);
    t.equal(v.status, 1, 'exit 1');
    t.ok(Date.now() - t0 < 20_000, 'no hang');
    t.notMatch(v.stderr, /\n\s+at /, 'no stack trace');
    t.ok(v.summary, 'a summary: the check ran to its end');
    const hit = v.findings.some((f) => Object.entries(c.want).every(([k, x]) => f[k] === x));
    t.ok(hit, `a finding ${JSON.stringify(c.want)}`) || t.comment(describe(v));
  });
}

t.test('the unpatched image is clean', async (t) => {
  const v = verify(['--dev', goodPath]);
  t.equal(v.status, 0);
  t.same(v.findings, []) || t.comment(describe(v));
});
