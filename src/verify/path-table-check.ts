// Both path tables of a tree (L and M): readable, alike, and listing exactly the
// directories the walk found, each under its parent, in order.
import { decodePathTable } from '../iso9660/path-table.js';
import type { VolumeDescriptor } from '../iso9660/volume-descriptor.js';
import { SECTOR } from '../iso9660/constants.js';
import { inOrder } from './record-order.js';
import type { SessionContext } from './session-context.js';

/** A directory as the path table must list it. */
export interface DirPlace {
  parentExtent: number;
  identifier: Buffer;
}

interface PathTableRecord {
  extent: number;
  parent: number;
  identifier: Buffer;
  /** Sector the record starts in. */
  lba: number;
}

export function checkPathTables(
  ctx: SessionContext,
  vd: VolumeDescriptor,
  dirs: Map<number, DirPlace>,
  rootExtent: number,
  joliet: boolean,
  treeIncomplete: boolean,
): void {
  const what = joliet ? 'Joliet ' : '';
  const size = vd.pathTableSize;
  const sectors = Math.ceil(size / SECTOR);
  if (size === 0) {
    ctx.find('path-table', `${what}path table size is 0`, { lba: vd.lPathTable });
    return;
  }
  const read = (lba: number, which: string): Buffer | null => {
    if (!ctx.src.holds(lba, sectors * SECTOR)) {
      ctx.find('path-table', `${what}${which} path table ${lba}+${size} runs past the end of the medium`, { lba });
      return null;
    }
    if (size > 64 * 1024 * 1024) {
      ctx.find('path-table', `${what}${which} path table of ${size} bytes is implausibly large`, { lba });
      return null;
    }
    return ctx.src.read(lba, sectors).subarray(0, size);
  };
  const l = read(vd.lPathTable, 'L');
  const m = vd.mPathTable !== 0 ? read(vd.mPathTable, 'M') : null;
  if (vd.mPathTable === 0) ctx.find('path-table', `${what}no M path table`, { lba: vd.lPathTable });
  const le = l ? decodeTable(ctx, l, true, vd.lPathTable, `${what}L`) : null;
  const be = m ? decodeTable(ctx, m, false, vd.mPathTable, `${what}M`) : null;
  if (le && be) {
    const n = Math.min(le.length, be.length);
    for (let k = 0; k < n; k++) {
      const a = le[k];
      const b = be[k];
      if (a.extent !== b.extent || a.parent !== b.parent || !a.identifier.equals(b.identifier)) {
        ctx.find('path-table', `${what}L and M path tables differ at entry ${k + 1}`, {
          lba: b.lba,
          expected: `${a.extent}/${a.parent}`,
          found: `${b.extent}/${b.parent}`,
        });
        break;
      }
    }
    if (le.length !== be.length) ctx.find('path-table', `${what}L path table has ${le.length} entries, M has ${be.length}`, { lba: vd.mPathTable });
  }
  for (const [table, lba] of [
    [le, vd.lPathTable],
    [be, vd.mPathTable],
  ] as const) {
    if (!table) continue;
    againstTree(ctx, table, dirs, rootExtent, joliet, lba, treeIncomplete);
  }
}

function decodeTable(ctx: SessionContext, b: Buffer, little: boolean, lba: number, what: string): PathTableRecord[] | null {
  const { entries, malformedAt } = decodePathTable(b, little);
  const out = entries.map((e) => ({ extent: e.extent, parent: e.parent, identifier: e.identifier, lba: lba + Math.floor(e.offset / SECTOR) }));
  if (malformedAt === null) return out;
  ctx.find('path-table', `${what} path table record at byte ${malformedAt} is malformed (identifier length ${b[malformedAt]})`, {
    lba: lba + Math.floor(malformedAt / SECTOR),
  });
  return out.length ? out : null;
}

function againstTree(
  ctx: SessionContext,
  table: PathTableRecord[],
  dirs: Map<number, DirPlace>,
  rootExtent: number,
  joliet: boolean,
  tableLba: number,
  treeIncomplete: boolean,
): void {
  const what = joliet ? 'Joliet path table' : 'path table';
  let problems = 0;
  const report = (message: string, where: { lba: number; expected?: string | number; found?: string | number }) => {
    if (++problems <= 20) ctx.find('path-table', message, where);
  };
  if (treeIncomplete) {
    // Only what the table says about itself: the tree it describes was not read whole.
    for (let k = 1; k < table.length; k++) {
      const e = table[k];
      if (e.parent < 1 || e.parent > k) report(`${what} entry ${k + 1} names parent ${e.parent}, not an earlier entry`, { lba: e.lba, found: e.parent });
      else if (e.extent < ctx.session.start || e.extent >= ctx.end)
        report(`${what} entry ${k + 1} points at LBA ${e.extent}, outside the session`, { lba: e.lba, found: e.extent });
    }
    if (problems > 20) ctx.find('path-table', `${what}: ${problems - 20} more problems not listed`, { lba: tableLba });
    return;
  }
  if (table.length !== dirs.size)
    report(`${what} lists ${table.length} directories, the tree has ${dirs.size}`, { lba: tableLba, expected: dirs.size, found: table.length });
  const seen = new Set<number>();
  for (let k = 0; k < table.length; k++) {
    const e = table[k];
    if (k === 0) {
      if (e.extent !== rootExtent || e.parent !== 1 || !(e.identifier.length === 1 && e.identifier[0] === 0))
        report(`${what} entry 1 is not the root directory (LBA ${rootExtent})`, { lba: e.lba, expected: rootExtent, found: e.extent });
      seen.add(e.extent);
      continue;
    }
    const place = dirs.get(e.extent);
    if (!place) {
      report(`${what} entry ${k + 1} points at LBA ${e.extent}, where the tree has no directory`, { lba: e.lba, found: e.extent });
      continue;
    }
    seen.add(e.extent);
    if (e.parent < 1 || e.parent > k) {
      report(`${what} entry ${k + 1} names parent ${e.parent}, not an earlier entry`, { lba: e.lba, found: e.parent });
      continue;
    }
    const parent = table[e.parent - 1];
    if (parent.extent !== place.parentExtent)
      report(`${what} entry ${k + 1} (LBA ${e.extent}) names a parent at LBA ${parent.extent}, the tree's is at ${place.parentExtent}`, {
        lba: e.lba,
        expected: place.parentExtent,
        found: parent.extent,
      });
    if (!e.identifier.equals(place.identifier))
      report(
        `${what} entry ${k + 1} (LBA ${e.extent}) has identifier ${JSON.stringify(e.identifier.toString('latin1'))}, its directory record ${JSON.stringify(place.identifier.toString('latin1'))}`,
        {
          lba: e.lba,
        },
      );
    const prev = table[k - 1];
    if (k > 1 && (e.parent < prev.parent || (e.parent === prev.parent && !inOrder(prev.identifier, true, e.identifier, true, joliet))))
      report(`${what} entry ${k + 1} is out of order`, { lba: e.lba });
  }
  for (const [extent] of dirs) if (!seen.has(extent)) report(`${what} does not list the directory at LBA ${extent}`, { lba: tableLba, expected: extent });
  if (problems > 20) ctx.find('path-table', `${what}: ${problems - 20} more problems not listed`, { lba: tableLba });
}
