#!/usr/bin/env bash
# Runs every FuzzXxx target of the root module for FUZZTIME (default 10s) each.
# Go runs one fuzz target per invocation, so the targets are found with
# `go test -list` and run one at a time.
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
cd "$(dirname "$0")/.."
found=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    found=$((found + 1))
    echo "== $pkg $t ($fuzztime)"
    go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
echo "ran $found fuzz targets"
