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
    PSCI_RET_NOT_SUPPORTED = -1

cdef enum:
    SEMI_WRITEC = 0x03
    SEMI_WRITE0 = 0x04
    SEMI_WRITE = 0x05
    SEMI_EXIT = 0x18
    SEMI_EXIT_EXTENDED = 0x20
    ADP_STOPPED_APPLICATION_EXIT = 0x20026


cdef bint is_psci_call(uint64_t fn) noexcept nogil:
    # SMC Calling Convention: standard secure service calls 0x00-0x1f, SMC32 or SMC64.
    cdef uint32_t f = <uint32_t>fn
    return (f & <uint32_t>0xbfffffe0) == <uint32_t>PSCI_VERSION


cdef int psci_call(CPU* c) noexcept nogil:
    cdef uint32_t fn = <uint32_t>c.x[0]
    cdef Mach* m = c.mach
    cdef int64_t ret = PSCI_RET_NOT_SUPPORTED
    if fn == PSCI_VERSION:
        ret = 0x10000           # PSCI 1.0
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
                or fn == PSCI_SYSTEM_RESET or fn == PSCI_FEATURES:
            ret = 0
    c.x[0] = <uint64_t>ret
    return 0


cdef bint semi_read_u64(CPU* c, Insn* i, uint64_t va, uint64_t* out) noexcept nogil:
    return mem_read(c, i, va, 8, 0, out)


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
        uart_output(m, <uint8_t>ch)
        return NEXT
    if op == SEMI_WRITE0:
        while True:
            if not mem_read(c, i, arg, 1, 0, &ch):
                return FAULT
            if ch == 0:
                break
            uart_output(m, <uint8_t>ch)
            arg += 1
        return NEXT
    if op == SEMI_WRITE:
        if not semi_read_u64(c, i, arg, &fd) or not semi_read_u64(c, i, arg + 8, &buf) \
                or not semi_read_u64(c, i, arg + 16, &length):
            return FAULT
        for k in range(length):
            if not mem_read(c, i, buf + k, 1, 0, &ch):
                return FAULT
            uart_output(m, <uint8_t>ch)
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
