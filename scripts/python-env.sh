#!/usr/bin/env bash
# Makes a Python virtual environment for building and testing the Python
# package (crates/textnn-py): maturin, pytest, NumPy, scikit-learn and pandas,
# installed by name with pip from the package index.
#
#   scripts/python-env.sh [VENV] [NUMPY_SPEC]
#
# VENV defaults to .venv at the repository root (ignored by git);
# NUMPY_SPEC defaults to "numpy" (the newest, 2.x); pass "numpy<2" for
# NumPy 1. PYTHON picks the interpreter (default python3, CPython >= 3.9).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv}"
numpy_spec="${2:-numpy}"
python="${PYTHON:-python3}"
"$python" -c 'import sys; assert sys.version_info >= (3, 9), "textnn needs CPython 3.9 or newer"'
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet "maturin>=1.5,<2" pytest "$numpy_spec" scikit-learn pandas
echo "python env ready: $venv ($("$venv/bin/python" -c 'import numpy, sklearn; print("numpy", numpy.__version__, "scikit-learn", sklearn.__version__)'))"
