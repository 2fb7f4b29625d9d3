# Advanced SIMD floating point: three same (vector, pairwise, scalar), two-register
# miscellaneous (compares with zero, rounding, conversions, estimates), across lanes, fixed-point
# conversions by immediate, and the by-element forms (integer and FP). Lane arithmetic is the
# scalar FP code of fpu.pxi. Records: size = FP format (2 single, 3 double), sf = Q.

cdef inline uint64_t fp_cmp_mask(uint32_t nzcv_kind, uint32_t fmt) noexcept nogil:
    return fmt_mask(fmt) if nzcv_kind else 0


cdef inline bint fp_cmp_lane(uint64_t a, uint64_t b, uint32_t fmt, uint32_t kind, uint32_t fpcr,
                             uint32_t* fl) noexcept nogil:
    # kind: 0 EQ (quiet), 1 GE, 2 GT (signalling). NaN operands compare false.
    cdef uint32_t nzcv
    if fpcr & FPCR_FZ:
        a = fp_flush_in(a, fmt, fpcr, fl)
        b = fp_flush_in(b, fmt, fpcr, fl)
    if fp_is_nan(a, fmt) or fp_is_nan(b, fmt):
        if kind != 0 or fp_is_snan(a, fmt) or fp_is_snan(b, fmt):
            fl[0] |= FPSR_IOC
        return False
    nzcv = fp_compare(a, b, fmt, False, 0, fl)
    if kind == 0:
        return nzcv == 0b0110
    if kind == 1:
        return nzcv == 0b0110 or nzcv == 0b0010
    return nzcv == 0b0010


cdef uint64_t fp3_lane(uint32_t k, uint32_t fmt, uint64_t a, uint64_t b, uint64_t d,
                       uint32_t fpcr, uint32_t* fl) noexcept nogil:
    """One lane of the FP three-same group; k = U:a:opcode<2:0>."""
    cdef uint64_t sgn = fmt_sign(fmt)
    cdef uint64_t r
    if k == 0b00010:
        return fp_arith2(HOP_ADD, a, b, fmt, fpcr, fl)
    if k == 0b01010:
        return fp_arith2(HOP_SUB, a, b, fmt, fpcr, fl)
    if k == 0b10011:
        return fp_arith2(HOP_MUL, a, b, fmt, fpcr, fl)
    if k == 0b10111:
        return fp_arith2(HOP_DIV, a, b, fmt, fpcr, fl)
    if k == 0b00001:
        return fp_muladd(d, a, b, fmt, fpcr, fl)
    if k == 0b01001:
        return fp_muladd(d, a ^ sgn, b, fmt, fpcr, fl)
    if k == 0b00011:
        return fp_mulx(a, b, fmt, fpcr, fl)
    if k == 0b11010:
        return fp_arith2(HOP_SUB, a, b, fmt, fpcr, fl) & ~sgn
    if k == 0b00000 or k == 0b10000:
        return fp_minmax(a, b, fmt, True, True, fpcr, fl)
    if k == 0b01000 or k == 0b11000:
        return fp_minmax(a, b, fmt, False, True, fpcr, fl)
    if k == 0b00110 or k == 0b10110:
        return fp_minmax(a, b, fmt, True, False, fpcr, fl)
    if k == 0b01110 or k == 0b11110:
        return fp_minmax(a, b, fmt, False, False, fpcr, fl)
    if k == 0b10010:
        return fp_arith2(HOP_ADD, a, b, fmt, fpcr, fl)
    if k == 0b00111:
        return fp_recip_step(a, b, fmt, False, fpcr, fl)
    if k == 0b01111:
        return fp_recip_step(a, b, fmt, True, fpcr, fl)
    if k == 0b00100:
        return fmt_mask(fmt) if fp_cmp_lane(a, b, fmt, 0, fpcr, fl) else 0
    if k == 0b10100:
        return fmt_mask(fmt) if fp_cmp_lane(a, b, fmt, 1, fpcr, fl) else 0
    if k == 0b11100:
        return fmt_mask(fmt) if fp_cmp_lane(a, b, fmt, 2, fpcr, fl) else 0
    if k == 0b10101:
        return fmt_mask(fmt) if fp_cmp_lane(a & ~sgn, b & ~sgn, fmt, 1, fpcr, fl) else 0
    if k == 0b11101:
        return fmt_mask(fmt) if fp_cmp_lane(a & ~sgn, b & ~sgn, fmt, 2, fpcr, fl) else 0
    return 0


