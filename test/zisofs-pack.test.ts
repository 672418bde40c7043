// zisofs through the real commands (issue 17): iso-pack -z compresses the files that shrink
// and leaves the others plain, with the same bytes every time; iso-merge carries compressed
// files into the next session as references with their ZF entry, so the medium grows by
// metadata only; iso-merge --data restores them uncompressed; cd-verify compares their
// content with the tar and finds damaged compressed data without crashing.
import t from 'tap';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Image } from '../dist/image/image.js';
import type { ImageEntry } from '../dist/image/entry.js';
import { appendSession, md5, untar } from './helpers/merge.js';
import { must, node, run, tarOf } from './helpers/run.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-zisofs-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const T0 = 1_700_000_000;
const src = join(work, 'src');
const LONG = 'L'.repeat(200) + '.txt';
const text = Buffer.from(Array.from({ length: 40000 }, (_, i) => `line ${i} of a log that compresses well\n`).join(''));
/** Incompressible and the same every run: SHA-256 in counter mode. */
const noise = Buffer.concat(Array.from({ length: 6250 }, (_, i) => createHash('sha256').update(String(i)).digest()));

function put(rel: string, data: Buffer | string) {
  const p = join(src, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
  utimesSync(p, T0, T0);
}
put('logs/app.log', text);
put('noise.bin', noise);
put('small.txt', 'a small file of one sector\n'.repeat(20));
put('zeros', Buffer.alloc(300_000));
put('empty', '');
put(LONG, text.subarray(0, 100_000));
linkSync(join(src, 'logs/app.log'), join(src, 'hard'));
const COMPRESSED = ['hard', 'logs/app.log', 'zeros'];

/** Every regular file of a session with its content read through the image reader. */
function files(image: string, session?: number): Map<string, { e: ImageEntry; md5: string }> {
  const img = Image.open(image);
  try {
    const out = new Map<string, { e: ImageEntry; md5: string }>();
    const tree = img.session(session);
    img.walk(tree, (e) => {
      if (e.type !== 'file') return;
      const parts: Buffer[] = [];
      img.readContent(e, (c) => parts.push(Buffer.from(c)));
      out.set(e.path, { e, md5: md5(Buffer.concat(parts)) });
    });
    return out;
  } finally {
    img.close();
  }
}

function hostMd5s(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const n of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${n.name}` : n.name;
      if (n.isDirectory()) walk(join(dir, n.name), r);
      else out.set(r, md5(readFileSync(join(dir, n.name))));
    }
  };
  walk(src, '');
  return out;
}

const pack = (out: string, args: string[]) =>
  must(process.execPath, [new URL('../bin/iso-pack.js', import.meta.url).pathname, '-q', ...args, '-o', out], {
    input: tarOf(src),
    env: { ...process.env, SOURCE_DATE_EPOCH: String(T0) },
  });

t.test('iso-pack -z compresses what shrinks, reproducibly; the reader gives the content back', async (t) => {
  const z = join(work, 'z.iso');
  const plain = join(work, 'plain.iso');
  pack(z, ['-z']);
  pack(plain, []);
  const seen = files(z);
  const host = hostMd5s();
  t.same([...seen.keys()].sort(), [...host.keys()].sort());
  for (const [path, { e, md5: m }] of seen) {
    t.equal(m, host.get(path), `${path}: content`);
    t.equal(e.zisofs, COMPRESSED.includes(path), `${path}: ${COMPRESSED.includes(path) ? 'compressed' : 'plain'}`);
  }
  t.same(seen.get('logs/app.log')!.e.zf, { algorithm: 'pz', headerSize: 16, blockLog2: 15, size: text.length });
  t.equal(seen.get('logs/app.log')!.e.extents[0].lba, seen.get('hard')!.e.extents[0].lba, 'hard links share the compressed data');
  t.ok(statSync(z).size < statSync(plain).size - text.length / 2, `${statSync(z).size} bytes compressed, ${statSync(plain).size} plain`);
  const again = join(work, 'z2.iso');
  pack(again, ['-z']);
  t.ok(readFileSync(again).equals(readFileSync(z)), 'the same tar gives the same bytes');
  // With --md5 the recorded MD5 is of the stored (compressed) bytes, as xorriso records it.
  const zm = join(work, 'zm.iso');
  pack(zm, ['-z', '--md5']);
  const v = node('cd-verify', ['--dev', zm], { input: tarOf(src) });
  t.equal(v.status, 0, v.stderr);
  t.match(v.stderr, /no problems/);
});

t.test('--zisofs-limit: a file whose compressed form would pass the bound stays plain', async (t) => {
  const z = join(work, 'limit.iso');
  pack(z, ['--zisofs', '--zisofs-limit', '0.01']);
  const seen = files(z);
  t.equal(seen.get('logs/app.log')!.e.zisofs, false);
  t.equal(seen.get('logs/app.log')!.md5, md5(text));
  t.equal(seen.get('zeros')!.e.zisofs, true, 'zeros compress to nothing and stay under any bound');
  for (const args of [
    ['--zisofs-limit', '5'],
    ['-z', '--zisofs-limit', '0'],
    ['-z', '--zisofs-limit', 'x'],
  ]) {
    const r = node('iso-pack', [...args, '-o', join(work, 'never.iso')], { input: Buffer.alloc(1024) });
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr, /^iso-pack: .*zisofs-limit/);
  }
});

t.test('a compressed session is appended to, restored and verified', async (t) => {
  const medium = join(work, 'medium.iso');
  writeFileSync(medium, '');
  const bin = (tool: string) => `"${process.execPath}" "${new URL(`../bin/${tool}.js`, import.meta.url).pathname}"`;
  const first = run(
    'bash',
    [
      '-o',
      'pipefail',
      '-c',
      `prev=$(${bin('cd-msinfo')} --dev "${medium}") && ${bin('iso-pack')} -q -z --md5 --prev "$prev" | ${bin('cd-write')} --dev "${medium}" --multi`,
    ],
    { input: tarOf(src) },
  );
  t.equal(first.status, 0, first.stderr);
  const before = statSync(medium).size;
  const add = join(work, 'add');
  mkdirSync(add);
  writeFileSync(join(add, 'new.txt'), 'added\n');
  const r = appendSession(tarOf(add), medium);
  t.equal(r.status, 0, r.stderr);
  const grown = statSync(medium).size - before;
  // The long-named file travels with its data (DESIGN §3); the compressed ones (1.6 MB of content) do not.
  t.ok(grown <= 100_000 + 128 * 1024, `the medium grew by ${grown} bytes: the compressed files were carried, not re-written`);
  const s2 = files(medium, 2);
  const host = hostMd5s();
  for (const [path, m] of host) t.equal(s2.get(path)?.md5, m, `session 2 ${path}`);
  t.equal(s2.get('logs/app.log')!.e.zisofs, true, 'carried with its ZF entry');
  t.equal(s2.get('logs/app.log')!.e.extents[0].lba, files(medium, 1).get('logs/app.log')!.e.extents[0].lba, 'as a reference to the first session');
  // --data restores content, not the compressed bytes.
  const out = join(work, 'restored');
  untar(must(process.execPath, [new URL('../bin/iso-merge.js', import.meta.url).pathname, '--data', '-n', '--dev', medium]), out);
  for (const [path, m] of host) t.equal(md5(readFileSync(join(out, path))), m, `restored ${path}`);
  t.equal(md5(readFileSync(join(out, 'new.txt'))), md5(Buffer.from('added\n')));
  // cd-verify: the tar of the whole tree against session 2, and the recorded MD5s.
  rmSync(join(out, 'new.txt'));
  const whole = join(work, 'whole');
  untar(tarOf(src), whole);
  writeFileSync(join(whole, 'new.txt'), 'added\n');
  const v = node('cd-verify', ['--dev', medium], { input: must('tar', ['-C', whole, '-cf', '-', '.']) });
  t.match(v.stderr, /2 session\(s\)/);
  t.notMatch(v.stdout.toString(), /"kind":"(content|size|file-md5)"/, 'content and MD5s agree');
  const changed = Buffer.from(text);
  changed[70000] ^= 1;
  writeFileSync(join(whole, 'logs/app.log'), changed);
  utimesSync(join(whole, 'logs/app.log'), T0, T0);
  const bad = node('cd-verify', ['--dev', medium], { input: must('tar', ['-C', whole, '-cf', '-', '.']) });
  t.equal(bad.status, 1);
  t.match(bad.stdout.toString(), /"kind":"content".*"path":"\/logs\/app.log".*content differs from byte 70000 on \(uncompressed\)/);
});

t.test('damaged compressed data is a finding, not a crash', async (t) => {
  const z = join(work, 'z.iso');
  const good = readFileSync(z);
  const e = files(z).get('logs/app.log')!.e;
  const at = e.extents[0].lba * 2048;
  const cases: [string, (b: Buffer) => void, RegExp][] = [
    ['a pointer past the data', (b) => b.writeUInt32LE(0x7fffffff, at + 20), /pointer 1 \(2147483647\) lies outside/],
    ['bad zlib', (b) => b.fill(0x55, at + b.readUInt32LE(at + 16) + 2, at + b.readUInt32LE(at + 16) + 40), /block 0 does not inflate/],
    ['no header', (b) => b.fill(0, at, at + 8), /no zisofs file header/],
    ['a huge size in the header', (b) => b.writeUInt32LE(0xffffffff, at + 8), /header says 4294967295 bytes/],
  ];
  for (const [what, patch, message] of cases) {
    const b = Buffer.from(good);
    patch(b);
    const bad = join(work, 'bad.iso');
    writeFileSync(bad, b);
    const restore = node('iso-merge', ['--data', '-n', '--dev', bad]);
    t.equal(restore.status, 1, `${what}: --data fails`);
    // 'hard' and 'logs/app.log' are one file; the walk meets 'hard' first.
    t.match(restore.stderr, new RegExp(`^iso-merge: session 1, LBA \\d+, '/hard': .*${message.source}`), what);
    t.equal(restore.stderr.trim().split('\n').length, 1, `${what}: one line`);
    const v = node('cd-verify', ['--dev', bad]);
    t.equal(v.status, 1, `${what}: cd-verify finds it`);
    t.match(v.stdout.toString(), new RegExp(`"kind":"content".*"/logs/app.log".*${message.source}`), what);
    t.match(v.stdout.toString(), new RegExp(`"kind":"content".*"/hard".*${message.source}`), what);
  }
  // zisofs2 (xorriso's PZ algorithm) cannot be carried: refused before a byte is written.
  const b = Buffer.from(good);
  const zf = b.indexOf(Buffer.from('ZF\x10\x01pz', 'latin1'));
  t.ok(zf > 0);
  b.write('PZ', zf + 4, 'latin1');
  writeFileSync(join(work, 'pz.iso'), b);
  const m = node('iso-merge', ['-n', '--dev', join(work, 'pz.iso')]);
  t.equal(m.status, 1);
  t.equal(m.stdout.length, 0, 'nothing reaches iso-pack');
  t.match(m.stderr, /zisofs2 compression \(PZ\) is not supported/);
});
