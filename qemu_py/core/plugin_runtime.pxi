# The native plugin runtime: the plugins' registrations, the translation pass that shows a block
# to them and rebuilds it with their instrumentation, the instrumentation records the
# interpreter runs, memory-access reporting, and the vCPU events. The qemu_plugin_* functions
# themselves are in plugin_api.pxi; loading is Python's (qemu_py/plugins.py).
#
# Everything here is C: plugin callbacks are called through their function pointers, without
# the GIL, and no API function enters Python. vCPUs run on one host thread, so one global state
# (g_rt) describes "the callback running now".
#
# Instrumentation is stored as extra Insn records in the block, each carrying the pc of the
# instruction it belongs to and placed before it (QEMU calls instruction callbacks before the
# instruction): the block's own list first, then for each instruction its list, then, if it
# has memory instrumentation, MEM_ON / the instruction / MEM_OFF. MEM_ON points the vCPU's TLB
# set at the always-miss set, so every access of that instruction takes the slow path, which
# does the real access through the real set and then reports it; MEM_OFF (or any exception
# entry, which resets the set with the EL) ends it. Uninstrumented blocks and uninstrumented
# accesses run exactly as without plugins.

from libc.stdlib cimport malloc, calloc, realloc, free
from libc.stddef cimport size_t
from libc.string cimport memcpy, memset, strlen
from libc.stdio cimport fprintf, stderr, snprintf
from libc.stdint cimport uintptr_t
from posix.unistd cimport write
from posix.dlfcn cimport dlopen, dlsym, RTLD_NOW, RTLD_LOCAL

cdef extern from "<dlfcn.h>":
    int RTLD_NOLOAD

cdef extern from "<stdbool.h>":
    ctypedef bint c_bool "bool"

cdef extern from "plugin_exports.h":
    ctypedef uint64_t qemu_plugin_id_t
    cdef struct qemu_plugin_tb
    cdef struct qemu_plugin_insn
    cdef struct qemu_plugin_hwaddr
    cdef struct qemu_plugin_scoreboard
    cdef struct qemu_plugin_register
    ctypedef struct GArray
    ctypedef struct GByteArray
    ctypedef struct QpByteArray:
        uint8_t* data
        unsigned int len

    cdef enum qemu_plugin_cb_flags:
        QEMU_PLUGIN_CB_NO_REGS
        QEMU_PLUGIN_CB_R_REGS
        QEMU_PLUGIN_CB_RW_REGS
    cdef enum qemu_plugin_mem_rw:
        QEMU_PLUGIN_MEM_R
        QEMU_PLUGIN_MEM_W
        QEMU_PLUGIN_MEM_RW
    cdef enum qemu_plugin_mem_value_type:
        QEMU_PLUGIN_MEM_VALUE_U8
        QEMU_PLUGIN_MEM_VALUE_U16
        QEMU_PLUGIN_MEM_VALUE_U32
        QEMU_PLUGIN_MEM_VALUE_U64
        QEMU_PLUGIN_MEM_VALUE_U128
    cdef enum qemu_plugin_cond:
        QEMU_PLUGIN_COND_NEVER
        QEMU_PLUGIN_COND_ALWAYS
        QEMU_PLUGIN_COND_EQ
        QEMU_PLUGIN_COND_NE
        QEMU_PLUGIN_COND_LT
        QEMU_PLUGIN_COND_LE
        QEMU_PLUGIN_COND_GT
        QEMU_PLUGIN_COND_GE
    cdef enum qemu_plugin_op:
        QEMU_PLUGIN_INLINE_ADD_U64
        QEMU_PLUGIN_INLINE_STORE_U64
    cdef enum qemu_plugin_discon_type:
        QEMU_PLUGIN_DISCON_INTERRUPT
        QEMU_PLUGIN_DISCON_EXCEPTION
        QEMU_PLUGIN_DISCON_HOSTCALL
        QEMU_PLUGIN_DISCON_ALL
    cdef enum qemu_plugin_hwaddr_operation_result:
        QEMU_PLUGIN_HWADDR_OPERATION_OK
        QEMU_PLUGIN_HWADDR_OPERATION_ERROR
        QEMU_PLUGIN_HWADDR_OPERATION_DEVICE_ERROR
        QEMU_PLUGIN_HWADDR_OPERATION_ACCESS_DENIED
        QEMU_PLUGIN_HWADDR_OPERATION_INVALID_ADDRESS
        QEMU_PLUGIN_HWADDR_OPERATION_INVALID_ADDRESS_SPACE

    ctypedef struct qemu_plugin_u64:
        qemu_plugin_scoreboard* score
        size_t offset
    ctypedef struct _qp_u128 "struct _qp_u128_unused":
        uint64_t low
        uint64_t high
    ctypedef union _qp_mem_data "union _qp_mem_data_unused":
        uint8_t u8
        uint16_t u16
        uint32_t u32
        uint64_t u64
        _qp_u128 u128
    ctypedef struct qemu_plugin_mem_value:
        qemu_plugin_mem_value_type type
        _qp_mem_data data
    ctypedef struct qemu_plugin_reg_descriptor:
        qemu_plugin_register* handle
        const char* name
        const char* feature
    ctypedef uint32_t qemu_plugin_meminfo_t

    ctypedef void (*qemu_plugin_simple_cb_t)(qemu_plugin_id_t id) noexcept nogil
    ctypedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void* userdata) noexcept nogil
    ctypedef void (*qemu_plugin_vcpu_simple_cb_t)(qemu_plugin_id_t id,
                                                  unsigned int vcpu_index) noexcept nogil
    ctypedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
                                                 void* userdata) noexcept nogil
    ctypedef void (*qemu_plugin_vcpu_discon_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index,
                                                  qemu_plugin_discon_type type,
                                                  uint64_t from_pc, uint64_t to_pc) noexcept nogil
    ctypedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
                                                    qemu_plugin_tb* tb) noexcept nogil
    ctypedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index,
                                               qemu_plugin_meminfo_t info, uint64_t vaddr,
                                               void* userdata) noexcept nogil
    ctypedef void (*qemu_plugin_vcpu_syscall_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index,
                                                   int64_t num, uint64_t a1, uint64_t a2,
                                                   uint64_t a3, uint64_t a4, uint64_t a5,
                                                   uint64_t a6, uint64_t a7,
                                                   uint64_t a8) noexcept nogil
    ctypedef void (*qemu_plugin_vcpu_syscall_ret_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_idx,
                                                       int64_t num, int64_t ret) noexcept nogil


# Which plugin hooks are live (Mach.plugin_mask), so the core's hook points cost one test.
cdef enum:
    PM_WHOLE_BLOCKS = 1     # plugins are loaded: blocks run whole, as QEMU runs them
    PM_TRANS = 2            # a tb_trans callback exists: blocks go through the plugins
    PM_DISCON = 4           # discontinuity callbacks
    PM_IDLE = 8             # idle or resume callbacks
    PM_FLUSH = 16           # flush callbacks

# Discontinuity kinds as the core reports them (the API's mask bits).
cdef enum:
    DISCON_INTERRUPT = 1
    DISCON_EXCEPTION = 2
    DISCON_HOSTCALL = 4

# The TLB set no access ever hits (types.pxi: CPU.tlb).
cdef enum:
    TLB_WATCH = 2

# Global events, one callback per plugin each.
cdef enum:
    EVT_INIT = 0
    EVT_EXIT = 1
    EVT_IDLE = 2
    EVT_RESUME = 3
    EVT_TB_TRANS = 4
    EVT_SYSCALL = 5
    EVT_SYSCALL_RET = 6
    EVT_FLUSH = 7
    EVT_ATEXIT = 8
    EVT_DISCON_INT = 9
    EVT_DISCON_EXC = 10
    EVT_DISCON_HOST = 11
    NEVT = 12

cdef enum:
    MAX_PLUGINS = 64

# Plugin slot states. Slots are never reused (ids are never reused).
cdef enum:
    PS_FREE = 0
    PS_INSTALLING = 1
    PS_ACTIVE = 2
    PS_LEAVING = 3          # uninstall in progress: its requests are ignored
    PS_GONE = 4

cdef enum:
    PEND_RESET = 1
    PEND_UNINSTALL = 2

# What kind of code is running, for the API's context rules (plugin-api.md §3.0).
cdef enum:
    CTX_NONE = 0            # outside any callback (Python, between runs)
    CTX_INSTALL = 1
    CTX_VCPU = 2            # init/exit/idle/resume/discon, block and instruction callbacks
    CTX_TRANS = 3           # tb_trans (also a vCPU context)
    CTX_MEM = 4             # memory callback (also a vCPU context)
    CTX_ATEXIT = 5
    CTX_FLUSH = 6

cdef struct PluginSlot:
    uint64_t id
    uint32_t state
    uint32_t internal       # the library's Python hooks (pyhooks.pxi), not a loaded plugin
    uint32_t pending        # PEND_* requests waiting for the end of the block
    void* cb[NEVT]
    void* atexit_udata
    void* reset_cb
    void* uninstall_cb

cdef struct EventList:
    uint32_t n
    uint32_t slot[MAX_PLUGINS]      # newest registration first

