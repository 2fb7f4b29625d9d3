# The library's Python hooks and Python devices (qemu_py/hooks.py and devices.py drive them).
#
# Hooks are a client of the plugin runtime, like a native plugin: an internal plugin slot whose
# callbacks are the C functions below. Its tb_trans callback adds a PYHOOK record before each
# instruction a code hook covers (and at the start of each block a block hook covers), so only
# the blocks holding hooked addresses change; memory hooks watch every memory instruction
# through the runtime's memory reporting; exception and idle/resume hooks are the runtime's
# discontinuity and vCPU events. Device-access (MMIO) hooks and Python devices need no plugin
# machinery: the device dispatch in memory.pxi calls them, and only device accesses pay.
#
# The plugin runtime serves one machine at a time (g_rt.mach). A machine with hooks binds it
# before each run; another machine's hooks then wait until it runs again. Native plugins fix
# the runtime to their machine.
#
# A hook is Python, so each call takes the GIL. What it asks for is Mach.hook_action:
# HOOK_STOP (Machine.stop()) and HOOK_ERROR (it raised; the exception waits in PyHooks.error
# for Machine.run to raise) end the run before the instruction the hook came before (a LEAVE
# from its record), after the instruction for memory hooks (a check record before the next
# one), after the exception entry for exception hooks. A Python device that raises abandons the
# instruction making the access (HOOK_ABANDON: it is restarted on the next run). A hook that
# writes the pc sends the vCPU there instead of running the instruction.

from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF

cdef enum:
    HK_CODE = 0
    HK_BLOCK = 1
    HK_MEM = 2
    HK_EXC = 3
    HK_IDLE = 4
    HK_RESUME = 5
    HK_MMIO = 6
    NHK = 7

# Memory and device-access hook flags (PyHook.flags); exception hooks hold DISCON_* bits.
cdef enum:
    HF_READ = 1
    HF_WRITE = 2
    HF_PHYSICAL = 4

cdef extern from *:
    """
    #define QP_PYHOOKS_ID 0x5079486f6f6b7321ULL
    """
    const uint64_t PYHOOKS_ID "QP_PYHOOKS_ID"       # the internal slot's plugin id


cdef struct PyHook:
    uint32_t kind
    uint32_t flags
    uint64_t begin, end         # address range, inclusive
    PyObject* fn                # owned
    uint32_t live               # 0 once removed (freed at the next run)

cdef struct PyHooks:
    PyHook** hooks
    uint32_t n, cap
    uint32_t count[NHK]
    PyHook** dead
    uint32_t ndead, dead_cap
    PyObject* cpus[MAX_CPUS]    # the Machine's CPU views (borrowed: Core keeps the list)
    PyObject* error             # owned: what a hook raised, for Machine.run to raise
    # Resuming where a hook stopped the vCPU: the hooks before that instruction are not called
    # again (the instruction count tells the resumed visit from a later one).
    uint32_t skip_armed, skip_cpu
    uint64_t skip_pc, skip_count
    uint32_t changed            # instrumenting hooks came or went during the run

cdef int g_py_slot = -1         # the internal plugin slot, once made


cdef inline PyHooks* pyhooks_of(Mach* m) noexcept nogil:
    return <PyHooks*>m.pyhooks


cdef inline bint pyhook_covers(PyHook* h, uint64_t lo, uint64_t hi) noexcept nogil:
    return h.live and lo <= h.end and hi >= h.begin


cdef inline bint pyhooks_need_runtime(PyHooks* H) noexcept nogil:
    return H != NULL and (H.count[HK_CODE] or H.count[HK_BLOCK] or H.count[HK_MEM]
                          or H.count[HK_EXC] or H.count[HK_IDLE] or H.count[HK_RESUME])


# ---- Errors and stops ---------------------------------------------------------------------------

cdef void pyhook_failed(Mach* m, object exc, uint32_t action):
    # A hook or device raised: keep the first exception, stop the run. GIL held.
    cdef PyHooks* H = pyhooks_of(m)
    if H.error == NULL:
        Py_INCREF(exc)
        H.error = <PyObject*>exc
    if m.hook_action != HOOK_ABANDON:
        m.hook_action = action
    m.stop_reason = STOP_HOOK


