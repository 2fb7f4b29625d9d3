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
# -fvisibility=hidden: the module exports PyInit__core and the 63 plugin API functions only
# (their visibility comes from plugin.h, see qemu_py/core/plugin_exports.h).
# The inline limits: see meson.build.
gcc -O3 -fPIC -shared -fno-strict-aliasing -fvisibility=hidden -w --param max-inline-insns-single=2000 \
    --param large-function-growth=2000 --param inline-unit-growth=2000 -I"$INC" -Iqemu_py/core \
    build-inplace/_core.c -o "qemu_py/_core$EXT"
