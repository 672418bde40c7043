// ISO 9660 and Joliet name mangling: the linear search for a free counter must choose exactly
// the names the old probing loop (k = 1, 2, 3 … for every colliding name) chose, so images
// stay byte-identical; and a directory of names sharing a long prefix must not be quadratic.
import t from 'tap';
import { assignIsoNames, generalCandidate, isoCandidate, isoKey, isoMangled, type IsoName } from '../dist/iso9660/iso-names.js';
import { assignJolietNames, compareJolietNames, JOLIET_LONG_MAX, JOLIET_MAX, type JolietName, jolietOrder } from '../dist/iso9660/joliet-names.js';

t.test('the one-pass identifier of an ASCII name is the one the general rules give', async (t) => {
  // Dots first, last, doubled and alone; every ASCII character; lengths around the 31-byte
  // limit and the 8-character extension cut; files and directories.
  const fixed = ['.', '..x', '.bashrc', 'a.', 'a..b', '.a.b.c', 'x.tar.gz', 'README', 'a b+c=d', '~$tmp.doc', '-', '_._'];
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const alphabet = 'abcXYZ019._-. ~!#$%&()+,;=@[]^`{}' + String.fromCharCode(1, 0x1f, 0x7f);
  const random = Array.from({ length: 3000 }, () => {
    const len = 1 + rand(rand(4) === 0 ? 250 : 45);
    let name = '';
    for (let i = 0; i < len; i++) name += rand(5) === 0 ? '.' : alphabet[rand(alphabet.length)];
    return name;
  });
  let compared = 0;
  for (const name of [...fixed, ...random, 'f'.repeat(40) + '.' + 'e'.repeat(12), 'f'.repeat(20) + '.' + 'e'.repeat(12)])
    for (const isDir of [false, true]) {
      const general = generalCandidate(name, isDir);
      const got = isoCandidate(name, isDir);
      if (got.base !== general.base || got.ext !== general.ext)
        t.fail(`${JSON.stringify(name)} (${isDir ? 'directory' : 'file'}): ${isoKey(got)} against ${isoKey(general)}`);
      compared++;
    }
  t.equal(compared, 2 * (random.length + fixed.length + 2), 'every name compared');
  t.equal(isoKey(isoCandidate('Some.Long-File name.tar.gz', false)), 'SOME_LONG_FILE_NAME_TAR.GZ', 'a worked case');
  t.equal(isoKey(isoCandidate('photo-2026-12-03-holiday-at-the-sea.jpeg', false)), 'PHOTO_2026_12_03_HOLIDAY_A.JPEG', 'cut to 31 bytes, its extension kept');
  t.equal(isoCandidate('caf\xc3\xa9.txt', false).base, 'CAF_', 'a name that is not ASCII takes the general rules');
});

// ---- the algorithms as they were before the fix (commit 5424a70), kept as the reference

function oldIso(names: readonly { name: string; isDir: boolean }[]): IsoName[] {
  const used = new Set<string>();
  return names.map((n) => {
    const first = isoCandidate(n.name, n.isDir);
    let c = first;
    for (let k = 1; used.has(isoKey(c)); k++) c = isoMangled(first, k);
    used.add(isoKey(c));
    return c;
  });
}

const FORBIDDEN = /[\u0000-\u001f*/:;?\\]/g;
function cutUnits(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}
function cut(name: string, isDir: boolean, max: number, tag: string): string {
  const dot = isDir ? -1 : name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 17 ? name.slice(dot) : '';
  const base = ext ? name.slice(0, dot) : name;
  return cutUnits(base, max - ext.length - tag.length) + tag + ext;
}
function oldJoliet(names: readonly { name: string; isDir: boolean }[], max: number): JolietName[] {
  const out: JolietName[] = new Array(names.length);
  const used = new Set<string>();
  const pending: number[] = [];
  names.forEach((n, i) => {
    const clean = n.name.replace(FORBIDDEN, '_');
    if (clean === n.name && clean.length <= max && !used.has(clean)) {
      used.add(clean);
      out[i] = { text: clean, changed: false };
    } else pending.push(i);
  });
  for (const i of pending) {
    const n = names[i];
    const clean = n.name.replace(FORBIDDEN, '_');
    let text = cut(clean, n.isDir, max, '');
    for (let k = 1; used.has(text); k++) text = cut(clean, n.isDir, max, `~${k}`);
    used.add(text);
    out[i] = { text, changed: true };
  }
  return out;
}

