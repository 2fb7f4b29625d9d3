/*
 * qemu-plugin.h: the header name QEMU's plugins include.
 *
 * QEMU's header brings in glib, and many plugins use glib without including it themselves, so
 * this one does the same before the API proper. Build with glib's flags:
 *     cc -shared -fPIC -I"$(python -m qemu_py --include)" $(pkg-config --cflags glib-2.0) \
 *        foo.c -o libfoo.so $(pkg-config --libs glib-2.0)
 * Plugins that don't need glib can include plugin.h directly.
 */

#ifndef QEMU_PY_QEMU_PLUGIN_H
#define QEMU_PY_QEMU_PLUGIN_H

#include <glib.h>
#include "plugin.h"

#endif /* QEMU_PY_QEMU_PLUGIN_H */
