#!/bin/bash
# Runs inside the drive oracle for test/interop/drive-stream.test.ts (issue 15): three
# sessions, each `tar c dir | iso-merge | iso-pack --prev $(cd-msinfo) | cd-write --multi`
# with no image or temp file (only a listing of the merged tar is kept, through tee), burned
# by the two-session commit; after each, the kernel mounts every session (each data session
# shows the previous tree through its placeholder head, each head session the new one),
# xorriso lists and reads the sessions, cd-verify checks the session reassembled in LBA
# order. Then streams cut at two offsets, and a pipeline killed with SIGKILL (then
# cd-write -fix): the newest session still shows the previous tree, and the next append works.
# Prints `CHECK <name> ok|FAIL <detail>` and `INFO ...`; marks phases as drive-burn-guest.sh.
set -u
. test/interop/guest-lib.sh
export SOURCE_DATE_EPOCH=1700000000
# The kernel's session=N counts tracks from 0; every session here has one track.
mount_session() { mount -t iso9660 -o ro,session=$1 "$DRIVE" "$MNT" 2>"$S/mount.err"; }
last_session() { echo $(( $(xorriso -indev "$DRIVE" -toc 2>/dev/null | grep -c '^ISO session') - 1 )); }

for k in 1 2 3 4 5; do
  mkdir -p "$S/src/d$k/sub$k"
  echo "session $k" > "$S/src/d$k/hello$k.txt"
  head -c $((150000 * k)) /dev/urandom > "$S/src/d$k/sub$k/blob$k.bin"
  ln -s "hello$k.txt" "$S/src/d$k/link$k"
done
# A tree big enough that cd-write's 8 MiB fifo fills and WRITEs start before a cut.
mkdir -p "$S/src/big/b" && head -c 24000000 /dev/urandom > "$S/src/big/b/big.bin"
: > "$S/list0.txt"

# A session by the pipeline; $1 = k (list file), $2 = tree; the listing of the merged tar
# goes to list$k.txt, cd-write's --json to write$k.json.
stream_session() {
  local k=$1 tree=$2
  # A blank disc has no session to import: the first session goes without --prev.
  # (iso-merge on the blank disc's block device is skipped: there is nothing to merge.)
  local prev=() merge=(node bin/iso-merge.js dev="$DRIVE"); local m
  if m=$(node bin/cd-msinfo.js dev="$DRIVE" 2>"$S/msinfo$k.err"); then prev=(--prev "$m"); else merge=(cat); fi
  MERGE_OF[$k]=${merge[0]}
  tar -C "$S/src" -cf - "$tree" | "${merge[@]}" 2>"$S/merge$k.err" | tee >(tar tf - > "$S/list$k.txt") \
    | node bin/iso-pack.js "${prev[@]}" 2>"$S/pack$k.err" | node bin/cd-write.js --multi -v --json dev="$DRIVE" > "$S/write$k.json" 2>"$S/write$k.err"
}

# Every session mounted: data session 2i-2 shows tree i-1 (placeholder), head session 2i-1 tree i.
check_trees() {
  local after=$1 j want
  for j in $(seq 0 $(( $(last_session) ))); do
    want=${TREE_OF[$j]:-}
    [ -z "$want" ] && continue
    if mount_session $j; then
      if diff <(listing_names "$S/list$want.txt") <(listing_dir "$MNT") > "$S/diff" 2>&1; then
        check "tree-after-$after-session-$j" 0 "tree $want, $(listing_dir "$MNT" | wc -l) entries"
      else
        check "tree-after-$after-session-$j" 1 "want tree $want: $(head -c 400 "$S/diff" | tr '\n' ' ')"
      fi
      umount "$MNT"
    else
      check "tree-after-$after-session-$j" 1 "mount session=$j: $(tr '\n' ' ' < "$S/mount.err")"
    fi
  done
}

# cd-verify reads images and block devices with emulated multi-session (LBA 0 is the newest
# session there); a real multi-session disc is not such a medium yet. So the committed
# session is reassembled in LBA order from the block device — data S..S+N-1, the real head
# at S, and at LBA 0 a copy of it sized to the end — exactly the plain image cd-write writes
# in place on an image file, and cd-verify checks that, with the merged tar.
verify_session() {
  local k=$1 st=$2 n=$3 h=$4 v=$S/view$k.img
  rm -f "$v"
  dd if="$DRIVE" of="$v" bs=2048 skip=$st seek=$st count=$n status=none
  dd if="$DRIVE" of="$v" bs=2048 skip=$h seek=$st count=32 conv=notrunc status=none
  dd if="$DRIVE" of="$v" bs=2048 skip=$h seek=0 count=32 conv=notrunc status=none
  python3 - "$v" $((st + n)) <<'PY'
import struct, sys
f = open(sys.argv[1], 'r+b'); end = int(sys.argv[2])
for p in (16, 17, 18):
    f.seek(p * 2048); s = f.read(8)
    if s[1:6] == b'CD001' and s[0] in (1, 2):
        f.seek(p * 2048 + 80); f.write(struct.pack('<I', end) + struct.pack('>I', end))
PY
  # The tar the session was packed from, made again as the pipeline made it (iso-merge on
  # the block device still reads the first, empty, session: docs/drive-stream.md).
  if [ "${MERGE_OF[$k]}" = cat ]; then tar -C "$S/src" -cf - "${TREE_SRC[$k]}" > "$S/verify-tar$k.tar"
  else tar -C "$S/src" -cf - "${TREE_SRC[$k]}" | node bin/iso-merge.js dev="$DRIVE" 2>/dev/null > "$S/verify-tar$k.tar"; fi
  node bin/cd-verify.js dev="$v" < "$S/verify-tar$k.tar" > "$S/verify$k.out" 2>&1
  check "cd-verify-$k" $? "$(tail -c 300 "$S/verify$k.out" | tr '\n' ' ')"
  rm -f "$v" "$S/verify-tar$k.tar"
}

