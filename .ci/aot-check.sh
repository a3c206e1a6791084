#!/bin/sh
# The JVM's AOT cache of ./ringspec (.mvn/aot-cache.sh), as a user meets it: a hosted program that prints known
# lines on standard output and standard error and exits 3 must print exactly the same bytes and exit the same with
# no cache (RINGSPEC_AOT=0), while the first runs make one (two at once: one makes it, the other runs without), with
# the cache it made, with a stale cache (made with other JVM options, which the JVM refuses), with a corrupt one
# (truncated, garbage), with an unwritable cache directory, and after a Ctrl-C during the making (which must leave no
# file behind but the lock). Also: the cached JVM's command line names the cache. Run after `./mvnw package` (or
# verify); about a minute. Skips (exit 0, saying so) where the hosted program cannot run: no seccomp user
# notification, or not x86-64. Exits non-zero, saying why, on a difference.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/.mvn/find-jdk.sh"
jar=$root/conformance/target/ringspec.jar
[ -f "$jar" ] || { echo "aot-check: $jar is missing: run ./mvnw -DskipTests package first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/known.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    unsigned char params[120];
    memset(params, 0, sizeof params);
    long fd = syscall(425 /* io_uring_setup */, 4, params);
    printf("out: the ring %s\n", fd >= 0 ? "was set up" : "was refused");
    fprintf(stderr, "err: a line of the program's own\n");
    return 3;
}
C
cc -O2 -o "$tmp/known" "$tmp/known.c"
# as a terminal starts a command: SIGINT not ignored (as it is for `&` in a script), a process group of its own
cat > "$tmp/foreground.c" <<'C'
#include <signal.h>
#include <unistd.h>
int main(int argc, char **argv) {
    signal(SIGINT, SIG_DFL);
    setsid();
    if (argc > 1) {
        execvp(argv[1], argv + 1);
    }
    return 127;
}
C
cc -O2 -o "$tmp/foreground" "$tmp/foreground.c"
fail() { echo "aot-check: $*" >&2; exit 1; }
# run NAME XDG [ENV...]: ringspec host -- known with XDG_CACHE_HOME=XDG; its stdout, stderr and status in NAME.*
run() {
  name=$1 xdg=$2
  shift 2
  set +e
  env XDG_CACHE_HOME="$xdg" "$@" "$root/ringspec" host --profile 6.18 --out "$tmp/out" -- "$tmp/known" \
    > "$tmp/$name.out" 2> "$tmp/$name.err" < /dev/null
  echo $? > "$tmp/$name.status"
  set -e
}
# same NAME: NAME's output and status are the run without a cache's, byte for byte
same() {
  for s in out err status; do
    cmp -s "$tmp/base.$s" "$tmp/$1.$s" || { diff "$tmp/base.$s" "$tmp/$1.$s" >&2 || true; fail "$1: its $s differs"; }
  done
  echo "aot-check: $1: the same bytes as without a cache"
}
# left DIR: the files of DIR's cache directory but the cache and its lock
left() { ls -A "$1/ringspec/aot" 2>/dev/null | grep -v -e '\.aot$' -e '\.aot\.lock$' || true; }

run base "$tmp/none" RINGSPEC_AOT=0
case "$(cat "$tmp/base.status")" in
  3) ;;
  77) echo "aot-check: hosting cannot run here: $(cat "$tmp/base.err")"; exit 0 ;;
  *) cat "$tmp/base.err" >&2; fail "the program under ringspec host exited $(cat "$tmp/base.status"), not 3" ;;
esac
grep -q "^out: the ring was set up$" "$tmp/base.out" || fail "the hosted ring was not set up: $(cat "$tmp/base.out")"

# Ctrl-C while the first run makes the cache: the terminal's SIGINT reaches the whole process group
XDG_CACHE_HOME="$tmp/x" "$tmp/foreground" "$root/ringspec" host --out "$tmp/out" -- "$tmp/known" >/dev/null 2>&1 &
i=0
while [ -z "$(ls "$tmp/x/ringspec/aot/"*.log 2>/dev/null)" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ $i -lt 600 ] || fail "no making of the cache began"
sleep 1
kill -INT "-$!" 2>/dev/null || true
wait || true
# the making's own cleanup runs once its JVM has ended
i=0
while [ -n "$(left "$tmp/x")" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ -z "$(left "$tmp/x")" ] || fail "a Ctrl-C during the making left $(left "$tmp/x")"
[ -z "$(ls "$tmp/x/ringspec/aot/"*.aot 2>/dev/null)" ] || fail "a Ctrl-C during the making left a cache"
echo "aot-check: a Ctrl-C during the making left no file but the lock"

# two first runs at once: one makes the cache, the other runs without it meanwhile
run first-a "$tmp/x" &
a=$!
sleep 0.5
run first-b "$tmp/x"
wait $a
same first-a
same first-b
cache=$(ls "$tmp/x/ringspec/aot/"*.aot)
[ "$(echo "$cache" | wc -l)" -eq 1 ] || fail "not one cache: $cache"
[ -z "$(left "$tmp/x")" ] || fail "the making left $(left "$tmp/x")"
run good "$tmp/x"
same good
XDG_CACHE_HOME="$tmp/x" "$root/ringspec" host --out "$tmp/out" -- /bin/sh -c 'tr "\0" " " < /proc/$PPID/cmdline' \
  2>/dev/null | grep -q -e "-XX:AOTCache=$cache " || fail "the JVM hosting a program did not use the cache"

# a cache the JVM refuses (made without --enable-native-access), a truncated one, garbage
cp "$cache" "$tmp/good.aot"
"$JAVA_HOME/bin/java" -XX:AOTMode=record -XX:AOTConfiguration="$tmp/stale.conf" -Xlog:disable -jar "$jar" --version \
  >/dev/null 2>&1
"$JAVA_HOME/bin/java" -XX:AOTMode=create -XX:AOTConfiguration="$tmp/stale.conf" -XX:AOTCache="$cache" -Xlog:disable \
  -jar "$jar" >/dev/null 2>&1
run stale "$tmp/x"
same stale
head -c 4096 "$tmp/good.aot" > "$cache"
run truncated "$tmp/x"
same truncated
head -c 1000000 /dev/urandom > "$cache"
run garbage "$tmp/x"
same garbage

# a cache directory that cannot be made (under a file)
: > "$tmp/file"
run unwritable "$tmp/file/cache"
same unwritable
echo "aot-check: ok"
