#!/usr/bin/env bash
# Make sure a headless Chromium is available for the browser tests and PNG export.
# On Debian as root it is installed from the distribution; otherwise we stop with
# a message that says what to install. Never a silent skip.
set -euo pipefail
for candidate in "${INCIDENT_MAP_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    exit 0
  fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium from Debian (needed by the browser tests and PNG export)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  exit 0
fi
echo "error: headless Chromium not found. Install it (Debian: 'sudo apt-get install chromium')" >&2
echo "       or point INCIDENT_MAP_CHROMIUM at a Chromium binary." >&2
exit 1
