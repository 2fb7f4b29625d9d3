# Exception-generating and system instructions: SVC/HVC/SMC/BRK/HLT, hints, barriers, PSTATE
# writes, SYS (cache, TLB maintenance) and MRS/MSR. ERET and the UNDEF record live here too.

cdef inline int op_UNDEF(CPU* c, Insn* i) noexcept nogil:
    return raise_undef(c, i)

cdef inline int op_NOP(CPU* c, Insn* i) noexcept nogil:
    # NOP and every hint we treat as one (YIELD, SEV, SEVL, ESB, PAC and BTI hints, ...),
    # DMB/DSB (one thread runs the guest, so memory is always coherent), cache maintenance.
    return NEXT

cdef inline int op_ISB(CPU* c, Insn* i) noexcept nogil:
    # Ends the block so that a preceding context change is seen by what follows.
    c.pc = i.pc + 4
    return JUMP

cdef inline int op_CLREX(CPU* c, Insn* i) noexcept nogil:
    c.excl_valid = 0
    return NEXT

cdef inline int op_WFI(CPU* c, Insn* i) noexcept nogil:
    if c.el == 0 and not (c.sctlr_el1 & SCTLR_NTWI):
        # Trapped to EL1: ISS CV = 1, COND = 0b1110, TI = 0 (WFI).
        return raise_sync(c, i, EC_WFX, 0x1e00000)
    c.pc = i.pc + 4
    c.halted = 1
    return JUMP

cdef inline int op_WFE(CPU* c, Insn* i) noexcept nogil:
    # Without an event model WFE may wake at once: the architecture allows spurious wake-ups.
    c.pc = i.pc + 4
    return JUMP

cdef inline int op_SVC(CPU* c, Insn* i) noexcept nogil:
    take_exception(c, EXC_SYNC, EC_SVC64, <uint32_t>i.imm, i.pc + 4, 0, False)
    return JUMP

cdef inline int op_HVC(CPU* c, Insn* i) noexcept nogil:
    # EL2 is absent: HVC from EL1 is the firmware conduit, as on QEMU's virt. The firmware
    # answers PSCI and returns NOT_SUPPORTED for any other SMC Calling Convention function.
    if c.el == 0:
        return raise_undef(c, i)
    psci_call(c)
    c.pc = i.pc + 4
    if c.mach.plugin_mask & PM_DISCON:
        plugin_discon(c, DISCON_HOSTCALL, c.pc, c.pc)
    return JUMP

cdef inline int op_SMC(CPU* c, Insn* i) noexcept nogil:
    # PSCI over SMC too (QEMU's virt UNDEFs SMC without EL3; firmware for other boards uses it).
    if c.el == 0:
        return raise_undef(c, i)
    psci_call(c)
    c.pc = i.pc + 4
    if c.mach.plugin_mask & PM_DISCON:
        plugin_discon(c, DISCON_HOSTCALL, c.pc, c.pc)
    return JUMP

cdef inline int op_BRK(CPU* c, Insn* i) noexcept nogil:
    return raise_sync(c, i, EC_BRK64, <uint32_t>i.imm)

cdef inline int op_HLT(CPU* c, Insn* i) noexcept nogil:
    # HLT #0xF000 is the A64 semihosting trap when semihosting is on; otherwise HLT is UNDEFINED
    # (halting debug is not enabled).
    cdef int res
    if not c.mach.semihosting or i.imm != 0xf000 or c.el == 0:
        return raise_undef(c, i)
    res = semihosting_call(c, i)
    if res == FAULT:
        return FAULT
    c.pc = i.pc + 4
    if c.mach.plugin_mask & PM_DISCON:
        plugin_discon(c, DISCON_HOSTCALL, i.pc, c.pc)
    return JUMP

cdef inline int op_ERET(CPU* c, Insn* i) noexcept nogil:
    if c.el == 0:
        return raise_undef(c, i)
    exception_return(c)
    return JUMP

cdef inline int op_MSR_SPSel(CPU* c, Insn* i) noexcept nogil:
    if c.el == 0:
        return raise_undef(c, i)
    cpu_set_sp_sel(c, c.el, i.imm & 1)
    c.pc = i.pc + 4
    return JUMP

cdef inline int op_MSR_DAIFSet(CPU* c, Insn* i) noexcept nogil:
    if c.el == 0 and not (c.sctlr_el1 & SCTLR_UMA):
        return raise_sync(c, i, EC_SYSREG, sysreg_trap_iss(i))
    c.daif |= (i.imm & 0xf) << 6
    c.pc = i.pc + 4
    return JUMP

cdef inline int op_MSR_DAIFClr(CPU* c, Insn* i) noexcept nogil:
    if c.el == 0 and not (c.sctlr_el1 & SCTLR_UMA):
        return raise_sync(c, i, EC_SYSREG, sysreg_trap_iss(i))
    c.daif &= ~((<uint32_t>i.imm & 0xf) << 6)
    c.pc = i.pc + 4
    return JUMP