cdef struct Ctx:
    uint32_t kind
    uint32_t level          # register access: QEMU_PLUGIN_CB_*
    CPU* cpu

# One registration made during tb_trans, kept until the block is rebuilt.
cdef enum:
    RK_CB = 0
    RK_COND = 1
    RK_INLINE = 2
    RK_MEM_CB = 3
    RK_MEM_INLINE = 4
    RK_FOLDED = 5           # an instruction's inline add moved to the block start
    RK_PYHOOK = 6           # a library Python hook: a PYHOOK record (pyhooks.pxi)

# Inline adds of a block's instructions folded into one add per slot at the block start
# (TB.plugin_fold): taken back on leaving the block early, from suffix[j] = what the
# instructions after j added.
cdef struct FoldGroup:
    uint8_t* base
    size_t stride
    uint64_t* suffix        # n entries

cdef struct Fold:
    uint32_t ngroups
    FoldGroup g[1]          # ngroups entries follow

cdef struct PReq:
    uint32_t target         # 0: the block, 1 + j: instruction j
    uint32_t kind
    void* cb
    void* udata
    uint32_t flags
    uint32_t cond
    uint32_t op
    uint32_t rw
    uint8_t* base           # scoreboard slot of vCPU 0
    size_t stride           # scoreboard element size
    uint64_t imm

# A conditional callback record's data.
cdef struct PCond:
    qemu_plugin_vcpu_udata_cb_t cb
    void* udata
    uint8_t* base
    size_t stride
    uint64_t imm
    uint32_t cond
    uint32_t level

# A memory instruction's instrumentation (MEM_ON points at it).
cdef enum:
    MI_SIGN = 1
    MI_CAS = 2

cdef enum:
    ME_CB = 0
    ME_ADD = 1
    ME_STORE = 2

cdef struct MemEntry:
    uint32_t kind
    uint32_t rw
    uint32_t level
    qemu_plugin_vcpu_mem_cb_t cb
    void* udata
    uint8_t* base
    size_t stride
    uint64_t imm

# How a plain load or store is reported without watching its accesses (MemInstr.direct).
cdef enum:
    DM_ON = 1               # reported from the registers around the instruction
    DM_STORE = 2            # a store (else a load)
    DM_REG = 4              # address base + index (LSL/UXTX/SXTX); else base + off
    DM_UXTW = 8             # address base + UXTW index
    DM_SXTW = 16            # address base + SXTW index
    DM_PAIR32 = 32          # LDP/STP of W registers: one 8-byte access
    DM_PAIR64 = 64          # LDP/STP of X registers: one 16-byte access
    DM_ONE_CB = 128         # its only entry is a callback (the common case: called inline)
    DM_BEFORE = 256         # address and values must be read before the instruction (which
                            # overwrites what they come from)
    DM_ONE_ADD = 512        # its only entry is an inline add (done inline)

cdef struct MemInstr:
    uint32_t n
    uint32_t unit           # QEMU's access size when the core splits it (pairs, Q): 0 = none
    uint32_t flags          # MI_SIGN: sign-extending load; MI_CAS: compare and swap
    uint32_t raw            # the instruction's encoding
    uint32_t direct         # DM_* bits, 0: the accesses are watched through the TLB
    uint32_t info           # direct: the meminfo word (fixed by the encoding)
    uint64_t mask           # direct, one register: the access's value mask
    int64_t off             # direct, base + offset forms: the offset (0 for post-index)
    MemEntry e[1]           # n entries follow

# The access being reported (what a memory callback may ask about). Its physical side is
# worked out when a callback asks for it (qemu_plugin_get_hwaddr).
cdef struct Access:
    uint64_t va
    uint64_t pa
    uint64_t lo, hi         # the value, unless twin is set: then pl_twin_value works it out
    Insn* twin
    uint32_t is_io
    uint32_t unpriv
    uint32_t pa_known
    CPU* cpu
    Region* region

# What a compare-and-swap reported so far (QEMU reports its write even when the compare fails).
cdef struct CasSeen:
    uint64_t va
    uint32_t read_len
    uint32_t wrote
    uint32_t unpriv

# A direct access's address and stored values, read before its instruction (DM_BEFORE).
cdef struct DirectSaved:
    uint64_t va
    uint64_t lo, hi

# Pieces of one QEMU-sized access the core made in parts.
cdef struct Pending:
    uint64_t va
    uint64_t lo, hi
    uint32_t len
    uint32_t store
    uint32_t unpriv

cdef struct Scoreboard:     # 16 bytes: a handle, less 16, is its byte offset in PluginRT.sb
    uint8_t* data
    uint32_t elem_size
    uint32_t in_code        # named by instrumentation: freeing it discards translations

cdef struct TransCtx:
    uint32_t active
    uint64_t gen
    CPU* cpu
    Insn* insns
    uint32_t n
    uint64_t vaddr
    uint64_t paddr
    PReq* reqs
    uint32_t nreqs
    uint32_t cap

cdef struct PluginRT:
    Mach* mach
    uint32_t nvcpus_max     # scoreboard capacity (-smp maxcpus)
    uint32_t smp
    uint32_t num_vcpus      # vCPUs initialised so far
    PluginSlot slots[MAX_PLUGINS]
    uint32_t nslots
    EventList ev[NEVT]
    Ctx ctx
    uint32_t fatal
    char fatal_msg[512]
    uint32_t uninstall_in_install
    uint32_t pending_any
    uint32_t any_folded     # some block was built with folded inline adds
    uint32_t atexit_done
    uint32_t started
    int outs_fd
    uint32_t time_handle_given
    uint8_t vcpu_idle[MAX_CPUS]     # 1: reported idle (resume due when it runs again)
    uint8_t vcpu_init[MAX_CPUS]
    # memory reporting
    MemInstr* mem
    Access acc
    DirectSaved dsave
    Pending pend
    CasSeen cas
    # scoreboards by handle
    Scoreboard* sb          # by handle index; data NULL once freed
    uint32_t nsb
    uintptr_t sb_bytes      # nsb * sizeof(Scoreboard), kept for pl_sb_slot's one compare
    uint32_t sb_cap
    uint8_t** sb_dead
    uint32_t nsb_dead
    # translation pass
    TransCtx trans
    # capstone (the C library inside the capstone package) and guest symbols
    void* cs_disasm_fn
    void* cs_free_fn
    size_t cs_handle
    uint32_t cs_lazy        # capstone is opened at the first insn_disas (plugin_api.pxi)
    uint32_t cs_mnem_off, cs_opstr_off
    uint32_t nsyms
    uint64_t* sym_start
    uint64_t* sym_end
    char** sym_name
    # glib, looked up at first need
    uint32_t glib_state     # 0 not tried, 1 ready, 2 missing
    void* g_array_new
    void* g_array_append_vals
    void* g_byte_array_set_size
    void* g_byte_array_append

cdef PluginRT g_rt


# ---- Fatal misuse ---------------------------------------------------------------------------

cdef void plugin_fatal(const char* fn, const char* reason) noexcept nogil:
    # A misuse QEMU would stop on: remember the first, stop the run before the next block and
    # make no more plugin callbacks (plugin-api.md §3.0).
    if g_rt.fatal:
        return
    g_rt.fatal = 1
    snprintf(g_rt.fatal_msg, sizeof(g_rt.fatal_msg), "plugin API misuse: %s: %s", fn, reason)
    if g_rt.mach != NULL and g_rt.mach.stop_reason == STOP_NONE:
        g_rt.mach.stop_reason = STOP_PLUGIN


cdef inline bint pl_in_vcpu_ctx() noexcept nogil:
    return (g_rt.ctx.kind == CTX_VCPU or g_rt.ctx.kind == CTX_TRANS or g_rt.ctx.kind == CTX_MEM) \
        and g_rt.ctx.cpu != NULL


# ---- Plugins and their global callbacks ----------------------------------------------------

cdef int pl_slot_of(uint64_t id, const char* fn) noexcept nogil:
    """The slot of a loaded plugin; -1 if it is being uninstalled (its requests are ignored).
    An unknown id is a fatal misuse (-2)."""
    cdef uint32_t s
    for s in range(g_rt.nslots):
        if g_rt.slots[s].id == id:
            if g_rt.slots[s].state == PS_INSTALLING or g_rt.slots[s].state == PS_ACTIVE:
                return <int>s
            if g_rt.slots[s].state == PS_LEAVING:
                return -1
    plugin_fatal(fn, "unknown plugin id")
    return -2


cdef bint pl_native_loaded() noexcept nogil:
    # A plugin is loaded (not only the library's Python hooks).
    cdef uint32_t s
    for s in range(g_rt.nslots):
        if not g_rt.slots[s].internal and (g_rt.slots[s].state == PS_INSTALLING
                                           or g_rt.slots[s].state == PS_ACTIVE):
            return True
    return False


