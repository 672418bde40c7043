// A push parser for tar streams: feed it chunks, it calls the sink with entries and their
// data as sub-arrays of the chunks (no copies; a header block or an extended header split
// between two chunks is the only thing gathered).
import { BLOCK, decodeHeader, decodePax, isZeroBlock, type RawHeader, TarFormatError } from './header.js';
import { isopipeRecords } from './isopipe-records.js';

export type EntryType = 'file' | 'link' | 'symlink' | 'chr' | 'blk' | 'dir' | 'fifo';

export interface TarEntry {
  /** Path as in the archive, raw bytes held in a latin1 string. */
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch; pax gives fractions. */
  mtime: number;
  atime?: number;
  ctime?: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** pax records in isopipe's own namespace (`ISOPIPE.*`), raw. */
  isopipe: ReadonlyMap<string, string>;
  /** Byte offset of the entry's header in the stream, for messages. */
  offset: number;
}

export interface TarSink {
  entry(e: TarEntry): void;
  data(chunk: Buffer): void;
  entryEnd(): void;
  /** A GNU volume label ('V'), offered as a volume identifier. */
  volumeLabel?(label: string): void;
}

/** Long names and pax headers larger than this are refused (GNU tar's own limit is far lower in practice). */
const MAX_META = 1 << 20;

const NO_PAX: ReadonlyMap<string, string> = new Map();

type State = 'header' | 'data' | 'meta' | 'skip' | 'end';

export class TarParser {
  private state: State = 'header';
  private block = Buffer.alloc(BLOCK);
  private blockFill = 0;
  private remaining = 0;
  private padding = 0;
  private pos = 0;
  private headerPos = 0;
  /** The body of the pax header or GNU long name being read: reused, one per entry. */
  private meta = Buffer.allocUnsafe(BLOCK);
  private metaFill = 0;
  private metaKind: RawHeader['type'] = 'pax';
  /** The body was decoded as soon as it was complete. */
  private metaDecoded = false;
  private longName: string | null = null;
  private longLink: string | null = null;
  private pax: Map<string, string> | null = null;
  private globalPax = new Map<string, string>();
  private current: TarEntry | null = null;
  private zeroBlocks = 0;

  constructor(private readonly sink: TarSink) {}

