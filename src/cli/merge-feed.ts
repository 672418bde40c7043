// iso-pack -M: the merge engine of iso-merge run in-process in front of the pack engine.
// stdin's tar goes into a Merger, whose merged tar (stdin's entries, then the old session's
// files as references to their extents) is parsed again straight into the packer: the
// same bytes `iso-merge | iso-pack` would pass through a pipe, without the pipe.
import { existsSync } from 'node:fs';
import { Image } from '../image/image.js';
import { Merger } from '../merge/merger.js';
import { OldTree } from '../merge/old-tree.js';
import { TarOutput } from '../merge/tar-output.js';
import { TarParser, type TarSink } from '../tar/parser.js';

export interface MergeFeed {
  /** Where stdin's tar entries go. */
  sink: TarSink;
  /** After stdin's tar ended: the old session's entries, then the end of the merged tar. */
  finish(): void;
  close(): void;
}

/** A feed that merges the newest session of the medium at `path` into `into`. */
export function mergeFeed(path: string, into: TarSink): MergeFeed {
  if (!existsSync(path)) throw new Error(`-M ${path}: no such medium: leave out -M (and -C) for a first session`);
  const image = Image.open(path);
  if (image.blank) {
    // Nothing to carry over: stdin's tar goes straight to the packer.
    return { sink: into, finish() {}, close: () => image.close() };
  }
  try {
    const old = OldTree.load(image, image.session());
    const reparse = new TarParser(into);
    const merged = new TarOutput((b) => reparse.push(b));
    const merger = new Merger({ mode: 'overlay', remove: [] }, old, image, merged);
    return {
      sink: merger,
      finish() {
        merger.finish();
        merged.finish();
        reparse.end();
      },
      close: () => image.close(),
    };
  } catch (err) {
    image.close();
    throw err;
  }
}