cdef void pl_update_mask() noexcept nogil:
    cdef Mach* m = g_rt.mach
    cdef uint32_t mask = 0
    if m == NULL:
        return
    if pl_native_loaded():
        mask = PM_WHOLE_BLOCKS      # Python hooks alone keep exact instruction budgets
    if g_rt.ev[EVT_TB_TRANS].n:
        mask |= PM_TRANS
    if g_rt.ev[EVT_DISCON_INT].n or g_rt.ev[EVT_DISCON_EXC].n or g_rt.ev[EVT_DISCON_HOST].n:
        mask |= PM_DISCON
        if g_rt.any_folded and not (m.plugin_mask & PM_DISCON):
            # A discontinuity callback could see a folded block's counts mid-block.
            tb_flush(m)
            g_rt.any_folded = 0
    if g_rt.ev[EVT_IDLE].n or g_rt.ev[EVT_RESUME].n:
        mask |= PM_IDLE
    if g_rt.ev[EVT_FLUSH].n:
        mask |= PM_FLUSH
    m.plugin_mask = mask


cdef void pl_event_set(uint32_t s, uint32_t ev, void* cb) noexcept nogil:
    # Register, replace in place, or (cb NULL) remove plugin s's callback for ev.
    cdef EventList* l = &g_rt.ev[ev]
    cdef uint32_t k, j
    cdef PluginSlot* p = &g_rt.slots[s]
    if cb == NULL:
        if p.cb[ev] != NULL:
            for k in range(l.n):
                if l.slot[k] == s:
                    for j in range(k, l.n - 1):
                        l.slot[j] = l.slot[j + 1]
                    l.n -= 1
                    break
    elif p.cb[ev] == NULL:
        for j in range(l.n, 0, -1):
            l.slot[j] = l.slot[j - 1]
        l.slot[0] = s
        l.n += 1
    p.cb[ev] = cb
    pl_update_mask()


cdef void pl_register_event(uint64_t id, uint32_t ev, void* cb, const char* fn) noexcept nogil:
    cdef int s = pl_slot_of(id, fn)
    if s >= 0:
        pl_event_set(<uint32_t>s, ev, cb)


cdef inline void pl_ctx_enter(Ctx* saved, uint32_t kind, uint32_t level, CPU* c) noexcept nogil:
    saved[0] = g_rt.ctx
    g_rt.ctx.kind = kind
    g_rt.ctx.level = level
    g_rt.ctx.cpu = c


cdef inline void pl_ctx_leave(Ctx* saved) noexcept nogil:
    g_rt.ctx = saved[0]


cdef uint32_t pl_event_snapshot(uint32_t ev, uint32_t* out) noexcept nogil:
    # Callbacks may (un)register while we call them: changes count from the next event.
    cdef EventList* l = &g_rt.ev[ev]
    memcpy(out, l.slot, l.n * sizeof(uint32_t))
    return l.n


cdef void pl_fire_vcpu_event(uint32_t ev, CPU* c) noexcept nogil:
    cdef uint32_t order[MAX_PLUGINS]
    cdef uint32_t n = pl_event_snapshot(ev, order), k
    cdef Ctx saved
    cdef qemu_plugin_vcpu_simple_cb_t cb
    for k in range(n):
        cb = <qemu_plugin_vcpu_simple_cb_t>g_rt.slots[order[k]].cb[ev]
        if cb == NULL or g_rt.fatal:
            continue
        pl_ctx_enter(&saved, CTX_VCPU, QEMU_PLUGIN_CB_RW_REGS, c)
        cb(g_rt.slots[order[k]].id, c.index)
        pl_ctx_leave(&saved)


cdef void pl_fire_simple_event(uint32_t ev, uint32_t kind) noexcept nogil:
    cdef uint32_t order[MAX_PLUGINS]
    cdef uint32_t n = pl_event_snapshot(ev, order), k
    cdef Ctx saved
    cdef qemu_plugin_simple_cb_t cb
    for k in range(n):
        cb = <qemu_plugin_simple_cb_t>g_rt.slots[order[k]].cb[ev]
        if cb == NULL or g_rt.fatal:
            continue
        pl_ctx_enter(&saved, kind, QEMU_PLUGIN_CB_NO_REGS, NULL)
        cb(g_rt.slots[order[k]].id)
        pl_ctx_leave(&saved)


cdef void plugin_flush_event(Mach* m) noexcept nogil:
    # Every translation was discarded, with no vCPU executing.
    if m == g_rt.mach:
        pl_fire_simple_event(EVT_FLUSH, CTX_FLUSH)


cdef void plugin_discon(CPU* c, uint32_t kind, uint64_t from_pc, uint64_t to_pc) noexcept nogil:
    cdef uint32_t ev = EVT_DISCON_INT if kind == DISCON_INTERRUPT else \
        (EVT_DISCON_EXC if kind == DISCON_EXCEPTION else EVT_DISCON_HOST)
    cdef uint32_t order[MAX_PLUGINS]
    cdef uint32_t n, k
    cdef Ctx saved
    cdef qemu_plugin_vcpu_discon_cb_t cb
    if c.mach != g_rt.mach:
        return
    n = pl_event_snapshot(ev, order)
    for k in range(n):
        cb = <qemu_plugin_vcpu_discon_cb_t>g_rt.slots[order[k]].cb[ev]
        if cb == NULL or g_rt.fatal:
            continue
        pl_ctx_enter(&saved, CTX_VCPU, QEMU_PLUGIN_CB_RW_REGS, c)
        cb(g_rt.slots[order[k]].id, c.index, <qemu_plugin_discon_type>kind, from_pc, to_pc)
        pl_ctx_leave(&saved)


cdef void plugin_vcpu_runnable(CPU* c, bint runnable) noexcept nogil:
    # Called by the scheduler for each vCPU each round: idle when it stops being runnable,
    # resume when it becomes runnable again.
    if c.mach != g_rt.mach or not g_rt.started:
        return
    if runnable and g_rt.vcpu_idle[c.index]:
        g_rt.vcpu_idle[c.index] = 0
        pl_fire_vcpu_event(EVT_RESUME, c)
    elif not runnable and not g_rt.vcpu_idle[c.index]:
        g_rt.vcpu_idle[c.index] = 1
        pl_fire_vcpu_event(EVT_IDLE, c)


# ---- Reset and uninstall ------------------------------------------------------------------

cdef void plugin_drop_callbacks(uint32_t s) noexcept nogil:
    cdef uint32_t ev
    for ev in range(NEVT):
        if g_rt.slots[s].cb[ev] != NULL:
            pl_event_set(s, ev, NULL)
    g_rt.slots[s].atexit_udata = NULL


cdef void pl_discard_translations() noexcept nogil:
    # Drop every block; plugins still loaded see the flush. Only between blocks.
    cdef Mach* m = g_rt.mach
    if m == NULL:
        return
    tb_flush(m)
    tb_reap(m)
    plugin_flush_event(m)


cdef void plugin_do_reset(uint32_t s, bint uninstall) noexcept nogil:
    # plugin-api.md §4.7: drop callbacks and instrumentation, discard all translations (flush
    # fires), call cb(id); for uninstall the id then goes.
    cdef PluginSlot* p = &g_rt.slots[s]
    cdef qemu_plugin_simple_cb_t cb = <qemu_plugin_simple_cb_t>(
        p.uninstall_cb if uninstall else p.reset_cb)
    cdef Ctx saved
    plugin_drop_callbacks(s)
    if uninstall:
        p.state = PS_LEAVING
    pl_discard_translations()
    if cb != NULL and not g_rt.fatal:
        pl_ctx_enter(&saved, CTX_NONE, QEMU_PLUGIN_CB_NO_REGS, NULL)
        cb(p.id)
        pl_ctx_leave(&saved)
    if uninstall:
        plugin_drop_callbacks(s)
        p.state = PS_GONE


cdef void plugin_process_pending() noexcept nogil:
    """Carry out the reset and uninstall requests made from vCPU callbacks. Called between
    blocks, with no vCPU executing."""
    cdef uint32_t s, pend
    g_rt.pending_any = 0
    for s in range(g_rt.nslots):
        pend = g_rt.slots[s].pending
        if not pend:
            continue
        g_rt.slots[s].pending = 0
        if pend & PEND_RESET and g_rt.slots[s].state == PS_ACTIVE:
            plugin_do_reset(s, False)
        if pend & PEND_UNINSTALL and g_rt.slots[s].state == PS_ACTIVE:
            plugin_do_reset(s, True)


cdef void plugin_request(uint64_t id, void* cb, uint32_t what, const char* fn) noexcept nogil:
    cdef int s = pl_slot_of(id, fn)
    cdef PluginSlot* p
    if s < 0:
        return
    p = &g_rt.slots[s]
    if what == PEND_UNINSTALL and p.state == PS_INSTALLING:
        # QEMU aborts here; the loader reports it (plugin-api.md §4.2 step 6).
        g_rt.uninstall_in_install = 1
        return
    if p.pending & what:
        return                  # already requested: later requests are ignored
    if what == PEND_RESET:
        p.reset_cb = cb
    else:
        p.uninstall_cb = cb
    if pl_in_vcpu_ctx():
        p.pending |= what
        g_rt.pending_any = 1
        if g_rt.mach != NULL and g_rt.mach.stop_reason == STOP_NONE:
            g_rt.mach.stop_reason = STOP_PLUGIN
    else:
        plugin_do_reset(<uint32_t>s, what == PEND_UNINSTALL)


