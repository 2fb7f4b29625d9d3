/*
 * A stand-in emulator for testing plugins without the core: it loads plugins as qemu_py will
 * (dlopen RTLD_NOW | RTLD_LOCAL, the API resolved from this executable, linked -rdynamic) and
 * replays a script of translations and executions, calling their callbacks and inline operations
 * as the specification orders them. It implements just enough of the API for the example plugins;
 * the real runtime lives in the core. Output from qemu_plugin_outs goes to stdout.
 *
 * Script, one command a line ('#' starts a comment; "..." quotes a token):
 *   smp N                         number of vCPUs (before the first plugin)
 *   plugin PATH [ARG...]          load and install a plugin
 *   init                          initialise every vCPU (init callbacks, in index order)
 *   tb NAME VADDR                 start describing a block at VADDR
 *   insn OPCODE "DISAS" [SYMBOL]  add an instruction (4 bytes each)
 *   end                           translate it: the tb_trans callbacks run now
 *   run CPU NAME [MEM...]         execute block NAME on vCPU CPU; each MEM is
 *                                 IDX:r|w:VADDR:PADDR|-:io|ram:SHIFT:VALUE[:HIGH]  an access made
 *                                 by instruction IDX after its callbacks (PADDR '-': no hwaddr),
 *                                 or IDX:set:REG:VALUE  instruction IDX sets a register
 *   idle CPU                      idle callbacks for that vCPU
 *   exit                          atexit callbacks (newest registration first)
 */

#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#ifdef HOST_WITH_GLIB
#include <glib.h>
#endif

#define MAX_PLUGINS 8
#define MAX_VCPUS 64
#define MAX_INSNS 512
#define MAX_TBS 256

static void die(const char *msg, const char *detail)
{
    fprintf(stderr, "host: %s %s\n", msg, detail ? detail : "");
    exit(2);
}

/* ---- registrations -------------------------------------------------------------------------- */

typedef struct {
    qemu_plugin_id_t id;
    qemu_plugin_vcpu_simple_cb_t init, idle;
    qemu_plugin_vcpu_tb_trans_cb_t tb_trans;
    qemu_plugin_udata_cb_t atexit;
    void *atexit_data;
    int order;              /* registration sequence for atexit, newest first */
} Plugin;

static Plugin plugins[MAX_PLUGINS];
static int n_plugins;
static int smp = 1;
static int n_vcpus_inited;
static int sequence;

static Plugin *plugin_of(qemu_plugin_id_t id)
{
    for (int i = 0; i < n_plugins; i++) {
        if (plugins[i].id == id) {
            return &plugins[i];
        }
    }
    die("unknown plugin id", NULL);
    return NULL;
}

/* ---- instrumentation ------------------------------------------------------------------------ */

typedef enum { E_CB, E_INLINE, E_COND, E_MEM_CB, E_MEM_INLINE } EntryKind;

typedef struct {
    EntryKind kind;
    qemu_plugin_vcpu_udata_cb_t cb;
    qemu_plugin_vcpu_mem_cb_t mem_cb;
    void *userdata;
    enum qemu_plugin_op op;
    enum qemu_plugin_cond cond;
    enum qemu_plugin_mem_rw rw;
    qemu_plugin_u64 entry;
    uint64_t imm;
} Entry;

typedef struct {
    Entry *items;
    int n;
} List;

struct qemu_plugin_insn {
    uint32_t opcode;
    char *disas;
    char *symbol;
    uint64_t vaddr;
    List exec;
    List mem;
};

struct qemu_plugin_tb {
    char *name;
    uint64_t vaddr;
    struct qemu_plugin_insn insns[MAX_INSNS];
    int n_insns;
    List exec;
};

static struct qemu_plugin_tb *tbs[MAX_TBS];
static int n_tbs;

static void add(List *l, Entry e)
{
    l->items = realloc(l->items, (size_t)(l->n + 1) * sizeof(Entry));
    l->items[l->n++] = e;
}

/* ---- scoreboards ---------------------------------------------------------------------------- */

struct qemu_plugin_scoreboard {
    size_t element_size;
    char *data;
};

struct qemu_plugin_scoreboard *qemu_plugin_scoreboard_new(size_t element_size)
{
    struct qemu_plugin_scoreboard *s = calloc(1, sizeof(*s));
    s->element_size = element_size;
    s->data = calloc(MAX_VCPUS, element_size);
    return s;
}

void qemu_plugin_scoreboard_free(struct qemu_plugin_scoreboard *score)
{
    if (score) {
        free(score->data);
        free(score);
    }
}

