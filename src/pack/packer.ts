// iso-pack's engine: tar entries in, one session out (DESIGN §3). File data is copied to
// the output as it arrives, each file at the next free sector; the tree is kept; the
// metadata and the head are written at the end.
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';
import type { VolumeIdentity } from '../iso9660/volume-descriptor.js';
import { roundUp } from '../iso9660/numbers.js';
import type { SessionSink } from '../session/output.js';
import type { TarEntry, TarSink } from '../tar/parser.js';
import { Excluder } from '../tree/exclude.js';
import { fileNeedsContinuation } from '../iso9660/record-budget.js';
import { pnKernelOnly } from '../iso9660/rockridge.js';
import { JOLIET_MAX_PATH } from '../iso9660/joliet-path.js';
import { SessionLayout } from './layout.js';
import { IsoRecordShapes } from './iso-tree.js';
import { LeftDirectories } from './left-directories.js';
import type { HeldBack } from './held-back.js';
import { MAX_ZISOFS_SIZE, parseZf } from '../iso9660/zisofs.js';
import { ZisofsCompressor, type ZisofsOptions } from './zisofs-writer.js';
import type { FileChecksums } from './md5.js';
import { BootCatalogWriter, HeldBootImage, type BootPlan } from './boot.js';
import { type Attributes, type Extent, type Inode, isDir, newDir, newInode, PathSplitter, splitPath, Tree, TreeError } from '../tree/tree.js';
import { extentBytes, parseExtents } from '../tar/isopipe-records.js';

export interface PackOptions {
  start: number;
  joliet: boolean;
  jolietMax: number;
  rationalize: boolean;
  identity: VolumeIdentity;
  excludes: string[];
  /** Bytes of file data that may wait in memory to be written after the metadata. */
  holdBackLimit: number;
  /** Date for directories the tar implies but does not list. */
  impliedDate: number;
  /** --md5: each file's MD5 as its data passes, recorded as libisofs does. */
  checksums?: FileChecksums;
  /** -z: regular files zisofs-compressed as they stream (those that shrink). */
  zisofs?: ZisofsOptions;
  /** -b/-e/-c: El Torito boot images from the tar and the catalog (boot.ts). */
  boot?: BootPlan;
}

/** A component longer than this cannot be a file name on any reader. */
const MAX_NAME_BYTES = 255;
/** ECMA-119's volume space size is 32 bits of sectors. */
const MAX_SECTORS = 0xffffffff;

export class PackError extends Error {}

export class Packer implements TarSink {
  readonly tree: Tree;
  private readonly left: LeftDirectories;
  private readonly excluder: Excluder;
  private readonly paths = new PathSplitter();
  private lba: number;
  /** Where the current entry's data goes. */
  private target: 'out' | 'hold' | 'drop' | 'zisofs' | 'boot' = 'drop';
  /** The current -boot-info-table image, held until its end. */
  private bootImage: HeldBootImage | null = null;
  /** Boot images (by tree path) whose data went out patched. */
  private readonly patched = new Set<Inode>();
  /** The boot catalog once finish() made it (its LBA is the layout's). */
  private bootCatalog: BootCatalogWriter | null = null;
  /** -isohybrid-mbr: the BIOS image the MBR loads. */
  private isohybridImage: Inode | null = null;
  /** The current file's compressor (-z), while its data streams. */
  private compressor: ZisofsCompressor | null = null;
  private current: Inode | null = null;
  private currentPath = '';
  private received = 0;
  private held: HeldBack[] = [];
  private heldBytes = 0;
  /** A GNU volume label in the tar, used as the volume id when none is given. */
  label: string | null = null;
  readonly warnings: string[] = [];
  private holdBackOverflow = 0;
  /** Device nodes whose numbers only Linux reads back (rockridge.ts pnEntry). */
  private kernelOnlyDevices = 0;
  counts = { files: 0, dirs: 0, bytes: 0, excluded: 0, compressed: 0, compressedBytes: 0 };

  constructor(
    private readonly opt: PackOptions,
    private readonly out: SessionSink,
  ) {
    this.tree = new Tree(() => ({ perm: 0o755, uid: 0, gid: 0, mtime: opt.impliedDate }));
    this.left = new LeftDirectories(this.tree.root, opt.joliet ? opt.jolietMax : null, new IsoRecordShapes(opt.checksums));
    this.excluder = new Excluder(opt.excludes);
    this.lba = opt.start + HEAD_SECTORS;
  }

  volumeLabel(label: string): void {
    this.label ??= label;
  }