  /** pax global records seen so far (those at the very end of an archive reach no entry). */
  get globalRecords(): ReadonlyMap<string, string> {
    return this.globalPax;
  }

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      switch (this.state) {
        case 'end':
          this.pos += chunk.length - off;
          return;
        case 'header': {
          if (this.blockFill === 0 && chunk.length - off >= BLOCK) {
            // The whole block is in this chunk: decoded where it is.
            off += BLOCK;
            this.pos += BLOCK;
            this.onHeaderBlock(chunk, off - BLOCK);
            break;
          }
          const n = Math.min(BLOCK - this.blockFill, chunk.length - off);
          chunk.copy(this.block, this.blockFill, off, off + n);
          this.blockFill += n;
          off += n;
          this.pos += n;
          if (this.blockFill === BLOCK) {
            this.blockFill = 0;
            this.onHeaderBlock(this.block, 0);
          }
          break;
        }
        default: {
          if (this.remaining > 0) {
            const n = Math.min(this.remaining, chunk.length - off);
            const piece = chunk.subarray(off, off + n);
            if (this.state === 'data') this.sink.data(piece);
            else if (this.state === 'meta') {
              // A body wholly in this chunk is decoded where it is; a split one is gathered.
              if (this.metaFill === 0 && n === this.remaining) this.decodeMeta(piece);
              else {
                this.metaFill += piece.copy(this.meta, this.metaFill);
                if (n === this.remaining) this.decodeMeta(this.meta.subarray(0, this.metaFill));
              }
            }
            this.remaining -= n;
            off += n;
            this.pos += n;
          }
          if (this.remaining === 0) {
            const n = Math.min(this.padding, chunk.length - off);
            this.padding -= n;
            off += n;
            this.pos += n;
            if (this.padding === 0) this.finishBody();
          }
        }
      }
    }
    // An entry whose data ended exactly at this chunk's end (or has none) is finished here.
    if (this.state !== 'header' && this.state !== 'end' && this.remaining === 0 && this.padding === 0) this.finishBody();
  }

  /** Call at end of input; throws when the archive was cut short. */
  end(): void {
    if (this.state === 'end') return;
    const where = this.current ? `'${this.current.path}'` : 'an entry';
    if (this.state === 'data' || this.state === 'skip' || this.state === 'meta')
      throw new TarFormatError(`tar stream ends inside ${where} (byte ${this.pos}): truncated archive`);
    if (this.pos === 0) throw new TarFormatError('no tar archive on stdin (empty input)');
    if (this.blockFill !== 0 || this.zeroBlocks === 0)
      throw new TarFormatError(`tar stream ends at byte ${this.pos} without an end-of-archive marker: truncated archive`);
    this.state = 'end';
  }

  /** The header block at `at` of `b` (a chunk, or the block gathered from two). */
  private onHeaderBlock(b: Buffer, at: number): void {
    this.headerPos = this.pos - BLOCK;
    if (isZeroBlock(b, at)) {
      if (++this.zeroBlocks === 2) this.state = 'end';
      return;
    }
    if (this.zeroBlocks > 0) throw new TarFormatError(`a lone zero block at byte ${this.headerPos - BLOCK} inside the archive: corrupt tar`);
    let h: RawHeader;
    try {
      h = decodeHeader(b, at);
    } catch (e) {
      // Garbage from the first block on is no tar at all, not a damaged one.
      if (this.headerPos === 0) throw new TarFormatError(`not a tar archive on stdin (${(e as Error).message} in its first block)`);
      throw new TarFormatError(`${(e as Error).message} at byte ${this.headerPos}`);
    }
    if (h.size < 0) throw new TarFormatError(`'${h.name}' has a negative size`);
    switch (h.type) {
      case 'pax':
      case 'pax-global':
      case 'gnu-longname':
      case 'gnu-longlink':
        if (h.size > MAX_META) throw new TarFormatError(`'${h.name}' at byte ${this.headerPos}: extended header of ${h.size} bytes is too large`);
        this.metaKind = h.type;
        if (h.size > this.meta.length) this.meta = Buffer.allocUnsafe(h.size);
        this.metaFill = 0;
        this.metaDecoded = false;
        this.startBody('meta', h.size);
        return;
      case 'volume-label':
        this.sink.volumeLabel?.(h.name);
        this.startBody('skip', h.size);
        return;
    }
    this.current = this.makeEntry(h);
    this.sink.entry(this.current);
    const hasData = this.current.type === 'file' && !this.current.isopipe.has('extents');
    this.startBody(hasData ? 'data' : 'skip', h.size);
  }

  private startBody(state: State, size: number): void {
    this.state = state;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
  }

  private finishBody(): void {
    const state = this.state;
    this.state = 'header';
    if (state === 'meta') {
      // An empty body had no bytes to complete it.
      if (!this.metaDecoded) this.decodeMeta(this.meta.subarray(0, this.metaFill));
      return;
    }
    if (this.current) {
      if (state === 'data' || state === 'skip') this.sink.entryEnd();
      this.current = null;
    }
  }

  /** The body of a pax header or GNU long name, complete: decoded into strings at once,
   *  before the chunk or buffer holding it is reused. */
  private decodeMeta(buf: Buffer): void {
    this.metaDecoded = true;
    if (this.metaKind === 'gnu-longname') this.longName = cstr(buf);
    else if (this.metaKind === 'gnu-longlink') this.longLink = cstr(buf);
    else {
      let records: Map<string, string>;
      try {
        records = decodePax(buf);
      } catch (e) {
        throw new TarFormatError(`${(e as Error).message} at byte ${this.headerPos}`);
      }
      if (this.metaKind === 'pax-global') for (const [k, v] of records) this.globalPax.set(k, v);
      else this.pax = records;
    }
  }

  private makeEntry(h: RawHeader): TarEntry {
    let pax: ReadonlyMap<string, string>;
    if (this.globalPax.size === 0) pax = this.pax ?? NO_PAX;
    else {
      const merged = new Map(this.globalPax);
      if (this.pax) for (const [k, v] of this.pax) merged.set(k, v);
      pax = merged;
    }
    this.pax = null;
    const name = pax.get('path') ?? this.longName ?? h.name;
    const link = pax.get('linkpath') ?? this.longLink ?? h.linkname;
    this.longName = this.longLink = null;
    if (pax.size)
      for (const k of pax.keys())
        if (k.startsWith('GNU.sparse.'))
          throw new TarFormatError(
            `'${pax.get('GNU.sparse.name') ?? name}' is a GNU sparse file (pax ${k}), which iso-pack cannot represent: create the tar without --sparse`,
          );
    const num = (key: string, fallback: number, frac = false): number => {
      const v = pax.get(key);
      if (v === undefined) return fallback;
      const ok = frac ? /^-?[0-9]+(\.[0-9]*)?$/.test(v) : /^[0-9]+$/.test(v);
      if (!ok) throw new TarFormatError(`'${name}' has a malformed pax ${key} (${JSON.stringify(v)})`);
      return Number(v);
    };
    const opt = (key: string): number | undefined => (pax.has(key) ? num(key, 0, true) : undefined);
    const isopipe = isopipeRecords(pax);
    const size = num('size', h.size);
    if (!Number.isSafeInteger(size)) throw new TarFormatError(`'${name}' has a size no limit allows (${size})`);
    return {
      path: name,
      type: h.type === 'gnu-dumpdir' ? 'dir' : (h.type as EntryType),
      mode: h.mode & 0o7777,
      uid: num('uid', h.uid),
      gid: num('gid', h.gid),
      size,
      mtime: num('mtime', h.mtime, true),
      atime: opt('atime'),
      ctime: opt('ctime'),
      linkname: link,
      uname: pax.get('uname') ?? h.uname,
      gname: pax.get('gname') ?? h.gname,
      devmajor: num('SCHILY.devmajor', h.devmajor),
      devminor: num('SCHILY.devminor', h.devminor),
      isopipe: isopipe ?? NO_PAX,
      offset: this.headerPos,
    };
  }
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('latin1', 0, z < 0 ? b.length : z);
}
