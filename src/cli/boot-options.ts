// mkisofs's El Torito options (man iso-pack, BOOT IMAGES): -b/-e start an entry's image,
// -eltorito-alt-boot starts the next entry, the options between apply to the entry they
// follow. Position matters, so they are read from the parsed sequence.
import { PLATFORM_EFI, PLATFORM_MAC, PLATFORM_PPC, PLATFORM_X86 } from '../iso9660/el-torito.js';
import { splitPath } from '../tree/tree.js';
import type { BootImageSpec, BootPlan } from '../pack/boot.js';
import { readFileSync } from 'node:fs';
import { ISOHYBRID_CODE_BYTES } from '../iso9660/isohybrid.js';
import { fileError, lastOf, type ParsedOptions, safeText, UsageError } from './common.js';

export const BOOT_KEYS = [
  'boot-image',
  'efi-image',
  'catalog',
  'alt-boot',
  'no-emul-boot',
  'boot-load-size',
  'boot-load-seg',
  'boot-info-table',
  'no-boot',
  'eltorito-platform',
];

interface Draft {
  image?: string;
  spelled?: string;
  platform?: number;
  noEmul: boolean;
  efi: boolean;
  loadSize?: number;
  loadSegment: number;
  infoTable: boolean;
  bootable: boolean;
}

const PLATFORMS: Record<string, number> = { x86: PLATFORM_X86, ppc: PLATFORM_PPC, mac: PLATFORM_MAC, efi: PLATFORM_EFI };

/** Raw bytes in a latin1 string, as tar names are held. */
const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

function treePath(text: string, spelled: string): string {
  let parts: string[];
  try {
    parts = splitPath(latin1(text));
  } catch (err) {
    throw new UsageError(`${spelled} ${safeText(text)}: ${(err as Error).message}`);
  }
  if (parts.length === 0) throw new UsageError(`${spelled} wants a file in the image, not its root`);
  return parts.join('/');
}

function number(text: string, spelled: string, max: number): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= max)) throw new UsageError(`${spelled} ${safeText(text)}: wants a number from 0 to ${max}`);
  return n;
}

/** The boot plan the options describe, or undefined when there are none. */
export function bootPlan(args: ParsedOptions, start: number): BootPlan | undefined {
  const drafts: Draft[] = [];
  const fresh = (): Draft => ({ noEmul: false, efi: false, loadSegment: 0, infoTable: false, bootable: true });
  let cur = fresh();
  let catalog: string | undefined;
  let any = false;
  for (const { key, value, spelled } of args.sequence) {
    if (!BOOT_KEYS.includes(key)) continue;
    any = true;
    switch (key) {
      case 'boot-image':
      case 'efi-image':
        if (cur.image !== undefined)
          throw new UsageError(
            `${spelled} ${safeText(value)}: this entry already has the image '${safeText(cur.image)}': put -eltorito-alt-boot between the two`,
          );
        if (value === '') throw new UsageError(`${spelled} wants a value`);
        cur.image = treePath(value, spelled);
        cur.spelled = spelled;
        cur.efi = key === 'efi-image';
        break;
      case 'catalog':
        catalog = treePath(value, spelled);
        break;
      case 'alt-boot':
        if (cur.image === undefined) throw new UsageError(`${spelled} ends an entry without a boot image: give -b or -e before it`);
        drafts.push(cur);
        cur = fresh();
        break;
      case 'no-emul-boot':
        cur.noEmul = true;
        break;
      case 'boot-info-table':
        cur.infoTable = true;
        break;
      case 'no-boot':
        cur.bootable = false;
        break;
      case 'boot-load-size':
        cur.loadSize = value === 'full' ? undefined : number(value, spelled, 0xffff);
        if (cur.loadSize === 0) throw new UsageError(`${spelled} 0: the firmware would load nothing (give 1 to 65535 sectors of 512 bytes, or full)`);
        break;
      case 'boot-load-seg':
        cur.loadSegment = number(value, spelled, 0xffff);
        break;
      case 'eltorito-platform': {
        const p = PLATFORMS[value.toLowerCase()] ?? (/^(0x)?[0-9a-f]+$/i.test(value) ? number(value, spelled, 0xff) : undefined);
        if (p === undefined) throw new UsageError(`${spelled} ${safeText(value)}: wants x86, PPC, Mac, efi or a number`);
        cur.platform = p;
        break;
      }
    }
  }
  const mbrPath = lastOf(args, 'isohybrid-mbr');
  let mbr: Buffer | undefined;
  if (mbrPath !== undefined) {
    if (start !== 0) throw new UsageError("-isohybrid-mbr writes the first session's system area: leave it out with -C");
    try {
      mbr = readFileSync(mbrPath);
    } catch (err) {
      throw fileError('cannot read the isohybrid MBR template', mbrPath, err);
    }
    if (mbr.length < ISOHYBRID_CODE_BYTES)
      throw new UsageError(
        `-isohybrid-mbr ${safeText(mbrPath)}: ${mbr.length} bytes, not an MBR template (isolinux's isohdpfx.bin has ${ISOHYBRID_CODE_BYTES} or more)`,
      );
    if (!any) throw new UsageError('-isohybrid-mbr needs a BIOS boot image: add -b isolinux/isolinux.bin -no-emul-boot -boot-info-table');
  }
  if (!any) return undefined;
  if (cur.image !== undefined) drafts.push(cur);
  else if (drafts.length) throw new UsageError('-eltorito-alt-boot is not followed by -b or -e: the last entry has no boot image');
  if (drafts.length === 0) throw new UsageError('El Torito options without a boot image: give -b FILE (BIOS) or -e FILE (EFI)');
  const images: BootImageSpec[] = drafts.map((d) => {
    // xorriso -as mkisofs -e implies no emulation; mkisofs -b defaults to floppy emulation.
    if (!d.noEmul && !d.efi)
      throw new UsageError(
        `${d.spelled} ${safeText(d.image!)}: iso-pack writes no-emulation boot images only: add -no-emul-boot (floppy and hard disk emulation are not supported)`,
      );
    return {
      path: d.image!,
      platform: d.platform ?? (d.efi ? PLATFORM_EFI : PLATFORM_X86),
      bootable: d.bootable,
      loadSegment: d.loadSegment,
      loadSize: d.loadSize,
      infoTable: d.infoTable,
    };
  });
  for (const i of images) if (i.path === catalog) throw new UsageError(`-c ${safeText(catalog)} names a boot image: the catalog needs a path of its own`);
  // Without -c the catalog is hidden (in no directory), as xorriso -as mkisofs does.
  return { catalog, images, isohybridMbr: mbr };
}
