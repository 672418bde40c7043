// Output for people and for scripts (#12 item 7): cd-verify's report on a terminal and JSON
// lines elsewhere; progress with percent and ETA, without carriage returns off a terminal;
// warnings that start on a clean line; compressed and garbage input.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';

const BIN = new URL('../bin/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'isopipe-output-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };

function run(tool: string, args: string[], input: Buffer | string = Buffer.alloc(0), env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, [join(BIN, `${tool}.js`), ...args], { input, env, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('latin1') };
}

const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
/** `command` run with a terminal on stdin, stdout and stderr (script(1)); its output as one text. */
function onTerminal(command: string) {
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { input: '', env: ENV, timeout: 60000, maxBuffer: 1 << 26 });
  return { status: r.status, out: r.stdout.toString('latin1') };
}

const dir = join(work, 'dir');
mkdirSync(join(dir, 'sub'), { recursive: true });
writeFileSync(join(dir, 'sub', 'data.bin'), Buffer.alloc(300000, 0x5a));
writeFileSync(join(dir, 'a.txt'), 'hello\n');
writeFileSync(join(dir, `${'long-name-'.repeat(8)}.txt`), 'cut in Joliet\n');
const tarFile = join(work, 'dir.tar');
spawnSync('tar', ['-C', dir, '-cf', tarFile, '.']);
const tar = readFileSync(tarFile);

