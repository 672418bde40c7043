// The README's example (npm run example, examples/quickstart.sh) runs as a new user runs it:
// the image listed by isoinfo and bsdtar, two sessions appended, xorriso lists both and
// cd-verify passes. It broke once unnoticed when cd-write stopped creating media by accident.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs } from './helpers/skip.js';

const ROOT = new URL('../', import.meta.url).pathname;

t.test('examples/quickstart.sh', (t) => {
  if (!needs(t, 'isoinfo', 'bsdtar', 'xorriso')) return t.end();
  const dir = mkdtempSync(join(tmpdir(), 'isopipe-example-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, CDR_DEVICE: '' };
  const r = spawnSync('sh', [join(ROOT, 'examples/quickstart.sh'), join(dir, 'x')], { encoding: 'utf8', env });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^ISO session\s*:\s*1 ,/m, 'xorriso lists session 1');
  t.match(r.stdout, /^ISO session\s*:\s*2 ,/m, 'and session 2');
  t.match(r.stdout, /every session verified/);
  t.end();
});
