#!/usr/bin/env bash
# The CPU time one intercepted call costs the supervisor, rather than the wall time: what a busy machine spoils least
# (other processes add waiting, which is not counted, more than they add CPU time). nop-cost runs CALLS single-NOP
# enters under nop-supervisor.c (SYNC_WAKE_UP) and through each tree's host server (`ringspec host --serve`, warmed by
# two runs of CALLS first), in interleaved rounds; the supervising thread's and the program's on-CPU time and
# run-queue wait are read from /proc/.../schedstat (the scheduler's own nanoseconds) as the run starts and every
# 5 ms until it ends, and divided by CALLS. The server's supervising thread is its receiving thread for the program
# (ringspec-host-N, one per program); the C supervisor is one thread.
#
# Output: per run "LABEL load L wall W us/call  supervisor S ns/call (run-queue Q)  program P ns/call", then per side
# the median supervisor CPU per call and its median ratio to the same round's C. Exit status: 0 done, 1 a run
# failed, 2 usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
usage() {
  cat <<'EOF'
usage: benchmarks/hosted/cpu-per-call.sh [--rounds N] [--calls N] [--out DIR] [LABEL=TREE ...]

  --rounds N    rounds (default 3)
  --calls N     single-NOP enters per run (default 1000000)
  --out DIR     where the C programs are built (default benchmarks/out/hosted)
  LABEL=TREE    a ringspec work tree whose host server is measured (default: this tree, as jvm)
EOF
}
rounds=3
calls=1000000
out="$root/benchmarks/out/hosted"
trees=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?}; shift 2 ;;
    --calls) calls=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *=*) trees+=("$1"); shift ;;
    *) usage >&2; exit 2 ;;
  esac
