# The 63 qemu_plugin_* functions of plugin.h (plugin-api.md §3), defined here with external
# linkage: plugins bind them when they are loaded. Their prototypes come from plugin.h (through
# plugin_exports.h), so the C compiler checks each definition against the header, and the
# build's -fvisibility=hidden leaves them the only symbols the module exports besides PyInit_.
#
# They are plain C: they run without the GIL and never enter Python. Misuse that would stop
# QEMU on an assertion is a fatal plugin error (plugin_fatal); where QEMU returns an error
# value, so do we.

cdef extern from *:
    """
    /* GDB's AArch64 register list: org.gnu.gdb.aarch64.core then .fpu. */
    static const char *const qp_reg_names[68] = {
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
        "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24",
        "x25", "x26", "x27", "x28", "x29", "x30", "sp", "pc", "cpsr",
        "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
        "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24",
        "v25", "v26", "v27", "v28", "v29", "v30", "v31", "fpsr", "fpcr",
    };
    #define QP_NREGS 68
    #define QP_FEATURE_CORE "org.gnu.gdb.aarch64.core"
    #define QP_FEATURE_FPU "org.gnu.gdb.aarch64.fpu"
    """
    const char* const qp_reg_names[68]
    const int QP_NREGS
    const char* QP_FEATURE_CORE
    const char* QP_FEATURE_FPU

ctypedef GArray* (*g_array_new_fn)(int zero_terminated, int clear_, unsigned int element_size) noexcept nogil
ctypedef GArray* (*g_array_append_vals_fn)(GArray* a, const void* data, unsigned int len) noexcept nogil
ctypedef GByteArray* (*g_byte_array_set_size_fn)(GByteArray* a, unsigned int len) noexcept nogil
ctypedef GByteArray* (*g_byte_array_append_fn)(GByteArray* a, const uint8_t* data,
                                               unsigned int len) noexcept nogil
ctypedef int (*cs_disasm_fn)(size_t handle, const uint8_t* code, size_t size, uint64_t address,
                             size_t count, void** insn) noexcept nogil
ctypedef void (*cs_free_fn)(void* insn, size_t count) noexcept nogil


cdef bint pl_glib_ready() noexcept nogil:
    # glib objects cross the API, so use the plugin's glib (normally already loaded).
    cdef void* h
    if g_rt.glib_state == 0:
        g_rt.glib_state = 2
        h = dlopen("libglib-2.0.so.0", RTLD_NOW | RTLD_NOLOAD)
        if h == NULL:
            h = dlopen("libglib-2.0.so.0", RTLD_NOW | RTLD_LOCAL)
        if h != NULL:
            g_rt.g_array_new = dlsym(h, "g_array_new")
            g_rt.g_array_append_vals = dlsym(h, "g_array_append_vals")
            g_rt.g_byte_array_set_size = dlsym(h, "g_byte_array_set_size")
            g_rt.g_byte_array_append = dlsym(h, "g_byte_array_append")
            if g_rt.g_array_new != NULL and g_rt.g_array_append_vals != NULL \
                    and g_rt.g_byte_array_set_size != NULL and g_rt.g_byte_array_append != NULL:
                g_rt.glib_state = 1
        if g_rt.glib_state != 1:
            fprintf(stderr, "qemu-py-system: warning: glib (libglib-2.0.so.0) not found: "
                    "plugin register and memory reads are unavailable\n")
    return g_rt.glib_state == 1


cdef inline CPU* pl_vcpu_or_fatal(const char* fn) noexcept nogil:
    if not pl_in_vcpu_ctx():
        plugin_fatal(fn, "called outside a vCPU callback")
        return NULL
    return g_rt.ctx.cpu


# ---- Global events (§3.1) --------------------------------------------------------------------

cdef public void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id,
                                                   qemu_plugin_vcpu_simple_cb_t cb) noexcept nogil:
    pl_register_event(id, EVT_INIT, <void*>cb, "qemu_plugin_register_vcpu_init_cb")

cdef public void qemu_plugin_register_vcpu_exit_cb(qemu_plugin_id_t id,
                                                   qemu_plugin_vcpu_simple_cb_t cb) noexcept nogil:
    pl_register_event(id, EVT_EXIT, <void*>cb, "qemu_plugin_register_vcpu_exit_cb")

cdef public void qemu_plugin_register_vcpu_idle_cb(qemu_plugin_id_t id,
                                                   qemu_plugin_vcpu_simple_cb_t cb) noexcept nogil:
    pl_register_event(id, EVT_IDLE, <void*>cb, "qemu_plugin_register_vcpu_idle_cb")

cdef public void qemu_plugin_register_vcpu_resume_cb(qemu_plugin_id_t id,
                                                     qemu_plugin_vcpu_simple_cb_t cb) noexcept nogil:
    pl_register_event(id, EVT_RESUME, <void*>cb, "qemu_plugin_register_vcpu_resume_cb")

