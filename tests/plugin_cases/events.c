/*
 * events: a line per executed instruction, per memory access (with everything the meminfo and
 * hwaddr queries say) and per discontinuity, for guests small enough to check by hand.
 */
#include <plugin.h>
#include <stdio.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static void out(const char *fmt, unsigned long long a, unsigned long long b,
                unsigned long long c)
{
    char line[160];
    snprintf(line, sizeof(line), fmt, a, b, c);
    qemu_plugin_outs(line);
}

static void exec_cb(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    out("exec %llx\n", (uintptr_t)udata, 0, 0);
}

static void mem_cb(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    qemu_plugin_mem_value v = qemu_plugin_mem_get_value(info);
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
    char line[256];
    (void)vcpu;
    snprintf(line, sizeof(line),
             "mem %llx va=%llx size=%u store=%d sign=%d be=%d type=%d value=%016llx%016llx "
             "io=%d pa=%llx dev=%s\n",
             (unsigned long long)(uintptr_t)udata, (unsigned long long)vaddr,
             1u << qemu_plugin_mem_size_shift(info), qemu_plugin_mem_is_store(info),
             qemu_plugin_mem_is_sign_extended(info), qemu_plugin_mem_is_big_endian(info),
             (int)v.type,
             (unsigned long long)(v.type == QEMU_PLUGIN_MEM_VALUE_U128 ? v.data.u128.high : 0),
             (unsigned long long)(v.type == QEMU_PLUGIN_MEM_VALUE_U128 ? v.data.u128.low :
                                  v.type == QEMU_PLUGIN_MEM_VALUE_U64 ? v.data.u64 :
                                  v.type == QEMU_PLUGIN_MEM_VALUE_U32 ? v.data.u32 :
                                  v.type == QEMU_PLUGIN_MEM_VALUE_U16 ? v.data.u16 : v.data.u8),
             qemu_plugin_hwaddr_is_io(hw), (unsigned long long)qemu_plugin_hwaddr_phys_addr(hw),
             qemu_plugin_hwaddr_device_name(hw));
    qemu_plugin_outs(line);
}

static void discon(qemu_plugin_id_t id, unsigned int vcpu, enum qemu_plugin_discon_type type,
                   uint64_t from, uint64_t to)
{
    (void)id; (void)vcpu;
    out("discon %llu from=%llx to=%llx\n", (unsigned)type, from, to);
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        void *vaddr = (void *)(uintptr_t)qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_cb(insn, exec_cb, QEMU_PLUGIN_CB_NO_REGS, vaddr);
        qemu_plugin_register_vcpu_mem_cb(insn, mem_cb, QEMU_PLUGIN_CB_NO_REGS,
                                         QEMU_PLUGIN_MEM_RW, vaddr);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info; (void)argc; (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_ALL, discon);
    return 0;
}
