/*
 * bb: count executed blocks and their instructions per vCPU.
 *
 * Arguments:
 *   inline=on|off     count with inline per-vCPU adds instead of a callback
 *   idle=on|off       print a vCPU's running totals each time it goes idle
 * At each block start the block count grows by one and the instruction count by the block's
 * full length (even if a fault then cuts it short). Report (at exit):
 *     CPU<i>: bb's: <blocks>, insns: <instructions>      for each vCPU that ran a block
 *     Total: bb's: <blocks>, insns: <instructions>
 */

#include <plugin.h>
#include "util.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

typedef struct {
    uint64_t blocks;
    uint64_t insns;
} VcpuCount;

static bool use_inline;
static bool report_idle;
static struct qemu_plugin_scoreboard *counts;
static qemu_plugin_u64 block_count;
static qemu_plugin_u64 insn_count;

static void vcpu_line(StrBuf *out, unsigned int vcpu_index)
{
    const VcpuCount *c = (const VcpuCount *)qemu_plugin_scoreboard_find(counts, vcpu_index);
    if (c->blocks) {
        sb_printf(out, "CPU%d: bb's: %" PRIu64 ", insns: %" PRIu64 "\n", (int)vcpu_index,
                  c->blocks, c->insns);
    }
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    StrBuf out = {0};

    (void)id;
    (void)userdata;
    for (int i = 0; i < qemu_plugin_num_vcpus(); i++) {
        vcpu_line(&out, (unsigned)i);
    }
    sb_printf(&out, "Total: bb's: %" PRIu64 ", insns: %" PRIu64 "\n",
              qemu_plugin_u64_sum(block_count), qemu_plugin_u64_sum(insn_count));
    qemu_plugin_outs(sb_str(&out));
    sb_free(&out);
}

static void vcpu_idle(qemu_plugin_id_t id, unsigned int vcpu_index)
{
    const VcpuCount *c = (const VcpuCount *)qemu_plugin_scoreboard_find(counts, vcpu_index);

    (void)id;
    if (c->insns) {
        StrBuf out = {0};
        sb_append(&out, "Idling ");
        vcpu_line(&out, vcpu_index);
        qemu_plugin_outs(sb_str(&out));
        sb_free(&out);
    }
}

static void block_exec(unsigned int vcpu_index, void *userdata)
{
    VcpuCount *c = (VcpuCount *)qemu_plugin_scoreboard_find(counts, vcpu_index);
    c->blocks++;
    c->insns += (uintptr_t)userdata;
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n_insns = qemu_plugin_tb_n_insns(tb);

    (void)id;
    if (use_inline) {
        qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                                          block_count, 1);
        qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                                          insn_count, n_insns);
    } else {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS,
                                             (void *)(uintptr_t)n_insns);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *val;
        if (arg_key_is(opt, "inline", &val)) {
            if (!arg_bool(opt, "inline", val, &use_inline)) {
                return -1;
            }
        } else if (arg_key_is(opt, "idle", &val)) {
            if (!arg_bool(opt, "idle", val, &report_idle)) {
                return -1;
            }
        } else {
            return arg_unknown(opt);
        }
    }
    counts = qemu_plugin_scoreboard_new(sizeof(VcpuCount));
    block_count = qemu_plugin_scoreboard_u64_in_struct(counts, VcpuCount, blocks);
    insn_count = qemu_plugin_scoreboard_u64_in_struct(counts, VcpuCount, insns);
    if (report_idle) {
        qemu_plugin_register_vcpu_idle_cb(id, vcpu_idle);
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
