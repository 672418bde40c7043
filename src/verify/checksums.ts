// Re-reads what a session's libisofs checksums cover and compares: the superblock, tree and
// session tags (each over its declared range of sectors), the checksum array (its own MD5,
// the session MD5 over the range isofs.ca names) and every file's MD5 (isofs.cx), plus the
// relocated superblock tag in the medium head. Ranges that start at the same LBA are read
// once, with a snapshot of the running MD5 at each end.
import { createHash, hash, type Hash } from 'node:crypto';
import { checksumArrayBytes, decodeTag, looksLikeTag, MD5_BYTES, md5, type DecodedTag, type TagType } from '../iso9660/checksum-tags.js';
import { SECTOR, type SectorSource } from '../image/sector-source.js';
import type { FindingKind, FindingSink } from './findings.js';
import type { SessionCheck } from './session-check.js';

const CHUNK = 1 << 20;
/** Sectors S+16… searched for a superblock tag, as libisofs does. */
const HEAD_SECTORS = 32;

interface RangeCheck {
  start: number;
  end: number;
  /** Called with the MD5 of sectors [start, end). */
  done(actual: Buffer): void;
}

export interface ChecksumProgress {
  /** Called after each chunk read with the bytes hashed so far. */
  (bytes: number): void;
}

export class ChecksumVerifier {
  /** Bytes read and hashed. */
  bytes = 0;
  /** Files whose MD5 was compared. */
  files = 0;
  /** MD5s of data already read (hard links, files shared by sessions): single-extent files
   *  by LBA into compact slots, others by their extent list. */
  private readonly seenByLba = new Map<number, number>();
  private seenSizes = new Float64Array(256);
  private seenDigests = Buffer.alloc(256 * MD5_BYTES);
  private seenCount = 0;
  private readonly seenOther = new Map<string, Buffer>();
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor(
    private readonly src: SectorSource,
    private readonly sink: FindingSink,
    private readonly progress?: ChecksumProgress,
  ) {}

  private find(kind: FindingKind, session: number | undefined, message: string, where: { lba?: number; path?: string; expected?: string | number; found?: string | number } = {}): void {
    this.sink.add({ kind, session, ...where, message });
  }

  /** The tag at `lba`, if the sector holds one; a damaged tag line is reported. */
  private tagAt(lba: number, session?: number): DecodedTag | null {
    if (lba < 0 || !this.src.holds(lba, SECTOR)) return null;
    const sector = this.src.read(lba, 1);
    const t = decodeTag(sector);
    if (!t && looksLikeTag(sector) && session !== undefined)
      this.find('checksum-tag', session, 'the checksum tag at this LBA is damaged (its text does not parse)', { lba, found: JSON.stringify(sector.toString('latin1', 0, 80)) });
    return t;
  }

  /** True when `lba` holds something that starts like a tag (reported as damaged by tagAt). */
  private damaged(lba: number): boolean {
    return this.src.holds(lba, SECTOR) && looksLikeTag(this.src.read(lba, 1));
  }

  /** Checks a found tag's own consistency; returns the range check to run, or null. */
  private tagRange(tag: DecodedTag, lba: number, session: number | undefined, expectType: TagType, expectStart: number | null): RangeCheck | null {
    const where = { lba };
    if (tag.type !== expectType) {
      this.find('checksum-tag', session, `expected a ${expectType} tag, found a ${tag.type} tag`, { ...where, expected: expectType, found: tag.type });
      return null;
    }
    if (!tag.selfOk) {
      this.find('checksum-tag', session, `${tag.type} tag text is damaged (its self= checksum does not match)`, where);
      return null;
    }
    if (tag.pos !== lba) {
      this.find('checksum-tag', session, `${tag.type} tag says it is at LBA ${tag.pos}`, { ...where, expected: lba, found: tag.pos });
      return null;
    }
    if (expectStart !== null && tag.rangeStart !== expectStart)
      this.find('checksum-tag', session, `${tag.type} tag covers a range from LBA ${tag.rangeStart}, the session starts at ${expectStart}`, { ...where, expected: expectStart, found: tag.rangeStart });
    const end = tag.rangeStart + tag.rangeSize;
    if (end > lba || !this.src.holds(tag.rangeStart, tag.rangeSize * SECTOR)) {
      this.find('checksum-tag', session, `${tag.type} tag covers LBA ${tag.rangeStart}–${end - 1}, which does not lie before the tag on the medium`, where);
      return null;
    }
    const name = tag.type;
    return {
      start: tag.rangeStart,
      end,
      done: (actual) => {
        if (!actual.equals(tag.md5))
          this.find('checksum-tag', session, `MD5 of LBA ${tag.rangeStart}–${end - 1} does not match the ${name} tag at LBA ${lba}: the data in that range changed`, {
            lba: tag.rangeStart, expected: tag.md5.toString('hex'), found: actual.toString('hex'),
          });
      },
    };
  }

