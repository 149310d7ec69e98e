#!/usr/bin/env bash
# Installs what FATNN needs from Debian's packages, skipping what is present.
# Used by scripts/quickstart.sh and scripts/test.sh; safe to run again.
#   scripts/setup.sh [--browser]   --browser also installs chromium (the dashboard's browser test)
set -euo pipefail

packages=(libsqlite3-dev libopenblas-dev zlib1g-dev dataset-fashion-mnist)
[ "${1:-}" = "--browser" ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: system packages present (${packages[*]})"
fi

command -v swift >/dev/null || { echo "setup: the Swift toolchain is not on PATH (see README: Requirements)" >&2; exit 1; }
