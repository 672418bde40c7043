// The medium a reader names, as an Image: a disc in an optical drive read through the drive
// (its sessions from the TOC; the drive code is loaded only then), else an image file or a
// block device. iso-merge and iso-pack -M open their medium here, so they read it alike.
import { existsSync } from 'node:fs';
import { isOpticalDrive } from '../drive/address.js';
import { Image } from '../image/image.js';

/** The medium at `path`, or null when nothing is there. The caller closes it. */
export async function openMediumImage(path: string): Promise<Image | null> {
  const disc = isOpticalDrive(path) ? await (await import('../drive/disc-image.js')).openDiscImage(path) : null;
  if (disc) return disc.image;
  return existsSync(path) ? Image.open(path) : null;
}