cdef public void qemu_plugin_register_vcpu_discon_cb(qemu_plugin_id_t id,
                                                     qemu_plugin_discon_type type,
                                                     qemu_plugin_vcpu_discon_cb_t cb) noexcept nogil:
    # The mask is stored per bit: each kind has its own registration.
    cdef int s = pl_slot_of(id, "qemu_plugin_register_vcpu_discon_cb")
    cdef uint32_t t = <uint32_t>type
    if s < 0:
        return
    if t & DISCON_INTERRUPT:
        pl_event_set(<uint32_t>s, EVT_DISCON_INT, <void*>cb)
    if t & DISCON_EXCEPTION:
        pl_event_set(<uint32_t>s, EVT_DISCON_EXC, <void*>cb)
    if t & DISCON_HOSTCALL:
        pl_event_set(<uint32_t>s, EVT_DISCON_HOST, <void*>cb)

cdef public void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                                       qemu_plugin_vcpu_tb_trans_cb_t cb) noexcept nogil:
    pl_register_event(id, EVT_TB_TRANS, <void*>cb, "qemu_plugin_register_vcpu_tb_trans_cb")

cdef public void qemu_plugin_register_vcpu_syscall_cb(qemu_plugin_id_t id,
                                                      qemu_plugin_vcpu_syscall_cb_t cb) noexcept nogil:
    pl_register_event(id, EVT_SYSCALL, <void*>cb, "qemu_plugin_register_vcpu_syscall_cb")

cdef public void qemu_plugin_register_vcpu_syscall_ret_cb(qemu_plugin_id_t id,
                                                          qemu_plugin_vcpu_syscall_ret_cb_t cb) noexcept nogil:
    pl_register_event(id, EVT_SYSCALL_RET, <void*>cb, "qemu_plugin_register_vcpu_syscall_ret_cb")

cdef public void qemu_plugin_register_flush_cb(qemu_plugin_id_t id,
                                               qemu_plugin_simple_cb_t cb) noexcept nogil:
    pl_register_event(id, EVT_FLUSH, <void*>cb, "qemu_plugin_register_flush_cb")

cdef public void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                                void* userdata) noexcept nogil:
    cdef int s = pl_slot_of(id, "qemu_plugin_register_atexit_cb")
    if s < 0:
        return
    g_rt.slots[s].atexit_udata = userdata
    pl_event_set(<uint32_t>s, EVT_ATEXIT, <void*>cb)

cdef public void qemu_plugin_vcpu_for_each(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_simple_cb_t cb) noexcept nogil:
    cdef uint32_t k
    if pl_slot_of(id, "qemu_plugin_vcpu_for_each") < 0 or cb == NULL:
        return
    for k in range(g_rt.num_vcpus):
        if g_rt.fatal:
            return
        cb(id, k)


# ---- Translation time: the block and its instructions (§3.2) ---------------------------------

cdef public size_t qemu_plugin_tb_n_insns(const qemu_plugin_tb* tb) noexcept nogil:
    if not pl_trans_tb_ok(tb, "qemu_plugin_tb_n_insns"):
        return 0
    return g_rt.trans.n

cdef public uint64_t qemu_plugin_tb_vaddr(const qemu_plugin_tb* tb) noexcept nogil:
    if not pl_trans_tb_ok(tb, "qemu_plugin_tb_vaddr"):
        return 0
    return g_rt.trans.vaddr

cdef public qemu_plugin_insn* qemu_plugin_tb_get_insn(const qemu_plugin_tb* tb,
                                                      size_t idx) noexcept nogil:
    if not pl_trans_tb_ok(tb, "qemu_plugin_tb_get_insn") or idx >= g_rt.trans.n:
        return NULL
    return <qemu_plugin_insn*><uintptr_t>((g_rt.trans.gen << 12) | (idx + 1))

cdef public size_t qemu_plugin_insn_data(const qemu_plugin_insn* insn, void* dest,
                                         size_t len) noexcept nogil:
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_insn_data")
    cdef uint32_t word
    if j < 0 or dest == NULL:
        return 0
    word = g_rt.trans.insns[j].raw          # the word as fetched: guest order on a LE host
    if len > 4:
        len = 4
    memcpy(dest, &word, len)
    return len

cdef public size_t qemu_plugin_insn_size(const qemu_plugin_insn* insn) noexcept nogil:
    if pl_trans_insn_index(insn, "qemu_plugin_insn_size") < 0:
        return 0
    return 4

cdef public uint64_t qemu_plugin_insn_vaddr(const qemu_plugin_insn* insn) noexcept nogil:
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_insn_vaddr")
    if j < 0:
        return 0
    return g_rt.trans.insns[j].pc

cdef public void* qemu_plugin_insn_haddr(const qemu_plugin_insn* insn) noexcept nogil:
    # The host address of the instruction in guest RAM: stable and unique per physical place.
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_insn_haddr")
    cdef Mach* m = g_rt.mach
    cdef uint64_t pa
    if j < 0 or m == NULL:
        return NULL
    pa = g_rt.trans.paddr + 4 * <uint64_t>j
    if not ram_contains(m, pa, 4):
        return NULL
    return m.ram + (pa - m.ram_base)

# Opening capstone means importing its Python package (for the library's path and its struct
# layout), a noticeable part of a run's start-up; most plugins never disassemble, so the loader
# leaves a setup function here and the first insn_disas calls it.
_capstone_setup = None


def plugin_set_capstone_lazy(setup):
    """`setup()` opens capstone (plugin_set_capstone) when a plugin first disassembles."""
    global _capstone_setup
    if g_rt.cs_disasm_fn != NULL:
        return                      # already open (an earlier machine's plugins)
    _capstone_setup = setup
    g_rt.cs_lazy = 1 if setup is not None else 0


