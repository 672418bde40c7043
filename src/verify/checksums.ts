// Re-reads what a session's libisofs checksums cover and compares: the superblock, tree and
// session tags (each over its declared range of sectors), the checksum array (its own MD5,
// the session MD5 over the range isofs.ca names) and every file's MD5 (isofs.cx), plus the
// relocated superblock tag in the medium head. Ranges that start at the same LBA are read
// once, with a snapshot of the running MD5 at each end. A session is begun as soon as its
// root is read (the ranges start hashing, on the hashing thread when there is one, while
// the tree is walked) and finished after the walk (the files, then the findings).
import { checksumAreaProblem } from '../image/checksum-array.js';
import { type ChecksumArea, decodeTag, looksLikeTag, MD5_BYTES, md5, type DecodedTag, type TagType } from '../iso9660/checksum-tags.js';
import type { SectorSource } from '../image/sector-source.js';
import type { FindingKind, FindingSink } from './findings.js';
import { sharedFloat64 } from './data-hashing.js';
import type { DataHasher, RangeTicket } from './parallel-hashing.js';
import type { SessionCheck } from './session-check.js';
import { HEAD_SECTORS, SECTOR } from '../iso9660/constants.js';

/** Sectors S+16… searched for a superblock tag, as libisofs does. */

interface RangeCheck {
  start: number;
  end: number;
  /** Called with the MD5 of sectors [start, end). */
  done(actual: Buffer): void;
}

/** What a begun session leaves for its end: the ranges being hashed, the array read. */
export interface SessionSums {
  ranges: { ticket: RangeTicket; ends: number[]; checks: RangeCheck[] }[];
  area: ChecksumArea | null;
  /** The checksum array's entries, when it is usable. */
  entries: Buffer | null;
}

/** Where a file's digest is, per file in LBA order (>= 0: its slot in the hashed job). */
const NOT_READ = -1;
const BAD_INDEX = -2;
const PRE_HASHED = -3;

export class ChecksumVerifier {
  /** Files whose MD5 was compared. */
  files = 0;
  /** MD5s of data already read (files shared by sessions): single-extent files by LBA into
   *  compact slots, others by their extent list. Only kept when more sessions follow. */
  private readonly seenByLba = new Map<number, number>();
  private seenSizes = new Float64Array(256);
  private seenDigests = Buffer.alloc(256 * MD5_BYTES);
  private seenCount = 0;
  private readonly seenOther = new Map<string, Buffer>();

  constructor(
    private readonly src: SectorSource,
    private readonly sink: FindingSink,
    private readonly hasher: DataHasher,
    /** More than one session is checked: remember digests for files they share. */
    private readonly remember: boolean,
  ) {}

  /** Bytes read and hashed. */
  get bytes(): number {
    return this.hasher.bytes;
  }

  private find(
    kind: FindingKind,
    session: number | undefined,
    message: string,
    where: { lba?: number; path?: string; expected?: string | number; found?: string | number } = {},
  ): void {
    this.sink.add({ kind, session, ...where, message });
  }

