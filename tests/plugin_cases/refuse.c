/* A plugin whose install returns RC (the loader must refuse it and unload it). */
#include <plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static void report(qemu_plugin_id_t id, void *userdata)
{
    (void)id; (void)userdata;
    qemu_plugin_outs("refused plugin reported\n");
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info; (void)argc; (void)argv;
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return RC;
}
