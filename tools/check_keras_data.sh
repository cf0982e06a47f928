#!/usr/bin/env bash
# Regenerate the embedded Keras data into a temp file and diff it against the committed file.
# Exit 1 if they differ (or the generator fails).
#
#   tools/check_keras_data.sh            # keras3.json (needs .venv-keras, see tools/README.md)
#   tools/check_keras_data.sh --keras2   # also keras2.json (needs .venv-tf, ~2.3 GB)
#
# Interpreters can be overridden with KERAS3_PYTHON / KERAS2_PYTHON.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KERAS3_PYTHON="${KERAS3_PYTHON:-$ROOT/.venv-keras/bin/python}"
KERAS2_PYTHON="${KERAS2_PYTHON:-$ROOT/.venv-tf/bin/python}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/check_keras_data.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
status=0

check() {  # flavor python committed-file [env...]
  local flavor="$1" py="$2" committed="$3"; shift 3
  if [ ! -x "$py" ]; then
    echo "error: $py not found; create the venv as described in tools/README.md" >&2
    return 1
  fi
  if ! env "$@" "$py" "$ROOT/tools/gen_keras_data.py" --flavor "$flavor" --quiet --out "$TMP/$flavor.json" \
      2> "$TMP/$flavor.err"; then
    tail -n 40 "$TMP/$flavor.err" >&2
    echo "FAIL: the generator failed for $flavor" >&2
    return 1
  fi
  if diff -u "$committed" "$TMP/$flavor.json" > "$TMP/$flavor.diff"; then
    echo "ok: $committed is up to date"
  else
    head -n 200 "$TMP/$flavor.diff"
    echo "FAIL: $committed differs from a fresh generation ($(grep -c '^[-+][^-+]' "$TMP/$flavor.diff") changed lines)." >&2
    echo "      Regenerate: $py tools/gen_keras_data.py --flavor $flavor --out $committed" >&2
    return 1
  fi
}

check keras3 "$KERAS3_PYTHON" "$ROOT/server/data/keras3.json" KERAS_BACKEND=numpy || status=1
if [ "${1:-}" = "--keras2" ]; then
  check keras2 "$KERAS2_PYTHON" "$ROOT/server/data/keras2.json" TF_USE_LEGACY_KERAS=1 || status=1
fi
exit $status
