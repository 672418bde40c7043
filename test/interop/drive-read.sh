#!/bin/bash
# Runs inside the drive oracle's guest (see drive-read.test.ts): two -multi sessions burned
# by cdrskin and xorriso (the second imports the first with -C/-M, with MD5s), then, before
# any rescan (our reads go through SG_IO: the kernel still thinks the disc is blank),
# cd-verify on the drive, iso-merge --data of the newest and of session 1 listed by tar;
# then after drive-oracle-rescan the kernel's mount of the newest session as the judge.
# Each result is one line: "@@ KEY rc=N <stdout, newlines as ' | '>".
set -u
cd "$1"
W=/tmp/work; mkdir -p $W
REC_ERR_LINES=tail
. test/interop/guest-lib.sh
# Names as tar lists them: no ./, no trailing /, sorted; the root left out.
norm() { sed -e 's|^\./||' -e 's|/$||' | grep -v '^\.\?$' | LC_ALL=C sort; }
export -f norm

mkdir -p $W/tree1/sub $W/tree2
cp -r /etc/apt $W/tree1/; echo one > $W/tree1/one.txt
head -c 3000000 /dev/urandom > $W/tree1/sub/big.bin
cp -r /etc/default $W/tree2/; echo two > $W/tree2/two.txt
xorriso -as mkisofs -quiet -r --md5 -V ONE -o $W/s1.iso $W/tree1
rec burn1 sh -c "cdrskin dev=$DRIVE -multi -tao -data $W/s1.iso >/dev/null 2>&1"
drive-oracle-rescan
C=$(xorriso -as cdrecord dev=$DRIVE -msinfo 2>/dev/null)
echo "@@ msinfo1 $C"
xorriso -as mkisofs -quiet -r --md5 -V TWO -C $C -M $DRIVE -o $W/s2.iso $W/tree2 2>/dev/null
rec burn2 sh -c "xorriso -as cdrecord dev=$DRIVE -multi $W/s2.iso >/dev/null 2>&1"

# No rescan: the block device still has the blank disc's capacity.
rec kernelsize blockdev --getsize64 $DRIVE
rec verify node bin/cd-verify.js dev=$DRIVE --json
rec verify.err2 sh -c "node bin/cd-verify.js dev=$DRIVE -n 2>&1 >/dev/null"
rec merge.newest bash -c "node bin/iso-merge.js --data dev=$DRIVE | tar tf - | norm"
rec merge.s1 bash -c "node bin/iso-merge.js --data --session 1 dev=$DRIVE | tar tf - | norm"
rec merge.big sh -c "node bin/iso-merge.js --data --session 1 dev=$DRIVE | tar xOf - sub/big.bin | cmp - $W/tree1/sub/big.bin && echo same"
rec src.s1 bash -c "cd $W/tree1 && find . | norm"
rec src.newest bash -c "(cd $W/tree1 && find .; cd $W/tree2 && find .) | norm | uniq"
rec xfind bash -c "xorriso -indev $DRIVE -find / 2>/dev/null | sed -e \"s|^'||\" -e \"s|'\$||\" -e 's|^/||' | norm"
# iso-pack -M reads the drive as mkisofs -M /dev/sr0 did: the same session as iso-merge | iso-pack.
mkdir -p $W/tree3; echo three > $W/tree3/three.txt
C3=$(node bin/cd-msinfo.js dev=$DRIVE); export SOURCE_DATE_EPOCH=1700000000
rec pack.M sh -c "tar -C $W/tree3 -cf - . | node bin/iso-pack.js -r -C $C3 -M $DRIVE -o $W/s3-M.iso && echo packed"
rec pack.merge sh -c "tar -C $W/tree3 -cf - . | node bin/iso-merge.js dev=$DRIVE | node bin/iso-pack.js -r -C $C3 -o $W/s3-merge.iso && cmp $W/s3-M.iso $W/s3-merge.iso && echo same"

drive-oracle-rescan

rec mount.newest bash -c "mount -o ro $DRIVE /mnt && (cd /mnt && find . | norm); umount /mnt"
# After the rescan, through the same code: still two sessions and no problems.
rec verify2 node bin/cd-verify.js dev=$DRIVE --json
exit 0
