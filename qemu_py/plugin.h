/*
 * plugin.h: the native plugin API of qemu_py.
 *
 * Source-compatible with QEMU 10.2's plugin API, version 5: the same names, types, enum values,
 * signatures and struct layouts, so a plugin written for QEMU builds here unchanged. This header
 * needs no glib; qemu-plugin.h beside it includes glib first for plugins that use it.
 *
 * A plugin defines two symbols:
 *     QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;
 *     QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
 *                                                int argc, char **argv);
 * and calls the qemu_plugin_* functions below, which it does not link against: they are resolved
 * from the emulator when the plugin is loaded.
 *
 * Build: cc -shared -fPIC -I"$(python -m qemu_py --include)" foo.c -o libfoo.so
 * Guide: docs/plugins.md.
 */

#ifndef QEMU_PY_PLUGIN_H
#define QEMU_PY_PLUGIN_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* glib's array types appear in a few signatures. Declare them with glib's own struct tags, so
 * that including glib.h before or after this header names the same types. */
#ifndef __G_ARRAY_H__
typedef struct _GArray GArray;
typedef struct _GByteArray GByteArray;
#endif

/* QEMU_PLUGIN_EXPORT marks the two symbols the plugin provides; QEMU_PLUGIN_LOCAL hides a
 * plugin-internal symbol; QEMU_PLUGIN_API marks each function the emulator provides (the build
 * counts these markers). Only ELF hosts are supported, so there is no Windows branch. */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_LOCAL  __attribute__((visibility("hidden")))
#define QEMU_PLUGIN_API

/* Opaque, non-zero, never reused: do not assume small or sequential values. */
typedef uint64_t qemu_plugin_id_t;

/* The API version this header describes. The emulator accepts plugins declaring 2 to 5. */
#define QEMU_PLUGIN_VERSION 5
extern QEMU_PLUGIN_EXPORT int qemu_plugin_version;

/* Handed to qemu_plugin_install; valid only during that call (copy what you need).
 * LP64 layout: target_name 0, version.min 8, version.cur 12, system_emulation 16,
 * system.smp_vcpus 20, system.max_vcpus 24, size 32. */
typedef struct qemu_info_t {
    const char *target_name;        /* "aarch64" */
    struct {
        int min;                    /* oldest API version accepted */
        int cur;                    /* QEMU_PLUGIN_VERSION of the emulator */
    } version;
    bool system_emulation;          /* always true in qemu_py */
    union {
        struct {
            int smp_vcpus;          /* vCPUs at start (-smp N) */
            int max_vcpus;          /* -smp maxcpus=, defaults to smp_vcpus */
        } system;
    };
} qemu_info_t;

/* Return 0 to stay loaded, anything else to refuse. argv holds "key=value" strings (no program
 * name), valid as long as the plugin is loaded. */
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv);

/* ---- Opaque handles ------------------------------------------------------------------------ */

struct qemu_plugin_tb;          /* a block being translated: valid during its tb_trans callback */
struct qemu_plugin_insn;        /* an instruction of that block: same lifetime */
struct qemu_plugin_hwaddr;      /* physical side of an access: valid during its mem callback */
struct qemu_plugin_scoreboard;  /* per-vCPU storage: valid until freed */
struct qemu_plugin_register;    /* names a register (not a vCPU): valid for the run */

/* ---- Enums (the values are ABI) ------------------------------------------------------------ */

/* What a block, instruction or memory callback may do with the vCPU's registers. */
enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS = 0,
    QEMU_PLUGIN_CB_R_REGS = 1,
    QEMU_PLUGIN_CB_RW_REGS = 2,
};

/* Which data accesses a memory callback or inline op follows. */
enum qemu_plugin_mem_rw {
    QEMU_PLUGIN_MEM_R = 1,
    QEMU_PLUGIN_MEM_W = 2,
    QEMU_PLUGIN_MEM_RW = 3,
};