# ---- Scoreboards ----------------------------------------------------------------------------

cdef inline Scoreboard* pl_sb_lookup(const qemu_plugin_scoreboard* h, const char* fn) noexcept nogil:
    # Handles are (index + 1) * 16, never pointers, so a stale or foreign one is caught.
    cdef uintptr_t v = <uintptr_t>h
    cdef uintptr_t idx = (v >> 4) - 1
    if v & 15 or v == 0 or idx >= g_rt.nsb or g_rt.sb[idx].data == NULL:
        plugin_fatal(fn, "not a live scoreboard")
        return NULL
    return &g_rt.sb[idx]


cdef inline uint8_t* pl_sb_slot(qemu_plugin_u64 entry, unsigned int vcpu,
                               const char* fn) noexcept nogil:
    # The uint64_t of vCPU `vcpu` an entry names. Checked, and kept short since plugins call
    # it per event (qemu_plugin_u64_add): the handle less 16 is the entry's byte offset.
    cdef uintptr_t off = <uintptr_t>entry.score - 16
    cdef Scoreboard* sb
    if off < g_rt.sb_bytes and (off & 15) == 0 and vcpu < g_rt.nvcpus_max:
        sb = <Scoreboard*>(<char*>g_rt.sb + off)
        if sb.data != NULL and entry.offset + 8 <= sb.elem_size:
            return sb.data + vcpu * sb.elem_size + entry.offset
    return pl_sb_slot_misuse(entry, vcpu, fn)


cdef uint8_t* pl_sb_slot_misuse(qemu_plugin_u64 entry, unsigned int vcpu,
                                const char* fn) noexcept nogil:
    cdef Scoreboard* sb = pl_sb_lookup(entry.score, fn)
    if sb == NULL:
        return NULL
    if entry.offset + 8 > sb.elem_size:
        plugin_fatal(fn, "offset beyond the scoreboard element")
        return NULL
    if vcpu >= g_rt.nvcpus_max:
        plugin_fatal(fn, "vCPU index beyond the vCPUs")
        return NULL
    return sb.data + vcpu * sb.elem_size + entry.offset


cdef void pl_sb_reap() noexcept nogil:
    cdef uint32_t k
    for k in range(g_rt.nsb_dead):
        free(g_rt.sb_dead[k])
    g_rt.nsb_dead = 0


# ---- Instrumentation records ----------------------------------------------------------------

cdef inline void plugin_exec_cb(CPU* c, uint64_t pc, qemu_plugin_vcpu_udata_cb_t cb, void* udata,
                                uint32_t level) noexcept nogil:
    # Instrumentation callbacks run from the interpreter, never inside another callback, so
    # the context is simply set and cleared.
    if g_rt.fatal:
        return
    if level != QEMU_PLUGIN_CB_NO_REGS:
        c.pc = pc           # the callback may read the pc of its instruction
    g_rt.ctx.kind = CTX_VCPU
    g_rt.ctx.level = level
    g_rt.ctx.cpu = c
    cb(c.index, udata)
    g_rt.ctx.kind = CTX_NONE


cdef inline int op_PLUGIN_CB(CPU* c, Insn* i) noexcept nogil:
    # A block or instruction callback: imm2 = function, imm = userdata, cond = register access.
    plugin_exec_cb(c, i.pc, <qemu_plugin_vcpu_udata_cb_t><uintptr_t>i.imm2,
                   <void*><uintptr_t>i.imm, i.cond)
    return NEXT

cdef inline int op_PLUGIN_ADD(CPU* c, Insn* i) noexcept nogil:
    # Inline add on the vCPU's scoreboard slot: imm2 = slot of vCPU 0, raw = element size.
    (<uint64_t*>(<uintptr_t>i.imm2 + c.index * <uintptr_t>i.raw))[0] += <uint64_t>i.imm
    return NEXT

cdef inline int op_PLUGIN_STORE(CPU* c, Insn* i) noexcept nogil:
    (<uint64_t*>(<uintptr_t>i.imm2 + c.index * <uintptr_t>i.raw))[0] = <uint64_t>i.imm
    return NEXT


cdef inline void plugin_run_prologue(CPU* c, Insn* i, uint32_t n) noexcept nogil:
    # A block's entry records (TB.pro): the callbacks and inline ops registered on the block,
    # run before its first instruction. Outside the switch: a record there costs as much as
    # an average instruction, this loop (inlined into the block loop) about half as much.
    cdef Insn* end = i + n
    while i < end:
        if i.op == OP_PLUGIN_CB:
            plugin_exec_cb(c, i.pc, <qemu_plugin_vcpu_udata_cb_t><uintptr_t>i.imm2,
                           <void*><uintptr_t>i.imm, i.cond)
        elif i.op == OP_PLUGIN_ADD:
            op_PLUGIN_ADD(c, i)
        elif i.op == OP_PLUGIN_STORE:
            op_PLUGIN_STORE(c, i)
        else:
            op_PLUGIN_COND_CB(c, i)
        i += 1


cdef bint pl_cond_holds(uint32_t cond, uint64_t v, uint64_t imm) noexcept nogil:
    if cond == QEMU_PLUGIN_COND_ALWAYS:
        return True
    if cond == QEMU_PLUGIN_COND_EQ:
        return v == imm
    if cond == QEMU_PLUGIN_COND_NE:
        return v != imm
    if cond == QEMU_PLUGIN_COND_LT:
        return v < imm
    if cond == QEMU_PLUGIN_COND_LE:
        return v <= imm
    if cond == QEMU_PLUGIN_COND_GT:
        return v > imm
    if cond == QEMU_PLUGIN_COND_GE:
        return v >= imm
    return False


cdef inline int op_PLUGIN_COND_CB(CPU* c, Insn* i) noexcept nogil:
    # imm2 = PCond.
    cdef PCond* p = <PCond*><uintptr_t>i.imm2
    if pl_cond_holds(p.cond, (<uint64_t*>(p.base + c.index * p.stride))[0], p.imm):
        plugin_exec_cb(c, i.pc, p.cb, p.udata, p.level)
    return NEXT

cdef inline int op_PLUGIN_MEM(CPU* c, Insn* i) noexcept nogil:
    # An instruction whose accesses are watched. The record is followed by the instruction's
    # own record, which this runs; NEXT_SKIP tells run_insns to go on after it. imm2 = the
    # MemInstr.
    cdef int res = plugin_mem_insn(c, <MemInstr*><uintptr_t>i.imm2, i + 1)
    return NEXT_SKIP if res == NEXT else res


cdef inline int run_one(CPU* c, Insn* i) noexcept nogil:
    # One instruction's record, through the one copy of the switch (loop.pxi: run_insns).
    cdef Insn* after
    return g_run_insns(c, i, i + 1, &after)


cdef inline uint64_t pl_direct_va(CPU* c, Insn* i, uint32_t d, int64_t off) noexcept nogil:
    # The access's address from the base (and index) register; off is the offset to add,
    # chosen at translation for reading before or after the instruction (see DM_BEFORE).
    if d & (DM_REG | DM_UXTW | DM_SXTW) == 0:
        return c.x[i.rn] + <uint64_t>off
    if d & DM_REG:
        return ea_reg(c, i)
    if d & DM_UXTW:
        return ea_uxtw(c, i)
    return ea_sxtw(c, i)


# A plain load or store whose accesses are reported directly runs as its op's REPORTED twin
# (generated into the switch by tools/gen_dispatch.py): plugin_direct_before, the instruction,
# plugin_direct_after. The record is the instruction's own, with the way to its MemInstr in aux.

cdef inline MemInstr* pl_twin_mem(Insn* i) noexcept nogil:
    return <MemInstr*>(<char*>i + i.aux)

cdef inline void plugin_direct_before(CPU* c, Insn* i) noexcept nogil:
    # When the instruction overwrites the registers its address or stored values come from
    # (DM_BEFORE), keep them for plugin_direct_after.
    cdef MemInstr* mi = pl_twin_mem(i)
    if mi.direct & DM_BEFORE:
        g_rt.dsave.va = pl_direct_va(c, i, mi.direct, mi.off)
        g_rt.dsave.lo = c.x[i.rd]
        g_rt.dsave.hi = c.x[i.rt2]


cdef inline int plugin_direct_after(CPU* c, Insn* i, int res) noexcept nogil:
    # If the instruction completed (a fault reports nothing, as in QEMU), report its access:
    # the common single callback or inline add here, others through the entry list. The value
    # is worked out only when asked for (pl_twin_value).
    cdef MemInstr* mi
    cdef MemEntry* e
    cdef uint32_t d
    cdef uint64_t va, lo, hi
    if res != NEXT:
        return res
    mi = pl_twin_mem(i)
    d = mi.direct
    va = g_rt.dsave.va if d & DM_BEFORE else pl_direct_va(c, i, d, mi.off)
    if d & DM_ONE_CB:
        if not g_rt.fatal:
            pl_mem_call_twin(c, &mi.e[0], mi.info, va, i)
    elif d & DM_ONE_ADD:
        e = &mi.e[0]
        (<uint64_t*>(e.base + c.index * e.stride))[0] += e.imm
    else:
        pl_twin_value(c, i, &lo, &hi)
        pl_mem_direct_report(c, mi, i, va, lo, hi)
    return NEXT


