// cd-verify on damaged media: one byte flipped in file data, in a directory record, in a path
// table, in a checksum tag; a truncated medium; a zeroed medium head. Each gives exit 1 and
// a finding that names the right session, path or LBA; the intact image gives none.
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withReader } from './helpers/skip.js';
import { describe, flipByte, readAt, records, SECTOR, sh, gnuTar, tool, u32, verify, writeAt, type VerifyRun } from './helpers/verify.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-verify-bad-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const pattern = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const d1 = tree('d1', { 'one.txt': 'one\n', 'sub/data.bin': pattern(20000, 1) });
const d2 = tree('d2', { 'one.txt': 'one\n', 'sub/data.bin': pattern(20000, 1), 'sub/more.bin': pattern(70000, 7), 'two/three.txt': 'three\n' });

/** [start, size] of each session, from cd-msinfo. */
function sessions(img: string): { start: number; size: number }[] {
  return JSON.parse(tool('cd-msinfo', ['--dev', img, '--json']).stdout.toString()).sessions;
}

function copy(img: string, name: string): string {
  const out = join(work, name);
  copyFileSync(img, out);
  return out;
}

function has(v: VerifyRun, want: Record<string, unknown>): boolean {
  return v.findings.some((f) => Object.entries(want).every(([k, x]) => (x instanceof RegExp ? x.test(String(f[k])) : f[k] === x)));
}

function damaged(t: Tap.Test, v: VerifyRun, want: Record<string, unknown>, what: string): void {
  t.equal(v.status, 1, `${what}: exit 1`);
  t.ok(has(v, want), `${what}: a finding ${JSON.stringify(want, (_k, x) => (x instanceof RegExp ? String(x) : x))}`) || t.comment(describe(v));
}

/** The newest session's PVD fields: root directory, L and M path tables. */
function geometry(img: string, start: number) {
  const pvd = start + 16;
  return { root: u32(img, pvd, 158), lPath: u32(img, pvd, 140), mPath: readAt(img, pvd * SECTOR + 148, 4).readUInt32BE(0) };
}

/** LBA of a file's data and of the directory holding it, by walking ISO records from the root. */
function locate(img: string, root: number, isoPath: string[]): { dir: number; extent: number; size: number } {
  let dir = root;
  for (let k = 0; k < isoPath.length; k++) {
    const r = records(img, dir).find((x) => x.id === isoPath[k] || x.id.startsWith(isoPath[k] + ';'));
    if (!r) throw new Error(`no ${isoPath[k]} in the directory at ${dir}`);
    if (k === isoPath.length - 1) return { dir, extent: r.extent, size: r.size };
    dir = r.extent;
  }
  throw new Error('empty path');
}

const images: { name: string; make: () => string; checksums: boolean }[] = [
  {
    name: 'isopipe (iso-pack | cd-write, two sessions)',
    checksums: false,
    make: () => {
      const img = join(work, 'isopipe.iso');
      tool('cd-write', ['--dev', img, '--create', '--blank']); // a new medium, as the README's set-up step makes it
      for (const d of [d1, d2]) {
        const msinfo = tool('cd-msinfo', ['--dev', img]).stdout.toString().trim();
        const packed = tool('iso-pack', ['--prev', msinfo], gnuTar(d));
        if (packed.status !== 0) throw new Error(packed.stderr.toString());
        const w = tool('cd-write', ['--create', '--dev', img, '--multi'], packed.stdout);
        if (w.status !== 0) throw new Error(w.stderr.toString());
      }
      return img;
    },
  },
  {
    name: 'xorriso -md5 on (two sessions)',
    checksums: true,
    make: () => {
      const img = join(work, 'xorriso.iso');
      sh(`xorriso -md5 on -outdev ${img} -map ${d1} / -commit 2>&1`);
      sh(`xorriso -md5 on -dev ${img} -map ${d2} / -commit 2>&1`);
      return img;
    },
  },
];