declare -a TREE_OF TREE_SRC MERGE_OF
for k in 1 2 3; do
  drive-oracle-rescan >/dev/null 2>&1
  before=$(node bin/cd-msinfo.js dev="$DRIVE" 2>&1)
  X=$(xorriso -as cdrecord dev="$DRIVE" -msinfo 2>/dev/null)
  [ $k = 1 ] || { [ "$before" = "$X" ]; check "msinfo-before-$k" $? "cd-msinfo=$before xorriso=$X"; }
  TREE_SRC[$k]=d$k
  mark "burn-$k"
  t0=$(date +%s.%N)
  stream_session $k "d$k"; rc=$?
  t1=$(date +%s.%N)
  check "pipeline-$k" $rc "$(tr '\n' ' ' < "$S/write$k.err" | head -c 600) $(head -c 200 "$S/pack$k.err") $(head -c 300 "$S/merge$k.err")"
  echo "INFO stream-$k $(cat "$S/write$k.json") seconds=$(echo "$t1 - $t0" | bc)"
  mark "after-burn-$k"
  [ "$(json "$S/write$k.json" commit)" = two-session ]; check "two-session-$k" $? "$(cat "$S/write$k.json")"
  TREE_OF[$((2 * k - 2))]=$((k - 1))
  TREE_OF[$((2 * k - 1))]=$k
  drive-oracle-rescan >/dev/null 2>&1
  after=$(node bin/cd-msinfo.js dev="$DRIVE" 2>&1)
  X=$(xorriso -as cdrecord dev="$DRIVE" -msinfo 2>/dev/null)
  [ "$after" = "$X" ]; check "msinfo-after-$k" $? "cd-msinfo=$after xorriso=$X"
  [ "${after%%,*}" = "$(json "$S/write$k.json" headSession.start)" ]; check "newest-is-head-$k" $? "cd-msinfo=$after head=$(json "$S/write$k.json" headSession.start)"
  toc=$(xorriso -indev "$DRIVE" -toc 2>&1 | grep -c '^ISO session')
  [ "$toc" = $((2 * k)) ]; check "toc-sessions-$k" $? "xorriso -toc lists $toc ISO sessions, want $((2 * k))"
  echo "INFO toc-after-$k $(xorriso -indev "$DRIVE" -toc 2>&1 | grep '^ISO session' | tr -s ' ' | tr '\n' ';')"
  # (one short line: the serial console loses output when the guest prints much)
  echo "INFO cd-msinfo-toc-$k $(node bin/cd-msinfo.js --json --toc dev="$DRIVE" 2>&1 | head -c 300)"
  check_trees $k
  # xorriso loads the newest session (the head) and reads a file back.
  xorriso -indev "$DRIVE" -osirrox on -extract "/d$k/sub$k/blob$k.bin" "$S/x.bin" >/dev/null 2>&1 && cmp -s "$S/x.bin" "$S/src/d$k/sub$k/blob$k.bin"
  check "xorriso-read-$k" $? "blob$k.bin from the newest session"; rm -f "$S/x.bin"
  # and the placeholder session (the data session) loads as the previous tree.
  ds=$(json "$S/write$k.json" start)
  lst=$(xorriso -indev "$DRIVE" -load sbsector "$ds" -lsd / -find / 2>/dev/null | grep -c "^'/d")
  if [ $k = 1 ]; then want=0; else want=$(grep -c . "$S/list$((k - 1)).txt"); fi
  echo "INFO xorriso-placeholder-$k entries=$lst (previous tree listing has $want lines)"
  verify_session $k "$(json "$S/write$k.json" start)" "$(json "$S/write$k.json" sectors)" "$(json "$S/write$k.json" headSession.start)"
done

