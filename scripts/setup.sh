#!/usr/bin/env bash
# Installs what isopipe's tests need on a fresh Debian machine: the peers that judge our
# images (xorriso, isoinfo, bsdtar, 7z), strace (which system calls a tool makes), the
# kernel and drive oracles, and the npm packages
# (koffi, optional, is what cd-msinfo/cd-write use to reach an optical drive, and the way to
# libdeflate's faster CRC-32).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in xorriso:xorriso isoinfo:genisoimage genisoimage:genisoimage bsdtar:libarchive-tools 7z:p7zip-full tar:tar strace:strace; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
# El Torito (test/interop/eltorito.test.ts): a boot loader to put in the tar, a PC to boot it.
for pair in /usr/lib/ISOLINUX/isolinux.bin:isolinux /usr/lib/syslinux/modules/bios/ldlinux.c32:syslinux-common /usr/bin/qemu-system-x86_64:qemu-system-x86 \
  /usr/share/OVMF/OVMF_CODE_4M.fd:ovmf /usr/lib/grub/x86_64-efi/modinfo.sh:grub-efi-amd64-bin /usr/bin/grub-mkstandalone:grub-common /usr/bin/mformat:mtools /usr/bin/cpio:cpio; do
  [ -e "${pair%%:*}" ] || need+=("${pair#*:}")
done
# libdeflate's CRC-32 for long head-last streams (src/session/stream-crc.ts; optional for users).
dpkg -s libdeflate0 >/dev/null 2>&1 || need+=(libdeflate0)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: need root to install: ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

oracle="${KERNEL_ORACLE:-$(pwd)/../shared/tools/kernel-oracle/kernel-oracle.sh}"
if [ -x "$oracle" ]; then
  "$oracle" --setup >/dev/null
else
  echo "setup: kernel oracle not found at $oracle (set KERNEL_ORACLE)" >&2
  [ "${CI:-}" = true ] && exit 1
fi

# The drive oracle: an emulated MMC recorder under qemu for the drive tests (tier 2).
drive_oracle="${DRIVE_ORACLE:-$(pwd)/../shared/tools/drive-oracle/drive-oracle.sh}"
if [ -x "$drive_oracle" ]; then
  "$drive_oracle" --setup >/dev/null
else
  echo "setup: drive oracle not found at $drive_oracle (set DRIVE_ORACLE); the drive tests will skip" >&2
  [ "${CI:-}" = true ] && exit 1
fi

npm ci --no-audit --no-fund
npm run build
