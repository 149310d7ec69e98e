#!/usr/bin/env bash
# Installs what FATNN needs from Debian's packages, skipping what is present.
# Used by scripts/quickstart.sh and scripts/test.sh; safe to run again.
#   scripts/setup.sh [--browser] [--arm64] [--qemu] [--postgres] [--slurm]
#     --browser  also chromium (the dashboard's browser test)
#     --postgres also the PostgreSQL server (the PostgreSQL store's tests, scripts/postgres.sh)
#     --slurm    also Slurm and munge (the Slurm launcher's test, scripts/slurm.sh)
#     --arm64    also, on x86-64, the aarch64 cross compiler's libc and qemu-user (scripts/test_neon.sh)
#     --qemu     also, on x86-64, qemu-user (scripts/test_cpu_classes.sh: other x86-64 CPUs, emulated)
set -euo pipefail

packages=(libsqlite3-dev libopenblas-dev zlib1g-dev dataset-fashion-mnist)
for flag in "$@"; do
  case "$flag" in
    --browser) packages+=(chromium) ;;
    --arm64) [ "$(uname -m)" = aarch64 ] || packages+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user) ;;
    --qemu) [ "$(uname -m)" != x86_64 ] || packages+=(qemu-user) ;;
    --postgres) packages+=(postgresql) ;;
    --slurm) packages+=(slurm-wlm munge) ;;
    *) echo "setup: unknown option $flag (known: --browser, --arm64, --qemu, --postgres, --slurm)" >&2; exit 2 ;;
  esac
done
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
