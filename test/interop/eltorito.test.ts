// Issue 17 (El Torito), judged by xorriso, isoinfo and a PC: an image iso-pack builds from a
// tar holding isolinux boots under qemu with SeaBIOS and prints a marker on the serial
// console; xorriso -report_el_torito and isoinfo -d describe its boot entry as they describe
// the same tree made by xorriso -as mkisofs, and the patched isolinux.bin (boot info table)
// is byte-identical to xorriso's when both place it at the same LBA.
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { must, node, reader, tarOf } from '../merge-helpers.js';

const CI = process.env.CI === 'true';
const ISOLINUX = '/usr/lib/ISOLINUX/isolinux.bin';
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
function bootCd(iso: string, marker: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve) => {
    const q = spawn('qemu-system-x86_64', ['-m', '128', '-cdrom', iso, '-boot', 'd', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-net', 'none'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  return out.slice(from).split('\n').map((l) => l.replace(/Bootoff .*/, 'Bootoff (LBA)').replace(/in sector \d+/, 'in sector (LBA)'));
}

t.test('BIOS no-emulation image with a boot info table, from a tar', async (t) => {
  if (!haveFiles(t, [ISOLINUX, LDLINUX], 'isolinux syslinux-common')) return;
  if (!reader(t, 'xorriso') || !reader(t, 'isoinfo')) return;
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

  if (!reader(t, 'qemu-system-x86_64')) return;
  const console = await bootCd(ours, MARKER);
  t.ok(console.includes(MARKER), `SeaBIOS booted isolinux from the image and it read its config (console: ${JSON.stringify(console.slice(-300))})`);
});

t.test('same bytes for the same tar and SOURCE_DATE_EPOCH; hidden catalog without -c', async (t) => {
  if (!haveFiles(t, [ISOLINUX, LDLINUX], 'isolinux syslinux-common')) return;
  if (!reader(t, 'xorriso')) return;
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
