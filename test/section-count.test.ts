// sectionCount (src/pack/directories.ts): the number of records both trees' measuring
// counts for a child, which must be the number forEachSection visits when the records are
// written, for every kind of child (a mismatch is an internal error at the end of a pack).
import t from 'tap';
import { MAX_SECTION_BYTES, SECTOR } from '../dist/iso9660/constants.js';
import { forEachSection, sectionCount } from '../dist/pack/directories.js';
import { type Inode, newDir, newInode } from '../dist/tree/tree.js';

const attrs = { perm: 0o644, uid: 0, gid: 0, mtime: 1700000000 };

function file(size: number, extents?: { lba: number; bytes: number }[]): Inode {
  const i = newInode('file', attrs);
  i.size = size;
  i.lba = 100;
  i.extents = extents;
  return i;
}

function visits(i: Inode): [number, number, number][] {
  const out: [number, number, number][] = [];
  forEachSection(
    i,
    () => [7, SECTOR, 2],
    3,
    (lba, bytes, flags) => out.push([lba, bytes, flags]),
  );
  return out;
}

t.test('one record for each child forEachSection visits once', async (t) => {
  for (const [what, i] of [
    ['a directory', newDir(attrs)],
    ['a symlink', newInode('symlink', attrs)],
    ['a device', newInode('chr', attrs)],
    ['an empty file', file(0)],
    ['a small file', file(1)],
    ['a file of one whole section', file(MAX_SECTION_BYTES)],
    ['a reference of one section', file(5000, [{ lba: 20, bytes: 5000 }])],
  ] as [string, Inode][]) {
    t.equal(sectionCount(i), 1, what);
    t.equal(visits(i).length, 1, what);
  }
});

t.test('a section per 4 GiB − 2 KiB of a long file, and per extent of a reference', async (t) => {
  for (const size of [MAX_SECTION_BYTES + 1, 2 * MAX_SECTION_BYTES, 2 * MAX_SECTION_BYTES + 1, 5 * MAX_SECTION_BYTES - 7]) {
    const i = file(size);
    t.equal(sectionCount(i), Math.ceil(size / MAX_SECTION_BYTES), `${size} bytes`);
    t.equal(visits(i).length, sectionCount(i), `${size} bytes: as many visits`);
  }
  const x = [
    { lba: 20, bytes: 2 * SECTOR },
    { lba: 40, bytes: 4 * SECTOR },
    { lba: 60, bytes: 10 },
  ];
  const ref = file(2 * SECTOR + 4 * SECTOR + 10, x);
  t.equal(sectionCount(ref), 3);
  t.same(visits(ref), [
    [20, 2 * SECTOR, 0x80],
    [40, 4 * SECTOR, 0x80],
    [60, 10, 0],
  ]);
});
