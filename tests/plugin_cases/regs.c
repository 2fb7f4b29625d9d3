/*
 * regs: reads every core register on every instruction (checking pc against the instruction's
 * address), reports x0 at "mov x9, x9", sets x0 to 0xdecafbad at "mov x10, x10", writes
 * 0x1122334455667788 at the address in x1 at "mov x11, x11". Built against qemu-plugin.h with
 * glib, like a plugin written for QEMU.
 */
#include <qemu-plugin.h>
#include <stdio.h>
#include <string.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { MARK_REPORT = 0xaa0903e9, MARK_SET = 0xaa0a03ea, MARK_WRITE = 0xaa0b03eb };

static struct qemu_plugin_register *core[34];     /* x0..x30, sp, pc, cpsr */
static int core_size[34];
static GByteArray *buf;
static uint64_t reads, pc_mismatches, bad_sizes;

static uint64_t read_reg(int k)
{
    uint64_t v = 0;
    g_byte_array_set_size(buf, 0);
    int n = qemu_plugin_read_register(core[k], buf);
    if (n != core_size[k] || buf->len != (guint)n) {
        bad_sizes++;
    }
    memcpy(&v, buf->data, n > 0 && n <= 8 ? (size_t)n : 0);
    return v;
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
    static const char *names[34] = {
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
        "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25",
        "x26", "x27", "x28", "x29", "x30", "sp", "pc", "cpsr" };
    GArray *regs = qemu_plugin_get_registers();
    (void)id; (void)vcpu;
    for (guint i = 0; i < regs->len; i++) {
        qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
        for (int k = 0; k < 34; k++) {
            if (strcmp(d->name, names[k]) == 0) {
                core[k] = d->handle;
                core_size[k] = k == 33 ? 4 : 8;
            }
        }
    }
    g_array_free(regs, TRUE);
}

static void every_insn(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    for (int k = 0; k < 34; k++) {
        uint64_t v = read_reg(k);
        if (k == 32 && v != (uint64_t)(uintptr_t)udata) {
            pc_mismatches++;
        }
    }
    reads++;
}

static void report_x0(unsigned int vcpu, void *udata)
{
    char line[40];
    (void)vcpu; (void)udata;
    snprintf(line, sizeof(line), "x0=%016" PRIx64 "\n", read_reg(0));
    qemu_plugin_outs(line);
}

static void set_x0(unsigned int vcpu, void *udata)
{
    uint64_t v = 0xdecafbad;
    GByteArray *b = g_byte_array_new();
    (void)vcpu; (void)udata;
    g_byte_array_append(b, (guint8 *)&v, 8);
    if (qemu_plugin_write_register(core[0], b) != 8) {
        qemu_plugin_outs("write_register failed\n");
    }
    g_byte_array_free(b, TRUE);
}

static void write_cell(unsigned int vcpu, void *udata)
{
    uint64_t v = 0x1122334455667788ull, addr = read_reg(1), pa = 0;
    GByteArray *b = g_byte_array_new();
    char line[64];
    (void)vcpu; (void)udata;
    g_byte_array_append(b, (guint8 *)&v, 8);
    if (!qemu_plugin_write_memory_vaddr(addr, b)) {
        qemu_plugin_outs("write_memory_vaddr failed\n");
    }
    g_byte_array_set_size(b, 0);
    if (!qemu_plugin_read_memory_vaddr(addr, b, 8) || memcmp(b->data, &v, 8) != 0) {
        qemu_plugin_outs("read_memory_vaddr failed\n");
    }
    if (!qemu_plugin_translate_vaddr(addr, &pa) || pa != addr) {
        qemu_plugin_outs("translate_vaddr failed\n");
    }
    snprintf(line, sizeof(line), "wrote at %" PRIx64 "\n", addr);
    qemu_plugin_outs(line);
    g_byte_array_free(b, TRUE);
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint32_t word = 0;
        qemu_plugin_insn_data(insn, &word, sizeof(word));
        qemu_plugin_register_vcpu_insn_exec_cb(insn, every_insn, QEMU_PLUGIN_CB_R_REGS,
                                               (void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
        if (word == MARK_REPORT) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, report_x0, QEMU_PLUGIN_CB_R_REGS, NULL);
        } else if (word == MARK_SET) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, set_x0, QEMU_PLUGIN_CB_RW_REGS, NULL);
        } else if (word == MARK_WRITE) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, write_cell, QEMU_PLUGIN_CB_RW_REGS, NULL);
        }
    }
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    char line[128];
    (void)id; (void)udata;
    snprintf(line, sizeof(line), "reads=%" PRIu64 " pc_mismatches=%" PRIu64 " bad_sizes=%" PRIu64
             "\n", reads, pc_mismatches, bad_sizes);
    qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info; (void)argc; (void)argv;
    buf = g_byte_array_new();
    qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
