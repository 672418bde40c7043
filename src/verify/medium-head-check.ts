// The medium head (LBA 0–31, DESIGN §5) must show the newest session: a copy of that
// session's volume descriptors with the volume space size set to the absolute end. Only the
// size and the application use area (where isopipe records "closed") may differ.
import type { SectorSource } from '../image/sector-source.js';
import type { SessionEntry } from '../image/sessions.js';
import { DESCRIPTOR_PRIMARY, DESCRIPTOR_SUPPLEMENTARY, DESCRIPTOR_TERMINATOR, isVolumeDescriptor, VD } from '../iso9660/volume-descriptor.js';
import type { FindingSink } from './findings.js';
import { SECTOR } from '../iso9660/constants.js';

const MAX_DESCRIPTORS = 16;

export function checkMediumHead(src: SectorSource, newest: SessionEntry, sink: FindingSink): void {
  const find = (message: string, lba: number, expected?: string | number, found?: string | number) =>
    sink.add({ kind: 'medium-head', lba, expected, found, message: message });
  const end = newest.start + newest.size;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const own = newest.start + 16 + i;
    const head = 16 + i;
    if (!src.holds(own, SECTOR) || !src.holds(head, SECTOR)) return;
    const a = src.read(own, 1);
    const b = src.read(head, 1);
    if (!isVolumeDescriptor(a)) return;
    if (!isVolumeDescriptor(b)) {
      find(`LBA ${head} should hold a copy of the newest session's descriptor at LBA ${own}`, head);
      return;
    }
    const type = a[0];
    if (b[0] !== type) {
      find(`LBA ${head} holds a descriptor of type ${b[0]}, the newest session's at LBA ${own} has type ${type}`, head, type, b[0]);
      return;
    }
    if (type === DESCRIPTOR_PRIMARY || type === DESCRIPTOR_SUPPLEMENTARY) {
      const size = b.readUInt32LE(VD.volumeSpaceSize);
      if (size !== end) find(`the volume space size at LBA ${head} is ${size}, the newest session ends at ${end}`, head, end, size);
      for (let k = 0; k < SECTOR; k++) {
        if (k >= VD.volumeSpaceSize && k < VD.volumeSpaceSize + 8) continue;
        if (type === DESCRIPTOR_PRIMARY && k >= VD.applicationUse && k < VD.applicationUse + VD.applicationUseLength) continue;
        if (a[k] !== b[k]) {
          find(
            `the descriptor at LBA ${head} differs from the newest session's at LBA ${own} (byte ${k}): the medium head does not show the newest session`,
            head,
            a[k],
            b[k],
          );
          break;
        }
      }
    } else if (!a.equals(b)) {
      find(`the descriptor at LBA ${head} differs from the newest session's at LBA ${own}`, head);
    }
    if (type === DESCRIPTOR_TERMINATOR) return;
  }
}
