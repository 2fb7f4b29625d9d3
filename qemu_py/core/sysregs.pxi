# System registers reached by MRS/MSR, and the SYS operations (cache and TLB maintenance, AT).
# A register is named by its encoding key op0:op1:CRn:CRm:op2 (16 bits), as the manual lists them.
# Accessing an encoding not listed here is UNDEFINED, never a silent zero.

cdef enum:
    SCTLR_UMA = 1 << 9
    SCTLR_DZE = 1 << 14
    SCTLR_UCT = 1 << 15
    SCTLR_NTWI = 1 << 16
    SCTLR_UCI = 1 << 26

cdef inline uint32_t sysreg_key(uint32_t op0, uint32_t op1, uint32_t crn, uint32_t crm,
                                uint32_t op2) noexcept nogil:
    return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2

# Keys, written as (op0, op1, CRn, CRm, op2).
cdef enum:
    SR_MIDR_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (0 << 3) | 0
    SR_MPIDR_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (0 << 3) | 5
    SR_REVIDR_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (0 << 3) | 6
    SR_ID_AA64PFR0_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (4 << 3) | 0
    SR_ID_AA64PFR1_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (4 << 3) | 1
    SR_ID_AA64DFR0_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (5 << 3) | 0
    SR_ID_AA64ISAR0_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (6 << 3) | 0
    SR_ID_AA64ISAR1_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (6 << 3) | 1
    SR_ID_AA64MMFR0_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (7 << 3) | 0
    SR_ID_AA64MMFR1_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (7 << 3) | 1
    SR_ID_AA64MMFR2_EL1 = (3 << 14) | (0 << 11) | (0 << 7) | (7 << 3) | 2
    SR_SCTLR_EL1 = (3 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 0
    SR_ACTLR_EL1 = (3 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 1
    SR_CPACR_EL1 = (3 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 2
    SR_TTBR0_EL1 = (3 << 14) | (0 << 11) | (2 << 7) | (0 << 3) | 0
    SR_TTBR1_EL1 = (3 << 14) | (0 << 11) | (2 << 7) | (0 << 3) | 1
    SR_TCR_EL1 = (3 << 14) | (0 << 11) | (2 << 7) | (0 << 3) | 2
    SR_SPSR_EL1 = (3 << 14) | (0 << 11) | (4 << 7) | (0 << 3) | 0
    SR_ELR_EL1 = (3 << 14) | (0 << 11) | (4 << 7) | (0 << 3) | 1
    SR_SP_EL0 = (3 << 14) | (0 << 11) | (4 << 7) | (1 << 3) | 0
    SR_SPSEL = (3 << 14) | (0 << 11) | (4 << 7) | (2 << 3) | 0
    SR_CURRENTEL = (3 << 14) | (0 << 11) | (4 << 7) | (2 << 3) | 2
    SR_AFSR0_EL1 = (3 << 14) | (0 << 11) | (5 << 7) | (1 << 3) | 0
    SR_AFSR1_EL1 = (3 << 14) | (0 << 11) | (5 << 7) | (1 << 3) | 1
    SR_ESR_EL1 = (3 << 14) | (0 << 11) | (5 << 7) | (2 << 3) | 0
    SR_FAR_EL1 = (3 << 14) | (0 << 11) | (6 << 7) | (0 << 3) | 0
    SR_PAR_EL1 = (3 << 14) | (0 << 11) | (7 << 7) | (4 << 3) | 0
    SR_MAIR_EL1 = (3 << 14) | (0 << 11) | (10 << 7) | (2 << 3) | 0
    SR_AMAIR_EL1 = (3 << 14) | (0 << 11) | (10 << 7) | (3 << 3) | 0
    SR_VBAR_EL1 = (3 << 14) | (0 << 11) | (12 << 7) | (0 << 3) | 0
    SR_CONTEXTIDR_EL1 = (3 << 14) | (0 << 11) | (13 << 7) | (0 << 3) | 1
    SR_TPIDR_EL1 = (3 << 14) | (0 << 11) | (13 << 7) | (0 << 3) | 4
    SR_CNTKCTL_EL1 = (3 << 14) | (0 << 11) | (14 << 7) | (1 << 3) | 0
    SR_CCSIDR_EL1 = (3 << 14) | (1 << 11) | (0 << 7) | (0 << 3) | 0
    SR_CLIDR_EL1 = (3 << 14) | (1 << 11) | (0 << 7) | (0 << 3) | 1
    SR_AIDR_EL1 = (3 << 14) | (1 << 11) | (0 << 7) | (0 << 3) | 7
    SR_CSSELR_EL1 = (3 << 14) | (2 << 11) | (0 << 7) | (0 << 3) | 0
    SR_CTR_EL0 = (3 << 14) | (3 << 11) | (0 << 7) | (0 << 3) | 1
    SR_DCZID_EL0 = (3 << 14) | (3 << 11) | (0 << 7) | (0 << 3) | 7
    SR_NZCV = (3 << 14) | (3 << 11) | (4 << 7) | (2 << 3) | 0
    SR_DAIF = (3 << 14) | (3 << 11) | (4 << 7) | (2 << 3) | 1
    SR_FPCR = (3 << 14) | (3 << 11) | (4 << 7) | (4 << 3) | 0
    SR_FPSR = (3 << 14) | (3 << 11) | (4 << 7) | (4 << 3) | 1
    SR_TPIDR_EL0 = (3 << 14) | (3 << 11) | (13 << 7) | (0 << 3) | 2
    SR_TPIDRRO_EL0 = (3 << 14) | (3 << 11) | (13 << 7) | (0 << 3) | 3
    SR_CNTFRQ_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (0 << 3) | 0
    SR_CNTPCT_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (0 << 3) | 1
    SR_CNTVCT_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (0 << 3) | 2
    SR_CNTP_TVAL_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (2 << 3) | 0
    SR_CNTP_CTL_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (2 << 3) | 1
    SR_CNTP_CVAL_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (2 << 3) | 2
    SR_CNTV_TVAL_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (3 << 3) | 0
    SR_CNTV_CTL_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (3 << 3) | 1
    SR_CNTV_CVAL_EL0 = (3 << 14) | (3 << 11) | (14 << 7) | (3 << 3) | 2
    SR_MDCCINT_EL1 = (2 << 14) | (0 << 11) | (0 << 7) | (2 << 3) | 0
    SR_MDRAR_EL1 = (2 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 0
    SR_OSLSR_EL1 = (2 << 14) | (0 << 11) | (1 << 7) | (1 << 3) | 4
    SR_DBGPRCR_EL1 = (2 << 14) | (0 << 11) | (1 << 7) | (4 << 3) | 4
    SR_DBGCLAIMSET_EL1 = (2 << 14) | (0 << 11) | (7 << 7) | (8 << 3) | 6
    SR_DBGCLAIMCLR_EL1 = (2 << 14) | (0 << 11) | (7 << 7) | (9 << 3) | 6
    SR_DBGAUTHSTATUS_EL1 = (2 << 14) | (0 << 11) | (7 << 7) | (14 << 3) | 6
    SR_MDSCR_EL1 = (2 << 14) | (0 << 11) | (0 << 7) | (2 << 3) | 2
    SR_OSLAR_EL1 = (2 << 14) | (0 << 11) | (1 << 7) | (0 << 3) | 4
    SR_OSDLR_EL1 = (2 << 14) | (0 << 11) | (1 << 7) | (3 << 3) | 4

# The generic timer's counter frequency (62.5 MHz, as QEMU's virt board of Debian's QEMU).
cdef enum:
    CNTFRQ_HZ = 62500000


cdef inline uint64_t virtual_counter(CPU* c) noexcept nogil:
    return counter_now(c)


cdef uint32_t sysreg_trap_iss(Insn* i) noexcept nogil:
    # ISS for EC 0x18 from the encoding: Op0, Op2, Op1, CRn, Rt, CRm, direction (1 = read).
    cdef uint32_t insn = i.raw
    return (bits(insn, 20, 19) << 20) | (bits(insn, 7, 5) << 17) | (bits(insn, 18, 16) << 14) \
        | (bits(insn, 15, 12) << 10) | (bits(insn, 4, 0) << 5) | (bits(insn, 11, 8) << 1) \
        | bits(insn, 21, 21)


cdef uint64_t* sysreg_storage(CPU* c, uint32_t key) noexcept nogil:
    # Registers that are plain storage at EL1.
    cdef uint32_t op2 = key & 7, crm = (key >> 3) & 0xf
    if (key >> 7) == (2 << 7) and op2 >= 4:
        # DBGBVR<n> (op2 4), DBGBCR<n> (5), DBGWVR<n> (6), DBGWCR<n> (7), n = CRm.
        return &c.dbg_regs[(op2 - 4) * 16 + crm]
    if key == SR_MDCCINT_EL1: return &c.mdccint_el1
    if key == SR_SCTLR_EL1: return &c.sctlr_el1
    if key == SR_ACTLR_EL1: return &c.actlr_el1
    if key == SR_CPACR_EL1: return &c.cpacr_el1
    if key == SR_TTBR0_EL1: return &c.ttbr0_el1
    if key == SR_TTBR1_EL1: return &c.ttbr1_el1
    if key == SR_TCR_EL1: return &c.tcr_el1
    if key == SR_SPSR_EL1: return &c.spsr_el1
    if key == SR_ELR_EL1: return &c.elr_el1
    if key == SR_AFSR0_EL1: return &c.afsr0_el1
    if key == SR_AFSR1_EL1: return &c.afsr1_el1
    if key == SR_ESR_EL1: return &c.esr_el1
    if key == SR_FAR_EL1: return &c.far_el1
    if key == SR_PAR_EL1: return &c.par_el1
    if key == SR_MAIR_EL1: return &c.mair_el1
    if key == SR_AMAIR_EL1: return &c.amair_el1
    if key == SR_VBAR_EL1: return &c.vbar_el1
    if key == SR_CONTEXTIDR_EL1: return &c.contextidr_el1
    if key == SR_TPIDR_EL1: return &c.tpidr_el1
    if key == SR_CNTKCTL_EL1: return &c.cntkctl_el1
    if key == SR_CSSELR_EL1: return &c.csselr_el1
    if key == SR_MDSCR_EL1: return &c.mdscr_el1
    return NULL


# How EL0 may use a system register: allowed, trapped to EL1 (EC 0x18, when an EL1 control bit
# withholds an EL0-accessible register) or UNDEFINED (registers EL0 can never reach).
cdef enum:
    EL0_UNDEF = -1
    EL0_TRAP = 0
    EL0_OK = 1


cdef inline int el0_if(bint allowed) noexcept nogil:
    return EL0_OK if allowed else EL0_TRAP


cdef int sysreg_el0_access(CPU* c, uint32_t key, bint write) noexcept nogil:
    cdef uint64_t k = c.cntkctl_el1
    if key == SR_NZCV or key == SR_FPCR or key == SR_FPSR or key == SR_TPIDR_EL0:
        return EL0_OK
    if key == SR_DAIF:
        return el0_if(c.sctlr_el1 & SCTLR_UMA)
    if key == SR_TPIDRRO_EL0 or key == SR_DCZID_EL0:
        return EL0_UNDEF if write else EL0_OK
    if key == SR_CTR_EL0:
        return EL0_UNDEF if write else el0_if(c.sctlr_el1 & SCTLR_UCT)
    # The counter and timers, as CNTKCTL_EL1 allows.
    if key == SR_CNTPCT_EL0:
        return EL0_UNDEF if write else el0_if(k & 1)
    if key == SR_CNTVCT_EL0:
        return EL0_UNDEF if write else el0_if(k & 2)
    if key == SR_CNTFRQ_EL0:
        return EL0_UNDEF if write else el0_if(k & 3)
    if key == SR_CNTV_TVAL_EL0 or key == SR_CNTV_CTL_EL0 or key == SR_CNTV_CVAL_EL0:
        return el0_if(k & (1 << 8))
    if key == SR_CNTP_TVAL_EL0 or key == SR_CNTP_CTL_EL0 or key == SR_CNTP_CVAL_EL0:
        return el0_if(k & (1 << 9))
    return EL0_UNDEF


cdef int sysreg_el0_check(CPU* c, Insn* i, uint32_t key, bint write) noexcept nogil:
    # NEXT when EL0 may go on, else the exception taken.
    cdef int access = sysreg_el0_access(c, key, write)
    if access == EL0_OK:
        return NEXT
    if access == EL0_TRAP:
        return raise_sync(c, i, EC_SYSREG, sysreg_trap_iss(i))
    return raise_undef(c, i)


cdef int sysreg_read(CPU* c, Insn* i, uint32_t key, uint64_t* out) noexcept nogil:
    cdef uint64_t* field
    cdef uint32_t op0 = key >> 14
    if c.el == 0 and sysreg_el0_check(c, i, key, False) != NEXT:
        return FAULT
    if (key == SR_FPCR or key == SR_FPSR) and not cpu_fp_enabled(c):
        return raise_fp_access(c, i)
    field = sysreg_storage(c, key)
    if field != NULL:
        out[0] = field[0]
        return NEXT
    if key == SR_NZCV: out[0] = (<uint64_t>c.nzcv) << 28
    elif key == SR_DAIF: out[0] = c.daif
    elif key == SR_SPSEL: out[0] = c.spsel
    elif key == SR_CURRENTEL: out[0] = c.el << 2
    elif key == SR_SP_EL0:
        if c.spsel == 0:
            return raise_undef(c, i)                         # SP_EL0 is the SP in use
        out[0] = c.sp_el0
    elif key == SR_FPCR: out[0] = c.fpcr
    elif key == SR_FPSR: out[0] = c.fpsr
    elif key == SR_TPIDR_EL0: out[0] = c.tpidr_el0
    elif key == SR_TPIDRRO_EL0: out[0] = c.tpidrro_el0
    elif key == SR_MIDR_EL1: out[0] = c.midr
    elif key == SR_MPIDR_EL1: out[0] = c.mpidr
    elif key == SR_REVIDR_EL1: out[0] = c.revidr
    elif key == SR_CTR_EL0: out[0] = c.ctr
    elif key == SR_DCZID_EL0: out[0] = c.dczid | ((c.el == 0 and not (c.sctlr_el1 & SCTLR_DZE)) << 4)
    elif key == SR_CLIDR_EL1: out[0] = c.clidr
    elif key == SR_AIDR_EL1: out[0] = c.aidr
    elif key == SR_CCSIDR_EL1: out[0] = 0x700fe01a if c.csselr_el1 & 1 == 0 else 0x201fe01a
    elif key == SR_ID_AA64PFR0_EL1: out[0] = c.id_aa64pfr0
    elif key == SR_ID_AA64PFR1_EL1: out[0] = c.id_aa64pfr1
    elif key == SR_ID_AA64DFR0_EL1: out[0] = c.id_aa64dfr0
    elif key == SR_ID_AA64ISAR0_EL1: out[0] = c.id_aa64isar0
    elif key == SR_ID_AA64ISAR1_EL1: out[0] = c.id_aa64isar1
    elif key == SR_ID_AA64MMFR0_EL1: out[0] = c.id_aa64mmfr0
    elif key == SR_ID_AA64MMFR1_EL1: out[0] = c.id_aa64mmfr1
    elif key == SR_ID_AA64MMFR2_EL1: out[0] = c.id_aa64mmfr2
    elif key == SR_CNTFRQ_EL0: out[0] = CNTFRQ_HZ
    elif key == SR_CNTPCT_EL0 or key == SR_CNTVCT_EL0: out[0] = virtual_counter(c)
    elif key == SR_CNTV_CTL_EL0: out[0] = timer_ctl_read(c.cntv_ctl, c.cntv_cval, counter_now(c))
    elif key == SR_CNTV_CVAL_EL0: out[0] = c.cntv_cval
    elif key == SR_CNTV_TVAL_EL0: out[0] = <uint32_t>(c.cntv_cval - counter_now(c))
    elif key == SR_CNTP_CTL_EL0: out[0] = timer_ctl_read(c.cntp_ctl, c.cntp_cval, counter_now(c))
    elif key == SR_CNTP_CVAL_EL0: out[0] = c.cntp_cval
    elif key == SR_CNTP_TVAL_EL0: out[0] = <uint32_t>(c.cntp_cval - counter_now(c))
    elif key == SR_OSDLR_EL1 or key == SR_MDRAR_EL1 or key == SR_DBGPRCR_EL1: out[0] = 0
    elif key == SR_OSLSR_EL1: out[0] = 0x8          # OS lock model implemented, unlocked
    elif key == SR_DBGCLAIMSET_EL1: out[0] = 0xff   # eight claim tag bits exist
    elif key == SR_DBGCLAIMCLR_EL1: out[0] = c.dbgclaim
    elif key == SR_DBGAUTHSTATUS_EL1: out[0] = 0
    elif op0 == 3 and (key >> 7) == (3 << 7) and ((key >> 3) & 0xf) >= 1:
        # The rest of the ID register space (op1=0, CRn=0, CRm=1..7) reads as zero.
        out[0] = 0
    else:
        return raise_undef(c, i)
    return NEXT


cdef int sysreg_write(CPU* c, Insn* i, uint32_t key, uint64_t v) noexcept nogil:
    cdef uint64_t* field
    if c.el == 0 and sysreg_el0_check(c, i, key, True) != NEXT:
        return FAULT
    if (key == SR_FPCR or key == SR_FPSR) and not cpu_fp_enabled(c):
        return raise_fp_access(c, i)
    field = sysreg_storage(c, key)
    if field != NULL:
        field[0] = v
        if key == SR_SCTLR_EL1 or key == SR_TCR_EL1 or key == SR_TTBR0_EL1 or key == SR_TTBR1_EL1 \
                or key == SR_CPACR_EL1:
            cpu_update_tb_flags(c)
            tlb_flush(c)
        return NEXT
    if (key >> 7) == ((3 << 7) | (3 << 4) | 14):
        c.deadline_insns = 0            # timer registers: re-evaluate before the next block
    if key == SR_NZCV: c.nzcv = (v >> 28) & 0xf
    elif key == SR_DAIF: c.daif = v & DAIF_MASK_ALL
    elif key == SR_SPSEL: cpu_set_sp_sel(c, c.el, v & 1)
    elif key == SR_SP_EL0:
        if c.spsel == 0:
            return raise_undef(c, i)
        c.sp_el0 = v
    elif key == SR_FPCR: c.fpcr = v & <uint64_t>0x07ff9f00
    elif key == SR_FPSR: c.fpsr = v & <uint64_t>0xf800009f
    elif key == SR_TPIDR_EL0: c.tpidr_el0 = v
    elif key == SR_TPIDRRO_EL0: c.tpidrro_el0 = v
    elif key == SR_OSLAR_EL1 or key == SR_OSDLR_EL1 or key == SR_DBGPRCR_EL1: pass
    elif key == SR_DBGCLAIMSET_EL1: c.dbgclaim |= v & 0xff
    elif key == SR_DBGCLAIMCLR_EL1: c.dbgclaim &= ~v
    elif key == SR_CNTV_CTL_EL0: c.cntv_ctl = v & 3
    elif key == SR_CNTV_CVAL_EL0: c.cntv_cval = v
    elif key == SR_CNTV_TVAL_EL0: c.cntv_cval = counter_now(c) + <uint64_t>sext(v, 32)
    elif key == SR_CNTP_CTL_EL0: c.cntp_ctl = v & 3
    elif key == SR_CNTP_CVAL_EL0: c.cntp_cval = v
    elif key == SR_CNTP_TVAL_EL0: c.cntp_cval = counter_now(c) + <uint64_t>sext(v, 32)
    else:
        return raise_undef(c, i)                             # read-only or unknown
    return NEXT


# SYS operations, keyed like registers with op0 = 1.
cdef inline bint sys_is_tlbi(uint32_t key) noexcept nogil:
    return ((key >> 7) & 0xf) == 8

cdef bint sys_op_ends_block(uint32_t key) noexcept nogil:
    # TLB maintenance and address translation end the block, as in QEMU; cache maintenance
    # (DC, IC) does not.
    return sys_is_tlbi(key) or ((key >> 7) & 0xf) == 7 and ((key >> 3) & 0xf) == 8


cdef int sys_op(CPU* c, Insn* i, uint32_t key, uint64_t arg) noexcept nogil:
    cdef uint32_t op1 = (key >> 11) & 7
    cdef uint32_t crn = (key >> 7) & 0xf
    cdef uint32_t crm = (key >> 3) & 0xf
    cdef uint32_t op2 = key & 7
    cdef uint64_t base, pa, leaf
    cdef uint32_t fsc = 0, k, perms
    cdef bint ends = sys_op_ends_block(key)
    if crn == 8:                                             # TLBI: any form drops everything
        if c.el == 0:
            return raise_undef(c, i)
        tlb_flush_all(c.mach)
    elif crn == 7 and crm == 4 and op1 == 3 and op2 == 1:    # DC ZVA
        if c.el == 0 and not (c.sctlr_el1 & SCTLR_DZE):
            return raise_sync(c, i, EC_SYSREG, sysreg_trap_iss(i))
        base = arg & ~(<uint64_t>(4 << c.dczid) - 1)
        for k in range(0, 4 << c.dczid, 8):
            if not mem_write(c, i, base + k, 8, 0, 0):
                return FAULT
    elif crn == 7 and crm == 8 and op1 == 0 and op2 < 4:     # AT S1E1R/W, S1E0R/W
        if c.el == 0:
            return raise_undef(c, i)
        leaf = 0
        if not (c.sctlr_el1 & SCTLR_M):
            c.par_el1 = mmu_par(c, arg, 0)
        elif mmu_walk_leaf(c, arg, (op2 & 2) != 0, ACC_WRITE if op2 & 1 else ACC_READ, &pa,
                           &perms, &fsc, &leaf):
            c.par_el1 = mmu_par(c, pa, leaf)
        else:
            c.par_el1 = 1 | (fsc << 1) | (1 << 11)          # F, FST; bit 11 RES1
    elif crn == 7 and (crm == 1 or crm == 5 or crm == 6 or crm == 10 or crm == 11 or crm == 12
                       or crm == 14):
        # Instruction and data cache maintenance: our caches are always coherent. IC
        # invalidation needs nothing either: stores to translated code drop it already.
        # At EL0 only the op1=3 forms exist, and SCTLR_EL1.UCI lets them run or traps them.
        if c.el == 0:
            if op1 != 3 or crm == 6 or crm == 1 or crm == 5 and op2 == 0:
                return raise_undef(c, i)
            if not (c.sctlr_el1 & SCTLR_UCI):
                return raise_sync(c, i, EC_SYSREG, sysreg_trap_iss(i))
    else:
        return raise_undef(c, i)
    if ends:
        c.pc = i.pc + 4
        return JUMP
    return NEXT
