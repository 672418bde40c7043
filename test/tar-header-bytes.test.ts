// iso-merge's header encoder, byte for byte: every branch (ustar fields, name split, each pax
// record, hdrcharset, record lengths that gain a digit) gives exactly the bytes the first
// encoder gave (the digests below), whether encoded alone or written into a used buffer.
import { createHash } from 'node:crypto';
import t from 'tap';
import { encodeEntryHeader, encodeGlobalHeader, entryHeaderBound, type OutEntry, writeEntryHeader } from '../dist/tar/header.js';

const base = { mode: 0o644, uid: 1000, gid: 100, size: 5, mtime: 1700000000, uname: 'u', gname: 'g' };
const nonUtf8 = 'caf\xe9';

/** Case → [bytes, SHA-256 of the bytes]. */
const cases: [string, OutEntry, number, string][] = [
  ['plain file', { ...base, path: 'dir/file.txt', type: 'file' }, 512, '80444cc959a77522809ddf511a1d521047824629bdeb9fbbb9bbed1fa2980bc5'],
  [
    'directory gets its slash',
    { ...base, path: 'd', type: 'dir', size: 0, mode: 0o40755 },
    512,
    '654f6e2a1377ef04ccb9ac4bb8dd056dbaa48fb03c41cba831aaa1ba8d452be1',
  ],
  [
    'name split into prefix',
    { ...base, path: 'p'.repeat(120) + '/' + 'n'.repeat(90), type: 'file' },
    512,
    '73021c2e8d758ae60be57c292e8f9a3b7acda389eb3ff9ac8581b9059d94811a',
  ],
  ['name no split can hold', { ...base, path: 'x'.repeat(300), type: 'file' }, 1536, 'e4fff9026be078141422434a56884f1b83fd70c4d87d1f2e37d7fdb40c717524'],
  ['non-UTF-8 name', { ...base, path: 'a/' + nonUtf8, type: 'file' }, 1536, 'ae45d7d525cdf8d651cbb70a1b84e42c7c764f206f4ce070ce958f754ca49dc9'],
  [
    'UTF-8 name',
    { ...base, path: Buffer.from('grüße/😀', 'utf8').toString('latin1'), type: 'file' },
    1536,
    '8799e865f863b4c2aaa9accd172cc584c0602573e23602cb6ec4387ef86f1f82',
  ],
  [
    'long symlink target',
    { ...base, path: 's', type: 'symlink', size: 0, linkname: '../' + 'x'.repeat(200) },
    1536,
    '29e9d04e387f3d91a97dc9ad397aaf665255af52c95bab97a5d4176e5403640c',
  ],
  [
    'non-UTF-8 hard link target',
    { ...base, path: 'h', type: 'link', size: 0, linkname: nonUtf8 },
    1536,
    'c41f24af7356f24111760fc158303df46f25d7af9779f9390cbc82ccad170503',
  ],
  [
    'big ids and size',
    { ...base, path: 'big', type: 'file', uid: 2 ** 21, gid: 0o7777777, size: 8 ** 11 },
    1536,
    'f830a606cd0c099872ffb82d3cfa04c495dc23b8eba51c317d31632fff6d0a2f',
  ],
  [
    'mtime before 1970, with fraction',
    { ...base, path: 'old', type: 'file', mtime: -1000000000.5 },
    1536,
    '4eca54307bfc120ec597f1acd24a898ca8f9e7a34b491d9fcfdff638b2a14bef',
  ],
  [
    'mtime fraction, atime, ctime',
    { ...base, path: 'frac', type: 'file', mtime: 1700000000.25, atime: 1e21, ctime: 1.5e-7 },
    1536,
    '978bd8635e67ff588613bdced72cf4b0099ec811a92635186ee0990f0ba30f45',
  ],
  [
    'long owner names',
    { ...base, path: 'o', type: 'file', uname: 'u'.repeat(32), gname: nonUtf8 },
    1536,
    'a4c5add8077b2c9e21d9788086c347b03c4ebfe4a5cbcf12c2f2d1dfb81908f7',
  ],
  [
    'devices',
    { ...base, path: 'dev/c', type: 'chr', size: 0, devmajor: 1, devminor: 3 },
    512,
    '8052ea974b4afecb57c4fd43ad1ceaaef1fad0a3717316244cbdcab24fcd3c7f',
  ],
  [
    'device numbers ustar cannot hold',
    { ...base, path: 'dev/b', type: 'blk', size: 0, devmajor: 2 ** 21, devminor: 3000000 },
    1536,
    'a62cd708e56b15d92e2cbe70f681c9177e6d555bd75c89f51b059d30933fb610',
  ],
  [
    'fifo without owner names',
    { mode: 0o600, uid: 0, gid: 0, size: 0, mtime: 0, path: 'f', type: 'fifo' },
    512,
    'fbab2d47b94beeb0b75654da2aeb60883aa8b2eb11719c49b67a88b676a82e12',
  ],
  [
    'volume label',
    { path: 'LABEL', type: 'label', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 },
    512,
    '9b9fc004e93e226fa468b899ea631afd18eea0332f3c9de4d7bec385c2426187',
  ],
  [
    'reference records',
    {
      ...base,
      path: 'r/ref',
      type: 'file',
      size: 0,
      records: [
        ['ISOPIPE.extents', '283552+4096,300000+5'],
        ['ISOPIPE.size', '4101'],
        ['ISOPIPE.md5', '0123456789abcdef0123456789abcdef'],
      ],
    },
    1536,
    '913527924c93a0a5488ad6a2fb444f34b02649fad1f711e2ae1d4b3a72e95c86',
  ],
  [
    'record whose length gains a digit',
    { ...base, path: 'r9', type: 'file', size: 0, records: [['k', 'v'.repeat(94)]] },
    1536,
    'f26741c08df850296ad5ccc25989258fbefe4c467f8a21809f8f8a6b455ae353',
  ],
  [
    'records past one block',
    { ...base, path: 'r/' + nonUtf8 + '/', type: 'dir', size: 0, records: [['comment', 'c'.repeat(1000)]] },
    2560,
    '3618545605a6b351e160f36e0a7a4ba9d7de8f4128e02dfc66165e972c567a8f',
  ],
];

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('each case encodes to its exact bytes', async (t) => {
  for (const [what, e, length, digest] of cases) {
    const b = encodeEntryHeader(e);
    t.equal(b.length, length, `${what}: length`);
    t.equal(sha256(b), digest, `${what}: bytes`);
    t.ok(entryHeaderBound(e) >= b.length, `${what}: within its bound`);
  }
});

t.test('written into a used buffer, after other headers, the bytes are the same', async (t) => {
  const room = cases.reduce((n, [, e]) => n + entryHeaderBound(e), 0);
  const b = Buffer.alloc(room, 0xa5);
  let off = 0;
  for (const [what, e, length, digest] of cases) {
    const end = writeEntryHeader(e, b, off);
    t.equal(end - off, length, `${what}: length`);
    t.equal(sha256(b.subarray(off, end)), digest, `${what}: bytes`);
    off = end;
  }
});

t.test('a global header encodes to its exact bytes', async (t) => {
  const b = encodeGlobalHeader([['ISOPIPE.unchanged', '3']]);
  t.equal(b.length, 1024);
  t.equal(sha256(b), '3999c754e645e38905993df2ffd7998df9f5a8b33c28ccb4d4c8421b6e5c15e1');
});
