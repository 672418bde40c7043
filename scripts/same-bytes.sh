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

# The fixture is TypeScript with node: imports only; transpile it alone to run it.
mkdir -p "$W/fx"
node -e '
const ts = require("typescript"), fs = require("fs");
const src = fs.readFileSync("test/fixture/fixture.ts", "utf8");
const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
fs.writeFileSync(process.argv[1] + "/fixture.mjs", out.outputText);
' "$W/fx"
mkdir "$W/fixture"
node --input-type=module -e "import { buildFixture } from '$W/fx/fixture.mjs'; buildFixture('$W/fixture');"
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
"$N" bin/iso-pack.js -q --md5 < "$W/fixture.tar" | cat > "$W/out.iso"; sum "fixture --md5 | pipe" "$W/out.iso"

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
