# Loads and stores: every addressing form of single registers and pairs, literals, exclusives,
# acquire/release and the LSE atomics.

cdef int decode_ldst(uint32_t insn, Insn* r) noexcept nogil:
    return DEC_UNDEF
