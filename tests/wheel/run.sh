#!/usr/bin/env bash
# The Python wheel as a user gets it (issue 16, item 2):
#   1. `maturin build --release` (maturin from PyPI, in .venv-build) into a temporary folder. It builds
#      in the workspace's target/, so a `cargo build --release` before it is reused: only the binary's
#      own crate is compiled again, stripped (pyproject.toml: strip = true), in a few seconds.
#   2. a fresh virtualenv, the wheel installed into it with a PATH that holds no cargo or rustc, and
#      the smoke tests run against the installed binary, with that PATH and an otherwise empty
#      environment: `keras-lsp --version` (the Cargo version), `keras-lsp check examples`,
#      `python -m keras_lsp` (version, exit code), `keras_lsp.find_keras_lsp_bin()`, and an LSP
#      initialize/didOpen/hover/shutdown round trip over stdio (tests/wheel/smoke.py), both through
#      the `keras-lsp` script and through `python -m keras_lsp`.
#   3. on exit, passed or failed, `cargo build --release` again, so target/release/keras-lsp is the
#      binary cargo builds (with its line tables) and not the wheel's stripped one; both builds are
#      kept in target/, so nothing is compiled for this when the sources did not change.
# Needs cargo, python3 (3.8+, with venv) and PyPI the first time (maturin). Takes about 20 s after a
# `cargo build --release` in a fresh clone (7 s of it the maturin build), under 10 s when run again.
# KEEP_WHEEL_TMP=1 keeps the temporary folder (wheel and virtualenv). The wheel is also copied to
# target/wheels/ for later steps (.ci/run's VS Code workbench test).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
python=${PYTHON:-python3}
maturin_version=1.16.0
start=$SECONDS

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/keras-lsp-wheel.XXXXXX")
built=
cleanup() {
  # 3. Put cargo's own binary back in target/release, also when a test failed.
  if [ -n "$built" ]; then
    cargo build --release --quiet || echo "warning: cargo build --release failed; target/release/keras-lsp may be the wheel's stripped build" >&2
  fi
  if [ "${KEEP_WHEEL_TMP:-}" = 1 ]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# 1. Build the wheel.
if [ ! -x .venv-build/bin/python ]; then
  "$python" -m venv .venv-build
fi
.venv-build/bin/pip install --quiet --disable-pip-version-check "maturin==$maturin_version"
build_start=$SECONDS
built=1
.venv-build/bin/maturin build --release --out "$tmp/dist"
build_seconds=$((SECONDS - build_start))
wheels=("$tmp"/dist/keras_lsp-*.whl)
[ "${#wheels[@]}" = 1 ] && [ -f "${wheels[0]}" ] || fail "expected one wheel in $tmp/dist: ${wheels[*]}"
wheel=${wheels[0]}
echo "wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB), built in ${build_seconds} s"
# Kept in target/wheels (maturin's own default folder) for later CI steps: the VS Code workbench test
# installs this wheel into the virtualenv it selects and packages the .vsix from it.
mkdir -p target/wheels
rm -f target/wheels/keras_lsp-*.whl
cp "$wheel" target/wheels/

pkgid=$(cargo pkgid -p keras-lsp)
version=${pkgid##*[@#]}
case "$(basename "$wheel")" in
  "keras_lsp-$version-"*) ;;
  *) fail "the wheel's version is not the crate's ($version): $(basename "$wheel")" ;;
esac

# 2. A fresh virtualenv; install and test without a Rust toolchain on the PATH.
venv=$tmp/venv
"$python" -m venv "$venv"
clean_path=$venv/bin:/usr/bin:/bin
in_venv() { env -i HOME="$HOME" LANG=C.UTF-8 PATH="$clean_path" "$@"; }

for tool in cargo rustc rustup; do
  if found=$(in_venv sh -c "command -v $tool"); then
    fail "$tool is on the test PATH ($found); the wheel must be tested without a Rust toolchain"
  fi
done

in_venv pip install --quiet --disable-pip-version-check --no-index "$wheel"

found=$(in_venv sh -c 'command -v keras-lsp') || fail "keras-lsp is not on the virtualenv's PATH"
[ "$found" = "$venv/bin/keras-lsp" ] || fail "keras-lsp on PATH is $found, not the virtualenv's"

out=$(in_venv keras-lsp --version)
[ "$out" = "keras-lsp $version" ] || fail "keras-lsp --version printed '$out', expected 'keras-lsp $version'"
echo "ok: keras-lsp --version: $out"

out=$(in_venv python -m keras_lsp --version)
[ "$out" = "keras-lsp $version" ] || fail "python -m keras_lsp --version printed '$out'"
echo "ok: python -m keras_lsp --version: $out"

code=0
in_venv python -m keras_lsp check "$tmp/no-such-path" 2>/dev/null || code=$?
[ "$code" = 2 ] || fail "python -m keras_lsp check NO-SUCH-PATH exited with $code, expected the binary's 2"
echo "ok: python -m keras_lsp passes the exit code on (2 for a missing path)"

out=$(in_venv python -c 'import keras_lsp; print(keras_lsp.find_keras_lsp_bin())')
[ "$out" = "$venv/bin/keras-lsp" ] || fail "find_keras_lsp_bin() returned '$out', expected $venv/bin/keras-lsp"
echo "ok: find_keras_lsp_bin() = $out"

# `check examples`, run from the repository root as in the README.
code=0
(cd "$root" && in_venv keras-lsp check examples) >"$tmp/check.txt" 2>"$tmp/check.err" || code=$?
[ "$code" = 0 ] || { cat "$tmp/check.err" >&2; fail "keras-lsp check examples exited with $code"; }
grep -A2 -xF 'examples/cnn.py:9:9: keras.layers.Conv2D' "$tmp/check.txt" >"$tmp/conv.txt" ||
  fail "keras-lsp check examples does not report the Conv2D of examples/cnn.py:9"
grep -q '^ *kernel  *HeNormal(seed=1)  *\[argument `kernel_initializer` at line 9 ← variable `CONV_INIT` bound at line 5\]$' "$tmp/conv.txt" ||
  fail "the Conv2D kernel of examples/cnn.py:9 is not HeNormal(seed=1) from CONV_INIT: $(cat "$tmp/conv.txt")"
grep -q '^ *bias  *not created (use_bias=False)$' "$tmp/conv.txt" ||
  fail "the Conv2D bias of examples/cnn.py:9 is not reported as not created: $(cat "$tmp/conv.txt")"
summary=$(tail -n 1 "$tmp/check.txt")
case "$summary" in
  *" layer calls, "*" weights: "*"(Keras 3."*) ;;
  *) fail "unexpected summary line of keras-lsp check examples: $summary" ;;
esac
echo "ok: keras-lsp check examples: $summary"

# LSP over stdio, through the script and through `python -m keras_lsp`.
in_venv python "$root/tests/wheel/smoke.py" "$root/examples" keras-lsp
in_venv python "$root/tests/wheel/smoke.py" "$root/examples" python -m keras_lsp

echo "wheel smoke tests passed in $((SECONDS - start)) s (maturin build ${build_seconds} s)"
