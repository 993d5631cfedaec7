#!/usr/bin/env bash
# Refreshes the vendored range tables from the npm packages of ip-location-db (sapics/ip-location-db).
# Usage: bash crates/redflag-netintel/data/fetch.sh   (needs npm, tar and zstd; writes next to this script)
# Licences: geo-whois-asn-country is CC0-1.0; asn is CC BY 4.0 (RouteViews, DB-IP, NRO) - see README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for pkg in geo-whois-asn-country asn; do
  npm pack --silent "@ip-location-db/$pkg" >/dev/null
  mkdir -p "$pkg" && tar xzf ip-location-db-"$pkg"-*.tgz -C "$pkg"
  grep '"version"' "$pkg/package/package.json"
done
z() { zstd -q -19 --long=27 -f "$1" -o "$2"; }
z geo-whois-asn-country/package/geo-whois-asn-country-ipv4.csv "$here/country-ipv4.csv.zst"
z geo-whois-asn-country/package/geo-whois-asn-country-ipv6.csv "$here/country-ipv6.csv.zst"
z asn/package/asn-ipv4.csv "$here/asn-ipv4.csv.zst"
z asn/package/asn-ipv6.csv "$here/asn-ipv6.csv.zst"
ls -la "$here"/*.zst