/* Which member of qemu_plugin_mem_value.data holds the value (by access size). */
enum qemu_plugin_mem_value_type {
    QEMU_PLUGIN_MEM_VALUE_U8 = 0,
    QEMU_PLUGIN_MEM_VALUE_U16 = 1,
    QEMU_PLUGIN_MEM_VALUE_U32 = 2,
    QEMU_PLUGIN_MEM_VALUE_U64 = 3,
    QEMU_PLUGIN_MEM_VALUE_U128 = 4,
};

/* Condition of a conditional callback: entry[vcpu] <cond> imm, unsigned 64-bit. */
enum qemu_plugin_cond {
    QEMU_PLUGIN_COND_NEVER = 0,
    QEMU_PLUGIN_COND_ALWAYS = 1,
    QEMU_PLUGIN_COND_EQ = 2,
    QEMU_PLUGIN_COND_NE = 3,
    QEMU_PLUGIN_COND_LT = 4,
    QEMU_PLUGIN_COND_LE = 5,
    QEMU_PLUGIN_COND_GT = 6,
    QEMU_PLUGIN_COND_GE = 7,
};

/* Inline operation on a scoreboard slot: slot += imm (wrapping) or slot = imm. */
enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64 = 0,
    QEMU_PLUGIN_INLINE_STORE_U64 = 1,
};

/* Kinds of control-flow discontinuity; a bit mask when registering. */
enum qemu_plugin_discon_type {
    QEMU_PLUGIN_DISCON_INTERRUPT = 1 << 0,   /* IRQ, FIQ, SError and their virtual forms */
    QEMU_PLUGIN_DISCON_EXCEPTION = 1 << 1,   /* synchronous exception entry */
    QEMU_PLUGIN_DISCON_HOSTCALL = 1 << 2,    /* PSCI or semihosting served by the emulator */
    QEMU_PLUGIN_DISCON_ALL = -1,
};

/* Outcome of a physical-address read or write. */
enum qemu_plugin_hwaddr_operation_result {
    QEMU_PLUGIN_HWADDR_OPERATION_OK = 0,
    QEMU_PLUGIN_HWADDR_OPERATION_ERROR = 1,
    QEMU_PLUGIN_HWADDR_OPERATION_DEVICE_ERROR = 2,
    QEMU_PLUGIN_HWADDR_OPERATION_ACCESS_DENIED = 3,
    QEMU_PLUGIN_HWADDR_OPERATION_INVALID_ADDRESS = 4,
    QEMU_PLUGIN_HWADDR_OPERATION_INVALID_ADDRESS_SPACE = 5,
};

/* ---- Value types ----------------------------------------------------------------------------- */

/* One uint64_t inside each element of a scoreboard: the element's byte offset of it. 16 bytes,
 * passed by value. Build one with the macros below. */
typedef struct {
    struct qemu_plugin_scoreboard *score;
    size_t offset;
} qemu_plugin_u64;

#define qemu_plugin_scoreboard_u64(score) (qemu_plugin_u64) {score, 0}
#define qemu_plugin_scoreboard_u64_in_struct(score, type, member) \
        (qemu_plugin_u64) {score, offsetof(type, member)}

/* The value a load or store carried, in host byte order, not sign-extended. 24 bytes, data at
 * offset 8; 16-byte accesses fill u128 (low half first). */
typedef struct {
    enum qemu_plugin_mem_value_type type;
    union {
        uint8_t u8;
        uint16_t u16;
        uint32_t u32;
        uint64_t u64;
        struct {
            uint64_t low;
            uint64_t high;
        } u128;
    } data;
} qemu_plugin_mem_value;

/* One entry of qemu_plugin_get_registers(): handle for read/write, GDB name, GDB feature.
 * 24 bytes; the strings belong to the emulator. */
typedef struct {
    struct qemu_plugin_register *handle;
    const char *name;
    const char *feature;
} qemu_plugin_reg_descriptor;

/* Describes one memory access; decode it only with the qemu_plugin_mem_* functions. */
typedef uint32_t qemu_plugin_meminfo_t;

