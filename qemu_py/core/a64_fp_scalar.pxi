# Scalar floating point: data processing with one, two and three sources, compares, conditional
# compare and select, immediates, and the conversions between floating point and integers or
# fixed point. Records: size = format (1 half, 2 single, 3 double), rd/rn/rm/ra = V registers
# (general registers resolved as usual where the operand is one), cond = sub-operation.

cdef inline uint32_t fpcr_of(CPU* c) noexcept nogil:
    return <uint32_t>c.fpcr

cdef inline uint32_t fp_rmode(CPU* c) noexcept nogil:
    return (<uint32_t>c.fpcr >> FPCR_RMODE_SHIFT) & 3

cdef inline uint64_t fmt_mask(uint32_t fmt) noexcept nogil:
    return <uint64_t>0xffffffffffffffff >> (64 - (8u << fmt))


# --- moves -----------------------------------------------------------------------------------

cdef inline int op_FMOV_to_fp(CPU* c, Insn* i) noexcept nogil:
    # FMOV Sd, Wn / Dd, Xn
    vset_scalar(c, i.rd, c.x[i.rn] & fmt_mask(i.size))
    return NEXT

cdef inline int op_FMOV_to_top(CPU* c, Insn* i) noexcept nogil:
    # FMOV Vd.D[1], Xn: the low half is kept.
    c.v[2 * i.rd + 1] = c.x[i.rn]
    return NEXT

