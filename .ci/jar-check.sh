#!/bin/sh
# The runnable jar, as a CI owner uses it: conformance/target/ringspec.jar copied alone into an empty temporary
# directory and run there by a JDK 25's java with an empty environment (no source tree, no Maven, no lib/, no
# --enable-native-access flag): --help, caps --json, and a short check with --out. Run after `./mvnw package` (or
# verify). Prints the jar's size and the check's wall time; exits non-zero, saying why, when one of them fails.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/.mvn/find-jdk.sh"
jar="$root/conformance/target/ringspec.jar"
[ -f "$jar" ] || { echo "jar-check: $jar is missing: run ./mvnw -DskipTests package first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/home" "$tmp/run"
cp "$jar" "$tmp/run/ringspec.jar"
cd "$tmp/run"
java="$JAVA_HOME/bin/java"
bare() { env -i HOME="$tmp/home" PATH=/usr/bin:/bin "$java" -jar ringspec.jar "$@"; }

echo "jar-check: ringspec.jar is $(wc -c < ringspec.jar) bytes; running it from $tmp/run with $java"
bare --help > help.txt 2>&1 || { cat help.txt; echo "jar-check: ringspec.jar --help failed" >&2; exit 1; }
grep -q "^Exit status" help.txt || { cat help.txt; echo "jar-check: --help has no exit status table" >&2; exit 1; }
set +e
bare caps --json > caps.json 2> caps.err
caps=$?
start=$(date +%s%N)
bare check --runs 20 --steps 50 --out "$tmp/out" > check.txt 2>&1
check=$?
end=$(date +%s%N)
set -e
echo "jar-check: caps --json exited $caps; check --runs 20 --steps 50 exited $check in $(( (end - start) / 1000000 )) ms"
case "$caps:$check" in
  0:0 | 0:4) ;;  # clean or only catalogued kernel bugs; 4: the kernel logged a splat meanwhile (printed below)
  77:77) echo "jar-check: io_uring is unavailable here: $(cat caps.err)"; exit 0 ;;
  *) cat caps.err check.txt; echo "jar-check: the jar failed (caps $caps, check $check)" >&2; exit 1 ;;
esac
grep -q "^divergences in generated runs: 0 new" check.txt || { cat check.txt; echo "jar-check: no summary" >&2; exit 1; }
grep "^kernel splats:" check.txt || true
left=$(ls -A "$tmp/run" | grep -v -x -e ringspec.jar -e help.txt -e caps.json -e caps.err -e check.txt || true)
[ -z "$left" ] || { echo "jar-check: the check wrote into its working directory: $left" >&2; exit 1; }
echo "jar-check: ok"