void *qemu_plugin_scoreboard_find(struct qemu_plugin_scoreboard *score, unsigned int vcpu_index)
{
    if (vcpu_index >= (unsigned)smp) {
        die("scoreboard index beyond the vCPUs", NULL);
    }
    return score->data + vcpu_index * score->element_size;
}

static uint64_t *slot(qemu_plugin_u64 e, unsigned int vcpu)
{
    return (uint64_t *)((char *)qemu_plugin_scoreboard_find(e.score, vcpu) + e.offset);
}

void qemu_plugin_u64_add(qemu_plugin_u64 e, unsigned int vcpu, uint64_t added)
{
    *slot(e, vcpu) += added;
}

uint64_t qemu_plugin_u64_get(qemu_plugin_u64 e, unsigned int vcpu)
{
    return *slot(e, vcpu);
}

void qemu_plugin_u64_set(qemu_plugin_u64 e, unsigned int vcpu, uint64_t val)
{
    *slot(e, vcpu) = val;
}

uint64_t qemu_plugin_u64_sum(qemu_plugin_u64 e)
{
    uint64_t sum = 0;
    for (int i = 0; i < n_vcpus_inited; i++) {
        sum += *slot(e, (unsigned)i);
    }
    return sum;
}

/* ---- global registrations ------------------------------------------------------------------- */

void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb)
{
    plugin_of(id)->init = cb;
}

void qemu_plugin_register_vcpu_idle_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb)
{
    plugin_of(id)->idle = cb;
}

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb)
{
    plugin_of(id)->tb_trans = cb;
}

void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata)
{
    Plugin *p = plugin_of(id);
    p->atexit = cb;
    p->atexit_data = userdata;
    p->order = ++sequence;
}

/* ---- translation-time queries and instrumentation ------------------------------------------ */

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb)
{
    return (size_t)tb->n_insns;
}

uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb)
{
    return tb->vaddr;
}

struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx)
{
    return idx < (size_t)tb->n_insns ? (struct qemu_plugin_insn *)&tb->insns[idx] : NULL;
}

size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest, size_t len)
{
    uint8_t bytes[4] = { (uint8_t)insn->opcode, (uint8_t)(insn->opcode >> 8),
                         (uint8_t)(insn->opcode >> 16), (uint8_t)(insn->opcode >> 24) };
    size_t n = len < 4 ? len : 4;
    memcpy(dest, bytes, n);
    return n;
}

size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn)
{
    (void)insn;
    return 4;
}

uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn)
{
    return insn->vaddr;
}

char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn)
{
    return strdup(insn->disas);
}

const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn)
{
    return insn->symbol;
}

void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
                                          qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata)
{
    (void)flags;
    add(&tb->exec, (Entry){ .kind = E_CB, .cb = cb, .userdata = userdata });
}

void qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(struct qemu_plugin_tb *tb,
                                                       enum qemu_plugin_op op,
                                                       qemu_plugin_u64 entry, uint64_t imm)
{
    add(&tb->exec, (Entry){ .kind = E_INLINE, .op = op, .entry = entry, .imm = imm });
}

void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata)
{
    (void)flags;
    add(&insn->exec, (Entry){ .kind = E_CB, .cb = cb, .userdata = userdata });
}

void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(struct qemu_plugin_insn *insn,
                                                         enum qemu_plugin_op op,
                                                         qemu_plugin_u64 entry, uint64_t imm)
{
    add(&insn->exec, (Entry){ .kind = E_INLINE, .op = op, .entry = entry, .imm = imm });
}

void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *userdata)
{
    (void)flags;
    add(&insn->mem, (Entry){ .kind = E_MEM_CB, .mem_cb = cb, .rw = rw, .userdata = userdata });
}

void qemu_plugin_register_vcpu_mem_inline_per_vcpu(struct qemu_plugin_insn *insn,
                                                   enum qemu_plugin_mem_rw rw,
                                                   enum qemu_plugin_op op,
                                                   qemu_plugin_u64 entry, uint64_t imm)
{
    add(&insn->mem, (Entry){ .kind = E_MEM_INLINE, .rw = rw, .op = op, .entry = entry,
                             .imm = imm });
}

/* ---- the access being reported -------------------------------------------------------------- */

struct qemu_plugin_hwaddr {
    bool is_io;
    uint64_t paddr;
};

typedef struct {
    bool store;
    uint64_t vaddr;
    bool has_hwaddr;
    struct qemu_plugin_hwaddr hw;
    unsigned shift;
    uint64_t value, high;
} Access;

static Access current;