cdef inline uint64_t fp_mulx(uint64_t a, uint64_t b, uint32_t fmt, uint32_t fpcr,
                             uint32_t* fl) noexcept nogil:
    # FMULX: as FMUL, except infinity times zero is 2.0 with the product's sign.
    if fpcr & FPCR_FZ:
        a = fp_flush_in(a, fmt, fpcr, fl)
        b = fp_flush_in(b, fmt, fpcr, fl)
    if fp_is_nan(a, fmt) or fp_is_nan(b, fmt):
        return fp_process_nans(a, b, fmt, fpcr, fl)
    if (fp_is_inf(a, fmt) and fp_is_zero(b, fmt)) or (fp_is_zero(a, fmt) and fp_is_inf(b, fmt)):
        return ((a ^ b) & fmt_sign(fmt)) | (<uint64_t>0x4000000000000000 if fmt == 3 else 0x40000000)
    return fp_host_result(HOP_MUL, a, b, 0, fmt, fpcr, fl)


cdef inline bint fp3_pairwise(uint32_t k) noexcept nogil:
    return k == 0b10000 or k == 0b11000 or k == 0b10010 or k == 0b10110 or k == 0b11110


cdef int simd_3same_fp(CPU* c, Insn* i, uint8_t* vm) noexcept nogil:
    cdef uint8_t out[16]
    cdef uint8_t src[32]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t fmt = i.size
    cdef uint32_t elements = nbytes >> fmt
    cdef uint32_t e, fl = 0
    cdef uint32_t fpcr = <uint32_t>c.fpcr
    cdef uint8_t* vn = vbytes(c, i.rn)
    cdef uint8_t* vd = vbytes(c, i.rd)
    memset(out, 0, 16)
    if i.flags & SIMD_SCALAR:
        elements = 1
    if fp3_pairwise(i.cond):
        memcpy(src, vn, nbytes)
        memcpy(src + nbytes, vm, nbytes)
        for e in range(elements):
            buf_set(out, e, fmt, fp3_lane(i.cond, fmt, buf_elt(src, 2 * e, fmt),
                                          buf_elt(src, 2 * e + 1, fmt), 0, fpcr, &fl))
    else:
        for e in range(elements):
            buf_set(out, e, fmt, fp3_lane(i.cond, fmt, buf_elt(vn, e, fmt), buf_elt(vm, e, fmt),
                                          buf_elt(vd, e, fmt), fpcr, &fl))
    memcpy(vd, out, 16)
    c.fpsr |= fl
    return NEXT


cdef inline int op_SIMD_3same_fp(CPU* c, Insn* i) noexcept nogil:
    return simd_3same_fp(c, i, vbytes(c, i.rm))


