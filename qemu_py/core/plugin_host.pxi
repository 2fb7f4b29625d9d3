# The plugin runtime's Python side: what qemu_py/plugins.py (the loader) calls to attach the
# plugin machinery to a machine, install plugins, start the vCPUs and end the run. Only here
# does plugin code meet Python; nothing here runs per guest instruction.

cdef extern from "<stdlib.h>":
    int c_atexit "atexit"(void (*fn)() noexcept nogil) nogil

ctypedef int (*cs_open_fn)(int arch, int mode, size_t* handle) noexcept nogil
ctypedef int (*cs_option_fn)(size_t handle, int opt, size_t value) noexcept nogil

cdef bint g_c_atexit_registered = False


def plugin_attach(Core core, uint32_t smp, uint32_t max_vcpus, int outs_fd):
    """Give the plugin machinery to this machine (one per process): scoreboards hold
    max_vcpus elements, outs writes to outs_fd."""
    global g_c_atexit_registered
    if g_rt.mach != NULL and g_rt.mach != core.m:
        raise RuntimeError("plugins are already attached to another machine")
    g_rt.mach = core.m
    g_rt.smp = smp
    g_rt.nvcpus_max = max_vcpus if max_vcpus > smp else smp
    g_rt.outs_fd = outs_fd
    core.m.plugin_mask = PM_WHOLE_BLOCKS
    tb_flush(core.m)
    if not g_c_atexit_registered:
        c_atexit(plugin_c_atexit)
        g_c_atexit_registered = True


def plugin_set_capstone(bytes path, int arch, int mode, int opt_skipdata, int opt_on,
                        uint32_t mnemonic_offset, uint32_t op_str_offset):
    """Open the capstone C library (the one inside the capstone package) for insn_disas."""
    cdef void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL)
    cdef cs_open_fn cs_open
    cdef cs_option_fn cs_option
    cdef size_t handle = 0
    if h == NULL:
        return False
    cs_open = <cs_open_fn>dlsym(h, "cs_open")
    cs_option = <cs_option_fn>dlsym(h, "cs_option")
    g_rt.cs_disasm_fn = dlsym(h, "cs_disasm")
    g_rt.cs_free_fn = dlsym(h, "cs_free")
    if cs_open == NULL or cs_option == NULL or g_rt.cs_disasm_fn == NULL \
            or g_rt.cs_free_fn == NULL or cs_open(arch, mode, &handle) != 0:
        g_rt.cs_disasm_fn = NULL
        return False
    cs_option(handle, opt_skipdata, opt_on)
    g_rt.cs_handle = handle
    g_rt.cs_mnem_off = mnemonic_offset
    g_rt.cs_opstr_off = op_str_offset
    return True


def plugin_set_symbols(list symbols):
    """Guest function symbols for insn_symbol: (start, end, name bytes), sorted by start."""
    cdef uint32_t n = len(symbols), k
    cdef bytes name
    g_rt.sym_start = <uint64_t*>calloc(n + 1, sizeof(uint64_t))
    g_rt.sym_end = <uint64_t*>calloc(n + 1, sizeof(uint64_t))
    g_rt.sym_name = <char**>calloc(n + 1, sizeof(char*))
    if g_rt.sym_start == NULL or g_rt.sym_end == NULL or g_rt.sym_name == NULL:
        raise MemoryError()
    for k in range(n):
        start, end, name = symbols[k]
        g_rt.sym_start[k] = start
        g_rt.sym_end[k] = end
        g_rt.sym_name[k] = <char*>malloc(len(name) + 1)
        if g_rt.sym_name[k] == NULL:
            raise MemoryError()
        memcpy(g_rt.sym_name[k], <char*>name, len(name) + 1)
    g_rt.nsyms = n


def plugin_begin_install(uint64_t plugin_id):
    """A new plugin, about to have its qemu_plugin_install called."""
    cdef PluginSlot* p
    if g_rt.nslots >= MAX_PLUGINS:
        raise RuntimeError(f"more than {MAX_PLUGINS} plugins")
    p = &g_rt.slots[g_rt.nslots]
    memset(p, 0, sizeof(PluginSlot))
    p.id = plugin_id
    p.state = PS_INSTALLING
    g_rt.nslots += 1
    g_rt.uninstall_in_install = 0
    g_rt.ctx.kind = CTX_INSTALL
    g_rt.ctx.level = QEMU_PLUGIN_CB_NO_REGS
    g_rt.ctx.cpu = NULL


def plugin_end_install(uint64_t plugin_id, int rc):
    """Its install returned rc: keep it (0) or uninstall it on its behalf. Returns
    (fatal message or None, whether it called qemu_plugin_uninstall during install)."""
    cdef uint32_t s = g_rt.nslots - 1
    g_rt.ctx.kind = CTX_NONE
    if rc != 0 or g_rt.uninstall_in_install or g_rt.fatal:
        plugin_drop_callbacks(s)
        g_rt.slots[s].state = PS_GONE
    else:
        g_rt.slots[s].state = PS_ACTIVE
    return (g_rt.fatal_msg.decode() if g_rt.fatal else None), bool(g_rt.uninstall_in_install)


def plugin_start(Core core):
    """After every install, before the first instruction: the vCPUs are initialised in index
    order, then those powered off report idle."""
    cdef uint32_t k
    cdef Mach* m = core.m
    if g_rt.mach != m or g_rt.started:
        return
    for k in range(m.ncpus):
        g_rt.num_vcpus = k + 1
        g_rt.vcpu_init[k] = 1
        pl_fire_vcpu_event(EVT_INIT, &m.cpus[k])
    g_rt.started = 1
    for k in range(m.ncpus):
        if m.cpus[k].powered_off:
            g_rt.vcpu_idle[k] = 1
            pl_fire_vcpu_event(EVT_IDLE, &m.cpus[k])
    plugin_raise_fatal()


def plugin_atexit():
    """The end of the run: atexit callbacks, once, newest registration first."""
    plugin_run_atexit()
    plugin_raise_fatal()


def plugin_detach(Core core):
    """End the plugins of this machine now (atexit callbacks, once) and free the machinery for
    another machine."""
    plugin_machine_gone(core.m)


def plugin_fatal_message():
    return g_rt.fatal_msg.decode() if g_rt.fatal else None


def plugin_gone_ids():
    """Ids of plugins uninstalled so far (their modules may be closed)."""
    return [g_rt.slots[k].id for k in range(g_rt.nslots) if g_rt.slots[k].state == PS_GONE]


cdef plugin_raise_fatal():
    if g_rt.fatal:
        from qemu_py.errors import PluginError
        raise PluginError(g_rt.fatal_msg.decode())


cdef void plugin_machine_gone(Mach* m) noexcept nogil:
    # The machine is being freed: its plugins report (once) and are done with; another machine
    # may then take the plugin machinery with plugins of its own.
    cdef uint32_t s
    if g_rt.mach != m:
        return
    plugin_run_atexit()
    for s in range(g_rt.nslots):
        if g_rt.slots[s].state != PS_GONE:
            plugin_drop_callbacks(s)
            g_rt.slots[s].state = PS_GONE
    g_rt.mach = NULL
    g_rt.started = 0
    g_rt.num_vcpus = 0
    g_rt.atexit_done = 0
    g_rt.fatal = 0
    g_rt.pending_any = 0
    g_rt.any_folded = 0
    g_rt.time_handle_given = 0
    memset(g_rt.vcpu_idle, 0, sizeof(g_rt.vcpu_idle))
    memset(g_rt.vcpu_init, 0, sizeof(g_rt.vcpu_init))
