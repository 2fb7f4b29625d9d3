# Data processing -- scalar floating point and Advanced SIMD. Not implemented yet: every
# encoding in this space is UNDEFINED.

cdef int decode_simd_fp(uint32_t insn, Insn* r) noexcept nogil:
    return DEC_UNDEF


cdef int decode_ldst_simd_fp(uint32_t insn, Insn* r) noexcept nogil:
    # Loads and stores of SIMD&FP registers (V = 1) and the SIMD structure loads and stores.
    return DEC_UNDEF
