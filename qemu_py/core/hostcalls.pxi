# Calls the guest makes to the host rather than to hardware: PSCI over HVC/SMC and Arm
# semihosting over HLT #0xF000. Each one completes like an instruction and sets X0.

cdef enum:
    PSCI_VERSION = 0x84000000
    PSCI_CPU_SUSPEND = 0x84000001
    PSCI_CPU_OFF = 0x84000002
    PSCI_CPU_ON = 0x84000003
    PSCI_AFFINITY_INFO = 0x84000004
    PSCI_MIGRATE_INFO_TYPE = 0x84000006
    PSCI_SYSTEM_OFF = 0x84000008
    PSCI_SYSTEM_RESET = 0x84000009
    PSCI_FEATURES = 0x8400000a

cdef enum:
    PSCI_CPU_ON_64 = 0xc4000003
    PSCI_AFFINITY_INFO_64 = 0xc4000004
    PSCI_CPU_SUSPEND_64 = 0xc4000001

cdef enum:
    PSCI_RET_SUCCESS = 0
    PSCI_RET_NOT_SUPPORTED = -1
    PSCI_RET_INVALID_PARAMS = -2
    PSCI_RET_ALREADY_ON = -4

cdef enum:
    SEMI_WRITEC = 0x03
    SEMI_WRITE0 = 0x04
    SEMI_WRITE = 0x05
    SEMI_EXIT = 0x18
    SEMI_EXIT_EXTENDED = 0x20
    ADP_STOPPED_APPLICATION_EXIT = 0x20026


cdef CPU* psci_find_cpu(Mach* m, uint64_t mpidr) noexcept nogil:
    cdef uint32_t k
    for k in range(m.ncpus):
        if (m.cpus[k].mpidr & <uint64_t>0xff00ffffff) == (mpidr & <uint64_t>0xff00ffffff):
            return &m.cpus[k]
    return NULL


cdef void cpu_power_on(CPU* t, uint64_t entry, uint64_t context) noexcept nogil:
    # A vCPU coming out of PSCI CPU_ON: EL1h, MMU off, interrupts masked, x0 = context.
    memset(t.x, 0, sizeof(t.x))
    t.pc = entry
    t.x[0] = context
    t.nzcv = 0
    t.el = 1
    t.spsel = 1
    t.daif = DAIF_MASK_ALL
    t.sctlr_el1 = 0x00c50838
    t.excl_valid = 0
    t.halted = 0
    t.powered_off = 0
    t.exc_streak = 0
    cpu_update_tb_flags(t)
    tlb_flush(t)


