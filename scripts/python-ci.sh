#!/usr/bin/env bash
# The Python package's CI step (run by .ci/run after the release build):
# builds the abi3 wheel with maturin, installs it into fresh virtual
# environments, one with NumPy 2 and one with NumPy 1, and runs the Python
# tests (crates/textnn-py/tests) in each against the installed wheel, not
# the source tree. The tests compare with the release `textnn` binary.
#
#   scripts/python-ci.sh [WORK_DIR]     (default: target/python-ci)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
work="${1:-${CARGO_TARGET_DIR:-$repo/target}/python-ci}"
started=$SECONDS
# Each phase says when it starts, in seconds since the step started.
phase() { echo "-- [$((SECONDS - started))s] $*"; }
rm -rf "$work"
mkdir -p "$work/wheels"

phase "venv with NumPy 2, maturin, pytest, scikit-learn, pandas"
scripts/python-env.sh "$work/venv-numpy2" "numpy>=2"
phase "maturin build (release, abi3)"
"$work/venv-numpy2/bin/maturin" build --release --quiet \
  --manifest-path crates/textnn-py/Cargo.toml --out "$work/wheels"
wheel=$(ls "$work"/wheels/textnn-*.whl)
echo "built $(basename "$wheel")"

run_tests() {
  local venv=$1
  "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel"
  # Run outside the source tree so that `import textnn` is the wheel's.
  (cd "$work" && "$venv/bin/python" -c \
    'import textnn, numpy; assert "site-packages" in textnn.__file__, textnn.__file__; print("textnn", textnn.__version__, "from", textnn.__file__, "numpy", numpy.__version__)')
  (cd "$work" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$repo/crates/textnn-py/tests")
}

phase "dask.distributed for the Dask test (NumPy 2 venv only; the NumPy 1 run skips it)"
"$work/venv-numpy2/bin/python" -m pip install --quiet "dask[distributed]"
phase "tests with NumPy 2"
run_tests "$work/venv-numpy2"
phase "types: the stubs match the extension (mypy's stubtest), the package type-checks"
"$work/venv-numpy2/bin/python" -m pip install --quiet mypy
(cd "$work" && "$work/venv-numpy2/bin/python" -m mypy.stubtest textnn._native \
  && "$work/venv-numpy2/bin/python" -m mypy --ignore-missing-imports -p textnn)
phase "fresh venv with NumPy 1 (numpy<2)"
scripts/python-env.sh "$work/venv-numpy1" "numpy<2"
phase "tests with NumPy 1"
run_tests "$work/venv-numpy1"
echo "python package step: $((SECONDS - started))s"
