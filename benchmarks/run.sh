#!/usr/bin/env bash
# The native runner's own cost: NOPs through the FFM runner against a C program doing the same work per NOP with
# raw syscalls (src/main/c/nop_bench.c), in short alternating rounds, reported as FFM/C per batch size.
#
# How. Two long-lived servers, each pinned with taskset to the same CPU, each with its own 128-entry ring set up
# once: the C program, and one JVM (NopRoundServer) running the loop of NopLoop#nops through NativeIoUring behind
# the seam. Both speak one protocol on stdin ("round <batch> <millis>" -> "ok ns_per_nop=..."). After a warm-up
# (passes over the batch sizes on both sides until the JIT is quiet, discarded), every pair is a C round then a
# Java round of the same batch size, back to back; the pairs go round the batch sizes, so a slow drift of the
# machine lands on both sides of a pair and on every batch size alike. The ratio is taken per pair and summarised
# by its median, with min, quartiles and max of the pair ratios beside the median ns/NOP of each side. Each side
# reports wall-clock time and its thread's on-CPU time; on a machine shared with other work the second is the
# steadier, as it leaves out the time a side spent preempted (on a quiet machine the two agree).
#
# Why one long-lived JVM rather than a JVM per round. What is measured is the runner's steady-state cost, which
# is what a long check pays. A JVM started per round pays its start and the JIT again each time; with the JIT
# inside a 1 s round, C2 compiles on the same pinned CPU as the loop, so the compiler's time is charged to the
# loop, and a warm-up long enough to end it would dwarf the round. The C side is long-lived too, so both sides
# keep their ring, page tables and caches between rounds, and each sleeps in read(2) while the other runs. The
# Java server reports JIT time and collections per round, summed below the table: the loop allocates nothing, and
# after the warm-up only the server's own bookkeeping between rounds still gets compiled, a few ms in all. What the
# idle JVM still costs the C rounds is its housekeeping threads waking on the shared CPU, microseconds a second.
#
# A guest kernel: --kernel SPEC (debian:7.2, ..., or a bzImage; also --backend guest:SPEC) times the NOP loop
# through the guest backend (GuestIoUring: every enter a round trip over virtio-serial to the agent) against the
# guest's own C loop (this C program, linked statically, stored in the guest and run there by the agent), both on
# one guest that the Java server boots. The server takes both kinds of rounds ("round" runs the Java loop through
# the backend, "cround" runs `nop_bench round B MS` in the guest and passes its answer on), so the pairs alternate
# as natively. Nothing is pinned: the JVM and QEMU must run at once for every round trip, and pinning them to one
# CPU would time the scheduler. Only wall-clock time is compared: the JVM's on-CPU time leaves out QEMU's, which
# does the guest's share of the work. Under TCG the guest's clock follows the host's.
#
# Exit status: 0 done, 1 a side failed (its stderr is shown), 2 usage (or a kernel spec that names no kernel),
# 3 the guest kernel failed, 77 io_uring cannot be used here (or no QEMU, or no kernel to be had). Results:
# benchmarks/out/rounds.tsv (every measured round) and benchmarks/out/summary.txt; for a guest kernel
# rounds-<spec>.tsv and summary-<spec>.txt.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: benchmarks/run.sh [--pairs N] [--round-seconds S] [--batches LIST] [--cpu N] [--kernel SPEC] [--no-build]

  --pairs N           measured C/Java pairs per batch size (default 20)
  --round-seconds S   length of one round, 0.05 to 60 (default 1)
  --batches LIST      comma-separated batch sizes, each 1 to 128 (default 1,32,128)
  --cpu N             the CPU both sides are pinned to (default: the last one)
  --kernel SPEC        a guest kernel (debian:6.1, debian:6.12, debian:7.2, debian:7.3, or a bzImage path): its
                      NOPs through the guest backend against its own C loop, run in the guest (boots it once)
  --backend NAME      native (default), or guest:SPEC, the same as --kernel SPEC
  --no-build          use benchmarks/target and benchmarks/out/nop_bench as they are
  -h, --help          this text

