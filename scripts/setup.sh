#!/usr/bin/env bash
# Installs what building and testing stepfn needs, from Debian's packages and npm.
# Idempotent: installs only what is missing. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev libfuzzer-14-dev
  libsimdjson-dev libboost1.81-dev libssl-dev libsqlite3-dev libpcre2-dev libcli11-dev
  libyaml-cpp-dev libgoogle-perftools-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3 ccache nodejs zip unzip libzip-dev
  python3-botocore  # AWS service models (src/services/models): TestState checks mocks with them
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node and npm (benchmark peers, later the web console): any installation will do.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The real clients the server's tests drive (skipped, with a message, when absent).
python3 -c 'import boto3' >/dev/null 2>&1 || missing+=(python3-boto3)
# Version 2 of the aws CLI (Debian's awscli; `aws logs tail` exists only there). A version 1
# installed with pip may come first on PATH; the tests look for version 2 at /usr/bin/aws too.
aws_v2=no
for a in aws /usr/bin/aws; do
  "$a" --version 2>&1 | grep -q '^aws-cli/2\.' && aws_v2=yes
done
[ "$aws_v2" = yes ] || missing+=(awscli)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages the tests use (package.json): the AWS SDK for JavaScript's Step Functions client,
# and AWS's runtime interface client for Node.js, run as a Lambda function's bootstrap (its
# install script builds its native addon, with curl, from the sources in the package: ~2 min).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if { [ ! -d "$here/node_modules/@aws-sdk/client-sfn" ] ||
  [ ! -f "$here/node_modules/aws-lambda-ric/index.mjs" ]; } && command -v npm >/dev/null 2>&1; then
  echo "setup: installing @aws-sdk/client-sfn and aws-lambda-ric (npm) for the tests"
  npm install --prefix "$here" --no-audit --no-fund --loglevel=error \
    >/dev/null 2>&1 || echo "setup: npm install failed; the tests that need it are skipped" >&2
fi