cdef void pl_twin_value(CPU* c, Insn* i, uint64_t* lo, uint64_t* hi) noexcept nogil:
    # The value a twin's access moved: Rt (and Rt2) as the instruction left them, or as
    # plugin_direct_before kept them for a store that overwrote them. A W pair is one 8-byte
    # value, an X pair a 16-byte one.
    cdef MemInstr* mi = pl_twin_mem(i)
    cdef uint32_t d = mi.direct
    cdef uint64_t a, b
    if d & DM_BEFORE and d & DM_STORE:
        a = g_rt.dsave.lo
        b = g_rt.dsave.hi
    else:
        a = c.x[i.rd]
        b = c.x[i.rt2]
    if d & DM_PAIR32:
        a = (a & MASK32) | (b << 32)
        b = 0
    elif not (d & DM_PAIR64):
        a &= mi.mask
        b = 0
    lo[0] = a
    hi[0] = b


cdef void pl_mem_direct_report(CPU* c, MemInstr* mi, Insn* i, uint64_t va, uint64_t lo,
                               uint64_t hi) noexcept nogil:
    # The entries of a direct instruction: translation kept only those of its direction.
    cdef uint32_t k
    cdef MemEntry* e
    for k in range(mi.n):
        e = &mi.e[k]
        if e.kind == ME_CB:
            if not g_rt.fatal:
                pl_mem_call(c, i, e, mi.info, va, lo, hi, False)
        elif e.kind == ME_ADD:
            (<uint64_t*>(e.base + c.index * e.stride))[0] += e.imm
        else:
            (<uint64_t*>(e.base + c.index * e.stride))[0] = e.imm


cdef int plugin_mem_insn(CPU* c, MemInstr* mi, Insn* i) noexcept nogil:
    # Any other memory instruction: point the vCPU at the always-miss TLB set for the
    # instruction, so each of its accesses takes the slow path, which reports it; then back (an
    # exception has already done that).
    cdef int res
    g_rt.mem = mi
    if mi.unit:
        g_rt.pend.len = 0
    if mi.flags & MI_CAS:
        g_rt.cas.read_len = 0
        g_rt.cas.wrote = 0
    c.tlb_idx = TLB_WATCH
    c.tlb_idx_unpriv = TLB_WATCH
    res = run_one(c, i)
    c.tlb_idx = c.el
    c.tlb_idx_unpriv = 0
    if res != FAULT and (mi.unit or mi.flags & MI_CAS):
        if mi.unit and g_rt.pend.len:
            pl_mem_report_pending(c, i)
        if mi.flags & MI_CAS and g_rt.cas.read_len and not g_rt.cas.wrote:
            pl_mem_report_cas_write(c, i)
    return res


# ---- Memory accesses ------------------------------------------------------------------------

cdef extern from *:
    """
    #define qp_log2_size(n) ((unsigned)__builtin_ctz(n))
    """
    uint32_t qp_log2_size(uint32_t n) nogil


cdef inline uint32_t pl_size_shift(uint32_t size) noexcept nogil:
    # Access sizes are powers of two, 1 to 16.
    return qp_log2_size(size)


cdef inline void pl_mem_report(CPU* c, Insn* i, uint64_t va, uint32_t size, uint64_t lo,
                               uint64_t hi, bint store, bint unpriv) noexcept nogil:
    # One access as QEMU reports it: inline ops and callbacks of the instruction, in order.
    cdef MemInstr* mi = g_rt.mem
    cdef uint32_t rw = QEMU_PLUGIN_MEM_W if store else QEMU_PLUGIN_MEM_R
    cdef uint32_t k
    cdef MemEntry* e
    cdef uint8_t* slot
    if mi.flags & MI_CAS:
        if store:
            g_rt.cas.wrote = 1
        elif g_rt.cas.read_len == 0:
            g_rt.cas.va = va
            g_rt.cas.read_len = size
            g_rt.cas.unpriv = unpriv
    for k in range(mi.n):
        e = &mi.e[k]
        if not (e.rw & rw):
            continue
        if e.kind == ME_ADD:
            (<uint64_t*>(e.base + c.index * e.stride))[0] += e.imm
        elif e.kind == ME_STORE:
            (<uint64_t*>(e.base + c.index * e.stride))[0] = e.imm
        elif not g_rt.fatal:
            pl_mem_callback(c, i, e, va, size, lo, hi, store, unpriv)


cdef inline void pl_mem_callback(CPU* c, Insn* i, MemEntry* e, uint64_t va, uint32_t size,
                                 uint64_t lo, uint64_t hi, bint store, bint unpriv) noexcept nogil:
    cdef uint32_t info = pl_size_shift(size) | ((QEMU_PLUGIN_MEM_W if store else QEMU_PLUGIN_MEM_R) << 16)
    if g_rt.mem.flags & MI_SIGN and not store and g_rt.mem.unit == 0:
        info |= 1 << 3
    pl_mem_call(c, i, e, info, va, lo, hi, unpriv)


cdef inline void pl_mem_call_twin(CPU* c, MemEntry* e, uint32_t info, uint64_t va,
                                  Insn* twin) noexcept nogil:
    # pl_mem_call for a twin's callback, which reads no registers: the access went through the
    # EL's own TLB set, and its value stays in the registers (or the kept copy) until asked for.
    g_rt.acc.va = va
    g_rt.acc.twin = twin
    g_rt.acc.unpriv = 0
    g_rt.acc.cpu = c
    g_rt.acc.pa_known = 0
    g_rt.ctx.kind = CTX_MEM
    g_rt.ctx.level = QEMU_PLUGIN_CB_NO_REGS
    g_rt.ctx.cpu = c
    e.cb(c.index, info, va, e.udata)
    g_rt.ctx.kind = CTX_NONE


cdef inline void pl_mem_call(CPU* c, Insn* i, MemEntry* e, uint32_t info, uint64_t va,
                             uint64_t lo, uint64_t hi, bint unpriv) noexcept nogil:
    # Memory callbacks run from the interpreter, never inside another callback.
    g_rt.acc.va = va
    g_rt.acc.lo = lo
    g_rt.acc.hi = hi
    g_rt.acc.twin = NULL
    g_rt.acc.unpriv = unpriv
    g_rt.acc.cpu = c
    g_rt.acc.pa_known = 0
    if e.level != QEMU_PLUGIN_CB_NO_REGS:
        c.pc = i.pc
    g_rt.ctx.kind = CTX_MEM
    g_rt.ctx.level = e.level
    g_rt.ctx.cpu = c
    e.cb(c.index, info, va, e.udata)
    g_rt.ctx.kind = CTX_NONE


cdef void pl_mem_report_pending(CPU* c, Insn* i) noexcept nogil:
    cdef Pending p = g_rt.pend
    g_rt.pend.len = 0
    pl_mem_report(c, i, p.va, p.len, p.lo, p.hi, p.store, p.unpriv)


cdef void pl_access_physical(Access* a) noexcept nogil:
    # The access just went through the real TLB set, whose entry for va holds its page.
    cdef CPU* c = a.cpu
    cdef TLBEntry* t
    if a.pa_known or c == NULL:
        return
    t = &c.tlb[0 if a.unpriv else c.el][(a.va >> PAGE_BITS) & (TLB_SIZE - 1)]
    a.pa = t.paddr | (a.va & (PAGE_SIZE - 1))
    a.is_io = not ram_contains(c.mach, a.pa, 1)
    a.region = find_mmio(c.mach, a.pa) if a.is_io else NULL
    a.pa_known = 1


cdef void pl_mem_report_cas_write(CPU* c, Insn* i) noexcept nogil:
    # A CAS/CASP whose compare failed wrote nothing; QEMU still reports the write, with the
    # value the instruction would have stored (Rt, or the pair Rt, Rt+1).
    cdef uint32_t raw = g_rt.mem.raw
    cdef uint32_t rt = raw & 31
    cdef uint32_t n = g_rt.cas.read_len
    cdef uint64_t lo = c.x[rt] if rt != 31 else 0
    cdef uint64_t hi = 0
    if g_rt.mem.unit:
        # CASP: Rt holds the low element, Rt+1 the high one.
        if n == 8:
            lo = (lo & MASK32) | ((c.x[rt + 1] if rt + 1 < 31 else 0) << 32)
        else:
            hi = c.x[rt + 1] if rt + 1 < 31 else 0
    elif n < 8:
        lo &= (<uint64_t>1 << (8 * n)) - 1
    pl_mem_report(c, i, g_rt.cas.va, n, lo, hi, True, g_rt.cas.unpriv)


cdef inline void pl_mem_access_done(CPU* c, Insn* i, uint64_t va, uint32_t size, uint64_t val,
                                    bint store, uint32_t flags) noexcept nogil:
    # An access succeeded. Where QEMU makes one access of the pieces the core made (a register
    # pair, a Q register), gather them before reporting.
    cdef MemInstr* mi = g_rt.mem
    cdef bint unpriv = (flags & MEM_UNPRIV) != 0
    if mi.unit <= size:
        pl_mem_report(c, i, va, size, val, 0, store, unpriv)
    else:
        pl_mem_gather(c, i, va, size, val, store, unpriv)


