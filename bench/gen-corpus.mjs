#!/usr/bin/env node
// Benchmark corpora for bench/run.sh. Not part of the test suite.
//
//   node bench/gen-corpus.mjs big    DIR --files N --size BYTES [--seed S]
//   node bench/gen-corpus.mjs small  DIR --files N [--min B] [--max B] [--seed S]
//   node bench/gen-corpus.mjs mixed  DIR [--scale F] [--seed S]
//   node bench/gen-corpus.mjs tiny   DIR
//   node bench/gen-corpus.mjs names  DIR --files N --style shared|distinct [--size B]
//   node bench/gen-corpus.mjs change DIR --every K [--seed S]   (rewrite every K-th file in place)
//   node bench/gen-corpus.mjs tar    FILE --files N [--per-dir K] [--size B]
//
// Content is AES-CTR keystream: incompressible, the same for the same seed, and cheap
// (a few hundred MB/s on one core). The corpus is built in DIR.partial and renamed
// to DIR at the end, so an interrupted run never leaves a half corpus that looks whole.
// Prints one JSON line: {"dir", "files", "dirs", "symlinks", "hardlinks", "bytes"}.
import { createCipheriv, createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  linkSync,
  unlinkSync,
  utimesSync,
  writeSync,
  existsSync,
  lstatSync,
} from 'node:fs';
import { join } from 'node:path';
import minimist from 'minimist';

const args = minimist(process.argv.slice(2), { string: ['seed'] });
const [kind, dir] = args._.map(String);
if (!kind || !dir) {
  process.stderr.write('usage: gen-corpus.mjs big|small|mixed|tiny|names|change|tar DIR [options]\n');
  process.exit(2);
}
const seed = String(args.seed ?? kind);

/** Deterministic PRNG (mulberry32) so sizes and names are the same for the same seed. */
function prng(s) {
  let a = Number.parseInt(createHash('sha256').update(s).digest('hex').slice(0, 8), 16) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(seed);
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
const logUniform = (lo, hi) => Math.floor(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))));

/** Keystream source: one cipher per corpus; each file takes the next bytes. */
const key = createHash('sha256')
  .update('key:' + seed)
  .digest()
  .subarray(0, 16);
const iv = createHash('sha256')
  .update('iv:' + seed)
  .digest()
  .subarray(0, 16);
const cipher = createCipheriv('aes-128-ctr', key, iv);
const ZEROS = Buffer.alloc(4 << 20);
function randomBytes(n) {
  return cipher.update(n === ZEROS.length ? ZEROS : ZEROS.subarray(0, n));
}

const stats = { dir, files: 0, dirs: 1, symlinks: 0, hardlinks: 0, bytes: 0 };
// Fixed mtime so tar streams of the same corpus are identical between runs.
const MTIME = new Date('2024-06-01T12:00:00Z');

function writeFile(path, size) {
  const fd = openSync(path, 'w');
  let left = size;
  while (left > 0) {
    const n = Math.min(left, ZEROS.length);
    writeSync(fd, randomBytes(n));
    left -= n;
  }
  closeSync(fd);
  utimesSync(path, MTIME, MTIME);
  stats.files++;
  stats.bytes += size;
}
function mkdir(path) {
  mkdirSync(path, { recursive: true });
  stats.dirs++;
}
function parseSize(v) {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)i?B?$/i.exec(String(v));
  if (!m) throw new Error(`bad size '${v}'`);
  return Math.round(Number(m[1]) * { '': 1, K: 1024, M: 1 << 20, G: 1 << 30 }[m[2].toUpperCase()]);
}

/** N big files of SIZE bytes each. */
function big(root) {
  const n = Number(args.files ?? 3);
  const size = parseSize(args.size ?? '1G');
  for (let i = 0; i < n; i++) writeFile(join(root, `big-${i}.bin`), size);
}

/** N files of MIN..MAX bytes, spread over dNN/dNN directories of about 100 files each. */
function small(root) {
  const n = Number(args.files ?? 100000);
  const min = parseSize(args.min ?? '1K');
  const max = parseSize(args.max ?? '8K');
  const perDir = 100;
  const dirsNeeded = Math.ceil(n / perDir);
  const top = Math.max(1, Math.ceil(Math.sqrt(dirsNeeded)));
  let made = 0;
  for (let d = 0; made < n; d++) {
    const sub = join(root, `d${String(Math.floor(d / top)).padStart(3, '0')}`, `s${String(d % top).padStart(3, '0')}`);
    if (d % top === 0) mkdir(join(sub, '..'));
    mkdir(sub);
    for (let f = 0; f < perDir && made < n; f++, made++) writeFile(join(sub, `file-${String(made).padStart(6, '0')}.dat`), randInt(min, max));
  }
}

