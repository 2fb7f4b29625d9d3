/*
 * tests/plugin_compat/plugin.h: build qemu_py's example plugins for QEMU 7.2 (plugin API
 * version 1), the reference the plugin tests compare counts with.
 *
 * It declares the version-1 API QEMU 7.2 exports and, over it, the few later calls the example
 * plugins make (scoreboards, per-vCPU inline operations, the copying qemu_plugin_insn_data,
 * qemu_plugin_num_vcpus), with qemu_plugin_version = 1. Compile a plugin with
 *     cc -shared -fPIC -I tests/plugin_compat plugins/insn.c -o libinsn-v1.so
 * Only a test aid: version 1 has no per-vCPU inline operations, so the inline forms count all
 * vCPUs in vCPU 0's slot (totals are right, per-vCPU lines are not), and memory values read 0.
 *
 * Memory accesses: QEMU 7.2 splits some accesses that QEMU 10.2 (the API qemu_py implements)
 * makes as one: a general-register pair (LDP/STP/LDPSW/LDNP/STNP; LDXP/STXP/CASP of X registers:
 * two accesses each way, one since 8.1) and a Q register (LDR/STR/LDP/STP Q: two 8-byte halves
 * each). For those instructions the
 * memory callbacks and inline operations registered here act on the first piece of each group,
 * so the reference counts accesses as 10.2 does (for guests whose pair accesses do not fault
 * half-way).
 */
#ifndef QEMU_PY_PLUGIN_COMPAT_V1_H
#define QEMU_PY_PLUGIN_COMPAT_V1_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_LOCAL  __attribute__((visibility("hidden")))
#define QEMU_PLUGIN_API

typedef uint64_t qemu_plugin_id_t;
#define QEMU_PLUGIN_VERSION 1
extern QEMU_PLUGIN_EXPORT int qemu_plugin_version;

typedef struct qemu_info_t {
    const char *target_name;
    struct { int min; int cur; } version;
    bool system_emulation;
    union { struct { int smp_vcpus; int max_vcpus; } system; };
} qemu_info_t;

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv);

struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_plugin_hwaddr;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64, QEMU_PLUGIN_INLINE_STORE_U64 };
enum qemu_plugin_mem_value_type {
    QEMU_PLUGIN_MEM_VALUE_U8, QEMU_PLUGIN_MEM_VALUE_U16, QEMU_PLUGIN_MEM_VALUE_U32,
    QEMU_PLUGIN_MEM_VALUE_U64, QEMU_PLUGIN_MEM_VALUE_U128,
};

typedef uint32_t qemu_plugin_meminfo_t;
typedef void (*qemu_plugin_simple_cb_t)(qemu_plugin_id_t id);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_simple_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);

/* ---- The version-1 API of QEMU 7.2 ---- */
void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_idle_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_resume_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
                                          qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_py_v1_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                       enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw,
                       void *userdata) __asm__("qemu_plugin_register_vcpu_mem_cb");
