/*
 * execlog: log executed instructions with their memory accesses and register changes.
 *
 * Arguments:
 *   ifilter=PREFIX    log only instructions whose disassembly starts with PREFIX (repeatable)
 *   afilter=ADDR      log only the instruction at virtual address ADDR, hex (repeatable)
 *   reg=GLOB          track registers whose name matches GLOB (* and ?; repeatable)
 *   rdisas=on|off     with reg=: check registers only after instructions that name one
 * Without filters every instruction is logged; with some, an instruction is logged if any one
 * selects it. One line per logged instruction:
 *     <vcpu>, 0x<vaddr>, 0x<opcode>, "<disassembly>"
 * followed by ", load" or ", store" and ", 0x<physical address>, <device>" per access, and by
 * ", <reg> -> 0x<new value>" per tracked register the instruction changed. A line is printed
 * when the vCPU starts its next logged or register-checked instruction, and at exit.
 *
 * Register tracking needs glib's array functions (the register API hands out GArray and
 * GByteArray). They are looked up in libglib-2.0.so.0 at run time, so the plugin builds without
 * glib; install fails with one line on stderr if reg= is given and glib is missing.
 */

#include <dlfcn.h>

#include <plugin.h>
#include "util.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* The public heads of glib's arrays (their documented fields). */
typedef struct {
    char *data;
    unsigned int len;
} GArrayHead;

typedef struct {
    uint8_t *data;
    unsigned int len;
} GByteArrayHead;

/* The glib functions register tracking calls, found at run time. */
static struct {
    GByteArray *(*byte_array_new)(void);
    GByteArray *(*byte_array_set_size)(GByteArray *array, unsigned int length);
    char *(*array_free)(GArray *array, int free_segment);
} glib;

typedef struct {
    struct qemu_plugin_register *handle;
    const char *name;       /* lower case */
    GByteArray *last;       /* value when last printed (or at start) */
    GByteArray *now;        /* scratch for the current read */
} Reg;

typedef struct {
    bool initialised;
    StrBuf line;            /* the logged instruction not printed yet */
    Reg *regs;
    size_t n_regs;
} Vcpu;

static struct qemu_plugin_scoreboard *vcpus;   /* Vcpu per vCPU */
static const char **ifilters;
static size_t n_ifilters;
static uint64_t *afilters;
static size_t n_afilters;
static const char **reg_globs;
static size_t n_reg_globs;
static bool rdisas;
static const char **reg_names;  /* every tracked register's name, once, for rdisas */
static size_t n_reg_names;

static Vcpu *vcpu(unsigned int vcpu_index)
{
    return (Vcpu *)qemu_plugin_scoreboard_find(vcpus, vcpu_index);
}

static bool load_glib(void)
{
    void *lib = dlopen("libglib-2.0.so.0", RTLD_NOW);
    if (lib) {
        *(void **)&glib.byte_array_new = dlsym(lib, "g_byte_array_new");
        *(void **)&glib.byte_array_set_size = dlsym(lib, "g_byte_array_set_size");
        *(void **)&glib.array_free = dlsym(lib, "g_array_free");
    }
    if (!lib || !glib.byte_array_new || !glib.byte_array_set_size || !glib.array_free) {
        fprintf(stderr, "execlog: reg= needs glib (libglib-2.0.so.0) at run time: %s\n",
                dlerror());
        return false;
    }
    return true;
}

/* glob with * and ?, as glib's pattern matching does. */
static bool glob_match(const char *pattern, const char *s)
{
    for (; *pattern; pattern++, s++) {
        if (*pattern == '*') {
            for (const char *rest = s;; rest++) {
                if (glob_match(pattern + 1, rest)) {
                    return true;
                }
                if (!*rest) {
                    return false;
                }
            }
        }
        if (!*s || (*pattern != '?' && *pattern != *s)) {
            return false;
        }
    }
    return !*s;
}

