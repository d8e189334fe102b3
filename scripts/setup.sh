#!/usr/bin/env bash
# Installs what building and testing stepfn needs, from Debian's packages and npm.
# Idempotent: installs only what is missing. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev libfuzzer-14-dev
  libsimdjson-dev libboost1.81-dev libssl-dev libsqlite3-dev libpcre2-dev libcli11-dev
  libyaml-cpp-dev libgoogle-perftools-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node and npm (benchmark peers, later the web console): any installation will do.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
