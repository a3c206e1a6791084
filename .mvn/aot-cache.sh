# shellcheck shell=sh
# The JVM's AOT cache for ./ringspec (JDK 25's -XX:AOTCache: JEPs 483, 514 and 515). Sourced by ./ringspec, which
# calls ringspec_aot_cache; run by it, under flock, as `sh .mvn/aot-cache.sh --ringspec-aot-make CACHE JAR TRAINING`.
#
# The cache holds the classes and method profiles of one hosted training run (host/src/main/c/ringspec-aot-training.c:
# NOPs in batches of 1, 32 and 256, WRITE and READ, TIMEOUT, multishot POLL_ADD), so that a fresh JVM serves a hosted
# program as a warm one does and starts sooner. It lives in ${XDG_CACHE_HOME:-~/.cache}/ringspec/aot/, one file per
# jar path, named after that path and a checksum of the jar's bytes and the JDK's identity: a rebuilt jar or another
# JDK never meets an old cache (JDK 25 does not check that the jar is the one the cache was made from: it loads the
# cached classes of a changed jar). The first `host` or `check` that finds none makes it (about 10 s, before the
# program starts; a line says so where standard error is a terminal), one process at a time (another runs without it
# meanwhile), under a temporary name then renamed: a Ctrl-C, a full disk or an unwritable directory leave no cache,
# never a broken one, and the run goes on without one. A making that fails is remembered in CACHE.failed (its
# output) and not tried again. RINGSPEC_AOT=0 runs without the cache; deleting the directory clears it.

# Sets aot to the cache for $jar and $JAVA_HOME where there is one, making it first when $1 is "make".
ringspec_aot_cache() {
  aot=
  [ "${RINGSPEC_AOT-1}" != 0 ] || return 0
  case "${XDG_CACHE_HOME-}" in
    /*) aot_dir=$XDG_CACHE_HOME/ringspec/aot ;;
    *) aot_dir=${HOME:-/nonexistent}/.cache/ringspec/aot ;;
  esac
  aot_jar_key=$(printf '%s' "$jar" | cksum | cut -d' ' -f1)
  aot_id_key=$( { echo "aot 1"; cksum < "$jar"; echo "$JAVA_HOME"; cat "$JAVA_HOME/release"
    stat -L -c '%s %Y %i' "$JAVA_HOME/lib/server/libjvm.so"; } 2>/dev/null | cksum | cut -d' ' -f1)
  aot_file=$aot_dir/$aot_jar_key-$aot_id_key.aot
  if [ ! -f "$aot_file" ] && [ "$1" = make ]; then
    aot_training=$root/host/target/classes/dev/ringspec/host/ringspec-aot-training
    if [ -x "$aot_training" ] && [ ! -e "$aot_file.failed" ] && command -v flock >/dev/null 2>&1 \
        && mkdir -p "$aot_dir" 2>/dev/null && touch "$aot_file.lock" 2>/dev/null; then
      # -n: where another process is making it, this one runs without it
      flock -n "$aot_file.lock" sh "$root/.mvn/aot-cache.sh" --ringspec-aot-make "$aot_file" "$jar" "$aot_training" \
        3>&2 2>/dev/null || true
    fi
  fi
  if [ -f "$aot_file" ]; then
    aot=$aot_file
  fi
  return 0
}

if [ "${1-}" = --ringspec-aot-make ] && [ $# -eq 4 ]; then
  cache=$2
  jar=$3
  training=$4
  [ ! -f "$cache" ] || exit 0 # made meanwhile
  tmp=$cache.$$
  trap 'rm -rf "$tmp.conf" "$tmp.aot" "$tmp.out" "$tmp.log"; exit 130' INT TERM HUP
  if [ -t 3 ]; then
    echo "ringspec: making the JVM's AOT cache for this jar and JDK, once (about 10 s; RINGSPEC_AOT=0 skips it)" >&3
  fi
  java=$JAVA_HOME/bin/java
  native=--enable-native-access=ALL-UNNAMED
  if "$java" "$native" -XX:AOTMode=record -XX:AOTConfiguration="$tmp.conf" -Xlog:disable -jar "$jar" \
        host --out "$tmp.out" -- "$training" </dev/null >"$tmp.log" 2>&1 \
      && "$java" "$native" -XX:AOTMode=create -XX:AOTConfiguration="$tmp.conf" -XX:AOTCache="$tmp.aot" \
        -Xlog:disable -jar "$jar" </dev/null >>"$tmp.log" 2>&1 \
      && mv -f "$tmp.aot" "$cache"; then
    # the caches of this jar path's earlier builds (only names this script makes: JARKEY-IDKEY.aot and its .lock and
    # .failed, so that a cache path given by hand never takes other files with it)
    case "${cache##*/}" in
      [0-9]*-[0-9]*.aot)
        for old in "${cache%-*}"-[0-9]*.aot "${cache%-*}"-[0-9]*.aot.lock "${cache%-*}"-[0-9]*.aot.failed; do
          case "$old" in
            "$cache" | "$cache".*) ;;
            *) [ ! -f "$old" ] || rm -f "$old" ;;
          esac
        done ;;
    esac
  else
    mv -f "$tmp.log" "$cache.failed" 2>/dev/null || true
  fi
  rm -rf "$tmp.conf" "$tmp.aot" "$tmp.out" "$tmp.log"
  exit 0
fi
