#!/usr/bin/env bash
# The model's NOP cost against an older model's, side by side in one run: short alternating rounds on one pinned CPU,
# reported per benchmark and batch size as new/old, the median of the pair ratios with their spread.
#
# How (default, --cpu-time). Each run is one JVM running ModelNopCpuTime (this module): one round kind of
# NopLoop (nops: write the SQEs, enter, read the CQEs; nopsPrepared: the model's own cost over SQEs written once)
# at one batch size on profile 6.18, a warm-up, then samples of 2,000,000 NOPs timed by the thread's own on-CPU
# time; it prints the min and the median ns/NOP. The same harness class runs over both models (it touches only the
# API the model had before the split), so only the model differs: the old side's class path starts with the old
# spec-model jar, the new side's with this tree's. A pair is one old run and one new run of the same kind and batch,
# back to back, the order swapped every round so a drift of the machine lands on both sides. On-CPU time leaves out
# the time a side spent preempted, so it is the steadier measure on a machine shared with other work.
#
# --jmh: instead, alternate whole JMH runs of ModelNopBenchmark (nops, nopsPrepared at the batch sizes) from the old
# jar and from this tree's benchmarks jar, each with -f 1 -wi 5 -i 5 -w 1s -r 1s; a pair is one old and one new
# score of the same benchmark and batch from the same round. JMH times wall-clock, so it needs a quiet machine.
#
# Exit status: 0 done, 1 a run failed (its output is shown), 2 usage.
# Results: benchmarks/out/compare-model-runs.tsv (every run) and benchmarks/out/compare-model-summary.txt.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: benchmarks/compare-model.sh OLD_JAR [--rounds N] [--batches LIST] [--benchmarks LIST] [--cpu N]
                                   [--samples N] [--jmh] [--no-build]

  OLD_JAR          the old model: a benchmarks.jar with its lib/ directory beside it, as Maven packages this module
                   (lib/spec-model-*.jar is the old model), or a spec-model jar itself
  --rounds N       pairs per benchmark and batch size (default 8; with --jmh, JMH runs per side, default 3)
  --batches LIST   comma-separated batch sizes, each 1 to 128 (default 32,128)
  --benchmarks L   nops, nopsPrepared or both (default nops,nopsPrepared)
  --cpu N          the CPU every run is pinned to (default: the last one)
  --samples N      timed samples per run, after 5 warm-up samples (default 15; not with --jmh)
  --jmh            alternate JMH runs of ModelNopBenchmark instead of the on-CPU-time harness
  --no-build       use benchmarks/target as it is (default: build it with ./mvnw -o -q package -pl benchmarks -am)
  -h, --help       this text

An old jar: check out the commit before the model split (c43a4e6, or any other) in a work tree of its own and run
./mvnw -o -q package -pl benchmarks -am -DskipTests there; pass its benchmarks/target/benchmarks.jar.
With the defaults it takes about five minutes. Prints every pair, then one line per benchmark and batch size:
  nopsPrepared batch 128: new/old median 1.01 (min .., max ..) over 8 pairs; median ns/NOP old .. new ..
where the ratio is taken per pair from the runs' median ns/NOP (lower is better for new).
EOF
}

fail_usage() {
  echo "compare-model.sh: $1" >&2
  usage >&2
  exit 2
}

[ $# -ge 1 ] || fail_usage "the old jar is missing"
case "$1" in -h|--help) usage; exit 0 ;; esac
old_jar=$1
shift
rounds=""
batches="32,128"
benchmarks="nops,nopsPrepared"
cpu=""
samples=15
mode=cpu
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --rounds|--batches|--benchmarks|--cpu|--samples)
      [ $# -ge 2 ] || fail_usage "$1 needs a value"
      case "$1" in
        --rounds) rounds=$2 ;;
        --batches) batches=$2 ;;
        --benchmarks) benchmarks=$2 ;;
        --cpu) cpu=$2 ;;
        --samples) samples=$2 ;;
      esac
      shift 2 ;;
    --jmh) mode=jmh; shift ;;
    --cpu-time) mode=cpu; shift ;;
    --no-build) build=0; shift ;;
    *) fail_usage "unknown option $1" ;;
  esac
done
[ -n "$rounds" ] || { [ $mode = jmh ] && rounds=3 || rounds=8; }
[[ "$rounds" =~ ^[1-9][0-9]{0,2}$ ]] || fail_usage "--rounds must be a whole number from 1 to 999, not '$rounds'"
[[ "$samples" =~ ^[1-9][0-9]{0,2}$ ]] || fail_usage "--samples must be a whole number from 1 to 999, not '$samples'"
[[ "$batches" =~ ^[0-9]+(,[0-9]+)*$ ]] || fail_usage "--batches must be comma-separated numbers, not '$batches'"
for b in ${batches//,/ }; do
  [ "$b" -ge 1 ] && [ "$b" -le 128 ] || fail_usage "batch size $b is outside 1..128"
done
for m in ${benchmarks//,/ }; do
  case "$m" in nops|nopsPrepared) ;; *) fail_usage "unknown benchmark '$m' (nops or nopsPrepared)" ;; esac
done
ncpu=$(nproc)
[ -n "$cpu" ] || cpu=$((ncpu - 1))
[[ "$cpu" =~ ^[0-9]+$ ]] && [ "$cpu" -lt "$ncpu" ] || fail_usage "--cpu must name one of this machine's $ncpu CPUs"
[ -f "$old_jar" ] || fail_usage "no such file: $old_jar"
command -v taskset >/dev/null || fail_usage "taskset (util-linux) is needed to pin the runs"

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
java=$java_home/bin/java
[ -x "$java" ] || java=java

