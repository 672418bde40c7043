#!/usr/bin/env bash
# isopipe benchmarks: iso-pack, iso-merge and cd-verify timed against `tar c | cat` (or md5sum) and
# against genisoimage, xorriso and bsdtar on the same trees, commands alternated within one
# run, medians reported; peak RSS with GNU time. Not a test: never run it in CI.
# How to run and how to read the figures: bench/README.md.
set -uo pipefail # no -e: a failing command is recorded and reported, not fatal

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")

SCRATCH=${ISOPIPE_BENCH_DIR:-/tmp/isopipe-bench}
REPS=5
RSS_PER_ENTRY=0.4 # KiB of peak RSS an entry may add beyond the tiny tree (issue 16)
QUICK=0
ONLY=""
CLEAN=0
CLEAN_ONLY=0
PEERS=1
VERBOSE=0
ISOPACK=""
SNAPSHOT=1
WAIT_QUIET=1
MAX_WAIT=120
NICE=""
ALL_SECTIONS="big small mixed rss merge verify md5 names scale"
NAMES_FILES=""

usage() {
  cat <<EOF
usage: bench/run.sh [options]

Times iso-pack against 'tar c | cat > /dev/null' and against genisoimage, xorriso and
bsdtar, all commands of a table alternated (A B C A B C ...), N repetitions, medians.

  -n, --reps N        repetitions per command (default $REPS)
  -d, --dir DIR       scratch directory for corpora and outputs
                      (default \$ISOPIPE_BENCH_DIR or /tmp/isopipe-bench)
      --only LIST     sections to run, comma-separated, from: ${ALL_SECTIONS// /,}
      --quick         small corpora (64 MiB files, 10,000 small files) to try the harness
      --names N       files in the one directory of the 'names' section (default 100,000;
                      10,000 with --quick)
      --iso-pack CMD  command to time as iso-pack (default: the launcher $REPO/bin/iso-pack.js);
                      'cat' is a stand-in while iso-pack does not exist
      --no-peers      skip genisoimage, xorriso and bsdtar
      --no-snapshot   run bin/ and dist/ in place instead of from a copy taken at the start
      --no-wait       do not wait for idle CPUs before each command
      --max-wait S    wait at most S seconds for idle CPUs before a command (default $MAX_WAIT)
      --nice N        run the timed commands at nice N (e.g. -10, as root) on a busy machine
      --clean         delete the corpora at the end of the run (they take ~6 GiB)
      --clean-only    delete the corpora and outputs, then exit
  -v, --verbose       one line per timed command on stderr
  -h, --help          this text
EOF
}

die() { echo "bench: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case $1 in
    -n|--reps) REPS=${2:?}; shift ;;
    -d|--dir) SCRATCH=${2:?}; shift ;;
    --only) ONLY=${2:?}; shift ;;
    --quick) QUICK=1 ;;
    --names) NAMES_FILES=${2:?}; shift ;;
    --iso-pack) ISOPACK=${2:?}; shift ;;
    --no-peers) PEERS=0 ;;
    --no-snapshot) SNAPSHOT=0 ;;
    --no-wait) WAIT_QUIET=0 ;;
    --max-wait) MAX_WAIT=${2:?}; shift ;;
    --nice) NICE=${2:?}; shift ;;
    --clean) CLEAN=1 ;;
    --clean-only) CLEAN_ONLY=1 ;;
    -v|--verbose) VERBOSE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps wants a positive number"
