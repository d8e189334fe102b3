#!/usr/bin/env bash
# Our code returns Status/Result and never throws (docs/architecture.md).
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rnE '(^|[^_a-zA-Z])throw([ ;(]|$)' src bench fuzz sdk examples --exclude-dir=node_modules --include='*.cc' --include='*.h' 2>/dev/null | grep -vE ':\s*//' || true)
if [ -n "$hits" ]; then
  echo "throw statements found in our code:"; echo "$hits"; exit 1
fi