With the defaults it takes about two and a half minutes, build included. Each side reports wall-clock time and
its thread's on-CPU time; on a machine busy with other work, trust the on-CPU ratio more.
Prints a table, then one line per batch size:
  batch 32: FFM/C median 1.08 (min .., q1 .., q3 .., max ..) over N pairs
EOF
}

fail_usage() {
  echo "run.sh: $1" >&2
  usage >&2
  exit 2
}

pairs=20
round_seconds=1
batches="1,32,128"
cpu=""
backend=native
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --pairs|--round-seconds|--batches|--cpu|--backend|--kernel)
      [ $# -ge 2 ] || fail_usage "$1 needs a value"
      case "$1" in
        --pairs) pairs=$2 ;;
        --round-seconds) round_seconds=$2 ;;
        --batches) batches=$2 ;;
        --cpu) cpu=$2 ;;
        --backend) backend=$2 ;;
        --kernel) backend=guest:$2 ;;
      esac
      shift 2 ;;
    --no-build) build=0; shift ;;
    *) fail_usage "unknown option $1" ;;
  esac
done

[[ "$pairs" =~ ^[1-9][0-9]{0,3}$ ]] || fail_usage "--pairs must be a whole number from 1 to 9999, not '$pairs'"
[[ "$round_seconds" =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] \
  && awk -v s="$round_seconds" 'BEGIN { exit !(s >= 0.05 && s <= 60) }' \
  || fail_usage "--round-seconds must be a number from 0.05 to 60, not '$round_seconds'"
[[ "$batches" =~ ^[0-9]+(,[0-9]+)*$ ]] || fail_usage "--batches must be comma-separated numbers, not '$batches'"
batch_list=${batches//,/ }
for b in $batch_list; do
  [ "$b" -ge 1 ] && [ "$b" -le 128 ] || fail_usage "batch size $b is outside 1..128"
done
ncpu=$(nproc)
if [ -z "$cpu" ]; then
  cpu=$((ncpu - 1))
fi
[[ "$cpu" =~ ^[0-9]+$ ]] && [ "$cpu" -lt "$ncpu" ] || fail_usage "--cpu must be a CPU from 0 to $((ncpu - 1)), not '$cpu'"
case "$backend" in
  native) guest="" ;;
  guest:?*) guest=${backend#guest:} ;;
  *) fail_usage "unknown backend '$backend' (native, or guest:SPEC)" ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$root/.mvn/find-jdk.sh"
out="$here/out"
mkdir -p "$out"
if [ "$build" = 1 ]; then
  (cd "$root" && ./mvnw -q -DskipTests -pl benchmarks -am package)
  cc -O2 -Wall -o "$out/nop_bench" "$here/src/main/c/nop_bench.c"
  if [ -n "$guest" ] && ! cc -O2 -Wall -static -o "$out/nop_bench_static" "$here/src/main/c/nop_bench.c"; then
    echo "run.sh: the guest's C loop is linked statically and this machine has no static C library; install it" \
      "(on Debian: apt-get install libc6-dev)" >&2
    exit 77
  fi
fi
[ -x "$out/nop_bench" ] && [ -f "$here/target/benchmarks.jar" ] && { [ -z "$guest" ] || [ -x "$out/nop_bench_static" ]; } \
  || { echo "run.sh: nothing built yet; run without --no-build" >&2; exit 2; }

pin=()
if [ -n "$guest" ]; then
  : # not pinned: see the guest kernel paragraph at the top
elif command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c "$cpu")
else
  echo "run.sh: taskset not found; the two sides are not pinned, so expect more noise" >&2
fi
round_ms=$(awk -v s="$round_seconds" 'BEGIN { printf "%d", s * 1000 }')
nbatches=$(echo $batch_list | wc -w)
# Measured rounds, a typical warm-up of three passes (at most five), and the JVM's start.
estimate=$(awk -v p="$pairs" -v n="$nbatches" -v s="$round_seconds" 'BEGIN { printf "%d", 2 * n * p * s + 3 * n + 3 }')
if [ -n "$guest" ]; then
  echo "benchmarks/run.sh: $pairs pairs of ${round_seconds} s rounds at batch $batches on a guest of $guest, about" \
    "$((estimate + 10)) s with its boot"
