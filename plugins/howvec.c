/*
 * howvec: how many instructions of each class ran (how vectorised is this code?).
 *
 * Arguments:
 *   inline=on|off     count with inline per-vCPU adds instead of callbacks
 *   verbose=on|off    also list classes that saw no hits
 *   count=OPT         count the class named OPT per opcode instead of as a class (repeatable)
 *   count=!OPT        don't count the class named OPT (repeatable); unknown OPTs are ignored
 * Each instruction belongs to the first row of the class table whose mask and pattern match its
 * opcode word. Report (at exit):
 *     Instruction Classes:
 *     Class: <name>\t(<n> hits)                  counted classes, in table order
 *     Class: <name>\tcounted individually
 *     Class: <name>\tnot counted
 *     Individual Instructions:                   only with two or more opcodes counted singly
 *     Instr: <disas>\t(<n> hits)\t(op=0x<opcode>/<class>)    the top 50 by hits
 * (QEMU's report never prints the last element of the sorted list; kept for identical output.)
 */

#include <plugin.h>
#include "util.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { REPORT_ROWS = 50 };

typedef enum { COUNT_CLASS, COUNT_INDIVIDUAL, COUNT_NONE } CountMode;

typedef struct {
    const char *name;       /* printed as is, leading spaces show the nesting */
    const char *opt;        /* the name count= uses */
    uint32_t mask;
    uint32_t pattern;
    CountMode mode;
    qemu_plugin_u64 hits;
} InsnClass;

/* One opcode counted on its own. */
typedef struct {
    uint32_t opcode;
    char *disas;            /* from its first translation */
    const InsnClass *cls;
    qemu_plugin_u64 hits;
} Opcode;

/*
 * A64 classes, most specific first: an encoding takes the first row it matches. The rows follow
 * the top-level groups of the A64 encoding (data processing immediate, branches and system, loads
 * and stores, data processing register, SIMD and floating point) with a few sub-groups each.
 */