/**
 * A tree shaped like a home directory: mostly small files, some medium, a few large;
 * empty files, deep directories, UTF-8 and long names (up to 200 bytes, unique in their
 * first 40 characters so that Joliet truncation does not collide), symlinks (relative,
 * absolute, dangling) and hard-link groups. About 1 GiB and 12,000 entries at scale 1.
 */
function mixed(root) {
  const scale = Number(args.scale ?? 1);
  const dirs = [root];
  const nDirs = Math.round(600 * scale);
  const words = ['src', 'docs', 'Photos', 'projets', 'Übersicht', 'данные', '写真', 'music', 'build', '.config', 'old backups', 'tmp'];
  for (let i = 0; i < nDirs; i++) {
    const parent = dirs[Math.floor(rand() * dirs.length)];
    // Levels below root of the new directory; at most 12 (bsdtar 3.6.2 crashes from 13 up).
    const levels = parent.slice(root.length).split('/').length;
    const base = levels > 12 ? root : parent;
    const d = join(base, `${words[i % words.length]}-${i}`);
    mkdir(d);
    dirs.push(d);
  }
  // One chain 12 levels deep, deeper than ISO 9660's 8 (not more: bsdtar 3.6.2's
  // iso9660 writer segfaults on 13 levels and more, and it is one of the peers timed).
  let deep = join(root, 'deep');
  mkdir(deep);
  for (let i = 0; i < 11; i++) {
    deep = join(deep, `level-${i}`);
    mkdir(deep);
  }
  dirs.push(deep);

  const nFiles = Math.round(12000 * scale);
  const regular = [];
  for (let i = 0; i < nFiles; i++) {
    const d = dirs[Math.floor(rand() * dirs.length)];
    const r = rand();
    let size;
    if (r < 0.03) size = 0;
    else if (r < 0.75) size = logUniform(16, 16 << 10);
    else if (r < 0.99) size = logUniform(16 << 10, 512 << 10);
    else size = logUniform(1 << 20, 8 << 20);
    let name;
    const q = rand();
    if (q < 0.01) name = `long-${i}-${'very long name '.repeat(Math.ceil(rand() * 12))}`.slice(0, randInt(70, 200)) + '.txt';
    else if (q < 0.05) name = `naïve café ${i} — ファイル 🎵.dat`;
    else if (q < 0.1) name = `.hidden-${i}`;
    else name = `file-${i}.${['c', 'txt', 'jpg', 'pdf', 'o', 'json'][i % 6]}`;
    const p = join(d, name);
    writeFile(p, size);
    regular.push(p);
  }
  // A couple of large files (a video, a disk image).
  for (let i = 0; i < Math.max(1, Math.round(2 * scale)); i++) {
    const p = join(dirs[Math.floor(rand() * dirs.length)], `large-${i}.mkv`);
    writeFile(p, logUniform(64 << 20, 160 << 20));
    regular.push(p);
  }
  const nLinks = Math.round(200 * scale);
  for (let i = 0; i < nLinks; i++) {
    const d = dirs[Math.floor(rand() * dirs.length)];
    const target = regular[Math.floor(rand() * regular.length)];
    const r = rand();
    if (r < 0.4) {
      linkSync(target, join(d, `hardlink-${i}`));
      stats.hardlinks++;
    } else {
      const to = r < 0.7 ? relativeTo(d, target) : r < 0.85 ? '/usr/share/doc' : `missing-target-${i}`;
      symlinkSync(to, join(d, `symlink-${i}`));
      stats.symlinks++;
    }
  }
}
function relativeTo(fromDir, to) {
  const a = fromDir.split('/');
  const b = to.split('/');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...Array(a.length - i).fill('..'), ...b.slice(i)].join('/');
}

/** A handful of entries: the base line for RSS per entry. */
function tiny(root) {
  mkdir(join(root, 'sub'));
  for (let i = 0; i < 8; i++) writeFile(join(root, i < 4 ? '' : 'sub', `f${i}`), 1000 + i);
}