  /** Verifies a session's tags, array, session MD5 and file MD5s. */
  verifySession(c: SessionCheck): void {
    const n = c.session.number;
    let start = c.session.start;
    const ranges: RangeCheck[] = [];

    // Tag chain: superblock tag after the descriptors, its next= the tree tag, that one's
    // next= the session tag.
    let sb: { tag: DecodedTag; lba: number } | null = null;
    for (let i = 16; i < HEAD_SECTORS; i++) {
      const t = this.tagAt(start + i, n);
      if (t && (t.type === 'superblock' || !t.selfOk)) {
        sb = { tag: t, lba: start + i };
        break;
      }
    }
    if (sb && start === 0 && sb.tag.selfOk && sb.tag.pos !== sb.lba && sb.tag.pos - sb.tag.rangeStart === sb.lba) {
      // xorriso grew an image without a 64 KiB head: LBA 16… are a copy of the newest
      // superblock, whose session (and tags) start at the copied tag's range_start.
      start = sb.tag.rangeStart;
      const real = this.tagAt(sb.tag.pos, n);
      sb = real && real.type === 'superblock' ? { tag: real, lba: sb.tag.pos } : null;
    }
    let sessionTagLba: number | null = null;
    if (sb) {
      const r = this.tagRange(sb.tag, sb.lba, n, 'superblock', start);
      if (r) ranges.push(r);
      const treeLba = sb.tag.next;
      if (sb.tag.selfOk && treeLba !== undefined && treeLba > sb.lba) {
        const tree = this.tagAt(treeLba, n);
        if (!tree) {
          if (!this.damaged(treeLba)) this.find('checksum-tag', n, `no tree tag at LBA ${treeLba}, where the superblock tag says it is`, { lba: treeLba });
        } else {
          const rt = this.tagRange(tree, treeLba, n, 'tree', start);
          if (rt) ranges.push(rt);
          if (tree.selfOk && tree.next !== undefined && tree.next > treeLba) sessionTagLba = tree.next;
        }
      }
    }
    const area = c.checksumArea;
    let arraySectors = 0;
    if (area) arraySectors = Math.ceil((area.count * MD5_BYTES) / SECTOR);
    if (sessionTagLba === null && area && !sb) {
      // Without the chain, libisofs puts the session tag right after the array.
      const guess = area.end + arraySectors;
      const t = this.tagAt(guess);
      if (t) sessionTagLba = guess;
    }
    if (sessionTagLba !== null) {
      const t = this.tagAt(sessionTagLba, n);
      if (!t) {
        if (!this.damaged(sessionTagLba)) this.find('checksum-tag', n, `no session tag at LBA ${sessionTagLba}, where the tree tag says it is`, { lba: sessionTagLba });
      } else {
        // Found without the chain, the tag's own range start is all there is to go by.
        const r = this.tagRange(t, sessionTagLba, n, 'session', sb ? start : null);
        if (r) ranges.push(r);
      }
    }

    // The array.
    let entries: Buffer | null = null;
    if (area) {
      const where = { lba: area.end };
      if (area.algorithm !== 'MD5' || area.size !== MD5_BYTES) this.find('checksum-array', n, `isofs.ca names checksums of type ${JSON.stringify(area.algorithm)} and size ${area.size}; only MD5 (16) is known`, where);
      else if (area.count < 2) this.find('checksum-array', n, `isofs.ca announces ${area.count} entries; an array has at least 2`, where);
      else if (area.start > area.end || area.end >= c.session.start + c.session.size + 1 || !this.src.holds(area.end, checksumArrayBytes(area.count - 2)))
        this.find('checksum-array', n, `isofs.ca range ${area.start}–${area.end} and ${area.count} entries do not fit the session and the medium`, where);
      else {
        const raw = this.src.read(area.end, arraySectors).subarray(0, area.count * MD5_BYTES);
        const body = raw.subarray(0, (area.count - 1) * MD5_BYTES);
        const last = raw.subarray((area.count - 1) * MD5_BYTES);
        const actual = md5(body);
        if (!actual.equals(last))
          this.find('checksum-array', n, 'the checksum array does not match its own MD5 (last entry): the array is damaged', { ...where, expected: last.toString('hex'), found: actual.toString('hex') });
        entries = raw;
        const expected = Buffer.from(raw.subarray(0, MD5_BYTES));
        ranges.push({
          start: area.start,
          end: area.end,
          done: (got) => {
            if (!got.equals(expected))
              this.find('session-md5', n, `MD5 of LBA ${area.start}–${area.end - 1} does not match the session MD5 recorded in the checksum array: the data in that range changed`, {
                lba: area.start, expected: expected.toString('hex'), found: got.toString('hex'),
              });
          },
        });
      }
    }
    this.runRanges(ranges);

    if (entries && area) this.verifyFiles(c, entries, area.count);
    else if (c.checksummed.length && !area)
      this.find('checksum-array', n, `${c.checksummed.length} file(s) carry a checksum index (isofs.cx) but the root has no isofs.ca`, { lba: c.primary?.root.extent });
  }