# Cut streams: the first 14 or 20 MB of a 24 MB session stream (after the fifo filled and
# WRITEs began; a bad trailer is the tier-1 test's). cd-write closes the placeholder session.
n_last=3
for cut in 14000000 20000000; do
  drive-oracle-rescan >/dev/null 2>&1
  prev=$(node bin/cd-msinfo.js dev="$DRIVE" 2>/dev/null)
  mark "cut-$cut"
  tar -C "$S/src" -cf - big | node bin/iso-merge.js dev="$DRIVE" 2>/dev/null | node bin/iso-pack.js --prev "$prev" 2>/dev/null \
    | head -c "$cut" | node bin/cd-write.js --multi dev="$DRIVE" > /dev/null 2>"$S/cut.err"; rc=$?
  [ $rc = 1 ] && grep -q 'nothing was committed' "$S/cut.err"; check "cut-$cut-refused" $? "rc=$rc $(tr '\n' ' ' < "$S/cut.err" | head -c 400)"
  drive-oracle-rescan >/dev/null 2>&1
  j=$(last_session)
  TREE_OF[$j]=$n_last
  if mount_session $j; then
    diff <(listing_names "$S/list$n_last.txt") <(listing_dir "$MNT") > "$S/diff" 2>&1; check "cut-$cut-newest-shows-previous" $? "$(head -c 300 "$S/diff" | tr '\n' ' ')"
    umount "$MNT"
  else check "cut-$cut-newest-shows-previous" 1 "mount: $(cat "$S/mount.err")"; fi
  mount -t iso9660 -o ro "$DRIVE" "$MNT" 2>/dev/null && { diff <(listing_names "$S/list$n_last.txt") <(listing_dir "$MNT") >/dev/null 2>&1; check "cut-$cut-default-mount" $? "the kernel's default (newest) session"; umount "$MNT"; }
  drive-oracle-toc | grep '^disc' | sed 's/^/INFO /'
done

# SIGKILL: the pipeline is stalled after 20 MB so that WRITEs have begun, then killed.
drive-oracle-rescan >/dev/null 2>&1
prev=$(node bin/cd-msinfo.js dev="$DRIVE" 2>/dev/null)
mark kill
setsid bash -c "tar -C '$S/src' -cf - big | node bin/iso-merge.js dev='$DRIVE' 2>/dev/null | node bin/iso-pack.js --prev '$prev' 2>/dev/null | { head -c 20000000; sleep 600; cat; } | node bin/cd-write.js --multi dev='$DRIVE' >/dev/null 2>&1" &
pg=$!
for i in $(seq 1 120); do
  sleep 1
  w=$(drive-oracle-toc "${DRIVE_SG:-$DRIVE}" 2>/dev/null | grep -c 'last_session=incomplete')
  [ "$w" -gt 0 ] && break
done
sleep 3
kill -KILL -- -$pg 2>/dev/null; wait $pg 2>/dev/null
drive-oracle-toc | grep '^disc' | sed 's/^/INFO after-kill /'
drive-oracle-rescan >/dev/null 2>&1
# An open session is not in the TOC (xorriso -toc lists nothing then): the kernel's default
# mount takes the last complete session.
if mount -t iso9660 -o ro "$DRIVE" "$MNT" 2>"$S/mount.err"; then
  diff <(listing_names "$S/list$n_last.txt") <(listing_dir "$MNT") > "$S/diff" 2>&1; check kill-newest-shows-previous $? "$(head -c 300 "$S/diff" | tr '\n' ' ')"
  umount "$MNT"
else check kill-newest-shows-previous 1 "mount: $(cat "$S/mount.err")"; fi
out=$(node bin/cd-write.js -fix --multi dev="$DRIVE" 2>&1); rc=$?
check kill-fix $rc "$out"
drive-oracle-rescan >/dev/null 2>&1
j=$(last_session)
TREE_OF[$j]=$n_last
if mount_session $j; then
  diff <(listing_names "$S/list$n_last.txt") <(listing_dir "$MNT") > "$S/diff" 2>&1; check kill-fixed-newest-shows-previous $? "$(head -c 300 "$S/diff" | tr '\n' ' ')"
  umount "$MNT"
else check kill-fixed-newest-shows-previous 1 "mount session=$j: $(cat "$S/mount.err")"; fi

# The next append works, and every session still mounts as it did.
mark burn-4
TREE_SRC[4]=d4
stream_session 4 d4; rc=$?
check pipeline-4 $rc "$(tr '\n' ' ' < "$S/write4.err" | head -c 600)"
echo "INFO stream-4 $(cat "$S/write4.json")"
drive-oracle-rescan >/dev/null 2>&1
j=$(last_session)
TREE_OF[$((j - 1))]=$n_last
TREE_OF[$j]=4
check_trees 4
verify_session 4 "$(json "$S/write4.json" start)" "$(json "$S/write4.json" sectors)" "$(json "$S/write4.json" headSession.start)"
drive-oracle-toc | grep '^disc' | sed 's/^/INFO final /'
mark end
exit 0
