# Data processing -- scalar floating point and Advanced SIMD: the top-level split of the Arm ARM's
# table (op0 31:28, op1 24:23, op2 22:19, op3 18:10), the V register access helpers every SIMD&FP
# class uses, and the CPACR_EL1.FPEN trap.
#
# V register n is c.v[2n] (bits 63:0) and c.v[2n+1] (bits 127:64). Decoders keep V register
# numbers (0-31) in the Insn fields; general registers are resolved as elsewhere (reg_r/reg_w/reg_sp).
# Vector records use: sf = Q (128-bit when 1), size = element size log2, cond = sub-operation.


cdef inline uint8_t* vbytes(CPU* c, uint32_t n) noexcept nogil:
    return <uint8_t*>&c.v[2 * n]


cdef inline uint64_t velt(CPU* c, uint32_t n, uint32_t idx, uint32_t size) noexcept nogil:
    # Element idx of size 1 << size bytes of Vn, zero-extended.
    cdef uint8_t* p = vbytes(c, n)
    if size == 0:
        return p[idx]
    if size == 1:
        return (<uint16_t*>p)[idx]
    if size == 2:
        return (<uint32_t*>p)[idx]
    return (<uint64_t*>p)[idx]


cdef inline int64_t velt_s(CPU* c, uint32_t n, uint32_t idx, uint32_t size) noexcept nogil:
    cdef uint8_t* p = vbytes(c, n)
    if size == 0:
        return (<int8_t*>p)[idx]
    if size == 1:
        return (<int16_t*>p)[idx]
    if size == 2:
        return (<int32_t*>p)[idx]
    return (<int64_t*>p)[idx]


cdef inline void velt_set(CPU* c, uint32_t n, uint32_t idx, uint32_t size, uint64_t v) noexcept nogil:
    cdef uint8_t* p = vbytes(c, n)
    if size == 0:
        p[idx] = <uint8_t>v
    elif size == 1:
        (<uint16_t*>p)[idx] = <uint16_t>v
    elif size == 2:
        (<uint32_t*>p)[idx] = <uint32_t>v
    else:
        (<uint64_t*>p)[idx] = v


cdef inline uint64_t buf_elt(uint8_t* p, uint32_t idx, uint32_t size) noexcept nogil:
    if size == 0:
        return p[idx]
    if size == 1:
        return (<uint16_t*>p)[idx]
    if size == 2:
        return (<uint32_t*>p)[idx]
    return (<uint64_t*>p)[idx]


cdef inline void buf_set(uint8_t* p, uint32_t idx, uint32_t size, uint64_t v) noexcept nogil:
    if size == 0:
        p[idx] = <uint8_t>v
    elif size == 1:
        (<uint16_t*>p)[idx] = <uint16_t>v
    elif size == 2:
        (<uint32_t*>p)[idx] = <uint32_t>v
    else:
        (<uint64_t*>p)[idx] = v


cdef inline void vset_scalar(CPU* c, uint32_t n, uint64_t v) noexcept nogil:
    # A scalar write (B/H/S/D view): the value is zero-extended to the whole 128-bit register.
    c.v[2 * n] = v
    c.v[2 * n + 1] = 0


cdef inline void vset_pair(CPU* c, uint32_t n, uint64_t lo, uint64_t hi, uint32_t q) noexcept nogil:
    # A vector write: 64-bit vectors (Q=0) clear the upper half.
    c.v[2 * n] = lo
    c.v[2 * n + 1] = hi if q else 0


cdef inline uint64_t elt_mask(uint32_t size) noexcept nogil:
    return <uint64_t>0xffffffffffffffff >> (64 - (8 << size))


cdef inline bint is_fp_simd_encoding(uint32_t insn) noexcept nogil:
    # Instructions CPACR_EL1.FPEN controls: SIMD&FP data processing and the V=1 loads/stores.
    cdef uint32_t op0 = bits(insn, 28, 25)
    return (op0 & 0b0111) == 0b0111 or ((op0 & 0b0101) == 0b0100 and bits(insn, 26, 26) == 1)


