# Data processing -- immediate: PC-relative addressing, add/subtract, logical, move wide,
# bitfield and extract.
#
# Everything an encoding fixes is worked out here at decode time: immediates arrive shifted,
# logical masks decoded, bitfield moves reduced to two shifts and a mask, register 31 resolved.
# The 32-bit forms of handlers that do not set flags AND their result with imm2 (MASK32 or all
# ones) rather than branch on sf; the flag-setting forms have a 32-bit twin instead, because
# their flags come from different bits.
#
# The NZCV helpers below are shared with a64_dp_reg.pxi.


cdef extern from *:
    """
    #define QP_ALL_ONES 0xffffffffffffffffULL
    """
    const uint64_t ALL_ONES "QP_ALL_ONES"


cdef inline uint32_t nzcv_add64(uint64_t x, uint64_t y, uint64_t res) noexcept nogil:
    # Flags of res = x + y + carry_in, whatever carry_in was (AddWithCarry): the carry out of
    # bit 63 is the majority of x63, y63 and the carry into bit 63, which res63 ^ x63 ^ y63 gives.
    # A subtraction x - y is x + NOT(y) + 1: pass NOT(y).
    return (<uint32_t>(res >> 63) << 3) | (<uint32_t>(res == 0) << 2) \
        | (<uint32_t>(((x & y) | ((x | y) & ~res)) >> 63) << 1) \
        | <uint32_t>(((x ^ res) & (y ^ res)) >> 63)

cdef inline uint32_t nzcv_add32(uint32_t x, uint32_t y, uint32_t res) noexcept nogil:
    return ((res >> 31) << 3) | (<uint32_t>(res == 0) << 2) \
        | ((((x & y) | ((x | y) & ~res)) >> 31) << 1) \
        | (((x ^ res) & (y ^ res)) >> 31)

cdef inline uint32_t nzcv_sub64(uint64_t x, uint64_t y, uint64_t res) noexcept nogil:
    # Flags of res = x - y: the same as nzcv_add64(x, ~y, res), in fewer operations for the
    # compares that dominate real code (no borrow means C set).
    return (<uint32_t>(res >> 63) << 3) | (<uint32_t>(res == 0) << 2) \
        | (<uint32_t>(x >= y) << 1) | <uint32_t>(((x ^ y) & (x ^ res)) >> 63)

cdef inline uint32_t nzcv_sub32(uint32_t x, uint32_t y, uint32_t res) noexcept nogil:
    return ((res >> 31) << 3) | (<uint32_t>(res == 0) << 2) \
        | (<uint32_t>(x >= y) << 1) | (((x ^ y) & (x ^ res)) >> 31)

cdef inline uint32_t nzcv_logic(uint64_t res, uint32_t sign_bit) noexcept nogil:
    # Logical flag setting: N and Z from the (zero-extended) result, C = V = 0.
    return (<uint32_t>((res >> sign_bit) & 1) << 3) | (<uint32_t>(res == 0) << 2)


# --- PC-relative addressing and move wide: the value is known at decode time --------------------