  private known(extents: readonly { lba: number; bytes: number }[]): Buffer | undefined {
    if (extents.length !== 1) return this.seenOther.get(extents.map((x) => `${x.lba}+${x.bytes}`).join(','));
    const slot = this.seenByLba.get(extents[0].lba);
    if (slot === undefined || this.seenSizes[slot] !== extents[0].bytes) return undefined;
    return this.seenDigests.subarray(slot * MD5_BYTES, (slot + 1) * MD5_BYTES);
  }

  private remember(extents: readonly { lba: number; bytes: number }[], digest: Buffer): void {
    if (extents.length !== 1) {
      this.seenOther.set(extents.map((x) => `${x.lba}+${x.bytes}`).join(','), digest);
      return;
    }
    if (this.seenByLba.has(extents[0].lba)) return;
    const slot = this.seenCount++;
    if (slot === this.seenSizes.length) {
      const sizes = new Float64Array(slot * 2);
      sizes.set(this.seenSizes);
      this.seenSizes = sizes;
      const digests = Buffer.alloc(slot * 2 * MD5_BYTES);
      this.seenDigests.copy(digests);
      this.seenDigests = digests;
    }
    this.seenSizes[slot] = extents[0].bytes;
    digest.copy(this.seenDigests, slot * MD5_BYTES);
    this.seenByLba.set(extents[0].lba, slot);
  }

  private verifyFiles(c: SessionCheck, entries: Buffer, count: number): void {
    const n = c.session.number;
    const files = c.checksummed;
    for (const k of files.byLba()) {
      const index = files.index(k);
      if (index < 1 || index > count - 2) {
        this.find('checksum-array', n, `checksum index ${index} lies outside the array's ${count - 2} file entries`, { path: files.path(k), found: index });
        continue;
      }
      const extents = files.extents(k);
      const expected = entries.subarray(index * MD5_BYTES, (index + 1) * MD5_BYTES);
      let got = this.known(extents);
      if (got === undefined) {
        if (!extents.every((x) => this.src.holds(x.lba, x.bytes))) continue; // reported by the structural checks
        got = this.fileMd5(extents);
        this.remember(extents, got);
        this.files++;
      }
      if (!got.equals(expected))
        this.find('file-md5', n, 'file content does not match its recorded MD5', {
          path: files.path(k), lba: extents[0]?.lba, expected: expected.toString('hex'), found: got.toString('hex'),
        });
    }
  }

