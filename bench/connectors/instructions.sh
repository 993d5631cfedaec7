#!/usr/bin/env bash
# Instructions per record under valgrind (callgrind, no cache simulation): exact and repeatable on a busy
# machine, for comparing two builds. Use a small file (20,000 records) — valgrind runs ~50x slower.
#   bench/connectors/instructions.sh BIN KIND FILE [OUT.callgrind]
set -euo pipefail
BIN=$1; KIND=$2; FILE=$3; OUT=${4:-$(mktemp)}
events=$(valgrind --tool=callgrind --callgrind-out-file="$OUT" "$BIN" read "$KIND" "$FILE" 2>/dev/null |
  python3 -c "import json,sys; print(json.load(sys.stdin)['events'])")
ir=$(callgrind_annotate "$OUT" 2>/dev/null | awk '/PROGRAM TOTALS/ && !n++ {gsub(",","",$1); print $1}')
echo "$KIND $(basename "$FILE") $((ir / events)) instructions/record ($events records)"
