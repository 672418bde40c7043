#!/bin/bash
# Runs inside the drive oracle (../shared/tools/drive-oracle/) for test/interop/drive-burn.test.ts:
# a cdrskin session, then sessions 1-3 made by `tar | iso-merge | iso-pack --prev NEXT -o FILE`
# and burned by `cd-write --multi dev=$DRIVE FILE`, a last one without --multi, refusals, and
# eject + "no disc". Prints one line per check: `CHECK <name> ok|FAIL <detail>`, and
# `INFO ...` lines. Marks phases in the drive's command trace with INQUIRY commands of
# allocation length 0x40+N (`MARK N name` on stdout), so the test can tell which commands
# each phase sent (no WRITE(10) in a refusal).
set -u
S=${DRIVE_ORACLE_SCRATCH:-/tmp}
MNT=/run/isopipe-mnt
mkdir -p "$MNT"
export SOURCE_DATE_EPOCH=1700000000
N=0
mark() {
  N=$((N + 1))
  echo "MARK $N $1"
  sg_raw -r 255 "$DRIVE" 12 00 00 00 $(printf '%02X' $((0x40 + N))) 00 >/dev/null 2>&1 || echo "INFO mark $N failed"
}
# cd-msinfo speaks for drives once it has --scan (the read side's work); before that it
# reads /dev/sr0 as a block device and its numbers are reported, not checked.
if node bin/cd-msinfo.js --help 2>/dev/null | grep -q -- '--scan'; then MSINFO_CHECK=check; else MSINFO_CHECK=info; fi
info() { echo "INFO $1 $3"; }
check() { # name, condition-result (0 ok), detail
  if [ "$2" = 0 ]; then echo "CHECK $1 ok $3"; else echo "CHECK $1 FAIL $3"; fi
}
xmsinfo() { xorriso -as cdrecord dev="$DRIVE" -msinfo 2>/dev/null; }
ourmsinfo() { node bin/cd-msinfo.js dev="$DRIVE" 2>&1; }
listing_tar() { tar tf "$1" | sed -e 's|^\./||' -e 's|/$||' | grep -v '^$' | LC_ALL=C sort; }
listing_dir() { (cd "$1" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort); }

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

sessions=1
prev_img=""
for k in 1 2 3 4; do
  multi=--multi
  [ $k = 4 ] && multi=""
  drive-oracle-rescan >/dev/null 2>&1
  X=$(xmsinfo)
  M=$(ourmsinfo)
  echo "INFO before-session-$k xorriso=$X cd-msinfo=$M"
  [ "$M" = "$X" ]; $MSINFO_CHECK "msinfo-before-$k" $? "cd-msinfo=$M xorriso=$X"
  # NEXT from cd-msinfo when it speaks for drives, else from xorriso.
  PREV=$X
  [ $MSINFO_CHECK = check ] && PREV=$M
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
  drive-oracle-rescan >/dev/null 2>&1
  X=$(xmsinfo)
  M=$(ourmsinfo)
  if [ $k != 4 ]; then
    [ "$M" = "$X" ]; $MSINFO_CHECK "msinfo-after-$k" $? "cd-msinfo=$M xorriso=$X"
    if [ "$DRIVE_ORACLE_MEDIA" != bdr ] && [ "$DRIVE_ORACLE_MEDIA" != dvd+r ]; then
      W=$(wodim dev="$DRIVE" -msinfo 2>/dev/null)
      [ "$W" = "$X" ]; check "wodim-msinfo-after-$k" $? "wodim=$W xorriso=$X"
    fi
  fi
  toc=$(xorriso -indev "$DRIVE" -toc 2>&1 | grep -c '^ISO session')
  [ "$toc" = "$sessions" ]; check "toc-sessions-$k" $? "xorriso -toc lists $toc ISO sessions, want $sessions"
  # The kernel mounts every session so far; each tree equals the tar it was made from.
  for j in $(seq 0 $k); do
    if mount -t iso9660 -o ro,session=$j "$DRIVE" "$MNT" 2>"$S/mount.err"; then
      if diff <(listing_tar "$S/t$j.tar") <(listing_dir "$MNT") > "$S/diff" 2>&1; then
        check "tree-after-$k-session-$j" 0 "$(listing_dir "$MNT" | wc -l) entries"
      else
        check "tree-after-$k-session-$j" 1 "$(head -c 400 "$S/diff" | tr '\n' ' ')"
      fi
      if [ $j = $k ] && [ $j != 0 ]; then
        cmp -s "$MNT/d$k/sub$k/blob$k.bin" "$S/src/d$k/sub$k/blob$k.bin"; check "content-$k" $? "blob$k.bin"
      fi
      umount "$MNT"
    else
      check "tree-after-$k-session-$j" 1 "mount session=$j: $(tr '\n' ' ' < "$S/mount.err")"
    fi
  done
  node bin/cd-verify.js dev="$DRIVE" > "$S/verify$k.out" 2>&1
  echo "INFO cd-verify-after-$k status=$? $(tail -c 300 "$S/verify$k.out" | tr '\n' ' ')"
  prev_img=$S/s$k.img
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
