# Taking exceptions to EL1 and returning from them, as the Arm ARM's AArch64.TakeException and
# ERET describe. EL2 and EL3 are absent, so every exception is taken to EL1.

# Exception classes (ESR_ELx.EC).
cdef enum:
    EC_UNKNOWN = 0x00
    EC_WFX = 0x01
    EC_FP_ACCESS = 0x07
    EC_ILLEGAL_STATE = 0x0e
    EC_SVC64 = 0x15
    EC_HVC64 = 0x16
    EC_SMC64 = 0x17
    EC_SYSREG = 0x18
    EC_IABORT_LOWER = 0x20
    EC_IABORT_SAME = 0x21
    EC_PC_ALIGN = 0x22
    EC_DABORT_LOWER = 0x24
    EC_DABORT_SAME = 0x25
    EC_SP_ALIGN = 0x26
    EC_SERROR = 0x2f
    EC_BRK64 = 0x3c

# Offsets in the vector table for the four kinds of exception.
cdef enum:
    EXC_SYNC = 0
    EXC_IRQ = 1
    EXC_FIQ = 2
    EXC_SERROR = 3

# Fault status codes (DFSC/IFSC).
cdef enum:
    FSC_ALIGNMENT = 0x21
    FSC_EXTERNAL = 0x10

cdef enum:
    SCTLR_M = 1 << 0
    SCTLR_A = 1 << 1
    SCTLR_SA = 1 << 3
    SCTLR_SA0 = 1 << 4

cdef enum:
    SPSR_IL = 1 << 20

cdef enum:
    DAIF_MASK_ALL = 0xf << 6
    DAIF_I = 1 << 7


cdef inline void cpu_set_sp_sel(CPU* c, uint32_t el, uint32_t spsel) noexcept nogil:
    # Bank the SP in use and load the one the new EL/SPSel selects.
    if c.el == 0 or c.spsel == 0:
        c.sp_el0 = c.x[REG_SP]
    else:
        c.sp_el1 = c.x[REG_SP]
    c.el = el
    c.spsel = spsel
    if el == 0 or spsel == 0:
        c.x[REG_SP] = c.sp_el0
    else:
        c.x[REG_SP] = c.sp_el1
    cpu_update_tb_flags(c)


cdef enum:
    TBF_FP = 1 << 3         # FP/SIMD enabled at the current EL (CPACR_EL1.FPEN): decode-time trap

cdef inline bint cpu_fp_enabled(CPU* c) noexcept nogil:
    # CPACR_EL1.FPEN: 0b11 traps nothing, 0b01 traps EL0 only, 0b00/0b10 trap EL0 and EL1.
    cdef uint64_t fpen = (c.cpacr_el1 >> 20) & 3
    return fpen == 3 or (fpen == 1 and c.el == 1)

cdef inline void cpu_update_tb_flags(CPU* c) noexcept nogil:
    c.tb_flags = c.el | ((c.sctlr_el1 & SCTLR_M) << 2) | (TBF_FP if cpu_fp_enabled(c) else 0)
    # The TLB set follows the EL (this also ends a plugin's watch when an exception is taken).
    c.tlb_idx = c.el
    c.tlb_idx_unpriv = 0


cdef inline uint64_t cpu_pstate_bits(CPU* c) noexcept nogil:
    # PSTATE as SPSR_ELx records it for an AArch64 state: NZCV, DAIF, M[3:0].
    return ((<uint64_t>c.nzcv) << 28) | c.daif | (c.el << 2) | c.spsel


cdef void log_event(Mach* m, uint32_t kind, uint32_t cpu, uint64_t pc, uint64_t a, uint64_t b,
                    uint64_t cc, uint64_t d) noexcept nogil:
    cdef LogEvent* e
    if m.log_len >= LOG_SIZE:
        return
    e = &m.log[m.log_len]
    m.log_len += 1
    e.kind = kind
    e.cpu = cpu
    e.pc = pc
    e.a = a
    e.b = b
    e.c = cc
    e.d = d
    if m.log_len >= LOG_SIZE - 64:
        m.stop_reason = STOP_DRAIN


