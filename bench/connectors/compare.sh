#!/usr/bin/env bash
# Compares the Rust connectors with a Python reference reader (json + the same field extraction) on the
# same generated vendor-shaped files, in one run. Usage: bench/connectors/compare.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-200000}"
OUT="$(mktemp -d)"
cargo build --release -q -p redflag-connectors --example connector_bench
BIN=target/release/examples/connector_bench
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), python $(python3 --version 2>&1 | cut -d' ' -f2)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# generator kind, framing, reader kind
for spec in "okta ndjson okta" "okta array okta" "entra graph entra" "entra-monitor ndjson entra" \
    "entra-monitor records entra" "osquery ndjson osquery"; do
  set -- $spec
  file="$OUT/$1_$2.json"
  $BIN gen "$1" "$2" "$N" "$file" >/dev/null
  rust=$($BIN read "$3" "$file")
  py=$(python3 bench/connectors/reference.py "$3" "$file")
  r=$(echo "$rust" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events_per_second"])')
  p=$(echo "$py" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events_per_second"])')
  printf '%-14s %-7s rust %9.0f ev/s  python %9.0f ev/s  ratio %.1fx\n' "$1" "$2" "$r" "$p" "$(echo "$r / $p" | bc -l)"
done
rm -rf "$OUT"