cdef void pl_mem_gather(CPU* c, Insn* i, uint64_t va, uint32_t size, uint64_t val, bint store,
                        bint unpriv) noexcept nogil:
    cdef MemInstr* mi = g_rt.mem
    cdef Pending* p = &g_rt.pend
    if p.len and (p.store != <uint32_t>store or p.va + p.len != va or p.len + size > 16):
        pl_mem_report_pending(c, i)
    if p.len == 0:
        p.va = va
        p.lo = val
        p.hi = 0
        p.store = store
        p.unpriv = unpriv
    elif p.len < 8:
        p.lo |= val << (8 * p.len)
    else:
        p.hi |= val << (8 * (p.len - 8))
    p.len += size
    if p.len >= mi.unit:
        pl_mem_report_pending(c, i)


cdef inline uint64_t pl_host_load(size_t p, uint32_t size) noexcept nogil:
    cdef uint64_t v = 0
    if size == 8:
        memcpy(&v, <void*>p, 8)
    elif size == 4:
        memcpy(&v, <void*>p, 4)
    elif size == 2:
        memcpy(&v, <void*>p, 2)
    else:
        memcpy(&v, <void*>p, 1)
    return v


cdef inline void pl_host_store(size_t p, uint32_t size, uint64_t v) noexcept nogil:
    if size == 8:
        memcpy(<void*>p, &v, 8)
    elif size == 4:
        memcpy(<void*>p, &v, 4)
    elif size == 2:
        memcpy(<void*>p, &v, 2)
    else:
        memcpy(<void*>p, &v, 1)


cdef inline bint plugin_mem_read(CPU* c, Insn* i, uint64_t va, uint32_t size, uint32_t flags,
                                 uint64_t* out) noexcept nogil:
    # The slow path while the instruction's accesses are watched: the real access through the
    # real TLB set, then the report. A fault leaves the set as the exception made it.
    cdef TLBEntry* e = &c.tlb[0 if flags & MEM_UNPRIV else c.el][(va >> PAGE_BITS) & (TLB_SIZE - 1)]
    if e.tag_read == (va & (PAGE_MASK | (size - 1))):
        out[0] = pl_host_load(<size_t>va + e.addend, size)
    else:
        c.tlb_idx = c.el
        c.tlb_idx_unpriv = 0
        if not mem_read_miss(c, i, va, size, flags, out):
            return False
        c.tlb_idx = TLB_WATCH
        c.tlb_idx_unpriv = TLB_WATCH
    pl_mem_access_done(c, i, va, size, out[0], False, flags)
    return True


cdef inline bint plugin_mem_write(CPU* c, Insn* i, uint64_t va, uint32_t size, uint32_t flags,
                                  uint64_t val) noexcept nogil:
    cdef TLBEntry* e = &c.tlb[0 if flags & MEM_UNPRIV else c.el][(va >> PAGE_BITS) & (TLB_SIZE - 1)]
    if e.tag_write == (va & (PAGE_MASK | (size - 1))):
        pl_host_store(<size_t>va + e.addend, size, val)
    else:
        c.tlb_idx = c.el
        c.tlb_idx_unpriv = 0
        if not mem_write_miss(c, i, va, size, flags, val):
            return False
        c.tlb_idx = TLB_WATCH
        c.tlb_idx_unpriv = TLB_WATCH
    # The handlers pass whole registers: the value stored is the low `size` bytes (a pair's
    # pieces are gathered from it).
    if size < 8:
        val &= (<uint64_t>1 << (8 * size)) - 1
    pl_mem_access_done(c, i, va, size, val, True, flags)
    return True


cdef bint pl_mem_insn_shape(uint32_t raw, uint32_t* unit, uint32_t* flags) noexcept nogil:
    """Whether the encoding is a load or store (so its accesses can be watched), and how QEMU
    reports them: `unit` is the size QEMU accesses in one go where the core splits the access
    (general-register pairs are one access of twice the register size, a Q register is one
    16-byte access), `flags` MI_SIGN for a sign-extending load, MI_CAS for compare and swap."""
    cdef uint32_t size = raw >> 30
    cdef uint32_t vbit = (raw >> 26) & 1
    cdef uint32_t opc = (raw >> 22) & 3
    unit[0] = 0
    flags[0] = 0
    if ((raw >> 25) & 0b0101) != 0b0100:
        return False
    if (raw >> 27) & 7 == 0b101:
        # Load/store pair (all indexing forms and no-allocate).
        if not vbit:
            unit[0] = 8 if size == 0 or size == 1 else 16
        elif size == 2:
            unit[0] = 16                        # Q pair: two 16-byte accesses
        return True
    if (raw >> 24) & 0x3f == 0b001000:
        # Exclusives: LDXP/STXP (and acquire/release forms) are one access of both registers.
        if (raw >> 23) & 1 and (raw >> 21) & 1:
            flags[0] = MI_CAS                   # CAS, CASA, CASAL, CASL (every size)
        elif (raw >> 31) and (raw >> 21) & 1:
            unit[0] = 8 if size == 2 else 16
        elif not (raw >> 31) and (raw >> 21) & 1:
            unit[0] = 8 if size == 0 else 16    # CASP
            flags[0] = MI_CAS
        return True
    if (raw >> 27) & 7 == 0b011 and (raw >> 24) & 3 == 0:
        # Load register (literal).
        if vbit and size == 2:
            unit[0] = 16
        elif not vbit and size == 2:
            flags[0] = MI_SIGN                  # LDRSW (literal)
        return True
    if (raw >> 27) & 7 == 0b111:
        # Load/store register, every addressing form.
        if vbit:
            if size == 0 and opc >= 2:
                unit[0] = 16                    # Q register
        elif opc >= 2 and not (size == 3) and not (size == 2 and opc == 3):
            flags[0] = MI_SIGN                  # LDRSB/LDRSH/LDRSW
        return True
    return True


cdef uint32_t pl_mem_direct_shape(MemInstr* mi, Insn* r) noexcept nogil:
    """For a general-register LDR/STR (any size and addressing form) or LDP/STP, set the direct
    reporting fields of mi and return the access's direction (QEMU_PLUGIN_MEM_R or _W); 0 for
    everything else, and for loads whose writeback or second register overwrites a loaded
    value (their value would no longer be in the registers afterwards)."""
    cdef uint32_t s, m, ld, x, size = 0, mode = 0, d = 0
    cdef bint found = False, pair
    for s in range(4):
        for m in range(6):
            if LOAD_OPS[s][m] == r.op or STORE_OPS[s][m] == r.op:
                found = True
                size = 1u << s
                mode = m
                d = DM_ON | (DM_STORE if STORE_OPS[s][m] == r.op else 0)
    if found:
        if mode == MODE_REG:
            d |= DM_REG
        elif mode == MODE_UXTW:
            d |= DM_UXTW
        elif mode == MODE_SXTW:
            d |= DM_SXTW
        if not (d & DM_STORE) and (mode == MODE_PRE or mode == MODE_POST) and r.rd == r.rn:
            return 0
        mi.mask = ~(<uint64_t>0) if size == 8 else (<uint64_t>1 << (8 * size)) - 1
    else:
        for ld in range(2):
            for x in range(2):
                for m in range(4):
                    if PAIR_OPS[ld][x][m] == r.op:
                        found = True
                        size = 8u << x
                        mode = m        # 24:23: 0 no-allocate, 1 post, 2 offset, 3 pre
                        d = DM_ON | (DM_PAIR64 if x else DM_PAIR32) | (0 if ld else DM_STORE)
        if not found:
            return 0
        if not (d & DM_STORE) and (r.rd == r.rt2 or
                                   ((mode == 1 or mode == 3) and (r.rn == r.rd or r.rn == r.rt2))):
            return 0
        mode = MODE_POST if mode == 1 else (MODE_PRE if mode == 3 else MODE_IMM)
    # Read the address and values after the instruction unless it overwrites their sources: a
    # load into the base or index register, a store with writeback of its own base.
    pair = (d & (DM_PAIR32 | DM_PAIR64)) != 0
    if d & DM_STORE:
        if (mode == MODE_PRE or mode == MODE_POST) and (r.rd == r.rn or (pair and r.rt2 == r.rn)):
            d |= DM_BEFORE
    elif r.rd == r.rn or (pair and r.rt2 == r.rn) or \
            (d & (DM_REG | DM_UXTW | DM_SXTW) and (r.rd == r.rm or (pair and r.rt2 == r.rm))):
        d |= DM_BEFORE
    if d & DM_BEFORE:
        mi.off = 0 if mode == MODE_POST else r.imm
    else:
        # After a pre-index writeback the base is the address; after a post-index one it is
        # the address plus the offset.
        mi.off = r.imm if mode == MODE_IMM else (0 if mode == MODE_PRE else -r.imm)
    mi.direct = d
    mi.info = pl_size_shift(size) | ((QEMU_PLUGIN_MEM_W if d & DM_STORE else QEMU_PLUGIN_MEM_R) << 16)
    if mi.flags & MI_SIGN and not (d & DM_STORE) and mi.unit == 0:
        mi.info |= 1 << 3
    return QEMU_PLUGIN_MEM_W if d & DM_STORE else QEMU_PLUGIN_MEM_R


