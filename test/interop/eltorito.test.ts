// Issue 17 (El Torito), judged by xorriso, isoinfo and a PC: an image iso-pack builds from a
// tar holding isolinux boots under qemu with SeaBIOS and prints a marker on the serial
// console; xorriso -report_el_torito and isoinfo -d describe its boot entry as they describe
// the same tree made by xorriso -as mkisofs, and the patched isolinux.bin (boot info table)
// is byte-identical to xorriso's when both place it at the same LBA.
import t from 'tap';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, must, node, run, tarOf } from '../helpers/run.js';
import { needs } from '../helpers/skip.js';

const CI = process.env.CI === 'true';
const ISOLINUX = '/usr/lib/ISOLINUX/isolinux.bin';
const ISOHDPFX = '/usr/lib/ISOLINUX/isohdpfx.bin';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
// isolinux prints the name of the module its config asks for when it fails to load it: on the
// serial console, once it has found its config through the boot info table and ISO 9660.
const MARKER = 'isopipe-eltorito-bios-ok.c32';

const work = mkdtempSync(join(tmpdir(), 'isopipe-eltorito-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

function haveFiles(t: Tap.Test, files: string[], pkg: string): boolean {
  const missing = files.filter((f) => !existsSync(f));
  if (!missing.length) return true;
  if (CI) t.fail(`${missing.join(', ')} missing: install ${pkg} (required in CI, scripts/setup.sh)`);
  else t.skip(`${missing.join(', ')} missing (apt-get install ${pkg})`);
  return false;
}

/** Boots `iso` as a CD under qemu (SeaBIOS) and returns the serial console once `marker`
 *  appears, or what came before the timeout. */
function bootCd(iso: string, marker: string, timeoutMs = 60_000, asDisk = false): Promise<string> {
  return new Promise((resolve) => {
    const drive = asDisk ? ['-drive', `file=${iso},format=raw,if=ide`, '-boot', 'c'] : ['-cdrom', iso, '-boot', 'd'];
    const q = spawn('qemu-system-x86_64', ['-m', '128', ...drive, '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-net', 'none'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const done = () => {
      clearTimeout(timer);
      q.kill('SIGKILL');
      resolve(out);
    };
    const timer = setTimeout(done, timeoutMs);
    q.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes(marker)) done();
    });
    q.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

const tree = join(work, 'tree');
function makeTree(): void {
  mkdirSync(join(tree, 'isolinux'), { recursive: true });
  copyFileSync(ISOLINUX, join(tree, 'isolinux/isolinux.bin'));
  copyFileSync(LDLINUX, join(tree, 'isolinux/ldlinux.c32'));
  // isolinux reads its config with the help of the boot info table's LBA and length.
  writeFileSync(join(tree, 'isolinux/isolinux.cfg'), `SERIAL 0 115200\nPROMPT 0\nDEFAULT marker\nLABEL marker\n  COM32 ${MARKER}\n`);
  writeFileSync(join(tree, 'readme.txt'), 'bootable from a tar\n');
}

const BOOT_ARGS = ['-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table'];

/** xorriso's El Torito report without the LBA columns (placement differs by design). */
function report(iso: string): string[] {
  const out = must('xorriso', ['-indev', iso, '-report_el_torito', 'plain']).toString();
  return out
    .split('\n')
    .filter((l) => l.startsWith('El Torito'))
    .map((l) => (l.startsWith('El Torito catalog') ? 'El Torito catalog (LBA)' : l.startsWith('El Torito boot img') ? l.replace(/\s+\d+\s*$/, ' (LBA)') : l));
}

/** isoinfo -d's El Torito part without the image's LBA (Bootoff). */
function isoinfoBoot(iso: string): string[] {
  const out = must('isoinfo', ['-d', '-i', iso]).toString();
  const from = out.indexOf('El Torito');
  return out
    .slice(from)
    .split('\n')
    .map((l) => l.replace(/Bootoff .*/, 'Bootoff (LBA)').replace(/in sector \d+/, 'in sector (LBA)'));
}

t.test('BIOS no-emulation image with a boot info table, from a tar', async (t) => {
  if (!haveFiles(t, [ISOLINUX, LDLINUX], 'isolinux syslinux-common')) return;
  if (!needs(t, 'xorriso') || !needs(t, 'isoinfo')) return;
  makeTree();
  const ours = join(work, 'ours.iso');
  const theirs = join(work, 'xorriso.iso');
  const r = node('iso-pack', ['-R', '-J', ...BOOT_ARGS, '-o', ours], { input: tarOf(tree) });
  t.equal(r.status, 0, r.stderr.toString());
  must('xorriso', ['-as', 'mkisofs', '-R', '-J', ...BOOT_ARGS, '-o', theirs, tree], { stdio: 'pipe' });

  t.same(report(ours), report(theirs), 'xorriso -report_el_torito describes the same boot entry');
  t.match(report(ours).join('\n'), /El Torito img opts\s*:\s*1\s+boot-info-table/, 'xorriso recognizes the boot info table');
  t.same(isoinfoBoot(ours), isoinfoBoot(theirs), 'isoinfo -d describes the same El Torito header and entry');

  // The boot info table: PVD at 16, the image's own LBA and length, the checksum.
  const img = readFileSync(ours);
  const catalogLba = img.readUInt32LE(17 * 2048 + 71);
  const entryLba = img.readUInt32LE(catalogLba * 2048 + 32 + 8);
  const loader = readFileSync(ISOLINUX);
  const patched = img.subarray(entryLba * 2048, entryLba * 2048 + loader.length);
  t.equal(patched.readUInt32LE(8), 16);
  t.equal(patched.readUInt32LE(12), entryLba);
  t.equal(patched.readUInt32LE(16), loader.length);
  t.same(patched.subarray(64), loader.subarray(64), 'bytes from 64 on are the file as tarred');
  const xo = readFileSync(theirs);
  const xLba = xo.readUInt32LE(xo.readUInt32LE(17 * 2048 + 71) * 2048 + 32 + 8);
  t.equal(patched.readUInt32LE(20), xo.readUInt32LE(xLba * 2048 + 20), 'checksum as xorriso computes it');

  // The catalog is a file at -c, 2048 bytes, as xorriso lists it.
  const ls = must('xorriso', ['-indev', ours, '-lsl', '/isolinux/boot.cat'], { stdio: 'pipe' }).toString();
  t.match(ls, /\s2048\s.*boot\.cat/);

  if (!needs(t, 'qemu-system-x86_64')) return;
  const console = await bootCd(ours, MARKER);
  t.ok(console.includes(MARKER), `SeaBIOS booted isolinux from the image and it read its config (console: ${JSON.stringify(console.slice(-300))})`);
});

t.test('same bytes for the same tar and SOURCE_DATE_EPOCH; hidden catalog without -c', async (t) => {
  if (!haveFiles(t, [ISOLINUX, LDLINUX], 'isolinux syslinux-common')) return;
  if (!needs(t, 'xorriso')) return;
  makeTree();
  const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
  const tar = tarOf(tree);
  const args = ['-R', '-b', 'isolinux/isolinux.bin', '-no-emul-boot', '-boot-info-table'];
  const iso = join(work, 'hidden.iso');
  const again = join(work, 'hidden-again.iso');
  const a = node('iso-pack', [...args, '-o', iso], { input: tar, env });
  const b = node('iso-pack', [...args, '-o', again], { input: tar, env });
  t.equal(a.status, 0, a.stderr.toString());
  t.equal(b.status, 0, b.stderr.toString());
  t.ok(readFileSync(iso).equals(readFileSync(again)), 'reproducible');
  const rep = must('xorriso', ['-indev', iso, '-report_el_torito', 'plain']).toString();
  t.match(rep, /El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+76\s/, 'the whole image loads without -boot-load-size (76 sectors, as xorriso)');
  t.notMatch(rep, /cat path/, 'no catalog in the tree');
});

t.test('BIOS and EFI entries (-eltorito-alt-boot -e): the catalog xorriso writes for the same options', async (t) => {
  if (!haveFiles(t, [ISOLINUX, LDLINUX], 'isolinux syslinux-common')) return;
  if (!needs(t, 'xorriso')) return;
  makeTree();
  // The catalog does not look inside an EFI image: any bytes stand for the FAT image here.
  writeFileSync(join(tree, 'efi.img'), Buffer.alloc(5000, 0xe5));
  writeFileSync(join(tree, 'efi2.img'), Buffer.alloc(3000, 0x5e));
  const args = [...BOOT_ARGS, '-eltorito-alt-boot', '-e', 'efi.img', '-no-emul-boot', '-eltorito-alt-boot', '-e', 'efi2.img', '-no-emul-boot'];
  const ours = join(work, 'efi-ours.iso');
  const theirs = join(work, 'efi-xorriso.iso');
  const r = node('iso-pack', ['-R', ...args, '-o', ours], { input: tarOf(tree) });
  t.equal(r.status, 0, r.stderr.toString());
  must('xorriso', ['-as', 'mkisofs', '-R', ...args, '-o', theirs, tree], { stdio: 'pipe' });
  const mine = report(ours);
  t.same(mine, report(theirs), 'xorriso -report_el_torito describes the same three entries');
  t.match(mine.join('\n'), /boot img :\s+2\s+UEFI\s+y\s+none\s+0x0000\s+0x00\s+12 /, 'EFI entry loads the whole image (5000 bytes: 12 sectors)');
  // genisoimage's -no-boot, which xorriso -as mkisofs lacks: listed, not bootable.
  const nb = join(work, 'efi-noboot.iso');
  t.equal(node('iso-pack', ['-R', ...args, '-no-boot', '-o', nb], { input: tarOf(tree) }).status, 0);
  t.match(report(nb).join('\n'), /boot img :\s+3\s+UEFI\s+n\s/, '-no-boot');
  // Same catalog bytes but for the LBAs (bytes 8-11 of each entry).
  const catalog = (iso: string) => {
    const b = readFileSync(iso);
    const c = Buffer.from(b.subarray(b.readUInt32LE(17 * 2048 + 71) * 2048, b.readUInt32LE(17 * 2048 + 71) * 2048 + 2048));
    for (let at = 32; at < 2048; at += 32) if (c[at] === 0x88 || (c[at] === 0 && c[at + 6])) c.fill(0, at + 8, at + 12);
    return c;
  };
  t.same(catalog(ours), catalog(theirs), "catalog bytes equal but for the images' LBAs");
});

/** One append (cd-msinfo | iso-merge | iso-pack ARGS | cd-write -multi) of `tar` to `medium`. */
function append(tar: Buffer, medium: string, packArgs: string[]) {
  const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
  const n = q(process.execPath);
  const script = [
    `prev=$(${n} ${q(bin('cd-msinfo'))} --dev ${q(medium)}) || exit 9`,
    `${n} ${q(bin('iso-merge'))} --dev ${q(medium)} | ${n} ${q(bin('iso-pack'))} -q --prev "$prev" ${packArgs.map(q).join(' ')} | ${n} ${q(bin('cd-write'))} --dev ${q(medium)} --multi`,
  ].join('\n');
  return run('bash', ['-o', 'pipefail', '-c', script], { input: tar });
}

t.test('a later session keeps the image bootable when it names the boot image again; without -b it is not', async (t) => {
  if (!haveFiles(t, [ISOLINUX, LDLINUX], 'isolinux syslinux-common')) return;
  if (!needs(t, 'xorriso')) return;
  makeTree();
  const first = join(work, 'first.iso');
  t.equal(node('iso-pack', ['-R', ...BOOT_ARGS, '-o', first], { input: tarOf(tree) }).status, 0);
  const more = join(work, 'more');
  mkdirSync(more, { recursive: true });
  writeFileSync(join(more, 'second.txt'), 'second session\n');
  const kept = join(work, 'kept.iso');
  const dropped = join(work, 'dropped.iso');
  copyFileSync(first, kept);
  copyFileSync(first, dropped);
  // iso-merge carries isolinux.bin as a reference: its boot info table stays as written.
  const a = append(tarOf(more), kept, BOOT_ARGS);
  t.equal(a.status, 0, a.stderr);
  t.same(report(kept), report(first), 'the newest session describes the same boot entry');
  const b = append(tarOf(more), dropped, []);
  t.equal(b.status, 0, b.stderr);
  t.same(report(dropped), [], 'without -b the newest session has no boot record (documented)');
  if (!needs(t, 'qemu-system-x86_64')) return;
  const console = await bootCd(kept, MARKER);
  t.ok(console.includes(MARKER), 'the appended medium still boots');
});

/** xorriso's view of the system area (the MBR). */
function systemArea(iso: string): string[] {
  const out = must('xorriso', ['-indev', iso, '-report_system_area', 'plain']).toString();
  return out.split('\n').filter((l) => /^(System area|ISO image size|Partition offset|MBR )/.test(l));
}

t.test('-isohybrid-mbr: the same MBR as xorriso, and the image boots as a disk', async (t) => {
  if (!haveFiles(t, [ISOLINUX, LDLINUX, ISOHDPFX], 'isolinux syslinux-common')) return;
  if (!needs(t, 'xorriso')) return;
  makeTree();
  const args = ['-R', '-isohybrid-mbr', ISOHDPFX, ...BOOT_ARGS];
  const ours = join(work, 'hybrid.iso');
  const theirs = join(work, 'hybrid-xorriso.iso');
  const r = node('iso-pack', [...args, '-o', ours], { input: tarOf(tree) });
  t.equal(r.status, 0, r.stderr.toString());
  must('xorriso', ['-as', 'mkisofs', ...args, '-o', theirs, tree], { stdio: 'pipe' });
  t.same(systemArea(ours), systemArea(theirs), 'xorriso -report_system_area: MBR isohybrid cyl-align-on, same geometry and partition');
  t.match(systemArea(ours).join('\n'), /MBR isohybrid cyl-align-on/);
  const img = readFileSync(ours);
  const boot = img.readUInt32LE(img.readUInt32LE(17 * 2048 + 71) * 2048 + 40);
  t.equal(img.readUInt32LE(432), boot * 4, 'the MBR loads the El Torito image');
  t.same(img.subarray(0, 432), readFileSync(ISOHDPFX).subarray(0, 432));
  t.equal(img.length % (1 << 20), 0, 'padded to whole cylinders of 1 MiB');
  if (!needs(t, 'qemu-system-x86_64')) return;
  t.ok((await bootCd(ours, MARKER, 60_000, true)).includes(MARKER), 'SeaBIOS boots it as a hard disk');
  t.ok((await bootCd(ours, MARKER)).includes(MARKER), 'and still as a CD');
});

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const EFI_MARKER = 'ISOPIPE-ELTORITO-EFI-OK';

t.test('-e efi.img (a FAT image from the tar) boots under OVMF', async (t) => {
  if (!haveFiles(t, [OVMF_CODE, OVMF_VARS, '/usr/bin/grub-mkstandalone', '/usr/bin/mformat'], 'ovmf grub-efi-amd64-bin grub-common mtools')) return;
  if (!needs(t, 'qemu-system-x86_64')) return;
  // A GRUB EFI program whose embedded config prints the marker on the serial port, in a FAT
  // image at EFI/BOOT/BOOTX64.EFI, the path UEFI boots from removable media.
  const dir = join(work, 'efi');
  const root = join(work, 'efi-root');
  mkdirSync(dir, { recursive: true });
  mkdirSync(root, { recursive: true });
  writeFileSync(join(dir, 'grub.cfg'), `serial --unit=0 --speed=115200\nterminal_output serial console\necho ${EFI_MARKER}\nsleep 30\n`);
  must('grub-mkstandalone', [
    '-O',
    'x86_64-efi',
    '--install-modules=normal serial terminal echo sleep configfile test',
    '--modules=serial terminal echo sleep',
    '--locales=',
    '--themes=',
    '--fonts=',
    '-o',
    join(dir, 'BOOTX64.EFI'),
    `boot/grub/grub.cfg=${join(dir, 'grub.cfg')}`,
  ]);
  const fat = join(root, 'efiboot.img');
  writeFileSync(fat, Buffer.alloc(4 << 20));
  must('mformat', ['-i', fat, '-T', '8192', '-h', '64', '-s', '32', '::']);
  must('mmd', ['-i', fat, '::/EFI', '::/EFI/BOOT']);
  must('mcopy', ['-i', fat, join(dir, 'BOOTX64.EFI'), '::/EFI/BOOT/BOOTX64.EFI']);
  writeFileSync(join(root, 'readme.txt'), 'UEFI from a tar\n');
  const iso = join(work, 'efi.iso');
  const r = node('iso-pack', ['-R', '-J', '-e', 'efiboot.img', '-no-emul-boot', '-c', 'boot.cat', '-o', iso], { input: tarOf(root) });
  t.equal(r.status, 0, r.stderr.toString());
  const vars = join(work, 'vars.fd');
  copyFileSync(OVMF_VARS, vars);
  const out = await new Promise<string>((resolve) => {
    const q = spawn(
      'qemu-system-x86_64',
      [
        '-m',
        '256',
        '-drive',
        `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
        '-drive',
        `if=pflash,format=raw,file=${vars}`,
        '-cdrom',
        iso,
        '-display',
        'none',
        '-serial',
        'stdio',
        '-monitor',
        'none',
        '-no-reboot',
        '-net',
        'none',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    const timer = setTimeout(() => q.kill('SIGKILL'), 120_000);
    q.stdout.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes(EFI_MARKER)) q.kill('SIGKILL');
    });
    q.on('exit', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
  t.ok(out.includes(EFI_MARKER), `OVMF booted the EFI image named by the catalog (console: ${JSON.stringify(out.slice(-300))})`);
});

/** The kernel and busybox the kernel oracle downloaded (its --setup), or null. */
function oracleLinux(): { vmlinuz: string; busyboxDeb: string } | null {
  const cache = join(homedir(), '.cache/kernel-oracle');
  try {
    const build = readdirSync(cache).find((d) => d.startsWith('build-') && existsSync(join(cache, d, 'vmlinuz')));
    const deb = readdirSync(join(cache, 'debs')).find((f) => f.startsWith('busybox-static_'));
    return build && deb ? { vmlinuz: join(cache, build, 'vmlinuz'), busyboxDeb: join(cache, 'debs', deb) } : null;
  } catch {
    return null;
  }
}

t.test('a small Linux from a tar (isolinux, the kernel, a busybox initramfs) boots as a CD and as a disk', async (t) => {
  if (!haveFiles(t, [ISOLINUX, LDLINUX, ISOHDPFX], 'isolinux syslinux-common')) return;
  const linux = oracleLinux();
  if (!linux) {
    if (CI) t.fail('the kernel oracle cache has no kernel and busybox (run its --setup; required in CI)');
    else t.skip('no kernel and busybox in ~/.cache/kernel-oracle (kernel-oracle.sh --setup)');
    return;
  }
  if (!needs(t, 'cpio') || !needs(t, 'qemu-system-x86_64')) return;
  const marker = 'ISOPIPE-LINUX-BOOTED';
  const base = join(work, 'linux');
  const ramfs = join(base, 'initramfs');
  const root = join(base, 'root');
  mkdirSync(join(ramfs, 'bin'), { recursive: true });
  mkdirSync(join(root, 'isolinux'), { recursive: true });
  must('dpkg-deb', ['-x', linux.busyboxDeb, join(base, 'deb')]);
  copyFileSync(join(base, 'deb/bin/busybox'), join(ramfs, 'bin/busybox'));
  chmodSync(join(ramfs, 'bin/busybox'), 0o755);
  writeFileSync(join(ramfs, 'init'), `#!/bin/busybox sh\n/bin/busybox echo ${marker}\n/bin/busybox poweroff -f\n`, { mode: 0o755 });
  writeFileSync(join(root, 'isolinux/initrd.gz'), must('sh', ['-c', `cd '${ramfs}' && find . | cpio -o -H newc 2>/dev/null | gzip -n`]));
  copyFileSync(linux.vmlinuz, join(root, 'isolinux/vmlinuz'));
  copyFileSync(ISOLINUX, join(root, 'isolinux/isolinux.bin'));
  copyFileSync(LDLINUX, join(root, 'isolinux/ldlinux.c32'));
  writeFileSync(
    join(root, 'isolinux/isolinux.cfg'),
    'SERIAL 0 115200\nPROMPT 0\nDEFAULT linux\nLABEL linux\n  KERNEL vmlinuz\n  APPEND initrd=initrd.gz console=ttyS0 panic=-1 quiet\n',
  );
  const iso = join(base, 'linux.iso');
  const r = node('iso-pack', ['-R', '-J', '-isohybrid-mbr', ISOHDPFX, ...BOOT_ARGS, '-o', iso], { input: tarOf(root) });
  t.equal(r.status, 0, r.stderr.toString());
  t.ok((await bootCd(iso, marker, 120_000)).includes(marker), 'SeaBIOS, CD: isolinux loads the kernel, busybox prints the marker');
  t.ok((await bootCd(iso, marker, 120_000, true)).includes(marker), 'SeaBIOS, hard disk (isohybrid): the same');
});