for (const spec of images) {
  t.test(spec.name, async (t) =>
    withReader(t, spec.checksums ? 'xorriso' : 'tar', async () => {
      const img = spec.make();
      const list = sessions(img);
      t.equal(list.length, 2, 'two sessions');
      const newest = list[1];
      const g = geometry(img, newest.start);

      const intact = verify(['--dev', img]);
      t.equal(intact.status, 0, 'intact: exit 0');
      t.same(intact.findings, [], 'intact: no findings') || t.comment(describe(intact));

      t.test('a byte of file data', async (t) => {
        const f = locate(img, g.root, ['SUB', 'MORE.BIN']);
        const bad = copy(img, 'data.iso');
        flipByte(bad, f.extent * SECTOR + 40000);
        const byteLba = f.extent + Math.floor(40000 / SECTOR);
        if (spec.checksums) damaged(t, verify(['--dev', bad]), { kind: 'file-md5', session: 2, path: '/sub/more.bin', lba: f.extent }, 'recorded MD5');
        else t.equal(verify(['--dev', bad]).status, 0, 'no checksums, no tar: nothing can tell');
        damaged(t, verify(['--dev', bad], gnuTar(d2)), { kind: 'content', session: 2, path: '/sub/more.bin', lba: byteLba }, 'against the tar');
      });

      t.test('a directory record', async (t) => {
        const r = records(img, g.root).find((x) => x.id.startsWith('ONE.TXT'))!;
        const bad = copy(img, 'record.iso');
        writeAt(bad, g.root * SECTOR + r.off, Buffer.from([7]));
        damaged(t, verify(['--dev', bad]), { kind: 'directory', session: 2, lba: g.root, path: '/' }, 'LEN_DR 7');
        const bad2 = copy(img, 'record2.iso');
        const two = records(img, g.root).find((x) => x.id === 'TWO')!;
        // The extent of a directory pointed past the end of the medium.
        writeAt(bad2, g.root * SECTOR + two.off + 2, Buffer.from([0xff, 0xff, 0xff, 0x00]));
        damaged(t, verify(['--dev', bad2]), { kind: 'extent', session: 2, path: '/two' }, 'directory extent');
      });

      t.test('a path table', async (t) => {
        const bad = copy(img, 'pathtable.iso');
        flipByte(bad, g.lPath * SECTOR + 10 + 2); // the second record's extent
        damaged(t, verify(['--dev', bad]), { kind: 'path-table', session: 2, lba: g.lPath }, 'L table');
        const bad2 = copy(img, 'pathtable2.iso');
        flipByte(bad2, g.mPath * SECTOR + 6); // the root's parent number
        damaged(t, verify(['--dev', bad2]), { kind: 'path-table', session: 2, lba: g.mPath }, 'M table');
      });

      t.test('truncated', async (t) => {
        const bad = copy(img, 'truncated.iso');
        const cut = newest.start + newest.size - 5;
        truncateSync(bad, cut * SECTOR);
        damaged(t, verify(['--dev', bad]), { kind: 'medium', lba: cut }, 'cut inside the newest session');
        const bad2 = copy(img, 'truncated2.iso');
        truncateSync(bad2, cut * SECTOR + 100);
        damaged(t, verify(['--dev', bad2]), { kind: 'medium', lba: cut }, 'cut inside a sector');
      });

      t.test('zeroed medium head', async (t) => {
        const bad = copy(img, 'head.iso');
        writeAt(bad, 0, Buffer.alloc(32 * SECTOR));
        const v = verify(['--dev', bad]);
        damaged(t, v, { kind: 'medium-head', lba: 16 }, 'LBA 0–31 zero');
        t.equal(v.summary?.sessions, 2, 'both sessions still checked');
        const bad2 = copy(img, 'head2.iso');
        flipByte(bad2, 16 * SECTOR + 160); // the root extent in the head's PVD copy
        damaged(t, verify(['--dev', bad2]), { kind: 'medium-head', lba: 16 }, 'head PVD differs from the newest session');
      });

      if (spec.checksums)
        t.test('a checksum tag', async (t) => {
          // The superblock tag follows the newest session's terminator.
          let tagLba = -1;
          for (let i = 17; i < 32; i++) if (readAt(img, (newest.start + i) * SECTOR, 9).toString() === 'libisofs_') tagLba = newest.start + i;
          t.ok(tagLba > 0, 'the newest session has a superblock tag');
          const bad = copy(img, 'tag.iso');
          flipByte(bad, tagLba * SECTOR + 70);
          damaged(t, verify(['--dev', bad]), { kind: 'checksum-tag', session: 2, lba: tagLba }, 'tag text');
          const bad2 = copy(img, 'tag2.iso');
          flipByte(bad2, (newest.start + 16) * SECTOR + 900); // a PVD byte the superblock tag covers
          damaged(t, verify(['--dev', bad2]), { kind: 'checksum-tag', session: 2, lba: newest.start, message: /superblock tag/ }, 'superblock changed');
        });
    }),
  );
}
