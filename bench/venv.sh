# shellcheck shell=bash
# Sourced by the bench scripts (compare_accuracy, compare_autotune,
# compare_fasttext): the Python they share, bench/.venv, with
# bench/requirements.txt installed from PyPI by name (fastText 0.9.3 is
# source-only there and needs g++; it breaks with NumPy 2, hence the pin).
#
# Needs BENCH_DIR and a `note` function; reads PYTHON (the interpreter
# that creates the venv, python3 if unset). Sets VENV and PY.

VENV="$BENCH_DIR/.venv"
PY="$VENV/bin/python"

# Creates the venv if missing; (re)installs when the packages are missing
# or requirements.txt changed since the last install.
ensure_bench_venv() {
    if [[ ! -x "$PY" ]]; then
        note "creating $VENV"
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    if ! "$PY" -c 'import fasttext, sklearn, numpy' 2>/dev/null ||
        ! cmp -s "$BENCH_DIR/requirements.txt" "$VENV/.bench-requirements.txt"; then
        note "installing bench/requirements.txt into $VENV (fastText builds from source: a minute or two)"
        "$PY" -m pip install --quiet -r "$BENCH_DIR/requirements.txt"
        cp "$BENCH_DIR/requirements.txt" "$VENV/.bench-requirements.txt"
    fi
}
