#!/usr/bin/env bash
# Installs Debian's chromium and chromedriver for the console's browser tests
# (crates/redflag-console-tests/tests/browser.rs). Idempotent; the lead's .ci/run calls it before the tests.
# Screenshots land in target/console-screenshots/ (kept as CI artefacts).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "browser.sh: $(chromium --version 2>/dev/null | head -1) and chromedriver already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
echo "browser.sh: installed $(chromium --version 2>/dev/null | head -1)"