/* ---- Callback types -------------------------------------------------------------------------- */
/* Block, instruction and memory callbacks get no plugin id: pass what you need as userdata. */

typedef void (*qemu_plugin_simple_cb_t)(qemu_plugin_id_t id);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_simple_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_discon_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index,
                                             enum qemu_plugin_discon_type type,
                                             uint64_t from_pc, uint64_t to_pc);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);
typedef void (*qemu_plugin_vcpu_syscall_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index,
                                              int64_t num, uint64_t a1, uint64_t a2,
                                              uint64_t a3, uint64_t a4, uint64_t a5,
                                              uint64_t a6, uint64_t a7, uint64_t a8);
typedef void (*qemu_plugin_vcpu_syscall_ret_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_idx,
                                                  int64_t num, int64_t ret);

/* ---- Global events: one callback per plugin and event; again replaces, NULL removes --------- */

/* Each vCPU once, in index order, before its first instruction. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);

/* A vCPU is destroyed (vCPUs live as long as the machine, so not in a normal run). */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_exit_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);

/* A vCPU stops being runnable (powered off, WFI/WFE with nothing pending, CPU_OFF). */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_idle_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);

/* An idle vCPU becomes runnable again. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_resume_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);

/* After an interrupt, exception or host call has redirected the vCPU; type is a mask. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_discon_cb(qemu_plugin_id_t id, enum qemu_plugin_discon_type type,
                                         qemu_plugin_vcpu_discon_cb_t cb);

/* Each translation of a block, before it first runs: the place to attach instrumentation. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);

/* User-mode only: accepted, never fires in system emulation. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_syscall_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_syscall_cb_t cb);

/* User-mode only: accepted, never fires in system emulation. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_syscall_ret_cb(qemu_plugin_id_t id,
                                              qemu_plugin_vcpu_syscall_ret_cb_t cb);

/* All translations were discarded (no vCPU is executing). */
QEMU_PLUGIN_API
void qemu_plugin_register_flush_cb(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb);

/* Once, when the run ends: print reports here. */
QEMU_PLUGIN_API
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);

/* Not a registration: calls cb(id, i) now for every initialised vCPU, in index order. */
QEMU_PLUGIN_API
void qemu_plugin_vcpu_for_each(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);

/* ---- Translation time: queries on the handles of the current tb_trans callback -------------- */

QEMU_PLUGIN_API
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);

/* Virtual address of the block's first instruction. */
QEMU_PLUGIN_API
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

/* NULL when idx is past the last instruction. */
QEMU_PLUGIN_API
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);

/* Copies up to len bytes of the instruction in guest memory order; returns the count copied.
 * (Version 2 returned a pointer instead: plugins built for 2 must be rebuilt.) */
QEMU_PLUGIN_API
size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest, size_t len);

/* Bytes in the instruction: 4 for A64. */
QEMU_PLUGIN_API
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

QEMU_PLUGIN_API
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

/* A stable identity of the instruction's physical location (not readable memory), or NULL. */
QEMU_PLUGIN_API
void *qemu_plugin_insn_haddr(const struct qemu_plugin_insn *insn);

/* Capstone's text, "mnemonic operands"; a new string the caller frees (g_free or free). */
QEMU_PLUGIN_API
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);

/* Name of the guest function holding the instruction, or NULL; owned by the emulator. */
QEMU_PLUGIN_API
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);

/* ---- Translation time: instrumentation, run on every execution of the block ---------------- */
/* Each block and each instruction keeps one list run in registration order; the block's list
 * runs before its first instruction's. */

