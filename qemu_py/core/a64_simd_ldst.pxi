# Loads and stores of SIMD&FP registers (the V=1 encodings of the load/store space): single
# registers B/H/S/D/Q in every addressing mode, pairs, literals, and the Advanced SIMD structure
# loads and stores LD1-LD4/ST1-ST4 (multiple structures, single structure, replicate).
#
# Records: rd = Vt, rt2 = Vt2, rn = base (31 = SP), rm = offset register (31 = XZR), size = log2
# of the access size in bytes (0-4), imm = offset, flags below, shift/amount = extend and shift
# of a register offset.

cdef enum:
    LSF_WB = 1              # write the address back to the base
    LSF_POST = 2            # access at the base, then add the offset (post-index)
    LSF_LOAD = 4
    LSF_REPL = 8            # LDnR: replicate to every lane
    LSF_POSTREG = 16        # post-index by Xm rather than by the transfer size


cdef inline bint sp_misaligned(CPU* c, Insn* i) noexcept nogil:
    # SCTLR_EL1.SA/SA0: an access based on a misaligned SP faults.
    if i.rn != REG_SP or (c.x[REG_SP] & 15) == 0:
        return False
    if c.el == 0:
        return (c.sctlr_el1 & SCTLR_SA0) != 0
    return (c.sctlr_el1 & SCTLR_SA) != 0


cdef inline int raise_sp_align(CPU* c, Insn* i) noexcept nogil:
    return raise_sync(c, i, EC_SP_ALIGN, 0)


cdef inline uint64_t extend_offset(uint64_t x, uint32_t option, uint32_t amount) noexcept nogil:
    # The register offset of [Xn, Rm, extend #amount]: UXTW, LSL (UXTX), SXTW, SXTX.
    if option == 0b010:
        x = x & MASK32
    elif option == 0b110:
        x = <uint64_t>(<int64_t>(<int32_t>x))
    return x << amount


cdef inline bint vload(CPU* c, Insn* i, uint64_t va, uint32_t size, uint64_t* lo,
                       uint64_t* hi) noexcept nogil:
    # Read 1 << size bytes (up to 16) into lo/hi.
    hi[0] = 0
    if size < 4:
        return mem_read(c, i, va, 1 << size, 0, lo)
    if (va & 15) and (c.sctlr_el1 & SCTLR_A):
        raise_data_abort(c, i.pc, va, FSC_ALIGNMENT, False)
        return False
    if not mem_read(c, i, va, 8, 0, lo):
        return False
    return mem_read(c, i, va + 8, 8, 0, hi)


cdef inline bint vstore(CPU* c, Insn* i, uint64_t va, uint32_t size, uint64_t lo,
                        uint64_t hi) noexcept nogil:
    if size < 4:
        return mem_write(c, i, va, 1 << size, 0, lo)
    if (va & 15) and (c.sctlr_el1 & SCTLR_A):
        raise_data_abort(c, i.pc, va, FSC_ALIGNMENT, True)
        return False
    if (va & (PAGE_SIZE - 1)) > PAGE_SIZE - 16 and not mem_probe_write(c, i, va, 16):
        return False
    if not mem_write(c, i, va, 8, 0, lo):
        return False
    return mem_write(c, i, va + 8, 8, 0, hi)


cdef inline uint64_t ls_address(CPU* c, Insn* i) noexcept nogil:
    if i.flags & LSF_POST:
        return c.x[i.rn]
    return c.x[i.rn] + <uint64_t>i.imm


cdef inline void ls_writeback(CPU* c, Insn* i) noexcept nogil:
    if i.flags & LSF_WB:
        c.x[i.rn] = c.x[i.rn] + <uint64_t>i.imm


