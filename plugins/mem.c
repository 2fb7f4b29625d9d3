/*
 * mem: count (and optionally print) guest memory accesses.
 *
 * Arguments:
 *   inline=on|off          count every tracked access with an inline per-vCPU add
 *   callback=on|off        count with a callback instead (not together with inline)
 *   haddr=on|off           the callback counts device (MMIO) accesses apart ("io accesses")
 *   track=r|w|rw           which accesses to follow (default rw)
 *   print-accesses=on|off  print one CSV line per access
 *   region-summary=on|off  mirror stores per 16 KiB region, check that loads read them back
 * Report (at exit): "mem accesses: N" with inline or callback, "io accesses: N" with haddr;
 * then with region-summary a table "Region Base, Reads, Writes, Seen all".
 * As in QEMU, inline together with region-summary counts each access twice, and haddr without
 * the callback leaves the io count at 0: the counters are printed as they are.
 */

#include <plugin.h>
#include "util.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { REGION_SIZE = 16384 };

typedef struct {
    uint64_t mem;
    uint64_t io;
} VcpuCount;

/* What print-accesses needs to know about the instruction making the access. */
typedef struct {
    uint64_t vaddr;
    const char *symbol;
} InsnInfo;

/* A region: access counts and a mirror of every byte stored into it. */
typedef struct {
    uint64_t base;
    uint64_t reads;
    uint64_t writes;
    bool seen_all;          /* every load so far read what the mirror holds */
    uint8_t data[REGION_SIZE];
} Region;

static bool use_inline, use_callback, split_io, print_accesses, region_summary;
static enum qemu_plugin_mem_rw tracked = QEMU_PLUGIN_MEM_RW;
static struct qemu_plugin_scoreboard *counts;
static qemu_plugin_u64 mem_count;
static qemu_plugin_u64 io_count;
static Map regions;

static int by_base_asc(const void *pa, const void *pb)
{
    uint64_t a = (*(Region *const *)pa)->base;
    uint64_t b = (*(Region *const *)pb)->base;
    return a < b ? -1 : a > b ? 1 : 0;
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    StrBuf out = {0};

    (void)id;
    (void)userdata;
    sb_clear(&out);
    if (use_inline || use_callback) {
        sb_printf(&out, "mem accesses: %" PRIu64 "\n", qemu_plugin_u64_sum(mem_count));
    }
    if (split_io) {
        sb_printf(&out, "io accesses: %" PRIu64 "\n", qemu_plugin_u64_sum(io_count));
    }
    qemu_plugin_outs(sb_str(&out));

    if (region_summary) {
        size_t n = regions.count;
        sb_clear(&out);
        sb_append(&out, "Region Base, Reads, Writes, Seen all\n");
        if (n >= 2) {
            Region **sorted = (Region **)map_values(&regions);
            qsort(sorted, n, sizeof(*sorted), by_base_asc);
            for (size_t i = 0; i < n; i++) {
                Region *r = sorted[i];
                sb_printf(&out, "0x%016" PRIx64 ", %" PRId64 ", %" PRId64 ", %s\n", r->base,
                          (int64_t)r->reads, (int64_t)r->writes,
                          r->seen_all ? "true" : "false");
            }
            free(sorted);
        }
        qemu_plugin_outs(sb_str(&out));
    }
    sb_free(&out);
}

/* Mirror a store into, or check a load against, the region's copy of memory. */
static void region_access(uint64_t vaddr, qemu_plugin_meminfo_t info)
{
    uint64_t base = vaddr & ~(uint64_t)(REGION_SIZE - 1);
    uint64_t offset = vaddr & (REGION_SIZE - 1);
    unsigned size = 1u << qemu_plugin_mem_size_shift(info);
    bool store = qemu_plugin_mem_is_store(info);
    Region *r = (Region *)map_get(&regions, base, 0);

    if (!r) {
        r = (Region *)xcalloc(1, sizeof(*r));
        r->base = base;
        r->seen_all = true;
        map_put_new(&regions, base, 0, r);
    }
    if (store) {
        r->writes++;
    } else {
        r->reads++;
    }
    /* 16-byte accesses and accesses running into the next region are counted, not checked. */
    if (size > 8 || offset + size > REGION_SIZE) {
        return;
    }

    qemu_plugin_mem_value v = qemu_plugin_mem_get_value(info);
    uint64_t value = v.type == QEMU_PLUGIN_MEM_VALUE_U8  ? v.data.u8 :
                     v.type == QEMU_PLUGIN_MEM_VALUE_U16 ? v.data.u16 :
                     v.type == QEMU_PLUGIN_MEM_VALUE_U32 ? v.data.u32 : v.data.u64;
    bool big_endian = qemu_plugin_mem_is_big_endian(info);
    uint8_t *bytes = r->data + offset;

    if (store) {
        for (unsigned i = 0; i < size; i++) {
            unsigned shift = 8 * (big_endian ? size - 1 - i : i);
            bytes[i] = (uint8_t)(value >> shift);
        }
        return;
    }
    uint64_t mirrored = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned shift = 8 * (big_endian ? size - 1 - i : i);
        mirrored |= (uint64_t)bytes[i] << shift;
    }
    if (mirrored != value && r->seen_all) {
        StrBuf line = {0};
        sb_printf(&line, "Warning: 0x%016" PRIx64 ":%" PRId64 " read an un-instrumented value\n",
                  base, (int64_t)offset);
        qemu_plugin_outs(sb_str(&line));
        sb_free(&line);
        r->seen_all = false;
    }
}

