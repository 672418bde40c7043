// The Joliet tree against the Rock Ridge (or plain ISO 9660) tree, one directory at a
// time: the same files with the same extents, the same directories.
import { childPath, type DirectoryChild } from '../image/directory-walker.js';
import { type DataExtent, typeFromMode } from '../image/entry.js';
import { JOLIET_MAX_PATH, jolietPathLength, jolietPathOf } from '../iso9660/joliet-path.js';
import { JOLIET_LONG_MAX, jolietText } from '../iso9660/joliet-names.js';
import type { SessionContext } from './session-context.js';

/**
 * Both trees must describe the same files with the same extents. Returns the Joliet
 * directory matched to each Rock Ridge directory: by name, else in order among the rest
 * (Joliet names may be shortened).
 */
export function compareTrees(
  ctx: SessionContext,
  paths: { iso: string; joliet: string },
  rockRidge: boolean,
  rock: DirectoryChild[],
  joliet: DirectoryChild[],
): Map<DirectoryChild, DirectoryChild> {
  const other = rockRidge ? 'Rock Ridge' : 'ISO 9660';
  const key = (c: DirectoryChild) => c.sections.map((x) => `${x.lba}+${x.bytes}`).join(',');
  // Rock Ridge files by their first LBA (a number: no key text for every file), those that
  // share one in a ring in directory order (next, prev), matched by all extents and taken out.
  const headAt = new Map<number, number>(); // -1 once every file there is matched
  const next = new Int32Array(rock.length);
  const prev = new Int32Array(rock.length);
  for (let i = 0; i < rock.length; i++) {
    const c = rock[i];
    if (c.isDir || c.sections.length === 0) continue;
    const t = c.rr.mode !== undefined ? typeFromMode(c.rr.mode) : 'file';
    if (t !== 'file') continue;
    const k = c.sections[0].lba;
    const head = headAt.get(k);
    if (head === undefined) {
      headAt.set(k, i);
      next[i] = prev[i] = i;
    } else {
      const last = prev[head];
      next[last] = i;
      prev[i] = last;
      next[i] = head;
      prev[head] = i;
    }
  }
  for (const j of joliet) {
    if (j.isDir || j.sections.length === 0) continue;
    const k = j.sections[0].lba;
    const head = headAt.get(k) ?? -1;
    // The last one left with the same extents (hard links share them).
    let at = -1;
    if (head >= 0)
      for (let i = prev[head]; ; i = prev[i]) {
        if (sameSections(rock[i].sections, j.sections)) at = i;
        if (at >= 0 || i === head) break;
      }
    if (at >= 0) {
      if (next[at] === at) headAt.set(k, -1);
      else {
        next[prev[at]] = next[at];
        prev[next[at]] = prev[at];
        if (at === head) headAt.set(k, next[at]);
      }
    } else
      ctx.find('joliet', `Joliet file ${JSON.stringify(j.name)} (data ${key(j)}) has no file with the same extents in the ${other} tree`, {
        lba: j.recordLba,
        path: childPath(paths.joliet, j.name),
        found: key(j),
      });
  }
  // What libisofs leaves out on purpose (paths over 240 bytes; joliet-path.ts) is not a finding.
  const parentLength = jolietPathOf(paths.joliet);
  const mayLeaveOut = (c: DirectoryChild) => jolietPathLength(parentLength, Math.min(jolietText(c.name).length, JOLIET_LONG_MAX)) > JOLIET_MAX_PATH;
  for (const head of headAt.values()) {
    if (head < 0) continue;
    let i = head;
    do {
      const c = rock[i];
      if (!mayLeaveOut(c))
        ctx.find('joliet', `the Joliet tree has no file with the extents of this file (${key(c)})`, {
          lba: c.recordLba,
          path: childPath(paths.iso, c.name),
          expected: key(c),
        });
      i = next[i];
    } while (i !== head);
  }

  const pairs = new Map<DirectoryChild, DirectoryChild>();
  const rockDirs = rock.filter((c) => c.isDir);
  const jolietDirs = joliet.filter((c) => c.isDir);
  const freeJ = new Set(jolietDirs);
  for (const c of rockDirs) {
    const j = jolietDirs.find((d) => freeJ.has(d) && d.name === c.name);
    if (j) {
      pairs.set(c, j);
      freeJ.delete(j);
    }
  }
  // Directories Joliet may leave out pair last, so that shortened names pair with the rest.
  const unmatched = rockDirs.filter((c) => !pairs.has(c) && !isRelocationDir(paths.iso, c.name));
  const restR = [...unmatched.filter((c) => !mayLeaveOut(c)), ...unmatched.filter(mayLeaveOut)];
  const restJ = [...freeJ];
  for (let k = 0; k < Math.min(restR.length, restJ.length); k++) pairs.set(restR[k], restJ[k]);
  for (let k = restJ.length; k < restR.length; k++)
    if (!mayLeaveOut(restR[k]))
      ctx.find('joliet', 'directory missing from the Joliet tree', { lba: restR[k].recordLba, path: childPath(paths.iso, restR[k].name) });
  for (let k = restR.length; k < restJ.length; k++)
    ctx.find('joliet', `Joliet directory ${JSON.stringify(restJ[k].name)} has no counterpart in the ${other} tree`, {
      lba: restJ[k].recordLba,
      path: childPath(paths.joliet, restJ[k].name),
    });
  return pairs;
}

function sameSections(a: DataExtent[], b: DataExtent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].lba !== b[i].lba || a[i].bytes !== b[i].bytes) return false;
  return true;
}

/** Writers' relocation directories, which Joliet trees do not have. */
function isRelocationDir(parentPath: string, name: string): boolean {
  return parentPath === '' && /^\.?rr_moved$/i.test(name);
}