static InsnClass aarch64_classes[] = {
    { "  UDEF",               "udef",    0xffff0000, 0x00000000, COUNT_NONE,  {0} },
    { "  SVE",                "sve",     0x1e000000, 0x04000000, COUNT_CLASS, {0} },
    { "Reserved",             "res",     0x1e000000, 0x00000000, COUNT_CLASS, {0} },
    /* data processing, immediate */
    { "  PCrel addr",         "pcrel",   0x1f000000, 0x10000000, COUNT_CLASS, {0} },
    { "  Add/Sub (imm,tags)", "asit",    0x1f800000, 0x11800000, COUNT_CLASS, {0} },
    { "  Add/Sub (imm)",      "asi",     0x1f000000, 0x11000000, COUNT_CLASS, {0} },
    { "  Logical (imm)",      "logi",    0x1f800000, 0x12000000, COUNT_CLASS, {0} },
    { "  Move Wide (imm)",    "movwi",   0x1f800000, 0x12800000, COUNT_CLASS, {0} },
    { "  Bitfield",           "bitf",    0x1f800000, 0x13000000, COUNT_CLASS, {0} },
    { "  Extract",            "extr",    0x1f800000, 0x13800000, COUNT_CLASS, {0} },
    { "Data Proc Imm",        "dpri",    0x1c000000, 0x10000000, COUNT_CLASS, {0} },
    /* branches, exception generation, system */
    { "  Cond Branch (imm)",  "cndb",    0xfe000000, 0x54000000, COUNT_CLASS, {0} },
    { "  Exception Gen",      "excp",    0xff000000, 0xd4000000, COUNT_CLASS, {0} },
    { "    NOP",              "nop",     0xffffffff, 0xd503201f, COUNT_NONE,  {0} },
    { "  Hints",              "hint",    0xfffff000, 0xd5032000, COUNT_CLASS, {0} },
    { "  Barriers",           "barr",    0xfffff000, 0xd5033000, COUNT_CLASS, {0} },
    { "  PSTATE",             "psta",    0xfff8f000, 0xd5004000, COUNT_CLASS, {0} },
    { "  System Insn",        "sins",    0xffd80000, 0xd5080000, COUNT_CLASS, {0} },
    { "  System Reg",         "sreg",    0xffd00000, 0xd5100000, COUNT_CLASS, {0} },
    { "  Branch (reg)",       "breg",    0xfe000000, 0xd6000000, COUNT_CLASS, {0} },
    { "  Branch (imm)",       "bimm",    0x7c000000, 0x14000000, COUNT_CLASS, {0} },
    { "  Cmp & Branch",       "cmpb",    0x7e000000, 0x34000000, COUNT_CLASS, {0} },
    { "  Tst & Branch",       "tstb",    0x7e000000, 0x36000000, COUNT_CLASS, {0} },
    { "Branches",             "branch",  0x1c000000, 0x14000000, COUNT_CLASS, {0} },
    /* loads and stores */
    { "  AdvSimd ldstmult",   "advlsm",  0xbfbf0000, 0x0c000000, COUNT_CLASS, {0} },
    { "  AdvSimd ldstmult++", "advlsmp", 0xbfb00000, 0x0c800000, COUNT_CLASS, {0} },
    { "  AdvSimd ldst",       "advlss",  0xbf9f0000, 0x0d000000, COUNT_CLASS, {0} },
    { "  AdvSimd ldst++",     "advlssp", 0xbf800000, 0x0d800000, COUNT_CLASS, {0} },
    { "  ldst excl",          "ldstx",   0x3f000000, 0x08000000, COUNT_CLASS, {0} },
    { "    Prefetch",         "prfm",    0xff000000, 0xd8000000, COUNT_CLASS, {0} },
    { "  Load Reg (lit)",     "ldlit",   0x1b000000, 0x18000000, COUNT_CLASS, {0} },
    { "  ldst noalloc pair",  "ldstnap", 0x3b800000, 0x28000000, COUNT_CLASS, {0} },
    { "  ldst pair",          "ldstp",   0x38000000, 0x28000000, COUNT_CLASS, {0} },
    { "  ldst reg",           "ldstr",   0x3b200000, 0x38000000, COUNT_CLASS, {0} },
    { "  Atomic ldst",        "atomic",  0x3b200c00, 0x38200000, COUNT_CLASS, {0} },
    { "  ldst reg (reg off)", "ldstro",  0x3b200b00, 0x38200800, COUNT_CLASS, {0} },
    { "  ldst reg (pac)",     "ldstpa",  0x3b200200, 0x38200800, COUNT_CLASS, {0} },
    { "  ldst reg (imm)",     "ldsti",   0x3b000000, 0x39000000, COUNT_CLASS, {0} },
    { "Loads & Stores",       "ldst",    0x0a000000, 0x08000000, COUNT_CLASS, {0} },
    /* data processing, register */
    { "Data Proc Reg",        "dprr",    0x0e000000, 0x0a000000, COUNT_CLASS, {0} },
    /* SIMD and floating point */
    { "Scalar FP ",           "fpsimd",  0x0e000000, 0x0e000000, COUNT_CLASS, {0} },
    { "Unclassified",         "unclas",  0x00000000, 0x00000000, COUNT_CLASS, {0} },
};

/* Any other target: every opcode on its own. */
static InsnClass other_classes[] = {
    { "Unclassified",         "unclas",  0x00000000, 0x00000000, COUNT_INDIVIDUAL, {0} },
};

static InsnClass *classes;
static size_t n_classes;
static bool use_inline;
static bool verbose;
static Map opcodes;         /* opcode word -> Opcode */