cdef inline object pyhook_cpu(PyHooks* H, CPU* c):
    return <object>H.cpus[c.index]


# ---- Code and block hooks: the PYHOOK record ------------------------------------------------------

cdef inline int op_PYHOOK(CPU* c, Insn* i) noexcept nogil:
    # A Python hook before the instruction at i.pc (imm: its PyHook; imm2: the instruction's
    # index in the block, or for a block hook the block's length). With imm 0, the check after
    # a watched memory instruction: leave here if a memory hook asked to stop.
    if i.imm == 0:
        if c.mach.hook_action == HOOK_NONE and not pyhooks_of(c.mach).changed:
            return NEXT
        pyhooks_of(c.mach).changed = 0
        c.pc = i.pc
        return LEAVE
    return pyhook_exec(c, i, <PyHook*><uintptr_t>i.imm)


cdef int pyhook_exec(CPU* c, Insn* i, PyHook* h) noexcept nogil:
    cdef Mach* m = c.mach
    cdef PyHooks* H = pyhooks_of(m)
    cdef uint64_t index = 0 if h.kind == HK_BLOCK else <uint64_t>i.imm2
    cdef uint64_t count = c.insn_count + index      # instructions completed before this one
    if m.hook_action != HOOK_NONE:
        c.pc = i.pc
        return LEAVE
    if not h.live:
        return NEXT
    if H.skip_armed and H.skip_pc == i.pc and H.skip_count == count and H.skip_cpu == c.index:
        return NEXT
    c.pc = i.pc
    pyhook_call_exec(m, H, h, c, i.pc, <uint64_t>i.imm2)
    if m.hook_action == HOOK_NONE and not H.changed:
        return NEXT if c.pc == i.pc else LEAVE      # a hook may send the vCPU elsewhere
    if (m.hook_action == HOOK_STOP or H.changed) and c.pc == i.pc:
        # Leave before the instruction, and come back without calling its hooks again: for a
        # stop, on the next run; for changed hooks, at once, in a block made with them.
        H.changed = 0
        H.skip_armed = 1
        H.skip_pc = i.pc
        H.skip_count = count
        H.skip_cpu = c.index
    return LEAVE


cdef void pyhook_call_exec(Mach* m, PyHooks* H, PyHook* h, CPU* c, uint64_t pc,
                           uint64_t extra) noexcept with gil:
    try:
        if h.kind == HK_BLOCK:
            (<object>h.fn)(pyhook_cpu(H, c), pc, extra)
        else:
            (<object>h.fn)(pyhook_cpu(H, c), pc)
    except BaseException as e:
        pyhook_failed(m, e, HOOK_ERROR)


# ---- The internal plugin's callbacks ---------------------------------------------------------------

cdef void pyhook_tb_trans(qemu_plugin_id_t id, qemu_plugin_tb* handle) noexcept nogil:
    # Add the records the bound machine's hooks want in this block.
    cdef TransCtx* t = &g_rt.trans
    cdef Mach* m = g_rt.mach
    cdef PyHooks* H
    cdef PyHook* h
    cdef PReq* r
    cdef uint32_t j, k, unit, sign
    cdef uint64_t pc
    if m == NULL or m.pyhooks == NULL:
        return
    H = pyhooks_of(m)
    for k in range(H.n):
        h = H.hooks[k]
        if h.kind == HK_BLOCK and pyhook_covers(h, t.vaddr, t.vaddr):
            r = pl_trans_add(0, RK_PYHOOK)
            if r != NULL:
                r.udata = h
                r.imm = t.n
    for j in range(t.n):
        pc = t.insns[j].pc
        if H.count[HK_CODE]:
            for k in range(H.n):
                h = H.hooks[k]
                if h.kind == HK_CODE and pyhook_covers(h, pc, pc):
                    r = pl_trans_add(j + 1, RK_PYHOOK)
                    if r != NULL:
                        r.udata = h
                        r.imm = j
        if H.count[HK_MEM] and pl_mem_insn_shape(t.insns[j].raw, &unit, &sign):
            # Every memory instruction is watched (where it goes is known only when it runs);
            # the callback filters in C, so accesses outside the hooks' ranges stay in C.
            r = pl_trans_add(j + 1, RK_MEM_CB)
            if r != NULL:
                r.cb = <void*>pyhook_mem
                r.udata = H
                r.rw = QEMU_PLUGIN_MEM_RW
                r.flags = QEMU_PLUGIN_CB_R_REGS
            if j + 1 < t.n:
                r = pl_trans_add(j + 2, RK_PYHOOK)      # the stop check after it
                if r != NULL:
                    r.udata = NULL
                    r.imm = j + 1