cdef inline int raise_fp_access(CPU* c, Insn* i) noexcept nogil:
    # EC 0x07 with the ISS QEMU reports for A64 (CV=1, COND=0xE).
    return raise_sync(c, i, EC_FP_ACCESS, <uint32_t>0x1e00000)


cdef inline int op_FP_ACCESS_TRAP(CPU* c, Insn* i) noexcept nogil:
    return raise_fp_access(c, i)


cdef int decode_simd_fp(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t op0 = bits(insn, 31, 28)
    cdef uint32_t op1 = bits(insn, 24, 23)
    cdef uint32_t op2 = bits(insn, 22, 19)
    cdef uint32_t op3 = bits(insn, 18, 10)
    if (op0 & 0b0101) == 0b0001:
        # Scalar floating point (x0x1): conversions and data processing.
        return decode_fp_scalar(insn, r)
    if (op0 & 0b1001) == 0b0000:
        # Advanced SIMD vector (0xx0).
        if op1 == 0b00 and (op2 & 0b1100) == 0 and (op3 & 0b000100001) == 0b000000001:
            return decode_simd_copy(insn, r, False)
        if (op1 & 2) == 0 and (op2 & 0b0100) == 0:
            if (op0 & 0b1011) == 0b0010:
                if (op3 & 0b000100001) == 0:
                    return decode_simd_ext(insn, r)
                return DEC_UNDEF
            if (op3 & 0b000100011) == 0b000000000 and (op0 & 0b1011) == 0:
                return decode_simd_tbl(insn, r)
            if (op3 & 0b000100011) == 0b000000010 and (op0 & 0b1011) == 0:
                return decode_simd_permute(insn, r)
            return DEC_UNDEF
        if op1 == 0b10 and (op3 & 1) == 1:
            if op2 == 0:
                return decode_simd_modimm(insn, r)
            return decode_simd_shift_imm(insn, r, False)
        if (op1 & 2) == 0 and (op2 & 0b0100) == 0b0100:
            if (op3 & 1) == 1:
                return decode_simd_three_same(insn, r, False)
            if (op3 & 0b11) == 0b00:
                return decode_simd_three_diff(insn, r, False)
            if (op3 & 0b110000011) == 0b000000010:
                if (op2 & 0b0111) == 0b0100:
                    return decode_simd_two_misc(insn, r, False)
                if (op2 & 0b0111) == 0b0110:
                    return decode_simd_across(insn, r)
            return DEC_UNDEF
        if (op1 & 2) == 2 and (op3 & 1) == 0:
            return decode_simd_elem(insn, r, False)
        return DEC_UNDEF
    if (op0 & 0b1101) == 0b0101:
        # Advanced SIMD scalar (01x1).
        if op1 == 0b00 and (op2 & 0b1100) == 0 and (op3 & 0b000100001) == 0b000000001:
            return decode_simd_copy(insn, r, True)
        if op1 == 0b10 and (op3 & 1) == 1:
            if op2 == 0:
                return DEC_UNDEF
            return decode_simd_shift_imm(insn, r, True)
        if (op1 & 2) == 0 and (op2 & 0b0100) == 0b0100:
            if (op3 & 1) == 1:
                return decode_simd_three_same(insn, r, True)
            if (op3 & 0b11) == 0b00:
                return decode_simd_three_diff(insn, r, True)
            if (op3 & 0b110000011) == 0b000000010:
                if (op2 & 0b0111) == 0b0100:
                    return decode_simd_two_misc(insn, r, True)
                if (op2 & 0b0111) == 0b0110:
                    return decode_simd_pairwise_scalar(insn, r)
            return DEC_UNDEF
        if (op1 & 2) == 2 and (op3 & 1) == 0:
            return decode_simd_elem(insn, r, True)
        return DEC_UNDEF
    return DEC_UNDEF                        # crypto and unallocated space
