# Branches: immediate, conditional, compare-and-branch, test-and-branch and to a register.
# Targets of immediate branches are resolved at decode time into imm.

# COND_MASK[cond] has bit n set when the condition holds for NZCV == n.
cdef uint16_t[16] COND_MASK = [0xf0f0, 0x0f0f, 0xcccc, 0x3333, 0xff00, 0x00ff, 0xaaaa, 0x5555,
                               0x0c0c, 0xf3f3, 0xaa55, 0x55aa, 0x0a05, 0xf5fa, 0xffff, 0xffff]

cdef inline bint cond_holds(CPU* c, uint32_t cond) noexcept nogil:
    return (COND_MASK[cond] >> c.nzcv) & 1


cdef inline int op_B(CPU* c, Insn* i) noexcept nogil:
    c.pc = <uint64_t>i.imm
    return JUMP

cdef inline int op_BL(CPU* c, Insn* i) noexcept nogil:
    c.x[30] = i.pc + 4
    c.pc = <uint64_t>i.imm
    return JUMP

cdef inline int op_B_cond(CPU* c, Insn* i) noexcept nogil:
    c.pc = <uint64_t>i.imm if cond_holds(c, i.cond) else i.pc + 4
    return JUMP

cdef inline int op_CBZ(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = c.x[i.rd] if i.sf else c.x[i.rd] & MASK32
    c.pc = <uint64_t>i.imm if v == 0 else i.pc + 4
    return JUMP

cdef inline int op_CBNZ(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = c.x[i.rd] if i.sf else c.x[i.rd] & MASK32
    c.pc = <uint64_t>i.imm if v != 0 else i.pc + 4
    return JUMP

cdef inline int op_TBZ(CPU* c, Insn* i) noexcept nogil:
    c.pc = <uint64_t>i.imm if (c.x[i.rd] >> i.amount) & 1 == 0 else i.pc + 4
    return JUMP

cdef inline int op_TBNZ(CPU* c, Insn* i) noexcept nogil:
    c.pc = <uint64_t>i.imm if (c.x[i.rd] >> i.amount) & 1 else i.pc + 4
    return JUMP

cdef inline int op_BR(CPU* c, Insn* i) noexcept nogil:
    c.pc = c.x[i.rn]
    return JUMP

cdef inline int op_BLR(CPU* c, Insn* i) noexcept nogil:
    # Read the target before writing X30: BLR X30 branches to the old value.
    cdef uint64_t target = c.x[i.rn]
    c.x[30] = i.pc + 4
    c.pc = target
    return JUMP

cdef inline int op_RET(CPU* c, Insn* i) noexcept nogil:
    c.pc = c.x[i.rn]
    return JUMP


cdef int decode_branch_imm(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t top = bits(insn, 31, 24)
    if bits(insn, 30, 26) == 0b00101:                        # B, BL
        r.op = OP_BL if insn >> 31 else OP_B
        r.imm = <int64_t>r.pc + sext(bits(insn, 25, 0), 26) * 4
        return DEC_END
    if top == 0b01010100:                                    # B.cond
        if insn & (1 << 4):
            return DEC_UNDEF                                 # BC.cond is Armv8.8
        r.op = OP_B_cond
        r.cond = bits(insn, 3, 0)
        r.imm = <int64_t>r.pc + sext(bits(insn, 23, 5), 19) * 4
        return DEC_END
    if bits(insn, 30, 25) == 0b011010:                       # CBZ, CBNZ
        r.op = OP_CBNZ if insn & (1 << 24) else OP_CBZ
        r.sf = insn >> 31
        r.rd = reg_r(bits(insn, 4, 0))
        r.imm = <int64_t>r.pc + sext(bits(insn, 23, 5), 19) * 4
        return DEC_END
    if bits(insn, 30, 25) == 0b011011:                       # TBZ, TBNZ
        r.op = OP_TBNZ if insn & (1 << 24) else OP_TBZ
        r.rd = reg_r(bits(insn, 4, 0))
        r.amount = (bits(insn, 31, 31) << 5) | bits(insn, 23, 19)
        r.imm = <int64_t>r.pc + sext(bits(insn, 18, 5), 14) * 4
        return DEC_END
    return DEC_UNDEF


cdef int decode_branch_reg(uint32_t insn, Insn* r) noexcept nogil:
    # Unconditional branch (register): opc 24:21, op2 20:16, op3 15:10, Rn, op4 4:0.
    cdef uint32_t opc = bits(insn, 24, 21)
    cdef uint32_t rn = bits(insn, 9, 5)
    if bits(insn, 20, 16) != 0b11111 or bits(insn, 15, 10) != 0 or bits(insn, 4, 0) != 0:
        return DEC_UNDEF                                     # pointer-authentication forms
    r.rn = reg_r(rn)
    if opc == 0b0000:
        r.op = OP_BR
    elif opc == 0b0001:
        r.op = OP_BLR
    elif opc == 0b0010:
        r.op = OP_RET
    elif opc == 0b0100 and rn == 31:
        r.op = OP_ERET
    else:
        return DEC_UNDEF                                     # DRPS and the rest
    return DEC_END


cdef int decode_branch_sys(uint32_t insn, Insn* r) noexcept nogil:
    # Branches, exception generating and system instructions (op0 = 101x).
    cdef uint32_t top = bits(insn, 31, 24)
    if top == 0b11010100:
        return decode_exception_gen(insn, r)
    if bits(insn, 31, 22) == 0b1101010100:
        return decode_system(insn, r)
    if bits(insn, 31, 25) == 0b1101011:
        return decode_branch_reg(insn, r)
    return decode_branch_imm(insn, r)