static void count_access(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                         void *userdata)
{
    (void)userdata;
    if (split_io && qemu_plugin_hwaddr_is_io(qemu_plugin_get_hwaddr(info, vaddr))) {
        qemu_plugin_u64_add(io_count, vcpu_index, 1);
    } else {
        qemu_plugin_u64_add(mem_count, vcpu_index, 1);
    }
    if (region_summary) {
        region_access(vaddr, info);
    }
}

static void print_access(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                         void *userdata)
{
    const InsnInfo *insn = (const InsnInfo *)userdata;
    qemu_plugin_mem_value v = qemu_plugin_mem_get_value(info);
    uint64_t paddr = qemu_plugin_hwaddr_phys_addr(qemu_plugin_get_hwaddr(info, vaddr));
    StrBuf line = {0};

    (void)vcpu_index;
    sb_printf(&line, "0x%" PRIx64 ",%s,0x%" PRIx64 ",0x%" PRIx64 ",%d,%s,", insn->vaddr,
              insn->symbol, vaddr, paddr, 8 << qemu_plugin_mem_size_shift(info),
              qemu_plugin_mem_is_store(info) ? "store" : "load");
    switch (v.type) {
    case QEMU_PLUGIN_MEM_VALUE_U8:
        sb_printf(&line, "0x%02x", (unsigned)v.data.u8);
        break;
    case QEMU_PLUGIN_MEM_VALUE_U16:
        sb_printf(&line, "0x%04x", (unsigned)v.data.u16);
        break;
    case QEMU_PLUGIN_MEM_VALUE_U32:
        sb_printf(&line, "0x%08" PRIx32, v.data.u32);
        break;
    case QEMU_PLUGIN_MEM_VALUE_U64:
        sb_printf(&line, "0x%016" PRIx64, v.data.u64);
        break;
    case QEMU_PLUGIN_MEM_VALUE_U128:
        sb_printf(&line, "0x%016" PRIx64 "%016" PRIx64, v.data.u128.high, v.data.u128.low);
        break;
    }
    sb_append(&line, "\n");
    qemu_plugin_outs(sb_str(&line));
    sb_free(&line);
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);

    (void)id;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (use_inline) {
            qemu_plugin_register_vcpu_mem_inline_per_vcpu(insn, tracked,
                                                          QEMU_PLUGIN_INLINE_ADD_U64,
                                                          mem_count, 1);
        }
        if (use_callback || region_summary) {
            qemu_plugin_register_vcpu_mem_cb(insn, count_access, QEMU_PLUGIN_CB_NO_REGS,
                                             tracked, NULL);
        }
        if (print_accesses) {
            /* Kept for the run: the block may execute until the end. */
            InsnInfo *info = (InsnInfo *)xcalloc(1, sizeof(*info));
            const char *symbol = qemu_plugin_insn_symbol(insn);
            info->vaddr = qemu_plugin_insn_vaddr(insn);
            info->symbol = symbol ? symbol : "";
            qemu_plugin_register_vcpu_mem_cb(insn, print_access, QEMU_PLUGIN_CB_NO_REGS,
                                             tracked, info);
        }
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *val;
        if (arg_key_is(opt, "haddr", &val)) {
            if (!arg_bool(opt, "haddr", val, &split_io)) {
                return -1;
            }
        } else if (arg_key_is(opt, "track", &val)) {
            if (val && strcmp(val, "r") == 0) {
                tracked = QEMU_PLUGIN_MEM_R;
            } else if (val && strcmp(val, "w") == 0) {
                tracked = QEMU_PLUGIN_MEM_W;
            } else if (val && strcmp(val, "rw") == 0) {
                tracked = QEMU_PLUGIN_MEM_RW;
            } else {
                fprintf(stderr, "invalid value for argument track: %s\n", opt);
                return -1;
            }
        } else if (arg_key_is(opt, "inline", &val)) {
            if (!arg_bool(opt, "inline", val, &use_inline)) {
                return -1;
            }
        } else if (arg_key_is(opt, "callback", &val)) {
            if (!arg_bool(opt, "callback", val, &use_callback)) {
                return -1;
            }
        } else if (arg_key_is(opt, "print-accesses", &val)) {
            if (!arg_bool(opt, "print-accesses", val, &print_accesses)) {
                return -1;
            }
        } else if (arg_key_is(opt, "region-summary", &val)) {
            if (!arg_bool(opt, "region-summary", val, &region_summary)) {
                return -1;
            }
        } else {
            return arg_unknown(opt);
        }
    }
    if (use_inline && use_callback) {
        fprintf(stderr, "can't enable inline and callback counting at the same time\n");
        return -1;
    }
    if (print_accesses) {
        qemu_plugin_outs("insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,"
                         "access_size,access_type,mem_value\n");
    }
    counts = qemu_plugin_scoreboard_new(sizeof(VcpuCount));
    mem_count = qemu_plugin_scoreboard_u64_in_struct(counts, VcpuCount, mem);
    io_count = qemu_plugin_scoreboard_u64_in_struct(counts, VcpuCount, io);
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