/* cb at the start of each execution of the block. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
                                          qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);

/* As above, only when entry[vcpu] <cond> imm holds at that point. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_tb_exec_cond_cb(struct qemu_plugin_tb *tb,
                                               qemu_plugin_vcpu_udata_cb_t cb,
                                               enum qemu_plugin_cb_flags flags,
                                               enum qemu_plugin_cond cond,
                                               qemu_plugin_u64 entry, uint64_t imm,
                                               void *userdata);

/* Inline op on the running vCPU's slot at each block start. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(struct qemu_plugin_tb *tb,
                                                       enum qemu_plugin_op op,
                                                       qemu_plugin_u64 entry, uint64_t imm);

/* cb before the instruction executes (it fires even if the instruction then faults). */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);

/* Conditional form of the above; note flags comes before cond. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_insn_exec_cond_cb(struct qemu_plugin_insn *insn,
                                                 qemu_plugin_vcpu_udata_cb_t cb,
                                                 enum qemu_plugin_cb_flags flags,
                                                 enum qemu_plugin_cond cond,
                                                 qemu_plugin_u64 entry, uint64_t imm,
                                                 void *userdata);

/* Inline op before the instruction executes. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(struct qemu_plugin_insn *insn,
                                                         enum qemu_plugin_op op,
                                                         qemu_plugin_u64 entry, uint64_t imm);

/* cb after each successful data access of the instruction that matches rw. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
                                      qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *userdata);

/* Inline op after each successful access that matches rw. */
QEMU_PLUGIN_API
void qemu_plugin_register_vcpu_mem_inline_per_vcpu(struct qemu_plugin_insn *insn,
                                                   enum qemu_plugin_mem_rw rw,
                                                   enum qemu_plugin_op op,
                                                   qemu_plugin_u64 entry, uint64_t imm);

/* ---- Scoreboards: one zeroed element per vCPU ------------------------------------------------ */

QEMU_PLUGIN_API
struct qemu_plugin_scoreboard *qemu_plugin_scoreboard_new(size_t element_size);

QEMU_PLUGIN_API
void qemu_plugin_scoreboard_free(struct qemu_plugin_scoreboard *score);

/* Address of that vCPU's element. Don't keep it across API calls that may add vCPUs. */
QEMU_PLUGIN_API
void *qemu_plugin_scoreboard_find(struct qemu_plugin_scoreboard *score, unsigned int vcpu_index);

QEMU_PLUGIN_API
void qemu_plugin_u64_add(qemu_plugin_u64 entry, unsigned int vcpu_index, uint64_t added);

QEMU_PLUGIN_API
uint64_t qemu_plugin_u64_get(qemu_plugin_u64 entry, unsigned int vcpu_index);

QEMU_PLUGIN_API
void qemu_plugin_u64_set(qemu_plugin_u64 entry, unsigned int vcpu_index, uint64_t val);

/* Sum of the slot over all vCPUs started so far. */
QEMU_PLUGIN_API
uint64_t qemu_plugin_u64_sum(qemu_plugin_u64 entry);

/* ---- Inside a memory callback: what the access was ----------------------------------------- */

/* log2 of the access size in bytes (0..4). */
QEMU_PLUGIN_API
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);

QEMU_PLUGIN_API
bool qemu_plugin_mem_is_sign_extended(qemu_plugin_meminfo_t info);

/* As the guest saw it: false for a little-endian guest. */
QEMU_PLUGIN_API
bool qemu_plugin_mem_is_big_endian(qemu_plugin_meminfo_t info);

QEMU_PLUGIN_API
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);

/* The value loaded or stored by this access. */
QEMU_PLUGIN_API
qemu_plugin_mem_value qemu_plugin_mem_get_value(qemu_plugin_meminfo_t info);

/* Physical side of the current access (pass the callback's own vaddr); NULL if misused. */
QEMU_PLUGIN_API
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info, uint64_t vaddr);

/* A device (MMIO) access rather than RAM. */
QEMU_PLUGIN_API
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);

/* Physical address of the first byte; 0 for NULL. */
QEMU_PLUGIN_API
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);

/* The device's region name, or "RAM"; valid for the whole process. */
QEMU_PLUGIN_API
const char *qemu_plugin_hwaddr_device_name(const struct qemu_plugin_hwaddr *h);