/* Our meminfo layout (section 2.4): bits 0-2 size shift, 16-17 the rw value. */
static qemu_plugin_meminfo_t meminfo_of(const Access *a)
{
    return a->shift | ((a->store ? QEMU_PLUGIN_MEM_W : QEMU_PLUGIN_MEM_R) << 16);
}

unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info)
{
    return info & 7;
}

bool qemu_plugin_mem_is_sign_extended(qemu_plugin_meminfo_t info)
{
    return info & 8;
}

bool qemu_plugin_mem_is_big_endian(qemu_plugin_meminfo_t info)
{
    return info & 16;
}

bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info)
{
    return ((info >> 16) & 3) == QEMU_PLUGIN_MEM_W;
}

qemu_plugin_mem_value qemu_plugin_mem_get_value(qemu_plugin_meminfo_t info)
{
    qemu_plugin_mem_value v;
    memset(&v, 0, sizeof(v));
    v.type = (enum qemu_plugin_mem_value_type)(info & 7);
    switch (v.type) {
    case QEMU_PLUGIN_MEM_VALUE_U8: v.data.u8 = (uint8_t)current.value; break;
    case QEMU_PLUGIN_MEM_VALUE_U16: v.data.u16 = (uint16_t)current.value; break;
    case QEMU_PLUGIN_MEM_VALUE_U32: v.data.u32 = (uint32_t)current.value; break;
    case QEMU_PLUGIN_MEM_VALUE_U64: v.data.u64 = current.value; break;
    case QEMU_PLUGIN_MEM_VALUE_U128:
        v.data.u128.low = current.value;
        v.data.u128.high = current.high;
        break;
    }
    return v;
}

struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info, uint64_t vaddr)
{
    (void)info;
    if (vaddr != current.vaddr || !current.has_hwaddr) {
        return NULL;
    }
    return &current.hw;
}

bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *h)
{
    return h && h->is_io;
}

uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *h)
{
    return h ? h->paddr : 0;
}

const char *qemu_plugin_hwaddr_device_name(const struct qemu_plugin_hwaddr *h)
{
    return h && h->is_io ? "pl011" : "RAM";
}

/* ---- misc ----------------------------------------------------------------------------------- */

void qemu_plugin_outs(const char *string)
{
    fputs(string, stdout);
    fflush(stdout);
}

bool qemu_plugin_bool_parse(const char *name, const char *val, bool *ret)
{
    static const char *yes[] = { "on", "yes", "true", "y" }, *no[] = { "off", "no", "false", "n" };
    if (!name || !val) {
        return false;
    }
    for (int i = 0; i < 4; i++) {
        if (strcmp(val, yes[i]) == 0) {
            *ret = true;
            return true;
        }
        if (strcmp(val, no[i]) == 0) {
            *ret = false;
            return true;
        }
    }
    return false;
}

int qemu_plugin_num_vcpus(void)
{
    return n_vcpus_inited;
}

/* Registers: a few named as GDB does (one upper-case to exercise case folding), values set by
 * the script; reads need glib, so without HOST_WITH_GLIB there are none. */
static const char *const reg_names[] = { "x0", "x1", "pc", "FPSR" };
static const unsigned reg_sizes[] = { 8, 8, 8, 4 };
static uint64_t reg_values[MAX_VCPUS][4];
static unsigned int running_vcpu;

static int reg_index(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(reg_names[i], name) == 0) {
            return i;
        }
    }
    die("unknown register", name);
    return -1;
}

#ifdef HOST_WITH_GLIB
GArray *qemu_plugin_get_registers(void)
{
    GArray *list = g_array_new(TRUE, TRUE, sizeof(qemu_plugin_reg_descriptor));
    for (int i = 0; i < 4; i++) {
        qemu_plugin_reg_descriptor d = { (struct qemu_plugin_register *)(uintptr_t)(i + 1),
                                         reg_names[i], "org.gnu.gdb.aarch64.core" };
        g_array_append_val(list, d);
    }
    return list;
}

int qemu_plugin_read_register(struct qemu_plugin_register *handle, GByteArray *buf)
{
    int i = (int)(uintptr_t)handle - 1;
    uint8_t bytes[8];
    if (i < 0 || i >= 4) {
        return -1;
    }
    for (unsigned b = 0; b < reg_sizes[i]; b++) {
        bytes[b] = (uint8_t)(reg_values[running_vcpu][i] >> (8 * b));
    }
    g_byte_array_append(buf, bytes, reg_sizes[i]);
    return (int)reg_sizes[i];
}
#else
GArray *qemu_plugin_get_registers(void)
{
    return NULL;
}

int qemu_plugin_read_register(struct qemu_plugin_register *handle, GByteArray *buf)
{
    (void)handle;
    (void)buf;
    return -1;
}
#endif