cdef void pl_capstone_open() noexcept with gil:
    global _capstone_setup
    setup = _capstone_setup
    _capstone_setup = None
    g_rt.cs_lazy = 0
    if setup is not None:
        try:
            setup()
        except BaseException:
            pass                    # no capstone: insn_disas returns NULL


cdef public char* qemu_plugin_insn_disas(const qemu_plugin_insn* insn) noexcept nogil:
    # Capstone's text as QEMU builds it: mnemonic, a space, operands.
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_insn_disas")
    cdef uint32_t word
    cdef void* out = NULL
    cdef int count
    cdef char* mnem
    cdef char* ops
    cdef char* text
    cdef size_t lm, lo
    if j < 0:
        return NULL
    if g_rt.cs_lazy:
        pl_capstone_open()
    if g_rt.cs_disasm_fn == NULL:
        return NULL
    word = g_rt.trans.insns[j].raw
    count = (<cs_disasm_fn>g_rt.cs_disasm_fn)(g_rt.cs_handle, <uint8_t*>&word, 4,
                                              g_rt.trans.insns[j].pc, 1, &out)
    if count < 1:
        return NULL
    mnem = <char*>out + g_rt.cs_mnem_off
    ops = <char*>out + g_rt.cs_opstr_off
    lm = strlen(mnem)
    lo = strlen(ops)
    text = <char*>malloc(lm + lo + 2)
    if text != NULL:
        memcpy(text, mnem, lm)
        text[lm] = 32
        memcpy(text + lm + 1, ops, lo + 1)
    (<cs_free_fn>g_rt.cs_free_fn)(out, count)
    return text

cdef public const char* qemu_plugin_insn_symbol(const qemu_plugin_insn* insn) noexcept nogil:
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_insn_symbol")
    cdef uint64_t va
    cdef uint32_t lo = 0, hi, mid
    cdef int k
    if j < 0 or g_rt.nsyms == 0:
        return NULL
    va = g_rt.trans.insns[j].pc
    # The last symbol starting at or before va, then back over those that end before it.
    hi = g_rt.nsyms
    while lo < hi:
        mid = (lo + hi) // 2
        if g_rt.sym_start[mid] <= va:
            lo = mid + 1
        else:
            hi = mid
    k = <int>lo - 1
    while k >= 0 and lo - <uint32_t>k <= 64:
        if g_rt.sym_start[k] <= va < g_rt.sym_end[k]:
            return g_rt.sym_name[k]
        k -= 1
    return NULL


# ---- Translation time: instrumentation (§3.2) ------------------------------------------------

cdef bint pl_entry_base(qemu_plugin_u64 entry, const char* fn, uint8_t** base,
                     size_t* stride) noexcept nogil:
    cdef Scoreboard* sb = pl_sb_lookup(entry.score, fn)
    if sb == NULL:
        return False
    if entry.offset + 8 > sb.elem_size:
        plugin_fatal(fn, "offset beyond the scoreboard element")
        return False
    sb.in_code = 1
    base[0] = sb.data + entry.offset
    stride[0] = sb.elem_size
    return True


cdef void pl_add_cb(uint32_t target, void* cb, uint32_t flags, void* udata) noexcept nogil:
    cdef PReq* r
    if cb == NULL:
        return
    r = pl_trans_add(target, RK_CB)
    if r != NULL:
        r.cb = cb
        r.udata = udata
        r.flags = flags if flags <= QEMU_PLUGIN_CB_RW_REGS else QEMU_PLUGIN_CB_RW_REGS


cdef void pl_add_cond_cb(uint32_t target, void* cb, uint32_t flags, uint32_t cond,
                      qemu_plugin_u64 entry, uint64_t imm, void* udata,
                      const char* fn) noexcept nogil:
    cdef PReq* r
    cdef uint8_t* base
    cdef size_t stride
    if cb == NULL or cond == QEMU_PLUGIN_COND_NEVER or cond > QEMU_PLUGIN_COND_GE:
        return
    if cond == QEMU_PLUGIN_COND_ALWAYS:
        pl_add_cb(target, cb, flags, udata)
        return
    if not pl_entry_base(entry, fn, &base, &stride):
        return
    r = pl_trans_add(target, RK_COND)
    if r != NULL:
        r.cb = cb
        r.udata = udata
        r.flags = flags if flags <= QEMU_PLUGIN_CB_RW_REGS else QEMU_PLUGIN_CB_RW_REGS
        r.cond = cond
        r.base = base
        r.stride = stride
        r.imm = imm


cdef void pl_add_inline(uint32_t target, uint32_t kind, uint32_t rw, uint32_t op,
                     qemu_plugin_u64 entry, uint64_t imm, const char* fn) noexcept nogil:
    cdef PReq* r
    cdef uint8_t* base
    cdef size_t stride
    if op > QEMU_PLUGIN_INLINE_STORE_U64 or not pl_entry_base(entry, fn, &base, &stride):
        return
    r = pl_trans_add(target, kind)
    if r != NULL:
        r.op = op
        r.rw = rw
        r.base = base
        r.stride = stride
        r.imm = imm


