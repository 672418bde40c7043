// Compressed tar streams, recognised by their first bytes (pure: bytes in, a name out).

export type Compression = 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'lz4' | 'lzip' | 'compress';

/** Bytes needed to tell them all apart. */
export const MAGIC_BYTES = 6;

export function compressionOf(head: Buffer): Compression | null {
  const b = (i: number) => (i < head.length ? head[i] : -1);
  if (b(0) === 0x1f && b(1) === 0x8b) return 'gzip';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd';
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a && b(5) === 0x00) return 'xz';
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68 && b(3) >= 0x31 && b(3) <= 0x39) return 'bzip2';
  if (b(0) === 0x04 && b(1) === 0x22 && b(2) === 0x4d && b(3) === 0x18) return 'lz4';
  if (b(0) === 0x4c && b(1) === 0x5a && b(2) === 0x49 && b(3) === 0x50) return 'lzip';
  if (b(0) === 0x1f && b(1) === 0x9d) return 'compress';
  return null;
}

/** The command that decompresses each to stdout, for the advice in messages. */
export const DECOMPRESS_COMMAND: Record<Compression, string> = {
  gzip: 'gzip -dc',
  zstd: 'zstd -dc',
  xz: 'xz -dc',
  bzip2: 'bzip2 -dc',
  lz4: 'lz4 -dc',
  lzip: 'lzip -dc',
  compress: 'uncompress -c',
};