/* ---- running -------------------------------------------------------------------------------- */

static bool cond_holds(enum qemu_plugin_cond c, uint64_t a, uint64_t b)
{
    switch (c) {
    case QEMU_PLUGIN_COND_ALWAYS: return true;
    case QEMU_PLUGIN_COND_EQ: return a == b;
    case QEMU_PLUGIN_COND_NE: return a != b;
    case QEMU_PLUGIN_COND_LT: return a < b;
    case QEMU_PLUGIN_COND_LE: return a <= b;
    case QEMU_PLUGIN_COND_GT: return a > b;
    case QEMU_PLUGIN_COND_GE: return a >= b;
    default: return false;
    }
}

static void run_list(const List *l, unsigned int vcpu)
{
    for (int i = 0; i < l->n; i++) {
        const Entry *e = &l->items[i];
        switch (e->kind) {
        case E_CB:
            e->cb(vcpu, e->userdata);
            break;
        case E_COND:
            if (cond_holds(e->cond, *slot(e->entry, vcpu), e->imm)) {
                e->cb(vcpu, e->userdata);
            }
            break;
        case E_INLINE:
            if (e->op == QEMU_PLUGIN_INLINE_ADD_U64) {
                *slot(e->entry, vcpu) += e->imm;
            } else {
                *slot(e->entry, vcpu) = e->imm;
            }
            break;
        default:
            break;
        }
    }
}

static void run_mem_list(const List *l, unsigned int vcpu)
{
    enum qemu_plugin_mem_rw rw = current.store ? QEMU_PLUGIN_MEM_W : QEMU_PLUGIN_MEM_R;
    for (int i = 0; i < l->n; i++) {
        const Entry *e = &l->items[i];
        if (!(e->rw & rw)) {
            continue;
        }
        if (e->kind == E_MEM_CB) {
            e->mem_cb(vcpu, meminfo_of(&current), current.vaddr, e->userdata);
        } else if (e->op == QEMU_PLUGIN_INLINE_ADD_U64) {
            *slot(e->entry, vcpu) += e->imm;
        } else {
            *slot(e->entry, vcpu) = e->imm;
        }
    }
}

static struct qemu_plugin_tb *find_tb(const char *name)
{
    for (int i = n_tbs - 1; i >= 0; i--) {
        if (strcmp(tbs[i]->name, name) == 0) {
            return tbs[i];
        }
    }
    die("no block named", name);
    return NULL;
}

static void parse_access(const char *spec, int *idx, Access *a)
{
    char rw, paddr[32], kind[8];
    unsigned long long vaddr, value = 0, high = 0;
    unsigned shift;
    memset(a, 0, sizeof(*a));
    if (sscanf(spec, "%d:%c:%llx:%31[^:]:%7[^:]:%u:%llx:%llx", idx, &rw, &vaddr, paddr, kind,
               &shift, &value, &high) < 7) {
        die("bad access", spec);
    }
    a->store = rw == 'w';
    a->vaddr = vaddr;
    a->has_hwaddr = strcmp(paddr, "-") != 0;
    a->hw.paddr = a->has_hwaddr ? strtoull(paddr, NULL, 16) : 0;
    a->hw.is_io = strcmp(kind, "io") == 0;
    a->shift = shift;
    a->value = value;
    a->high = high;
}

/* IDX:set:REG:VALUE, the instruction's effect on a register. */
static bool parse_set(const char *spec, int *idx, int *reg, uint64_t *value)
{
    char name[16];
    unsigned long long v;
    if (sscanf(spec, "%d:set:%15[^:]:%llx", idx, name, &v) != 3) {
        return false;
    }
    *reg = reg_index(name);
    *value = v;
    return true;
}

static void run_tb(unsigned int vcpu, struct qemu_plugin_tb *tb, char **accesses, int n_acc)
{
    running_vcpu = vcpu;
    run_list(&tb->exec, vcpu);
    for (int i = 0; i < tb->n_insns; i++) {
        run_list(&tb->insns[i].exec, vcpu);
        for (int k = 0; k < n_acc; k++) {
            int idx, reg;
            uint64_t value;
            Access a;
            if (parse_set(accesses[k], &idx, &reg, &value)) {
                if (idx == i) {
                    reg_values[vcpu][reg] = value;
                }
                continue;
            }
            parse_access(accesses[k], &idx, &a);
            if (idx == i) {
                current = a;
                run_mem_list(&tb->insns[i].mem, vcpu);
            }
        }
    }
}