cdef inline int op_LDR_simd_imm(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t lo, hi
    if sp_misaligned(c, i):
        return raise_sp_align(c, i)
    if not vload(c, i, ls_address(c, i), i.size, &lo, &hi):
        return FAULT
    c.v[2 * i.rd] = lo
    c.v[2 * i.rd + 1] = hi
    ls_writeback(c, i)
    return NEXT


cdef inline int op_STR_simd_imm(CPU* c, Insn* i) noexcept nogil:
    if sp_misaligned(c, i):
        return raise_sp_align(c, i)
    if not vstore(c, i, ls_address(c, i), i.size, c.v[2 * i.rd], c.v[2 * i.rd + 1]):
        return FAULT
    ls_writeback(c, i)
    return NEXT


cdef inline int op_LDR_simd_reg(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t lo, hi
    if sp_misaligned(c, i):
        return raise_sp_align(c, i)
    if not vload(c, i, c.x[i.rn] + extend_offset(c.x[i.rm], i.shift, i.amount), i.size, &lo, &hi):
        return FAULT
    c.v[2 * i.rd] = lo
    c.v[2 * i.rd + 1] = hi
    return NEXT


cdef inline int op_STR_simd_reg(CPU* c, Insn* i) noexcept nogil:
    if sp_misaligned(c, i):
        return raise_sp_align(c, i)
    if not vstore(c, i, c.x[i.rn] + extend_offset(c.x[i.rm], i.shift, i.amount), i.size,
                  c.v[2 * i.rd], c.v[2 * i.rd + 1]):
        return FAULT
    return NEXT


cdef inline int op_LDR_simd_lit(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t lo, hi
    if not vload(c, i, <uint64_t>i.imm, i.size, &lo, &hi):
        return FAULT
    c.v[2 * i.rd] = lo
    c.v[2 * i.rd + 1] = hi
    return NEXT


cdef inline int op_LDP_simd(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t lo1, hi1, lo2, hi2
    cdef uint64_t va = ls_address(c, i)
    if sp_misaligned(c, i):
        return raise_sp_align(c, i)
    if not vload(c, i, va, i.size, &lo1, &hi1):
        return FAULT
    if not vload(c, i, va + (1u << i.size), i.size, &lo2, &hi2):
        return FAULT
    c.v[2 * i.rd] = lo1
    c.v[2 * i.rd + 1] = hi1
    c.v[2 * i.rt2] = lo2
    c.v[2 * i.rt2 + 1] = hi2
    ls_writeback(c, i)
    return NEXT


cdef inline int op_STP_simd(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ls_address(c, i)
    cdef uint32_t n = 2u << i.size
    if sp_misaligned(c, i):
        return raise_sp_align(c, i)
    if (va & (PAGE_SIZE - 1)) > PAGE_SIZE - n and not mem_probe_write(c, i, va, n):
        return FAULT
    if not vstore(c, i, va, i.size, c.v[2 * i.rd], c.v[2 * i.rd + 1]):
        return FAULT
    if not vstore(c, i, va + (1u << i.size), i.size, c.v[2 * i.rt2], c.v[2 * i.rt2 + 1]):
        return FAULT
    ls_writeback(c, i)
    return NEXT


# --- LD1-LD4 / ST1-ST4 ---------------------------------------------------------------------------
# Multiple structures: rd = first register, sf = Q, size = element size, amount = registers per
# structure (selem), cond = repeats (rpt, LD1 with several registers), rm = Xm of post-index.

cdef inline void ls_struct_writeback(CPU* c, Insn* i, uint64_t total) noexcept nogil:
    if i.flags & LSF_WB:
        if i.flags & LSF_POSTREG:
            c.x[i.rn] = c.x[i.rn] + c.x[i.rm]
        else:
            c.x[i.rn] = c.x[i.rn] + total


cdef inline int op_LDST_multi(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t base = c.x[i.rn], val = 0
    cdef uint64_t offs = 0
    cdef uint32_t ebytes = 1u << i.size
    cdef uint32_t elements = (16u if i.sf else 8u) >> i.size
    cdef uint32_t rpt = i.cond, selem = i.amount
    cdef uint32_t r, e, s, t
    cdef bint load = (i.flags & LSF_LOAD) != 0
    if sp_misaligned(c, i):
        return raise_sp_align(c, i)
    if selem == 1:
        # LD1/ST1: whole registers in 8-byte pieces (element order is memory order).
        for r in range(rpt):
            t = (i.rd + r) & 31
            for e in range(2 if i.sf else 1):
                if load:
                    if not mem_read(c, i, base + offs, 8, 0, &val):
                        return FAULT
                    c.v[2 * t + e] = val
                else:
                    if not mem_write(c, i, base + offs, 8, 0, c.v[2 * t + e]):
                        return FAULT
                offs += 8
            if load and not i.sf:
                c.v[2 * t + 1] = 0
    else:
        for e in range(elements):
            for s in range(selem):
                t = (i.rd + s) & 31
                if load:
                    if not mem_read(c, i, base + offs, ebytes, 0, &val):
                        return FAULT
                    velt_set(c, t, e, i.size, val)
                else:
                    if not mem_write(c, i, base + offs, ebytes, 0, velt(c, t, e, i.size)):
                        return FAULT
                offs += ebytes
        if load and not i.sf:
            for s in range(selem):
                c.v[2 * ((i.rd + s) & 31) + 1] = 0
    ls_struct_writeback(c, i, offs)
    return NEXT


# Single structure: amount = selem, imm2 = lane index, size = element size; LSF_REPL for LDnR.

cdef inline int op_LDST_single(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t base = c.x[i.rn], val = 0
    cdef uint64_t offs = 0
    cdef uint32_t ebytes = 1u << i.size
    cdef uint32_t s, t, e
    cdef uint32_t elements = (16u if i.sf else 8u) >> i.size
    if sp_misaligned(c, i):
        return raise_sp_align(c, i)
    for s in range(i.amount):
        t = (i.rd + s) & 31
        if i.flags & LSF_REPL:
            if not mem_read(c, i, base + offs, ebytes, 0, &val):
                return FAULT
            for e in range(elements):
                velt_set(c, t, e, i.size, val)
            if not i.sf:
                c.v[2 * t + 1] = 0
        elif i.flags & LSF_LOAD:
            if not mem_read(c, i, base + offs, ebytes, 0, &val):
                return FAULT
            velt_set(c, t, <uint32_t>i.imm2, i.size, val)
        else:
            if not mem_write(c, i, base + offs, ebytes, 0, velt(c, t, <uint32_t>i.imm2, i.size)):
                return FAULT
        offs += ebytes
    ls_struct_writeback(c, i, offs)
    return NEXT


cdef int decode_ldst_simd_fp(uint32_t insn, Insn* r) noexcept nogil:
    """The V=1 load/store encodings (bit 26 set)."""
    cdef uint32_t op0 = bits(insn, 31, 28)
    cdef uint32_t b2927 = bits(insn, 29, 27)
    cdef uint32_t opc, size, scale, l, opcode, q, selem, rpt, s
    r.rd = bits(insn, 4, 0)
    r.rn = reg_sp(bits(insn, 9, 5))
    if (op0 & 0b1011) == 0 and bits(insn, 29, 24) == 0b001100:
        return decode_ldst_struct_multi(insn, r)
    if (op0 & 0b1011) == 0 and bits(insn, 29, 24) == 0b001101:
        return decode_ldst_struct_single(insn, r)
    if b2927 == 0b011 and bits(insn, 25, 24) == 0:
        # LDR (literal, SIMD&FP)
        opc = bits(insn, 31, 30)
        if opc == 3:
            return DEC_UNDEF
        r.size = 2 + opc
        r.imm = <int64_t>r.pc + sext(bits(insn, 23, 5), 19) * 4
        r.op = OP_LDR_simd_lit
        return DEC_OK
    if b2927 == 0b101:
        # Pairs: 24:23 = 00 no-allocate offset, 01 post-index, 10 offset, 11 pre-index.
        opc = bits(insn, 31, 30)
        if opc == 3:
            return DEC_UNDEF
        r.size = 2 + opc
        r.rt2 = bits(insn, 14, 10)
        r.imm = sext(bits(insn, 21, 15), 7) << r.size
        s = bits(insn, 24, 23)
        if s == 1:
            r.flags = LSF_WB | LSF_POST
        elif s == 3:
            r.flags = LSF_WB
        l = bits(insn, 22, 22)
        if l:
            r.op = OP_LDP_simd                      # Vt == Vt2 is UNPREDICTABLE: Vt2 wins
        else:
            r.op = OP_STP_simd
        return DEC_OK
    if b2927 == 0b111:
        size = bits(insn, 31, 30)
        opc = bits(insn, 23, 22)
        scale = ((opc >> 1) << 2) | size
        if scale > 4:
            return DEC_UNDEF
        r.size = scale
        l = opc & 1
        if bits(insn, 25, 24) == 0b01:
            r.imm = <int64_t>bits(insn, 21, 10) << scale
            r.op = OP_LDR_simd_imm if l else OP_STR_simd_imm
            return DEC_OK
        if bits(insn, 25, 24) != 0:
            return DEC_UNDEF
        if bits(insn, 21, 21) == 0:
            r.imm = sext(bits(insn, 20, 12), 9)
            s = bits(insn, 11, 10)
            if s == 0b01:
                r.flags = LSF_WB | LSF_POST
            elif s == 0b11:
                r.flags = LSF_WB
            elif s == 0b10:
                return DEC_UNDEF                    # no unprivileged SIMD&FP forms
            r.op = OP_LDR_simd_imm if l else OP_STR_simd_imm
            return DEC_OK
        if bits(insn, 11, 10) == 0b10:
            r.shift = bits(insn, 15, 13)
            if (r.shift & 0b010) == 0:
                return DEC_UNDEF
            r.amount = scale if bits(insn, 12, 12) else 0
            r.rm = reg_r(bits(insn, 20, 16))
            r.op = OP_LDR_simd_reg if l else OP_STR_simd_reg
            return DEC_OK
        return DEC_UNDEF
    return DEC_UNDEF


cdef int decode_ldst_struct_multi(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t post = bits(insn, 23, 23)
    cdef uint32_t opcode = bits(insn, 15, 12)
    cdef uint32_t size = bits(insn, 11, 10)
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t rm = bits(insn, 20, 16)
    cdef uint32_t rpt, selem
    if bits(insn, 21, 21) != 0 or (not post and rm != 0):
        return DEC_UNDEF
    if opcode == 0b0000:
        rpt, selem = 1, 4
    elif opcode == 0b0010:
        rpt, selem = 4, 1
    elif opcode == 0b0100:
        rpt, selem = 1, 3
    elif opcode == 0b0110:
        rpt, selem = 3, 1
    elif opcode == 0b0111:
        rpt, selem = 1, 1
    elif opcode == 0b1000:
        rpt, selem = 1, 2
    elif opcode == 0b1010:
        rpt, selem = 2, 1
    else:
        return DEC_UNDEF
    if size == 3 and q == 0 and selem != 1:
        return DEC_UNDEF
    r.sf = q
    r.size = size
    r.cond = rpt
    r.amount = selem
    if bits(insn, 22, 22):
        r.flags = LSF_LOAD
    if post:
        r.flags |= LSF_WB
        if rm != 31:
            r.flags |= LSF_POSTREG
            r.rm = reg_r(rm)
    r.op = OP_LDST_multi
    return DEC_OK


cdef int decode_ldst_struct_single(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t post = bits(insn, 23, 23)
    cdef uint32_t l = bits(insn, 22, 22)
    cdef uint32_t rr = bits(insn, 21, 21)
    cdef uint32_t rm = bits(insn, 20, 16)
    cdef uint32_t opcode = bits(insn, 15, 13)
    cdef uint32_t s = bits(insn, 12, 12)
    cdef uint32_t size = bits(insn, 11, 10)
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t scale = opcode >> 1
    cdef uint32_t index = 0
    if not post and rm != 0:
        return DEC_UNDEF
    r.amount = (((opcode & 1) << 1) | rr) + 1
    if scale == 3:
        if not l or s:
            return DEC_UNDEF
        scale = size
        r.flags = LSF_LOAD | LSF_REPL
    elif scale == 0:
        index = (q << 3) | (s << 2) | size
    elif scale == 1:
        if size & 1:
            return DEC_UNDEF
        index = (q << 2) | (s << 1) | (size >> 1)
    else:
        if size & 2:
            return DEC_UNDEF
        if (size & 1) == 0:
            index = (q << 1) | s
        elif size == 1 and s == 0:
            index = q
            scale = 3
        else:
            return DEC_UNDEF
    if l:
        r.flags |= LSF_LOAD
    r.sf = q
    r.size = scale
    r.imm2 = index
    if post:
        r.flags |= LSF_WB
        if rm != 31:
            r.flags |= LSF_POSTREG
            r.rm = reg_r(rm)
    r.op = OP_LDST_single
    return DEC_OK
