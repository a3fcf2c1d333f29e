#!/usr/bin/env bash
# Makes the fastText fixture models of crates/textnn/tests/fixtures/fasttext/
# with fastText itself, and fastText's own predictions for the fixture test
# texts: fastText's command line trains and quantizes (the PyPI package's
# training stops with "Encountered NaN" at these small dimensions), the
# `fasttext` package of bench/requirements.txt (in bench/.venv) loads every
# model and predicts.
# The fidelity tests (crates/textnn/tests/fasttext_fixtures.rs and the CLI's
# tests/fasttext_models.rs) check textnn against those predictions.
#
# Usage: bench/make_fasttext_fixtures.sh
#
# Trains on data/ha_intents/train.txt (committed, Apache-2.0); the models are
# small on purpose (dim 4-5, 1,000 buckets, min count 2) so the whole set stays
# a few hundred KB. Overwrites the fixtures: run it only to change them, and
# commit the models together with the predictions it writes.
#
# Environment:
#   PYTHON        Python used to create bench/.venv [python3]
#   FASTTEXT_BIN  fastText's command line; when unset, `fasttext` on PATH,
#                 else Debian's `fasttext` package (0.9.2) fetched with
#                 apt-get download and unpacked (not installed) into
#                 ~/.cache/textnn-fixtures
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
note() { printf '%s\n' "$*" >&2; }
# shellcheck source=bench/venv.sh
source "$BENCH_DIR/venv.sh"
ensure_bench_venv

# fastText's command line, unpacked from Debian's packages when not at hand.
fasttext_command() {
    if [[ -n "${FASTTEXT_BIN:-}" ]]; then
        echo "$FASTTEXT_BIN"
    elif command -v fasttext >/dev/null; then
        command -v fasttext
    else
        local cache="${XDG_CACHE_HOME:-$HOME/.cache}/textnn-fixtures/fasttext"
        if [[ ! -x "$cache/root/usr/bin/fasttext" ]]; then
            note "fetching Debian's fasttext package into $cache"
            mkdir -p "$cache/lists/partial" "$cache/deb"
            local apt=(-o Dir::State::Lists="$cache/lists" -o Dir::Cache::pkgcache=
                -o Dir::Cache::srcpkgcache= -o Acquire::Languages=none)
            apt-get "${apt[@]}" -qq update >/dev/null
            (cd "$cache/deb" && apt-get "${apt[@]}" -qq download fasttext libfasttext0 >/dev/null)
            for deb in "$cache"/deb/*.deb; do dpkg-deb -x "$deb" "$cache/root"; done
        fi
        local deb
        deb="$(ls "$cache"/deb/fasttext_*.deb)"
        export FASTTEXT_DESCRIPTION="fastText command line, Debian package fasttext $(dpkg-deb -f "$deb" Version)"
        export LD_LIBRARY_PATH="$cache/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        echo "$cache/root/usr/bin/fasttext"
    fi
}
FASTTEXT="$(fasttext_command)"
# (Run again outside the command substitution's subshell for its exports.)
fasttext_command >/dev/null

"$PY" "$BENCH_DIR/make_fasttext_fixtures.py" "$FASTTEXT" \
    "$ROOT/data/ha_intents/train.txt" \
    "$ROOT/data/ha_intents/test.txt" \
    "$ROOT/crates/textnn/tests/fixtures/fasttext"