else
  echo "benchmarks/run.sh: $pairs pairs of ${round_seconds} s rounds at batch $batches on CPU $cpu, about ${estimate} s"
fi

work=$(mktemp -d)
c_pid=""
j_pid=""
cleanup() {
  for pid in $c_pid $j_pid; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkfifo "$work/j.in" "$work/j.out"
server=(dev.ringspec.benchmarks.NopRoundServer --backend "$backend")
if [ -n "$guest" ]; then
  server+=(--guest-program "$out/nop_bench_static")
fi
"${pin[@]}" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$here/target/benchmarks.jar" \
  "${server[@]}" <"$work/j.in" >"$work/j.out" 2>"$work/j.err" &
j_pid=$!
exec {j_in}>"$work/j.in" {j_out}<"$work/j.out"
if [ -n "$guest" ]; then
  # one server for both sides: "cround" runs the C loop in its guest
  c_in=$j_in c_out=$j_out c_pid=$j_pid c_round=cround c_err="$work/j.err" side_c="C in the guest"
  side_java="the guest backend" ratio_name="backend/C"
else
  mkfifo "$work/c.in" "$work/c.out"
  "${pin[@]}" "$out/nop_bench" <"$work/c.in" >"$work/c.out" 2>"$work/c.err" &
  c_pid=$!
  exec {c_in}>"$work/c.in" {c_out}<"$work/c.out"
  c_round=round c_err="$work/c.err" side_c="C (raw syscalls)" side_java="FFM (NativeIoUring)" ratio_name="FFM/C"
fi
# A side that died must read as a failed write below, not end this script by SIGPIPE.
trap '' PIPE

# ask SIDE BATCH MILLIS: one round on one side; sets $answer to the line it sent back.
ask() {
  local side=$1 in out pid err word=round
  if [ "$side" = C ]; then
    in=$c_in out=$c_out pid=$c_pid err=$c_err word=$c_round
  else
    in=$j_in out=$j_out pid=$j_pid err="$work/j.err"
  fi
  # a guest's first answer waits for its boot (and a kernel download, the first time)
  if ! echo "$word $2 $3" >&"$in" 2>/dev/null \
      || ! IFS= read -r -t "$(( $3 / 1000 + 600 ))" answer <&"$out"; then
    local status=0
    wait "$pid" 2>/dev/null || status=$?
    case "$status" in
      77) echo "run.sh: cannot run here: $(cat "$err")" >&2; exit 77 ;;
      2|3) echo "run.sh: $(cat "$err")" >&2; exit "$status" ;;
    esac
    echo "run.sh: the $side side stopped answering (exit status $status):" >&2
    cat "$err" >&2
    exit 1
  fi
  case "$answer" in
    ok\ *) ;;
    *) echo "run.sh: the $side side answered: $answer" >&2; exit 1 ;;
  esac
}
field() { # field NAME LINE
  local v=${2#* "$1"=}
  echo "${v%% *}"
}

# Warm-up: passes over the batch sizes with 0.5 s rounds on both sides, at least two, until a whole pass saw no
# JIT compilation in the Java server (at most five passes).
warmup_passes=0
warmup_jit=0
while :; do
  pass_jit=0
  for b in $batch_list; do
    ask C "$b" 500
    ask Java "$b" 500
    pass_jit=$((pass_jit + $(field jit_ms "$answer")))
  done
  warmup_passes=$((warmup_passes + 1))
  warmup_jit=$((warmup_jit + pass_jit))
  if [ "$warmup_passes" -ge 5 ] || { [ "$warmup_passes" -ge 2 ] && [ "$pass_jit" = 0 ]; }; then
    break
  fi
done

suffix=""
if [ -n "$guest" ]; then
  suffix=-$(echo "$guest" | tr -c 'A-Za-z0-9.\n' '_')
fi
tsv="$out/rounds$suffix.tsv"
printf 'pair\tbatch\tc_ns_per_nop\tffm_ns_per_nop\tffm_over_c\tc_cpu_ns_per_nop\tffm_cpu_ns_per_nop\tffm_over_c_cpu\tjit_ms\tgcs\n' >"$tsv"
for p in $(seq 1 "$pairs"); do
  for b in $batch_list; do
    ask C "$b" "$round_ms"
    c_ns=$(field ns_per_nop "$answer")
    c_cpu=$(field cpu_ns_per_nop "$answer")
    ask Java "$b" "$round_ms"
    j_ns=$(field ns_per_nop "$answer")
    j_cpu=$(field cpu_ns_per_nop "$answer")
    printf '%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$b" "$c_ns" "$j_ns" \
      "$(awk -v j="$j_ns" -v c="$c_ns" 'BEGIN { printf "%.4f", j / c }')" "$c_cpu" "$j_cpu" \
      "$(awk -v j="$j_cpu" -v c="$c_cpu" 'BEGIN { printf "%.4f", j / c }')" \
      "$(field jit_ms "$answer")" "$(field gcs "$answer")" >>"$tsv"
  done
done
[ -n "$guest" ] || echo quit >&"$c_in"
echo quit >&"$j_in"

# stats BATCH COLUMN: "min q1 median q3 max count" of one column of rounds.tsv at one batch size. Quartiles
# interpolate linearly between the sorted values (R's default, type 7).
stats() {
  awk -F'\t' -v b="$1" -v col="$2" 'NR > 1 && $2 == b { print $col }' "$tsv" | sort -g | awk '
    function q(p,   h, lo) { h = (n - 1) * p; lo = int(h); return lo + 1 < n ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo] }
    { v[n++] = $1 }
    END { printf "%.4f %.4f %.4f %.4f %.4f %d\n", v[0], q(.25), q(.5), q(.75), v[n - 1], n }'
}