cdef void pyhook_mem(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                     void* udata) noexcept nogil:
    cdef PyHooks* H = <PyHooks*>udata
    cdef Access* a = &g_rt.acc
    cdef bint store = ((info >> 16) & QEMU_PLUGIN_MEM_W) != 0
    cdef uint32_t size = 1 << (info & 7), k
    cdef uint64_t addr
    cdef PyHook* h
    k = 0
    while k < H.n:          # hooks may come and go during the calls: re-read each time
        h = H.hooks[k]
        k += 1
        if h.kind != HK_MEM or not h.live or not (h.flags & (HF_WRITE if store else HF_READ)):
            continue
        addr = vaddr
        if h.flags & HF_PHYSICAL:
            pl_access_physical(a)
            addr = a.pa
        if not pyhook_covers(h, addr, addr + size - 1):
            continue
        if g_rt.mach.hook_action != HOOK_NONE:
            return
        pyhook_call_access(g_rt.mach, H, h, a.cpu, addr, size, store, a.lo, a.hi)


cdef void pyhook_call_access(Mach* m, PyHooks* H, PyHook* h, CPU* c, uint64_t addr,
                             uint32_t size, bint store, uint64_t lo, uint64_t hi) noexcept with gil:
    cdef object value = lo
    if size > 8:
        value = lo | (<object>hi << 64)
    try:
        (<object>h.fn)(pyhook_cpu(H, c), addr, size, store, value)
    except BaseException as e:
        pyhook_failed(m, e, HOOK_ABANDON if h.kind == HK_MMIO else HOOK_ERROR)


cdef void pyhook_discon(qemu_plugin_id_t id, unsigned int vcpu_index,
                        qemu_plugin_discon_type kind, uint64_t from_pc,
                        uint64_t to_pc) noexcept nogil:
    cdef Mach* m = g_rt.mach
    cdef PyHooks* H
    cdef PyHook* h
    cdef uint32_t k
    if m == NULL or m.pyhooks == NULL:
        return
    H = pyhooks_of(m)
    k = 0
    while k < H.n:
        h = H.hooks[k]
        k += 1
        if h.kind == HK_EXC and h.live and (h.flags & <uint32_t>kind) \
                and m.hook_action == HOOK_NONE:
            pyhook_call_discon(m, H, h, &m.cpus[vcpu_index], <uint32_t>kind, from_pc, to_pc)


cdef void pyhook_call_discon(Mach* m, PyHooks* H, PyHook* h, CPU* c, uint32_t kind,
                             uint64_t from_pc, uint64_t to_pc) noexcept with gil:
    name = "interrupt" if kind == DISCON_INTERRUPT else \
        ("exception" if kind == DISCON_EXCEPTION else "hostcall")
    try:
        (<object>h.fn)(pyhook_cpu(H, c), name, from_pc, to_pc)
    except BaseException as e:
        pyhook_failed(m, e, HOOK_ERROR)


cdef void pyhook_idle(qemu_plugin_id_t id, unsigned int vcpu_index) noexcept nogil:
    pyhook_vcpu_event(HK_IDLE, vcpu_index)


cdef void pyhook_resume(qemu_plugin_id_t id, unsigned int vcpu_index) noexcept nogil:
    pyhook_vcpu_event(HK_RESUME, vcpu_index)


cdef void pyhook_vcpu_event(uint32_t kind, unsigned int vcpu_index) noexcept nogil:
    cdef Mach* m = g_rt.mach
    cdef PyHooks* H
    cdef uint32_t k
    if m == NULL or m.pyhooks == NULL:
        return
    H = pyhooks_of(m)
    k = 0
    while k < H.n:
        k += 1
        if H.hooks[k - 1].kind == kind and H.hooks[k - 1].live and m.hook_action == HOOK_NONE:
            pyhook_call_vcpu(m, H, H.hooks[k - 1], &m.cpus[vcpu_index])


