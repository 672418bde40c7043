// What a non-ISO, non-blank medium holds, for the refusal message. Pure: looks at the
// first 64 KiB. Only well-known signatures; anything else is "unrecognised data".

export function describeForeignContent(head: Buffer): string {
  const at = (off: number, text: string) => head.length >= off + text.length && head.toString('latin1', off, off + text.length) === text;
  if (at(512, 'EFI PART')) return 'a GPT partition table';
  if (head.length >= 1082 && head.readUInt16LE(1080) === 0xef53) return 'an ext2/3/4 file system';
  if (at(3, 'NTFS    ')) return 'an NTFS file system';
  if (at(82, 'FAT32   ') || at(54, 'FAT12   ') || at(54, 'FAT16   ')) return 'a FAT file system';
  if (at(0x10040, '_BHRfS_M')) return 'a btrfs file system';
  if (at(0, 'XFSB')) return 'an XFS file system';
  if (at(0, 'LUKS\xba\xbe')) return 'a LUKS volume';
  if (at(32769, 'BEA01') || at(32769, 'NSR02') || at(32769, 'NSR03')) return 'a UDF file system';
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) return 'a partition table or boot sector';
  return 'unrecognised data';
}