/* ---- Registers of the vCPU running the callback (GDB names) -------------------------------- */

/* A new GArray of qemu_plugin_reg_descriptor; free it with g_array_free. */
QEMU_PLUGIN_API
GArray *qemu_plugin_get_registers(void);

/* Appends the register's bytes (guest order) to buf; returns how many, or -1. Needs R_REGS. */
QEMU_PLUGIN_API
int qemu_plugin_read_register(struct qemu_plugin_register *handle, GByteArray *buf);

/* Writes buf->data to the register; returns the bytes written, or -1. Needs RW_REGS. */
QEMU_PLUGIN_API
int qemu_plugin_write_register(struct qemu_plugin_register *handle, GByteArray *buf);

/* ---- Guest memory, on behalf of the vCPU running the callback ------------------------------ */

/* Debug read of len bytes through the current translation into data (resized); no guest fault. */
QEMU_PLUGIN_API
bool qemu_plugin_read_memory_vaddr(uint64_t addr, GByteArray *data, size_t len);

/* Debug write of all of data through the current translation. */
QEMU_PLUGIN_API
bool qemu_plugin_write_memory_vaddr(uint64_t addr, GByteArray *data);

/* Read len bytes at a physical address; devices are accessed as the guest would. */
QEMU_PLUGIN_API
enum qemu_plugin_hwaddr_operation_result
qemu_plugin_read_memory_hwaddr(uint64_t addr, GByteArray *data, size_t len);

/* Write all of data at a physical address. */
QEMU_PLUGIN_API
enum qemu_plugin_hwaddr_operation_result
qemu_plugin_write_memory_hwaddr(uint64_t addr, GByteArray *data);

/* Physical address of vaddr in the current translation regime; false if unmapped. */
QEMU_PLUGIN_API
bool qemu_plugin_translate_vaddr(uint64_t vaddr, uint64_t *hwaddr);

/* ---- Control --------------------------------------------------------------------------------- */

/* Drop all of this plugin's callbacks and instrumentation, then call cb(id). Asynchronous:
 * callbacks may still arrive until cb runs. */
QEMU_PLUGIN_API
void qemu_plugin_reset(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb);

/* As reset, then unload the plugin and call cb(id). Never from qemu_plugin_install. */
QEMU_PLUGIN_API
void qemu_plugin_uninstall(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb);

/* The first caller gets a handle for qemu_plugin_update_ns; later callers get NULL. */
QEMU_PLUGIN_API
const void *qemu_plugin_request_time_control(void);

/* With the handle: move the virtual clock forward to time ns since machine start. */
QEMU_PLUGIN_API
void qemu_plugin_update_ns(const void *handle, int64_t time);

/* ---- Output and argument parsing ------------------------------------------------------------ */

/* Writes string as is (no newline added) to the plugin log: stderr, or the -D file. */
QEMU_PLUGIN_API
void qemu_plugin_outs(const char *string);

/* Parses val as on/yes/true/y or off/no/false/n into *ret; false if it is neither. */
QEMU_PLUGIN_API
bool qemu_plugin_bool_parse(const char *name, const char *val, bool *ret);

/* ---- Miscellaneous -------------------------------------------------------------------------- */

/* vCPUs started so far: 0 during install. */
QEMU_PLUGIN_API
int qemu_plugin_num_vcpus(void);

/* User-mode only: NULL in system emulation. */
QEMU_PLUGIN_API
const char *qemu_plugin_path_to_binary(void);

/* User-mode only: 0 in system emulation. */
QEMU_PLUGIN_API
uint64_t qemu_plugin_start_code(void);

/* User-mode only: 0 in system emulation. */
QEMU_PLUGIN_API
uint64_t qemu_plugin_end_code(void);

/* User-mode only: 0 in system emulation. */
QEMU_PLUGIN_API
uint64_t qemu_plugin_entry_code(void);

#ifdef __cplusplus
}
#endif

#endif /* QEMU_PY_PLUGIN_H */