  entry(e: TarEntry): void {
    let parts: string[];
    try {
      parts = this.paths.split(e.path);
    } catch (err) {
      throw new PackError(`${(err as Error).message}: refused (it would extract outside the tree)`);
    }
    this.currentPath = e.path;
    this.current = null;
    this.target = 'drop';
    for (const p of parts)
      if (p.length > MAX_NAME_BYTES) throw new PackError(`'${e.path}': a name of ${p.length} bytes is longer than any file system allows (${MAX_NAME_BYTES})`);
    if (this.excluder.excludes(parts)) {
      this.counts.excluded++;
      return;
    }
    this.add(parts, e);
    this.left.entered(parts);
  }

  /** The entry into the tree, and its data placed. */
  private add(parts: string[], e: TarEntry): void {
    const attrs: Attributes = { perm: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtime: e.mtime, atime: e.atime, ctime: e.ctime };
    if (e.type === 'link') {
      this.hardLink(parts, e);
      return;
    }
    if (e.type === 'dir') {
      this.tree.set(parts, newDir(attrs), e.path);
      this.counts.dirs++;
      return;
    }
    if (parts.length === 0) throw new PackError(`'${e.path}' is a ${e.type} where the root directory should be`);
    const inode = newInode(e.type, attrs);
    if (e.type === 'symlink') inode.target = e.linkname;
    if (e.type === 'chr' || e.type === 'blk') {
      inode.major = e.devmajor;
      inode.minor = e.devminor;
      if (pnKernelOnly(e.devmajor, e.devminor)) this.kernelOnlyDevices++;
    }
    if (e.type === 'file') {
      this.counts.files++;
      inode.size = e.size;
      if (e.isopipe.has('extents')) this.reference(inode, e);
      else this.placeData(inode, parts);
    }
    this.tree.set(parts, inode, e.path);
  }

  private hardLink(parts: string[], e: TarEntry): void {
    let targetParts: string[];
    try {
      targetParts = splitPath(e.linkname);
    } catch (err) {
      throw new PackError(`'${e.path}': hard link target ${(err as Error).message}`);
    }
    const target = this.tree.lookup(targetParts);
    if (!target) {
      if (this.excluder.excludes(targetParts)) return;
      throw new PackError(`'${e.path}' is a hard link to '${e.linkname}', which is not in the archive before it`);
    }
    if (isDir(target)) throw new PackError(`'${e.path}' is a hard link to the directory '${e.linkname}'`);
    if (parts.length === 0) throw new PackError(`'${e.path}' is a hard link where the root directory should be`);
    this.tree.set(parts, target, e.path);
  }

  /** A file of an earlier session (iso-merge, DESIGN §7): its extents, no data here. */
  private reference(inode: Inode, e: TarEntry): void {
    const text = e.isopipe.get('extents')!;
    const extents: Extent[] | null = parseExtents(text);
    // A reference names at least one section: an empty file travels as itself.
    if (!extents?.length) throw new PackError(`'${e.path}': malformed ISOPIPE.extents ${JSON.stringify(text)}`);
    const sum = extentBytes(extents);
    const size = e.isopipe.has('size') ? Number(e.isopipe.get('size')) : sum;
    if (!Number.isSafeInteger(size) || size !== sum)
      throw new PackError(`'${e.path}': ISOPIPE.size ${e.isopipe.get('size')} does not match its extents (${sum} bytes)`);
    for (let k = 0; k < extents.length; k++) {
      const x = extents[k];
      if (k < extents.length - 1 && x.bytes % SECTOR !== 0)
        throw new PackError(`'${e.path}': ISOPIPE.extents section ${x.lba}+${x.bytes} is not whole sectors but is not the last`);
      const end = x.lba + Math.ceil(x.bytes / SECTOR);
      if (x.bytes > 0xffffffff || end > this.opt.start)
        throw new PackError(
          `'${e.path}': referenced extent ${x.lba}+${x.bytes} does not lie before this session (LBA ${this.opt.start}): stale reference, run iso-merge against the current medium`,
        );
    }
    inode.size = size;
    inode.extents = extents;
    const zf = e.isopipe.get('zisofs');
    if (zf !== undefined) {
      try {
        inode.zisofs = parseZf(zf);
      } catch (err) {
        throw new PackError(`'${e.path}': ISOPIPE.zisofs: ${(err as Error).message}`);
      }
    }
    this.opt.checksums?.reference(inode, e.isopipe.get('md5'), e.path);
  }

