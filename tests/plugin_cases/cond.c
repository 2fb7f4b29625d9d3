/*
 * cond: conditional callbacks on every instruction. Each instruction's list is: an inline add
 * of 1 to `count`, then one conditional callback per (cond, imm) of the table below, each
 * counting its firings; at exit one line per table row. With base=B (decimal) the counter
 * starts at B (values at and above 2^63 test the unsigned comparison). On the first instruction
 * of every block it also checks the order within a list: a condition sees an earlier STORE of
 * its list, not a later one. With where=block that check is registered on the block instead
 * (run before the block's first instruction, like an instruction list).
 */
#include <plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

typedef struct { uint64_t count, early, late; } Counters;

static struct qemu_plugin_scoreboard *sb;
static qemu_plugin_u64 count, early, late;
static uint64_t base, imm = 1000;
static const enum qemu_plugin_cond conds[] = {
    QEMU_PLUGIN_COND_NEVER, QEMU_PLUGIN_COND_ALWAYS, QEMU_PLUGIN_COND_EQ, QEMU_PLUGIN_COND_NE,
    QEMU_PLUGIN_COND_LT, QEMU_PLUGIN_COND_LE, QEMU_PLUGIN_COND_GT, QEMU_PLUGIN_COND_GE };
static const char *cond_names[] = { "never", "always", "eq", "ne", "lt", "le", "gt", "ge" };
static uint64_t fired[8][3];        /* cond x (imm - 1, imm, imm + 1) */
static uint64_t sees_early, sees_late, first_insns;
static int on_block;

static void fire(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (*(uint64_t *)udata)++;
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    if (on_block) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, fire, QEMU_PLUGIN_CB_NO_REGS, &first_insns);
        qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_STORE_U64,
                                                          early, 5);
        qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, fire, QEMU_PLUGIN_CB_NO_REGS,
                                                  QEMU_PLUGIN_COND_EQ, early, 5, &sees_early);
        qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, fire, QEMU_PLUGIN_CB_NO_REGS,
                                                  QEMU_PLUGIN_COND_EQ, late, 7, &sees_late);
        qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_STORE_U64,
                                                          late, 7);
    }
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                            count, 1);
        for (int c = 0; c < 8; c++) {
            for (int d = 0; d < 3; d++) {
                qemu_plugin_register_vcpu_insn_exec_cond_cb(insn, fire, QEMU_PLUGIN_CB_NO_REGS,
                                                            conds[c], count, base + imm + d - 1,
                                                            &fired[c][d]);
            }
        }
        if (i == 0 && !on_block) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, fire, QEMU_PLUGIN_CB_NO_REGS,
                                                   &first_insns);
            qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
                insn, QEMU_PLUGIN_INLINE_STORE_U64, early, 5);
            qemu_plugin_register_vcpu_insn_exec_cond_cb(insn, fire, QEMU_PLUGIN_CB_NO_REGS,
                                                        QEMU_PLUGIN_COND_EQ, early, 5,
                                                        &sees_early);
            qemu_plugin_register_vcpu_insn_exec_cond_cb(insn, fire, QEMU_PLUGIN_CB_NO_REGS,
                                                        QEMU_PLUGIN_COND_EQ, late, 7,
                                                        &sees_late);
            qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
                insn, QEMU_PLUGIN_INLINE_STORE_U64, late, 7);
        }
    }
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    char line[160];
    (void)id; (void)udata;
    snprintf(line, sizeof(line), "count=%" PRIu64 "\n", qemu_plugin_u64_sum(count) - base);
    qemu_plugin_outs(line);
    for (int c = 0; c < 8; c++) {
        snprintf(line, sizeof(line), "%s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", cond_names[c],
                 fired[c][0], fired[c][1], fired[c][2]);
        qemu_plugin_outs(line);
    }
    snprintf(line, sizeof(line), "first=%" PRIu64 " early=%" PRIu64 " late=%" PRIu64 "\n",
             first_insns, sees_early, sees_late);
    qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "base=", 5) == 0) {
            base = strtoull(argv[i] + 5, NULL, 10);
        } else if (strcmp(argv[i], "where=block") == 0) {
            on_block = 1;
        }
    }
    sb = qemu_plugin_scoreboard_new(sizeof(Counters));
    count = qemu_plugin_scoreboard_u64_in_struct(sb, Counters, count);
    early = qemu_plugin_scoreboard_u64_in_struct(sb, Counters, early);
    late = qemu_plugin_scoreboard_u64_in_struct(sb, Counters, late);
    qemu_plugin_u64_set(count, 0, base);
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