cdef inline int op_ADR(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = <uint64_t>i.imm
    return NEXT

cdef inline int op_ADRP(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = <uint64_t>i.imm
    return NEXT

cdef inline int op_MOVZ(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = <uint64_t>i.imm
    return NEXT

cdef inline int op_MOVN(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = <uint64_t>i.imm
    return NEXT

cdef inline int op_MOVK(CPU* c, Insn* i) noexcept nogil:
    # imm2 keeps the bits outside the halfword (and clears bits 63:32 for the 32-bit form).
    c.x[i.rd] = (c.x[i.rd] & i.imm2) | <uint64_t>i.imm
    return NEXT


# --- add/subtract (immediate) ---------------------------------------------------------------------

cdef inline int op_ADD_imm(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] + <uint64_t>i.imm) & i.imm2
    return NEXT

cdef inline int op_SUB_imm(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] - <uint64_t>i.imm) & i.imm2
    return NEXT

cdef inline int op_ADDS_imm(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t x = c.x[i.rn], y = <uint64_t>i.imm
    cdef uint64_t res = x + y
    c.x[i.rd] = res
    c.nzcv = nzcv_add64(x, y, res)
    return NEXT

cdef inline int op_ADDS_imm32(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t x = <uint32_t>c.x[i.rn], y = <uint32_t>i.imm
    cdef uint32_t res = x + y
    c.x[i.rd] = res
    c.nzcv = nzcv_add32(x, y, res)
    return NEXT

cdef inline int op_SUBS_imm(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t x = c.x[i.rn], y = <uint64_t>i.imm
    cdef uint64_t res = x - y
    c.x[i.rd] = res
    c.nzcv = nzcv_sub64(x, y, res)
    return NEXT

cdef inline int op_SUBS_imm32(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t x = <uint32_t>c.x[i.rn], y = <uint32_t>i.imm
    cdef uint32_t res = x - y
    c.x[i.rd] = res
    c.nzcv = nzcv_sub32(x, y, res)
    return NEXT


# --- logical (immediate): imm is the decoded mask, already zero-extended for 32-bit forms --------

cdef inline int op_AND_imm(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = c.x[i.rn] & <uint64_t>i.imm
    return NEXT

cdef inline int op_ORR_imm(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] | <uint64_t>i.imm) & i.imm2
    return NEXT

cdef inline int op_EOR_imm(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] ^ <uint64_t>i.imm) & i.imm2
    return NEXT

cdef inline int op_ANDS_imm(CPU* c, Insn* i) noexcept nogil:
    # amount: the sign bit, 63 or 31.
    cdef uint64_t res = c.x[i.rn] & <uint64_t>i.imm
    c.x[i.rd] = res
    c.nzcv = nzcv_logic(res, i.amount)
    return NEXT


# --- bitfield and extract -------------------------------------------------------------------------
# A bitfield move takes bits [s:r] of Rn down to bit 0 (s >= r), or bits [s:0] up to bit
# datasize - r (s < r). Both are "shift left by amount = 63 - s, so that bit s is the top bit,
# then shift right by size": logically for UBFM, arithmetically for SBFM; the same shifts applied
# to all ones give the field's place in the destination, which BFM keeps the rest of.

cdef inline int op_UBFM(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] << i.amount) >> i.size
    return NEXT

cdef inline int op_SBFM(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (<uint64_t>((<int64_t>(c.x[i.rn] << i.amount)) >> i.size)) & i.imm2
    return NEXT

cdef inline int op_BFM(CPU* c, Insn* i) noexcept nogil:
    # imm2: the destination bits kept (outside the field, within the datasize).
    c.x[i.rd] = (c.x[i.rd] & i.imm2) | ((c.x[i.rn] << i.amount) >> i.size)
    return NEXT

cdef inline int op_EXTR(CPU* c, Insn* i) noexcept nogil:
    # Rn:Rm >> lsb. Shifting Rn left in two steps keeps lsb = 0 free of a 64-bit shift.
    c.x[i.rd] = (c.x[i.rm] >> i.amount) | ((c.x[i.rn] << 1) << (63 - i.amount))
    return NEXT

cdef inline int op_EXTR32(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t pair = (c.x[i.rn] << 32) | (c.x[i.rm] & MASK32)
    c.x[i.rd] = (pair >> i.amount) & MASK32
    return NEXT


# --- decoding ---------------------------------------------------------------------------------------

cdef inline uint64_t ones(uint32_t n) noexcept nogil:
    # n low bits set, 0 <= n <= 64.
    return ALL_ONES if n >= 64 else ((<uint64_t>1) << n) - 1


cdef bint decode_bit_masks(uint32_t n, uint32_t imms, uint32_t immr, uint32_t datasize,
                           uint64_t* out) noexcept nogil:
    # The Arm ARM's DecodeBitMasks for logical immediates: an element of 2..64 bits holding a run
    # of S+1 ones rotated right by R, replicated across the datasize. False when reserved.
    cdef uint32_t combined = (n << 6) | (~imms & 0x3f)
    cdef int length = -1
    cdef uint32_t k, levels, s, r, esize
    cdef uint64_t elem, emask
    for k in range(7):
        if combined & (1u << k):
            length = k
    if length < 1:
        return False
    levels = (1u << length) - 1
    if (imms & levels) == levels:
        return False                                # all ones in an element: reserved
    s = imms & levels
    r = immr & levels
    esize = 1u << length
    emask = ones(esize)
    elem = ones(s + 1)
    if r:
        elem = ((elem >> r) | (elem << (esize - r))) & emask
    k = esize
    while k < datasize:
        elem |= elem << k
        k *= 2
    out[0] = elem & ones(datasize)
    return True


cdef int decode_addsub_imm(uint32_t insn, Insn* r) noexcept nogil:
    # sf op S 100010 sh imm12 Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t op = bits(insn, 30, 30)
    cdef uint32_t s = bits(insn, 29, 29)
    r.sf = sf
    r.imm = <int64_t>(bits(insn, 21, 10) << (12 * bits(insn, 22, 22)))
    r.imm2 = ALL_ONES if sf else MASK32
    r.rn = reg_sp(bits(insn, 9, 5))
    if s:
        r.rd = reg_w(bits(insn, 4, 0))
        if op:
            r.op = OP_SUBS_imm if sf else OP_SUBS_imm32
        else:
            r.op = OP_ADDS_imm if sf else OP_ADDS_imm32
    else:
        r.rd = reg_sp(bits(insn, 4, 0))
        r.op = OP_SUB_imm if op else OP_ADD_imm
    return DEC_OK


cdef int decode_logical_imm(uint32_t insn, Insn* r) noexcept nogil:
    # sf opc 100100 N immr imms Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t opc = bits(insn, 30, 29)
    cdef uint32_t n = bits(insn, 22, 22)
    cdef uint64_t mask
    if not sf and n:
        return DEC_UNDEF
    if not decode_bit_masks(n, bits(insn, 15, 10), bits(insn, 21, 16), 64 if sf else 32, &mask):
        return DEC_UNDEF
    r.sf = sf
    r.imm = <int64_t>mask
    r.imm2 = ALL_ONES if sf else MASK32
    r.amount = 63 if sf else 31
    r.rn = reg_r(bits(insn, 9, 5))
    if opc == 0b11:
        r.op = OP_ANDS_imm
        r.rd = reg_w(bits(insn, 4, 0))
    else:
        r.op = OP_AND_imm if opc == 0 else (OP_ORR_imm if opc == 1 else OP_EOR_imm)
        r.rd = reg_sp(bits(insn, 4, 0))
    return DEC_OK


cdef int decode_move_wide(uint32_t insn, Insn* r) noexcept nogil:
    # sf opc 100101 hw imm16 Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t opc = bits(insn, 30, 29)
    cdef uint32_t shift = 16 * bits(insn, 22, 21)
    cdef uint64_t value = (<uint64_t>bits(insn, 20, 5)) << shift
    cdef uint64_t width = ALL_ONES if sf else MASK32
    if opc == 0b01 or (not sf and shift >= 32):
        return DEC_UNDEF
    r.sf = sf
    r.rd = reg_w(bits(insn, 4, 0))
    if opc == 0b00:
        r.op = OP_MOVN
        r.imm = <int64_t>(~value & width)
    elif opc == 0b10:
        r.op = OP_MOVZ
        r.imm = <int64_t>value
    else:
        r.op = OP_MOVK
        r.imm = <int64_t>value
        r.imm2 = ~((<uint64_t>0xffff) << shift) & width
    return DEC_OK


cdef int decode_bitfield(uint32_t insn, Insn* r) noexcept nogil:
    # sf opc 100110 N immr imms Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t opc = bits(insn, 30, 29)
    cdef uint32_t n = bits(insn, 22, 22)
    cdef uint32_t immr = bits(insn, 21, 16)
    cdef uint32_t imms = bits(insn, 15, 10)
    cdef uint32_t datasize = 64 if sf else 32
    cdef uint32_t left, right
    cdef uint64_t field
    if opc == 0b11 or n != sf or immr >= datasize or imms >= datasize:
        return DEC_UNDEF
    left = 63 - imms
    if imms >= immr:
        right = left + immr                         # bits [imms:immr] down to bit 0
    else:
        right = left - (datasize - immr)            # bits [imms:0] up to bit datasize - immr
    field = (ALL_ONES << left) >> right
    r.sf = sf
    r.amount = left
    r.size = right
    r.rd = reg_w(bits(insn, 4, 0))
    r.rn = reg_r(bits(insn, 9, 5))
    if opc == 0b00:
        r.op = OP_SBFM
        r.imm2 = ALL_ONES if sf else MASK32
    elif opc == 0b01:
        r.op = OP_BFM
        r.imm2 = ~field & (ALL_ONES if sf else MASK32)
    else:
        r.op = OP_UBFM
    return DEC_OK


cdef int decode_extract(uint32_t insn, Insn* r) noexcept nogil:
    # sf op21 100111 N o0 Rm imms Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t imms = bits(insn, 15, 10)
    if bits(insn, 30, 29) != 0 or bits(insn, 21, 21) != 0 or bits(insn, 22, 22) != sf:
        return DEC_UNDEF
    if not sf and imms >= 32:
        return DEC_UNDEF
    r.sf = sf
    r.op = OP_EXTR if sf else OP_EXTR32
    r.amount = imms
    r.rd = reg_w(bits(insn, 4, 0))
    r.rn = reg_r(bits(insn, 9, 5))
    r.rm = reg_r(bits(insn, 20, 16))
    return DEC_OK


cdef int decode_dp_imm(uint32_t insn, Insn* r) noexcept nogil:
    # op0 = 100x; op1 (bits 25:23) picks the class.
    cdef uint32_t op1 = bits(insn, 25, 23)
    cdef int64_t offset
    if op1 <= 0b001:                                # ADR, ADRP: op immlo 10000 immhi Rd
        offset = sext((bits(insn, 23, 5) << 2) | bits(insn, 30, 29), 21)
        r.rd = reg_w(bits(insn, 4, 0))
        if insn >> 31:
            r.op = OP_ADRP
            r.imm = <int64_t>(r.pc & ~(<uint64_t>0xfff)) + offset * 4096
        else:
            r.op = OP_ADR
            r.imm = <int64_t>r.pc + offset
        return DEC_OK
    if op1 == 0b010:
        return decode_addsub_imm(insn, r)
    if op1 == 0b100:
        return decode_logical_imm(insn, r)
    if op1 == 0b101:
        return decode_move_wide(insn, r)
    if op1 == 0b110:
        return decode_bitfield(insn, r)
    if op1 == 0b111:
        return decode_extract(insn, r)
    return DEC_UNDEF                                # 011: ADDG/SUBG and later (Armv8.5+)