cdef void take_exception(CPU* c, uint32_t kind, uint32_t ec, uint32_t iss, uint64_t elr,
                         uint64_t far, bint far_valid) noexcept nogil:
    """Enter EL1 at the vector for `kind`, recording the syndrome. ELR is the preferred return."""
    cdef uint64_t offset
    cdef uint64_t spsr = cpu_pstate_bits(c)
    if c.el == 0:
        offset = 0x400
    elif c.spsel:
        offset = 0x200
    else:
        offset = 0
    offset += kind * 0x80
    cpu_set_sp_sel(c, 1, 1)
    c.spsr_el1 = spsr
    c.elr_el1 = elr
    c.daif = DAIF_MASK_ALL
    if kind == EXC_SYNC or kind == EXC_SERROR:
        # IL is 1: every A64 instruction is 32 bits, and it is RES1 for the other classes.
        c.esr_el1 = (<uint64_t>ec << 26) | (1 << 25) | (iss & 0x1ffffff)
        if far_valid:
            c.far_el1 = far
    c.pc = c.vbar_el1 + offset
    c.exc_streak += 1
    if c.mach.log_mask & LOG_INT:
        log_event(c.mach, EV_EXCEPTION, c.index, elr, c.esr_el1 if kind == EXC_SYNC else 0,
                  spsr, c.pc, kind)
    if c.mach.plugin_mask & PM_DISCON:
        plugin_discon(c, DISCON_EXCEPTION if kind == EXC_SYNC else DISCON_INTERRUPT, elr, c.pc)


cdef inline int raise_sync(CPU* c, Insn* i, uint32_t ec, uint32_t iss) noexcept nogil:
    # An exception whose preferred return is the instruction itself (UNDEFINED, faults, BRK).
    take_exception(c, EXC_SYNC, ec, iss, i.pc, 0, False)
    return FAULT


cdef inline int raise_undef(CPU* c, Insn* i) noexcept nogil:
    return raise_sync(c, i, EC_UNKNOWN, 0)


cdef int raise_data_abort(CPU* c, uint64_t pc, uint64_t va, uint32_t fsc, bint write) noexcept nogil:
    cdef uint32_t iss = fsc | ((<uint32_t>write) << 6)
    take_exception(c, EXC_SYNC, EC_DABORT_LOWER if c.el == 0 else EC_DABORT_SAME, iss, pc, va, True)
    return FAULT


cdef int raise_insn_abort(CPU* c, uint64_t va, uint32_t fsc) noexcept nogil:
    take_exception(c, EXC_SYNC, EC_IABORT_LOWER if c.el == 0 else EC_IABORT_SAME, fsc, va, va, True)
    return FAULT


cdef void exception_return(CPU* c) noexcept nogil:
    """ERET: restore PSTATE from SPSR_EL1 and continue at ELR_EL1."""
    cdef uint64_t spsr = c.spsr_el1
    cdef uint32_t m = spsr & 0x1f
    cdef bint illegal = m != 0 and m != 4 and m != 5
    c.excl_valid = 0
    # NZCV and DAIF come from SPSR even when the return is illegal.
    c.nzcv = (spsr >> 28) & 0xf
    c.daif = spsr & DAIF_MASK_ALL
    if not illegal:
        cpu_set_sp_sel(c, m >> 2, m & 1)
    c.pc = c.elr_el1
    if illegal or spsr & SPSR_IL:
        # PSTATE.IL is set: by an illegal return (AArch32, EL2/EL3 or a reserved mode: EL and SP
        # stay as they are) or copied from SPSR. The next instruction then takes an Illegal
        # Execution state exception; we take it now, at the return address, with IL in SPSR.
        take_exception(c, EXC_SYNC, EC_ILLEGAL_STATE, 0, c.pc, 0, False)
        c.spsr_el1 |= SPSR_IL
