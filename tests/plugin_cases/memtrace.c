/*
 * memtrace: a memory callback on every instruction, registered with LEVEL (a
 * qemu_plugin_cb_flags value, default NO_REGS). Each access is folded into a hash of (instruction
 * vaddr, access vaddr, physical address, meminfo, value); at exit one line:
 * "accesses N hash H". Reading registers (LEVEL=1) makes the runtime watch the accesses as they
 * happen; without, plain loads and stores are reported from the registers around the
 * instruction: both must report the same accesses. With TRACE defined, each access is also
 * printed (a debugging aid).
 */
#include <plugin.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef LEVEL
#define LEVEL QEMU_PLUGIN_CB_NO_REGS
#endif

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t count, hash = 1469598103934665603ull;

static void mix(uint64_t v)
{
    for (int k = 0; k < 8; k++) {
        hash = (hash ^ (v & 0xff)) * 1099511628211ull;
        v >>= 8;
    }
}

static void access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    qemu_plugin_mem_value v = qemu_plugin_mem_get_value(info);
    (void)vcpu;
    count++;
    mix(*(uint64_t *)udata);
    mix(vaddr);
    mix(qemu_plugin_hwaddr_phys_addr(qemu_plugin_get_hwaddr(info, vaddr)));
    mix(info);
    mix(v.type == QEMU_PLUGIN_MEM_VALUE_U128 ? v.data.u128.low : v.data.u64);
    mix(v.type == QEMU_PLUGIN_MEM_VALUE_U128 ? v.data.u128.high : 0);
#ifdef TRACE
    char line[160];
    snprintf(line, sizeof(line), "%llx %llx %x %llx %llx\n",
             (unsigned long long)*(uint64_t *)udata, (unsigned long long)vaddr, info,
             (unsigned long long)(v.type == QEMU_PLUGIN_MEM_VALUE_U128 ? v.data.u128.low : v.data.u64),
             (unsigned long long)(v.type == QEMU_PLUGIN_MEM_VALUE_U128 ? v.data.u128.high : 0));
    qemu_plugin_outs(line);
#endif
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t *pc = malloc(sizeof(*pc));     /* kept for the run */
        *pc = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_mem_cb(insn, access, LEVEL, QEMU_PLUGIN_MEM_RW, pc);
    }
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    char line[80];
    (void)id;
    (void)userdata;
    snprintf(line, sizeof(line), "accesses %llu hash %016llx\n", (unsigned long long)count,
             (unsigned long long)hash);
    qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    (void)argc;
    (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