[[ -z $NAMES_FILES || $NAMES_FILES =~ ^[1-9][0-9]*$ ]] || die "--names wants a positive number"
for s in ${ONLY//,/ }; do [[ " $ALL_SECTIONS " == *" $s "* ]] || die "unknown section '$s' (known: $ALL_SECTIONS)"; done
want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

if [ "$QUICK" = 1 ]; then
  BIG_SIZE=64M BIG_BYTES=$((64 << 20)) SMALL_FILES=10000 NAMES_FILES=${NAMES_FILES:-10000} MIXED_SCALE=0.1 CORPUS=$SCRATCH/corpus-quick WORK_NEED_GIB=2
else
  BIG_SIZE=1G BIG_BYTES=$((1 << 30)) SMALL_FILES=100000 NAMES_FILES=${NAMES_FILES:-100000} MIXED_SCALE=1 CORPUS=$SCRATCH/corpus WORK_NEED_GIB=12
fi
WORK=$SCRATCH/work      # outputs, logs, bsdtar's spool; emptied before every timed command
OUT=$WORK/out
LOGS=$SCRATCH/logs

if [ "$CLEAN_ONLY" = 1 ]; then
  rm -rf "$SCRATCH/corpus" "$SCRATCH/corpus-quick" "$WORK"
  echo "bench: removed corpora and outputs under $SCRATCH"
  exit 0
fi

# ---------------------------------------------------------------------------------------
# Tools

# The tools are timed from a copy of bin/ and dist/ taken now: the tree is shared, and a
# rebuild during a 15-minute run would otherwise change (or break) the code mid-table.
SNAP=$WORK/isopipe-snapshot
STALE=""
if [ "$SNAPSHOT" = 1 ] && [ -d "$REPO/dist" ]; then
  mkdir -p "$WORK"
  rm -rf "$SNAP"; mkdir -p "$SNAP"
  cp -r "$REPO/bin" "$REPO/dist" "$REPO/package.json" "$SNAP/"
  mkdir -p "$SNAP/bench" && cp "$REPO/bench/stream-floor.mjs" "$SNAP/bench/" # it imports ../dist
  ln -s "$REPO/node_modules" "$SNAP/node_modules"
  newest() { find "$1" -type f -name "$2" -printf '%T@\n' 2>/dev/null | sort -g | tail -1; }
  awk -v s="$(newest "$REPO/src" '*.ts')" -v d="$(newest "$REPO/dist" '*.js')" 'BEGIN { exit !(s > d) }' &&
    STALE=" (dist/ is older than src/: run npx tsc -p tsconfig.json first?)"
  TOOLS=$SNAP
else
  TOOLS=$REPO
fi
# Run the launchers themselves, as users do: their #! line carries node's flags.
tool() { [ -x "$TOOLS/bin/$1.js" ] && echo "$TOOLS/bin/$1.js"; }
if [ -z "$ISOPACK" ]; then
  ISOPACK=$(tool iso-pack) || die "$REPO/bin/iso-pack.js not found: build (npx tsc -p tsconfig.json) or try the harness with --iso-pack cat"
fi
ISOMERGE=$(tool iso-merge || true)
CDVERIFY=$(tool cd-verify || true)
CDMSINFO=$(tool cd-msinfo || true)
CDWRITE=$(tool cd-write || true)
# The floor filter starts as the launchers start the tools (no NODE_EXTRA_CA_CERTS bundle to
# parse, ~36 ms here; their young generation).
. "$HERE/launcher-node.sh"
NODE_AS_LAUNCHED=$(launcher_node "$REPO/bin/iso-pack.js") || die "cannot read bin/iso-pack.js's #! line"
FLOOR="$NODE_AS_LAUNCHED $TOOLS/bench/stream-floor.mjs"

# GNU time for peak RSS (%M, KiB); busybox's or the shell keyword will not do.
if ! /usr/bin/time --version 2>&1 | grep -q GNU; then
  echo "bench: installing GNU time (Debian package 'time')" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q time >&2 || die "apt-get install time failed"
  else sudo apt-get install -y -q time >&2 || die "install the Debian package 'time'"; fi
fi
for t in tar node; do command -v $t >/dev/null || die "$t not found"; done
if [ "$PEERS" = 1 ]; then
  for t in genisoimage xorriso bsdtar; do command -v $t >/dev/null || { echo "bench: $t not found, peers skipped" >&2; PEERS=0; }; done
fi

mkdir -p "$CORPUS" "$WORK" "$LOGS"
export TMPDIR=$WORK/tmp # bsdtar spools file data there

# ---------------------------------------------------------------------------------------
# Output: everything printed on stdout is also kept in $SCRATCH/report-*.txt

REPORT=$SCRATCH/report-$(date +%Y%m%d-%H%M%S).txt
exec > >(tee "$REPORT")
TEE_PID=$!
find "$LOGS" -name '*.log' ! -name gen-corpus.log -delete # per-command logs of this run only
progress() { [ "$VERBOSE" = 1 ] || [ -t 2 ] && printf '%s\n' "$*" >&2; return 0; }

fmt() { awk -v x="$1" -v f="$2" 'BEGIN { printf f, x }'; }
. "$HERE/stats.sh" # median, minmax, maxof

SUMMARY=()
# verdict VALUE OP LIMIT -> "ok" or "MISS"
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= l : v >= l; print ok ? "ok" : "MISS" }'; }

# ---------------------------------------------------------------------------------------
# Corpora

gen() { node "$HERE/gen-corpus.mjs" "$@" >>"$LOGS/gen-corpus.log" || die "corpus generation failed: $*"; }

corpus_big() { # 3 files for the timing, a 4th for the 4x RSS tree; 1x and 4x trees share them by hard links
  [ -d "$CORPUS/big" ] || { progress "generating $CORPUS/big (3 x $BIG_SIZE)"; gen big "$CORPUS/big" --files 3 --size $BIG_SIZE --seed big; }
  [ -d "$CORPUS/big-extra" ] || { progress "generating $CORPUS/big-extra"; gen big "$CORPUS/big-extra" --files 1 --size $BIG_SIZE --seed big-extra; }
  if [ ! -d "$CORPUS/data-4x" ]; then
    mkdir -p "$CORPUS/data-1x" "$CORPUS/data-4x.partial"
    ln -f "$CORPUS/big/big-0.bin" "$CORPUS/data-1x/big-0.bin"
    for i in 0 1 2; do ln -f "$CORPUS/big/big-$i.bin" "$CORPUS/data-4x.partial/big-$i.bin"; done
    ln -f "$CORPUS/big-extra/big-0.bin" "$CORPUS/data-4x.partial/big-3.bin"
    mv "$CORPUS/data-4x.partial" "$CORPUS/data-4x"
  fi
}
corpus_small() {
  [ -d "$CORPUS/small" ] || { progress "generating $CORPUS/small ($SMALL_FILES files)"; gen small "$CORPUS/small" --files $SMALL_FILES --seed small; }
}
corpus_small_changed() { # the small corpus with 1 % of its files rewritten (hard links for the rest)
  corpus_small
  if [ ! -d "$CORPUS/small-1pct" ]; then
    rm -rf "$CORPUS/small-1pct.partial"
    cp -al "$CORPUS/small" "$CORPUS/small-1pct.partial" && gen change "$CORPUS/small-1pct.partial" --every 100 --seed small-1pct &&
      mv "$CORPUS/small-1pct.partial" "$CORPUS/small-1pct"
  fi
}
corpus_mixed() { [ -d "$CORPUS/mixed" ] || { progress "generating $CORPUS/mixed"; gen mixed "$CORPUS/mixed" --scale $MIXED_SCALE --seed mixed; }; }
corpus_tiny() { [ -d "$CORPUS/tiny" ] || gen tiny "$CORPUS/tiny"; }

bytes_of() { du -sb --apparent-size "$1" | cut -f1; }
entries_of() { find "$1" | wc -l; } # what tar c -C DIR . emits: every path plus ./

