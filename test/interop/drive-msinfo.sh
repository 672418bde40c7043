#!/bin/bash
# Runs inside the drive oracle's guest (see drive-msinfo.test.ts): cd-msinfo against
# xorriso -as cdrecord -msinfo (and wodim on CD) on a blank disc, after a first -multi
# session burned by cdrskin and after a second burned by xorriso; --toc, --json, --scan,
# dev=B,T,L, /dev/sgN, a mounted drive (and cd-write refused on it). Each result is one line: "@@ KEY rc=N <stdout>".
# A second argument 1 also issues INQUIRY page 80h (sg_inq) between the msinfo runs of
# each client, so the command trace can be cut into one sequence per client.
set -u
cd "$1"
MARKS=${2:-0}
M=$DRIVE_ORACLE_MEDIA
W=/tmp/work; mkdir -p $W
REC_TIMEOUT=240
. test/interop/guest-lib.sh
# A client's commands end at an INQUIRY page 80h (sg_inq) in the trace.
client_mark() { sg_inq -p 0x80 "$DRIVE_SG" >/dev/null 2>&1; }
ours() { node bin/cd-msinfo.js "$@"; }
xmsinfo() { xorriso -as cdrecord dev=$DRIVE -msinfo 2>/dev/null; }
wmsinfo() { wodim dev=$DRIVE -msinfo 2>/dev/null; }
xtoc() { xorriso -indev $DRIVE -toc 2>&1 | grep -E '^ISO session|^Media (status|summary|nwa)'; }
export -f ours xmsinfo wmsinfo xtoc
if [ "$M" = rom ]; then # a pressed disc (--disc image.iso), then no disc at all
  rec rom.ours ours dev=$DRIVE
  rec rom.toc ours dev=$DRIVE --toc
  rec rom.xtoc xtoc
  sg_start --eject $DRIVE_SG >/dev/null 2>&1 || eject $DRIVE
  rec nodisc.ours ours dev=$DRIVE
  rec nodisc.toc ours dev=$DRIVE --toc
  exit 0
fi
addr=$(basename "$(readlink -f /sys/block/sr0/device)" | awk -F: '{print $1","$3","$4}')

rec blank.ours ours dev=$DRIVE
rec blank.xorriso xmsinfo
rec blank.toc ours dev=$DRIVE --toc
rec blank.json ours dev=$DRIVE --json
rec scan ours --scan
[ "$M" = cdr74 ] && rec scan.json ours -scanbus --json
echo "@@ addr $addr"

mkdir -p $W/tree1 $W/tree2
cp -r /etc/apt $W/tree1/; echo one > $W/tree1/one.txt
cp -r /etc/apt $W/tree2/; echo two > $W/tree2/two.txt
xorriso -as mkisofs -quiet -r -V ONE -o $W/s1.iso $W/tree1
rec burn1 sh -c "cdrskin dev=$DRIVE -multi -tao -data $W/s1.iso >/dev/null 2>&1"
drive-oracle-rescan
rec s1.ours ours dev=$DRIVE
rec s1.xorriso xmsinfo
[ "$M" = cdr74 ] && rec s1.wodim wmsinfo
if [ "$M" = cdr74 ]; then # the ways to name the drive, once
  rec s1.sg ours dev=$DRIVE_SG
  rec s1.addr ours dev=$addr
  rec s1.cdrdevice env CDR_DEVICE=ATA:$addr node bin/cd-msinfo.js
fi
rec s1.toc ours dev=$DRIVE --toc
rec s1.xtoc xtoc

C=$(xmsinfo)
xorriso -as mkisofs -quiet -r -V TWO -C $C -M $DRIVE -o $W/s2.iso $W/tree2 2>/dev/null
rec burn2 sh -c "xorriso -as cdrecord dev=$DRIVE -multi $W/s2.iso >/dev/null 2>&1"
drive-oracle-rescan
[ "$MARKS" = 1 ] && client_mark
rec s2.ours ours dev=$DRIVE
[ "$MARKS" = 1 ] && client_mark
rec s2.xorriso xmsinfo
[ "$MARKS" = 1 ] && client_mark
[ "$M" = cdr74 ] && rec s2.wodim wmsinfo
[ "$MARKS" = 1 ] && client_mark
rec s2.cdrskin sh -c "cdrskin dev=$DRIVE -msinfo 2>/dev/null"
[ "$MARKS" = 1 ] && client_mark
rec s2.toc ours dev=$DRIVE --toc
rec s2.json ours dev=$DRIVE --json
rec s2.xtoc xtoc
if [ "$M" = cdr74 ]; then
  # A reader shares the drive with the mount; a writer is refused before any WRITE.
  mount -o ro $DRIVE /mnt
  rec mounted ours dev=$DRIVE
  rec mounted.write node bin/cd-write.js --multi dev=$DRIVE $W/s2.iso
  umount /mnt
fi

# A last session without -multi closes the disc.
xorriso -as mkisofs -quiet -r -V THREE -C $(xmsinfo) -M $DRIVE -o $W/s3.iso $W/tree1 2>/dev/null
rec burn3 sh -c "cdrskin dev=$DRIVE -tao -data $W/s3.iso >/dev/null 2>&1"
rec closed.ours ours dev=$DRIVE
rec closed.xorriso xmsinfo
rec closed.toc ours dev=$DRIVE --toc
exit 0