static char *lower_copy(const char *s)
{
    char *out = xstrdup(s);
    for (char *p = out; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    return out;
}

static const char *intern_reg_name(const char *name)
{
    for (size_t i = 0; i < n_reg_names; i++) {
        if (strcmp(reg_names[i], name) == 0) {
            return reg_names[i];
        }
    }
    reg_names = (const char **)xrealloc(reg_names, (n_reg_names + 1) * sizeof(*reg_names));
    reg_names[n_reg_names] = xstrdup(name);
    return reg_names[n_reg_names++];
}

/* Choose the tracked registers of a vCPU and record their starting values. */
static void track_registers(Vcpu *v)
{
    GArray *list = qemu_plugin_get_registers();
    GArrayHead *head = (GArrayHead *)list;

    if (!list) {
        return;
    }
    for (unsigned int r = 0; r < head->len; r++) {
        const qemu_plugin_reg_descriptor *d = (const qemu_plugin_reg_descriptor *)head->data + r;
        char *lower = lower_copy(d->name);
        for (size_t p = 0; p < n_reg_globs; p++) {
            if (!glob_match(reg_globs[p], d->name) && !glob_match(reg_globs[p], lower)) {
                continue;
            }
            v->regs = (Reg *)xrealloc(v->regs, (v->n_regs + 1) * sizeof(*v->regs));
            Reg *reg = &v->regs[v->n_regs++];
            reg->handle = d->handle;
            reg->name = intern_reg_name(lower);
            reg->last = glib.byte_array_new();
            reg->now = glib.byte_array_new();
            qemu_plugin_read_register(reg->handle, reg->last);
        }
        free(lower);
    }
    glib.array_free(list, 1);
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu_index)
{
    Vcpu *v = vcpu(vcpu_index);

    (void)id;
    v->initialised = true;
    sb_clear(&v->line);
    if (n_reg_globs) {
        track_registers(v);
    }
}

/* Append ", name -> 0x<value>" for each tracked register that changed since last time. */
static void append_register_changes(Vcpu *v)
{
    for (size_t i = 0; i < v->n_regs; i++) {
        Reg *reg = &v->regs[i];
        GByteArrayHead *last = (GByteArrayHead *)reg->last;
        GByteArrayHead *now = (GByteArrayHead *)reg->now;

        glib.byte_array_set_size(reg->now, 0);
        if (qemu_plugin_read_register(reg->handle, reg->now) <= 0) {
            continue;
        }
        if (now->len == last->len && memcmp(now->data, last->data, now->len) == 0) {
            continue;
        }
        sb_printf(&v->line, ", %s -> 0x", reg->name);
        for (unsigned int b = now->len; b-- > 0;) {
            sb_printf(&v->line, "%02x", now->data[b]);
        }
        GByteArray *swap = reg->last;
        reg->last = reg->now;
        reg->now = swap;
    }
}

/* Print the vCPU's pending line, first adding register changes if asked. */
static void flush_line(Vcpu *v, bool check_regs)
{
    if (!v->line.len) {
        return;
    }
    if (check_regs && v->n_regs) {
        append_register_changes(v);
    }
    qemu_plugin_outs(sb_str(&v->line));
    qemu_plugin_outs("\n");
}

static void start_line(Vcpu *v, unsigned int vcpu_index, const char *text)
{
    sb_clear(&v->line);
    sb_printf(&v->line, "%u, ", vcpu_index);
    sb_append(&v->line, text);
}

static void logged_insn(unsigned int vcpu_index, void *userdata)
{
    Vcpu *v = vcpu(vcpu_index);
    flush_line(v, false);
    start_line(v, vcpu_index, (const char *)userdata);
}

static void logged_insn_check_regs(unsigned int vcpu_index, void *userdata)
{
    Vcpu *v = vcpu(vcpu_index);
    flush_line(v, true);
    start_line(v, vcpu_index, (const char *)userdata);
}

/* An instruction that is not logged, but may have been preceded by one that changed registers. */
static void unlogged_insn_check_regs(unsigned int vcpu_index, void *userdata)
{
    Vcpu *v = vcpu(vcpu_index);

    (void)userdata;
    flush_line(v, true);
    sb_clear(&v->line);
}

static void access_done(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                        void *userdata)
{
    Vcpu *v = vcpu(vcpu_index);
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);

    (void)userdata;
    sb_append(&v->line, qemu_plugin_mem_is_store(info) ? ", store" : ", load");
    if (hw) {
        sb_printf(&v->line, ", 0x%08" PRIx64 ", %s", qemu_plugin_hwaddr_phys_addr(hw),
                  qemu_plugin_hwaddr_device_name(hw));
    } else {
        sb_printf(&v->line, ", 0x%08" PRIx64, vaddr);
    }
}

