# shellcheck shell=sh
# Sourced by ./mvnw and ./ringspec: makes JAVA_HOME point at a JDK 25 or later, found by itself.
#
# The default java on many machines (17 here) cannot run java.lang.foreign, so a newcomer's
# `./mvnw verify` must not depend on what is first on the PATH. Looked at, in order:
#   1. JAVA_HOME, if it is a JDK 25 or later;
#   2. the java on the PATH, followed through its symlinks;
#   3. every JDK under RINGSPEC_JDK_DIRS (default: /usr/lib/jvm /usr/java /usr/local/lib/jvm
#      /opt/java /opt/jdk $HOME/.sdkman/candidates/java $HOME/.jdks), the newest first.
# With none of them, it prints one sentence naming what to install and exits with status 78 (EX_CONFIG).

ringspec_jdk_major() {
  # Prints the feature release of the JDK at $1 (25 for "25.0.1", 8 for "1.8.0"), or nothing.
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$1/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$1/release" | head -n 1)
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  case "$v" in
    1.*) v=${v#1.} ;;
  esac
  v=${v%%[!0-9]*}
  [ -n "$v" ] && printf '%s\n' "$v"
  return 0
}

ringspec_find_jdk() {
  ringspec_wanted=25
  if [ -n "${JAVA_HOME-}" ]; then
    m=$(ringspec_jdk_major "$JAVA_HOME")
    if [ -n "$m" ] && [ "$m" -ge "$ringspec_wanted" ]; then
      return 0
    fi
  fi
  if command -v java >/dev/null 2>&1; then
    j=$(readlink -f "$(command -v java)" 2>/dev/null || command -v java)
    h=$(dirname "$(dirname "$j")")
    m=$(ringspec_jdk_major "$h")
    if [ -n "$m" ] && [ "$m" -ge "$ringspec_wanted" ]; then
      JAVA_HOME=$h
      export JAVA_HOME
      return 0
    fi
  fi
  best=
  best_major=0
  for d in ${RINGSPEC_JDK_DIRS-/usr/lib/jvm /usr/java /usr/local/lib/jvm /opt/java /opt/jdk ${HOME-/root}/.sdkman/candidates/java ${HOME-/root}/.jdks}; do
    [ -d "$d" ] || continue
    for h in "$d"/*; do
      [ -d "$h" ] || continue
      [ -L "$h" ] && continue
      m=$(ringspec_jdk_major "$h")
      if [ -n "$m" ] && [ "$m" -ge "$ringspec_wanted" ] && [ "$m" -gt "$best_major" ]; then
        best=$h
        best_major=$m
      fi
    done
  done
  if [ -n "$best" ]; then
    if [ -n "${JAVA_HOME-}" ]; then
      echo "ringspec: JAVA_HOME ($JAVA_HOME) is older than JDK $ringspec_wanted; using $best" >&2
    fi
    JAVA_HOME=$best
    export JAVA_HOME
    return 0
  fi
  echo "ringspec needs a JDK $ringspec_wanted or later and found none in JAVA_HOME, on the PATH or under /usr/lib/jvm: install one (for example Temurin 25, or Debian's openjdk-25-jdk) and run this again." >&2
  return 78
}

ringspec_find_jdk || exit $?
PATH="$JAVA_HOME/bin:$PATH"
export PATH
