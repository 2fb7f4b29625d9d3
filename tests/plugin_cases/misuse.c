/*
 * misuse: breaks one rule of the API's contexts, chosen by its argument, which QEMU would stop
 * on with an assertion; qemu_py must stop the run with one line and exit 1, never crash.
 *   mode=tb_exec       a block handle kept from tb_trans, queried in an execution callback
 *   mode=insn_atexit   an instruction handle kept from tb_trans, queried at exit
 *   mode=sb_index      a scoreboard slot of a vCPU that does not exist
 *   mode=reg_atexit    a register read at exit (outside any vCPU callback)
 */
#include <plugin.h>
#include <string.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static const char *mode = "";
static struct qemu_plugin_tb *kept_tb;
static struct qemu_plugin_insn *kept_insn;
static struct qemu_plugin_scoreboard *sb;

static void block_exec(unsigned int vcpu, void *udata)
{
    (void)vcpu; (void)udata;
    if (strcmp(mode, "tb_exec") == 0) {
        qemu_plugin_tb_n_insns(kept_tb);
    } else if (strcmp(mode, "sb_index") == 0) {
        qemu_plugin_u64_add(qemu_plugin_scoreboard_u64(sb), 1000, 1);
    }
    qemu_plugin_outs("block callback\n");
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    kept_tb = tb;
    kept_insn = qemu_plugin_tb_get_insn(tb, 0);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id; (void)udata;
    if (strcmp(mode, "insn_atexit") == 0) {
        qemu_plugin_insn_vaddr(kept_insn);
    } else if (strcmp(mode, "reg_atexit") == 0) {
        qemu_plugin_read_register((struct qemu_plugin_register *)1, NULL);
    }
    qemu_plugin_outs("atexit done\n");
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    if (argc == 1 && strncmp(argv[0], "mode=", 5) == 0) {
        mode = argv[0] + 5;
    }
    sb = qemu_plugin_scoreboard_new(sizeof(uint64_t));
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