done
[ ${#trees[@]} -gt 0 ] || trees=("jvm=$root")
mkdir -p "$out"
cc -O2 -Wall -Wextra -Werror -o "$out/nop-supervisor" "$here/nop-supervisor.c"
cc -O2 -Wall -o "$out/ringspec-launcher" "$root/host/src/main/c/ringspec-launcher.c"
cc -O2 -Wall -o "$out/nop-cost" "$root/host/src/test/c/nop-cost.c"

servers=()
declare -A socket_of=() pid_of=()
stop_servers() {
  local pid
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_servers EXIT
for spec in "${trees[@]}"; do
  label=${spec%%=*} tree=${spec#*=}
  socket_of[$label]="$out/$label-cpu.sock"
  "$tree/ringspec" host --serve "${socket_of[$label]}" --out "$out/$label-reports" 2>"$out/$label-cpu-server.log" &
  pid_of[$label]=$!
  servers+=($!)
  for _ in $(seq 1 600); do
    grep -q "serving" "$out/$label-cpu-server.log" && break
    kill -0 "${pid_of[$label]}" 2>/dev/null || { cat "$out/$label-cpu-server.log" >&2; exit 1; }
    sleep 0.1
  done
  for _ in 1 2; do
    RINGSPEC_HOST_SERVER=${socket_of[$label]} "$tree/ringspec" host -- "$out/nop-cost" "$calls" 1 >/dev/null 2>&1
  done
done

# first PATTERN...: the first that names an existing /proc task, waiting up to 2 s
wait_for() {
  local found
  for _ in $(seq 1 400); do
    found=$("$@" 2>/dev/null | head -n 1) && [ -n "$found" ] && { echo "$found"; return 0; }
    sleep 0.005
  done
  return 1
}
# receiving_threads PID: the server's receiving threads (ringspec-host-N), by thread number
receiving_threads() {
  local t c
  for t in /proc/"$1"/task/*; do
    read -r c < "$t/comm" 2>/dev/null || continue
    [[ $c == ringspec-host-[0-9]* ]] && echo "${t##*/}"
  done | sort -n
}
# receiving_thread PID OLD...: the newest receiving thread of PID that is none of OLD (a program's own)
receiving_thread() {
  local pid=$1 t
  shift
  for t in $(receiving_threads "$pid" | sort -rn); do
    case " $* " in *" $t "*) ;; *) echo "/proc/$pid/task/$t"; return 0 ;; esac
  done
}
newest() { local p; p=$(pgrep -n -x "$1") && echo "/proc/$p"; }

# measure LABEL SUPERVISOR-TASK-FINDER... -- COMMAND...: one run, its line on stdout and its row in $rows
rows=$(mktemp)
measure() {
  local label=$1 load text sup prog s0 p0 s1 p1 s p
  shift
  local finder=()
  while [ "$1" != -- ]; do finder+=("$1"); shift; done
  shift
  load=$(cut -d' ' -f1 /proc/loadavg)
  "$@" >"$out/cpu-run.txt" 2>&1 &
  local run=$!
  prog=$(wait_for newest nop-cost) || { echo "$label: no program found" >&2; exit 1; }
  sup=$(wait_for "${finder[@]}") || { echo "$label: no supervising thread found" >&2; exit 1; }
  read -r s0 < "$sup/schedstat"; read -r p0 < "$prog/schedstat"
  while s=$(cat "$sup/schedstat" 2>/dev/null) && p=$(cat "$prog/schedstat" 2>/dev/null); do
    s1=$s; p1=$p; sleep 0.005
  done
  wait "$run" || { echo "$label failed:" >&2; cat "$out/cpu-run.txt" >&2; exit 1; }
  local row
  row=$(awk -v l="$label" -v load="$load" -v n="$calls" -v s0="$s0" -v s1="$s1" -v p0="$p0" -v p1="$p1" -v r="$round" '
    /^batch/ { wall = $5 }
    END { split(s0, a, " "); split(s1, b, " "); split(p0, c, " "); split(p1, d, " ")
          printf "%s\t%d\t%s\t%s\t%.0f\t%.0f\t%.0f\n", l, r, load, wall, (b[1] - a[1]) / n, (b[2] - a[2]) / n,
            (d[1] - c[1]) / n }' "$out/cpu-run.txt")
  printf '%s\n' "$row" | awk -F'\t' '{
    printf "%-10s r%d load %-5s wall %5s us/call  supervisor %5s ns/call (run-queue %5s)  program %5s ns/call%s\n",
      $1, $2, $3, $4, $5, $6, $7, ($5 > 0 ? "" : "  (the supervising thread was gone when found: left out)") }'
  # a thread found as it ended (a previous program's) counts nothing: left out of the medians
  printf '%s\n' "$row" | awk -F'\t' '$5 > 0' >> "$rows"
}

for round in $(seq 1 "$rounds"); do
  measure c newest nop-supervisor -- "$out/nop-supervisor" --sync-wake-up "$out/ringspec-launcher" "$out/nop-cost" \
    "$calls" 1
  for spec in "${trees[@]}"; do
    label=${spec%%=*} tree=${spec#*=}
    # shellcheck disable=SC2046 # the old threads' numbers, one word each
    RINGSPEC_HOST_SERVER=${socket_of[$label]} measure "$label" receiving_thread "${pid_of[$label]}" \
      $(receiving_threads "${pid_of[$label]}") -- \
      "$tree/ringspec" host -- "$out/nop-cost" "$calls" 1
  done
done

echo
awk -F'\t' -f "$here/stats.awk" -f <(cat <<'EOF'
  { rows[NR] = $0; if (!($1 in seen)) { seen[$1] = 1; order[++labels] = $1 }
    if ($1 == "c") c[$2] = $5 }
  END {
    for (i = 1; i <= NR; i++) {
      split(rows[i], f, "\t"); l = f[1]
      cpu[l] = cpu[l] " " f[5]; prog[l] = prog[l] " " f[7]; wall[l] = wall[l] " " f[4]; rc[l] = rc[l] " " f[5] / c[f[2]]
    }
    printf "%-10s | %-24s | %-10s | %-22s | %s\n", "side", "supervisor ns/call median", "/c", "program ns/call median",
      "wall us/call median"
    for (k = 1; k <= labels; k++) {
      l = order[k]
      printf "%-10s | %24.0f | %9.2fx | %22.0f | %.2f\n", l, median(cpu[l]), median(rc[l]), median(prog[l]),
        median(wall[l])
    }
  }
EOF
) "$rows"
rm -f "$rows"
