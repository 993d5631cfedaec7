#!/usr/bin/env bash
# Events per second of the reader's own CPU time (perf stat task-clock), median of 3 runs: robust to a
# busy shared machine, unlike wall clock.
#   bench/connectors/cpu.sh BIN KIND FILE      e.g. target/release/examples/connector_bench okta /tmp/cb/okta_ndjson.json
set -euo pipefail
BIN=$1; KIND=$2; FILE=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for i in 1 2 3; do
  perf stat -x, -e task-clock -o "$tmp/stat" "$BIN" read "$KIND" "$FILE" > "$tmp/out"
  ms=$(grep task-clock "$tmp/stat" | cut -d, -f1)
  python3 -c "import json,sys; d=json.load(open('$tmp/out')); print(round(d['events']/($ms/1000)))"
done | sort -n | sed -n 2p