t.test('cd-verify: a report on a terminal, JSON lines on a pipe or with --json', { skip: !hasScript && 'script(1) is not installed' }, async (t) => {
  const iso = join(work, 'md5.iso');
  t.equal(run('iso-pack', ['-md5', '-q', '-o', iso], tar).status, 0);
  // Damage one byte of sub/data.bin's data (0x5a everywhere): its recorded MD5 no longer matches.
  const img = readFileSync(iso);
  const at = img.indexOf(Buffer.alloc(4096, 0x5a));
  img[at + 100] ^= 0xff;
  writeFileSync(iso, img);

  const text = onTerminal(`${process.execPath} ${BIN}cd-verify.js --dev ${iso}`);
  t.equal(text.status, 1, 'a problem found');
  t.match(text.out, /cd-verify: file-md5: session 1, .*sub\/data\.bin/, 'the problem in words');
  t.notMatch(text.out, /\{"kind"/, 'no JSON on a terminal');
  t.match(text.out, /\d+ problem\(s\)/, 'the summary');

  const forced = onTerminal(`${process.execPath} ${BIN}cd-verify.js --json --dev ${iso}`);
  t.match(forced.out, /\{"kind":"file-md5"/, '--json: JSON lines on a terminal');
  t.match(forced.out, /\{"kind":"summary"/);

  const piped = run('cd-verify', ['--dev', iso]);
  t.equal(piped.status, 1);
  const lines = piped.stdout
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.ok(
    lines.some((l) => l.kind === 'file-md5'),
    'stdout a pipe: JSON lines',
  );
  t.equal(lines[lines.length - 1].kind, 'summary');
});

t.test('progress: percent and ETA for a file on stdin, one plain line per interval off a terminal', async (t) => {
  const env = { ...ENV, ISOPIPE_PROGRESS_MS: '1' };
  const r = spawnSync('sh', ['-c', `${process.execPath} ${BIN}iso-pack.js -v -o ${join(work, 'p.iso')} < ${tarFile}`], { env });
  t.equal(r.status, 0);
  const err = r.stderr.toString();
  t.notMatch(err, /\r/, 'no carriage return when stderr is not a terminal');
  t.match(err, /^iso-pack: \d+ MB read, \d+ files, [\d.]+ MB\/s, \d+% of \d+ MB(, ETA \d+:\d\d)?$/m, 'percent (and ETA) when the size is known');
  const piped = spawnSync('sh', ['-c', `cat ${tarFile} | ${process.execPath} ${BIN}iso-pack.js -v -o ${join(work, 'p.iso')}`], { env });
  t.match(piped.stderr.toString(), /^iso-pack: \d+ MB read, .*\(stdin is a pipe: size unknown\)$/m, 'says what it does not know');
  const merged = spawnSync('sh', ['-c', `${process.execPath} ${BIN}iso-merge.js -v --dev ${join(work, 'p.iso')} < ${tarFile} > /dev/null`], { env });
  t.equal(merged.status, 0);
  t.notMatch(merged.stderr.toString(), /\r/);
  t.match(merged.stderr.toString(), /^iso-merge: \d+ MB read, \d+ entries, .*% of/m, 'iso-merge -v too');
});

t.test('a warning on a terminal starts on a clean line', { skip: !hasScript && 'script(1) is not installed' }, async (t) => {
  const r = onTerminal(`${process.execPath} ${BIN}iso-pack.js -o ${join(work, 'w.iso')} < ${tarFile}`);
  t.equal(r.status, 0);
  t.match(r.out, /\r\x1b\[Kiso-pack: warning: 1 name\(s\) were shortened/, 'the line is cleared first (another tool may have left its progress there)');
});

t.test('compressed input: gzip read as the tar it holds, the others refused with the command to use', async (t) => {
  const plain = run('iso-pack', [], tar);
  t.equal(plain.status, 0);
  const gz = run('iso-pack', [], gzipSync(tar));
  t.equal(gz.status, 0, gz.stderr);
  t.ok(gz.stdout.equals(plain.stdout), 'a gzip tar gives the same session, byte for byte');
  const viaMerge = spawnSync('sh', [
    '-c',
    `gzip -c < ${tarFile} | ${process.execPath} ${BIN}iso-merge.js --dev ${join(work, 'md5.iso')} | tar tf - | grep -c data.bin`,
  ]);
  t.equal(viaMerge.stdout.toString().trim(), '1', 'iso-merge reads it too');

  const zstd = typeof (zlib as unknown as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
  const cases: [string, string, RegExp][] = [
    ['xz', 'xz -c', /^iso-pack: compressed tar \(xz\): decompress first \(xz -dc /],
    ['bzip2', 'bzip2 -c', /^iso-pack: compressed tar \(bzip2\): decompress first \(bzip2 -dc /],
  ];
  if (!zstd) cases.push(['zstd', 'zstd -c', /^iso-pack: compressed tar \(zstd\): decompress first \(zstd -dc /]);
  for (const [name, cmd, re] of cases) {
    if (spawnSync('sh', ['-c', `command -v ${cmd.split(' ')[0]}`]).status !== 0) {
      t.comment(`${name} is not installed`);
      continue;
    }
    const r = spawnSync('sh', ['-c', `${cmd} < ${tarFile} | ${process.execPath} ${BIN}iso-pack.js > /dev/null`]);
    t.equal(r.status, 1, name);
    t.match(r.stderr.toString(), re, name);
  }
  const cut = run('iso-pack', [], gzipSync(tar).subarray(0, 200));
  t.equal(cut.status, 1);
  t.match(cut.stderr, /^iso-pack: gzip input: unexpected end of file\n$/, 'a cut gzip stream: one line');
});

t.test('garbage input never prints binary junk', async (t) => {
  const junk = Buffer.alloc(8192);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
  const r = run('iso-pack', [], junk);
  t.equal(r.status, 1);
  t.match(r.stderr, /^iso-pack: not a tar archive on stdin \(bad header checksum in its first block\)\n$/);
  // A damaged second header whose name field is bytes, not text.
  const damaged = Buffer.from(tar);
  const second = 512; // the first entry (./) has no data
  for (let i = 0; i < 100; i++) damaged[second + i] = 0x80 + ((i * 31) & 0x7f);
  const d = run('iso-pack', [], damaged);
  t.equal(d.status, 1);
  t.match(d.stderr, /^iso-pack: bad header checksum at byte 512\n$/, 'no name field shown when it is not text');
  t.notOk(/[\x00-\x08\x0b-\x1f\x7f-\xff]/.test(d.stderr), 'nothing but printable ASCII');
});

t.test('compressionOf: the magic numbers', async (t) => {
  const { compressionOf } = await import('../dist/tar/compression.js');
  const cases: [number[], string | null][] = [
    [[0x1f, 0x8b, 0x08], 'gzip'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
    [[0x42, 0x5a, 0x68, 0x39], 'bzip2'],
    [[0x42, 0x5a, 0x68, 0x30], null], // "BZh0" is no bzip2 block size
    [[0x04, 0x22, 0x4d, 0x18], 'lz4'],
    [[0x4c, 0x5a, 0x49, 0x50], 'lzip'],
    [[0x1f, 0x9d], 'compress'],
    [[0x2e, 0x2f, 0x00], null], // "./": a tar's first name
    [[0x1f], null],
  ];
  for (const [bytes, kind] of cases) t.equal(compressionOf(Buffer.from(bytes)), kind, bytes.map((b) => b.toString(16)).join(' '));
});
