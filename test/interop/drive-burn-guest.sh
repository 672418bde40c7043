#!/bin/bash
# Runs inside the drive oracle (../shared/tools/drive-oracle/) for test/interop/drive-burn.test.ts:
# a cdrskin session, then sessions 1-3 made by `tar | iso-merge | iso-pack --prev NEXT -o FILE`
# and burned by `cd-write --multi dev=$DRIVE FILE`, a last one without --multi, refusals, and
# eject + "no disc". Prints one line per check: `CHECK <name> ok|FAIL <detail>`, and
# `INFO ...` lines. Marks phases in the drive's command trace with INQUIRY commands of
# allocation length 0x40+N (`MARK N name` on stdout), so the test can tell which commands
# each phase sent (no WRITE(10) in a refusal).
set -u
. test/interop/guest-lib.sh
export SOURCE_DATE_EPOCH=1700000000
xmsinfo() { xorriso -as cdrecord dev="$DRIVE" -msinfo 2>/dev/null; }
ourmsinfo() { node bin/cd-msinfo.js dev="$DRIVE" 2>&1; }
listing_tar() { tar tf "$1" | sed -e 's|^\./||' -e 's|/$||' | grep -v '^$' | LC_ALL=C sort; }

# Trees: d1..d4 with a few files, one large enough to take several WRITEs.
for k in 1 2 3 4; do
  mkdir -p "$S/src/d$k/sub$k"
  echo "session $k" > "$S/src/d$k/hello$k.txt"
  head -c $((150000 * k)) /dev/urandom > "$S/src/d$k/sub$k/blob$k.bin"
  ln -s "hello$k.txt" "$S/src/d$k/link$k"
done
mkdir -p "$S/src/d0" && echo cdrskin > "$S/src/d0/from-cdrskin.txt"

# Session by cdrskin (libburn) first: ours must read and append to it.
mark cdrskin
xorriso -as mkisofs -quiet -r -o "$S/s0.iso" "$S/src/d0" >/dev/null 2>&1
cdrskin dev="$DRIVE" -multi -tao -data "$S/s0.iso" >/dev/null 2>&1
check cdrskin-burn $? "cdrskin -multi -tao"
tar -C "$S/src/d0" -cf "$S/t0.tar" .

# A burn killed with SIGKILL mid-track: the previous session still mounts, cd-msinfo says
# what is on the disc, an append is refused until `cd-write -fix --multi` closes the open
# session, after which the disc is appendable again.
killed_burn() {
  drive-oracle-rescan >/dev/null 2>&1
  local X; X=$(xmsinfo)
  mkdir -p "$S/dk" && head -c 12000000 /dev/urandom > "$S/dk/big.bin"
  tar -C "$S" -cf - dk | node bin/iso-pack.js --prev "$X" -o "$S/killed.img" 2>/dev/null
  mark killed-burn
  node bin/cd-write.js -v --multi dev="$DRIVE" "$S/killed.img" 2> "$S/killed.err" &
  local pid=$!
  for i in $(seq 1 600); do grep -q 'MB written' "$S/killed.err" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  kill -9 $pid; wait $pid; local rc=$?
  [ $rc = 137 ] && grep -q 'MB written' "$S/killed.err"; check killed-mid-burn $? "rc=$rc $(tr '\r' '\n' < "$S/killed.err" | grep 'MB written' | tail -n 1)"
  mark after-kill
  echo "INFO after-kill $(drive-oracle-toc | grep '^disc')"
  echo "INFO after-kill cd-msinfo: $(ourmsinfo | tr '\n' ' ')"
  drive-oracle-rescan >/dev/null 2>&1
  local prev=$((sessions - 1))
  if mount -t iso9660 -o ro,session=$prev "$DRIVE" "$MNT" 2>"$S/mount.err"; then
    diff <(listing_tar "${TARS[$prev]}") <(listing_dir "$MNT") > "$S/diff" 2>&1; check killed-previous-session-mounts $? "session=$prev $(head -c 300 "$S/diff")"
    umount "$MNT"
  else
    check killed-previous-session-mounts 1 "mount session=$prev: $(tr '\n' ' ' < "$S/mount.err")"
  fi
  out=$(node bin/cd-write.js --multi dev="$DRIVE" "$S/s3.img" 2>&1); rc=$?
  [ $rc = 1 ] && echo "$out" | grep -q -- '-fix'; check killed-append-refused $? "rc=$rc $out"
  mark fix
  out=$(node bin/cd-write.js -v -fix --multi dev="$DRIVE" 2>&1); rc=$?
  [ $rc = 0 ]; check fix $? "rc=$rc $(echo "$out" | tr '\n' ' ')"
  mark after-fix
  drive-oracle-toc | grep -q 'disc status=appendable last_session=empty'; check fix-appendable $? "$(drive-oracle-toc | grep '^disc')"
  # The killed track is a session now (its head points at directories never written).
  sessions=$((sessions + 1))
  TARS+=(killed)
}

