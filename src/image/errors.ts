// Errors of the image reader. Every problem found in an image names where it was found
// (session, LBA, path), so that a damaged medium can be inspected by hand.

export interface ImagePlace {
  /** 1-based session number, when known. */
  session?: number;
  lba?: number;
  /** Path in the tree, raw bytes in a latin1 string ('' is the root). */
  path?: string;
}

/** A bad or unreadable image: the message names the session, the LBA and the path. */
export class ImageError extends Error {
  constructor(
    readonly reason: string,
    readonly place: ImagePlace,
  ) {
    super(describePlace(place) + reason);
  }
}

/** Raw path bytes shown as UTF-8 with control bytes escaped, quoted. */
export function displayPath(path: string): string {
  let text = Buffer.from(path, 'latin1').toString('utf8');
  // A crafted image can make paths of many kilobytes: keep messages one readable line.
  if (text.length > 300) text = text.slice(0, 100) + '…' + text.slice(-150);
  return "'/" + text.replace(/[\x00-\x1f\x7f\\]/g, (c) => (c === '\\' ? '\\\\' : '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'))) + "'";
}

function describePlace(p: ImagePlace): string {
  const parts: string[] = [];
  if (p.session !== undefined) parts.push(`session ${p.session}`);
  if (p.lba !== undefined) parts.push(`LBA ${p.lba}`);
  if (p.path !== undefined) parts.push(displayPath(p.path));
  return parts.length ? parts.join(', ') + ': ' : '';
}
