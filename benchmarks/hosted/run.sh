#!/usr/bin/env bash
# The hosted NOP cost in one run: host/src/test/c/nop-cost.c natively, under the minimal C supervisor here
# (nop-supervisor.c), and under `ringspec host` of one or more trees, interleaved round by round, so that the load of
# the moment lands on every side alike. A yardstick outside CI's default run and outside the product.
#
# Each round runs, in this order: native; C (two syscalls per call: RECV, SEND); C with SYNC_WAKE_UP; C with
# SYNC_WAKE_UP and a kcmp per enter (the JVM supervisor's three before it checked only after a close or the like:
# RECV, kcmp, SEND); then each tree's `ringspec host` (SYNC_WAKE_UP, its default). nop-cost runs batches of 1, 32
# and 256 NOPs in one process (NOPS/batch enters each, at least 200), as the issue measures it: in a fresh JVM,
# whose JIT is still at work when the batch grows (390 calls at batch 256 for 100,000 NOPs). With --passes K it runs
# the three batch sizes K times over in one process and the last pass is reported: the JVM's cost once the JIT has
# met every batch size. The machine's 1-minute load is noted before each run.
#
# A tree that has the host server (`ringspec host --serve`) is measured served too, as LABEL-served: one server per
# tree, started before the first round (warmed up by its training runs) and stopped at the end, each round's nop-cost
# run through the client (RINGSPEC_HOST_SERVER), so that the program meets a warm JVM.
#
# Output: one line per run, then per side the range and median of each column and the median over rounds of its
# ratio to the same round's native run (per call at batch 1 also to the same round's C with SYNC_WAKE_UP). Rows go
# to OUT/rows.tsv. Exit status: 0 done, 1 a run failed (its output shown), 2 usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
usage() {
  cat <<'EOF'
usage: benchmarks/hosted/run.sh [--rounds N] [--nops N] [--passes K] [--out DIR] [--no-build] [LABEL=TREE ...]

  --rounds N    rounds (default 3)
  --nops N      NOPs per batch size (nop-cost's argument, default 100000)
  --passes K    batch sizes 1, 32, 256 run K times over in each process, the last pass reported (default 1)
  --out DIR     where the C programs are built and rows.tsv goes (default benchmarks/out/hosted)
  --no-build    use the C programs in DIR as they are
  LABEL=TREE    a ringspec work tree whose `ringspec host` is measured, under LABEL (default: jvm=this tree), and
                through its host server as LABEL-served where the tree has one
  --no-served   no served sides
EOF
}
rounds=3
nops=100000
passes=1
out="$root/benchmarks/out/hosted"
build=yes
served=yes
trees=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?}; shift 2 ;;
    --nops) nops=${2:?}; shift 2 ;;
    --passes) passes=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --no-build) build=no; shift ;;
    --no-served) served=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *=*) trees+=("$1"); shift ;;
    *) usage >&2; exit 2 ;;
  esac
