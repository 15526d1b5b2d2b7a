#!/usr/bin/env bash
# Make sure the Debian packages the test suite needs (scripts/debian-packages.txt) are there.
# As root on Debian the missing ones are installed with apt-get; otherwise we stop with a
# message that says what to install. Never a silent skip.
set -euo pipefail
list="$(dirname "$0")/debian-packages.txt"
missing=()
while read -r package marker _; do
  case "$package" in ''|'#'*) continue ;; esac
  if [ "$package" = chromium ] && [ -n "${INCIDENT_MAP_CHROMIUM:-}" ] && [ -x "$INCIDENT_MAP_CHROMIUM" ]; then
    continue
  fi
  [ -e "$marker" ] || missing+=("$package")
done < "$list"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing from Debian for the test suite: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "error: the test suite needs these Debian packages: ${missing[*]}" >&2
echo "       install them (sudo apt-get install ${missing[*]})." >&2
echo "       Chromium may instead be named by INCIDENT_MAP_CHROMIUM." >&2
exit 1
