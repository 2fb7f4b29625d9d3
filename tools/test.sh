#!/bin/sh
# The test command (README, .ci/run): install what the tests need when it is missing, install
# qemu_py editable with its test extra into .venv, run pytest. Arguments go to pytest
# (default: tests). Environment: VENV (default .venv), PYTHON (default python3).
set -eu
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

# --- system packages: the cross toolchain and the reference emulators ----------------------
missing=""
need() {    # need COMMAND PACKAGE: the package when the command is absent
    command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}
need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
need aarch64-linux-gnu-as binutils-aarch64-linux-gnu
need qemu-aarch64 qemu-user
need qemu-system-aarch64 qemu-system-arm
need cc gcc
need make make
need dtc device-tree-compiler
"$PYTHON" -c 'import ensurepip' >/dev/null 2>&1 || missing="$missing python3-venv"
"$PYTHON" -c 'import os, sysconfig, sys
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || missing="$missing python3-dev"
if [ -n "$missing" ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "tools/test.sh: please install:$missing (no apt-get here)" >&2
        exit 1
    fi
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "tools/test.sh: installing$missing"
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi

# --- qemu_py, editable, with the build tools and the test extra -----------------------------
# Editable: the tests' subprocesses (python -m qemu_py) import this tree, rebuilt on import
# when a .pyx/.pxi changed.
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q "meson-python>=0.17" "meson>=1.1" "cython>=3.0" ninja
"$PY" -m pip install -q --no-build-isolation -e ".[test]"

if [ $# -eq 0 ]; then
    set -- tests
fi
exec "$PY" -m pytest "$@"