warm() { tar -c -f - -C "$1" . | cat >/dev/null; } # page cache and dentries, untimed

check_space() {
  local need_gib=$WORK_NEED_GIB avail_gib
  [ -d "$CORPUS/big" ] || need_gib=$((need_gib + (QUICK ? 1 : 5)))
  [ -d "$CORPUS/small" ] || need_gib=$((need_gib + 1))
  [ -d "$CORPUS/mixed" ] || need_gib=$((need_gib + (QUICK ? 1 : 2)))
  avail_gib=$(( $(df --output=avail -B1 "$SCRATCH" | tail -1) >> 30 ))
  [ "$avail_gib" -ge "$need_gib" ] || die "needs about $need_gib GiB free under $SCRATCH, $avail_gib GiB available (df -h $SCRATCH; --dir elsewhere, or --quick)"
}

# ---------------------------------------------------------------------------------------
# The helper every measurement goes through.
#
#   group_begin KEY "title" BYTES ENTRIES
#   group_base  ID "label" COMMAND           the line ratios are taken against (optional)
#   group_add   ID "label" TARGET COMMAND [BYTES]   TARGET: max ratio to the base, or '-'
#   group_run                                REPS rounds of every command in turn, then the table
#   group_compare ID_A ID_B "text"           median over rounds of time(A)/time(B)
#
# COMMAND is bash; '@out@' becomes the output file (deleted before each run, its size is
# reported) and '@rss@' a GNU time prefix that records the peak RSS of the command after it.
# Results stay in R_TIME[KEY/ID] (s), R_RSS[KEY/ID] (KiB), R_SIZE[KEY/ID] (bytes), R_RATIO.

declare -A R_TIME R_RSS R_SIZE R_RATIO R_FAILED RUN_T RUN_RSS RUN_SIZE RUN_OTHERS RUN_CPU RUN_DISK
NCPU=$(nproc)
G_IDS=() G_LABELS=() G_TARGETS=() G_CMDS=() G_RBYTES=() G_BASE=""

group_begin() {
  G_KEY=$1 G_TITLE=$2 G_BYTES=$3 G_ENTRIES=$4
  G_IDS=() G_LABELS=() G_TARGETS=() G_CMDS=() G_RBYTES=() G_BASE=""
}
group_base() { G_BASE=$1; group_add "$1" "$2" - "$3"; }
# An optional 5th argument gives the bytes this command handles, for its MiB/s (0: none).
group_add() { G_IDS+=("$1"); G_LABELS+=("$2"); G_TARGETS+=("$3"); G_CMDS+=("$4"); G_RBYTES+=("${5:-$G_BYTES}"); }

cpu_busy_pct() { # share of all CPUs busy over half a second
  local _ u n s i w q sq st t1 i1 t2 i2
  read -r _ u n s i w q sq st _ </proc/stat; t1=$((u + n + s + i + w + q + sq + st)) i1=$((i + w))
  sleep 0.5
  read -r _ u n s i w q sq st _ </proc/stat; t2=$((u + n + s + i + w + q + sq + st)) i2=$((i + w))
  echo $(( t2 > t1 ? 100 * ((t2 - t1) - (i2 - i1)) / (t2 - t1) : 0 ))
}

# The machine is shared (other sessions run tests, qemu): before each command wait, up to
# MAX_WAIT seconds, for the CPUs to be mostly idle, and count the commands that could not.
# During each command, the CPU others used is measured too (the 'others' column).
busy_jiffies() { local _ u n s i w q sq st; read -r _ u n s i w q sq st _ </proc/stat; echo $((u + n + s + q + sq + st)); }
children_jiffies() { local f; read -ra f </proc/$$/stat; echo $((f[15] + f[16])); } # cutime + cstime
# KiB the whole machine read from block devices so far. The page cache is not ours to keep:
# this VM's kernel pages out what stays untouched for a while (DAMON), so a corpus or an old
# image can come from disk in the middle of a run (the 'disk MiB' column).
disk_kib() { awk '$1 == "pgpgin" { print $2 }' /proc/vmstat; }
BUSY_STARTS=0
wait_quiet() {
  [ "$WAIT_QUIET" = 1 ] || return 0
  local k busy
  for ((k = 0; k < MAX_WAIT * 2; k++)); do
    busy=$(cpu_busy_pct)
    [ "$busy" -le 20 ] && return 0
    [ $k = 0 ] && progress "  waiting for a quiet machine (CPU $busy % busy)"
    sleep 0.5
  done
  BUSY_STARTS=$((BUSY_STARTS + 1))
}

first_error() { # the most telling line of the last round's stderr
  awk '/^== round/ { n = 0; next } { l[++n] = $0 } END {
    for (i = 1; i <= n; i++) if (l[i] ~ /(Error|error|: )/) { print substr(l[i], 1, 110); exit }
    if (n) print substr(l[1], 1, 110) }' "$1"
}

