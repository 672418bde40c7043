#!/bin/sh
# The main job on a small example: pack this repository's src/ into an ISO image and
# list it with independent readers; then back src/ up twice, session by session, to a
# multi-session image file and show its sessions.
set -e
cd "$(dirname "$0")/.."
dir="${1:-${TMPDIR:-/tmp}/isopipe-example}"
rm -rf "$dir" && mkdir -p "$dir"
run() { tool=$1; shift; node "bin/$tool.js" "$@"; }

echo "== tar c src | iso-pack -o $dir/src.iso"
tar -c src | run iso-pack -v -V ISOPIPE_EXAMPLE -o "$dir/src.iso"
echo "== isoinfo (Rock Ridge):"
isoinfo -R -f -i "$dir/src.iso" | head -8
echo "== bsdtar:"
bsdtar -tvf "$dir/src.iso" | head -8

echo "== two sessions: tar c src | iso-merge | iso-pack --prev \$(cd-msinfo) | cd-write --multi"
CDR_DEVICE="$dir/backup.img"
export CDR_DEVICE
# The medium is made on purpose, once: cd-write never creates one by accident.
run cd-write --create --blank
for n in 1 2; do
  date > "$dir/stamp-$n"
  tar -c src -C "$dir" "stamp-$n" | run iso-merge | run iso-pack --prev "$(run cd-msinfo)" | run cd-write --multi
done
run cd-msinfo --toc
echo "== xorriso's view:"
xorriso -indev "stdio:$dir/backup.img" -toc 2>&1 | grep -E '^(ISO session|Media summary)'
if [ -f bin/cd-verify.js ]; then
  echo "== cd-verify:"
  run cd-verify --quiet && echo "every session verified"
fi