static int by_hits_desc(const void *pa, const void *pb)
{
    uint64_t a = qemu_plugin_u64_sum((*(Opcode *const *)pa)->hits);
    uint64_t b = qemu_plugin_u64_sum((*(Opcode *const *)pb)->hits);
    return a > b ? -1 : a < b ? 1 : 0;
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    StrBuf out = {0};

    (void)id;
    (void)userdata;
    sb_append(&out, "Instruction Classes:\n");
    for (size_t i = 0; i < n_classes; i++) {
        const InsnClass *c = &classes[i];
        uint64_t hits;
        switch (c->mode) {
        case COUNT_CLASS:
            hits = qemu_plugin_u64_sum(c->hits);
            if (hits || verbose) {
                sb_printf(&out, "Class: %-24s\t(%" PRId64 " hits)\n", c->name, (int64_t)hits);
            }
            break;
        case COUNT_INDIVIDUAL:
            sb_printf(&out, "Class: %-24s\tcounted individually\n", c->name);
            break;
        case COUNT_NONE:
            sb_printf(&out, "Class: %-24s\tnot counted\n", c->name);
            break;
        }
    }

    if (opcodes.count >= 2) {
        Opcode **sorted = (Opcode **)map_values(&opcodes);
        size_t n = opcodes.count;
        qsort(sorted, n, sizeof(*sorted), by_hits_desc);
        sb_append(&out, "Individual Instructions:\n");
        for (size_t i = 0; i < REPORT_ROWS && i + 1 < n; i++) {
            const Opcode *op = sorted[i];
            sb_printf(&out, "Instr: %-24s\t(%" PRId64 " hits)\t(op=0x%08x/%s)\n", op->disas,
                      (int64_t)qemu_plugin_u64_sum(op->hits), (unsigned)op->opcode,
                      op->cls ? op->cls->name : "un-categorised");
        }
        free(sorted);
    }
    qemu_plugin_outs(sb_str(&out));
    sb_free(&out);
}

static qemu_plugin_u64 new_counter(void)
{
    return qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(sizeof(uint64_t)));
}

/* The counter an instruction adds to, or NULL if it is not counted. */
static qemu_plugin_u64 *counter_for(struct qemu_plugin_insn *insn)
{
    uint32_t opcode = 0;
    InsnClass *c = NULL;

    qemu_plugin_insn_data(insn, &opcode, sizeof(opcode));
    for (size_t i = 0; i < n_classes; i++) {
        if ((opcode & classes[i].mask) == classes[i].pattern) {
            c = &classes[i];
            break;
        }
    }
    if (!c || c->mode == COUNT_NONE) {
        return NULL;
    }
    if (c->mode == COUNT_CLASS) {
        return &c->hits;
    }

    Opcode *op = (Opcode *)map_get(&opcodes, opcode, 0);
    if (!op) {
        op = (Opcode *)xcalloc(1, sizeof(*op));
        op->opcode = opcode;
        op->disas = qemu_plugin_insn_disas(insn);
        if (!op->disas) {
            op->disas = xstrdup("");
        }
        op->cls = c;
        op->hits = new_counter();
        map_put_new(&opcodes, opcode, 0, op);
    }
    return &op->hits;
}

static void insn_exec(unsigned int vcpu_index, void *userdata)
{
    qemu_plugin_u64_add(*(qemu_plugin_u64 *)userdata, vcpu_index, 1);
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);

    (void)id;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_u64 *counter = counter_for(insn);
        if (!counter) {
            continue;
        }
        if (use_inline) {
            qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
                insn, QEMU_PLUGIN_INLINE_ADD_U64, *counter, 1);
        } else {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, insn_exec, QEMU_PLUGIN_CB_NO_REGS,
                                                   counter);
        }
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    if (info->target_name && strcmp(info->target_name, "aarch64") == 0) {
        classes = aarch64_classes;
        n_classes = ARRAY_SIZE(aarch64_classes);
    } else {
        classes = other_classes;
        n_classes = ARRAY_SIZE(other_classes);
    }
    for (size_t i = 0; i < n_classes; i++) {
        classes[i].hits = new_counter();
    }

    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *val;
        if (arg_key_is(opt, "inline", &val)) {
            if (!arg_bool(opt, "inline", val, &use_inline)) {
                return -1;
            }
        } else if (arg_key_is(opt, "verbose", &val)) {
            if (!arg_bool(opt, "verbose", val, &verbose)) {
                return -1;
            }
        } else if (arg_key_is(opt, "count", &val)) {
            CountMode mode = COUNT_INDIVIDUAL;
            if (!val) {
                continue;
            }
            if (*val == '!') {
                mode = COUNT_NONE;
                val++;
            }
            for (size_t j = 0; j < n_classes; j++) {
                if (strcmp(val, classes[j].opt) == 0) {
                    classes[j].mode = mode;
                    break;
                }
            }
        } else {
            return arg_unknown(opt);
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