// ---- colliding sets

/** Deterministic PRNG (mulberry32). */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Names = { name: string; isDir: boolean }[];

/** Names built to collide: a few long shared prefixes, a small alphabet near the cut, short
 *  tails of digits (so mangled forms meet other names' plain ones), case variants, dots,
 *  extensions of every length, directories and files of the same name. */
function colliding(seed: number, count: number, longest: number): Names {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const prefixes = [
    'a-very-long-common-prefix-name-',
    'A_VERY_LONG_COMMON_PREFIX_NAME',
    'x'.repeat(longest - 8),
    'x'.repeat(longest - 3),
    'frame',
    '.hidden-and-long-enough-to-be-cut',
    '日本語のとても長いファイル名'.repeat(3),
    '😀'.repeat(Math.floor(longest / 2) - 2),
  ];
  const tails = ['', '1', '2', '9', '10', '11', '99', '100', 'a', 'B', '.', '~1', '~10', '-00', ':', '*'];
  const exts = ['', '.dat', '.txt', '.TXT', '.x', '.tar.gz', '.averyveryverylongext', '.1', '.'];
  const out: Names = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const n = Math.floor(rand() * 3);
    let name = pick(prefixes).slice(0, Math.floor(rand() * 4) === 0 ? Math.floor(rand() * 40) : undefined);
    for (let i = 0; i < n; i++) name += pick(tails);
    name += String(Math.floor(rand() * (rand() < 0.5 ? 30 : 3000)));
    name += pick(exts);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    out.push({ name, isDir: rand() < 0.2 });
  }
  // The layout hands names over sorted by their raw bytes.
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.name, 'latin1'), Buffer.from(b.name, 'latin1')));
}

/** `count` names that mangle to one template: the numbered files. */
function sharedPrefix(count: number, prefix = 'a-very-long-common-prefix-name-'): Names {
  return Array.from({ length: count }, (_, i) => ({ name: `${prefix}${String(i + 1).padStart(6, '0')}.dat`, isDir: false }));
}

const latin1 = (names: Names): Names => names.map((n) => ({ ...n, name: Buffer.from(n.name, 'utf8').toString('latin1') }));

t.test('ISO 9660: the same names as the old probing loop', async (t) => {
  let total = 0;
  let mangled = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const names = latin1(colliding(seed, 50 + seed * 20, 31));
    const got = assignIsoNames(names);
    t.same(got, oldIso(names), `seed ${seed}: ${names.length} names`);
    total += names.length;
    mangled += got.filter((g, i) => isoKey(g) !== isoKey(isoCandidate(names[i].name, names[i].isDir))).length;
  }
  t.ok(mangled > total / 4, `the sets collide: ${mangled} of ${total} names needed a counter`);
  // Counters crossing 9 → 10 → 100 → 1000 (the base is cut one more character each time).
  for (const n of [9, 10, 11, 99, 100, 101, 1000, 1001, 1200]) {
    t.same(assignIsoNames(sharedPrefix(n)), oldIso(sharedPrefix(n)), `${n} names sharing a prefix`);
    const dirs = sharedPrefix(n).map((x) => ({ ...x, isDir: true }));
    t.same(assignIsoNames(dirs), oldIso(dirs), `${n} directories sharing a prefix`);
  }
  // Plain names that are another name's mangled form, taken before and after it needs them.
  const tricky = ['AB', 'ab', 'AB1', 'ab1', 'AB12', 'ab2', 'AB2', 'Ab', 'aB', 'ab10', 'AB11'].map((name) => ({ name, isDir: true }));
  t.same(assignIsoNames(tricky), oldIso(tricky), 'short names whose counters meet other names');
  const long = Array.from({ length: 40 }, (_, i) => ({ name: `${'y'.repeat(25)}${String.fromCharCode(97 + (i % 26))}${i % 3}.x`, isDir: false }));
  t.same(assignIsoNames(long), oldIso(long), 'templates that overlap once the counter has two digits');
});