cdef public void qemu_plugin_register_vcpu_tb_exec_cb(qemu_plugin_tb* tb,
                                                      qemu_plugin_vcpu_udata_cb_t cb,
                                                      qemu_plugin_cb_flags flags,
                                                      void* userdata) noexcept nogil:
    if pl_trans_tb_ok(tb, "qemu_plugin_register_vcpu_tb_exec_cb"):
        pl_add_cb(0, <void*>cb, flags, userdata)

cdef public void qemu_plugin_register_vcpu_tb_exec_cond_cb(qemu_plugin_tb* tb,
                                                           qemu_plugin_vcpu_udata_cb_t cb,
                                                           qemu_plugin_cb_flags flags,
                                                           qemu_plugin_cond cond,
                                                           qemu_plugin_u64 entry, uint64_t imm,
                                                           void* userdata) noexcept nogil:
    if pl_trans_tb_ok(tb, "qemu_plugin_register_vcpu_tb_exec_cond_cb"):
        pl_add_cond_cb(0, <void*>cb, flags, cond, entry, imm, userdata,
                    "qemu_plugin_register_vcpu_tb_exec_cond_cb")

cdef public void qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(qemu_plugin_tb* tb,
                                                                   qemu_plugin_op op,
                                                                   qemu_plugin_u64 entry,
                                                                   uint64_t imm) noexcept nogil:
    if pl_trans_tb_ok(tb, "qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu"):
        pl_add_inline(0, RK_INLINE, 0, op, entry, imm,
                   "qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu")

cdef public void qemu_plugin_register_vcpu_insn_exec_cb(qemu_plugin_insn* insn,
                                                        qemu_plugin_vcpu_udata_cb_t cb,
                                                        qemu_plugin_cb_flags flags,
                                                        void* userdata) noexcept nogil:
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_register_vcpu_insn_exec_cb")
    if j >= 0:
        pl_add_cb(<uint32_t>j + 1, <void*>cb, flags, userdata)

cdef public void qemu_plugin_register_vcpu_insn_exec_cond_cb(qemu_plugin_insn* insn,
                                                             qemu_plugin_vcpu_udata_cb_t cb,
                                                             qemu_plugin_cb_flags flags,
                                                             qemu_plugin_cond cond,
                                                             qemu_plugin_u64 entry, uint64_t imm,
                                                             void* userdata) noexcept nogil:
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_register_vcpu_insn_exec_cond_cb")
    if j >= 0:
        pl_add_cond_cb(<uint32_t>j + 1, <void*>cb, flags, cond, entry, imm, userdata,
                    "qemu_plugin_register_vcpu_insn_exec_cond_cb")

cdef public void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(qemu_plugin_insn* insn,
                                                                     qemu_plugin_op op,
                                                                     qemu_plugin_u64 entry,
                                                                     uint64_t imm) noexcept nogil:
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu")
    if j >= 0:
        pl_add_inline(<uint32_t>j + 1, RK_INLINE, 0, op, entry, imm,
                   "qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu")

cdef public void qemu_plugin_register_vcpu_mem_cb(qemu_plugin_insn* insn,
                                                  qemu_plugin_vcpu_mem_cb_t cb,
                                                  qemu_plugin_cb_flags flags,
                                                  qemu_plugin_mem_rw rw,
                                                  void* userdata) noexcept nogil:
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_register_vcpu_mem_cb")
    cdef PReq* r
    if j < 0 or cb == NULL or not (<uint32_t>rw & 3):
        return
    r = pl_trans_add(<uint32_t>j + 1, RK_MEM_CB)
    if r != NULL:
        r.cb = <void*>cb
        r.udata = userdata
        r.flags = flags if flags <= QEMU_PLUGIN_CB_RW_REGS else QEMU_PLUGIN_CB_RW_REGS
        r.rw = <uint32_t>rw & 3

cdef public void qemu_plugin_register_vcpu_mem_inline_per_vcpu(qemu_plugin_insn* insn,
                                                               qemu_plugin_mem_rw rw,
                                                               qemu_plugin_op op,
                                                               qemu_plugin_u64 entry,
                                                               uint64_t imm) noexcept nogil:
    cdef int j = pl_trans_insn_index(insn, "qemu_plugin_register_vcpu_mem_inline_per_vcpu")
    if j >= 0 and <uint32_t>rw & 3:
        pl_add_inline(<uint32_t>j + 1, RK_MEM_INLINE, <uint32_t>rw & 3, op, entry, imm,
                   "qemu_plugin_register_vcpu_mem_inline_per_vcpu")


# ---- Scoreboards (§3.3) ----------------------------------------------------------------------

