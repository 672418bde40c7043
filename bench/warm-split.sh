#!/usr/bin/env bash
# How much of each of issue 16's rows is V8's warm-up: the installed tools (cold, as a user
# runs them) against the same engines warmed in-process first (bench/warm-tools.mjs), and
# the floor filter both ways. Every variant reads the same tar from a fifo and is timed from
# tar's start to its pipeline's end; the variants alternate within each round.
#
#   bench/warm-split.sh [-n ROUNDS] [--passes P] [--only mixed-pipe,small-pipe,small-file,mixed-file,mirror]
#
# Needs dist/ built and the corpora bench/run.sh makes (small, small-1pct, mixed, tiny) in
# $ISOPIPE_BENCH_DIR/corpus (default /tmp/isopipe-bench). A warm variant's start-up and
# warm-up passes run before the timing starts, so its figure is a bound no launcher can
# reach: the tool with nothing left to load or compile.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
DIR=${ISOPIPE_BENCH_DIR:-/tmp/isopipe-bench}
CORPUS=$DIR/corpus
WORK=$DIR/warm
ROUNDS=5
PASSES=4
ONLY=mixed-pipe,small-pipe,small-file,mixed-file,mirror

while [ $# -gt 0 ]; do
  case $1 in
    -n) ROUNDS=${2:?}; shift ;;
    --passes) PASSES=${2:?}; shift ;;
    --only) ONLY=${2:?}; shift ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "warm-split: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "warm-split: $*" >&2; exit 1; }
[ -f "$REPO/dist/pack/packer.js" ] || die "dist/ is not built: npx tsc -p tsconfig.json"
for c in small small-1pct mixed tiny; do
  [ -d "$CORPUS/$c" ] || die "no corpus $CORPUS/$c: make it with bench/run.sh --only small,mixed,merge -n 1 --no-peers"
done

# The tools as a user runs them: their launchers, with the launchers' Node options. The
# Node scripts start the same way, so that only the warm-up differs.
PACK=$REPO/bin/iso-pack.js
MERGE=$REPO/bin/iso-merge.js
. "$HERE/launcher-node.sh"
NODE=$(launcher_node "$PACK") || die "cannot read $PACK's #! line"
WARM="$NODE --expose-gc $HERE/warm-tools.mjs"
FLOOR="$NODE $HERE/stream-floor.mjs"
F=$WORK/tar.fifo
OUT=$WORK/out
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
mkfifo "$F"

. "$HERE/stats.sh" # median, minmax

# One timed run: PIPELINE reads the tar from $F; READY ready files must exist before tar
# starts. Sets RUN_MS, and RUN_MARKS to tar's end and the warm tools' marks as `MODE EVENT MS`
# lines, in ms from tar's start.
run_once() { # DIR READY PIPELINE
  local dir=$1 ready=$2 pipeline=$3 t0 t1 rc
  rm -f "$WORK/ready" "$WORK/ready1" "$WORK/ready2" "$WORK/marks" "$OUT"
  sync
  bash -c "set -o pipefail; $pipeline" 2>>"$WORK/stderr.log" &
  local pid=$! waited=0
  while [ "$(ls "$WORK/ready" "$WORK/ready1" "$WORK/ready2" 2>/dev/null | wc -l)" -lt "$ready" ]; do
    sleep 0.05
    waited=$((waited + 1))
    [ $waited -lt 2400 ] || die "no ready file after 120 s: $pipeline"
  done
  [ "$ready" = 0 ] || sleep 0.3 # the warm processes' compiler threads finish their queue
  t0=$EPOCHREALTIME
  tar -c -f - -C "$dir" . >"$F"
  local tar_end=$EPOCHREALTIME
  wait $pid
  rc=$?
  t1=$EPOCHREALTIME
  [ $rc = 0 ] || die "failed ($rc): $pipeline (see $WORK/stderr.log)"
  RUN_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
  RUN_MARKS="tar end $(awk -v a="$t0" -v b="$tar_end" 'BEGIN { printf "%.0f", (b - a) * 1000 }')"
  [ -s "$WORK/marks" ] && RUN_MARKS+=$'\n'$(awk -v a="$t0" '{ printf "%s %s %.0f\n", $1, $2, $3 - a * 1000 }' "$WORK/marks")
  return 0
}

