// Helper threads (src/threads/helper-thread.ts): a failure caught in a worker must reach
// the main thread as the error it was, with the code, syscall and errno the tools'
// messages are made from, however long its message; a worker that cannot start must give
// null, so that the caller does the work itself or says why it cannot.
import t from 'tap';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FAILED, failureBlock, failureOf, leaveFailure, neverStarted, RUNNING, sleepOn, STARTING, startHelper } from '../dist/threads/helper-thread.js';

const work = mkdtempSync(join(tmpdir(), 'isopipe-helper-thread-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const helperModule = new URL('../dist/threads/helper-thread.js', import.meta.url).href;
const missing = join(work, 'no-such-dir', 'file');

/** The error the main thread gets from what the worker below does. */
function expectedError(): NodeJS.ErrnoException {
  try {
    readFileSync(missing);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  throw new Error('the file exists');
}

t.test("a worker's failure reaches the main thread as the error it caught", async (t) => {
  const script = join(work, 'fails.mjs');
  writeFileSync(
    script,
    `import { workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { FAILED, leaveFailure } from ${JSON.stringify(helperModule)};
const ctl = new Int32Array(workerData.control);
try { readFileSync(${JSON.stringify(missing)}); } catch (err) { leaveFailure(workerData.failure, err); }
Atomics.store(ctl, 0, FAILED);
Atomics.notify(ctl, 0);
`,
  );
  const ctl = new Int32Array(new SharedArrayBuffer(4));
  const failure = failureBlock();
  const worker = startHelper(pathToFileURL(script), { control: ctl.buffer, failure });
  if (!worker) throw new Error('no worker');
  t.teardown(() => worker.terminate());
  for (let waited = 0; Atomics.load(ctl, 0) !== FAILED && waited < 30_000; ) waited += sleepOn(ctl, 0, Atomics.load(ctl, 0));
  t.equal(Atomics.load(ctl, 0), FAILED, 'the worker said it failed');
  const want = expectedError();
  const got = failureOf(failure, 'fallback');
  t.ok(got instanceof Error);
  t.same(
    { message: got.message, code: got.code, syscall: got.syscall, errno: got.errno },
    { message: want.message, code: want.code, syscall: want.syscall, errno: want.errno },
  );
});

t.test('a long message is cut so that the rest still comes back', async (t) => {
  for (const unit of ['x', 'é\n', '\u0001"', '😀']) {
    const message = unit.repeat(3000);
    const block = failureBlock();
    const err = Object.assign(new Error(message), { code: 'EIO', syscall: 'write', errno: -5 });
    leaveFailure(block, err);
    const bytes = Buffer.from(block);
    t.equal(bytes[bytes.length - 1], 0, `${JSON.stringify(unit)}: the text ends inside the block`);
    const got = failureOf(block, 'fallback');
    t.ok(got.message.length > 100 && message.startsWith(got.message.replace(/\uFFFD$/, '')), `${JSON.stringify(unit)}: the message's start`);
    t.same([got.code, got.syscall, got.errno], ['EIO', 'write', -5], `${JSON.stringify(unit)}: code, syscall and errno`);
  }
});

t.test('a helper that left nothing, or threw a non-error', async (t) => {
  const none = failureOf(failureBlock(), 'the helper failed');
  t.equal(none.message, 'the helper failed');
  t.equal(none.code, undefined);
  const block = failureBlock();
  leaveFailure(block, 'a string');
  t.equal(failureOf(block, 'fallback').message, 'a string');
});

t.test('a worker whose script is missing is none', async (t) => {
  t.equal(startHelper(pathToFileURL(join(work, 'missing.mjs')), {}), null);
});

t.test('sleepOn waits while the cell holds the value, at most a second', async (t) => {
  const ctl = new Int32Array(new SharedArrayBuffer(4));
  t.ok(sleepOn(ctl, 0, 1) < 500, 'not at all when the cell differs');
  const waited = sleepOn(ctl, 0, 0);
  t.ok(waited >= 900 && waited < 5000, `about a second when it holds (${waited} ms)`);
});

t.test('a helper is given up on only after a minute in STARTING', async (t) => {
  t.equal(neverStarted(STARTING, 59_000, 'the helper'), null);
  t.equal(neverStarted(STARTING, 61_000, 'the helper'), 'the helper did not start within 60 s');
  t.equal(neverStarted(RUNNING, 3_600_000, 'the helper'), null);
});