t.test('Joliet: the same names as the old probing loop', async (t) => {
  for (const max of [JOLIET_MAX, JOLIET_LONG_MAX]) {
    let total = 0;
    let mangled = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const names = colliding(seed * 7, 50 + seed * 20, max);
      const got = assignJolietNames(names, max);
      t.same(got, oldJoliet(names, max), `max ${max}, seed ${seed}: ${names.length} names`);
      total += names.length;
      mangled += got.filter((g) => /~\d+(\.[^.]*)?$/.test(g.text)).length;
    }
    t.ok(mangled > total / 20, `max ${max}: the sets collide: ${mangled} of ${total} names got ~N`);
    for (const n of [9, 10, 11, 99, 100, 1000, 1200]) {
      const names = sharedPrefix(n, 'z'.repeat(max));
      t.same(assignJolietNames(names, max), oldJoliet(names, max), `max ${max}: ${n} long names sharing a prefix`);
    }
  }
  // A plain name equal to another's `~N` form.
  const names = [`${'q'.repeat(70)}.txt`, `${'q'.repeat(70)}.TXT`, `${'q'.repeat(58)}~1.txt`, `${'q'.repeat(71)}.txt`];
  t.same(
    assignJolietNames(
      names.map((name) => ({ name, isDir: false })),
      64,
    ),
    oldJoliet(
      names.map((name) => ({ name, isDir: false })),
      64,
    ),
    'a real name that looks mangled',
  );
});

t.test('names sharing a long prefix cost linear time', async (t) => {
  // The old loop took 2.5 s for 5,000 of these and 48 s for 20,000 (ISO 9660 names).
  const time = (f: () => unknown) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  const shared = sharedPrefix(50_000);
  const long = sharedPrefix(50_000, 'w'.repeat(80));
  const iso = time(() => assignIsoNames(shared));
  const joliet = time(() => assignJolietNames(long, JOLIET_MAX));
  t.ok(iso < 5000, `ISO 9660: 50,000 names sharing a prefix in ${iso.toFixed(0)} ms`);
  t.ok(joliet < 5000, `Joliet: 50,000 long names sharing a prefix in ${joliet.toFixed(0)} ms`);
  const names = assignIsoNames(shared);
  t.equal(new Set(names.map(isoKey)).size, names.length, 'every ISO 9660 name is unique');
  t.equal(names[49_999].base, 'A_VERY_LONG_COMMON_PRE49999', 'the last one: counter 49999, the base cut to make room');
});

t.test('jolietOrder: the order of compareJolietNames, ties kept in input order', async (t) => {
  // Names that tie under space padding ('a' and 'a '), split differently as files and
  // directories, with and without extensions, and an exact order worked out by hand.
  t.same(jolietOrder(['b', 'a.c', 'a', 'a ', 'a.b'], [false, false, false, false, false]), [2, 3, 4, 1, 0], 'files: a, a (tie, input order), a.b, a.c, b');
  t.same(jolietOrder(['a.c', 'a.b', 'a'], [true, true, true]), [2, 1, 0], 'directories: the whole name is the base');
  let seed = 1;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = ['a', 'b', '.', ' ', '_', 'é', '~', '1'];
  for (let round = 0; round < 50; round++) {
    const names = Array.from({ length: 60 }, () => Array.from({ length: 1 + rand(6) }, () => alphabet[rand(alphabet.length)]).join(''));
    const dirs = names.map(() => rand(3) === 0);
    const expected = names.map((_, k) => k).sort((a, b) => compareJolietNames(names[a], dirs[a], names[b], dirs[b]));
    t.same(jolietOrder(names, dirs), expected, `random round ${round}`);
  }
});
