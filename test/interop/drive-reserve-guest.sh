#!/bin/bash
# Runs inside the drive oracle for test/interop/drive-reserve.test.ts (issue 15): two
# sessions `tar c dir | iso-pack [--prev $(cd-msinfo)] | cd-write --multi --reserve-head` on
# the emulated DVD+R. cdemu answers RESERVE TRACK with GOOD and reserves nothing in TAO:
# cd-write must see that before its first WRITE and burn by the two-session commit. After
# each: cd-msinfo equals xorriso's msinfo and the kernel mounts the newest session with the
# right tree. Prints `CHECK <name> ok|FAIL <detail>` and `INFO ...`; marks phases by
# INQUIRY allocation lengths 0x40+N, as drive-stream-guest.sh.
set -u
. test/interop/guest-lib.sh
export SOURCE_DATE_EPOCH=1700000000

for k in 1 2; do
  mkdir -p "$S/src/d$k/sub$k"
  echo "session $k" > "$S/src/d$k/hello$k.txt"
  head -c $((300000 * k)) /dev/urandom > "$S/src/d$k/sub$k/blob$k.bin"
done

for k in 1 2; do
  drive-oracle-rescan >/dev/null 2>&1
  prev=()
  m=$(node bin/cd-msinfo.js dev="$DRIVE" 2>/dev/null) && prev=(--prev "$m")
  tar -C "$S/src" -cf - "d$k" > "$S/t$k.tar"
  tar tf "$S/t$k.tar" > "$S/list$k.txt"
  mark "burn-$k"
  node bin/iso-pack.js "${prev[@]}" < "$S/t$k.tar" 2>"$S/pack$k.err" | node bin/cd-write.js --multi --reserve-head -v --json dev="$DRIVE" > "$S/write$k.json" 2>"$S/write$k.err"
  rc=$?
  mark "after-burn-$k"
  check "pipeline-$k" $rc "$(tr '\n' ' ' < "$S/write$k.err" | head -c 600) $(head -c 200 "$S/pack$k.err")"
  echo "INFO write-$k $(cat "$S/write$k.json")"
  [ "$(json "$S/write$k.json" commit)" = two-session ] && [ "$(json "$S/write$k.json" reservation)" = ignored ]
  check "fallback-$k" $? "commit=$(json "$S/write$k.json" commit) reservation=$(json "$S/write$k.json" reservation)"
  grep -q 'reserved nothing' "$S/write$k.err"; check "fallback-said-$k" $? "$(grep -i reserv "$S/write$k.err" | tr '\n' ' ' | head -c 400)"
  drive-oracle-rescan >/dev/null 2>&1
  ours=$(node bin/cd-msinfo.js dev="$DRIVE" 2>&1)
  theirs=$(xorriso -as cdrecord dev="$DRIVE" -msinfo 2>/dev/null)
  [ "$ours" = "$theirs" ]; check "msinfo-$k" $? "cd-msinfo=$ours xorriso=$theirs"
  if mount -t iso9660 -o ro "$DRIVE" "$MNT" 2>"$S/mount.err"; then
    diff <(listing_names "$S/list$k.txt") <(listing_dir "$MNT") > "$S/diff" 2>&1; check "newest-tree-$k" $? "$(head -c 300 "$S/diff" | tr '\n' ' ')"
    cmp -s "$MNT/d$k/sub$k/blob$k.bin" "$S/src/d$k/sub$k/blob$k.bin"; check "newest-data-$k" $? "blob$k.bin read back"
    umount "$MNT"
  else check "newest-tree-$k" 1 "mount: $(tr '\n' ' ' < "$S/mount.err")"; fi
done
drive-oracle-toc | grep '^disc' | sed 's/^/INFO final /'
mark end
exit 0
