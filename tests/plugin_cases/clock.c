/*
 * clock: takes time control at install (a second request gets NULL) and, before the marker
 * instruction "mov x9, x9", moves the virtual clock to 1 s, then tries to move it back to
 * 0.5 s (ignored: time never goes back).
 */
#include <plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { MARK = 0xaa0903e9 };
static const void *handle;

static void at_marker(unsigned int vcpu, void *udata)
{
    (void)vcpu; (void)udata;
    qemu_plugin_update_ns(handle, 1000000000);
    qemu_plugin_update_ns(handle, 500000000);
    qemu_plugin_update_ns((const void *)&handle, 5000000000);   /* not the handle: ignored */
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint32_t word = 0;
        qemu_plugin_insn_data(insn, &word, sizeof(word));
        if (word == MARK) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, at_marker, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info; (void)argc; (void)argv;
    handle = qemu_plugin_request_time_control();
    if (handle == NULL || qemu_plugin_request_time_control() != NULL) {
        return 1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    return 0;
}
