// The layout's pieces alone (tier 1, milliseconds): the writer driver's checks, the one list
// of a record's System Use entries, and the hold-back budget drawn from it.
import t from 'tap';
import { SECTOR } from '../dist/iso9660/constants.js';
import { fileNeedsContinuation, systemUseEntries } from '../dist/iso9660/record-budget.js';
import { erEntry, nmEntries, PX_LENGTH, spEntry, TF_LENGTH } from '../dist/iso9660/rockridge.js';
import { Padding, ZeroSector } from '../dist/pack/blank.js';
import { DirectoryScratch } from '../dist/pack/directory-sectors.js';
import { type Writer, Writers } from '../dist/pack/writer.js';

t.test('writers take their sectors in order, then emit exactly those', async (t) => {
  const zero = new ZeroSector();
  const padding = new Padding(1000, 32);
  const writers = new Writers([zero, padding]);
  t.equal(writers.size(1040), 1064, 'one sector, then padding to 1000 + 64');
  t.equal(zero.lba, 1040);
  const out = Buffer.concat([...writers.emit()]);
  t.equal(out.length, 24 * SECTOR);
  t.ok(out.every((b) => b === 0));
  t.equal(new Writers([new Padding(0, 32)]).size(64), 64, 'no padding on a boundary');
});

t.test('a writer that emits other than it sized is an internal error', async (t) => {
  const liar: Writer = { size: () => 2, emit: () => [Buffer.alloc(SECTOR)] };
  const writers = new Writers([liar]);
  writers.size(0);
  t.throws(() => [...writers.emit()], /emitted 2048 bytes for the 2 sectors/);
});

t.test("the directory writers' one buffer is all zeros each time it is handed out", async (t) => {
  const scratch = new DirectoryScratch();
  const first = scratch.zeroed(3 * SECTOR);
  t.equal(first.length, 3 * SECTOR);
  t.ok(first.every((b) => b === 0));
  first.fill(0xff);
  const second = scratch.zeroed(2 * SECTOR);
  t.equal(second.buffer, first.buffer, 'the same memory again');
  t.equal(second.length, 2 * SECTOR);
  t.ok(
    second.every((b) => b === 0),
    'what the last directory wrote is gone',
  );
  second.fill(0xee);
  const grown = scratch.zeroed(5 * SECTOR);
  t.equal(grown.length, 5 * SECTOR);
  t.ok(
    grown.every((b) => b === 0),
    'grown, and zeros',
  );
});

t.test('one list of entries per record', async (t) => {
  const kinds = (f: Parameters<typeof systemUseEntries>[0]) => systemUseEntries(f).map((e) => e.kind + (e.part ? e.part : ''));
  t.same(kinds({ root: true, checksumArea: true }), ['SP', 'PX', 'TF', 'ER', 'CA'], "the root's '.': SP first, ER and isofs.ca last");
  t.same(kinds({}), ['PX', 'TF'], "'.' and '..'");
  t.same(kinds({ nameLength: 300, zisofs: true, checksumIndex: true }), ['PX', 'TF', 'ZF', 'NM', 'NM1', 'CX'], 'ZF before NM; a long name in two NM entries');
  t.same(kinds({ nameLength: 3, device: true }), ['PX', 'TF', 'PN', 'NM']);
  t.same(kinds({ nameLength: 1, slLengths: [40, 30] }), ['PX', 'TF', 'NM', 'SL', 'SL1']);
  const lengths = systemUseEntries({ root: true, nameLength: 300 }).map((e) => e.length);
  t.same(
    lengths,
    [spEntry().length, PX_LENGTH, TF_LENGTH, ...nmEntries(Buffer.alloc(300)).map((b) => b.length), erEntry().length],
    "lengths are the encoders'",
  );
});

t.test('the hold-back budget', async (t) => {
  // Room beside a 33-byte identifier: 254 - 33 - 33 = 188; PX, TF and NM's 5 bytes take 75.
  let n = 1;
  while (!fileNeedsContinuation(n)) n++;
  t.equal(n, 114, 'a name of 114 bytes no longer fits');
  t.ok(fileNeedsContinuation(n - 16, { zisofs: true }), 'ZF takes 16 bytes of it');
  t.notOk(fileNeedsContinuation(n - 17, { zisofs: true }));
  t.notOk(fileNeedsContinuation(40, { checksumIndex: true }), 'isofs.cx with a short name fits');
});
