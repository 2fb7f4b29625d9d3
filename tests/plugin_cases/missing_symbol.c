/* A plugin calling an API function qemu_py does not have: dlopen must fail. */
#include <plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

void qemu_plugin_not_in_the_api(qemu_plugin_id_t id);

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info; (void)argc; (void)argv;
    qemu_plugin_not_in_the_api(id);
    return 0;
}