cdef void pyhook_call_vcpu(Mach* m, PyHooks* H, PyHook* h, CPU* c) noexcept with gil:
    try:
        (<object>h.fn)(pyhook_cpu(H, c))
    except BaseException as e:
        pyhook_failed(m, e, HOOK_ERROR)


# ---- Device accesses (called from phys_read/phys_write) ---------------------------------------------

cdef void pyhook_mmio(CPU* c, uint64_t pa, uint32_t size, bint store, uint64_t value) noexcept nogil:
    cdef Mach* m = c.mach
    cdef PyHooks* H = pyhooks_of(m)
    cdef PyHook* h
    cdef uint32_t k
    if H == NULL:
        return
    if size < 8:
        value &= (<uint64_t>1 << (8 * size)) - 1    # the core passes stores unnarrowed
    k = 0
    while k < H.n:
        h = H.hooks[k]
        k += 1
        if h.kind == HK_MMIO and pyhook_covers(h, pa, pa + size - 1) \
                and (h.flags & (HF_WRITE if store else HF_READ)) and m.hook_action == HOOK_NONE:
            pyhook_call_access(m, H, h, c, pa, size, store, value, 0)


# ---- Python devices: an MMIO region whose read/write call a Python object ----------------------------

cdef struct PyDevice:
    PyObject* obj               # borrowed: Core keeps the device objects
    Mach* mach
    uint64_t mask[9]            # value masks by access size


cdef bint pydev_read(void* dev, uint64_t off, uint32_t size, uint64_t* out) noexcept nogil:
    cdef PyDevice* d = <PyDevice*>dev
    out[0] = 0
    if d.mach.hook_action == HOOK_ABANDON:
        return True             # the instruction is being abandoned already
    pydev_call_read(d, off, size, out)
    return True


cdef void pydev_call_read(PyDevice* d, uint64_t off, uint32_t size, uint64_t* out) noexcept with gil:
    try:
        value = (<object>d.obj).read(off, size)
        out[0] = <uint64_t>(int(value) & d.mask[size if size <= 8 else 8])
    except BaseException as e:
        pyhook_failed(d.mach, e, HOOK_ABANDON)


cdef bint pydev_write(void* dev, uint64_t off, uint32_t size, uint64_t val) noexcept nogil:
    cdef PyDevice* d = <PyDevice*>dev
    if d.mach.hook_action == HOOK_ABANDON:
        return True
    pydev_call_write(d, off, size, val & d.mask[size if size <= 8 else 8])
    return True


cdef void pydev_call_write(PyDevice* d, uint64_t off, uint32_t size, uint64_t val) noexcept with gil:
    try:
        (<object>d.obj).write(off, size, val)
    except BaseException as e:
        pyhook_failed(d.mach, e, HOOK_ABANDON)


# ---- Binding the plugin runtime ---------------------------------------------------------------------

cdef int pyhooks_slot() noexcept nogil:
    # The internal plugin slot, made on first use.
    global g_py_slot
    cdef PluginSlot* p
    if g_py_slot >= 0:
        g_rt.slots[g_py_slot].state = PS_ACTIVE     # a machine gone may have retired it
        return g_py_slot
    if g_rt.nslots >= MAX_PLUGINS:
        return -1
    p = &g_rt.slots[g_rt.nslots]
    memset(p, 0, sizeof(PluginSlot))
    p.id = PYHOOKS_ID
    p.state = PS_ACTIVE
    p.internal = 1
    g_py_slot = <int>g_rt.nslots
    g_rt.nslots += 1
    return g_py_slot


