#!/bin/sh
# Packs this repository's src/ directory into an ISO image and lists it with two
# independent readers.
set -e
cd "$(dirname "$0")/.."
out="${1:-${TMPDIR:-/tmp}/isopipe-example.iso}"
tar -c src | node bin/iso-pack.js -v -V ISOPIPE_EXAMPLE -o "$out"
echo "== $out, as isoinfo sees it (Rock Ridge):"
isoinfo -R -f -i "$out" | head -20
echo "== as bsdtar sees it:"
bsdtar -tvf "$out" | head -20
