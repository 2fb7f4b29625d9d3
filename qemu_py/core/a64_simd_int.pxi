# Advanced SIMD integer groups: three same, three different, two-register miscellaneous, across
# lanes, shifts by immediate, by element, and their scalar forms.

cdef int decode_simd_three_same(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    return DEC_UNDEF

cdef int decode_simd_three_diff(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    return DEC_UNDEF

cdef int decode_simd_two_misc(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    return DEC_UNDEF

cdef int decode_simd_across(uint32_t insn, Insn* r) noexcept nogil:
    return DEC_UNDEF

cdef int decode_simd_pairwise_scalar(uint32_t insn, Insn* r) noexcept nogil:
    return DEC_UNDEF

cdef int decode_simd_shift_imm(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    return DEC_UNDEF

cdef int decode_simd_elem(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    return DEC_UNDEF