static bool selected_by_filters(const char *disas, uint64_t vaddr)
{
    for (size_t i = 0; i < n_ifilters; i++) {
        if (strncmp(disas, ifilters[i], strlen(ifilters[i])) == 0) {
            return true;
        }
    }
    for (size_t i = 0; i < n_afilters; i++) {
        if (afilters[i] == vaddr) {
            return true;
        }
    }
    return false;
}

/* rdisas: does the operand text (after the first space or tab) name a tracked register? */
static bool names_tracked_register(const char *disas)
{
    const char *operands = strpbrk(disas, " \t");
    if (!operands) {
        return false;
    }
    operands++;
    for (size_t i = 0; i < n_reg_names; i++) {
        if (strstr(operands, reg_names[i])) {
            return true;
        }
    }
    return false;
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    bool filtering = n_ifilters || n_afilters;
    bool tracking = n_reg_globs > 0;
    bool check_this = tracking;     /* the first instruction of a block is always checked */

    (void)id;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
        char *disas = qemu_plugin_insn_disas(insn);
        const char *text = disas ? disas : "";
        bool logged = !filtering || selected_by_filters(text, vaddr);
        bool check_next = false;

        if (rdisas && tracking) {
            check_next = names_tracked_register(text);
            logged = logged || check_next;
        }

        if (logged) {
            uint32_t opcode = 0;
            StrBuf fixed = {0};     /* kept for the run: the block may run until the end */

            qemu_plugin_insn_data(insn, &opcode, sizeof(opcode));
            sb_printf(&fixed, "0x%" PRIx64 ", 0x%" PRIx32 ", \"%s\"", vaddr, opcode, text);
            qemu_plugin_register_vcpu_mem_cb(insn, access_done, QEMU_PLUGIN_CB_NO_REGS,
                                             QEMU_PLUGIN_MEM_RW, NULL);
            if (check_this) {
                qemu_plugin_register_vcpu_insn_exec_cb(insn, logged_insn_check_regs,
                                                       QEMU_PLUGIN_CB_R_REGS, fixed.str);
            } else {
                qemu_plugin_register_vcpu_insn_exec_cb(insn, logged_insn,
                                                       QEMU_PLUGIN_CB_NO_REGS, fixed.str);
            }
        } else if (check_this) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, unlogged_insn_check_regs,
                                                   QEMU_PLUGIN_CB_R_REGS, NULL);
        }

        if (rdisas && tracking) {
            check_this = check_next;
        }
        free(disas);
    }
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    for (int i = 0; i < qemu_plugin_num_vcpus(); i++) {
        Vcpu *v = vcpu((unsigned)i);
        if (v->initialised) {
            qemu_plugin_outs(sb_str(&v->line));
            qemu_plugin_outs("\n");
        }
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    (void)info;
    ifilters = (const char **)xcalloc((size_t)argc, sizeof(*ifilters));
    afilters = (uint64_t *)xcalloc((size_t)argc, sizeof(*afilters));
    reg_globs = (const char **)xcalloc((size_t)argc, sizeof(*reg_globs));
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *val;
        if (arg_key_is(opt, "ifilter", &val)) {
            ifilters[n_ifilters++] = val ? val : "";
        } else if (arg_key_is(opt, "afilter", &val)) {
            afilters[n_afilters++] = val ? strtoull(val, NULL, 16) : 0;
        } else if (arg_key_is(opt, "reg", &val)) {
            reg_globs[n_reg_globs++] = val ? val : "";
        } else if (arg_key_is(opt, "rdisas", &val)) {
            if (!arg_bool(opt, "rdisas", val, &rdisas)) {
                return -1;
            }
        } else {
            return arg_unknown(opt);
        }
    }
    if (n_reg_globs && !load_glib()) {
        return -1;
    }
    vcpus = qemu_plugin_scoreboard_new(sizeof(Vcpu));
    qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
