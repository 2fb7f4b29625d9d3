/* A plugin declaring API version VERSION (or, with NO_VERSION, no version at all). */
#include <plugin.h>

#ifndef NO_VERSION
QEMU_PLUGIN_EXPORT int qemu_plugin_version = VERSION;
#endif

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)id; (void)info; (void)argc; (void)argv;
    return 0;
}