  /** The tag at `lba`, if the sector holds one; a damaged tag line is reported. */
  private tagAt(lba: number, session?: number): DecodedTag | null {
    if (lba < 0 || !this.src.holds(lba, SECTOR)) return null;
    const sector = this.src.read(lba, 1);
    const t = decodeTag(sector);
    if (!t && looksLikeTag(sector) && session !== undefined)
      this.find('checksum-tag', session, 'the checksum tag at this LBA is damaged (its text does not parse)', {
        lba,
        found: JSON.stringify(sector.toString('latin1', 0, 80)),
      });
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
      this.find('checksum-tag', session, `${tag.type} tag covers a range from LBA ${tag.rangeStart}, the session starts at ${expectStart}`, {
        ...where,
        expected: expectStart,
        found: tag.rangeStart,
      });
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
          this.find(
            'checksum-tag',
            session,
            `MD5 of LBA ${tag.rangeStart}–${end - 1} does not match the ${name} tag at LBA ${lba}: the data in that range changed`,
            {
              lba: tag.rangeStart,
              expected: tag.md5.toString('hex'),
              found: actual.toString('hex'),
            },
          );
      },
    };
  }

  /**
   * Reads a session's tags and checksum array and starts hashing the ranges they cover.
   * Needs the root's isofs.ca (c.checksumArea) and nothing else of the tree.
   */
  beginSession(c: SessionCheck): SessionSums {
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
        if (!this.damaged(sessionTagLba))
          this.find('checksum-tag', n, `no session tag at LBA ${sessionTagLba}, where the tree tag says it is`, { lba: sessionTagLba });
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
      const problem = checksumAreaProblem(area, c.session, this.src.sectors);
      if (problem !== null) this.find('checksum-array', n, `isofs.ca: ${problem}`, where);
      else {
        const raw = this.src.read(area.end, arraySectors).subarray(0, area.count * MD5_BYTES);
        const body = raw.subarray(0, (area.count - 1) * MD5_BYTES);
        const last = raw.subarray((area.count - 1) * MD5_BYTES);
        const actual = md5(body);
        if (!actual.equals(last))
          this.find('checksum-array', n, 'the checksum array does not match its own MD5 (last entry): the array is damaged', {
            ...where,
            expected: last.toString('hex'),
            found: actual.toString('hex'),
          });
        entries = raw;
        const expected = Buffer.from(raw.subarray(0, MD5_BYTES));
        ranges.push({
          start: area.start,
          end: area.end,
          done: (got) => {
            if (!got.equals(expected))
              this.find(
                'session-md5',
                n,
                `MD5 of LBA ${area.start}–${area.end - 1} does not match the session MD5 recorded in the checksum array: the data in that range changed`,
                {
                  lba: area.start,
                  expected: expected.toString('hex'),
                  found: got.toString('hex'),
                },
              );
          },
        });
      }
    }
    return { ranges: this.startRanges(ranges), area, entries };
  }

  /** Hashes the session's files, waits for its ranges, and reports. */
  finishSession(c: SessionCheck, s: SessionSums): void {
    const n = c.session.number;
    // The files are hashed while the other thread finishes the ranges, unless the medium
    // is better read in one pass at a time.
    if (this.hasher.seeks) this.finishRanges(s.ranges);
    const files = s.entries && s.area ? this.hashFiles(c, s.area.count) : null;
    if (!this.hasher.seeks) this.finishRanges(s.ranges);
    if (files && s.entries) this.reportFiles(c, s.entries, files);
    else if (c.checksummed.length && !s.area)
      this.find('checksum-array', n, `${c.checksummed.length} file(s) carry a checksum index (isofs.cx) but the root has no isofs.ca`, {
        lba: c.primary?.root.extent,
      });
  }

  /** Groups ranges by start and starts hashing each group once. */
  private startRanges(ranges: RangeCheck[]): SessionSums['ranges'] {
    const byStart = new Map<number, RangeCheck[]>();
    for (const r of ranges) {
      const list = byStart.get(r.start);
      if (list) list.push(r);
      else byStart.set(r.start, [r]);
    }
    const out: SessionSums['ranges'] = [];
    for (const [start, checks] of byStart) {
      checks.sort((a, b) => a.end - b.end); // reported in the order the run reaches them
      const ends = [...new Set(checks.map((r) => r.end))].sort((a, b) => a - b);
      out.push({ ticket: this.hasher.startRange(start, ends), ends, checks });
    }
    return out;
  }

  private finishRanges(ranges: SessionSums['ranges']): void {
    for (const { ticket, ends, checks } of ranges) {
      const digests = this.hasher.rangeDigests(ticket);
      for (const r of checks) {
        const k = ends.indexOf(r.end);
        r.done(Buffer.from(digests.subarray(k * MD5_BYTES, (k + 1) * MD5_BYTES)));
      }
    }
  }

  private known(extents: readonly { lba: number; bytes: number }[]): Buffer | undefined {
    if (extents.length !== 1) return this.seenOther.get(extents.map((x) => `${x.lba}+${x.bytes}`).join(','));
    return this.knownSingle(extents[0].lba, extents[0].bytes);
  }

  private knownSingle(lba: number, bytes: number): Buffer | undefined {
    const slot = this.seenByLba.get(lba);
    if (slot === undefined || this.seenSizes[slot] !== bytes) return undefined;
    return this.seenDigests.subarray(slot * MD5_BYTES, (slot + 1) * MD5_BYTES);
  }

  private rememberSingle(lba: number, bytes: number, digest: Uint8Array): void {
    if (this.seenByLba.has(lba)) return;
    const slot = this.seenCount++;
    if (slot === this.seenSizes.length) {
      const sizes = new Float64Array(slot * 2);
      sizes.set(this.seenSizes);
      this.seenSizes = sizes;
      const digests = Buffer.alloc(slot * 2 * MD5_BYTES);
      this.seenDigests.copy(digests);
      this.seenDigests = digests;
    }
    this.seenSizes[slot] = bytes;
    this.seenDigests.set(digest, slot * MD5_BYTES);
    this.seenByLba.set(lba, slot);
  }

  /**
   * The MD5 of every checksummed file of the session, in LBA order: single-extent files in
   * one job (hard links hashed once), others here. Nothing is reported yet.
   */
  private hashFiles(c: SessionCheck, count: number): FileDigests {
    const files = c.checksummed;
    const order = files.byLba();
    const total = order.length;
    const where = new Int32Array(total);
    // Digests found without the job (files shared with an earlier session, multi-extent
    // files): few, so by position rather than a slot for every file.
    const pre = new Map<number, Uint8Array>();
    const positions = sharedFloat64(total);
    const sizes = sharedFloat64(total);
    const checkKnown = this.seenCount > 0 || this.seenOther.size > 0;
    let m = 0;
    for (let j = 0; j < total; j++) {
      const k = order[j];
      const index = files.index(k);
      if (index < 1 || index > count - 2) {
        where[j] = BAD_INDEX;
        continue;
      }
      if (files.single(k)) {
        const lba = files.lba(k);
        const bytes = files.size(k);
        const known = checkKnown ? this.knownSingle(lba, bytes) : undefined;
        if (known) {
          pre.set(j, known);
          where[j] = PRE_HASHED;
        } else if (!this.src.holds(lba, bytes))
          where[j] = NOT_READ; // reported by the structural checks
        else if (m > 0 && positions[m - 1] === lba * SECTOR && sizes[m - 1] === bytes)
          where[j] = m - 1; // a hard link
        else {
          positions[m] = lba * SECTOR;
          sizes[m] = bytes;
          where[j] = m++;
        }
        continue;
      }
      const extents = files.extents(k);
      let got = this.known(extents);
      if (got === undefined) {
        if (!extents.every((x) => this.src.holds(x.lba, x.bytes))) {
          where[j] = NOT_READ;
          continue;
        }
        got = this.hasher.hashExtents(extents);
        if (this.remember) this.seenOther.set(extents.map((x) => `${x.lba}+${x.bytes}`).join(','), got);
        this.files++;
      }
      pre.set(j, got);
      where[j] = PRE_HASHED;
    }
    const digests = this.hasher.hashFiles(positions, sizes, m);
    this.files += m;
    if (this.remember) for (let i = 0; i < m; i++) this.rememberSingle(positions[i] / SECTOR, sizes[i], digests.subarray(i * MD5_BYTES, (i + 1) * MD5_BYTES));
    return { order, where, pre, digests };
  }

  private reportFiles(c: SessionCheck, entries: Buffer, d: FileDigests): void {
    const n = c.session.number;
    const files = c.checksummed;
    for (let j = 0; j < d.order.length; j++) {
      const k = d.order[j];
      const w = d.where[j];
      if (w === NOT_READ) continue;
      if (w === BAD_INDEX) {
        this.find('checksum-array', n, `checksum index ${files.index(k)} lies outside the array's ${entries.length / MD5_BYTES - 2} file entries`, {
          path: files.path(k),
          found: files.index(k),
        });
        continue;
      }
      const got = w === PRE_HASHED ? d.pre.get(j)! : d.digests;
      const from = w === PRE_HASHED ? 0 : w * MD5_BYTES;
      const at = files.index(k) * MD5_BYTES;
      let same = true;
      for (let b = 0; b < MD5_BYTES; b++)
        if (got[from + b] !== entries[at + b]) {
          same = false;
          break;
        }
      if (!same)
        this.find('file-md5', n, 'file content does not match its recorded MD5', {
          path: files.path(k),
          lba: files.extents(k)[0]?.lba,
          expected: entries.toString('hex', at, at + MD5_BYTES),
          found: Buffer.from(got.subarray(from, from + MD5_BYTES)).toString('hex'),
        });
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
              lba: 0,
              expected: t.md5.toString('hex'),
              found: actual.toString('hex'),
            });
        };
        this.finishRanges(this.startRanges([r]));
      }
      if (t.selfOk && t.next !== newestStart)
        this.find(
          'medium-head',
          undefined,
          `the medium head's relocated superblock tag points at a session at LBA ${t.next}, the newest session starts at ${newestStart}`,
          {
            lba: i,
            expected: newestStart,
            found: t.next,
          },
        );
      return;
    }
  }
}

interface FileDigests {
  /** Positions in ChecksummedFiles, in LBA order. */
  order: ArrayLike<number>;
  /** Per file in that order: NOT_READ, BAD_INDEX, PRE_HASHED (digest in `pre` under its
   *  position) or its slot in `digests`. */
  where: Int32Array;
  pre: Map<number, Uint8Array>;
  digests: Uint8Array;
}