cdef int decode_simd_three_same_fp(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t a = bits(insn, 23, 23)
    cdef uint32_t sz = bits(insn, 22, 22)
    cdef uint32_t k = (u << 4) | (a << 3) | bits(insn, 13, 11)
    r.size = 2 + sz
    if k in (0b01011, 0b01100, 0b01101, 0b11001, 0b11011, 0b11111, 0b00101, 0b10001):
        return DEC_UNDEF
    if scalar:
        if not (k in (0b00011, 0b00100, 0b00111, 0b01111, 0b10100, 0b10101, 0b11010,
                      0b11100, 0b11101)):
            return DEC_UNDEF
        r.flags = SIMD_SCALAR
        r.sf = 0
    elif sz and not q:
        return DEC_UNDEF
    r.cond = k
    r.op = OP_SIMD_3same_fp
    return DEC_OK


# --- two-register miscellaneous ------------------------------------------------------------------

cdef enum:
    F2_CMGT0 = 1
    F2_CMEQ0 = 2
    F2_CMLT0 = 3
    F2_CMGE0 = 4
    F2_CMLE0 = 5
    F2_ABS = 6
    F2_NEG = 7
    F2_SQRT = 8
    F2_RINT = 9             # amount = mode (5: FPCR's), flags bit 1 = exact (FRINTX)
    F2_CVT_S = 10           # FCVT[NPMZA]S: amount = mode
    F2_CVT_U = 11
    F2_SCVTF = 12
    F2_UCVTF = 13
    F2_RECPE = 14
    F2_RSQRTE = 15
    F2_RECPX = 16
    F2_URECPE = 17
    F2_URSQRTE = 18


cdef uint64_t fp2_lane(CPU* c, uint32_t k, uint32_t mode, uint32_t fmt, uint64_t a, uint32_t fpcr,
                       uint32_t* fl, bint exact) noexcept nogil:
    cdef uint64_t sgn = fmt_sign(fmt)
    cdef uint32_t w = 8 << fmt
    if k == F2_ABS:
        return a & ~sgn
    if k == F2_NEG:
        return a ^ sgn
    if k == F2_SQRT:
        return fp_sqrt(a, fmt, fpcr, fl)
    if k == F2_CMGT0:
        return fmt_mask(fmt) if fp_cmp_lane(a, 0, fmt, 2, fpcr, fl) else 0
    if k == F2_CMGE0:
        return fmt_mask(fmt) if fp_cmp_lane(a, 0, fmt, 1, fpcr, fl) else 0
    if k == F2_CMEQ0:
        return fmt_mask(fmt) if fp_cmp_lane(a, 0, fmt, 0, fpcr, fl) else 0
    if k == F2_CMLT0:
        return fmt_mask(fmt) if fp_cmp_lane(0, a, fmt, 2, fpcr, fl) else 0
    if k == F2_CMLE0:
        return fmt_mask(fmt) if fp_cmp_lane(0, a, fmt, 1, fpcr, fl) else 0
    if k == F2_RINT:
        return fp_round_int(a, fmt, (fpcr >> FPCR_RMODE_SHIFT) & 3 if mode == 5 else mode, exact, fpcr, fl)
    if k == F2_CVT_S or k == F2_CVT_U:
        return fp_to_fixed(a, fmt, 0, k == F2_CVT_U, w, mode, fpcr, fl)
    if k == F2_SCVTF or k == F2_UCVTF:
        return fixed_to_fp(a, k == F2_UCVTF, w, 0, fmt, fpcr, (fpcr >> FPCR_RMODE_SHIFT) & 3, fl)
    if k == F2_RECPE:
        return fp_recip_estimate(a, fmt, fpcr, fl)
    if k == F2_RSQRTE:
        return fp_rsqrt_estimate(a, fmt, fpcr, fl)
    if k == F2_RECPX:
        return fp_recpx(a, fmt, fpcr, fl)
    if k == F2_URECPE:
        if (a >> 31) == 0:
            return 0xffffffff
        return (<uint64_t>recip_estimate(<uint32_t>(a >> 23) & 0x1ff)) << 23
    if k == F2_URSQRTE:
        if (a >> 30) == 0:
            return 0xffffffff
        return (<uint64_t>recip_sqrt_estimate(<uint32_t>(a >> 23) & 0x1ff)) << 23
    return 0


cdef inline int op_SIMD_2misc_fp(CPU* c, Insn* i) noexcept nogil:
    # cond = F2_*, amount = rounding mode, flags: SIMD_SCALAR, bit 1 = FRINTX.
    cdef uint8_t out[16]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t fmt = i.size
    cdef uint32_t elements = nbytes >> fmt
    cdef uint32_t e, fl = 0
    cdef uint32_t fpcr = <uint32_t>c.fpcr
    cdef uint8_t* vn = vbytes(c, i.rn)
    memset(out, 0, 16)
    if i.flags & SIMD_SCALAR:
        elements = 1
    for e in range(elements):
        buf_set(out, e, fmt, fp2_lane(c, i.cond, i.amount, fmt, buf_elt(vn, e, fmt), fpcr, &fl,
                                      (i.flags & 2) != 0))
    memcpy(vbytes(c, i.rd), out, 16)
    c.fpsr |= fl
    return NEXT


cdef inline int op_FCVTL(CPU* c, Insn* i) noexcept nogil:
    # size = destination format (2: from half, 3: from single); sf = Q picks the upper half.
    cdef uint8_t out[16]
    cdef uint32_t e, fl = 0, src = i.size - 1
    cdef uint32_t n = 4 if i.size == 2 else 2
    cdef uint32_t base = n if i.sf else 0
    cdef uint32_t fpcr = <uint32_t>c.fpcr
    for e in range(n):
        buf_set(out, e, i.size, fp_convert(velt(c, i.rn, base + e, src), src, i.size, fpcr, &fl))
    memcpy(vbytes(c, i.rd), out, 16)
    c.fpsr |= fl
    return NEXT


cdef inline int op_FCVTN(CPU* c, Insn* i) noexcept nogil:
    # size = source format (2: to half, 3: to single); flags 1 = FCVTXN (round to odd).
    cdef uint64_t res = 0, v
    cdef uint32_t e, fl = 0, dst = i.size - 1
    cdef uint32_t n = 4 if i.size == 2 else 2
    cdef uint32_t fpcr = <uint32_t>c.fpcr
    if i.flags & SIMD_SCALAR:
        n = 1
    for e in range(n):
        if i.flags & 1:
            v = fp_convert_odd(velt(c, i.rn, e, i.size), fpcr, &fl)
        else:
            v = fp_convert(velt(c, i.rn, e, i.size), i.size, dst, fpcr, &fl)
        res |= v << (e * (8 << dst))
    if i.sf:
        c.v[2 * i.rd + 1] = res
    else:
        vset_scalar(c, i.rd, res)
    c.fpsr |= fl
    return NEXT


cdef uint64_t fp_convert_odd(uint64_t a, uint32_t fpcr, uint32_t* fl) noexcept nogil:
    # FCVTXN: double to single with round-to-odd (no default-NaN change of the rules otherwise).
    cdef uint32_t sign
    cdef int32_t exp
    cdef uint64_t mant
    a = fp_flush_in(a, 3, fpcr, fl)
    if fp_is_nan(a, 3) or fp_is_inf(a, 3):
        return fp_convert(a, 3, 2, fpcr, fl)
    if not fp_unpack_finite(a, 3, &sign, &exp, &mant):
        return 0x80000000 if sign else 0
    return fp_round(sign, exp, mant, 2, fpcr, RND_O, (fpcr & FPCR_FZ) != 0, fl)


cdef int decode_simd_two_misc_fp(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t a = bits(insn, 23, 23)
    cdef uint32_t sz = bits(insn, 22, 22)
    cdef uint32_t opcode = bits(insn, 16, 12)
    r.size = 2 + sz
    if scalar:
        r.flags = SIMD_SCALAR
        r.sf = 0
    elif sz and not q and not (opcode == 0b10110 or opcode == 0b10111):
        return DEC_UNDEF
    if (opcode == 0b10110 or opcode == 0b10111) and a:
        return DEC_UNDEF
    if opcode == 0b10110:
        # FCVTN/FCVTN2 (U=0), FCVTXN/FCVTXN2 (U=1, from double only)
        if u and not sz:
            return DEC_UNDEF
        if scalar and not u:
            return DEC_UNDEF
        r.flags |= u
        r.op = OP_FCVTN
        return DEC_OK
    if opcode == 0b10111:
        if u or scalar:
            return DEC_UNDEF
        r.op = OP_FCVTL
        return DEC_OK
    if a == 1 and opcode >= 0b01100 and opcode <= 0b01110:
        if u:
            if opcode == 0b01110:
                return DEC_UNDEF
            r.cond = F2_CMGE0 if opcode == 0b01100 else F2_CMLE0
        else:
            r.cond = F2_CMGT0 + (opcode - 0b01100)
    elif a == 1 and opcode == 0b01111:
        if scalar:
            return DEC_UNDEF
        r.cond = F2_NEG if u else F2_ABS
    elif a == 1 and opcode == 0b11111:
        if scalar:
            if u:
                return DEC_UNDEF
            r.cond = F2_RECPX
        else:
            if not u:
                return DEC_UNDEF
            r.cond = F2_SQRT
    elif opcode == 0b11000 or opcode == 0b11001:
        if scalar:
            return DEC_UNDEF
        r.cond = F2_RINT
        if u == 0:
            r.amount = (a << 1 | (opcode & 1)) if a else (RND_N if opcode == 0b11000 else RND_M)
            if a:
                r.amount = RND_P if opcode == 0b11000 else RND_Z
        else:
            if a == 0:
                if opcode == 0b11000:
                    r.amount = RND_A
                else:
                    r.amount = 5
                    r.flags |= 2
            else:
                if opcode == 0b11000:
                    return DEC_UNDEF
                r.amount = 5
    elif opcode == 0b11010 or opcode == 0b11011 or (opcode == 0b11100 and a == 0):
        r.cond = F2_CVT_U if u else F2_CVT_S
        if opcode == 0b11100:
            r.amount = RND_A
        elif a == 0:
            r.amount = RND_N if opcode == 0b11010 else RND_M
        else:
            r.amount = RND_P if opcode == 0b11010 else RND_Z
    elif opcode == 0b11101:
        if a == 0:
            r.cond = F2_UCVTF if u else F2_SCVTF
        else:
            r.cond = F2_RSQRTE if u else F2_RECPE
    elif opcode == 0b11100 and a == 1:
        if scalar or sz:
            return DEC_UNDEF
        r.cond = F2_URSQRTE if u else F2_URECPE
    else:
        return DEC_UNDEF
    r.op = OP_SIMD_2misc_fp
    return DEC_OK


# --- across lanes and pairwise -------------------------------------------------------------------

cdef inline int op_SIMD_across_fp(CPU* c, Insn* i) noexcept nogil:
    # FMAXNMV, FMINNMV, FMAXV, FMINV over four singles, reduced as Arm's Reduce does:
    # op(op(e0, e1), op(e2, e3)). cond: bit 0 = min, bit 1 = NM.
    cdef uint32_t fl = 0
    cdef uint32_t fpcr = <uint32_t>c.fpcr
    cdef bint is_max = (i.cond & 1) == 0
    cdef bint nm = (i.cond & 2) != 0
    cdef uint64_t lo = fp_minmax(velt(c, i.rn, 0, 2), velt(c, i.rn, 1, 2), 2, is_max, nm, fpcr, &fl)
    cdef uint64_t hi = fp_minmax(velt(c, i.rn, 2, 2), velt(c, i.rn, 3, 2), 2, is_max, nm, fpcr, &fl)
    vset_scalar(c, i.rd, fp_minmax(lo, hi, 2, is_max, nm, fpcr, &fl))
    c.fpsr |= fl
    return NEXT


cdef int decode_simd_across_fp(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t a = bits(insn, 23, 23)
    cdef uint32_t sz = bits(insn, 22, 22)
    cdef uint32_t opcode = bits(insn, 16, 12)
    if not u or sz or not q:
        return DEC_UNDEF                        # u == 0: half precision (FEAT_FP16)
    r.cond = a | (2 if opcode == 0b01100 else 0)
    r.op = OP_SIMD_across_fp
    return DEC_OK


cdef inline int op_SIMD_pairwise_fp(CPU* c, Insn* i) noexcept nogil:
    # FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar): the two lanes of the low 64 or 128 bits.
    cdef uint32_t fl = 0
    cdef uint64_t r = fp3_lane(i.cond, i.size, velt(c, i.rn, 0, i.size), velt(c, i.rn, 1, i.size),
                               0, <uint32_t>c.fpcr, &fl)
    vset_scalar(c, i.rd, r)
    c.fpsr |= fl
    return NEXT


cdef int decode_simd_pairwise_fp(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t a = bits(insn, 23, 23)
    cdef uint32_t sz = bits(insn, 22, 22)
    cdef uint32_t opcode = bits(insn, 16, 12)
    if not u:
        return DEC_UNDEF                        # half-precision forms
    r.size = 2 + sz
    if opcode == 0b01100:
        r.cond = 0b11000 if a else 0b10000
    elif opcode == 0b01101 and a == 0:
        r.cond = 0b10010
    elif opcode == 0b01111:
        r.cond = 0b11110 if a else 0b10110
    else:
        return DEC_UNDEF
    r.op = OP_SIMD_pairwise_fp
    return DEC_OK


# --- fixed-point conversions by immediate ------------------------------------------------------

cdef inline int op_SIMD_cvt_fixed(CPU* c, Insn* i) noexcept nogil:
    # cond: 0 SCVTF, 1 UCVTF, 2 FCVTZS, 3 FCVTZU; amount = fraction bits.
    cdef uint8_t out[16]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t fmt = i.size
    cdef uint32_t elements = nbytes >> fmt
    cdef uint32_t e, fl = 0, w = 8 << fmt
    cdef uint32_t fpcr = <uint32_t>c.fpcr
    cdef uint64_t a
    memset(out, 0, 16)
    if i.flags & SIMD_SCALAR:
        elements = 1
    for e in range(elements):
        a = velt(c, i.rn, e, fmt)
        if i.cond < 2:
            a = fixed_to_fp(a, i.cond == 1, w, i.amount, fmt, fpcr, (fpcr >> FPCR_RMODE_SHIFT) & 3, &fl)
        else:
            a = fp_to_fixed(a, fmt, i.amount, i.cond == 3, w, RND_Z, fpcr, &fl)
        buf_set(out, e, fmt, a)
    memcpy(vbytes(c, i.rd), out, 16)
    c.fpsr |= fl
    return NEXT


cdef int decode_simd_shift_fp(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t immh = bits(insn, 22, 19)
    cdef uint32_t immhb = bits(insn, 22, 16)
    cdef uint32_t opcode = bits(insn, 15, 11)
    if immh < 0b0100:
        return DEC_UNDEF                        # half precision needs FEAT_FP16
    if not scalar and (immh & 0b1000) and not bits(insn, 30, 30):
        return DEC_UNDEF
    r.size = 3 if immh & 0b1000 else 2
    r.amount = 2 * (8 << r.size) - immhb
    r.cond = (2 if opcode == 0b11111 else 0) | u
    r.op = OP_SIMD_cvt_fixed
    return DEC_OK


# --- by element ------------------------------------------------------------------------------------

cdef inline void elem_broadcast(CPU* c, Insn* i, uint8_t* buf, uint32_t size) noexcept nogil:
    cdef uint64_t v = replicate(velt(c, i.rm, <uint32_t>i.imm2, size), size)
    memcpy(buf, &v, 8)
    memcpy(buf + 8, &v, 8)


cdef inline int op_SIMD_elem_int(CPU* c, Insn* i) noexcept nogil:
    cdef uint8_t buf[16]
    elem_broadcast(c, i, buf, i.size)
    return simd_3same_int(c, i, buf)


cdef inline int op_SIMD_elem_long(CPU* c, Insn* i) noexcept nogil:
    cdef uint8_t buf[16]
    elem_broadcast(c, i, buf, i.size)
    return simd_3diff(c, i, buf)


cdef inline int op_SIMD_elem_fp(CPU* c, Insn* i) noexcept nogil:
    cdef uint8_t buf[16]
    elem_broadcast(c, i, buf, i.size)
    return simd_3same_fp(c, i, buf)


cdef int decode_simd_elem(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t size = bits(insn, 23, 22)
    cdef uint32_t l = bits(insn, 21, 21)
    cdef uint32_t m = bits(insn, 20, 20)
    cdef uint32_t h = bits(insn, 11, 11)
    cdef uint32_t opcode = bits(insn, 15, 12)
    cdef uint32_t rm = bits(insn, 19, 16)
    r.sf = q
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    if scalar:
        r.flags = SIMD_SCALAR
        r.sf = 0
    if opcode == 0b0001 or opcode == 0b0101 or opcode == 0b1001:
        # FMLA, FMLS, FMUL (U=0) / FMULX (U=1, opcode 1001)
        if size < 2:
            return DEC_UNDEF                    # half precision (FEAT_FP16)
        if (opcode != 0b1001 and u) or (size == 3 and (l or (not q and not scalar))):
            return DEC_UNDEF
        r.size = 3 if size == 3 else 2
        r.rm = (m << 4) | rm
        r.imm2 = h if size == 3 else (h << 1) | l
        if opcode == 0b0001:
            r.cond = 0b00001
        elif opcode == 0b0101:
            r.cond = 0b01001
        else:
            r.cond = 0b00011 if u else 0b10011
        r.op = OP_SIMD_elem_fp
        return DEC_OK
    if size == 0 or size == 3:
        return DEC_UNDEF
    r.size = size
    if size == 1:
        r.rm = rm
        r.imm2 = (h << 2) | (l << 1) | m
    else:
        r.rm = (m << 4) | rm
        r.imm2 = (h << 1) | l
    if opcode == 0b1100 or opcode == 0b1101:
        if u:
            return DEC_UNDEF
        r.cond = 0x16 if opcode == 0b1100 else 0x36
        r.op = OP_SIMD_elem_int
        return DEC_OK
    if scalar and not ((opcode == 0b0011 or opcode == 0b0111 or opcode == 0b1011) and not u):
        return DEC_UNDEF
    if opcode == 0b1000 and not u:
        r.cond = 0x13
        r.op = OP_SIMD_elem_int
    elif (opcode == 0b0000 or opcode == 0b0100) and u:
        r.cond = 0x12 if opcode == 0 else 0x32
        r.op = OP_SIMD_elem_int
    elif opcode == 0b0010 or opcode == 0b0110 or opcode == 0b1010:
        r.cond = (u << 4) | (0b1000 if opcode == 0b0010 else (0b1010 if opcode == 0b0110 else 0b1100))
        r.op = OP_SIMD_elem_long
    elif (opcode == 0b0011 or opcode == 0b0111 or opcode == 0b1011) and not u:
        r.cond = 0b1001 if opcode == 0b0011 else (0b1011 if opcode == 0b0111 else 0b1101)
        r.op = OP_SIMD_elem_long
    else:
        return DEC_UNDEF
    return DEC_OK