  private placeData(inode: Inode, parts: string[]): void {
    this.current = inode;
    this.received = 0;
    this.opt.checksums?.begin(inode);
    if (inode.size === 0) return;
    // The joined path only where boot images are looked for.
    const bootPath = this.opt.boot ? parts.join('/') : null;
    const boot = this.opt.boot?.images.find((b) => b.path === bootPath);
    if (boot?.infoTable) {
      // Placed at its end, patched (boot.ts); never compressed: the BIOS reads it raw.
      this.bootImage = new HeldBootImage(this.currentPath);
      this.target = 'boot';
      return;
    }
    if (boot) {
      this.place(inode, inode.size);
      this.target = 'out';
      return;
    }
    const zf = this.opt.zisofs !== undefined && inode.size <= MAX_ZISOFS_SIZE;
    if (fileNeedsContinuation(parts[parts.length - 1].length, { zisofs: zf, checksumIndex: this.opt.checksums !== undefined })) {
      if (this.heldBytes + inode.size <= this.opt.holdBackLimit) {
        inode.heldBack = true;
        this.heldBytes += inode.size;
        this.held.push({ inode, chunks: [] });
        this.target = 'hold';
        return;
      }
      this.holdBackOverflow++;
    } else if (zf) {
      // Placed at the end of its data, once it is known whether it shrank.
      this.compressor = new ZisofsCompressor(inode.size, this.opt.zisofs!);
      this.target = 'zisofs';
      return;
    }
    this.place(inode, inode.size);
    this.target = 'out';
  }

  private place(inode: Inode, bytes: number): void {
    const sectors = roundUp(bytes, SECTOR) / SECTOR;
    if (this.lba + sectors > MAX_SECTORS) throw new PackError(`'${this.currentPath}': the session would exceed the ISO 9660 limit of 2^32 sectors`);
    inode.lba = this.lba;
    this.lba += sectors;
    this.out.fileBegins(bytes);
  }

  /** The current file goes plain after all: what the compressor took, then the rest direct. */
  private goPlain(): void {
    const inode = this.current!;
    this.place(inode, inode.size);
    for (const piece of this.compressor!.plain()) this.emit(piece);
    this.compressor = null;
    this.target = 'out';
  }

  private emit(piece: Buffer): void {
    this.opt.checksums?.update(piece);
    this.out.append(piece);
  }

  data(chunk: Buffer): void {
    this.received += chunk.length;
    this.counts.bytes += chunk.length;
    if (this.target === 'zisofs') {
      if (!this.compressor!.push(chunk)) this.goPlain();
      return;
    }
    if (this.target === 'boot') {
      try {
        this.bootImage!.push(chunk);
      } catch (err) {
        throw new PackError((err as Error).message);
      }
      return;
    }
    // The MD5 is of the bytes as stored (xorriso's rule, compressed ones for a zisofs file).
    if (this.target !== 'drop') this.opt.checksums?.update(chunk);
    if (this.target === 'out') this.out.append(chunk);
    else if (this.target === 'hold') this.held[this.held.length - 1].chunks.push(Buffer.from(chunk));
  }

  entryEnd(): void {
    if (this.target === 'zisofs' && this.current) {
      const z = this.compressor!.finish();
      if (z) {
        const inode = this.current;
        inode.size = z.bytes;
        inode.zisofs = z.zf;
        this.place(inode, z.bytes);
        for (const part of z.parts) this.emit(part);
        this.counts.compressed++;
        this.counts.compressedBytes += z.bytes;
        this.compressor = null;
        this.target = 'out';
      } else this.goPlain();
    }
    if (this.target === 'boot' && this.current) {
      const inode = this.current;
      this.place(inode, inode.size);
      let image: Buffer;
      try {
        image = this.bootImage!.patched(this.opt.start + 16, inode.lba);
      } catch (err) {
        throw new PackError((err as Error).message);
      }
      this.emit(image);
      this.patched.add(inode);
      this.bootImage = null;
      this.target = 'out';
    }
    if (this.current) this.opt.checksums?.end();
    if (this.target === 'out' && this.current) {
      const pad = (SECTOR - (this.current.size % SECTOR)) % SECTOR;
      if (pad) this.out.appendZeros(pad);
    }
    this.target = 'drop';
    this.current = null;
  }

