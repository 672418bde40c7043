// The README, docs and man pages speak only of files a user has: no links out of the
// repository, no section numbers of a design document that is not in it (#12).
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const REPO = new URL('../', import.meta.url).pathname;
const files = [
  'README.md',
  'bench/README.md',
  ...readdirSync(join(REPO, 'docs')).map((f) => `docs/${f}`),
  ...readdirSync(join(REPO, 'man')).map((f) => `man/${f}`),
];

t.test('no references outside the repository', async (t) => {
  for (const f of files) {
    const text = readFileSync(join(REPO, f), 'utf8');
    t.notMatch(text, /\.\.\/shared|DESIGN(\.md| §)/, `${f} names no file outside the repository`);
  }
});

t.test("the README's and docs' relative links exist", async (t) => {
  for (const f of files.filter((x) => x.endsWith('.md'))) {
    const text = readFileSync(join(REPO, f), 'utf8');
    for (const m of text.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)) t.ok(existsSync(join(REPO, dirname(f), m[1])), `${f}: ${m[1]}`);
  }
});

t.test('package.json installs every man page and builds dist/ when packed', async (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  t.same(
    [...pkg.man].sort(),
    readdirSync(join(REPO, 'man'))
      .map((f: string) => `man/${f}`)
      .sort(),
  );
  t.match(pkg.scripts.prepack, /tsc/);
  t.match(pkg.scripts.prepare, /build\.sh/);
  t.ok(pkg.files.includes('dist') && pkg.files.includes('bin'));
  for (const bin of Object.keys(pkg.bin)) t.ok(pkg.man.includes(`man/${bin}.1`), `${bin} has a man page`);
});