  /** Byte range of the medium the window buffer holds (files are read in LBA order, so
   *  small neighbours come from one read). */
  private windowStart = -1;
  private windowBytes = 0;
  private readonly window = Buffer.allocUnsafe(CHUNK);

  private fileMd5(extents: readonly { lba: number; bytes: number }[]): Buffer {
    // A small file inside the window: one call, no hash object.
    if (extents.length === 1) {
      const pos = extents[0].lba * SECTOR;
      const from = pos - this.windowStart;
      if (from >= 0 && from + extents[0].bytes <= this.windowBytes) {
        this.bytes += extents[0].bytes;
        return hash('md5', this.window.subarray(from, from + extents[0].bytes), 'buffer');
      }
    }
    if (extents.length === 0) return hash('md5', Buffer.alloc(0), 'buffer');
    const h = createHash('md5');
    for (const x of extents) {
      let pos = x.lba * SECTOR;
      let left = x.bytes;
      while (left > 0) {
        if (pos < this.windowStart || pos >= this.windowStart + this.windowBytes) {
          this.windowStart = pos;
          this.windowBytes = Math.min(CHUNK, this.src.bytes - pos);
          this.src.readInto(this.window, pos, this.windowBytes);
        }
        const from = pos - this.windowStart;
        const k = Math.min(left, this.windowBytes - from);
        h.update(this.window.subarray(from, from + k));
        pos += k;
        left -= k;
        this.bytes += k;
        this.progress?.(this.bytes);
      }
    }
    return h.digest();
  }

  /** Reads each group of ranges with one start once, snapshotting the MD5 at every end. */
  private runRanges(ranges: RangeCheck[]): void {
    const byStart = new Map<number, RangeCheck[]>();
    for (const r of ranges) {
      const list = byStart.get(r.start);
      if (list) list.push(r);
      else byStart.set(r.start, [r]);
    }
    for (const [start, list] of byStart) {
      list.sort((a, b) => a.end - b.end);
      const h: Hash = createHash('md5');
      let lba = start;
      for (const r of list) {
        while (lba < r.end) {
          const count = Math.min(CHUNK / SECTOR, r.end - lba);
          this.src.readInto(this.buf, lba * SECTOR, count * SECTOR);
          h.update(this.buf.subarray(0, count * SECTOR));
          lba += count;
          this.bytes += count * SECTOR;
          this.progress?.(this.bytes);
        }
        r.done(h.copy().digest());
      }
    }
  }

  /** The relocated superblock tag xorriso writes after the medium head's descriptors. */
  verifyMediumHeadTag(newestStart: number): void {
    for (let i = 16; i < HEAD_SECTORS; i++) {
      const t = this.tagAt(i);
      if (!t || t.type !== 'relocated-superblock') continue;
      const r = this.tagRange(t, i, undefined, 'relocated-superblock', 0);
      if (r) {
        r.done = (actual) => {
          if (!actual.equals(t.md5))
            this.find('medium-head', undefined, `MD5 of the medium head LBA 0–${i - 1} does not match its relocated superblock tag at LBA ${i}`, {
              lba: 0, expected: t.md5.toString('hex'), found: actual.toString('hex'),
            });
        };
        this.runRanges([r]);
      }
      if (t.selfOk && t.next !== newestStart)
        this.find('medium-head', undefined, `the medium head's relocated superblock tag points at a session at LBA ${t.next}, the newest session starts at ${newestStart}`, {
          lba: i, expected: newestStart, found: t.next,
        });
      return;
    }
  }
}
