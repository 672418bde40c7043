// iso-pack's command line: its own options and every mkisofs/genisoimage option a user may
// type, each with a deliberate answer (man/iso-pack.1 has the table). mkisofs spells long
// options with one dash; both spellings work.
import type { OptionSpec } from './common.js';

const BOOT = 'iso-pack writes El Torito boot images and catalogs (-b, -e, -c) and an isohybrid MBR, no other boot blocks: use xorriso -as mkisofs for this';
const HIDE = 'iso-pack shows the same files in every tree: leave files out with -m GLOB';
const FOLLOW = 'iso-pack reads a tar: let tar follow symbolic links (tar -h, --dereference)';
const OTHER_FS = 'iso-pack writes ISO 9660 with Rock Ridge and Joliet only: use xorriso -as mkisofs or genisoimage for this';
const PATHSPECS = 'iso-pack takes no path list: the tar on stdin is the tree (name the files to tar)';

export const ISO_PACK_OPTIONS: readonly OptionSpec[] = [
  // What iso-pack does.
  { key: 'o', names: ['o', 'output'], value: true },
  { key: 'prev', names: ['C', 'prev', 'cdrecord-params'], value: true },
  { key: 'merge', names: ['M', 'prev-session', 'dev'], value: true },
  { key: 'volid', names: ['V', 'volid'], value: true },
  { key: 'volset', names: ['volset'], value: true },
  { key: 'appid', names: ['A', 'appid'], value: true },
  { key: 'publisher', names: ['P', 'publisher'], value: true },
  { key: 'preparer', names: ['p', 'preparer'], value: true },
  { key: 'sysid', names: ['sysid'], value: true },
  { key: 'joliet', names: ['J', 'joliet'] },
  { key: 'no-joliet', names: ['no-joliet'] },
  { key: 'joliet-long', names: ['joliet-long'] },
  { key: 'R', names: ['R', 'rock'] },
  { key: 'r', names: ['r', 'rational-rock'] },
  { key: 'exclude', names: ['m', 'x', 'exclude'], value: true },
  { key: 'exclude-list', names: ['exclude-list'], value: true },
  { key: 'uid', names: ['uid'], value: true },
  { key: 'gid', names: ['gid'], value: true },
  { key: 'file-mode', names: ['file-mode'], value: true },
  { key: 'dir-mode', names: ['dir-mode'], value: true },
  { key: 'iso-level', names: ['iso-level'], value: true },
  { key: 'input-charset', names: ['input-charset', 'jcharset'], value: true },
  { key: 'output-charset', names: ['output-charset'], value: true },
  { key: 'print-size', names: ['print-size'] },
  { key: 'md5', names: ['md5'] },
  { key: 'hold-back', names: ['hold-back'], value: true },
  { key: 'z', names: ['z', 'zisofs', 'transparent-compression'] },
  { key: 'zisofs-limit', names: ['zisofs-limit'], value: true },
  // El Torito (cli/boot-options.ts reads these in order).
  { key: 'boot-image', names: ['b', 'eltorito-boot'], value: true },
  { key: 'efi-image', names: ['e', 'efi-boot'], value: true },
  { key: 'catalog', names: ['c', 'eltorito-catalog'], value: true },
  { key: 'alt-boot', names: ['eltorito-alt-boot'] },
  { key: 'no-emul-boot', names: ['no-emul-boot'] },
  { key: 'boot-load-size', names: ['boot-load-size'], value: true },
  { key: 'boot-load-seg', names: ['boot-load-seg'], value: true },
  { key: 'boot-info-table', names: ['boot-info-table'] },
  { key: 'no-boot', names: ['no-boot'] },
  { key: 'eltorito-platform', names: ['eltorito-platform'], value: true },
  { key: 'v', names: ['v', 'verbose'] },
  { key: 'q', names: ['q', 'quiet'] },

  // Accepted and ignored: iso-pack already behaves so, or the option only shapes the
  // ISO 9660 names that Rock Ridge and Joliet readers never show.
  { key: 'l', names: ['l', 'full-iso9660-filenames'], ignore: true },
  { key: 'L', names: ['L', 'allow-leading-dots', 'ldots'], ignore: true },
  { key: 'D', names: ['D', 'disable-deep-relocation'], ignore: true },
  { key: 'N', names: ['N', 'omit-version-number'], ignore: true },
  { key: 'd', names: ['d', 'omit-period'], ignore: true },
  { key: 'U', names: ['U', 'untranslated-filenames'], ignore: true },
  { key: 'allow-lowercase', names: ['allow-lowercase'], ignore: true },
  { key: 'allow-multidot', names: ['allow-multidot'], ignore: true },
  { key: 'relaxed-filenames', names: ['relaxed-filenames'], ignore: true },
  { key: 'no-iso-translate', names: ['no-iso-translate'], ignore: true },
  { key: 'max-iso9660-filenames', names: ['max-iso9660-filenames'], ignore: true },
  { key: 'allow-limited-size', names: ['allow-limited-size'], ignore: true },
  { key: 'graft-points', names: ['graft-points'], ignore: true },
  { key: 'pad', names: ['pad'], ignore: true },
  { key: 'no-pad', names: ['no-pad'], ignore: true },
  { key: 'a', names: ['a', 'all-files'], ignore: true },
  { key: 'cache-inodes', names: ['cache-inodes', 'no-cache-inodes'], ignore: true },
  { key: 'hide-rr-moved', names: ['hide-rr-moved', 'hide-joliet-trans-tbl'], ignore: true },
  { key: 'force-rr', names: ['force-rr'], ignore: true },
  { key: 'posix-P', names: ['posix-P'], ignore: true },
  { key: 'gui', names: ['gui'], ignore: true },
  { key: 'volset-size', names: ['volset-size', 'volset-seqno'], value: true, ignore: true },

  // Refused, each saying what to do instead.
  { key: 'T', names: ['T', 'table-name'], refuse: 'iso-pack writes no TRANS.TBL files: Rock Ridge and Joliet carry the long names' },
  {
    key: 'hide',
    names: ['hide', 'hide-list', 'hide-joliet', 'hide-joliet-list', 'hide-udf', 'hide-udf-list', 'hidden', 'hidden-list'],
    value: true,
    refuse: HIDE,
  },
  { key: 'f', names: ['f', 'follow-links', 'posix-H', 'posix-L'], refuse: FOLLOW },
  { key: 'boot', names: ['G', 'generic-boot', 'sparc-boot', 'chrp-boot'], value: true, refuse: BOOT },
  { key: 'isohybrid-mbr', names: ['isohybrid-mbr'], value: true },
  {
    key: 'hard-disk-boot',
    names: ['hard-disk-boot'],
    refuse: 'iso-pack writes no-emulation boot images only (-no-emul-boot): use xorriso -as mkisofs for hard disk emulation',
  },
  {
    key: 'idfile',
    names: ['abstract', 'biblio', 'copyright'],
    value: true,
    refuse: 'iso-pack leaves the abstract, bibliographic and copyright file identifiers empty: use xorriso -as mkisofs to set them',
  },
  { key: 'sort', names: ['sort'], value: true, refuse: 'file data follows the order of the tar: order the files when you create it' },
  { key: 'path-list', names: ['path-list', 'stream-file-name'], value: true, refuse: PATHSPECS },
  { key: 'find', names: ['find'], refuse: PATHSPECS },
  { key: 'root', names: ['root', 'old-root'], value: true, refuse: "put the files under a directory in the tar instead (tar --transform 's,^,DIR/,')" },
  {
    key: 'new-dir-mode',
    names: ['new-dir-mode'],
    value: true,
    refuse: 'directories the tar only implies get mode 755: list them in the tar (tar lists a directory before its files) and use -dir-mode',
  },
  { key: 'log-file', names: ['log-file'], value: true, refuse: 'redirect standard error instead (2> FILE)' },
  { key: 'no-rr', names: ['no-rr'], refuse: "iso-pack -M always takes names and attributes from the previous session's Rock Ridge" },
  { key: 'other-fs', names: ['hfs', 'apple', 'udf', 'dvd-video', 'mac-name', 'hfs-unlock', 'probe'], refuse: OTHER_FS },
  { key: 'stream-media-size', names: ['stream-media-size'], value: true, refuse: 'iso-pack reads a tar, not one raw file: tar it first' },
];
