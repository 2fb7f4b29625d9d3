# Data processing -- immediate: PC-relative addressing, add/subtract, logical, move wide,
# bitfield and extract.

cdef int decode_dp_imm(uint32_t insn, Insn* r) noexcept nogil:
    return DEC_UNDEF
