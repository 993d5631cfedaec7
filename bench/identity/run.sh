#!/usr/bin/env bash
# MinHash/LSH build and query at 100k and 1M synthetic resumes (see crates/redflag-identity/benches/lsh.rs).
# Usage: bash bench/identity/run.sh [sizes...]   (default: 100000 1000000; about 2-3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("${@:-100000 1000000}")
# shellcheck disable=SC2068
cargo bench -p redflag-identity --bench lsh -- ${sizes[@]}
