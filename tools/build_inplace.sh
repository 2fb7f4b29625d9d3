#!/bin/sh
# Development build: compile qemu_py/_core in place (no install), so `PYTHONPATH=. python ...`
# uses this tree. The packaged build is meson's (pip install .).
set -e
cd "$(dirname "$0")/.."
python3 tools/gen_dispatch.py
mkdir -p build-inplace
rm -f build-inplace/_core.c
cython -3 --fast-fail qemu_py/_core.pyx -o build-inplace/_core.c 2>&1 | grep -v "^warning: .*Cython directive" || true
test -f build-inplace/_core.c
EXT=$(python3 -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
INC=$(python3 -c "import sysconfig; print(sysconfig.get_paths()['include'])")
gcc -O3 -fPIC -shared -fno-strict-aliasing -w -I"$INC" build-inplace/_core.c -o "qemu_py/_core$EXT"