/* Split a line into tokens; "..." groups (no escapes). */
static int tokenize(char *line, char **tok, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\n') {
            p++;
        }
        if (!*p || *p == '#') {
            break;
        }
        if (*p == '"') {
            tok[n++] = ++p;
            while (*p && *p != '"') {
                p++;
            }
        } else {
            tok[n++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
                p++;
            }
        }
        if (*p) {
            *p++ = '\0';
        }
    }
    return n;
}

static const qemu_info_t *install_info(void)
{
    static qemu_info_t info;
    info.target_name = "aarch64";
    info.version.min = 2;
    info.version.cur = 5;
    info.system_emulation = true;
    info.system.smp_vcpus = smp;
    info.system.max_vcpus = smp;
    return &info;
}

int main(int argc, char **argv)
{
    FILE *script = argc > 1 ? fopen(argv[1], "r") : stdin;
    char line[4096];
    struct qemu_plugin_tb *building = NULL;

    if (!script) {
        die("cannot open", argv[1]);
    }
    while (fgets(line, sizeof(line), script)) {
        char *tok[256];
        int n = tokenize(line, tok, 256);
        if (!n) {
            continue;
        }
        if (strcmp(tok[0], "smp") == 0) {
            smp = atoi(tok[1]);
        } else if (strcmp(tok[0], "plugin") == 0) {
            void *h = dlopen(tok[1], RTLD_NOW | RTLD_LOCAL);
            if (!h) {
                die("dlopen failed:", dlerror());
            }
            int *version = dlsym(h, "qemu_plugin_version");
            int (*install)(qemu_plugin_id_t, const qemu_info_t *, int, char **) =
                (int (*)(qemu_plugin_id_t, const qemu_info_t *, int, char **))dlsym(
                    h, "qemu_plugin_install");
            if (!version || *version != 5 || !install) {
                die("not a version-5 plugin:", tok[1]);
            }
            Plugin *p = &plugins[n_plugins++];
            p->id = 0x9e3779b97f4a7c15ull * (uint64_t)n_plugins;
            char **args = calloc((size_t)n, sizeof(char *));
            for (int i = 2; i < n; i++) {
                args[i - 2] = strdup(tok[i]);
            }
            int rc = install(p->id, install_info(), n - 2, args);
            if (rc) {
                printf("install returned %d\n", rc);
                return 1;
            }
        } else if (strcmp(tok[0], "init") == 0) {
            for (int v = 0; v < smp; v++) {
                n_vcpus_inited = v + 1;
                running_vcpu = (unsigned)v;
                for (int i = n_plugins - 1; i >= 0; i--) {
                    if (plugins[i].init) {
                        plugins[i].init(plugins[i].id, (unsigned)v);
                    }
                }
            }
        } else if (strcmp(tok[0], "tb") == 0) {
            building = calloc(1, sizeof(*building));
            building->name = strdup(tok[1]);
            building->vaddr = strtoull(tok[2], NULL, 16);
        } else if (strcmp(tok[0], "insn") == 0) {
            struct qemu_plugin_insn *insn = &building->insns[building->n_insns];
            insn->opcode = (uint32_t)strtoul(tok[1], NULL, 16);
            insn->disas = strdup(tok[2]);
            insn->symbol = n > 3 ? strdup(tok[3]) : NULL;
            insn->vaddr = building->vaddr + 4 * (uint64_t)building->n_insns++;
        } else if (strcmp(tok[0], "end") == 0) {
            for (int i = n_plugins - 1; i >= 0; i--) {
                if (plugins[i].tb_trans) {
                    plugins[i].tb_trans(plugins[i].id, building);
                }
            }
            tbs[n_tbs++] = building;
            building = NULL;
        } else if (strcmp(tok[0], "run") == 0) {
            run_tb((unsigned)atoi(tok[1]), find_tb(tok[2]), tok + 3, n - 3);
        } else if (strcmp(tok[0], "idle") == 0) {
            for (int i = n_plugins - 1; i >= 0; i--) {
                if (plugins[i].idle) {
                    plugins[i].idle(plugins[i].id, (unsigned)atoi(tok[1]));
                }
            }
        } else if (strcmp(tok[0], "exit") == 0) {
            for (;;) {
                Plugin *newest = NULL;
                for (int i = 0; i < n_plugins; i++) {
                    if (plugins[i].atexit && (!newest || plugins[i].order > newest->order)) {
                        newest = &plugins[i];
                    }
                }
                if (!newest) {
                    break;
                }
                qemu_plugin_udata_cb_t cb = newest->atexit;
                newest->atexit = NULL;
                cb(newest->id, newest->atexit_data);
            }
        } else {
            die("unknown command", tok[0]);
        }
    }
    return 0;
}
