#!/usr/bin/env bash
# Differential test: real Keras 3 (oracle) vs `keras-lsp check`.
#   1. re-run the oracle on the fixtures and the examples; fail if the committed oracle files are stale
#   2. run `keras-lsp check --format json` on both folders and compare weight by weight
# Environment: PYTHON (default .venv-keras/bin/python), KERAS_LSP (default target/release/keras-lsp),
#              ORACLE_JOBS (parallel fixture processes, default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${PYTHON:-.venv-keras/bin/python}"
KERAS_LSP="${KERAS_LSP:-target/release/keras-lsp}"
JOBS="${ORACLE_JOBS:-2}"
export KERAS_BACKEND=numpy

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

# name  fixture-root  committed-oracle
suites=(
  "keras3 tests/fixtures/keras3 tests/fixtures/keras3.oracle.json"
  "examples examples tests/fixtures/examples.oracle.json"
)

for suite in "${suites[@]}"; do
  read -r name root committed <<<"$suite"
  echo "== oracle: $root"
  if ! "$PYTHON" tests/oracle/oracle.py "$root" --out "$tmp/$name.oracle.json" -j "$JOBS"; then
    echo "FAIL: the oracle could not run every fixture under $root"
    status=1
  fi
  if ! diff -u "$committed" "$tmp/$name.oracle.json" >"$tmp/$name.diff"; then
    echo "FAIL: $committed is stale; regenerate it with:"
    echo "  KERAS_BACKEND=numpy $PYTHON tests/oracle/oracle.py $root --out $committed"
    head -n 60 "$tmp/$name.diff"
    status=1
  fi
done

if [[ ! -x "$KERAS_LSP" ]]; then
  echo "FAIL: $KERAS_LSP not found (build it with: cargo build --release)"
  exit 1
fi

for suite in "${suites[@]}"; do
  read -r name root committed <<<"$suite"
  echo "== keras-lsp check $root"
  check_rc=0
  "$KERAS_LSP" check "$root" --format json >"$tmp/$name.check.json" || check_rc=$?
  # `check` may exit non-zero when it reports problems; only missing/invalid output is fatal.
  if [[ ! -s "$tmp/$name.check.json" ]]; then
    echo "FAIL: keras-lsp check $root produced no output (exit $check_rc)"
    status=1
    continue
  fi
  if ! python3 tests/oracle/compare.py --expected "$committed" --actual "$tmp/$name.check.json" --strip-prefix "$root/"; then
    status=1
  fi
done

exit "$status"
