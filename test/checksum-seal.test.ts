// The --md5 second pass (src/session/checksum-seal.ts): it fills in exactly the sectors its
// plan names, from the bytes it reads back, and a plan that does not fit the session is
// refused before anything is written — by cd-write too, which then commits nothing.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { sealChecksums, sealPlanOf, sealPlanProblem } from '../dist/session/checksum-seal.js';
import { decodeTag, md5 } from '../dist/iso9660/checksum-tags.js';
import { gnuTar, tool } from './helpers/verify.js';

const SECTOR = 2048;
const work = mkdtempSync(join(tmpdir(), 'isopipe-seal-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const src = join(work, 'src');
mkdirSync(join(src, 'd'), { recursive: true });
writeFileSync(join(src, 'a.txt'), 'alpha\n');
writeFileSync(join(src, 'd', 'b.bin'), Buffer.alloc(300_000, 0x5a));
writeFileSync(join(src, 'empty'), '');
const env = { SOURCE_DATE_EPOCH: '1700000000' };

function pack(args: string[]): Buffer {
  const r = tool('iso-pack', args, gnuTar(src), env);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

t.test('the seal fills in the tree tag, the array ends and the session tag, nothing else', async (t) => {
  const file = join(work, 'one.iso');
  tool('iso-pack', ['--md5', '-o', file], gnuTar(src), env);
  const sealed = readFileSync(file);
  const head = Buffer.from(sealed.subarray(0, 32 * SECTOR));
  const found = sealPlanOf(head);
  t.ok(found, 'the head carries a plan');
  const { sector, plan } = found!;
  t.equal(sector, 19, 'after PVD, Joliet SVD and terminator');
  t.equal(decodeTag(head.subarray(19 * SECTOR, 20 * SECTOR))?.next, plan.tree, "the superblock tag's next= is the tree tag");
  // Blank what the seal writes, then seal again: the same bytes come back.
  const blanked = Buffer.from(sealed);
  const arrayBytes = plan.entries * 16;
  blanked.fill(0, plan.tree * SECTOR, (plan.tree + 1) * SECTOR);
  blanked.fill(0, plan.array * SECTOR, plan.array * SECTOR + 16);
  blanked.fill(0, plan.array * SECTOR + arrayBytes - 16, plan.array * SECTOR + arrayBytes);
  blanked.fill(0, plan.session * SECTOR, (plan.session + 1) * SECTOR);
  const writes: number[] = [];
  sealChecksums(Buffer.from(head), 0, sealed.length / SECTOR, {
    read: (lba, buf) => blanked.copy(buf, 0, lba * SECTOR, lba * SECTOR + buf.length),
    write: (lba, data) => {
      writes.push(lba);
      data.copy(blanked, lba * SECTOR);
    },
  });
  t.same(writes, [plan.tree, plan.array, plan.session], 'writes only where the plan says');
  t.ok(blanked.equals(sealed), 'the same bytes as iso-pack -o wrote');
  const session = decodeTag(sealed.subarray(plan.session * SECTOR, (plan.session + 1) * SECTOR))!;
  t.same([session.type, session.rangeStart, session.rangeSize], ['session', 0, plan.session]);
  t.ok(session.md5.equals(md5(sealed.subarray(0, plan.session * SECTOR))), 'the session tag is the MD5 of everything before it');
  t.ok(
    sealed.subarray(plan.array * SECTOR, plan.array * SECTOR + 16).equals(md5(sealed.subarray(0, plan.array * SECTOR))),
    'array entry 0: the MD5 from the session start to the array',
  );
});

t.test('plans that do not fit the session are refused', async (t) => {
  const ok = { tree: 100, array: 110, entries: 5, session: 111 };
  t.equal(sealPlanProblem(ok, 0, 128), null);
  t.match(sealPlanProblem({ ...ok, tree: 10 }, 0, 128), /tree tag at LBA 10/);
  t.match(sealPlanProblem({ ...ok, tree: 120 }, 0, 128), /tree tag/);
  t.match(sealPlanProblem({ ...ok, entries: 1 }, 0, 128), /at least 2/);
  t.match(sealPlanProblem({ ...ok, entries: 200 }, 0, 128), /runs into the session tag/);
  t.match(sealPlanProblem({ ...ok, session: 128 }, 0, 128), /past the session's end/);
  t.match(sealPlanProblem(ok, 80, 128), /tree tag/, 'LBAs are absolute');
});

/** A head-last stream whose plan puts the session tag at LBA 999999, trailer CRC redone. */
function withBadPlan(stream: Buffer): Buffer {
  const at = stream.length - 33 * SECTOR + 19 * SECTOR;
  const text = stream.toString('latin1', at, at + SECTOR);
  const line = text.indexOf('\nisopipe_md5_seal_v1 ') + 1;
  if (line === 0) throw new Error('no plan line in the stream head');
  const bad = Buffer.from(stream);
  bad.write(text.slice(line).replace(/session=\d+/, 'session=999999'), at + line, 'latin1');
  bad.writeUInt32LE(crc32(bad.subarray(0, bad.length - SECTOR)) >>> 0, bad.length - SECTOR + 28);
  return bad;
}

t.test('cd-write refuses a stream whose plan points outside the session, and commits nothing', async (t) => {
  const medium = join(work, 'refused.iso');
  t.equal(tool('cd-write', ['--create', '--dev', medium, '--multi'], pack(['--md5', '--prev', '0,32'])).status, 0);
  const before = readFileSync(medium);
  const next = tool('cd-msinfo', ['--dev', medium]).stdout.toString().trim();
  const r = tool('cd-write', ['--create', '--dev', medium, '--multi'], withBadPlan(pack(['--md5', '--prev', next])));
  t.equal(r.status, 1, 'refused');
  t.match(r.stderr.toString(), /^cd-write: .*checksum plan.*session tag at LBA 999999.*\n$/);
  t.ok(readFileSync(medium).equals(before), 'the medium is as it was');
  const blank = join(work, 'blank.iso');
  t.equal(tool('cd-write', ['--create', '--dev', blank], withBadPlan(pack(['--md5', '--prev', '0,32']))).status, 1);
  t.notOk(existsSync(blank), 'a blank medium: no file left behind');
});