done
[ ${#trees[@]} -gt 0 ] || trees=("jvm=$root")
mkdir -p "$out"
if [ "$build" = yes ]; then
  cc -O2 -Wall -Wextra -Werror -o "$out/nop-supervisor" "$here/nop-supervisor.c"
  cc -O2 -Wall -o "$out/ringspec-launcher" "$root/host/src/main/c/ringspec-launcher.c"
  cc -O2 -Wall -o "$out/nop-cost" "$root/host/src/test/c/nop-cost.c"
fi

# run LABEL COMMAND...: one row "label round load b1-us b32-ns b256-ns" into rows.tsv and on stdout
run() {
  local label=$1 load text
  shift
  load=$(cut -d' ' -f1 /proc/loadavg)
  if ! text=$("$@" 2>&1); then
    printf '%s failed:\n%s\n' "$label" "$text" >&2
    exit 1
  fi
  # a batch size met again overwrites its figures: the last pass is reported
  printf '%s\n' "$text" | awk -v l="$label" -v r="$round" -v load="$load" '
    /^batch/ { gsub(",", ""); b = $2 + 0; perNop[b] = $3; perCall[b] = $5 }
    END { printf "%s\t%d\t%s\t%s\t%s\t%s\n", l, r, load, perCall[1], perNop[32], perNop[256] }' \
    | tee -a "$out/rows.tsv" \
    | awk -F'\t' '{ printf "%-12s r%d load %-5s  b1 %7s us/call  b32 %8s ns/NOP  b256 %7s ns/NOP\n", $1, $2, $3, $4, $5, $6 }'
}

: > "$out/rows.tsv"
sup="$out/nop-supervisor"
launcher="$out/ringspec-launcher"
batches=()
for _ in $(seq 1 "$passes"); do batches+=(1 32 256); done
cost=("$out/nop-cost" "$nops" "${batches[@]}")
# the host servers: one per tree that has one, ready (warmed up) before the first round
servers=()
declare -A socket_of=()
stop_servers() {
  local pid
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_servers EXIT
if [ "$served" = yes ]; then
  for spec in "${trees[@]}"; do
    label=${spec%%=*} tree=${spec#*=}
    [ -f "$tree/host/src/main/c/ringspec-host-client.c" ] || continue
    socket_of[$label]="$out/$label.sock"
    "$tree/ringspec" host --serve "${socket_of[$label]}" --out "$out/$label-reports" 2>"$out/$label-server.log" &
    servers+=($!)
    for _ in $(seq 1 600); do
      grep -q "serving" "$out/$label-server.log" && break
      kill -0 "${servers[-1]}" 2>/dev/null || { cat "$out/$label-server.log" >&2; exit 1; }
      sleep 0.1
    done
    grep "warmed" "$out/$label-server.log" >&2 || true
  done
fi

for round in $(seq 1 "$rounds"); do
  run native "${cost[@]}"
  run c "$sup" "$launcher" "${cost[@]}"
  run c-sync "$sup" --sync-wake-up "$launcher" "${cost[@]}"
  run c-sync-kcmp "$sup" --sync-wake-up --kcmp "$launcher" "${cost[@]}"
  for spec in "${trees[@]}"; do
    run "${spec%%=*}" "${spec#*=}/ringspec" host -- "${cost[@]}"
    if [ -n "${socket_of[${spec%%=*}]-}" ]; then
      RINGSPEC_HOST_SERVER=${socket_of[${spec%%=*}]} run "${spec%%=*}-served" "${spec#*=}/ringspec" host -- "${cost[@]}"
    fi
  done
done

echo
awk -F'\t' -f "$here/stats.awk" -f <(cat <<'EOF'
  { rows[NR] = $0; if (!($1 in seen)) { seen[$1] = 1; order[++labels] = $1 }
    if ($1 == "native") { n1[$2] = $4; n32[$2] = $5; n256[$2] = $6 }
    if ($1 == "c-sync") { c1[$2] = $4 } }
  END {
    for (i = 1; i <= NR; i++) {
      split(rows[i], f, "\t"); l = f[1]
      v1[l] = v1[l] " " f[4]; v32[l] = v32[l] " " f[5]; v256[l] = v256[l] " " f[6]; load[l] = load[l] " " f[3]
      r32[l] = r32[l] " " f[5] / n32[f[2]]; r256[l] = r256[l] " " f[6] / n256[f[2]]
      rc[l] = rc[l] " " f[4] / c1[f[2]]
    }
    printf "%-12s %-11s | %-22s %-9s | %-21s %-7s | %-19s %-7s\n", "side", "load", "us/call b1 (median)", "/c-sync",
      "ns/NOP b32 (median)", "/native", "ns/NOP b256 (median)", "/native"
    for (k = 1; k <= labels; k++) {
      l = order[k]
      printf "%-12s %-11s | %-13s (%6.2f) %7.2fx | %-13s (%6.1f) %6.2fx | %-11s (%6.1f) %6.2fx\n", l, range(load[l]),
        range(v1[l]), median(v1[l]), median(rc[l]), range(v32[l]), median(v32[l]), median(r32[l]),
        range(v256[l]), median(v256[l]), median(r256[l])
    }
  }
EOF
) "$out/rows.tsv"
