#!/usr/bin/env bash
# Refreshes the vendored email-domain lists from the npm registry with `npm pack` (no install, no scripts run).
# Usage: bash crates/redflag-identity/data/fetch-email-lists.sh [disposable-version] [free-version]
# Writes one lower-case domain per line, sorted, to the files next to this script, and prints their counts.
# Versions are pinned so that a refresh is a deliberate, reviewable change; update README.md with them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
disposable_version="${1:-1.0.62}"
free_version="${2:-1.12.6}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "disposable-email-domains@${disposable_version}" "free-email-domains@${free_version}" >/dev/null
mkdir d f
tar xzf "disposable-email-domains-${disposable_version}.tgz" -C d
tar xzf "free-email-domains-${free_version}.tgz" -C f
to_lines() { python3 -c 'import json,sys; print("\n".join(sorted({d.strip().lower() for d in json.load(open(sys.argv[1])) if d.strip()})))' "$1"; }
to_lines d/package/index.json > "$here/disposable-domains.txt"
to_lines d/package/wildcard.json > "$here/disposable-wildcard-domains.txt"
to_lines f/package/domains.json > "$here/free-email-domains.txt"
cp f/package/LICENSE.md "$here/LICENSE-free-email-domains.md"
wc -l "$here"/disposable-domains.txt "$here"/disposable-wildcard-domains.txt "$here"/free-email-domains.txt
