// iso-pack -M: the merge engine of iso-merge run in-process in front of the pack engine.
// stdin's tar goes into a Merger, whose merged tar (stdin's entries, then the old session's
// files as references to their extents) is parsed again straight into the packer: the
// same bytes `iso-merge | iso-pack` would pass through a pipe, without the pipe.
import type { Image } from '../image/image.js';
import { Merger } from '../merge/merger.js';
import { OldTree } from '../merge/old-tree.js';
import { TarOutput } from '../merge/tar-output.js';
import { TarParser, type TarSink } from '../tar/parser.js';
import { openMediumImage } from './medium-image.js';

export interface MergeFeed {
  /** Where stdin's tar entries go. */
  sink: TarSink;
  /** After stdin's tar ended: the old session's entries, then the end of the merged tar. */
  finish(): void;
}

/** The medium -M names, read as iso-merge reads it (mkisofs -M /dev/sr0 read the disc too). */
export async function openMergeMedium(path: string): Promise<Image> {
  const image = await openMediumImage(path);
  if (!image) throw new Error(`-M ${path}: no such medium: leave out -M (and -C) for a first session`);
  return image;
}

/** A feed that merges the newest session of `image` into `into`. */
export function mergeFeed(image: Image, into: TarSink): MergeFeed {
  // A blank medium has nothing to carry over: stdin's tar goes straight to the packer.
  if (image.blank) return { sink: into, finish() {} };
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
  };
}
