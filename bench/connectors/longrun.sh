#!/usr/bin/env bash
# Long-run throughput of the sign-in and osquery readers, per core, with the Python reference in the same
# run. Generates each input once (vendor-shaped records, examples/common/gen.rs), then per format runs
# REPS separate processes that each read the file PASSES times (millions of records, several seconds of
# CPU), and reports events per second of the reading thread's CPU time (min / median / max), the load
# average and hypervisor steal around each run, instructions per record (valgrind callgrind on a small
# file of the same records; this VM exposes no hardware counters to perf), and the Python `json` + same
# extraction reference on the same file (events per second of its CPU time) with the ratio.
#
#   bench/connectors/longrun.sh                 # all six formats
#   FORMATS="okta_array entra-monitor_records" REPS=5 bench/connectors/longrun.sh
#   env: DIR (inputs, reused; default /tmp/rf-connectors-longrun), REPS (5), N_SIGNIN (100000),
#        N_OSQUERY (500000), PASSES_SIGNIN (20), PASSES_OSQUERY (8), CALLGRIND (1), PYTHON (1),
#        BIN (a prebuilt connector_bench), BEFORE (an older build: each round runs it too, in turn
#        first or second, and a before/after table with per-round speed-ups is printed)
# The inputs take ~1 GB (the disk of the shared machine is small); a process reads its file 20 (8) times,
# 2,000,000 sign-ins (4,000,000 osquery rows) per process, from the page cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p redflag-connectors --example connector_bench
  BIN=target/release/examples/connector_bench
fi
export BIN
export DIR="${DIR:-/tmp/rf-connectors-longrun}"
export REPS="${REPS:-5}" N_SIGNIN="${N_SIGNIN:-100000}" N_OSQUERY="${N_OSQUERY:-500000}"
export PASSES_SIGNIN="${PASSES_SIGNIN:-20}" PASSES_OSQUERY="${PASSES_OSQUERY:-8}"
export CALLGRIND="${CALLGRIND:-1}" PYTHON="${PYTHON:-1}" BEFORE="${BEFORE:-}"
export FORMATS="${FORMATS:-okta_ndjson okta_array entra_graph entra-monitor_ndjson entra-monitor_records osquery_ndjson}"
exec python3 bench/connectors/longrun.py
