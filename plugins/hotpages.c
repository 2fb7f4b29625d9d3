/*
 * hotpages: which pages see the most memory accesses.
 *
 * Arguments:
 *   sortby=reads|writes|address   order of the report (default: reads + writes; all descending)
 *   io=on|off                     count only device (MMIO) accesses, keyed by virtual address
 *   pagesize=N                    page size in bytes, decimal (default 4096)
 * A page is the physical address of a RAM access, else its virtual address, masked to the page.
 * Report (at exit): a header, then with two or more pages the top 50 (QEMU's report never prints
 * the last element of the sorted list; kept for identical output):
 *     Addr, RCPUs, Reads, WCPUs, Writes
 *     0x<page>, 0x<mask of reading vCPUs>, <reads>, 0x<mask of writing vCPUs>, <writes>
 */

#include <plugin.h>
#include "util.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { REPORT_ROWS = 50 };

typedef enum { SORT_READS_WRITES, SORT_READS, SORT_WRITES, SORT_ADDRESS } SortBy;

typedef struct {
    uint64_t address;
    int readers;            /* bit i set: vCPU i read the page */
    int writers;
    uint64_t reads;
    uint64_t writes;
} Page;

static SortBy sort_by = SORT_READS_WRITES;
static bool io_only;
static uint64_t page_size = 4096;
static Map pages;

static uint64_t sort_key(const Page *p)
{
    switch (sort_by) {
    case SORT_READS:
        return p->reads;
    case SORT_WRITES:
        return p->writes;
    case SORT_ADDRESS:
        return p->address;
    default:
        return p->reads + p->writes;
    }
}

static int by_key_desc(const void *pa, const void *pb)
{
    uint64_t a = sort_key(*(Page *const *)pa);
    uint64_t b = sort_key(*(Page *const *)pb);
    return a > b ? -1 : a < b ? 1 : 0;
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    StrBuf out = {0};
    size_t n = pages.count;

    (void)id;
    (void)userdata;
    sb_append(&out, "Addr, RCPUs, Reads, WCPUs, Writes\n");
    if (n >= 2) {
        Page **sorted = (Page **)map_values(&pages);
        qsort(sorted, n, sizeof(*sorted), by_key_desc);
        for (size_t i = 0; i < REPORT_ROWS && i + 1 < n; i++) {
            Page *p = sorted[i];
            sb_printf(&out, "0x%016" PRIx64 ", 0x%04x, %" PRId64 ", 0x%04x, %" PRId64 "\n",
                      p->address, (unsigned)p->readers, (int64_t)p->reads,
                      (unsigned)p->writers, (int64_t)p->writes);
        }
        free(sorted);
    }
    qemu_plugin_outs(sb_str(&out));
    sb_free(&out);
}

static void access_done(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                        void *userdata)
{
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
    bool is_io = hw && qemu_plugin_hwaddr_is_io(hw);
    uint64_t address;
    Page *p;

    (void)userdata;
    if (io_only) {
        if (!is_io) {
            return;
        }
        address = vaddr;
    } else {
        address = (hw && !is_io) ? qemu_plugin_hwaddr_phys_addr(hw) : vaddr;
    }
    address &= ~(page_size - 1);

    p = (Page *)map_get(&pages, address, 0);
    if (!p) {
        p = (Page *)xcalloc(1, sizeof(*p));
        p->address = address;
        map_put_new(&pages, address, 0, p);
    }
    int cpu_bit = vcpu_index < 32 ? (int)(1u << vcpu_index) : 0;
    if (qemu_plugin_mem_is_store(info)) {
        p->writes++;
        p->writers |= cpu_bit;
    } else {
        p->reads++;
        p->readers |= cpu_bit;
    }
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);

    (void)id;
    for (size_t i = 0; i < n; i++) {
        qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i), access_done,
                                         QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *val;
        if (arg_key_is(opt, "sortby", &val)) {
            if (val && strcmp(val, "reads") == 0) {
                sort_by = SORT_READS;
            } else if (val && strcmp(val, "writes") == 0) {
                sort_by = SORT_WRITES;
            } else if (val && strcmp(val, "address") == 0) {
                sort_by = SORT_ADDRESS;
            } else {
                fprintf(stderr, "invalid value to sortby: %s\n", val ? val : "(null)");
                return -1;
            }
        } else if (arg_key_is(opt, "io", &val)) {
            if (!arg_bool(opt, "io", val, &io_only)) {
                return -1;
            }
        } else if (arg_key_is(opt, "pagesize", &val)) {
            page_size = val ? strtoull(val, NULL, 10) : 0;
        } else {
            return arg_unknown(opt);
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
