/* plugin_exports.h: plugin.h as the core sees it.
 *
 * The core is built with -fvisibility=hidden; the qemu_plugin_* functions it defines take their
 * visibility from these declarations, so exactly the API of plugin.h is exported for plugins to
 * bind (plus the module's PyInit_). Cython emits its own prototype for each definition after
 * this include, so the C compiler checks every signature against plugin.h.
 */
#ifndef QEMU_PY_PLUGIN_EXPORTS_H
#define QEMU_PY_PLUGIN_EXPORTS_H

#pragma GCC visibility push(default)
#include "../plugin.h"
#pragma GCC visibility pop

/* glib's byte array as it is laid out (plugin.h only names the type). */
typedef struct {
    uint8_t *data;
    unsigned int len;
} QpByteArray;

#endif