cdef void pyhooks_set_events(Mach* m) noexcept nogil:
    # The internal slot's callbacks as the bound machine's hooks need them.
    cdef PyHooks* H = pyhooks_of(m)
    cdef int s = pyhooks_slot()
    cdef bint trans, exc
    if s < 0:
        return
    trans = H != NULL and (H.count[HK_CODE] or H.count[HK_BLOCK] or H.count[HK_MEM])
    exc = H != NULL and H.count[HK_EXC]
    pl_event_set(s, EVT_TB_TRANS, <void*>pyhook_tb_trans if trans else NULL)
    pl_event_set(s, EVT_DISCON_INT, <void*>pyhook_discon if exc else NULL)
    pl_event_set(s, EVT_DISCON_EXC, <void*>pyhook_discon if exc else NULL)
    pl_event_set(s, EVT_DISCON_HOST, <void*>pyhook_discon if exc else NULL)
    pl_event_set(s, EVT_IDLE, <void*>pyhook_idle if H != NULL and H.count[HK_IDLE] else NULL)
    pl_event_set(s, EVT_RESUME, <void*>pyhook_resume if H != NULL and H.count[HK_RESUME] else NULL)
    pl_update_mask()


cdef void pyhooks_unbind() noexcept nogil:
    # The runtime leaves the machine it serves for hooks (no native plugin is loaded).
    cdef Mach* old = g_rt.mach
    if old == NULL:
        return
    if g_py_slot >= 0:
        plugin_drop_callbacks(g_py_slot)
    old.plugin_mask = 0
    tb_flush(old)               # its blocks lose their hook records
    g_rt.mach = NULL
    if not pl_native_loaded():
        g_rt.started = 0        # a machine attached next starts the runtime afresh


cdef int pyhooks_bind(Mach* m) except -1:
    """Give the plugin runtime to this machine for its hooks (before a run)."""
    cdef uint32_t s
    if g_rt.mach != m:
        if g_rt.mach != NULL and pl_native_loaded():
            from qemu_py.errors import PluginError
            raise PluginError("native plugins are loaded on another machine in this process; "
                              "Python hooks use the same plugin runtime, which serves one "
                              "machine at a time")
        if g_rt.mach == NULL:
            # Plugins left from a machine that is gone report no more.
            for s in range(g_rt.nslots):
                if not g_rt.slots[s].internal and g_rt.slots[s].state == PS_ACTIVE:
                    plugin_drop_callbacks(s)
                    g_rt.slots[s].state = PS_GONE
        pyhooks_unbind()
        g_rt.mach = m
        g_rt.smp = m.ncpus
        if g_rt.nvcpus_max < m.ncpus:
            g_rt.nvcpus_max = m.ncpus
        g_rt.num_vcpus = m.ncpus
        memset(g_rt.vcpu_idle, 0, sizeof(g_rt.vcpu_idle))
        memset(g_rt.vcpu_init, 1, sizeof(g_rt.vcpu_init))
        g_rt.started = 1
        tb_flush(m)
    pyhooks_set_events(m)
    return 0


cdef bint pyhooks_bound(Mach* m) noexcept nogil:
    return g_rt.mach == m and m != NULL


# ---- Bookkeeping ------------------------------------------------------------------------------------

cdef void pyhooks_changed(Mach* m, uint32_t kind) noexcept nogil:
    # A hook of this kind came or went.
    cdef PyHooks* H = pyhooks_of(m)
    m.n_mmio_hooks = H.count[HK_MMIO]
    if pyhooks_bound(m):
        pyhooks_set_events(m)
    if kind == HK_CODE or kind == HK_BLOCK or kind == HK_MEM:
        tb_flush(m)             # blocks are instrumented afresh
        H.changed = 1           # and the one running now is left at the next hook record


cdef void pyhooks_reap(PyHooks* H):
    # Free the hooks removed before this run: no block still refers to them. GIL held.
    cdef uint32_t k
    for k in range(H.ndead):
        Py_XDECREF(H.dead[k].fn)
        free(H.dead[k])
    H.ndead = 0


cdef void pyhooks_free(Mach* m):
    cdef PyHooks* H = pyhooks_of(m)
    cdef uint32_t k
    if H == NULL:
        return
    pyhooks_reap(H)
    for k in range(H.n):
        Py_XDECREF(H.hooks[k].fn)
        free(H.hooks[k])
    Py_XDECREF(H.error)
    free(H.hooks)
    free(H.dead)
    free(H)
    m.pyhooks = NULL
