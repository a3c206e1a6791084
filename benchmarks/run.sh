#!/usr/bin/env bash
# NOP throughput through the FFM runner (JMH) beside our C program doing the same with raw syscalls, in one go.
# Prints ns per NOP for both at batch sizes 1, 32 and 128, and the ratio FFM / C. Results land in benchmarks/out/.
#   benchmarks/run.sh            (takes about two minutes)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$root/.mvn/find-jdk.sh"
out="$here/out"
mkdir -p "$out"

(cd "$root" && ./mvnw -q -DskipTests -pl benchmarks -am install)
cc -O2 -Wall -o "$out/nop_bench" "$here/src/main/c/nop_bench.c"

batches="1 32 128"
rounds=${ROUNDS:-10}
# Both sides on the same CPU: on a small virtual machine the scheduler moving threads is most of the noise.
pin=""
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -gt 1 ]; then
  pin="taskset -c $(($(nproc) - 1))"
fi
# C and Java take turns per batch size, so a disturbance of this (virtual) machine hits both alike.
for b in $batches; do
  $pin "$out/nop_bench" "$b" "$rounds" 1000 > "$out/c-$b.txt"
  $pin "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$here/target/benchmarks.jar" \
    NopThroughputBenchmark -p batch="$b" -wi 3 -i "$rounds" -rf json -rff "$out/jmh-$b.json" > "$out/jmh-$b.log" 2>&1
done

echo "ns per NOP over $rounds one-second rounds each (C: raw syscalls; FFM: the runner under JMH)"
printf '%-6s %10s %10s %10s %10s %12s %10s\n' batch "C median" "FFM median" "C min" "FFM min" "FFM/C median" "FFM/C min"
for b in $batches; do
  python3 - "$out/c-$b.txt" "$out/jmh-$b.json" "$b" <<'PY'
import json, statistics, sys
c = [float(line.split("=")[2]) for line in open(sys.argv[1]) if "ns_per_nop" in line]
runs = json.load(open(sys.argv[2]))
# A JMH operation is one batch: divide by the batch size for ns per NOP.
j = [x / int(sys.argv[3]) for r in runs for fork in r["primaryMetric"]["rawData"] for x in fork]
cm, jm = statistics.median(c), statistics.median(j)
print("%-6s %10.2f %10.2f %10.2f %10.2f %12.3f %10.3f" % (sys.argv[3], cm, jm, min(c), min(j), jm / cm, min(j) / min(c)))
PY
done
