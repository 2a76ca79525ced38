#!/usr/bin/env bash
# Runs the kim load generator (io.kim.bench.load.LoadMain) with the open-file limit it needs.
#   kim-bench/run-load.sh chat --pairs 100 --window 10 --seconds 20 --runs 2
# Build first: mvn -B -o package -DskipTests -pl kim-bench (after installing the modules it depends on).
# The server under test runs in a JVM of its own, started by the load generator with the same java and jar,
# and inherits the limit set here. Loopback only; every run is bounded in time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/target/kim-bench.jar"
if [[ ! -f "$jar" ]]; then
  echo "missing $jar: build kim-bench first" >&2
  exit 2
fi
# A process here may hold at most 20,000 open files; the connect scenario keeps each side under 19,500.
ulimit -n "$(( $(ulimit -Hn) < 20000 ? $(ulimit -Hn) : 20000 ))"
exec java ${LOADGEN_JAVA_OPTS:--Xms1g -Xmx2g} -cp "$jar" io.kim.bench.load.LoadMain "$@"