cdef int psci_call(CPU* c) noexcept nogil:
    cdef uint32_t fn = <uint32_t>c.x[0]
    cdef Mach* m = c.mach
    cdef int64_t ret = PSCI_RET_NOT_SUPPORTED
    cdef CPU* t
    cdef bint is64 = (fn & 0x40000000) != 0
    if fn == PSCI_CPU_ON or fn == <uint32_t>PSCI_CPU_ON_64:
        t = psci_find_cpu(m, c.x[1])
        if t == NULL:
            ret = PSCI_RET_INVALID_PARAMS
        elif not t.powered_off:
            ret = PSCI_RET_ALREADY_ON
        else:
            cpu_power_on(t, c.x[2] if is64 else c.x[2] & MASK32, c.x[3] if is64 else c.x[3] & MASK32)
            ret = PSCI_RET_SUCCESS
    elif fn == PSCI_CPU_OFF:
        c.powered_off = 1
        ret = PSCI_RET_SUCCESS
    elif fn == PSCI_AFFINITY_INFO or fn == <uint32_t>PSCI_AFFINITY_INFO_64:
        t = psci_find_cpu(m, c.x[1])
        if c.x[2] != 0:
            ret = 0                     # levels above the cores (clusters) are always on
        elif t == NULL:
            ret = PSCI_RET_INVALID_PARAMS
        else:
            ret = 1 if t.powered_off else 0
    elif fn == PSCI_CPU_SUSPEND or fn == <uint32_t>PSCI_CPU_SUSPEND_64:
        # A standby request: behaves like WFI, woken by any interrupt.
        c.halted = 1
        ret = PSCI_RET_SUCCESS
    elif fn == PSCI_VERSION:
        ret = 0x10001           # PSCI 1.1, as QEMU's virt reports
    elif fn == PSCI_MIGRATE_INFO_TYPE:
        ret = 2                 # no trusted OS to migrate
    elif fn == PSCI_SYSTEM_OFF:
        m.stop_reason = STOP_POWEROFF
        ret = 0
    elif fn == PSCI_SYSTEM_RESET:
        m.stop_reason = STOP_RESET
        ret = 0
    elif fn == PSCI_FEATURES:
        fn = <uint32_t>c.x[1]
        if fn == PSCI_VERSION or fn == PSCI_MIGRATE_INFO_TYPE or fn == PSCI_SYSTEM_OFF \
                or fn == PSCI_SYSTEM_RESET or fn == PSCI_FEATURES or fn == PSCI_CPU_ON \
                or fn == <uint32_t>PSCI_CPU_ON_64 or fn == PSCI_CPU_OFF or fn == PSCI_AFFINITY_INFO \
                or fn == <uint32_t>PSCI_AFFINITY_INFO_64 or fn == PSCI_CPU_SUSPEND \
                or fn == <uint32_t>PSCI_CPU_SUSPEND_64:
            ret = 0
    c.x[0] = <uint64_t>ret
    return 0


cdef bint semi_read_u64(CPU* c, Insn* i, uint64_t va, uint64_t* out) noexcept nogil:
    return mem_read(c, i, va, 8, 0, out)


cdef void semihosting_output(Mach* m, uint8_t ch) noexcept nogil:
    if m.semi_out_len < UART_OUT_SIZE:
        m.semi_out[m.semi_out_len] = ch
        m.semi_out_len += 1
    if m.semi_out_len >= UART_OUT_SIZE - 16:
        m.stop_reason = STOP_DRAIN


cdef int semihosting_call(CPU* c, Insn* i) noexcept nogil:
    """Runs the call in W0 with its argument block at X1. Returns FAULT if reading guest memory
    faulted (the abort has been raised), else NEXT or JUMP."""
    cdef Mach* m = c.mach
    cdef uint32_t op = <uint32_t>c.x[0]
    cdef uint64_t arg = c.x[1]
    cdef uint64_t ch, fd, buf, length, reason, sub, k
    if m.log_mask & LOG_INT:
        log_event(m, EV_HOSTCALL, c.index, i.pc, op, arg, 0, 0)
    if op == SEMI_WRITEC:
        if not mem_read(c, i, arg, 1, 0, &ch):
            return FAULT
        semihosting_output(m, <uint8_t>ch)
        return NEXT
    if op == SEMI_WRITE0:
        while True:
            if not mem_read(c, i, arg, 1, 0, &ch):
                return FAULT
            if ch == 0:
                break
            semihosting_output(m, <uint8_t>ch)
            arg += 1
        return NEXT
    if op == SEMI_WRITE:
        if not semi_read_u64(c, i, arg, &fd) or not semi_read_u64(c, i, arg + 8, &buf) \
                or not semi_read_u64(c, i, arg + 16, &length):
            return FAULT
        for k in range(length):
            if not mem_read(c, i, buf + k, 1, 0, &ch):
                return FAULT
            semihosting_output(m, <uint8_t>ch)
        c.x[0] = 0              # bytes not written
        return NEXT
    if op == SEMI_EXIT or op == SEMI_EXIT_EXTENDED:
        if not semi_read_u64(c, i, arg, &reason) or not semi_read_u64(c, i, arg + 8, &sub):
            return FAULT
        m.exit_code = <int32_t>sub if reason == ADP_STOPPED_APPLICATION_EXIT else 1
        m.stop_reason = STOP_EXIT
        return JUMP
    c.x[0] = <uint64_t>(-1)
    return NEXT
