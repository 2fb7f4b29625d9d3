# Advanced SIMD data movement: copy (DUP, INS, UMOV, SMOV), modified immediate (MOVI, MVNI,
# ORR/BIC immediate, FMOV vector immediate), EXT, the permutes (UZP, TRN, ZIP) and table lookup
# (TBL, TBX).

cdef inline uint64_t replicate(uint64_t v, uint32_t size) noexcept nogil:
    # The element v (1 << size bytes) repeated across 64 bits.
    if size == 0:
        return (v & 0xff) * <uint64_t>0x0101010101010101
    if size == 1:
        return (v & 0xffff) * <uint64_t>0x0001000100010001
    if size == 2:
        return (v & MASK32) * <uint64_t>0x0000000100000001
    return v


cdef inline int op_DUP_elem(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = replicate(velt(c, i.rn, <uint32_t>i.imm2, i.size), i.size)
    vset_pair(c, i.rd, v, v, i.sf)
    return NEXT


cdef inline int op_DUP_elem_scalar(CPU* c, Insn* i) noexcept nogil:
    vset_scalar(c, i.rd, velt(c, i.rn, <uint32_t>i.imm2, i.size))
    return NEXT


cdef inline int op_DUP_gen(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = replicate(c.x[i.rn], i.size)
    vset_pair(c, i.rd, v, v, i.sf)
    return NEXT


cdef inline int op_INS_gen(CPU* c, Insn* i) noexcept nogil:
    velt_set(c, i.rd, <uint32_t>i.imm2, i.size, c.x[i.rn])
    return NEXT


cdef inline int op_INS_elem(CPU* c, Insn* i) noexcept nogil:
    velt_set(c, i.rd, <uint32_t>i.imm2, i.size, velt(c, i.rn, <uint32_t>i.imm, i.size))
    return NEXT


cdef inline int op_UMOV(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = velt(c, i.rn, <uint32_t>i.imm2, i.size)
    return NEXT


cdef inline int op_SMOV(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = <uint64_t>velt_s(c, i.rn, <uint32_t>i.imm2, i.size)
    c.x[i.rd] = v if i.sf else v & MASK32
    return NEXT


cdef int decode_simd_copy(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t op = bits(insn, 29, 29)
    cdef uint32_t imm5 = bits(insn, 20, 16)
    cdef uint32_t imm4 = bits(insn, 14, 11)
    cdef uint32_t size = 0
    if imm5 & 0xf == 0:
        return DEC_UNDEF
    while not (imm5 >> size) & 1:
        size += 1
    r.size = size
    r.imm2 = imm5 >> (size + 1)
    r.sf = q
    r.rn = bits(insn, 9, 5)
    r.rd = bits(insn, 4, 0)
    if scalar:
        if op or imm4 != 0 or q != 1:
            return DEC_UNDEF
        r.op = OP_DUP_elem_scalar
        return DEC_OK
    if op == 1:
        if q == 0:
            return DEC_UNDEF
        r.imm = imm4 >> size
        r.op = OP_INS_elem
        return DEC_OK
    if imm4 == 0b0000:
        if size == 3 and q == 0:
            return DEC_UNDEF
        r.op = OP_DUP_elem
    elif imm4 == 0b0001:
        if size == 3 and q == 0:
            return DEC_UNDEF
        r.rn = reg_r(bits(insn, 9, 5))
        r.op = OP_DUP_gen
    elif imm4 == 0b0011:
        if q == 0:
            return DEC_UNDEF
        r.rn = reg_r(bits(insn, 9, 5))
        r.op = OP_INS_gen
    elif imm4 == 0b0101 or imm4 == 0b0111:
        r.rd = reg_w(bits(insn, 4, 0))
        if imm4 == 0b0111:
            if (q == 1) != (size == 3):
                return DEC_UNDEF
            r.op = OP_UMOV
        else:
            if size == 3 or (q == 0 and size == 2):
                return DEC_UNDEF
            r.op = OP_SMOV
    else:
        return DEC_UNDEF
    return DEC_OK


# --- modified immediate ----------------------------------------------------------------------

cdef inline int op_MOVI(CPU* c, Insn* i) noexcept nogil:
    vset_pair(c, i.rd, i.imm2, i.imm2, i.sf)
    return NEXT


cdef inline int op_ORR_imm_vec(CPU* c, Insn* i) noexcept nogil:
    c.v[2 * i.rd] |= i.imm2
    if i.sf:
        c.v[2 * i.rd + 1] |= i.imm2
    else:
        c.v[2 * i.rd + 1] = 0
    return NEXT


cdef inline int op_BIC_imm_vec(CPU* c, Insn* i) noexcept nogil:
    c.v[2 * i.rd] &= ~i.imm2
    if i.sf:
        c.v[2 * i.rd + 1] &= ~i.imm2
    else:
        c.v[2 * i.rd + 1] = 0
    return NEXT


cdef uint64_t simd_expand_imm(uint32_t op, uint32_t cmode, uint64_t imm8) noexcept nogil:
    # AdvSIMDExpandImm: the 64-bit pattern an (op, cmode, imm8) immediate stands for.
    cdef uint32_t k = cmode >> 1
    cdef uint64_t r = 0
    cdef uint32_t b
    if k == 0:
        return replicate(imm8, 2)
    if k == 1:
        return replicate(imm8 << 8, 2)
    if k == 2:
        return replicate(imm8 << 16, 2)
    if k == 3:
        return replicate(imm8 << 24, 2)
    if k == 4:
        return replicate(imm8, 1)
    if k == 5:
        return replicate(imm8 << 8, 1)
    if k == 6:
        if cmode & 1 == 0:
            return replicate((imm8 << 8) | 0xff, 2)
        return replicate((imm8 << 16) | 0xffff, 2)
    if cmode & 1 == 0:
        if op == 0:
            return replicate(imm8, 0)
        for b in range(8):
            if (imm8 >> b) & 1:
                r |= (<uint64_t>0xff) << (8 * b)
        return r
    if op == 0:
        return replicate(vfp_expand_imm(imm8, 2), 2)
    return vfp_expand_imm(imm8, 3)


cdef inline uint64_t vfp_expand_imm(uint64_t imm8, uint32_t size) noexcept nogil:
    # VFPExpandImm: the FMOV immediate a:b:cdefgh as a half (1), single (2) or double (3).
    cdef uint64_t sign = (imm8 >> 7) & 1
    cdef uint64_t b6 = (imm8 >> 6) & 1
    cdef uint64_t low = imm8 & 0x3f
    if size == 3:
        return (sign << 63) | ((b6 ^ 1) << 62) | ((<uint64_t>0xff * b6) << 54) | (low << 48)
    if size == 2:
        return (sign << 31) | ((b6 ^ 1) << 30) | ((<uint64_t>0x1f * b6) << 25) | (low << 19)
    return (sign << 15) | ((b6 ^ 1) << 14) | ((<uint64_t>0x3 * b6) << 12) | (low << 6)


cdef int decode_simd_modimm(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t op = bits(insn, 29, 29)
    cdef uint32_t cmode = bits(insn, 15, 12)
    cdef uint32_t o2 = bits(insn, 11, 11)
    cdef uint64_t imm8 = (bits(insn, 18, 16) << 5) | bits(insn, 9, 5)
    if o2:
        return DEC_UNDEF                    # FMOV (vector, half precision): FEAT_FP16
    if cmode == 0b1111 and op == 1 and q == 0:
        return DEC_UNDEF
    r.rd = bits(insn, 4, 0)
    r.sf = q
    r.imm2 = simd_expand_imm(op, cmode, imm8)
    if (cmode & 0b1001) == 0b0001 or (cmode & 0b1101) == 0b1001:
        r.op = OP_BIC_imm_vec if op else OP_ORR_imm_vec
    elif op == 1 and cmode < 0b1110:
        r.imm2 = ~r.imm2                    # MVNI
        r.op = OP_MOVI
    else:
        r.op = OP_MOVI
    return DEC_OK


# --- EXT, permutes, table lookup -------------------------------------------------------------

cdef inline int op_EXT(CPU* c, Insn* i) noexcept nogil:
    cdef uint8_t buf[32]
    cdef uint32_t n = 16 if i.sf else 8
    memcpy(buf, vbytes(c, i.rn), n)
    memcpy(buf + n, vbytes(c, i.rm), n)
    memcpy(vbytes(c, i.rd), buf + i.imm, n)
    if not i.sf:
        c.v[2 * i.rd + 1] = 0
    return NEXT


cdef int decode_simd_ext(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t imm4 = bits(insn, 14, 11)
    if bits(insn, 23, 22) != 0 or (q == 0 and imm4 >= 8):
        return DEC_UNDEF
    r.sf = q
    r.imm = imm4
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    r.rm = bits(insn, 20, 16)
    r.op = OP_EXT
    return DEC_OK


cdef enum:
    PERM_UZP = 1
    PERM_TRN = 2
    PERM_ZIP = 3


cdef inline int op_PERMUTE(CPU* c, Insn* i) noexcept nogil:
    # cond = kind, imm = part (0 for UZP1/TRN1/ZIP1, 1 for the "2" forms).
    cdef uint8_t src[32]
    cdef uint8_t out[16]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t elements = nbytes >> i.size
    cdef uint32_t half = elements >> 1
    cdef uint32_t part = <uint32_t>i.imm
    cdef uint32_t e, p
    cdef uint8_t* vn = vbytes(c, i.rn)
    cdef uint8_t* vm = vbytes(c, i.rm)
    memset(out, 0, 16)
    if i.cond == PERM_UZP:
        memcpy(src, vn, nbytes)
        memcpy(src + nbytes, vm, nbytes)
        for e in range(elements):
            buf_set(out, e, i.size, buf_elt(src, 2 * e + part, i.size))
    elif i.cond == PERM_TRN:
        for p in range(half):
            buf_set(out, 2 * p, i.size, buf_elt(vn, 2 * p + part, i.size))
            buf_set(out, 2 * p + 1, i.size, buf_elt(vm, 2 * p + part, i.size))
    else:
        for p in range(half):
            buf_set(out, 2 * p, i.size, buf_elt(vn, part * half + p, i.size))
            buf_set(out, 2 * p + 1, i.size, buf_elt(vm, part * half + p, i.size))
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef int decode_simd_permute(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t size = bits(insn, 23, 22)
    cdef uint32_t opcode = bits(insn, 14, 12)
    if size == 3 and q == 0:
        return DEC_UNDEF
    if (opcode & 3) == 0:
        return DEC_UNDEF
    r.cond = opcode & 3
    r.imm = opcode >> 2
    r.sf = q
    r.size = size
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    r.rm = bits(insn, 20, 16)
    r.op = OP_PERMUTE
    return DEC_OK


cdef inline int op_TBL(CPU* c, Insn* i) noexcept nogil:
    # amount = number of table registers, flags = 1 for TBX (out-of-range lanes keep Vd).
    cdef uint8_t table[64]
    cdef uint8_t out[16]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t k, idx, limit = 16 * i.amount
    cdef uint8_t* vm = vbytes(c, i.rm)
    for k in range(i.amount):
        memcpy(table + 16 * k, vbytes(c, (i.rn + k) & 31), 16)
    memcpy(out, vbytes(c, i.rd), 16)
    for k in range(nbytes):
        idx = vm[k]
        if idx < limit:
            out[k] = table[idx]
        elif not i.flags:
            out[k] = 0
    memcpy(vbytes(c, i.rd), out, nbytes)
    if not i.sf:
        c.v[2 * i.rd + 1] = 0
    return NEXT


cdef int decode_simd_tbl(uint32_t insn, Insn* r) noexcept nogil:
    if bits(insn, 23, 22) != 0:
        return DEC_UNDEF
    r.sf = bits(insn, 30, 30)
    r.amount = bits(insn, 14, 13) + 1
    r.flags = bits(insn, 12, 12)
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    r.rm = bits(insn, 20, 16)
    r.op = OP_TBL
    return DEC_OK
