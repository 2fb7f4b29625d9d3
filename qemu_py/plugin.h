/* qemu_py/plugin.h: the C API of qemu_py's native plugins (QEMU's TCG plugin API).
 * Its declarations come with the plugins work; this placeholder keeps the include path valid. */
#ifndef QEMU_PY_PLUGIN_H
#define QEMU_PY_PLUGIN_H
#endif
