#!/usr/bin/env node
// Same findings out: builds good images with iso-pack, genisoimage and xorriso (those that
// are installed), several hundred hostile copies of them (bytes of directory records,
// continuation areas and path tables patched; loops, endless continuation chains, CLs
// pointing astray, duplicate names…), and prints, for each, cd-verify's findings (with and
// without the source tar) and what the image reader makes of every session. Run it with
// the same DIR before and after a restructuring of the reader or cd-verify and diff the
// output (issue 14: the directory walker shared by both).
//   node scripts/same-findings.mjs DIR > OUT   (DIR keeps the images; needs a built dist/)
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { decodeVolumeDescriptor } = await import(dist('iso9660/volume-descriptor.js'));
const { decodePathTable } = await import(dist('iso9660/path-table.js'));
const { Image } = await import(dist('image/image.js'));
const { verifyMedium } = await import(dist('verify/verifier.js'));
const { FindingSink, findingJson } = await import(dist('verify/findings.js'));

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/same-findings.mjs DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const sh = (c) => execSync(c, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }).toString();
const say = (line) => process.stdout.write(line + '\n');

// ------------------------------------------------------------ the images
const S = 2048;
const src = join(out, 'src');
if (!existsSync(src)) {
  let d = join(src, 'deep');
  for (let i = 1; i <= 10; i++) mkdirSync((d = join(d, 'lvl' + i)), { recursive: true });
  writeFileSync(join(d, 'leaf'), 'leaf\n');
  mkdirSync(join(src, 'sub/deeper'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'a\n');
  writeFileSync(join(src, 'sub/deeper/x'), 'x\n');
  writeFileSync(join(src, 'sub/big.bin'), Buffer.alloc(70000, 7));
  writeFileSync(join(src, 'L'.repeat(150)), 'long\n');
  for (let i = 0; i < 40; i++) writeFileSync(join(src, 'sub', 'file-with-a-longer-name-' + i + '.txt'), 'n' + i);
  symlinkSync('a.txt', join(src, 's'));
  writeFileSync(join(src, 'empty'), '');
}
const pack = `${process.execPath} ${fileURLToPath(new URL('../bin/iso-pack.js', import.meta.url))}`;
const goods = {
  'isopack.iso': () => sh(`tar -C ${src} -cf - . | ${pack} -q -o ${out}/isopack.iso`),
  'isopack-md5.iso': () => sh(`tar -C ${src} -cf - . | ${pack} -q --md5 -o ${out}/isopack-md5.iso`),
  'geniso-RJ.iso': () => sh(`genisoimage -quiet -R -J -o ${out}/geniso-RJ.iso ${src}`),
  'geniso-rJl.iso': () => sh(`genisoimage -quiet -r -J -joliet-long -o ${out}/geniso-rJl.iso ${src}`),
  'geniso-plain.iso': () => sh(`genisoimage -quiet -o ${out}/geniso-plain.iso ${src}`),
  'xorriso-2s.iso': () => {
    sh(`xorriso -md5 on -joliet on -outdev ${out}/xorriso-2s.iso -map ${src}/sub / -commit 2>&1`);
    sh(`xorriso -md5 on -joliet on -dev ${out}/xorriso-2s.iso -map ${src}/deep /deep -commit 2>&1`);
  },
};
const made = [];
for (const [name, make] of Object.entries(goods)) {
  try {
    if (!existsSync(join(out, name))) make();
    made.push(name);
  } catch (err) {
    console.error(`same-findings: no ${name}: ${err.message.split('\n')[0]}`);
  }
}

let seed = 12345;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const put733 = (b, off, v) => {
  b.writeUInt32LE(v >>> 0, off);
  b.writeUInt32BE(v >>> 0, off + 4);
};

/** Directory sectors (first of each directory, from the path tables of every descriptor) and CE blocks. */
function targets(b) {
  const dirs = new Set();
  const pts = [];
  for (let lba = 16; lba * S < b.length; lba++) {
    const s = b.subarray(lba * S, (lba + 1) * S);
    if (s.toString('latin1', 1, 6) !== 'CD001') continue;
    if (s[0] !== 1 && s[0] !== 2) continue;
    let vd;
    try {
      vd = decodeVolumeDescriptor(s);
    } catch {
      continue;
    }
    pts.push(vd.lPathTable);
    try {
      const { entries } = decodePathTable(b.subarray(vd.lPathTable * S, vd.lPathTable * S + vd.pathTableSize), true);
      for (const e of entries) if (e.extent * S < b.length) dirs.add(e.extent);
    } catch {}
  }
  const ces = new Set();
  for (const d of dirs) {
    let at = d * S;
    while ((at = b.indexOf('CE\x1c\x01', at, 'latin1')) >= 0 && at < (d + 1) * S) {
      ces.add(b.readUInt32LE(at + 4));
      at += 4;
    }
  }
  return { dirs: [...dirs], pts, ces: [...ces].filter((x) => x * S < b.length) };
}
function recs(b, lba) {
  const r = [];
  for (let off = lba * S; off < (lba + 1) * S && b[off] !== 0; off += b[off]) r.push(off);
  return r;
}
let n = 0;
for (const name of made) {
  const good = readFileSync(join(out, name));
  const { dirs, pts, ces } = targets(good);
  for (let k = 0; k < 45; k++) {
    const file = join(out, `bad-${String(n++).padStart(3, '0')}-${name.replace('.iso', '')}.iso`);
    const b = Buffer.from(good);
    const what = rnd(10);
    const dir = dirs[rnd(dirs.length)];
    const rs = recs(b, dir);
    const r = rs[rnd(rs.length)] ?? dir * S;
    switch (what) {
      case 0:
        put733(b, r + 2, [0, 16, dirs[rnd(dirs.length)], 0xffffff00, b.length / S - 1][rnd(5)]);
        break;
      case 1:
        put733(b, r + 10, [0, 1, 2047, 4096, 0xffffffff, 0xfffff800][rnd(6)]);
        break;
      case 2:
        b[r + 25] ^= [0x80, 0x02, 0x82][rnd(3)];
        break;
      case 3:
        b[r] = [0, 20, 33, 35, 255, b[r] + 1][rnd(6)];
        break;
      case 4:
        b[r + 32] = [0, 1, 200][rnd(3)];
        break;
      case 5:
        for (let i = 0; i < 3; i++) b[r + 33 + rnd(Math.max(1, b[r] - 33))] = rnd(256);
        break;
      case 6:
        if (ces.length) {
          const c = ces[rnd(ces.length)];
          for (let i = 0; i < 4; i++) b[c * S + rnd(300)] = rnd(256);
        }
        break;
      case 7: {
        const p = pts[rnd(pts.length)];
        for (let i = 0; i < 2; i++) b[p * S + rnd(64)] = rnd(256);
        break;
      }
      case 8:
        b[dir * S + 2040 + rnd(8)] = 1 + rnd(255);
        break;
      case 9: {
        const t = b.indexOf(['CL', 'PL', 'RE', 'NM', 'PX', 'SL', 'SP'][rnd(7)], dir * S, 'latin1');
        if (t > 0 && t < (dir + 1) * S) {
          b[t + 2 + rnd(6)] = rnd(256);
        }
        break;
      }
    }
    if (!existsSync(file)) writeFileSync(file, b);
  }
}
// Truncated copies.
for (const name of made) {
  const good = readFileSync(join(out, name));
  if (!existsSync(join(out, `trunc-${name}`))) writeFileSync(join(out, `trunc-${name}`), good.subarray(0, Math.floor((good.length * 0.6) / S) * S));
}

// ------------------------------------------------------------ targeted patches
function named(b, lba) {
  const r = [];
  for (let off = lba * S; off < (lba + 1) * S && b[off] !== 0; off += b[off]) {
    const nm = b.indexOf('NM', off + 33, 'latin1');
    const name =
      b[off + 32] === 1 && b[off + 33] < 2 ? ['.', '..'][b[off + 33]] : nm > 0 && nm < off + b[off] ? b.toString('latin1', nm + 5, nm + b[nm + 2]) : '';
    r.push({
      off,
      name,
      extent: b.readUInt32LE(off + 2),
      ce: (() => {
        const c = b.indexOf('CE', off + 33, 'latin1');
        return c > 0 && c < off + b[off] ? c : -1;
      })(),
    });
  }
  return r;
}
for (const base of ['isopack-md5', 'geniso-RJ', 'isopack'].filter((x) => made.includes(x + '.iso'))) {
  const good = readFileSync(join(out, base + '.iso'));
  const rootLba = good.readUInt32LE(16 * S + 158);
  const root = named(good, rootLba);
  const sub = root.find((r) => r.name === 'sub');
  const deeper = named(good, sub.extent).find((r) => r.name === 'deeper');
  const long = root.find((r) => r.ce >= 0);
  const w = (name, f) => {
    const file = join(out, `t-${base}-${name}.iso`);
    if (existsSync(file)) return;
    const b = Buffer.from(good);
    f(b);
    writeFileSync(file, b);
  };
  w('loop', (b) => put733(b, deeper.off + 2, rootLba));
  w('self', (b) => put733(b, sub.off + 2, rootLba));
  if (long) {
    const ce = { block: good.readUInt32LE(long.ce + 4), offset: good.readUInt32LE(long.ce + 12), length: good.readUInt32LE(long.ce + 20) };
    w('ce-endless', (b) => {
      const a = ce.block * S + ce.offset;
      b.fill(0, a, a + ce.length);
      b.write('CE', a, 'latin1');
      b[a + 2] = 28;
      b[a + 3] = 1;
      put733(b, a + 4, ce.block);
      put733(b, a + 12, ce.offset);
      put733(b, a + 20, 28);
    });
    w('ce-past', (b) => put733(b, long.ce + 4, 0x7ffffff0));
    w('ce-cross', (b) => {
      put733(b, long.ce + 12, 2040);
      put733(b, long.ce + 20, 100);
    });
    w('ce-past-session', (b) => put733(b, long.ce + 4, b.length / S - 1));
  }
  w('dupname', (b) => {
    const a = root.find((r) => r.name === 'a.txt');
    const nm = b.indexOf('NM', a.off + 33, 'latin1');
    if (nm > 0) b.write('s', nm + 5, 'latin1');
  });
  w('dupname2', (b) => {
    const a = root.find((r) => r.name === 'empty');
    const nm = b.indexOf('NM', a.off + 33, 'latin1');
    if (nm > 0) b.write('a.txt', nm + 5, 'latin1');
  });
  w('slash', (b) => {
    const a = root.find((r) => r.name === 'a.txt');
    const nm = b.indexOf('NM', a.off + 33, 'latin1');
    if (nm > 0) b.write('../', nm + 5, 'latin1');
  });
  w('subsize', (b) => put733(b, sub.off + 10, 0xfffff800));
  w('subsize-odd', (b) => put733(b, sub.off + 10, 3000));
  w('multi', (b) => {
    const s = root.find((r) => r.name === 's');
    b[s.off + 25] |= 0x80;
  });
  w('multi-dir', (b) => {
    b[sub.off + 25] |= 0x80;
  });
  // The first CL pointed at file data, past the medium, at the root, at the last sector.
  const cl = good.indexOf(Buffer.from([0x43, 0x4c, 12, 1]));
  if (cl > 0) {
    const fileLba = good.indexOf('leaf\n', 0, 'latin1') / S;
    w('cl-file', (b) => put733(b, cl + 4, fileLba));
    w('cl-past', (b) => put733(b, cl + 4, 0x7ffffff0));
    w('cl-root', (b) => put733(b, cl + 4, rootLba));
    w('cl-last', (b) => put733(b, cl + 4, b.length / S - 1));
  }
}

// ------------------------------------------------------------ what the tools make of them
const tar = execSync(`tar -C ${src} --sort=name -cf - .`, { maxBuffer: 1 << 30 });
for (const f of readdirSync(out)
  .filter((x) => x.endsWith('.iso'))
  .sort()) {
  const path = join(out, f);
  for (const withTar of [false, true]) {
    const found = [];
    let summary;
    try {
      const img = Image.open(path);
      try {
        const s = verifyMedium(img, new FindingSink((x) => found.push(findingJson(x))), { tar: withTar ? [tar] : null });
        summary = { ...s, seconds: undefined };
      } finally {
        img.close();
      }
    } catch (e) {
      summary = 'THROW ' + e.message;
    }
    say(`${f} verify${withTar ? '+tar' : ''}: ${JSON.stringify(summary)}`);
    for (const x of found) say('  ' + JSON.stringify(x));
  }
  try {
    const img = Image.open(path);
    try {
      for (const s of img.sessions) {
        const entries = [];
        try {
          img.walk(img.session(s.number), (e) => entries.push(e));
          say(`${f} read session ${s.number}: ${entries.length} entries`);
          for (const e of entries) say('  ' + JSON.stringify(e));
        } catch (e) {
          say(`${f} read session ${s.number}: after ${entries.length} entries: ${e.constructor.name}: ${e.message}`);
        }
      }
    } finally {
      img.close();
    }
  } catch (e) {
    say(`${f} open: ${e.constructor.name}: ${e.message}`);
  }
}