/**
 * N files in one directory, all with names of 75 bytes: `shared` names differ only
 * in a counter after a long common prefix (numbered frames, dated logs), so their ISO 9660
 * (31 characters) and Joliet (64) forms all collide and need counters; `distinct` names put
 * the counter first, so no form collides. The pair measures the cost of name mangling.
 */
function names(root) {
  const n = Number(args.files ?? 100000);
  const size = parseSize(args.size ?? 100);
  const style = String(args.style ?? 'shared');
  if (style !== 'shared' && style !== 'distinct') throw new Error(`--style shared or distinct, not '${style}'`);
  const prefix = 'a-very-long-common-prefix-for-numbered-frames-of-one-camera-roll';
  for (let i = 1; i <= n; i++) {
    const num = String(i).padStart(7, '0');
    writeFile(join(root, style === 'shared' ? `${prefix}${num}.dat` : `${num}${prefix}.dat`), size);
  }
}

/** Rewrite every K-th regular file (sorted order) with new content, a new inode and a later mtime. */
function change(root) {
  const every = Number(args.every ?? 100);
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(root);
  const later = new Date(MTIME.getTime() + 86400e3);
  for (let i = every - 1; i < files.length; i += every) {
    const size = statSync(files[i]).size;
    unlinkSync(files[i]); // break a hard link to the unchanged copy instead of writing through it
    writeFile(files[i], size);
    utimesSync(files[i], later, later);
  }
  stats.dirs = 0;
  process.stdout.write(JSON.stringify({ ...stats, changedOf: files.length }) + '\n');
}

/**
 * A tar file of N files of B bytes (K to a directory, in directories of the root), written
 * straight, without a tree on disk: a million entries would take minutes to create as
 * files and gigabytes of inodes, and the scale section times iso-pack, not tar. Headers are
 * isopipe's own tar encoder's (dist/ must be built, as for every bench run).
 */
async function tarFile(file) {
  const { encodeEntryHeader } = await import(new URL('../dist/tar/header.js', import.meta.url).href);
  const mtime = Math.floor(MTIME.getTime() / 1000);
  const header = (path, type, size, mode) => encodeEntryHeader({ path, type, mode, uid: 0, gid: 0, size, mtime, uname: 'root', gname: 'root' });
  const n = Number(args.files ?? 100000);
  const perDir = Number(args['per-dir'] ?? 100);
  const size = parseSize(args.size ?? 100);
  const partial = file + '.partial';
  const fd = openSync(partial, 'w');
  const chunks = [];
  let held = 0;
  const put = (b) => {
    chunks.push(b);
    held += b.length;
    if (held >= 4 << 20) flush();
  };
  const flush = () => {
    writeSync(fd, Buffer.concat(chunks));
    chunks.length = 0;
    held = 0;
  };
  const pad = Buffer.alloc((512 - (size % 512)) % 512);
  put(header('./', 'dir', 0, 0o755));
  for (let i = 0; i < n; i++) {
    const d = `./d${String(Math.floor(i / perDir)).padStart(5, '0')}/`;
    if (i % perDir === 0) {
      put(header(d, 'dir', 0, 0o755));
      stats.dirs++;
    }
    put(header(`${d}file-${String(i).padStart(7, '0')}.dat`, 'file', size, 0o644));
    put(randomBytes(size));
    put(pad);
    stats.files++;
    stats.bytes += size;
  }
  put(Buffer.alloc(1024)); // the end-of-archive blocks
  flush();
  closeSync(fd);
  renameSync(partial, file);
  process.stdout.write(JSON.stringify({ ...stats, dir: file }) + '\n');
}

if (kind === 'change') {
  change(dir);
} else if (kind === 'tar') {
  await tarFile(dir);
} else {
  const gens = { big, small, mixed, tiny, names };
  if (!gens[kind]) {
    process.stderr.write(`gen-corpus: unknown kind '${kind}'\n`);
    process.exit(2);
  }
  const partial = dir + '.partial';
  if (existsSync(partial)) rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  gens[kind](partial);
  // Directory mtimes too, so that two generations give the same tar.
  const fixDirs = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) fixDirs(join(d, e.name));
    utimesSync(d, MTIME, MTIME);
  };
  fixDirs(partial);
  if (existsSync(dir) && lstatSync(dir)) rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  stats.dir = dir;
  process.stdout.write(JSON.stringify(stats) + '\n');
}