void qemu_plugin_register_vcpu_mem_inline(struct qemu_plugin_insn *insn,
                                          enum qemu_plugin_mem_rw rw, enum qemu_plugin_op op,
                                          void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_py_v1_insn_data(const struct qemu_plugin_insn *insn)
    __asm__("qemu_plugin_insn_data");
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void *qemu_plugin_insn_haddr(const struct qemu_plugin_insn *insn);
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_sign_extended(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_big_endian(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info, uint64_t vaddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);
const char *qemu_plugin_hwaddr_device_name(const struct qemu_plugin_hwaddr *h);
int qemu_plugin_n_vcpus(void);
void qemu_plugin_outs(const char *string);
bool qemu_plugin_bool_parse(const char *name, const char *val, bool *ret);

/* ---- Later calls, over version 1 ---- */
enum { QEMU_PY_COMPAT_MAX_VCPUS = 64 };

struct qemu_plugin_scoreboard {
    char *data;
    size_t size;
};

typedef struct {
    struct qemu_plugin_scoreboard *score;
    size_t offset;
} qemu_plugin_u64;

typedef struct {
    enum qemu_plugin_mem_value_type type;
    union {
        uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;
        struct { uint64_t low; uint64_t high; } u128;
    } data;
} qemu_plugin_mem_value;

#define qemu_plugin_scoreboard_u64(score) (qemu_plugin_u64) {score, 0}
#define qemu_plugin_scoreboard_u64_in_struct(score, type, member) \
        (qemu_plugin_u64) {score, offsetof(type, member)}
#define qemu_plugin_num_vcpus qemu_plugin_n_vcpus
#define qemu_plugin_insn_data qemu_py_compat_insn_data

static inline struct qemu_plugin_scoreboard *qemu_plugin_scoreboard_new(size_t size)
{
    struct qemu_plugin_scoreboard *sb = calloc(1, sizeof(*sb));
    sb->data = calloc(QEMU_PY_COMPAT_MAX_VCPUS, size);
    sb->size = size;
    return sb;
}

static inline void qemu_plugin_scoreboard_free(struct qemu_plugin_scoreboard *sb)
{
    free(sb->data);
    free(sb);
}

static inline void *qemu_plugin_scoreboard_find(struct qemu_plugin_scoreboard *sb, unsigned int i)
{
    return sb->data + i * sb->size;
}

static inline uint64_t *qemu_py_compat_slot(qemu_plugin_u64 e, unsigned int i)
{
    return (uint64_t *)(e.score->data + i * e.score->size + e.offset);
}

static inline void qemu_plugin_u64_add(qemu_plugin_u64 e, unsigned int i, uint64_t v)
{
    *qemu_py_compat_slot(e, i) += v;
}

static inline uint64_t qemu_plugin_u64_get(qemu_plugin_u64 e, unsigned int i)
{
    return *qemu_py_compat_slot(e, i);
}

static inline void qemu_plugin_u64_set(qemu_plugin_u64 e, unsigned int i, uint64_t v)
{
    *qemu_py_compat_slot(e, i) = v;
}

static inline uint64_t qemu_plugin_u64_sum(qemu_plugin_u64 e)
{
    uint64_t total = 0;
    for (int i = 0; i < qemu_plugin_n_vcpus(); i++) {
        total += qemu_plugin_u64_get(e, (unsigned)i);
    }
    return total;
}

static inline void qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(
    struct qemu_plugin_tb *tb, enum qemu_plugin_op op, qemu_plugin_u64 e, uint64_t imm)
{
    if (op != QEMU_PLUGIN_INLINE_ADD_U64) {
        abort();
    }
    qemu_plugin_register_vcpu_tb_exec_inline(tb, op, qemu_py_compat_slot(e, 0), imm);
}

static inline void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
    struct qemu_plugin_insn *insn, enum qemu_plugin_op op, qemu_plugin_u64 e, uint64_t imm)
{
    if (op != QEMU_PLUGIN_INLINE_ADD_U64) {
        abort();
    }
    qemu_plugin_register_vcpu_insn_exec_inline(insn, op, qemu_py_compat_slot(e, 0), imm);
}

/* How many of QEMU 7.2's accesses make one of QEMU 10.2's for this instruction. */
static inline unsigned qemu_py_compat_pieces(struct qemu_plugin_insn *insn)
{
    uint32_t raw;
    memcpy(&raw, qemu_py_v1_insn_data(insn), 4);
    unsigned size = raw >> 30, v = (raw >> 26) & 1, opc = (raw >> 22) & 3;
    if (((raw >> 27) & 7) == 5) {                       /* load/store pair */
        return !v || size == 2 ? 2 : 1;
    }
    if (((raw >> 27) & 7) == 7 && v && size == 0 && opc >= 2) {
        return 2;                                       /* LDR/STR Q, every form */
    }
    if (((raw >> 27) & 7) == 3 && ((raw >> 24) & 3) == 0 && v && size == 2) {
        return 2;                                       /* LDR Q (literal) */
    }
    if (((raw >> 24) & 0x3f) == 0x08 && (raw >> 30) & 1 && !((raw >> 23) & 1) && (raw >> 21) & 1) {
        return 2;                                       /* LDXP/STXP/CASP of X registers */
    }
    return 1;
}

/* A memory callback or inline add acting on the first of each group of pieces. */
typedef struct {
    qemu_plugin_vcpu_mem_cb_t cb;
    void *userdata;
    uint64_t *slot;
    uint64_t imm;
    unsigned pieces;
    unsigned seen;
} QemuPyCompatGroup;

static inline void qemu_py_compat_group_cb(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                           uint64_t vaddr, void *userdata)
{
    QemuPyCompatGroup *g = (QemuPyCompatGroup *)userdata;
    if (g->seen++ % g->pieces) {
        return;
    }
    if (g->cb) {
        g->cb(vcpu_index, info, vaddr, g->userdata);
    } else {
        *g->slot += g->imm;
    }
}

static inline QemuPyCompatGroup *qemu_py_compat_group(unsigned pieces)
{
    QemuPyCompatGroup *g = calloc(1, sizeof(*g));
    g->pieces = pieces;
    return g;
}

static inline void qemu_py_compat_mem_cb(struct qemu_plugin_insn *insn,
                                         qemu_plugin_vcpu_mem_cb_t cb,
                                         enum qemu_plugin_cb_flags flags,
                                         enum qemu_plugin_mem_rw rw, void *userdata)
{
    unsigned pieces = qemu_py_compat_pieces(insn);
    if (pieces == 1) {
        qemu_py_v1_mem_cb(insn, cb, flags, rw, userdata);
        return;
    }
    QemuPyCompatGroup *g = qemu_py_compat_group(pieces);
    g->cb = cb;
    g->userdata = userdata;
    qemu_py_v1_mem_cb(insn, qemu_py_compat_group_cb, flags, rw, g);
}
#define qemu_plugin_register_vcpu_mem_cb qemu_py_compat_mem_cb

static inline void qemu_plugin_register_vcpu_mem_inline_per_vcpu(
    struct qemu_plugin_insn *insn, enum qemu_plugin_mem_rw rw, enum qemu_plugin_op op,
    qemu_plugin_u64 e, uint64_t imm)
{
    unsigned pieces = qemu_py_compat_pieces(insn);
    if (op != QEMU_PLUGIN_INLINE_ADD_U64) {
        abort();
    }
    if (pieces == 1) {
        qemu_plugin_register_vcpu_mem_inline(insn, rw, op, qemu_py_compat_slot(e, 0), imm);
        return;
    }
    QemuPyCompatGroup *g = qemu_py_compat_group(pieces);
    g->slot = qemu_py_compat_slot(e, 0);
    g->imm = imm;
    qemu_py_v1_mem_cb(insn, qemu_py_compat_group_cb, QEMU_PLUGIN_CB_NO_REGS, rw, g);
}

static inline size_t qemu_py_compat_insn_data(const struct qemu_plugin_insn *insn, void *dest,
                                              size_t len)
{
    size_t size = qemu_plugin_insn_size(insn);
    size_t n = len < size ? len : size;
    memcpy(dest, qemu_py_v1_insn_data(insn), n);
    return n;
}

static inline qemu_plugin_mem_value qemu_plugin_mem_get_value(qemu_plugin_meminfo_t info)
{
    qemu_plugin_mem_value v;
    memset(&v, 0, sizeof(v));
    v.type = (enum qemu_plugin_mem_value_type)qemu_plugin_mem_size_shift(info);
    return v;
}

#endif
