// The Joliet path limit as libisofs applies it (xorriso -J; libisofs joliet.c create_tree):
// 1 for the root plus, per component, 1 + 2 bytes per UTF-16 unit of its Joliet name (no
// ";1"), at most 240 — under ECMA-119's 255-byte path limit and Windows' 260-character
// MAX_PATH. Deeper files and directories are left out of the Joliet tree with everything
// under them; Rock Ridge and ISO 9660 keep them (docs/readers.md).
export const JOLIET_MAX_PATH = 240;

/** The root's length in that measure. */
export const JOLIET_ROOT_PATH = 1;

/** The measure of a path one component of `nameUnits` UTF-16 units below one of `parent`. */
export function jolietPathLength(parent: number, nameUnits: number): number {
  return parent + 1 + 2 * nameUnits;
}

/** The longest name (UTF-16 units) that fits under JOLIET_MAX_PATH in a directory of
 *  measure `parent`. */
export function longestJolietName(parent: number): number {
  return Math.floor((JOLIET_MAX_PATH - 1 - parent) / 2);
}

/** The measure of a '/'-separated Joliet path ('' or '/' for the root). */
export function jolietPathOf(path: string): number {
  let n = JOLIET_ROOT_PATH;
  for (const c of path.split('/')) if (c !== '') n = jolietPathLength(n, c.length);
  return n;
}
