// A tar of a few in-memory files (tar-stream), for tests that need a small archive without
// a directory on disk. Fixed mtime, so iso-pack's output is reproducible.
import tarStream from 'tar-stream';

export async function tarOfFiles(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => pack.on('end', r));
  for (const [name, data] of Object.entries(files)) pack.entry({ name, mtime: new Date(1_700_000_000_000) }, data);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