# table TITLE C_COLUMN FFM_COLUMN RATIO_COLUMN
table() {
  echo "$1"
  printf '%-6s %6s %10s %10s %8s %8s %8s %8s %8s\n' batch pairs "C" "${ratio_name%/C}" min q1 median q3 max
  for b in $batch_list; do
    read -r _ _ c_med _ _ _ < <(stats "$b" "$2")
    read -r _ _ j_med _ _ _ < <(stats "$b" "$3")
    read -r r_min r_q1 r_med r_q3 r_max n < <(stats "$b" "$4")
    printf '%-6s %6d %10.2f %10.2f %8.3f %8.3f %8.3f %8.3f %8.3f\n' "$b" "$n" "$c_med" "$j_med" \
      "$r_min" "$r_q1" "$r_med" "$r_q3" "$r_max"
  done
}

# summary LABEL RATIO_COLUMN
summary() {
  for b in $batch_list; do
    read -r r_min r_q1 r_med r_q3 r_max n < <(stats "$b" "$2")
    printf 'batch %s: %s%s median %.2f (min %.2f, q1 %.2f, q3 %.2f, max %.2f) over %d pairs\n' \
      "$b" "$ratio_name" "$1" "$r_med" "$r_min" "$r_q1" "$r_q3" "$r_max" "$n"
  done
}

summarise() {
  if [ -n "$guest" ]; then
    echo "$pairs pairs of ${round_seconds} s rounds per batch size on a guest of $guest ($(sed -n 's/^guest [^ ]*: //p' \
      "$work/j.err" | head -1)), $side_c then $side_java; ns per NOP are medians, $ratio_name is per pair"
    table "wall-clock time:" 3 4 5
    summary "" 5
  else
    echo "$pairs pairs of ${round_seconds} s rounds per batch size, $side_c then $side_java, both on CPU $cpu; ns" \
      "per NOP are medians, $ratio_name is per pair"
    table "wall-clock time:" 3 4 5
    table "on-CPU time of the measuring thread (leaves out time it spent preempted by other work):" 6 7 8
    summary "" 5
    summary " on-CPU" 8
  fi
  awk -F'\t' -v w="$warmup_jit" -v p="$warmup_passes" 'NR > 1 { n++; jit += $9; gcs += $10; if ($9 > 0) d++ } END {
      printf "warm-up: %d passes, JIT %d ms; measured Java rounds: JIT %d ms in %d of %d rounds, %d collections\n",
        p, w, jit, d, n, gcs }' "$tsv"
}
summarise | tee "$out/summary$suffix.txt"
