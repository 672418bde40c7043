// A record's Rock Ridge attributes against its directory record: a PX with a file type
// that agrees, an SL exactly on symlinks.
import { typeFromMode } from '../image/entry.js';
import type { RockRidge } from '../iso9660/rockridge.js';
import type { SessionContext } from './session-context.js';

/** A directory's own `.` record carries its attributes. */
export function checkDotRockRidge(ctx: SessionContext, rr: RockRidge, lba: number, path: string): void {
  if (rr.mode === undefined) ctx.find('rock-ridge', '`.` record has no PX entry', { lba, path });
}

export function checkRockRidgeRecord(ctx: SessionContext, rr: RockRidge, dir: boolean, lba: number, path: string): void {
  if (rr.mode === undefined) {
    ctx.find('rock-ridge', 'record has no PX entry', { lba, path });
    return;
  }
  const t = typeFromMode(rr.mode);
  if (t === null) ctx.find('rock-ridge', `PX mode 0${rr.mode.toString(8)} names no file type`, { lba, path });
  else if ((t === 'dir') !== dir && rr.childLink === undefined)
    ctx.find('rock-ridge', `PX says ${t} but the directory record says ${dir ? 'directory' : 'file'}`, { lba, path });
  if (t === 'symlink' && !rr.target) ctx.find('rock-ridge', 'symlink without an SL target', { lba, path });
  if (t !== 'symlink' && rr.target !== undefined) ctx.find('rock-ridge', 'SL entry on a record that is no symlink', { lba, path });
}