cdef public qemu_plugin_scoreboard* qemu_plugin_scoreboard_new(size_t element_size) noexcept nogil:
    # Scoreboards live in one array (handles are indices), close together for the lookups.
    cdef Scoreboard* grown
    cdef uint8_t* data
    cdef uint32_t cap = g_rt.nvcpus_max if g_rt.nvcpus_max else MAX_CPUS
    if element_size == 0:
        element_size = 1
    if element_size > 0xffffff:
        return NULL                 # 16 MiB per vCPU: more than any plugin asks for
    if g_rt.nsb == g_rt.sb_cap:
        grown = <Scoreboard*>realloc(g_rt.sb, (g_rt.sb_cap * 2 + 64) * sizeof(Scoreboard))
        if grown == NULL:
            return NULL
        g_rt.sb = grown
        g_rt.sb_cap = g_rt.sb_cap * 2 + 64
    data = <uint8_t*>calloc(cap, element_size)
    if data == NULL:
        return NULL
    g_rt.sb[g_rt.nsb].data = data
    g_rt.sb[g_rt.nsb].elem_size = element_size
    g_rt.sb[g_rt.nsb].in_code = 0
    g_rt.nsb += 1
    g_rt.sb_bytes = g_rt.nsb * sizeof(Scoreboard)
    return <qemu_plugin_scoreboard*><uintptr_t>(<uintptr_t>g_rt.nsb << 4)

cdef public void qemu_plugin_scoreboard_free(qemu_plugin_scoreboard* score) noexcept nogil:
    cdef Scoreboard* sb = pl_sb_lookup(score, "qemu_plugin_scoreboard_free")
    cdef uint8_t** grown
    cdef uint8_t* data
    if sb == NULL:
        return
    data = sb.data
    sb.data = NULL                  # the handle is dead from now on
    if sb.in_code and g_rt.mach != NULL:
        tb_flush(g_rt.mach)         # no translation may name it any more
    if pl_in_vcpu_ctx():
        # The running block may still have records writing it: free it between blocks.
        grown = <uint8_t**>realloc(g_rt.sb_dead, (g_rt.nsb_dead + 1) * sizeof(uint8_t*))
        if grown != NULL:
            g_rt.sb_dead = grown
            g_rt.sb_dead[g_rt.nsb_dead] = data
            g_rt.nsb_dead += 1
    else:
        free(data)

cdef public void* qemu_plugin_scoreboard_find(qemu_plugin_scoreboard* score,
                                              unsigned int vcpu_index) noexcept nogil:
    cdef Scoreboard* sb = pl_sb_lookup(score, "qemu_plugin_scoreboard_find")
    if sb == NULL:
        return NULL
    if vcpu_index >= g_rt.nvcpus_max:
        plugin_fatal("qemu_plugin_scoreboard_find", "vCPU index beyond the vCPUs")
        return NULL
    return sb.data + vcpu_index * sb.elem_size

cdef public void qemu_plugin_u64_add(qemu_plugin_u64 entry, unsigned int vcpu_index,
                                     uint64_t added) noexcept nogil:
    cdef uint8_t* p = pl_sb_slot(entry, vcpu_index, "qemu_plugin_u64_add")
    if p != NULL:
        (<uint64_t*>p)[0] += added

cdef public uint64_t qemu_plugin_u64_get(qemu_plugin_u64 entry,
                                         unsigned int vcpu_index) noexcept nogil:
    cdef uint8_t* p = pl_sb_slot(entry, vcpu_index, "qemu_plugin_u64_get")
    if p == NULL:
        return 0
    return (<uint64_t*>p)[0]

cdef public void qemu_plugin_u64_set(qemu_plugin_u64 entry, unsigned int vcpu_index,
                                     uint64_t val) noexcept nogil:
    cdef uint8_t* p = pl_sb_slot(entry, vcpu_index, "qemu_plugin_u64_set")
    if p != NULL:
        (<uint64_t*>p)[0] = val

cdef public uint64_t qemu_plugin_u64_sum(qemu_plugin_u64 entry) noexcept nogil:
    cdef uint64_t total = 0
    cdef uint32_t k
    cdef uint8_t* p
    if pl_sb_slot(entry, 0, "qemu_plugin_u64_sum") == NULL:
        return 0
    for k in range(g_rt.num_vcpus):
        p = pl_sb_slot(entry, k, "qemu_plugin_u64_sum")
        total += (<uint64_t*>p)[0]
    return total


# ---- Inside a memory callback (§3.4) ---------------------------------------------------------

cdef public unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info) noexcept nogil:
    return info & 7

cdef public c_bool qemu_plugin_mem_is_sign_extended(qemu_plugin_meminfo_t info) noexcept nogil:
    return (info >> 3) & 1

cdef public c_bool qemu_plugin_mem_is_big_endian(qemu_plugin_meminfo_t info) noexcept nogil:
    return (info >> 4) & 1

cdef public c_bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info) noexcept nogil:
    return ((info >> 16) & 3) == QEMU_PLUGIN_MEM_W

cdef public qemu_plugin_mem_value qemu_plugin_mem_get_value(qemu_plugin_meminfo_t info) noexcept nogil:
    cdef qemu_plugin_mem_value v
    cdef uint32_t shift = info & 7
    memset(&v, 0, sizeof(v))
    v.type = <qemu_plugin_mem_value_type>(shift if shift <= 4 else 4)
    if g_rt.ctx.kind != CTX_MEM:
        return v
    if g_rt.acc.twin != NULL:
        pl_twin_value(g_rt.acc.cpu, g_rt.acc.twin, &g_rt.acc.lo, &g_rt.acc.hi)
        g_rt.acc.twin = NULL
    if shift == 0:
        v.data.u8 = <uint8_t>g_rt.acc.lo
    elif shift == 1:
        v.data.u16 = <uint16_t>g_rt.acc.lo
    elif shift == 2:
        v.data.u32 = <uint32_t>g_rt.acc.lo
    elif shift == 3:
        v.data.u64 = g_rt.acc.lo
    else:
        v.data.u128.low = g_rt.acc.lo
        v.data.u128.high = g_rt.acc.hi
    return v

