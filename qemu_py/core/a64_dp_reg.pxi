# Data processing -- register: logical and add/subtract (shifted and extended register), with
# carry, conditional compare and select, one- two- and three-source operations.

cdef int decode_dp_reg(uint32_t insn, Insn* r) noexcept nogil:
    return DEC_UNDEF
