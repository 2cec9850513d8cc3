#!/usr/bin/env bash
# Installs what courier needs on a Debian/Ubuntu machine, skipping what is
# already there: Debian packages (Chromium's headless shell, fonts with CJK,
# tini, iproute2 for Chromium's network namespace; with --dev also
# redis-server, poppler-utils, qpdf, strace and the full chromium for the
# tests), the npm
# dependencies when package-lock.json changed, then builds dist/.
# The Dockerfile installs the same package lists.
set -euo pipefail
cd "$(dirname "$0")/.."

lists=(scripts/debian-packages.runtime)
[[ "${1:-}" == "--dev" ]] && lists+=(scripts/debian-packages.dev)

missing=()
for package in $(cat "${lists[@]}"); do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# `npm install` with the committed lock, not `npm ci`: registries that mirror
# only some platforms (Linux builds of optional native packages) make
# `npm ci` refuse any lock written against them, while `npm install` keeps
# the locked versions and skips what the platform does not need.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json || package.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies"
  npm install --no-audit --no-fund --loglevel=error
fi

npm run --silent build
echo "setup: ready ($(node --version), $(/usr/lib/chromium/chromium-headless-shell --version 2>/dev/null | head -n1))"