cdef public qemu_plugin_hwaddr* qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info,
                                                       uint64_t vaddr) noexcept nogil:
    if g_rt.ctx.kind != CTX_MEM or vaddr != g_rt.acc.va:
        fprintf(stderr, "invalid use of qemu_plugin_get_hwaddr\n")
        return NULL
    return <qemu_plugin_hwaddr*>&g_rt.acc

cdef inline Access* pl_hwaddr_access(const qemu_plugin_hwaddr* h) noexcept nogil:
    # The only hwaddr there is: the access being reported (a stale one reads the current).
    if h == NULL or <const void*>h != <const void*>&g_rt.acc:
        return NULL
    pl_access_physical(&g_rt.acc)
    return &g_rt.acc

cdef public c_bool qemu_plugin_hwaddr_is_io(const qemu_plugin_hwaddr* haddr) noexcept nogil:
    cdef Access* a = pl_hwaddr_access(haddr)
    return a != NULL and a.is_io

cdef public uint64_t qemu_plugin_hwaddr_phys_addr(const qemu_plugin_hwaddr* haddr) noexcept nogil:
    cdef Access* a = pl_hwaddr_access(haddr)
    return a.pa if a != NULL else 0

cdef public const char* qemu_plugin_hwaddr_device_name(const qemu_plugin_hwaddr* h) noexcept nogil:
    cdef Access* a = pl_hwaddr_access(h)
    if a == NULL or not a.is_io:
        return "RAM"
    return pl_region_name(a.region)


cdef const char* pl_region_name(Region* r) noexcept nogil:
    # The names of QEMU's virt memory regions for the devices the core models.
    if r == NULL:
        return "anon00000000"
    if r.read == pl011_read:
        return "pl011"
    if r.read == pl031_read:
        return "pl031"
    if r.read == gicd_read:
        return "gic_dist"
    if r.read == gicc_read:
        return "gic_cpu"
    return "anon00000000"


# ---- Registers (§3.5) ------------------------------------------------------------------------

cdef public GArray* qemu_plugin_get_registers() noexcept nogil:
    cdef qemu_plugin_reg_descriptor descs[68]
    cdef GArray* arr
    cdef int k
    if pl_vcpu_or_fatal("qemu_plugin_get_registers") == NULL or not pl_glib_ready():
        return NULL
    for k in range(QP_NREGS):
        descs[k].handle = <qemu_plugin_register*><uintptr_t>(k + 1)
        descs[k].name = qp_reg_names[k]
        descs[k].feature = QP_FEATURE_CORE if k < 34 else QP_FEATURE_FPU
    arr = (<g_array_new_fn>g_rt.g_array_new)(1, 1, sizeof(qemu_plugin_reg_descriptor))
    if arr != NULL:
        (<g_array_append_vals_fn>g_rt.g_array_append_vals)(arr, descs, QP_NREGS)
    return arr


cdef int pl_reg_size(int r) noexcept nogil:
    if r < 33:
        return 8
    if r == 33 or r >= 66:
        return 4
    return 16


cdef void pl_reg_get(CPU* c, int r, uint8_t* out) noexcept nogil:
    cdef uint64_t v
    cdef uint32_t w
    if r < 31:
        memcpy(out, &c.x[r], 8)
    elif r == 31:
        memcpy(out, &c.x[REG_SP], 8)
    elif r == 32:
        memcpy(out, &c.pc, 8)
    elif r == 33:
        w = <uint32_t>cpu_pstate_bits(c)
        memcpy(out, &w, 4)
    elif r < 66:
        memcpy(out, &c.v[2 * (r - 34)], 16)
    elif r == 66:
        w = <uint32_t>c.fpsr
        memcpy(out, &w, 4)
    else:
        w = <uint32_t>c.fpcr
        memcpy(out, &w, 4)


cdef void pl_reg_set(CPU* c, int r, const uint8_t* data, uint32_t n) noexcept nogil:
    # n bytes (at most the register's size) over the low bytes of the register.
    cdef uint8_t cur[16]
    cdef uint32_t w
    pl_reg_get(c, r, cur)
    memcpy(cur, data, n)
    if r < 31:
        memcpy(&c.x[r], cur, 8)
    elif r == 31:
        memcpy(&c.x[REG_SP], cur, 8)
    elif r == 33:
        # NZCV and DAIF; the EL and SP selection do not change under a running block.
        memcpy(&w, cur, 4)
        c.nzcv = (w >> 28) & 0xf
        c.daif = w & DAIF_MASK_ALL
    elif r < 66:
        memcpy(&c.v[2 * (r - 34)], cur, 16)
    elif r == 66:
        memcpy(&w, cur, 4)
        c.fpsr = w
    else:
        memcpy(&w, cur, 4)
        c.fpcr = w


cdef inline int pl_reg_index(qemu_plugin_register* handle) noexcept nogil:
    cdef uintptr_t v = <uintptr_t>handle
    return <int>v - 1 if 1 <= v <= <uintptr_t>QP_NREGS else -1