  /** Finds the boot images in the tree, and puts the catalog into it (under -c). */
  private addBootCatalog(plan: BootPlan): void {
    const inodes = plan.images.map((spec) => {
      const what = spec.platform === 0xef ? 'EFI boot image (-e)' : 'boot image (-b)';
      const i = this.tree.lookup(spec.path.split('/'));
      if (!i) throw new PackError(`${what} '${spec.path}' is not in the tar: name it as tar lists it, relative to the root of the image`);
      if (i.type !== 'file') throw new PackError(`${what} '${spec.path}' is a ${i.type === 'dir' ? 'directory' : i.type}, not a regular file`);
      if (i.size === 0) throw new PackError(`${what} '${spec.path}' is empty`);
      if (i.zisofs) throw new PackError(`${what} '${spec.path}' is zisofs-compressed: a firmware reads it raw`);
      if (i.extents) {
        // An earlier session's image (iso-merge carried it) keeps the boot info table that
        // session wrote: its own LBA and length still hold, and its PVD pointer names the
        // first session's LBA 16, which a rewritable medium's head keeps current.
        if (i.extents.length !== 1) throw new PackError(`${what} '${spec.path}' is in several extents of an earlier session: a firmware loads one`);
        return { ...i, lba: i.extents[0].lba };
      }
      if (spec.infoTable && !this.patched.has(i))
        throw new PackError(
          `${what} '${spec.path}' reached the tree as a hard link, not as data: iso-pack writes a boot info table into the file as it streams (list the image itself in the tar)`,
        );
      if (i.lba === 0) throw new PackError(`internal: ${what} '${spec.path}' has no place`);
      return i;
    });
    const catalog = newInode('file', { perm: 0o444, uid: 0, gid: 0, mtime: this.opt.impliedDate });
    if (plan.catalog !== undefined) {
      const parts = plan.catalog.split('/');
      const old = this.tree.lookup(parts);
      if (old && isDir(old)) throw new PackError(`boot catalog (-c) '${plan.catalog}' is a directory in the tar: name a file`);
      // An earlier session's catalog (a reference) is replaced silently: that is -c again.
      if (old && !old.extents) this.warnings.push(`the tar's '${plan.catalog}' is replaced by the boot catalog (-c)`);
      try {
        this.tree.set(parts, catalog, plan.catalog);
      } catch (err) {
        throw new PackError(`boot catalog (-c) '${plan.catalog}': ${(err as Error).message}`);
      }
    }
    this.bootCatalog = new BootCatalogWriter(catalog, plan, inodes);
    if (plan.isohybridMbr) {
      const k = plan.images.findIndex((s) => s.platform === 0);
      if (k < 0) throw new PackError('-isohybrid-mbr needs a BIOS boot image (-b isolinux/isolinux.bin) for its MBR to load');
      if (!plan.images[k].infoTable)
        throw new PackError('-isohybrid-mbr: isolinux booted as a disk finds itself through its boot info table: add -boot-info-table');
      this.isohybridImage = inodes[k];
    }
  }

  /** Lays out the metadata once the tar has ended; returns the layout, whose write() ends the session. */
  finish(): SessionLayout {
    if (this.opt.boot) this.addBootCatalog(this.opt.boot);
    if (this.holdBackOverflow)
      this.warnings.push(
        `${this.holdBackOverflow} file(s) with long names were written before their Rock Ridge continuation area (hold-back buffer full): bsdtar/libarchive will refuse this image`,
      );
    let layout: SessionLayout;
    try {
      layout = new SessionLayout(this.tree.root, this.held, this.left.lists, {
        start: this.opt.start,
        dataEnd: this.lba,
        joliet: this.opt.joliet,
        jolietMax: this.opt.jolietMax,
        rationalize: this.opt.rationalize,
        identity: this.opt.identity,
        checksums: this.opt.checksums,
        bootCatalog: this.bootCatalog ?? undefined,
        isohybrid:
          this.isohybridImage && this.opt.boot?.isohybridMbr
            ? { code: this.opt.boot.isohybridMbr, bootImage: this.isohybridImage, diskId: this.opt.impliedDate >>> 0 }
            : undefined,
      });
    } catch (err) {
      if (err instanceof TreeError) throw new PackError(err.message);
      throw err;
    }
    if (this.kernelOnlyDevices)
      this.warnings.push(
        `${this.kernelOnlyDevices} device node(s) with a minor number above 255: Linux reads them, bsdtar and xorriso cannot recreate them (docs/readers.md)`,
      );
    const late = layout.continuationBeforeData - this.holdBackOverflow;
    if (late > 0)
      this.warnings.push(
        `${late} hard-linked file name(s) need a Rock Ridge continuation area after their data: bsdtar/libarchive will refuse this image (a tar that names the longest link first avoids it)`,
      );
    if (layout.jolietRenamed || layout.jolietLeftOut) {
      const parts: string[] = [];
      if (layout.jolietRenamed)
        parts.push(`${layout.jolietRenamed} name(s) were shortened or changed in the Joliet tree (limit ${this.opt.jolietMax} characters, UTF-8 only)`);
      if (layout.jolietLeftOut)
        parts.push(`${layout.jolietLeftOut} file(s) and directories were left out of it (paths over ${JOLIET_MAX_PATH} bytes as libisofs counts them)`);
      this.warnings.push(`${parts.join('; ')}; Rock Ridge keeps them whole`);
    }
    if (layout.end - this.opt.start > MAX_SECTORS) throw new PackError('the session exceeds the ISO 9660 limit of 2^32 sectors');
    return layout;
  }
}