# case: LABEL DIR then VARIANT READY PIPELINE triples, the first the base.
one_case() {
  local label=$1 dir=$2
  shift 2
  local names=() readies=() pipes=()
  while [ $# -gt 0 ]; do
    names+=("$1") readies+=("$2") pipes+=("$3")
    shift 3
  done
  declare -A times=() marks=()
  tar -c -f - -C "$dir" . | cat >/dev/null # the page cache, untimed (tar into /dev/null reads nothing)
  local r i
  for r in $(seq "$ROUNDS"); do
    for i in "${!names[@]}"; do
      run_once "$dir" "${readies[$i]}" "${pipes[$i]}"
      times[$i]+="$RUN_MS "
      [ -z "$RUN_MARKS" ] || marks[$i]+="$RUN_MARKS"$'\n'
    done
  done
  echo
  echo "== $label ($ROUNDS rounds, warm variants after $PASSES passes)"
  local base m
  base=$(median <<<"${times[0]}")
  for i in "${!names[@]}"; do
    m=$(median <<<"${times[$i]}")
    printf '   %-58s %6.0f ms  %5.2fx  [%s]\n' "${names[$i]}" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { print a / b }')" \
      "$(minmax %d <<<"${times[$i]}")"
    [ -z "${marks[$i]:-}" ] || print_marks "${marks[$i]}"
  done
}

# The median of each tool's marks over the rounds, in the order they first came.
print_marks() { # `MODE EVENT MS` lines
  local key line=""
  for key in $(awk 'NF == 3 && !seen[$1 ":" $2]++ { print $1 ":" $2 }' <<<"$1"); do
    line+=" $key +$(awk -v k="$key" 'NF == 3 && $1 ":" $2 == k { print $3 }' <<<"$1" | median)"
  done
  printf '     %s\n' "marks (ms from tar's start):$line"
}

# warm-tools.mjs copies the tools' wiring: it must write their bytes, or it times something else.
same_bytes() { # LABEL INSTALLED-PIPELINE WARM-PIPELINE, each writing to the file named by $1
  bash -c "set -o pipefail; $2 > $WORK/a" 2>/dev/null && bash -c "set -o pipefail; $3 > $WORK/b" 2>/dev/null ||
    die "$1: a run failed"
  cmp -s "$WORK/a" "$WORK/b" || die "$1: bench/warm-tools.mjs writes other bytes than the installed tool: mend its wiring"
  rm -f "$WORK/a" "$WORK/b"
}

# A tar file of each tree for the warm-up passes.
warm_tar() { [ -f "$WORK/$1.tar" ] || tar -c -f "$WORK/$1.tar" -C "$CORPUS/$1" .; echo "$WORK/$1.tar"; }

pipe_case() { # NAME
  local t; t=$(warm_tar "$1")
  one_case "$1 tree into a pipe: tar c | X | cat > /dev/null" "$CORPUS/$1" \
    "tar c | cat" 0 "cat <$F >/dev/null" \
    "iso-pack as installed" 0 "$PACK <$F | cat >/dev/null" \
    "iso-pack warm" 1 "$WARM $t $PASSES $WORK/ready $F pack --marks $WORK/marks | cat >/dev/null" \
    "floor filter as installed" 0 "$FLOOR <$F | cat >/dev/null" \
    "floor filter warm" 1 "$WARM $t $PASSES $WORK/ready $F floor --marks $WORK/marks | cat >/dev/null"
}

file_case() { # NAME
  local t; t=$(warm_tar "$1")
  one_case "$1 tree to a file: tar c | X > file" "$CORPUS/$1" \
    "tar c | cat > /dev/null" 0 "cat <$F >/dev/null" \
    "tar c | cat > file" 0 "cat <$F >$OUT" \
    "iso-pack as installed" 0 "$PACK <$F >$OUT" \
    "iso-pack warm" 1 "$WARM $t $PASSES $WORK/ready $F pack --marks $WORK/marks >$OUT" \
    "floor filter as installed" 0 "$FLOOR <$F >$OUT" \
    "floor filter warm" 1 "$WARM $t $PASSES $WORK/ready $F floor --marks $WORK/marks >$OUT"
}

mirror_case() {
  local m=$WORK/medium.iso ms t merged
  # As bench/run.sh's merge section: one session of the small tree, then 1 % of it changed.
  "$REPO/bin/cd-write.js" --create --blank --dev "$m" || die "cd-write --create failed"
  tar -c -f - -C "$CORPUS/small" . | $PACK --prev "$("$REPO/bin/cd-msinfo.js" --dev "$m")" 2>/dev/null |
    "$REPO/bin/cd-write.js" --multi --dev "$m" || die "the medium's first session failed"
  ms=$("$REPO/bin/cd-msinfo.js" --dev "$m")
  t=$(warm_tar small-1pct)
  merged=$WORK/merged.tar
  $MERGE --mirror --dev "$m" <"$t" >"$merged" || die "iso-merge --mirror failed"
  same_bytes "iso-merge --mirror" "cat $merged" "$WARM $t 0 $WORK/ready $t mirror --dev $m"
  same_bytes "iso-pack --prev" "$PACK --prev $ms <$merged | cat" "$WARM $merged 0 $WORK/ready $merged pack --prev $ms | cat"
  one_case "the mirror, small-1pct: tar c | iso-merge --mirror | iso-pack --prev > file" "$CORPUS/small-1pct" \
    "tar c | cat > /dev/null" 0 "cat <$F >/dev/null" \
    "iso-merge | iso-pack as installed" 0 "$MERGE --mirror --dev $m <$F | $PACK --prev $ms >$OUT" \
    "iso-merge | iso-pack, both warm" 2 \
    "$WARM $t $PASSES $WORK/ready1 $F mirror --dev $m --marks $WORK/marks | $WARM $merged $PASSES $WORK/ready2 - pack --prev $ms --marks $WORK/marks >$OUT" \
    "two floor filters as installed" 0 "$FLOOR <$F | $FLOOR >$OUT" \
    "two floor filters, both warm" 2 \
    "$WARM $t $PASSES $WORK/ready1 $F floor --marks $WORK/marks | $WARM $merged $PASSES $WORK/ready2 - floor --marks $WORK/marks --as floor2 >$OUT"
  rm -f "$merged"
}

tiny=$(warm_tar tiny)
same_bytes "iso-pack into a pipe" "$PACK <$tiny | cat" "$WARM $tiny 0 $WORK/ready $tiny pack | cat"
same_bytes "iso-pack to a file" "$PACK <$tiny" "$WARM $tiny 0 $WORK/ready $tiny pack"
echo "warm-split: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'), node $(node --version), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
for c in ${ONLY//,/ }; do
  case $c in
    mixed-pipe) pipe_case mixed ;;
    small-pipe) pipe_case small ;;
    small-file) file_case small ;;
    mixed-file) file_case mixed ;;
    mirror) mirror_case ;;
    *) die "unknown case $c" ;;
  esac
done