# The old model: the jar itself if it holds the model, else lib/spec-model-*.jar beside it.
old_jar=$(cd "$(dirname "$old_jar")" && pwd)/$(basename "$old_jar")
if unzip -l "$old_jar" 2>/dev/null | grep -q 'dev/ringspec/model/ModelIoUring.class'; then
  old_model=$old_jar
else
  old_model=$(ls "$(dirname "$old_jar")"/lib/spec-model-*.jar 2>/dev/null | head -1 || true)
  [ -n "$old_model" ] || fail_usage "$old_jar holds no model and has no lib/spec-model-*.jar beside it"
fi

if [ $build = 1 ]; then
  echo "building this tree's benchmarks (./mvnw -o -q package -pl benchmarks -am -DskipTests)..."
  (cd "$root" && ./mvnw -o -q package -pl benchmarks -am -DskipTests)
fi
new_jar=$root/benchmarks/target/benchmarks.jar
new_model=$(ls "$root"/benchmarks/target/lib/spec-model-*.jar 2>/dev/null | head -1 || true)
harness=$root/benchmarks/target/classes
[ -f "$new_jar" ] && [ -n "$new_model" ] && [ -f "$harness/dev/ringspec/benchmarks/ModelNopCpuTime.class" ] \
  || { echo "compare-model.sh: benchmarks/target is not built (run without --no-build)" >&2; exit 1; }

out=$root/benchmarks/out
mkdir -p "$out"
runs=$out/compare-model-runs.tsv
summary=$out/compare-model-summary.txt
echo -e "round\tside\tbenchmark\tbatch\tmin_ns\tmedian_ns\talloc_bytes_per_nop" > "$runs"
echo "old model: $old_model"
echo "new model: $new_model"
echo "mode: $mode, CPU $cpu, $rounds rounds, batches $batches, benchmarks $benchmarks, load $(cut -d' ' -f1-3 /proc/loadavg)"

# One on-CPU-time run; prints "min median alloc".
cpu_run() { # side benchmark batch
  local model=$old_model
  [ "$1" = new ] && model=$new_model
  local o
  if ! o=$(taskset -c "$cpu" "$java" --enable-native-access=ALL-UNNAMED -cp "$model:$harness" \
      dev.ringspec.benchmarks.ModelNopCpuTime "$2" "$3" "$samples" 5 2>&1); then
    echo "compare-model.sh: the $1 run of $2 batch $3 failed:" >&2
    echo "$o" >&2
    exit 1
  fi
  echo "$o" | awk '/^min / {print $2, $4, $6}'
}

# One JMH run of one side; appends "benchmark batch score" lines to $2.
jmh_run() { # side file
  local jar=$old_jar
  [ "$1" = new ] && jar=$new_jar
  local csv
  csv=$(mktemp)
  if ! taskset -c "$cpu" "$java" -jar "$jar" ModelNopBenchmark -f 1 -wi 5 -i 5 -w 1s -r 1s \
      -p batch="$batches" -rf csv -rff "$csv" > "$csv.log" 2>&1; then
    echo "compare-model.sh: the $1 JMH run failed:" >&2
    tail -30 "$csv.log" >&2
    exit 1
  fi
  # "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit","Param: batch"
  awk -F, 'NR > 1 { gsub(/"/, ""); n = split($1, p, "."); print p[n], $8, $5 / $8 }' "$csv" >> "$2"
  rm -f "$csv" "$csv.log"
}

for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order="old new"; else order="new old"; fi
  if [ $mode = jmh ]; then
    for side in $order; do
      f=$(mktemp)
      jmh_run "$side" "$f"
      while read -r m b ns; do
        case ",$benchmarks," in *",$m,"*) ;; *) continue ;; esac
        echo -e "$r\t$side\t$m\t$b\t$ns\t$ns\t" >> "$runs"
      done < "$f"
      rm -f "$f"
    done
    echo "round $r done ($(cut -d' ' -f1 /proc/loadavg) load)"
  else
    for m in ${benchmarks//,/ }; do
      for b in ${batches//,/ }; do
        line="round $r $m batch $b:"
        for side in $order; do
          read -r mn md al < <(cpu_run "$side" "$m" "$b")
          echo -e "$r\t$side\t$m\t$b\t$mn\t$md\t$al" >> "$runs"
          line="$line $side median $md (min $mn)"
        done
        echo "$line"
      done
    done
  fi
done

# Pair ratios new/old per benchmark, batch and round, from the median ns/NOP; their median, min and max.
awk -F'\t' '
  function sortn(a, n,    i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
  function median(a, n) { return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  NR == 1 { next }
  { key = $3 " batch " $4; v[key, $1, $2] = $6; keys[key] = 1; rounds[$1] = 1
    if ($2 == "new" && $7 != "") alloc[key] = $7 }
  END {
    for (k in keys) {
      n = 0; no = 0; nn = 0
      for (r in rounds) {
        if ((k, r, "old") in v && (k, r, "new") in v) ratio[++n] = v[k, r, "new"] / v[k, r, "old"]
        if ((k, r, "old") in v) olds[++no] = v[k, r, "old"]
        if ((k, r, "new") in v) news[++nn] = v[k, r, "new"]
      }
      sortn(ratio, n); sortn(olds, no); sortn(news, nn)
      printf "%s: new/old median %.3f (min %.3f, max %.3f) over %d pairs; median ns/NOP old %.2f new %.2f%s\n",
        k, median(ratio, n), ratio[1], ratio[n], n, median(olds, no), median(news, nn),
        (k in alloc) ? sprintf("; new allocates %s B/NOP", alloc[k]) : ""
      split("", ratio); split("", olds); split("", news)
    }
  }' "$runs" | sort > "$summary"
echo
echo "($mode; lower is better for new; runs in $runs)"
cat "$summary"