cdef public int qemu_plugin_read_register(qemu_plugin_register* handle,
                                          GByteArray* buf) noexcept nogil:
    cdef CPU* c = pl_vcpu_or_fatal("qemu_plugin_read_register")
    cdef int r = pl_reg_index(handle)
    cdef uint8_t out[16]
    if c == NULL or r < 0 or buf == NULL or g_rt.ctx.level == QEMU_PLUGIN_CB_NO_REGS \
            or not pl_glib_ready():
        return -1
    pl_reg_get(c, r, out)
    (<g_byte_array_append_fn>g_rt.g_byte_array_append)(buf, out, pl_reg_size(r))
    return pl_reg_size(r)

cdef public int qemu_plugin_write_register(qemu_plugin_register* handle,
                                           GByteArray* buf) noexcept nogil:
    cdef CPU* c = pl_vcpu_or_fatal("qemu_plugin_write_register")
    cdef int r = pl_reg_index(handle)
    cdef QpByteArray* b = <QpByteArray*>buf
    cdef uint32_t n
    if c == NULL or r < 0 or r == 32 or b == NULL or b.len == 0 \
            or g_rt.ctx.level != QEMU_PLUGIN_CB_RW_REGS:
        return -1
    n = b.len if b.len < <uint32_t>pl_reg_size(r) else <uint32_t>pl_reg_size(r)
    pl_reg_set(c, r, b.data, n)
    return <int>n


# ---- Guest memory (§3.6) ---------------------------------------------------------------------

cdef bint pl_debug_translate(CPU* c, uint64_t va, uint64_t* pa) noexcept nogil:
    # A walk in the current regime that neither faults nor fills the TLB.
    cdef uint32_t perms = 0, fsc = 0
    if c.sctlr_el1 & SCTLR_M:
        return mmu_walk(c, va, False, ACC_READ, pa, &perms, &fsc)
    pa[0] = va
    return True


cdef int pl_phys_debug(Mach* m, uint64_t pa, uint8_t* data, size_t n, bint store) noexcept nogil:
    # n bytes within one page at a physical address: RAM, or a device accessed as the guest
    # would. Returns a QEMU_PLUGIN_HWADDR_OPERATION_* result.
    cdef Region* r
    cdef uint64_t v
    cdef uint32_t size
    cdef size_t k = 0
    if ram_contains(m, pa, n):
        if store:
            if m.code_pages[(pa - m.ram_base) >> PAGE_BITS]:
                tb_invalidate_range(m, pa, n)       # changed code is translated afresh
            memcpy(m.ram + (pa - m.ram_base), data, n)
        else:
            memcpy(data, m.ram + (pa - m.ram_base), n)
        return QEMU_PLUGIN_HWADDR_OPERATION_OK
    r = find_mmio(m, pa)
    if r == NULL or pa + n - r.base > r.size:
        return QEMU_PLUGIN_HWADDR_OPERATION_INVALID_ADDRESS
    while k < n:
        size = 4 if n - k >= 4 and (pa + k) & 3 == 0 else 1
        if store:
            v = 0
            memcpy(&v, data + k, size)
            if not r.write(r.dev, pa + k - r.base, size, v):
                return QEMU_PLUGIN_HWADDR_OPERATION_DEVICE_ERROR
        else:
            if not r.read(r.dev, pa + k - r.base, size, &v):
                return QEMU_PLUGIN_HWADDR_OPERATION_DEVICE_ERROR
            memcpy(data + k, &v, size)
        k += size
    return QEMU_PLUGIN_HWADDR_OPERATION_OK


cdef bint pl_vaddr_debug(CPU* c, uint64_t va, uint8_t* data, size_t n, bint store) noexcept nogil:
    cdef size_t k = 0, chunk
    cdef uint64_t pa
    while k < n:
        chunk = PAGE_SIZE - ((va + k) & (PAGE_SIZE - 1))
        if chunk > n - k:
            chunk = n - k
        if not pl_debug_translate(c, va + k, &pa):
            return False
        if pl_phys_debug(c.mach, pa, data + k, chunk, store) != QEMU_PLUGIN_HWADDR_OPERATION_OK:
            return False
        k += chunk
    return True


cdef public c_bool qemu_plugin_read_memory_vaddr(uint64_t addr, GByteArray* data,
                                               size_t len) noexcept nogil:
    cdef CPU* c = pl_vcpu_or_fatal("qemu_plugin_read_memory_vaddr")
    cdef QpByteArray* b = <QpByteArray*>data
    if c == NULL or data == NULL or len == 0 or len > MASK32 or not pl_glib_ready():
        return False
    (<g_byte_array_set_size_fn>g_rt.g_byte_array_set_size)(data, <unsigned int>len)
    return pl_vaddr_debug(c, addr, b.data, len, False)

cdef public c_bool qemu_plugin_write_memory_vaddr(uint64_t addr, GByteArray* data) noexcept nogil:
    cdef CPU* c = pl_vcpu_or_fatal("qemu_plugin_write_memory_vaddr")
    cdef QpByteArray* b = <QpByteArray*>data
    if c == NULL or b == NULL or b.len == 0:
        return False
    return pl_vaddr_debug(c, addr, b.data, b.len, True)

