#!/usr/bin/env bash
# Reused phrase blocks (winnowing index) at 100k and 1M synthetic resumes (see
# crates/redflag-identity/benches/passages.rs). Usage: bash bench/identity/passages.sh [sizes...]
# (default: 100000 1000000; about 3 minutes on 2 cores). Wrap in `flock /work/heavy.lock` on shared machines.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("${@:-100000 1000000}")
# shellcheck disable=SC2068
cargo bench -p redflag-identity --bench passages -- ${sizes[@]}