run_one() { # index round
  local i=$1 r=$2 id=${G_IDS[$1]} key="$G_KEY/${G_IDS[$1]}"
  local rssf=$WORK/rss.txt log="$LOGS/$G_KEY-${G_IDS[$1]}.log" cmd t0 t1 rc size rss=""
  rm -rf "$OUT" "$TMPDIR" "$rssf"; mkdir -p "$OUT" "$TMPDIR"; sync
  wait_quiet
  cmd=${G_CMDS[$i]//@out@/$OUT/out}
  cmd=${cmd//@rss@//usr/bin/time -f %M -o $rssf}
  echo "== round $r: $cmd" >>"$log"
  local b0 c0 d0 b1 c1 d1
  b0=$(busy_jiffies) c0=$(children_jiffies) d0=$(disk_kib)
  t0=$EPOCHREALTIME
  ${NICE:+nice -n "$NICE"} bash -c "set -o pipefail; $cmd" 2>>"$log"
  rc=$?
  t1=$EPOCHREALTIME
  b1=$(busy_jiffies) c1=$(children_jiffies) d1=$(disk_kib)
  if [ $rc != 0 ]; then
    R_FAILED[$key]="exit $rc: $(first_error "$log") (log: $log)"
    progress "  $G_KEY round $r: ${G_LABELS[$i]}: FAILED ($rc)"
    return
  fi
  [ -s "$rssf" ] && rss=$(tail -1 "$rssf")
  size=$(stat -c %s "$OUT/out" 2>/dev/null || echo "")
  RUN_T[$key]+=" $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')"
  RUN_RSS[$key]+=" $rss"
  RUN_SIZE[$key]+=" $size"
  RUN_CPU[$key]+=" $(awk -v c=$((c1 - c0)) 'BEGIN { printf "%.2f", c / 100 }')" # user + sys of every process of the command
  # CPU used by others during the command, in % of the whole machine (clock ticks are 1/100 s)
  RUN_OTHERS[$key]+=" $(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v a="$t0" -v z="$t1" -v n="$NCPU" \
    'BEGIN { o = (b - c) / ((z - a) * 100 * n) * 100; printf "%.0f", o < 0 ? 0 : o }')"
  RUN_DISK[$key]+=" $(awk -v d=$((d1 - d0)) 'BEGIN { printf "%.0f", d / 1024 }')" # MiB read from disk, by anyone
  progress "  $G_KEY round $r/$REPS: $(fmt "$(echo "${RUN_T[$key]}" | awk '{ print $NF }')" '%7.2f') s  ${G_LABELS[$i]}"
}

# One value per round from two per-round lists (rounds where both have one): the awk
# expression EXPR of x (from A) and y (from B).
per_round() { # A B EXPR
  local -a a b
  read -ra a <<<"$1"
  read -ra b <<<"$2"
  local n=${#a[@]} k
  [ ${#b[@]} -lt "$n" ] && n=${#b[@]}
  for ((k = 0; k < n; k++)); do awk -v x="${a[$k]}" -v y="${b[$k]}" "BEGIN { printf \"%.4f \", $3 }"; done
}

# Per-round ratios A/B, as a list.
round_ratios() { per_round "${RUN_T[$G_KEY/$1]:-}" "${RUN_T[$G_KEY/$2]:-}" 'x / y'; }

# Per-round floors: the command's CPU time (all its processes) spread over every core with
# nothing idle, divided by the base's wall time. No overlap can take a command below it.
round_floors() { per_round "${RUN_CPU[$G_KEY/$1]:-}" "${RUN_T[$G_KEY/$2]:-}" "x / $NCPU / y"; }

group_run() {
  local r i
  echo
  echo "== $G_TITLE"
  echo "   $(fmt "$G_BYTES" '%.0f' | awk '{ printf "%.2f GiB", $1 / 1073741824 }'), $G_ENTRIES entries; $REPS rounds, commands alternated, medians"
  for ((r = 1; r <= REPS; r++)); do
    for i in "${!G_IDS[@]}"; do
      [ -n "${R_FAILED[$G_KEY/${G_IDS[$i]}]:-}" ] || run_one "$i" "$r"
    done
  done
  rm -rf "$OUT" "$TMPDIR"
  printf '   %-40s %8s %8s %14s %10s %9s %9s %7s %7s %9s\n' command "median s" "MiB/s" "x base [range]" target "RSS MiB" "out MiB" "CPU s" "others" "disk MiB"
  for i in "${!G_IDS[@]}"; do
    local key="$G_KEY/${G_IDS[$i]}" label=${G_LABELS[$i]} target=${G_TARGETS[$i]}
    if [ -n "${R_FAILED[$key]:-}" ]; then
      printf '   %-40s FAILED: %s\n' "$label" "${R_FAILED[$key]}"
      [ "$target" != - ] && SUMMARY+=("$(printf '%-6s %-44s   target <= %sx' FAILED "$G_KEY: $label" "$target")")
      continue
    fi
    local t rss size ratio="-" range="" tgt="" rate
    t=$(median <<<"${RUN_T[$key]}")
    rss=$(median <<<"${RUN_RSS[$key]}")
    size=$(median <<<"${RUN_SIZE[$key]}")
    R_TIME[$key]=$t R_RSS[$key]=$rss R_SIZE[$key]=$size
    rate=$(awk -v b="${G_RBYTES[$i]}" -v t="$t" 'BEGIN { if (b > 0 && t > 0) printf "%.0f", b / 1048576 / t; else print "-" }')
    if [ -n "$G_BASE" ] && [ -z "${R_FAILED[$G_KEY/$G_BASE]:-}" ]; then
      local rr; rr=$(round_ratios "${G_IDS[$i]}" "$G_BASE")
      ratio=$(median <<<"$rr"); range=$(minmax <<<"$rr")
      R_RATIO[$key]=$ratio
      ratio=$(fmt "$ratio" '%.2f')
      if [ "$target" != - ]; then
        local v floor; v=$(verdict "$ratio" "<=" "$target")
        floor=$(median <<<"$(round_floors "${G_IDS[$i]}" "$G_BASE")")
        tgt="<=$target $v"
        SUMMARY+=("$(printf '%-6s %-44s %6sx   target <= %sx   CPU floor %sx' "$v" "$G_KEY: $label" "$ratio" "$target" "$(fmt "$floor" '%.2f')")")
      fi
    fi
    printf '   %-40s %8.2f %8s %6s %-7s %10s %9s %9s %7s %6s%% %9s\n' "$label" "$t" "$rate" "$ratio" "${range:+[$range]}" "$tgt" \
      "$([ "$rss" = - ] && echo - || fmt "$rss" '%.1f' | awk '{ printf "%.1f", $1 / 1024 }')" \
      "$([ "$size" = - ] && echo - || awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }')" \
      "$(median <<<"${RUN_CPU[$key]}" | awk '{ printf($1 == "-" ? "-" : "%.2f", $1) }')" \
      "$(median <<<"${RUN_OTHERS[$key]}" | awk '{ printf($1 == "-" ? "-" : "%.0f", $1) }')" \
      "$(maxof <<<"${RUN_DISK[$key]}")"
  done
}

group_compare() { # ID_A ID_B text
  [ -n "${RUN_T[$G_KEY/$1]:-}" ] && [ -n "${RUN_T[$G_KEY/$2]:-}" ] || return 0
  [ -z "${R_FAILED[$G_KEY/$1]:-}" ] && [ -z "${R_FAILED[$G_KEY/$2]:-}" ] || return 0
  local rr; rr=$(round_ratios "$1" "$2")
  printf '   %-40s %6.2fx [%s]\n' "$3" "$(median <<<"$rr")" "$(minmax <<<"$rr")"
}

# ---------------------------------------------------------------------------------------
# Sections

tarc() { echo "tar -c -f - -C $1 ."; } # GNU tar to stdout, then always through a pipe

pack_vs_peers() { # KEY title DIR target-file target-pipe
  local key=$1 title=$2 dir=$3 tfile=$4 tpipe=$5
  warm "$dir"
  group_begin "$key" "$title" "$(bytes_of "$dir")" "$(entries_of "$dir")"
  group_base cat "tar c | cat > /dev/null" "$(tarc "$dir") | cat > /dev/null"
  # what writing the output file costs by itself (page cache, writeback), no target
  group_add catfile "tar c | cat > file (reference)" - "$(tarc "$dir") | cat > @out@"
  # what the head-last stream costs before any ISO work (bench/stream-floor.mjs), no target
  group_add floorfile "tar c | stream floor > file (reference)" - "$(tarc "$dir") | $FLOOR > @out@"
  group_add floorpipe "tar c | stream floor | cat (reference)" - "$(tarc "$dir") | $FLOOR | cat > /dev/null"
  group_add file "tar c | iso-pack > file" "$tfile" "$(tarc "$dir") | @rss@ $ISOPACK > @out@"
  group_add pipe "tar c | iso-pack | cat > /dev/null" "$tpipe" "$(tarc "$dir") | @rss@ $ISOPACK | cat > /dev/null"
  # the whole job as the README shows it, onto a new image-file medium; no target
  [ -n "$CDWRITE" ] && group_add burn "tar c | iso-pack | cd-write (image)" - \
    "$CDWRITE --create --blank --dev @out@ && $(tarc "$dir") | $ISOPACK --prev 0,32 | $CDWRITE --multi --dev @out@"
  if [ "$PEERS" = 1 ]; then
    group_add geniso "genisoimage -R -J -o F" - "@rss@ genisoimage -R -J -o @out@ $dir"
    group_add xorriso "xorriso -as mkisofs -R -J -o F" - "@rss@ xorriso -as mkisofs -R -J -o @out@ $dir"
    group_add bsdtar "bsdtar -c --format iso9660 -f F" - "@rss@ bsdtar -c --format iso9660 -f @out@ -C $dir ."
  fi
  group_run
  if [ "$PEERS" = 1 ]; then
    echo "   iso-pack (tar c | iso-pack > file) relative to each peer, per round:"
    group_compare file geniso "  / genisoimage"
    group_compare file xorriso "  / xorriso -as mkisofs"
    group_compare file bsdtar "  / bsdtar"
  fi
}

section_big() {
  corpus_big
  pack_vs_peers big "big files: 3 x $BIG_SIZE ($CORPUS/big)" "$CORPUS/big" 1.2 1.2
}
section_small() {
  corpus_small
  pack_vs_peers small "small files: $SMALL_FILES files of 1-8 KiB ($CORPUS/small)" "$CORPUS/small" 1.3 1.3
  paced_pack small-paced "$CORPUS/small"
  first_read "iso-pack=$ISOPACK" "$CORPUS/small"
}

# How long tar waits at the start for each consumer to load (bench/first-read.mjs): the
# whole of it lands on a pipe's wall time. No target; Node itself is the floor under ours.
first_read() { # 'LABEL=COMMAND' DIR
  echo; echo "== start-up: ms from starting the consumer until it has read 2 MiB of the tar (${1%%=*})"
  mkdir -p "$TMPDIR"
  node "$REPO/bench/first-read.mjs" -n "$REPS" <(tar -c -f - -C "$2" .) \
    'cat=cat' "node reading stdin (empty script)=$NODE_AS_LAUNCHED -e 'require(\"fs\").readFileSync(0)'" "$1" ||
    echo "   first-read failed"
}

# The tar paced at a disk's speed, as a backup of files not in the page cache reads: iso-pack
# keeps up while the tar streams, so what it adds is its work after the input ends (the
# directory phase). No target; the issue's targets are on a tar from the page cache.
PACE_MBS=200
paced_pack() { # KEY DIR
  local key=$1 dir=$2 pace="node $REPO/bench/paced-cat.mjs $PACE_MBS"
  group_begin "$key" "the same tar paced at $PACE_MBS MB/s: what iso-pack adds after its input ends" "$(bytes_of "$dir")" "$(entries_of "$dir")"
  group_base cat "tar c | paced | cat > /dev/null" "$(tarc "$dir") | $pace | cat > /dev/null"
  group_add pipe "tar c | paced | iso-pack | cat > /dev/null" - "$(tarc "$dir") | $pace | @rss@ $ISOPACK | cat > /dev/null"
  group_run
  [ -n "${RUN_T[$key/cat]:-}" ] && [ -n "${RUN_T[$key/pipe]:-}" ] || return 0
  local after; after=$(per_round "${RUN_T[$key/pipe]}" "${RUN_T[$key/cat]}" 'x - y')
  printf '   %-40s %6.2f s [%s]\n' "iso-pack after the input's end" "$(median <<<"$after")" "$(minmax <<<"$after")"
}
section_mixed() {
  corpus_mixed
  pack_vs_peers mixed "mixed tree: small/medium/large files, links, long and UTF-8 names ($CORPUS/mixed)" "$CORPUS/mixed" 1.3 1.3
}

section_rss() {
  corpus_big; corpus_small; corpus_tiny
  local d
  for d in tiny data-1x data-4x small; do warm "$CORPUS/$d"; done
  group_begin rss "peak RSS of iso-pack (tar c | iso-pack > file; the base into a pipe)" 0 "-"
  group_add tiny "tiny tree ($(entries_of "$CORPUS/tiny") entries)" - "$(tarc "$CORPUS/tiny") | @rss@ $ISOPACK > @out@"
  group_add d1 "1 x $BIG_SIZE" - "$(tarc "$CORPUS/data-1x") | @rss@ $ISOPACK > @out@"
  group_add d4 "4 x $BIG_SIZE" - "$(tarc "$CORPUS/data-4x") | @rss@ $ISOPACK > @out@"
  group_add d1p "1 x $BIG_SIZE | cat (the fixed base)" - "$(tarc "$CORPUS/data-1x") | @rss@ $ISOPACK | cat > /dev/null"
  group_add small "$SMALL_FILES small files" - "$(tarc "$CORPUS/small") | @rss@ $ISOPACK > @out@"
  group_run
  local r1=${R_RSS[rss/d1]:-} r4=${R_RSS[rss/d4]:-} rp=${R_RSS[rss/d1p]:-} rt=${R_RSS[rss/tiny]:-} rs=${R_RSS[rss/small]:-} n v
  if [ -n "$r1" ] && [ -n "$r4" ] && [ "$r1" != - ] && [ "$r4" != - ]; then
    local growth; growth=$(awk -v a="$r1" -v b="$r4" 'BEGIN { printf "%.1f", (b / a - 1) * 100 }')
    v=$(awk -v g="$growth" 'BEGIN { print (g <= 10 && g >= -10) ? "ok" : "MISS" }')
    echo "   RSS 4x data vs 1x data: ${growth} % (target: within 10 %) $v"
    SUMMARY+=("$(printf '%-6s %-44s %6s%%   target within 10 %%' "$v" "rss: 4 x $BIG_SIZE vs 1 x $BIG_SIZE" "$growth")")
  fi
  # The fixed base is the 1 x data run into a pipe: a long stream of four entries. It has
  # every fixed cost the small files' run has and the tiny tree's has not: the data buffers,
  # and koffi, loaded once 16 MiB have come through the pipe (src/session/pipe-size.ts). Into
  # a file it would also have the writing thread (src/session/write-thread.ts, about 13 MiB),
  # which files of a few KiB never start. The tiny tree's figure is printed as well, for
  # comparison with the rounds before that.
  if [ -n "$rp" ] && [ -n "$rs" ] && [ "$rp" != - ] && [ "$rs" != - ]; then
    n=$(( $(entries_of "$CORPUS/small") - $(entries_of "$CORPUS/data-1x") ))
    local per; per=$(awk -v a="$rp" -v b="$rs" -v n="$n" 'BEGIN { printf "%.3f", (b - a) / n }')
    v=$(verdict "$per" "<=" $RSS_PER_ENTRY)
    echo "   RSS per entry beyond 1 x $BIG_SIZE | cat: $per KiB x $n entries (target <= $RSS_PER_ENTRY KiB) $v"
    SUMMARY+=("$(printf '%-6s %-44s %6s KiB/entry   target <= %s' "$v" "rss: iso-pack per entry ($n entries)" "$per" $RSS_PER_ENTRY)")
  fi
  if [ -n "$rt" ] && [ -n "$rs" ] && [ "$rt" != - ] && [ "$rs" != - ]; then
    n=$(entries_of "$CORPUS/small")
    echo "   RSS per entry beyond the tiny tree (no long stream): $(awk -v a="$rt" -v b="$rs" -v n="$n" 'BEGIN { printf "%.3f", (b - a) / n }') KiB x $n entries"
  fi
}

# issue 5: iso-merge --mirror over the small corpus with 1 % changed vs a full pack.
section_merge() {
  if [ -z "$ISOMERGE" ] || [ -z "$CDMSINFO" ] || [ -z "$CDWRITE" ]; then
    echo; echo "== iso-merge --mirror: skipped (needs bin/iso-merge.js, bin/cd-msinfo.js, bin/cd-write.js)"
    return
  fi
  corpus_small_changed; corpus_tiny
  local m=$WORK/merge-medium.iso mt=$WORK/merge-tiny.iso ms mst
  rm -f "$m" "$mt"
  # The medium: one session of the unchanged corpus, written by the pipeline itself (on
  # media made on purpose: cd-write creates none by accident).
  ( set -e
    $CDWRITE --create --blank --dev "$m"
    $CDWRITE --create --blank --dev "$mt"
    $(tarc "$CORPUS/small") | $ISOPACK --prev "$($CDMSINFO --dev "$m")" | $CDWRITE --multi --dev "$m"
    $(tarc "$CORPUS/tiny") | $ISOPACK --prev "$($CDMSINFO --dev "$mt")" | $CDWRITE --multi --dev "$mt"
  ) 2>>"$LOGS/merge-setup.log" || { echo; echo "== iso-merge --mirror: setup failed (log: $LOGS/merge-setup.log)"; return; }
  ms=$($CDMSINFO --dev "$m") mst=$($CDMSINFO --dev "$mt")
  warm "$CORPUS/small-1pct"
  group_begin merge "iso-merge --mirror, $SMALL_FILES files with 1 % changed, vs tar c | cat and a full pack (session to a file)" \
    "$(bytes_of "$CORPUS/small-1pct")" "$(entries_of "$CORPUS/small-1pct")"
  group_base cat "tar c | cat > /dev/null" "$(tarc "$CORPUS/small-1pct") | cat > /dev/null"
  group_add full "tar c | iso-pack --prev (full)" - "$(tarc "$CORPUS/small-1pct") | $ISOPACK --prev $ms > @out@"
  group_add mirror "tar c | iso-merge --mirror | iso-pack" 1.3 \
    "$(tarc "$CORPUS/small-1pct") | @rss@ $ISOMERGE --mirror --dev $m | $ISOPACK --prev $ms > @out@"
  group_add tiny "tiny tree, iso-merge --mirror (RSS base)" - \
    "$(tarc "$CORPUS/tiny") | @rss@ $ISOMERGE --mirror --dev $mt | $ISOPACK --prev $mst > @out@" 0
  group_run
  group_compare mirror full "mirror / full pack"
  local sf=${R_SIZE[merge/full]:-} sm=${R_SIZE[merge/mirror]:-} rt=${R_RSS[merge/tiny]:-} rm_=${R_RSS[merge/mirror]:-}
  [ -n "$sf" ] && [ -n "$sm" ] && [ "$sf" != - ] && [ "$sm" != - ] &&
    echo "   bytes written, mirror / full: $(awk -v a="$sm" -v b="$sf" 'BEGIN { printf "%.3f (%.1f MiB of %.1f MiB)", a / b, a / 1048576, b / 1048576 }')"
  if [ -n "$rt" ] && [ -n "$rm_" ] && [ "$rt" != - ] && [ "$rm_" != - ]; then
    local n per v; n=$(entries_of "$CORPUS/small-1pct")
    per=$(awk -v a="$rt" -v b="$rm_" -v n="$n" 'BEGIN { printf "%.3f", (b - a) / n }')
    v=$(verdict "$per" "<=" $RSS_PER_ENTRY)
    echo "   iso-merge RSS per entry beyond the tiny tree: $per KiB (target <= $RSS_PER_ENTRY KiB) $v"
    SUMMARY+=("$(printf '%-6s %-44s %6s KiB/entry   target <= %s' "$v" "merge: iso-merge per entry" "$per" $RSS_PER_ENTRY)")
  fi
  first_read "iso-merge --mirror=$ISOMERGE --mirror --dev $m" "$CORPUS/small-1pct"
  rm -f "$m" "$mt"
}

isopack_has_md5() { $ISOPACK --help 2>&1 | grep -q -- '--md5'; }

# issue 6: cd-verify over an image vs md5sum of the same image.
section_verify() {
  if [ -z "$CDVERIFY" ]; then
    echo; echo "== cd-verify vs md5sum: skipped (needs bin/cd-verify.js)"
    return
  fi
  corpus_big; corpus_small
  local md5opt="" name
  isopack_has_md5 && md5opt=--md5
  for name in big small; do
    local img=$WORK/verify-$name.iso target=1.1
    [ $name = small ] && target=1.3
    $(tarc "$CORPUS/$name") | $ISOPACK $md5opt -o "$img" 2>>"$LOGS/verify-setup.log" ||
      { echo; echo "== cd-verify ($name): iso-pack failed (log: $LOGS/verify-setup.log)"; continue; }
    cat "$img" >/dev/null # warm
    group_begin "verify-$name" "cd-verify vs md5sum, image of the $name corpus${md5opt:+ packed with --md5}" \
      "$(stat -c %s "$img")" "$(entries_of "$CORPUS/$name")"
    group_base md5sum "md5sum IMAGE" "md5sum $img > /dev/null"
    # -n and /dev/null: with a tar on stdin cd-verify would compare it too
    group_add verify "cd-verify --dev IMAGE --quiet" "$target" "@rss@ $CDVERIFY --dev $img -n --quiet < /dev/null"
    group_run
    rm -f "$img"
  done
}

# issue 6: iso-pack --md5 vs without, and vs MD5 itself over the same tar stream.
section_md5() {
  if ! isopack_has_md5; then
    echo; echo "== iso-pack --md5: skipped (iso-pack --help does not mention --md5)"
    return
  fi
  corpus_big
  warm "$CORPUS/big"
  group_begin md5 "iso-pack --md5 vs without, big files ($CORPUS/big)" "$(bytes_of "$CORPUS/big")" "$(entries_of "$CORPUS/big")"
  group_base md5sum "tar c | md5sum" "$(tarc "$CORPUS/big") | md5sum > /dev/null"
  group_add plain "tar c | iso-pack > file" - "$(tarc "$CORPUS/big") | @rss@ $ISOPACK > @out@"
  group_add md5 "tar c | iso-pack --md5 > file" 1.2 "$(tarc "$CORPUS/big") | @rss@ $ISOPACK --md5 > @out@"
  group_run
  group_compare md5 plain "iso-pack --md5 / iso-pack"
}

# issue 16: one directory of names sharing a long prefix (every ISO 9660 and Joliet form
# collides and needs a counter) vs the same count of names of the same length that do not.
section_names() {
  local style
  for style in shared distinct; do
    [ -d "$CORPUS/names-$style-$NAMES_FILES" ] || { progress "generating $CORPUS/names-$style-$NAMES_FILES";
      gen names "$CORPUS/names-$style-$NAMES_FILES" --files "$NAMES_FILES" --style $style; }
    warm "$CORPUS/names-$style-$NAMES_FILES"
  done
  group_begin names "$NAMES_FILES files in one directory: names sharing a long prefix vs distinct names" \
    "$(bytes_of "$CORPUS/names-shared-$NAMES_FILES")" "$(entries_of "$CORPUS/names-shared-$NAMES_FILES")"
  group_base distinct "distinct: tar c | iso-pack > file" "$(tarc "$CORPUS/names-distinct-$NAMES_FILES") | @rss@ $ISOPACK > @out@"
  group_add shared "shared prefix: tar c | iso-pack > file" 1.5 "$(tarc "$CORPUS/names-shared-$NAMES_FILES") | @rss@ $ISOPACK > @out@"
  group_run
}

# issue 16: time and memory linear in the entries. Tar files of N files of 100 bytes, 100 to
# a directory, at three sizes a decade apart, and the two smaller counts in one directory;
# each is read from a file through a pipe (cat), as tar c would feed it, into an image file.
section_scale() {
  local sizes="10000 100000 1000000" n layout per f
  [ "$QUICK" = 1 ] && sizes="1000 10000 100000"
  local flat="${sizes% *}"
  group_begin scale "entries: tar files of N files of 100 bytes, 100 to a directory or all in one (cat TAR | iso-pack > file)" 0 -
  for n in $sizes; do
    for layout in dirs flat; do
      [ $layout = flat ] && [[ " $flat " != *" $n "* ]] && continue
      per=100; [ $layout = flat ] && per=$n
      f=$CORPUS/scale-$layout-$n.tar
      [ -f "$f" ] || { progress "generating $f"; gen tar "$f" --files "$n" --per-dir $per --seed "scale-$n"; }
      cat "$f" >/dev/null
      group_add "$layout-$n" "$(printf "%'d" "$n") files, $([ $layout = flat ] && echo "one directory" || echo "100 a directory")" - "cat $f | @rss@ $ISOPACK > @out@"
    done
  done
  group_run
  local first="" t0 r0 t r
  # Cost beyond the smallest run (node's start-up, the fixed base) divided by the entries
  # beyond it: the same figure at every size means time and memory linear in the entries.
  echo "   beyond the smallest run (start-up and base memory), per added entry:"
  for n in $sizes; do
    for layout in dirs flat; do
      local key=scale/$layout-$n
      [ -n "${R_TIME[$key]:-}" ] && [ "${R_TIME[$key]}" != - ] || continue
      t=${R_TIME[$key]} r=${R_RSS[$key]}
      if [ -z "$first" ]; then first=$n t0=$t r0=$r; continue; fi
      awk -v n="$n" -v t="$t" -v r="$r" -v n0="$first" -v t0="$t0" -v r0="$r0" -v l="$layout" 'BEGIN {
        e = (l == "flat") ? n + 2 : n + n / 100 + 1; e0 = n0 + n0 / 100 + 1
        if (e <= e0) exit
        printf "   %9d files, %-5s %7.2f us/entry %7.3f KiB/entry\n", n, l, (t - t0) / (e - e0) * 1e6, (r - r0) / (e - e0) }'
    done
  done
}

# ---------------------------------------------------------------------------------------

main() { # one function, so that bash has read all of it before it runs (the file may be edited meanwhile)
check_space
corpus_tiny
smoke=$(set -o pipefail; tar -c -f - -C "$CORPUS/tiny" . | $ISOPACK 2>&1 >/dev/null | head -3) ||
  die "iso-pack fails on the tiny tree: ${smoke:-no message}"
echo "isopipe benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "  commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" status --porcelain -- src 2>/dev/null | grep -q . && echo ' (src modified)')," \
  "iso-pack: $ISOPACK$STALE"
echo "  $(nproc) CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(free -g | awk '/^Mem/ { print $2 }') GiB RAM, Linux $(uname -r), node $(node --version)"
or_missing() { echo "${2:-$1 not installed}"; } # a peer's version line, or that it is absent
echo "  $(tar --version | head -1); $(or_missing bsdtar "$(bsdtar --version 2>/dev/null | cut -d' ' -f1-2)"); $(or_missing genisoimage "$(genisoimage --version 2>/dev/null | head -1)"); $(or_missing xorriso "$(xorriso -version 2>/dev/null | head -1 | cut -d: -f1)")"
echo "  scratch $SCRATCH ($(df -h --output=avail "$SCRATCH" | tail -1 | tr -d ' ') free); $REPS rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)${NICE:+; commands at nice $NICE}"

for s in $ALL_SECTIONS; do want "$s" && "section_$s"; done

echo
echo "== targets"
if [ ${#SUMMARY[@]} = 0 ]; then echo "   (none measured)"; else printf '   %s\n' "${SUMMARY[@]}"; fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $BUSY_STARTS command(s) started on a busy machine" \
  "after waiting ${MAX_WAIT}s for idle CPUs (a busy machine makes every figure noisier)"
echo "report kept in $REPORT"

if [ "$CLEAN" = 1 ]; then
  rm -rf "$CORPUS" "$WORK"
  echo "corpora removed ($CORPUS)"
fi
exec >&-
wait "$TEE_PID" 2>/dev/null || true
}
main
exit
