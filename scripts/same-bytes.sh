#!/bin/bash
# Same bytes out: packs the test fixture and two small bench corpora with several option sets,
# appends two sessions to an image-file medium and runs iso-merge against it, and prints the
# SHA-256 of every image and tar. Run it before and after a restructuring and diff the output
# (issue 14: behaviour-preserving means these stay identical).
#   scripts/same-bytes.sh [OUT]   (OUT: where to write the sums; default stdout)
# Needs root (the fixture sets owners and makes device nodes) and a built dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/iso-pack.js ] || { echo "same-bytes: dist/ is not built: run npx tsc -p tsconfig.json" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/same-bytes.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC
N=$(command -v node)

# The fixture is TypeScript with node: imports and one helper; transpile the two to run it.
mkdir -p "$W/fx/fixture" "$W/fx/helpers"
node -e '
const ts = require("typescript"), fs = require("fs");
for (const [from, to] of [["test/fixture/fixture.ts", "fixture/fixture.mjs"], ["test/helpers/run.ts", "helpers/run.js"]]) {
  const src = fs.readFileSync(from, "utf8");
  const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  fs.writeFileSync(process.argv[1] + "/" + to, out.outputText);
}
' "$W/fx"
mkdir "$W/fixture"
node --input-type=module -e "import { buildFixture } from '$W/fx/fixture/fixture.mjs'; buildFixture('$W/fixture');"
node bench/gen-corpus.mjs tiny "$W/tiny" >/dev/null
node bench/gen-corpus.mjs small "$W/small" --files 300 --min 1 --max 20000 >/dev/null
node bench/gen-corpus.mjs small "$W/small2" --files 300 --min 1 --max 20000 --seed other >/dev/null

tarof() { tar -C "$1" --sort=name --format=gnu --numeric-owner -cf - .; }
for c in fixture tiny small small2; do tarof "$W/$c" > "$W/$c.tar"; done

sums=()
sum() { sums+=("$(sha256sum < "$2" | cut -c1-64)  $1"); }
pack() { # NAME TAR ARGS...
  local name=$1 tarf=$2; shift 2
  "$N" bin/iso-pack.js -q "$@" -o "$W/out.iso" < "$W/$tarf.tar"
  sum "$name" "$W/out.iso"
}
for c in fixture tiny small; do
  pack "$c default" "$c"
  pack "$c -J" "$c" -J
  pack "$c -no-joliet" "$c" -no-joliet
  pack "$c --md5" "$c" --md5
  pack "$c -r" "$c" -r
  pack "$c -z" "$c" -z
  pack "$c -J --md5 -z" "$c" -J --md5 -z
  pack "$c --prev 0,1000" "$c" --prev 0,1000
done
# The head-last stream (stdout a pipe).
piped() { # NAME TAR ARGS...
  local name=$1 tarf=$2; shift 2
  "$N" bin/iso-pack.js -q "$@" < "$W/$tarf.tar" | cat > "$W/out.iso"
  sum "$name | pipe" "$W/out.iso"
}
piped "fixture --md5" fixture --md5
piped "fixture default" fixture
piped "small -no-joliet -z --prev 0,1000" small -no-joliet -z --prev 0,1000
piped "small --md5 -J --prev 0,1000" small --md5 -J --prev 0,1000
# -print-size: the number alone.
"$N" bin/iso-pack.js -q -print-size --md5 -z < "$W/fixture.tar" > "$W/out.txt"; sum "fixture -print-size --md5 -z" "$W/out.txt"

# El Torito: a BIOS image with a boot info table, an EFI image, a catalog in the tree or
# hidden, an isohybrid MBR; in a first and a later session, to a file and a pipe.
mkdir -p "$W/boot/boot" "$W/boot/long-named-directory-so-that-rock-ridge-needs-a-continuation-area-for-this-file-name-of-more-than-one-hundred-and-fifty-bytes-in-all"
node -e '
const fs = require("fs"), d = process.argv[1];
const loader = Buffer.alloc(3 * 2048 + 5); for (let k = 0; k < loader.length; k++) loader[k] = (k * 7) & 0xff;
fs.writeFileSync(d + "/boot/boot/loader.bin", loader);
fs.writeFileSync(d + "/boot/efi.img", Buffer.alloc(10000, 0xaa));
fs.writeFileSync(d + "/boot/text.txt", "x".repeat(100000));
fs.writeFileSync(d + "/mbr.bin", Buffer.alloc(440, 0x90));
' "$W"
echo held > "$W/boot/long-named-directory-so-that-rock-ridge-needs-a-continuation-area-for-this-file-name-of-more-than-one-hundred-and-fifty-bytes-in-all/and-a-file-whose-own-name-is-long-enough-as-well-to-need-a-continuation-area-because-its-name-alone-is-longer-than-the-room-in-the-record-of-a-directory.txt"
find "$W/boot" -exec touch -h -d @1700000000 {} +
tarof "$W/boot" > "$W/boot.tar"
BIOS=(-b boot/loader.bin -no-emul-boot -boot-load-size 4 -boot-info-table)
pack "boot -b -c -boot-info-table" boot "${BIOS[@]}" -c boot/boot.cat
pack "boot -b -e hidden catalog --md5" boot "${BIOS[@]}" -eltorito-alt-boot -e efi.img -no-emul-boot --md5
pack "boot -isohybrid-mbr -z" boot "${BIOS[@]}" -isohybrid-mbr "$W/mbr.bin" -z
pack "boot --prev 0,1000 -b -c --md5" boot "${BIOS[@]}" -c boot/boot.cat --prev 0,1000 --md5
piped "boot --prev 0,1000 -b -e -c" boot "${BIOS[@]}" -eltorito-alt-boot -e efi.img -no-emul-boot -c boot/boot.cat --prev 0,1000
pack "boot -hold-back 0" boot -hold-back 0

# A two-session medium: small, then small2 merged over it; then iso-merge's tar of the fixture.
M="$W/medium.iso"; : > "$M"
append() { # TAR MERGE-ARGS... (--md5 in the pack)
  local tarf=$1; shift
  local prev; prev=$("$N" bin/cd-msinfo.js --dev "$M")
  "$N" bin/iso-merge.js --dev "$M" "$@" < "$W/$tarf.tar" | "$N" bin/iso-pack.js -q --md5 -J --prev "$prev" | "$N" bin/cd-write.js --dev "$M" --multi >/dev/null
}
append small
append small2
sum "medium after two sessions" "$M"
"$N" bin/iso-merge.js --dev "$M" < "$W/fixture.tar" > "$W/m.tar"; sum "iso-merge overlay fixture" "$W/m.tar"
"$N" bin/iso-merge.js --dev "$M" --mirror < "$W/small.tar" > "$W/m.tar"; sum "iso-merge --mirror small" "$W/m.tar"
"$N" bin/iso-merge.js --dev "$M" --data --session 1 > "$W/m.tar"; sum "iso-merge --data --session 1" "$W/m.tar"
"$N" bin/iso-merge.js --dev "$M" --remove '*.bin' -n > "$W/m.tar"; sum "iso-merge -n --remove" "$W/m.tar"
# And a third session from the overlay, through the whole pipeline.
append fixture
sum "medium after three sessions" "$M"

if [ $# -ge 1 ]; then printf '%s\n' "${sums[@]}" > "$1"; else printf '%s\n' "${sums[@]}"; fi
