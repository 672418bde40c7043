# Shell helpers for the scripts the drive oracle runs in its guest (sourced from the project
# root, the guest's working directory); test/helpers/drive-oracle.ts reads what they print.
S=${DRIVE_ORACLE_SCRATCH:-/tmp}
MNT=/run/isopipe-mnt
mkdir -p "$MNT"

# `MARK N name` on stdout and an INQUIRY of allocation length 0x40+N in the command trace,
# so the test can tell which commands each phase sent.
MARK_N=0
mark() {
  MARK_N=$((MARK_N + 1))
  echo "MARK $MARK_N $1"
  sg_raw -r 255 "$DRIVE" 12 00 00 00 $(printf '%02X' $((0x40 + MARK_N))) 00 >/dev/null 2>&1 || echo "INFO mark $MARK_N failed"
}
# name, condition result (0 ok), detail
check() { if [ "$2" = 0 ]; then echo "CHECK $1 ok $3"; else echo "CHECK $1 FAIL $3"; fi; }
info() { echo "INFO $1 $3"; }
# Names in a `tar tf` listing FILE as find lists them: no ./, no trailing /, sorted.
listing_names() { sed -e 's|^\./||' -e 's|/$||' "$1" | grep -v '^$' | LC_ALL=C sort; }
# A field of a JSON FILE by dotted path (cd-write --json), empty when absent.
json() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=process.argv[2].split(".").reduce((o,k)=>o==null?o:o[k],j);console.log(v==null?"":v)' "$1" "$2"; }
# Names as find lists them under a mount point, sorted.
listing_dir() { (cd "$1" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort); }

# rec KEY CMD...: one line `@@ KEY rc=N stdout` (newlines as ' | '), and on failure
# `@@ KEY.err` with REC_ERR_LINES (head or tail, default head) of stderr. A command that
# hangs shows as rc=124 after REC_TIMEOUT seconds instead of stalling the whole VM run.
REC_WORK=/tmp/rec; mkdir -p "$REC_WORK"
rec() {
  local key=$1 out rc
  shift
  out=$(timeout -k 5 "${REC_TIMEOUT:-400}" bash -c '"$@"' rec "$@" 2>"$REC_WORK/err"); rc=$?
  echo "@@ $key rc=$rc $(echo "$out" | paste -sd'|' | sed 's/|/ | /g')"
  [ $rc -ne 0 ] && echo "@@ $key.err $("${REC_ERR_LINES:-head}" -3 "$REC_WORK/err" | paste -sd'|')"
  return 0
}
