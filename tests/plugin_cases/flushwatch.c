/* flushwatch: reports each flush of all translations (another plugin's reset or uninstall). */
#include <plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static void flushed(qemu_plugin_id_t id)
{
    (void)id;
    qemu_plugin_outs("flush seen\n");
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info; (void)argc; (void)argv;
    qemu_plugin_register_flush_cb(id, flushed);
    return 0;
}