sessions=1
# The tar each session on the disc was packed from, by session index (mount -o session=N).
TARS=("$S/t0.tar")
for k in 1 2 3 4; do
  multi=--multi
  [ $k = 4 ] && multi=""
  drive-oracle-rescan >/dev/null 2>&1
  X=$(xmsinfo)
  M=$(ourmsinfo)
  echo "INFO before-session-$k xorriso=$X cd-msinfo=$M"
  [ "$M" = "$X" ]; check "msinfo-before-$k" $? "cd-msinfo=$M xorriso=$X"
  PREV=$M
  tar -C "$S/src" -cf - "d$k" | node bin/iso-merge.js dev="$DRIVE" > "$S/t$k.tar" 2>"$S/merge$k.err"
  check "merge-$k" $? "$(head -c 300 "$S/merge$k.err")"
  node bin/iso-pack.js --prev "$PREV" -o "$S/s$k.img" < "$S/t$k.tar" 2>"$S/pack$k.err"
  check "pack-$k" $? "$(head -c 300 "$S/pack$k.err")"
  if [ $k = 4 ]; then
    # Refusals on an appendable disc, before the closing session: a stale --prev (session 1's
    # image) and a session larger than the free blocks (session 4's image claiming 20M sectors).
    mark refuse-stale
    out=$(node bin/cd-write.js --multi dev="$DRIVE" "$S/s1.img" 2>&1); rc=$?
    [ $rc = 1 ] && echo "$out" | grep -q 'run cd-msinfo again'; check refuse-stale $? "rc=$rc $out"
    mark refuse-too-big
    cp "$S/s4.img" "$S/big.img"
    printf '\x00\x2d\x31\x01\x01\x31\x2d\x00' | dd of="$S/big.img" bs=1 seek=$((16 * 2048 + 80)) conv=notrunc 2>/dev/null
    out=$(node bin/cd-write.js --multi dev="$DRIVE" "$S/big.img" 2>&1); rc=$?
    [ $rc = 1 ] && echo "$out" | grep -q 'does not fit'; check refuse-too-big $? "rc=$rc $out"
  fi
  mark "burn-$k"
  start=$(date +%s.%N)
  node bin/cd-write.js $multi -v --json dev="$DRIVE" "$S/s$k.img" > "$S/write$k.json" 2>"$S/write$k.err"
  rc=$?
  end=$(date +%s.%N)
  check "cd-write-$k" $rc "$(tr '\n' ' ' < "$S/write$k.err" | head -c 600)"
  echo "INFO cd-write-$k $(cat "$S/write$k.json") seconds=$(echo "$end - $start" | bc)"
  mark "after-burn-$k"
  sessions=$((sessions + 1))
  TARS+=("$S/t$k.tar")
  drive-oracle-rescan >/dev/null 2>&1
  X=$(xmsinfo)
  M=$(ourmsinfo)
  if [ $k != 4 ]; then
    [ "$M" = "$X" ]; check "msinfo-after-$k" $? "cd-msinfo=$M xorriso=$X"
    if [ "$DRIVE_ORACLE_MEDIA" != bdr ] && [ "$DRIVE_ORACLE_MEDIA" != dvd+r ]; then
      W=$(wodim dev="$DRIVE" -msinfo 2>/dev/null)
      [ "$W" = "$X" ]; check "wodim-msinfo-after-$k" $? "wodim=$W xorriso=$X"
    fi
  fi
  toc=$(xorriso -indev "$DRIVE" -toc 2>&1 | grep -c '^ISO session')
  [ "$toc" = "$sessions" ]; check "toc-sessions-$k" $? "xorriso -toc lists $toc ISO sessions, want $sessions"
  # The kernel mounts every session so far; each tree equals the tar it was made from.
  for j in $(seq 0 $((sessions - 1))); do
    [ "${TARS[$j]}" = killed ] && continue
    if mount -t iso9660 -o ro,session=$j "$DRIVE" "$MNT" 2>"$S/mount.err"; then
      if diff <(listing_tar "${TARS[$j]}") <(listing_dir "$MNT") > "$S/diff" 2>&1; then
        check "tree-after-$k-session-$j" 0 "$(listing_dir "$MNT" | wc -l) entries"
      else
        check "tree-after-$k-session-$j" 1 "$(head -c 400 "$S/diff" | tr '\n' ' ')"
      fi
      if [ $j = $((sessions - 1)) ]; then
        cmp -s "$MNT/d$k/sub$k/blob$k.bin" "$S/src/d$k/sub$k/blob$k.bin"; check "content-$k" $? "blob$k.bin"
      fi
      umount "$MNT"
    else
      check "tree-after-$k-session-$j" 1 "mount session=$j: $(tr '\n' ' ' < "$S/mount.err")"
    fi
  done
  node bin/cd-verify.js dev="$DRIVE" > "$S/verify$k.out" 2>&1
  echo "INFO cd-verify-after-$k status=$? $(tail -c 300 "$S/verify$k.out" | tr '\n' ' ')"
  [ $k = 3 ] && killed_burn
done

# The disc is closed: the next cd-write is refused, and nothing reaches the drive.
drive-oracle-toc | grep '^disc' | sed 's/^/INFO /'
drive-oracle-toc | grep -q 'disc status=complete'; check closed-by-last-session $? "$(drive-oracle-toc | grep '^disc')"
mark refuse-closed
out=$(node bin/cd-write.js --multi dev="$DRIVE" "$S/s1.img" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'closed'; check refuse-closed $? "rc=$rc $out"
mark after-refusals

# No disc: START STOP UNIT (eject) unloads cdemu's disc for good.
node bin/cd-write.js -fix --multi -eject dev="$DRIVE" > /dev/null 2>&1
mark refuse-no-disc
out=$(node bin/cd-write.js --multi dev="$DRIVE" "$S/s1.img" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'no disc'; check refuse-no-disc $? "rc=$rc $out"
mark end
exit 0