cdef inline int op_MRS(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = 0
    cdef int res = sysreg_read(c, i, <uint32_t>i.imm, &v)
    if res != NEXT:
        return res
    c.x[i.rd] = v
    return NEXT

cdef inline int op_MSR(CPU* c, Insn* i) noexcept nogil:
    # Writes that change translation or PSTATE end the block (decoded as DEC_END), so the next
    # block is looked up under the new state.
    cdef int res = sysreg_write(c, i, <uint32_t>i.imm, c.x[i.rd])
    if res != NEXT or i.flags:
        return res
    c.pc = i.pc + 4
    return JUMP

cdef inline int op_SYS(CPU* c, Insn* i) noexcept nogil:
    return sys_op(c, i, <uint32_t>i.imm, c.x[i.rd])


cdef int decode_exception_gen(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t opc = bits(insn, 23, 21)
    cdef uint32_t op2 = bits(insn, 4, 2)
    cdef uint32_t ll = bits(insn, 1, 0)
    r.imm = bits(insn, 20, 5)
    if op2 != 0:
        return DEC_UNDEF
    if opc == 0b000 and ll == 0b01:
        r.op = OP_SVC
    elif opc == 0b000 and ll == 0b10:
        r.op = OP_HVC
    elif opc == 0b000 and ll == 0b11:
        r.op = OP_SMC
    elif opc == 0b001 and ll == 0b00:
        r.op = OP_BRK
    elif opc == 0b010 and ll == 0b00:
        r.op = OP_HLT
    else:
        return DEC_UNDEF                                     # DCPS1-3 UNDEF outside Debug state
    return DEC_END


cdef int decode_system(uint32_t insn, Insn* r) noexcept nogil:
    # System instructions: L 21, op0 20:19, op1 18:16, CRn 15:12, CRm 11:8, op2 7:5, Rt 4:0.
    cdef uint32_t l = bits(insn, 21, 21)
    cdef uint32_t op0 = bits(insn, 20, 19)
    cdef uint32_t op1 = bits(insn, 18, 16)
    cdef uint32_t crn = bits(insn, 15, 12)
    cdef uint32_t crm = bits(insn, 11, 8)
    cdef uint32_t op2 = bits(insn, 7, 5)
    cdef uint32_t rt = bits(insn, 4, 0)
    cdef uint32_t key = sysreg_key(op0, op1, crn, crm, op2)
    if op0 == 0 and l == 0:
        if crn == 0b0010 and op1 == 0b011 and rt == 31:      # hints
            if crm == 0 and op2 == 0b011:
                r.op = OP_WFI
                return DEC_END
            if crm == 0 and op2 == 0b010:
                r.op = OP_WFE
                return DEC_END
            if crm == 0 and op2 == 0b001:
                r.op = OP_NOP                                # YIELD ends the block, as in
                return DEC_END                               # QEMU's round-robin TCG
            r.op = OP_NOP                                    # unallocated hints execute as NOP
            return DEC_OK
        if crn == 0b0011 and op1 == 0b011 and rt == 31:      # barriers
            if op2 == 0b010:
                r.op = OP_CLREX
                return DEC_OK
            if op2 == 0b100 or op2 == 0b101:                 # DSB, DMB (and SSBB/PSSBB)
                r.op = OP_NOP
                return DEC_OK
            if op2 == 0b110:
                r.op = OP_ISB
                return DEC_END
            return DEC_UNDEF
        if crn == 0b0100 and rt == 31:                       # MSR (immediate) to PSTATE fields
            r.imm = crm
            r.raw = insn
            if op1 == 0b000 and op2 == 0b101:
                r.op = OP_MSR_SPSel
                return DEC_END
            if op1 == 0b011 and op2 == 0b110:
                r.op = OP_MSR_DAIFSet
                return DEC_END
            if op1 == 0b011 and op2 == 0b111:
                r.op = OP_MSR_DAIFClr
                return DEC_END
            return DEC_UNDEF
        return DEC_UNDEF
    if op0 == 1:                                             # SYS, SYSL
        if l:
            return DEC_UNDEF                                 # SYSL: nothing allocated
        r.op = OP_SYS
        r.imm = key
        r.rd = reg_r(rt)
        return DEC_END if sys_op_ends_block(key) else DEC_OK
    if op0 == 0:
        return DEC_UNDEF                                     # L=1, op0=0: TME space, absent
    r.imm = key
    if l:
        r.op = OP_MRS
        r.rd = reg_w(rt)
        return DEC_OK
    r.op = OP_MSR
    r.rd = reg_r(rt)
    if key == SR_NZCV or key == SR_FPCR or key == SR_FPSR:
        r.flags = 1             # as in QEMU, these writes do not end the block
        return DEC_OK
    return DEC_END