# ---- The translation pass --------------------------------------------------------------------

cdef inline qemu_plugin_tb* pl_trans_tb_handle() noexcept nogil:
    return <qemu_plugin_tb*><uintptr_t>(g_rt.trans.gen << 12)


cdef int pl_trans_insn_index(const qemu_plugin_insn* h, const char* fn) noexcept nogil:
    # Handles encode (translation serial, index + 1); valid only during their tb_trans.
    cdef uintptr_t v = <uintptr_t>h
    cdef uintptr_t j = v & 0xfff
    if not g_rt.trans.active or (v >> 12) != g_rt.trans.gen or j == 0 or j > g_rt.trans.n:
        plugin_fatal(fn, "instruction handle used outside the translation callback that made it")
        return -1
    return <int>(j - 1)


cdef bint pl_trans_tb_ok(const qemu_plugin_tb* h, const char* fn) noexcept nogil:
    cdef uintptr_t v = <uintptr_t>h
    if not g_rt.trans.active or (v >> 12) != g_rt.trans.gen or (v & 0xfff) != 0:
        plugin_fatal(fn, "block handle used outside the translation callback that made it")
        return False
    return True


cdef PReq* pl_trans_add(uint32_t target, uint32_t kind) noexcept nogil:
    cdef TransCtx* t = &g_rt.trans
    cdef PReq* r
    if t.nreqs == t.cap:
        t.cap = 64 if t.cap == 0 else t.cap * 2
        r = <PReq*>realloc(t.reqs, t.cap * sizeof(PReq))
        if r == NULL:
            t.cap = t.nreqs
            return NULL
        t.reqs = r
    r = &t.reqs[t.nreqs]
    t.nreqs += 1
    memset(r, 0, sizeof(PReq))
    r.target = target
    r.kind = kind
    return r


cdef inline size_t pl_align8(size_t n) noexcept nogil:
    return (n + 7) & ~(<size_t>7)


cdef TB* pl_plain_block(Insn* buf, uint32_t n) noexcept nogil:
    cdef TB* tb = <TB*>malloc(sizeof(TB) + n * sizeof(Insn))
    if tb == NULL:
        return NULL
    tb.n_recs = n
    tb.first_rec = NULL
    tb.plugin_fold = NULL
    tb.pro = NULL
    tb.n_pro = 0
    tb.insns = <Insn*>(<char*>tb + sizeof(TB))
    memcpy(tb.insns, buf, n * sizeof(Insn))
    return tb


cdef TB* plugin_translate(CPU* c, uint64_t pc, uint64_t phys_pc, Insn* buf, uint32_t n) noexcept nogil:
    """Show the decoded block to the plugins' tb_trans callbacks (newest first), then build it
    with their instrumentation records. Returns the allocated block (caller fills the key)."""
    cdef TransCtx* t = &g_rt.trans
    cdef uint32_t order[MAX_PLUGINS]
    cdef uint32_t nplug, k, j, q, r, nrec, nmem_insns = 0, ncond = 0, n_pro = 0
    cdef bint use_pro
    cdef uint32_t* nmem
    cdef uint32_t* first
    cdef uint32_t unit, sign
    cdef size_t side, total
    cdef char* p
    cdef TB* tb
    cdef Insn* rec
    cdef PReq* req
    cdef MemInstr* mi
    cdef MemInstr** mis
    cdef Ctx saved
    cdef qemu_plugin_vcpu_tb_trans_cb_t cb
    cdef uint8_t is_mem[TB_MAX_INSNS]
    cdef uint8_t sign_of[TB_MAX_INSNS]
    cdef uint8_t unit_of[TB_MAX_INSNS]
    cdef uint8_t dir_rw[TB_MAX_INSNS]
    cdef uint32_t nfold
    if g_rt.nsb_dead:
        pl_sb_reap()
    t.gen += 1
    t.cpu = c
    t.insns = buf
    t.n = n
    t.vaddr = pc
    t.paddr = phys_pc
    t.nreqs = 0
    t.active = 1
    nplug = pl_event_snapshot(EVT_TB_TRANS, order)
    for k in range(nplug):
        cb = <qemu_plugin_vcpu_tb_trans_cb_t>g_rt.slots[order[k]].cb[EVT_TB_TRANS]
        if cb == NULL or g_rt.fatal:
            continue
        pl_ctx_enter(&saved, CTX_TRANS, QEMU_PLUGIN_CB_RW_REGS, c)
        cb(g_rt.slots[order[k]].id, pl_trans_tb_handle())
        pl_ctx_leave(&saved)
    t.active = 0
    if t.nreqs == 0:
        return pl_plain_block(buf, n)   # nothing to add: it runs as without plugins
    nfold = pl_fold_prepare(n)

    # Sizes: one record per block/instruction registration, one before each watched memory
    # instruction, side data for conditional callbacks and memory instrumentation.
    nmem = <uint32_t*>calloc(n, sizeof(uint32_t))
    mis = <MemInstr**>calloc(n, sizeof(MemInstr*))
    if nmem == NULL or mis == NULL:
        free(nmem)
        free(mis)
        return NULL
    for j in range(n):
        is_mem[j] = pl_mem_insn_shape(buf[j].raw, &unit, &sign)
        unit_of[j] = <uint8_t>unit
        sign_of[j] = <uint8_t>sign
    nrec = n
    use_pro = 1
    for q in range(t.nreqs):
        req = &t.reqs[q]
        if req.kind == RK_MEM_CB or req.kind == RK_MEM_INLINE:
            if is_mem[req.target - 1]:
                nmem[req.target - 1] += 1
        elif req.kind != RK_FOLDED:
            nrec += 1
            if req.kind == RK_COND:
                ncond += 1
            if req.target == 0:
                n_pro += 1
                if req.kind == RK_PYHOOK:
                    use_pro = 0     # Python hooks may leave the block: they stay records
    if not use_pro:
        n_pro = 0
    side = ncond * sizeof(PCond)
    if nfold:
        side += pl_align8(sizeof(Fold) + nfold * sizeof(FoldGroup)) + nfold * n * sizeof(uint64_t)
    for j in range(n):
        if nmem[j]:
            nmem_insns += 1
            nrec += 1               # its PLUGIN_MEM record, if watched
            side += pl_align8(sizeof(MemInstr) + nmem[j] * sizeof(MemEntry))
    total = pl_align8(sizeof(TB)) + nrec * sizeof(Insn) + pl_align8((n + 1) * sizeof(uint32_t)) + side
    tb = <TB*>malloc(total)
    if tb == NULL:
        free(nmem)
        free(mis)
        return NULL
    p = <char*>tb + pl_align8(sizeof(TB))
    tb.pro = <Insn*>p
    tb.n_pro = n_pro
    tb.insns = tb.pro + n_pro
    p += nrec * sizeof(Insn)
    first = <uint32_t*>p
    p += pl_align8((n + 1) * sizeof(uint32_t))
    tb.first_rec = first        # also marks the block as instrumented
    tb.plugin_fold = NULL
    if nfold:
        tb.plugin_fold = pl_fold_build(&p, nfold, n)
    # Memory instrumentation blocks, entries in registration order.
    for j in range(n):
        if nmem[j]:
            mi = <MemInstr*>p
            p += pl_align8(sizeof(MemInstr) + nmem[j] * sizeof(MemEntry))
            mi.n = 0
            mi.unit = unit_of[j]
            mi.flags = sign_of[j]
            mi.raw = buf[j].raw
            mi.direct = 0
            dir_rw[j] = <uint8_t>pl_mem_direct_shape(mi, &buf[j])
            mis[j] = mi
    for q in range(t.nreqs):
        req = &t.reqs[q]
        if (req.kind == RK_MEM_CB or req.kind == RK_MEM_INLINE) and mis[req.target - 1] != NULL:
            mi = mis[req.target - 1]
            if dir_rw[req.target - 1] and not (req.rw & dir_rw[req.target - 1]):
                continue        # one access of the other direction: never reported
            if req.kind == RK_MEM_CB and req.flags != QEMU_PLUGIN_CB_NO_REGS:
                mi.direct = 0   # a callback reading registers sees them mid-instruction
            mi.e[mi.n].kind = ME_CB if req.kind == RK_MEM_CB else \
                (ME_ADD if req.op == QEMU_PLUGIN_INLINE_ADD_U64 else ME_STORE)
            mi.e[mi.n].rw = req.rw
            mi.e[mi.n].level = req.flags
            mi.e[mi.n].cb = <qemu_plugin_vcpu_mem_cb_t>req.cb
            mi.e[mi.n].udata = req.udata
            mi.e[mi.n].base = req.base
            mi.e[mi.n].stride = req.stride
            mi.e[mi.n].imm = req.imm
            mi.n += 1
    # Records: the block's list (unless it is the prologue), then per instruction its list
    # and itself: as its REPORTED twin when its accesses are reported directly, preceded by a
    # PLUGIN_MEM record, which runs it, when they are watched.
    if n_pro:
        pl_emit_exec_records(tb.pro, 0, 0, buf[0].pc, &p)
    r = 0
    for j in range(n):
        first[j] = r
        if j == 0 and not n_pro:
            r = pl_emit_exec_records(tb.insns, r, 0, buf[0].pc, &p)
        r = pl_emit_exec_records(tb.insns, r, j + 1, buf[j].pc, &p)
        mi = mis[j]
        if mi != NULL and mi.n and mi.direct and mi.n == 1:
            mi.direct |= DM_ONE_CB if mi.e[0].kind == ME_CB else \
                (DM_ONE_ADD if mi.e[0].kind == ME_ADD else 0)
        if mi != NULL and mi.direct and reported_twin(buf[j].op) == 0:
            mi.direct = 0       # no twin (pl_mem_direct_shape picks only twinned ops)
        if mi != NULL and mi.n and not mi.direct:
            # Watched: a PLUGIN_MEM record, which runs the next one.
            rec = &tb.insns[r]
            memset(rec, 0, sizeof(Insn))
            rec.pc = buf[j].pc
            rec.raw = buf[j].raw
            rec.op = OP_PLUGIN_MEM
            rec.imm2 = <uint64_t><uintptr_t>mi
            r += 1
        tb.insns[r] = buf[j]
        if mi != NULL and mi.n and mi.direct:
            # Direct: the instruction's twin that reports its access after it.
            tb.insns[r].op = reported_twin(buf[j].op)
            tb.insns[r].aux = <int32_t>(<char*>mi - <char*>&tb.insns[r])
        r += 1
    first[n] = r
    tb.n_recs = r
    if r == n:
        tb.first_rec = NULL     # only a prologue: the records are the instructions
    free(nmem)
    free(mis)
    return tb


