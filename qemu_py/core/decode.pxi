# The top level of the A64 decoder: the Arm ARM's first split on op0 (bits 28:25), handing each
# encoding to the decoder of its class. A class decoder fills one Insn record and returns
# DEC_UNDEF (unallocated: the record becomes UNDEF), DEC_OK, or DEC_END (the instruction ends
# the translation block: branches, exception-generating and state-changing instructions).

cdef enum:
    DEC_UNDEF = 0
    DEC_OK = 1
    DEC_END = 2


cdef inline uint32_t bits(uint32_t insn, int hi, int lo) noexcept nogil:
    return (insn >> lo) & ((1u << (hi - lo + 1)) - 1)


cdef inline int64_t sext(uint64_t v, int width) noexcept nogil:
    # Sign-extend the low `width` bits of v.
    cdef int s = 64 - width
    return (<int64_t>(v << s)) >> s


# Register fields resolve once here: encoding 31 is XZR or SP depending on the operand.
cdef inline uint8_t reg_r(uint32_t r) noexcept nogil:
    return <uint8_t>r                      # read, 31 = XZR (x[31] stays 0)

cdef inline uint8_t reg_w(uint32_t r) noexcept nogil:
    return REG_SINK if r == 31 else <uint8_t>r   # write, 31 = XZR (discarded)

cdef inline uint8_t reg_sp(uint32_t r) noexcept nogil:
    return REG_SP if r == 31 else <uint8_t>r     # read or write, 31 = SP


cdef int decode_a64(uint32_t insn, uint64_t pc, Insn* r) noexcept nogil:
    cdef uint32_t op0 = bits(insn, 28, 25)
    cdef int res
    memset(r, 0, sizeof(Insn))
    r.pc = pc
    r.raw = insn
    r.sf = 1
    if op0 == 0b1000 or op0 == 0b1001:
        res = decode_dp_imm(insn, r)
    elif op0 == 0b1010 or op0 == 0b1011:
        res = decode_branch_sys(insn, r)
    elif (op0 & 0b0101) == 0b0100:
        res = decode_ldst(insn, r)
    elif (op0 & 0b0111) == 0b0101:
        res = decode_dp_reg(insn, r)
    elif (op0 & 0b0111) == 0b0111:
        res = decode_simd_fp(insn, r)
    else:
        res = DEC_UNDEF                     # reserved, SME, SVE and unallocated space
    if res == DEC_UNDEF:
        memset(r, 0, sizeof(Insn))
        r.op = OP_UNDEF
        r.pc = pc
        r.raw = insn
        return DEC_END
    return res
