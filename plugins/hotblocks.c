/*
 * hotblocks: which translated blocks run most often.
 *
 * Arguments: inline=on|off (count with an inline per-vCPU add instead of a callback).
 * Report (at exit): the number of distinct (address, length) blocks, then the 20 hottest
 * (QEMU's report never prints the last element of the sorted list; kept for identical output):
 *     collected N entries in the hash table
 *     pc, tcount, icount, ecount
 *     0x<pc>, <translations>, <instructions>, <executions over all vCPUs>
 */

#include <plugin.h>
#include "util.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { REPORT_ROWS = 20 };

/* One block, keyed by its start address and its instruction count. */
typedef struct {
    uint64_t vaddr;
    unsigned long n_insns;
    int translations;
    qemu_plugin_u64 executions;     /* a per-vCPU counter of its own */
} Block;

static bool use_inline;
static Map blocks;

static uint64_t block_executions(const Block *b)
{
    return qemu_plugin_u64_sum(b->executions);
}

static int by_executions_desc(const void *pa, const void *pb)
{
    uint64_t a = block_executions(*(Block *const *)pa);
    uint64_t b = block_executions(*(Block *const *)pb);
    return a > b ? -1 : a < b ? 1 : 0;
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    StrBuf out = {0};
    Block **sorted = (Block **)map_values(&blocks);
    size_t n = blocks.count;

    (void)id;
    (void)userdata;
    sb_printf(&out, "collected %d entries in the hash table\n", (int)n);
    if (n) {
        qsort(sorted, n, sizeof(*sorted), by_executions_desc);
        sb_append(&out, "pc, tcount, icount, ecount\n");
        for (size_t i = 0; i < REPORT_ROWS && i + 1 < n; i++) {
            Block *b = sorted[i];
            sb_printf(&out, "0x%016" PRIx64 ", %d, %ld, %" PRId64 "\n", b->vaddr,
                      b->translations, (long)b->n_insns, (int64_t)block_executions(b));
        }
    }
    qemu_plugin_outs(sb_str(&out));
    sb_free(&out);
    free(sorted);
}

static void block_exec(unsigned int vcpu_index, void *userdata)
{
    Block *b = (Block *)userdata;
    qemu_plugin_u64_add(b->executions, vcpu_index, 1);
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
    size_t n_insns = qemu_plugin_tb_n_insns(tb);
    Block *b = (Block *)map_get(&blocks, vaddr, n_insns);

    (void)id;
    if (b) {
        b->translations++;
    } else {
        b = (Block *)xcalloc(1, sizeof(*b));
        b->vaddr = vaddr;
        b->n_insns = n_insns;
        b->translations = 1;
        b->executions = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(sizeof(uint64_t)));
        map_put_new(&blocks, vaddr, n_insns, b);
    }

    if (use_inline) {
        qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                                          b->executions, 1);
    } else {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS, b);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *val;
        if (arg_key_is(argv[i], "inline", &val)) {
            if (!arg_bool(argv[i], "inline", val, &use_inline)) {
                return -1;
            }
        } else {
            return arg_unknown(argv[i]);
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