cdef uint32_t pl_emit_exec_records(Insn* recs, uint32_t r, uint32_t target, uint64_t pc,
                                char** side) noexcept nogil:
    # The records of one block or instruction list, in registration order.
    cdef TransCtx* t = &g_rt.trans
    cdef uint32_t q
    cdef PReq* req
    cdef Insn* rec
    cdef PCond* pc_
    for q in range(t.nreqs):
        req = &t.reqs[q]
        if req.target != target or req.kind == RK_MEM_CB or req.kind == RK_MEM_INLINE \
                or req.kind == RK_FOLDED:
            continue
        rec = &recs[r]
        memset(rec, 0, sizeof(Insn))
        rec.pc = pc
        if req.kind == RK_CB:
            rec.op = OP_PLUGIN_CB
            rec.imm2 = <uint64_t><uintptr_t>req.cb
            rec.imm = <int64_t><uintptr_t>req.udata
            rec.cond = <uint8_t>req.flags
        elif req.kind == RK_PYHOOK:
            rec.op = OP_PYHOOK
            rec.imm = <int64_t><uintptr_t>req.udata
            rec.imm2 = req.imm
        elif req.kind == RK_INLINE:
            rec.op = OP_PLUGIN_ADD if req.op == QEMU_PLUGIN_INLINE_ADD_U64 else OP_PLUGIN_STORE
            rec.imm2 = <uint64_t><uintptr_t>req.base
            rec.raw = <uint32_t>req.stride
            rec.imm = <int64_t>req.imm
        else:
            pc_ = <PCond*>side[0]
            side[0] += sizeof(PCond)
            pc_.cb = <qemu_plugin_vcpu_udata_cb_t>req.cb
            pc_.udata = req.udata
            pc_.base = req.base
            pc_.stride = req.stride
            pc_.imm = req.imm
            pc_.cond = req.cond
            pc_.level = req.flags
            rec.op = OP_PLUGIN_COND_CB
            rec.imm2 = <uint64_t><uintptr_t>pc_
        r += 1
    return r


# ---- Running and ending ------------------------------------------------------------------------

cdef uint64_t machine_run_plugins(Mach* m, uint64_t budget) noexcept nogil:
    """machine_run, carrying out plugins' reset and uninstall requests between blocks (they stop
    the run with STOP_PLUGIN). A fatal plugin error leaves STOP_PLUGIN set."""
    cdef uint64_t total = machine_run(m, budget)
    while m == g_rt.mach and g_rt.pending_any and not g_rt.fatal:
        plugin_process_pending()
        if m.stop_reason == STOP_PLUGIN:
            m.stop_reason = STOP_NONE
        if m.stop_reason != STOP_NONE or total >= budget or g_rt.fatal:
            break
        total += machine_run(m, budget - total)
    if g_rt.fatal and m.stop_reason == STOP_NONE:
        m.stop_reason = STOP_PLUGIN
    return total


cdef void plugin_run_atexit() noexcept nogil:
    # Once, newest registration first; never after a fatal plugin error.
    cdef uint32_t order[MAX_PLUGINS]
    cdef uint32_t n, k
    cdef Ctx saved
    cdef qemu_plugin_udata_cb_t cb
    if g_rt.atexit_done or g_rt.fatal or g_rt.nslots == 0:
        return
    g_rt.atexit_done = 1
    n = pl_event_snapshot(EVT_ATEXIT, order)
    for k in range(n):
        cb = <qemu_plugin_udata_cb_t>g_rt.slots[order[k]].cb[EVT_ATEXIT]
        if cb == NULL or g_rt.fatal:
            continue
        pl_ctx_enter(&saved, CTX_ATEXIT, QEMU_PLUGIN_CB_NO_REGS, NULL)
        cb(g_rt.slots[order[k]].id, g_rt.slots[order[k]].atexit_udata)
        pl_ctx_leave(&saved)


cdef void plugin_c_atexit() noexcept nogil:
    # The C library's exit handler: reports still come out when a plugin calls exit().
    plugin_run_atexit()


cdef uint32_t pl_fold_prepare(uint32_t n) noexcept nogil:
    """When a block's instrumentation is only inline adds (nothing reads the slots while it
    runs), fold the instructions' adds into one add per slot at the block start: mark them
    RK_FOLDED and append the block-level adds. Returns the number of slots (0: no folding)."""
    cdef TransCtx* t = &g_rt.trans
    cdef uint32_t q, r, ngroups = 0, nreqs = t.nreqs
    cdef PReq* req
    cdef PReq* g
    if n < 2 or (g_rt.mach.plugin_mask & PM_DISCON):
        return 0
    for q in range(nreqs):
        req = &t.reqs[q]
        if req.kind == RK_CB or req.kind == RK_COND or req.kind == RK_MEM_CB \
                or req.kind == RK_PYHOOK \
                or (req.kind == RK_INLINE and req.op != QEMU_PLUGIN_INLINE_ADD_U64):
            return 0
    for q in range(nreqs):
        req = &t.reqs[q]
        if req.kind != RK_INLINE or req.target == 0:
            continue
        req.kind = RK_FOLDED
        for r in range(nreqs, t.nreqs):
            if t.reqs[r].base == req.base and t.reqs[r].stride == req.stride:
                t.reqs[r].imm += req.imm
                break
        else:
            g = pl_trans_add(0, RK_INLINE)
            if g == NULL:
                return 0
            req = &t.reqs[q]            # the array may have moved
            g.op = QEMU_PLUGIN_INLINE_ADD_U64
            g.base = req.base
            g.stride = req.stride
            g.imm = req.imm
            ngroups += 1
    if ngroups:
        g_rt.any_folded = 1
    return ngroups


cdef Fold* pl_fold_build(char** side, uint32_t ngroups, uint32_t n) noexcept nogil:
    # The take-back table of a folded block, in its side data.
    cdef TransCtx* t = &g_rt.trans
    cdef Fold* f = <Fold*>side[0]
    cdef uint64_t* sums
    cdef uint32_t q, k = 0, j
    cdef PReq* req
    side[0] += pl_align8(sizeof(Fold) + ngroups * sizeof(FoldGroup))
    sums = <uint64_t*>side[0]
    side[0] += ngroups * n * sizeof(uint64_t)
    memset(sums, 0, ngroups * n * sizeof(uint64_t))
    f.ngroups = ngroups
    for q in range(t.nreqs):
        req = &t.reqs[q]
        if req.kind == RK_INLINE and req.target == 0 and q >= t.nreqs - ngroups:
            f.g[k].base = req.base
            f.g[k].stride = req.stride
            f.g[k].suffix = sums + k * n
            k += 1
    for q in range(t.nreqs):
        req = &t.reqs[q]
        if req.kind != RK_FOLDED:
            continue
        for k in range(ngroups):
            if f.g[k].base == req.base and f.g[k].stride == req.stride:
                for j in range(req.target - 1):
                    f.g[k].suffix[j] += req.imm
                break
    return f


cdef void plugin_unfold(CPU* c, TB* tb, uint64_t last_pc) noexcept nogil:
    # The block was left at the instruction at last_pc: take back the folded adds of the
    # instructions after it.
    cdef Fold* f = <Fold*>tb.plugin_fold
    cdef uint32_t j = <uint32_t>((last_pc - tb.pc) >> 2), k
    for k in range(f.ngroups):
        (<uint64_t*>(f.g[k].base + c.index * f.g[k].stride))[0] -= f.g[k].suffix[j]