cdef int pl_hwaddr_access_all(uint64_t addr, uint8_t* data, size_t n, bint store) noexcept nogil:
    cdef size_t k = 0, chunk
    cdef int res
    while k < n:
        chunk = PAGE_SIZE - ((addr + k) & (PAGE_SIZE - 1))
        if chunk > n - k:
            chunk = n - k
        res = pl_phys_debug(g_rt.mach, addr + k, data + k, chunk, store)
        if res != QEMU_PLUGIN_HWADDR_OPERATION_OK:
            return res
        k += chunk
    return QEMU_PLUGIN_HWADDR_OPERATION_OK

cdef public qemu_plugin_hwaddr_operation_result qemu_plugin_read_memory_hwaddr(
        uint64_t addr, GByteArray* data, size_t len) noexcept nogil:
    cdef QpByteArray* b = <QpByteArray*>data
    if pl_vcpu_or_fatal("qemu_plugin_read_memory_hwaddr") == NULL or data == NULL or len == 0 \
            or len > MASK32 or not pl_glib_ready():
        return QEMU_PLUGIN_HWADDR_OPERATION_ERROR
    (<g_byte_array_set_size_fn>g_rt.g_byte_array_set_size)(data, <unsigned int>len)
    return <qemu_plugin_hwaddr_operation_result>pl_hwaddr_access_all(addr, b.data, len, False)

cdef public qemu_plugin_hwaddr_operation_result qemu_plugin_write_memory_hwaddr(
        uint64_t addr, GByteArray* data) noexcept nogil:
    cdef QpByteArray* b = <QpByteArray*>data
    if pl_vcpu_or_fatal("qemu_plugin_write_memory_hwaddr") == NULL or b == NULL or b.len == 0:
        return QEMU_PLUGIN_HWADDR_OPERATION_ERROR
    return <qemu_plugin_hwaddr_operation_result>pl_hwaddr_access_all(addr, b.data, b.len, True)

cdef public c_bool qemu_plugin_translate_vaddr(uint64_t vaddr, uint64_t* hwaddr) noexcept nogil:
    cdef CPU* c = pl_vcpu_or_fatal("qemu_plugin_translate_vaddr")
    cdef uint64_t pa
    if c == NULL or hwaddr == NULL or not pl_debug_translate(c, vaddr, &pa):
        return False
    hwaddr[0] = pa
    return True


# ---- Control (§3.7) --------------------------------------------------------------------------

cdef public void qemu_plugin_reset(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb) noexcept nogil:
    plugin_request(id, <void*>cb, PEND_RESET, "qemu_plugin_reset")

cdef public void qemu_plugin_uninstall(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb) noexcept nogil:
    plugin_request(id, <void*>cb, PEND_UNINSTALL, "qemu_plugin_uninstall")

cdef public const void* qemu_plugin_request_time_control() noexcept nogil:
    if g_rt.time_handle_given:
        return NULL
    g_rt.time_handle_given = 1
    return &g_rt.time_handle_given

cdef public void qemu_plugin_update_ns(const void* handle, int64_t time) noexcept nogil:
    # The virtual clock only moves forward; timers see it from the next block on.
    cdef CPU* c = pl_vcpu_or_fatal("qemu_plugin_update_ns")
    cdef uint64_t now
    cdef uint32_t k
    if c == NULL or handle != <const void*>&g_rt.time_handle_given or time < 0:
        return
    now = cpu_time_ns(c)
    if <uint64_t>time > now:
        c.mach.round_start_ns += <uint64_t>time - now
        for k in range(c.mach.ncpus):
            c.mach.cpus[k].deadline_insns = 0


# ---- Output and parsing (§3.8) ---------------------------------------------------------------

cdef public void qemu_plugin_outs(const char* string) noexcept nogil:
    cdef size_t n, done = 0
    cdef ssize_t w
    if string == NULL:
        return
    n = strlen(string)
    while done < n:
        w = write(g_rt.outs_fd, string + done, n - done)
        if w <= 0:
            return
        done += <size_t>w

cdef bint pl_streq(const char* a, const char* b) noexcept nogil:
    while a[0] != 0 and a[0] == b[0]:
        a += 1
        b += 1
    return a[0] == b[0]

cdef public c_bool qemu_plugin_bool_parse(const char* name, const char* val, c_bool* ret) noexcept nogil:
    if name == NULL or val == NULL or ret == NULL:
        return False
    if pl_streq(val, "on") or pl_streq(val, "yes") or pl_streq(val, "true") or pl_streq(val, "y"):
        ret[0] = True
        return True
    if pl_streq(val, "off") or pl_streq(val, "no") or pl_streq(val, "false") or pl_streq(val, "n"):
        ret[0] = False
        return True
    return False


# ---- Miscellaneous (§3.9) --------------------------------------------------------------------

cdef public int qemu_plugin_num_vcpus() noexcept nogil:
    return <int>g_rt.num_vcpus

cdef public const char* qemu_plugin_path_to_binary() noexcept nogil:
    return NULL

cdef public uint64_t qemu_plugin_start_code() noexcept nogil:
    return 0

cdef public uint64_t qemu_plugin_end_code() noexcept nogil:
    return 0

cdef public uint64_t qemu_plugin_entry_code() noexcept nogil:
    return 0