cdef inline int op_FMOV_from_fp(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = c.v[2 * i.rn] & fmt_mask(i.size)
    return NEXT

cdef inline int op_FMOV_from_top(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = c.v[2 * i.rn + 1]
    return NEXT

cdef inline int op_FMOV_reg(CPU* c, Insn* i) noexcept nogil:
    vset_scalar(c, i.rd, c.v[2 * i.rn] & fmt_mask(i.size))
    return NEXT

cdef inline int op_FMOV_imm(CPU* c, Insn* i) noexcept nogil:
    vset_scalar(c, i.rd, i.imm2)
    return NEXT

cdef inline int op_FABS(CPU* c, Insn* i) noexcept nogil:
    vset_scalar(c, i.rd, c.v[2 * i.rn] & fmt_mask(i.size) & ~fmt_sign(i.size))
    return NEXT

cdef inline int op_FNEG(CPU* c, Insn* i) noexcept nogil:
    vset_scalar(c, i.rd, (c.v[2 * i.rn] & fmt_mask(i.size)) ^ fmt_sign(i.size))
    return NEXT

cdef inline int op_FCSEL(CPU* c, Insn* i) noexcept nogil:
    vset_scalar(c, i.rd, c.v[2 * (i.rn if cond_holds(c, i.cond) else i.rm)] & fmt_mask(i.size))
    return NEXT


# --- arithmetic ------------------------------------------------------------------------------

cdef inline int fp_done(CPU* c, Insn* i, uint64_t r, uint32_t fl) noexcept nogil:
    vset_scalar(c, i.rd, r)
    c.fpsr |= fl
    return NEXT

cdef inline int op_FADD(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_arith2(HOP_ADD, c.v[2 * i.rn] & fmt_mask(i.size), c.v[2 * i.rm] & fmt_mask(i.size), i.size, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)

cdef inline int op_FSUB(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_arith2(HOP_SUB, c.v[2 * i.rn] & fmt_mask(i.size), c.v[2 * i.rm] & fmt_mask(i.size), i.size, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)

cdef inline int op_FMUL(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_arith2(HOP_MUL, c.v[2 * i.rn] & fmt_mask(i.size), c.v[2 * i.rm] & fmt_mask(i.size), i.size, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)

cdef inline int op_FNMUL(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_arith2(HOP_MUL, c.v[2 * i.rn] & fmt_mask(i.size), c.v[2 * i.rm] & fmt_mask(i.size), i.size, fpcr_of(c), &fl)
    r ^= fmt_sign(i.size)                   # FPNeg of the product, NaNs included
    return fp_done(c, i, r, fl)

cdef inline int op_FDIV(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_arith2(HOP_DIV, c.v[2 * i.rn] & fmt_mask(i.size), c.v[2 * i.rm] & fmt_mask(i.size), i.size, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)

cdef inline int op_FSQRT(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_sqrt(c.v[2 * i.rn] & fmt_mask(i.size), i.size, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)

cdef inline int op_FMINMAX(CPU* c, Insn* i) noexcept nogil:
    # cond: bit 0 = min, bit 1 = the NM (numeric) form.
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_minmax(c.v[2 * i.rn] & fmt_mask(i.size), c.v[2 * i.rm] & fmt_mask(i.size),
                                i.size, (i.cond & 1) == 0, (i.cond & 2) != 0, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)

cdef inline int op_FMADD(CPU* c, Insn* i) noexcept nogil:
    # cond = o1:o0. FMADD a + n*m, FMSUB a - n*m, FNMADD -a - n*m, FNMSUB -a + n*m: the
    # operands are negated before the fused operation (NaN operands included).
    cdef uint32_t fl = 0
    cdef uint64_t a = c.v[2 * i.ra] & fmt_mask(i.size)
    cdef uint64_t n = c.v[2 * i.rn] & fmt_mask(i.size)
    if (i.cond & 1) != (i.cond >> 1):
        n ^= fmt_sign(i.size)
    if i.cond & 2:
        a ^= fmt_sign(i.size)
    cdef uint64_t r = fp_muladd(a, n, c.v[2 * i.rm] & fmt_mask(i.size), i.size, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)

cdef inline int op_FCMP(CPU* c, Insn* i) noexcept nogil:
    # flags: bit 0 = FCMPE (quiet NaNs signal too), bit 1 = compare with +0.0.
    cdef uint32_t fl = 0
    cdef uint64_t b = 0 if i.flags & 2 else c.v[2 * i.rm] & fmt_mask(i.size)
    c.nzcv = fp_compare(c.v[2 * i.rn] & fmt_mask(i.size), b, i.size, i.flags & 1, fpcr_of(c), &fl)
    c.fpsr |= fl
    return NEXT

cdef inline int op_FCCMP(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t fl = 0
    if cond_holds(c, i.cond):
        c.nzcv = fp_compare(c.v[2 * i.rn] & fmt_mask(i.size), c.v[2 * i.rm] & fmt_mask(i.size),
                            i.size, i.flags & 1, fpcr_of(c), &fl)
        c.fpsr |= fl
    else:
        c.nzcv = <uint32_t>i.imm
    return NEXT

cdef inline int op_FRINT(CPU* c, Insn* i) noexcept nogil:
    # cond: rounding mode (RND_*), 5 = FPCR's; flags: 1 = FRINTX (signal inexact).
    cdef uint32_t fl = 0
    cdef uint32_t mode = fp_rmode(c) if i.cond == 5 else i.cond
    cdef uint64_t r = fp_round_int(c.v[2 * i.rn] & fmt_mask(i.size), i.size, mode, i.flags & 1,
                                   fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)

cdef inline int op_FCVT(CPU* c, Insn* i) noexcept nogil:
    # size = source format, amount = destination format.
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_convert(c.v[2 * i.rn] & fmt_mask(i.size), i.size, i.amount, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)


# --- conversions with integers ---------------------------------------------------------------

cdef inline int op_FCVT_to_int(CPU* c, Insn* i) noexcept nogil:
    # FCVT{N,P,M,Z,A}{S,U} and fixed-point FCVTZ{S,U} to a general register. cond = rounding
    # mode, flags = 1 for unsigned, sf = 64-bit destination, amount = fraction bits.
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_to_fixed(c.v[2 * i.rn] & fmt_mask(i.size), i.size, i.amount, i.flags & 1,
                                  64 if i.sf else 32, i.cond, fpcr_of(c), &fl)
    c.x[i.rd] = r
    c.fpsr |= fl
    return NEXT

cdef inline int op_CVTF_from_int(CPU* c, Insn* i) noexcept nogil:
    # SCVTF/UCVTF from a general register; flags = 1 for unsigned, amount = fraction bits.
    cdef uint32_t fl = 0
    cdef uint64_t r = fixed_to_fp(c.x[i.rn], i.flags & 1, 64 if i.sf else 32, i.amount, i.size,
                                  fpcr_of(c), fp_rmode(c), &fl)
    return fp_done(c, i, r, fl)


cdef inline int op_FRECPX(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t fl = 0
    cdef uint64_t r = fp_recpx(c.v[2 * i.rn] & fmt_mask(i.size), i.size, fpcr_of(c), &fl)
    return fp_done(c, i, r, fl)


# --- decoding --------------------------------------------------------------------------------

cdef inline int fp_type_fmt(uint32_t ftype) noexcept nogil:
    # The type field: 00 single, 01 double, 11 half (FEAT_FP16, not implemented), 10 reserved.
    if ftype == 0:
        return 2
    if ftype == 1:
        return 3
    return -1


cdef int decode_fp_scalar(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t m = bits(insn, 31, 31)
    cdef uint32_t s = bits(insn, 29, 29)
    cdef uint32_t ftype = bits(insn, 23, 22)
    cdef int fmt = fp_type_fmt(ftype)
    cdef uint32_t op3 = bits(insn, 18, 10)
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    r.rm = bits(insn, 20, 16)
    if bits(insn, 24, 24):
        # Data processing, three sources.
        if m or s or fmt < 0:
            return DEC_UNDEF
        r.size = fmt
        r.ra = bits(insn, 14, 10)
        r.cond = (bits(insn, 21, 21) << 1) | bits(insn, 15, 15)
        r.op = OP_FMADD
        return DEC_OK
    if bits(insn, 21, 21) == 0:
        return decode_fp_fixed_conv(insn, r)
    if (op3 & 0b111111) == 0:
        return decode_fp_int_conv(insn, r)
    if m or s:
        return DEC_UNDEF
    if (op3 & 0b11111) == 0b10000:
        return decode_fp_1src(insn, r)
    if fmt < 0:
        return DEC_UNDEF
    r.size = fmt
    if (op3 & 0b1111) == 0b1000:
        # Compare: op (15:14) must be 00, opcode2<2:0> 000.
        if bits(insn, 15, 14) != 0 or bits(insn, 2, 0) != 0:
            return DEC_UNDEF
        r.flags = bits(insn, 4, 3) >> 1 | (bits(insn, 3, 3) << 1)
        r.op = OP_FCMP
        return DEC_OK
    if (op3 & 0b111) == 0b100:
        if bits(insn, 9, 5) != 0:
            return DEC_UNDEF
        r.imm2 = vfp_expand_imm(bits(insn, 20, 13), fmt)
        r.op = OP_FMOV_imm
        return DEC_OK
    if (op3 & 0b11) == 0b01:
        r.cond = bits(insn, 15, 12)
        r.flags = bits(insn, 4, 4)
        r.imm = bits(insn, 3, 0)
        r.op = OP_FCCMP
        return DEC_OK
    if (op3 & 0b11) == 0b11:
        r.cond = bits(insn, 15, 12)
        r.op = OP_FCSEL
        return DEC_OK
    # Two sources.
    if (op3 & 0b11) != 0b10:
        return DEC_UNDEF
    s = bits(insn, 15, 12)
    if s == 0:
        r.op = OP_FMUL
    elif s == 1:
        r.op = OP_FDIV
    elif s == 2:
        r.op = OP_FADD
    elif s == 3:
        r.op = OP_FSUB
    elif s <= 7:
        r.cond = s - 4                      # FMAX, FMIN, FMAXNM, FMINNM
        r.op = OP_FMINMAX
    elif s == 8:
        r.op = OP_FNMUL
    else:
        return DEC_UNDEF
    return DEC_OK


cdef int decode_fp_1src(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t ftype = bits(insn, 23, 22)
    cdef uint32_t opcode = bits(insn, 20, 15)
    cdef int fmt = fp_type_fmt(ftype)
    cdef int to_fmt
    if (opcode & 0b111100) == 0b000100:
        # FCVT between precisions (half allowed on either side).
        fmt = 1 if ftype == 3 else fmt
        to_fmt = fp_type_fmt(opcode & 3)
        if opcode & 3 == 3:
            to_fmt = 1
        if fmt < 0 or to_fmt < 0 or fmt == to_fmt:
            return DEC_UNDEF
        r.size = fmt
        r.amount = to_fmt
        r.op = OP_FCVT
        return DEC_OK
    if fmt < 0:
        return DEC_UNDEF
    r.size = fmt
    if opcode == 0:
        r.op = OP_FMOV_reg
    elif opcode == 1:
        r.op = OP_FABS
    elif opcode == 2:
        r.op = OP_FNEG
    elif opcode == 3:
        r.op = OP_FSQRT
    elif opcode >= 0b001000 and opcode <= 0b001111 and opcode != 0b001101:
        opcode &= 7
        if opcode < 4:
            r.cond = opcode                 # FRINTN, FRINTP, FRINTM, FRINTZ
        elif opcode == 4:
            r.cond = RND_A                  # FRINTA
        else:
            r.cond = 5                      # FRINTX, FRINTI: FPCR's mode
            r.flags = 1 if opcode == 6 else 0
        r.op = OP_FRINT
    else:
        return DEC_UNDEF
    return DEC_OK


cdef int decode_fp_int_conv(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t sf = bits(insn, 31, 31)
    cdef uint32_t ftype = bits(insn, 23, 22)
    cdef uint32_t rmode = bits(insn, 20, 19)
    cdef uint32_t opcode = bits(insn, 18, 16)
    cdef int fmt = fp_type_fmt(ftype)
    if bits(insn, 29, 29):
        return DEC_UNDEF
    r.sf = sf
    if opcode == 0b110 or opcode == 0b111:
        # FMOV between general and FP registers.
        if rmode == 0 and ((sf == 0 and ftype == 0) or (sf == 1 and ftype == 1)):
            r.size = 2 if sf == 0 else 3
            if opcode == 0b111:
                r.rn = reg_r(bits(insn, 9, 5))
                r.op = OP_FMOV_to_fp
            else:
                r.rd = reg_w(bits(insn, 4, 0))
                r.op = OP_FMOV_from_fp
            return DEC_OK
        if rmode == 1 and sf == 1 and ftype == 2:
            if opcode == 0b111:
                r.rn = reg_r(bits(insn, 9, 5))
                r.op = OP_FMOV_to_top
            else:
                r.rd = reg_w(bits(insn, 4, 0))
                r.op = OP_FMOV_from_top
            return DEC_OK
        return DEC_UNDEF
    if fmt < 0:
        return DEC_UNDEF
    r.size = fmt
    if opcode <= 1:
        r.cond = rmode
        r.flags = opcode
        r.rd = reg_w(bits(insn, 4, 0))
        r.op = OP_FCVT_to_int
        return DEC_OK
    if rmode != 0:
        return DEC_UNDEF
    if opcode == 0b010 or opcode == 0b011:
        r.flags = opcode & 1
        r.rn = reg_r(bits(insn, 9, 5))
        r.op = OP_CVTF_from_int
        return DEC_OK
    # opcode 100/101: FCVTAS/FCVTAU
    r.cond = RND_A
    r.flags = opcode & 1
    r.rd = reg_w(bits(insn, 4, 0))
    r.op = OP_FCVT_to_int
    return DEC_OK


cdef int decode_fp_fixed_conv(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t sf = bits(insn, 31, 31)
    cdef uint32_t ftype = bits(insn, 23, 22)
    cdef uint32_t rmode = bits(insn, 20, 19)
    cdef uint32_t opcode = bits(insn, 18, 16)
    cdef uint32_t scale = bits(insn, 15, 10)
    cdef int fmt = fp_type_fmt(ftype)
    if bits(insn, 29, 29) or fmt < 0 or (sf == 0 and scale < 32):
        return DEC_UNDEF
    r.sf = sf
    r.size = fmt
    r.amount = 64 - scale
    r.flags = opcode & 1
    if rmode == 3 and opcode <= 1:
        r.cond = RND_Z
        r.rd = reg_w(bits(insn, 4, 0))
        r.op = OP_FCVT_to_int
        return DEC_OK
    if rmode == 0 and (opcode == 2 or opcode == 3):
        r.rn = reg_r(bits(insn, 9, 5))
        r.op = OP_CVTF_from_int
        return DEC_OK
    return DEC_UNDEF
