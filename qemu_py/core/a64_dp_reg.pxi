# Data processing -- register: logical and add/subtract (shifted and extended register), with
# carry, conditional compare and select, one- two- and three-source operations.
#
# As in a64_dp_imm.pxi, handlers that set no flags serve both widths by ANDing the result with
# imm2 (MASK32 or all ones), and the hottest flag-setting forms have a 32-bit twin.
#
# The second operand of the shifted and extended register forms is computed one way, without a
# branch: shift Rm left by `amount`, then logically right by `size`, and OR in the sign fill that
# an arithmetic shift would bring (imm: the bits to fill, 0 for LSL/LSR/UXT*). That gives LSL, LSR
# and ASR of both widths and every extend (UXTB..SXTX) with its left shift. The logical forms
# also rotate: they OR in Rm shifted left by one and then by `flags` (63, which clears it, unless
# the shift is ROR). When the operand is plain Rm (LSL #0, UXTX #0, or a 32-bit form reading Wm
# unchanged) the decoder picks the *_reg handler, which does no shifting at all.

cdef extern from *:
    """
    typedef unsigned __int128 qp_u128;
    typedef __int128 qp_i128;
    """
    ctypedef unsigned long long u128 "qp_u128"
    ctypedef long long i128 "qp_i128"
    int __builtin_clzll(unsigned long long) noexcept nogil
    uint64_t __builtin_bswap64(uint64_t) noexcept nogil

# Byte-at-a-time tables of the reflected CRC-32 and CRC-32C polynomials, filled at import.
cdef uint32_t[256] CRC32_TABLE
cdef uint32_t[256] CRC32C_TABLE


cdef inline uint64_t shifted_operand(CPU* c, Insn* i) noexcept nogil:
    # LSL, LSR, ASR and the extends (add/subtract forms).
    cdef uint64_t t = c.x[i.rm] << i.amount
    return (t >> i.size) | ((<uint64_t>0 - (t >> 63)) & <uint64_t>i.imm)

cdef inline uint64_t logical_operand(CPU* c, Insn* i) noexcept nogil:
    # LSL, LSR, ASR and ROR (logical forms).
    cdef uint64_t v = c.x[i.rm]
    cdef uint64_t t = v << i.amount
    return (t >> i.size) | ((<uint64_t>0 - (t >> 63)) & <uint64_t>i.imm) | ((v << 1) << i.flags)


cdef inline uint64_t add_with_flags(CPU* c, uint64_t x, uint64_t y, uint64_t carry,
                                    uint32_t sf) noexcept nogil:
    # x + y + carry at the operation's width, setting NZCV; returns the zero-extended result.
    # A 32-bit operation is done in the top half of a 64-bit one (the low half all zero), which
    # gives the same N, Z, C and V without a branch.
    cdef uint32_t s = (sf ^ 1) << 5
    cdef uint64_t res
    x <<= s
    y <<= s
    res = x + y + (carry << s)
    c.nzcv = nzcv_add64(x, y, res)
    return res >> s


# --- logical (shifted register) -------------------------------------------------------------------
# The flag-setting forms take the sign bit (63 or 31) from `cond`.

cdef inline int op_AND_reg(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] & c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_BIC_reg(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] & ~c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_ORR_reg(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] | c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_ORN_reg(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] | ~c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_EOR_reg(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] ^ c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_EON_reg(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] ^ ~c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_ANDS_reg(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t res = (c.x[i.rn] & c.x[i.rm]) & i.imm2
    c.x[i.rd] = res
    c.nzcv = nzcv_logic(res, i.cond)
    return NEXT

cdef inline int op_BICS_reg(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t res = (c.x[i.rn] & ~c.x[i.rm]) & i.imm2
    c.x[i.rd] = res
    c.nzcv = nzcv_logic(res, i.cond)
    return NEXT

cdef inline int op_AND_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] & logical_operand(c, i)) & i.imm2
    return NEXT

cdef inline int op_BIC_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] & ~logical_operand(c, i)) & i.imm2
    return NEXT

cdef inline int op_ORR_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] | logical_operand(c, i)) & i.imm2
    return NEXT

cdef inline int op_ORN_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] | ~logical_operand(c, i)) & i.imm2
    return NEXT

cdef inline int op_EOR_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] ^ logical_operand(c, i)) & i.imm2
    return NEXT

cdef inline int op_EON_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] ^ ~logical_operand(c, i)) & i.imm2
    return NEXT

cdef inline int op_ANDS_shift(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t res = (c.x[i.rn] & logical_operand(c, i)) & i.imm2
    c.x[i.rd] = res
    c.nzcv = nzcv_logic(res, i.cond)
    return NEXT

cdef inline int op_BICS_shift(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t res = (c.x[i.rn] & ~logical_operand(c, i)) & i.imm2
    c.x[i.rd] = res
    c.nzcv = nzcv_logic(res, i.cond)
    return NEXT


# --- add/subtract (shifted and extended register) ------------------------------------------------

cdef inline int op_ADD_reg(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] + c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_SUB_reg(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] - c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_ADDS_reg(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t x = c.x[i.rn], y = c.x[i.rm]
    cdef uint64_t res = x + y
    c.x[i.rd] = res
    c.nzcv = nzcv_add64(x, y, res)
    return NEXT

cdef inline int op_ADDS_reg32(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t x = <uint32_t>c.x[i.rn], y = <uint32_t>c.x[i.rm]
    cdef uint32_t res = x + y
    c.x[i.rd] = res
    c.nzcv = nzcv_add32(x, y, res)
    return NEXT

cdef inline int op_SUBS_reg(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t x = c.x[i.rn], y = c.x[i.rm]
    cdef uint64_t res = x - y
    c.x[i.rd] = res
    c.nzcv = nzcv_sub64(x, y, res)
    return NEXT

cdef inline int op_SUBS_reg32(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t x = <uint32_t>c.x[i.rn], y = <uint32_t>c.x[i.rm]
    cdef uint32_t res = x - y
    c.x[i.rd] = res
    c.nzcv = nzcv_sub32(x, y, res)
    return NEXT

cdef inline int op_ADD_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] + shifted_operand(c, i)) & i.imm2
    return NEXT

cdef inline int op_SUB_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] - shifted_operand(c, i)) & i.imm2
    return NEXT

cdef inline int op_ADDS_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = add_with_flags(c, c.x[i.rn], shifted_operand(c, i), 0, i.sf)
    return NEXT

cdef inline int op_SUBS_shift(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = add_with_flags(c, c.x[i.rn], ~shifted_operand(c, i), 1, i.sf)
    return NEXT


# --- add/subtract with carry ------------------------------------------------------------------------

cdef inline int op_ADC(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] + c.x[i.rm] + ((c.nzcv >> 1) & 1)) & i.imm2
    return NEXT

cdef inline int op_SBC(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] + ~c.x[i.rm] + ((c.nzcv >> 1) & 1)) & i.imm2
    return NEXT

cdef inline int op_ADCS(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = add_with_flags(c, c.x[i.rn], c.x[i.rm], (c.nzcv >> 1) & 1, i.sf)
    return NEXT

cdef inline int op_SBCS(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = add_with_flags(c, c.x[i.rn], ~c.x[i.rm], (c.nzcv >> 1) & 1, i.sf)
    return NEXT


# --- conditional compare: imm2 holds the NZCV to set when the condition fails ---------------------

cdef inline int op_CCMP_reg(CPU* c, Insn* i) noexcept nogil:
    if cond_holds(c, i.cond):
        add_with_flags(c, c.x[i.rn], ~c.x[i.rm], 1, i.sf)
    else:
        c.nzcv = <uint32_t>i.imm2
    return NEXT

cdef inline int op_CCMP_imm(CPU* c, Insn* i) noexcept nogil:
    if cond_holds(c, i.cond):
        add_with_flags(c, c.x[i.rn], ~(<uint64_t>i.imm), 1, i.sf)
    else:
        c.nzcv = <uint32_t>i.imm2
    return NEXT

cdef inline int op_CCMN_reg(CPU* c, Insn* i) noexcept nogil:
    if cond_holds(c, i.cond):
        add_with_flags(c, c.x[i.rn], c.x[i.rm], 0, i.sf)
    else:
        c.nzcv = <uint32_t>i.imm2
    return NEXT

cdef inline int op_CCMN_imm(CPU* c, Insn* i) noexcept nogil:
    if cond_holds(c, i.cond):
        add_with_flags(c, c.x[i.rn], <uint64_t>i.imm, 0, i.sf)
    else:
        c.nzcv = <uint32_t>i.imm2
    return NEXT


# --- conditional select -----------------------------------------------------------------------------

cdef inline int op_CSEL(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] if cond_holds(c, i.cond) else c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_CSINC(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] if cond_holds(c, i.cond) else c.x[i.rm] + 1) & i.imm2
    return NEXT

cdef inline int op_CSINV(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] if cond_holds(c, i.cond) else ~c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_CSNEG(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] if cond_holds(c, i.cond) else (<uint64_t>0) - c.x[i.rm]) & i.imm2
    return NEXT


# --- one source: the 32-bit forms work on the top half (amount = 32) and shift back -------------

cdef inline uint64_t reverse_bits64(uint64_t v) noexcept nogil:
    v = ((v >> 1) & <uint64_t>0x5555555555555555) | ((v & <uint64_t>0x5555555555555555) << 1)
    v = ((v >> 2) & <uint64_t>0x3333333333333333) | ((v & <uint64_t>0x3333333333333333) << 2)
    v = ((v >> 4) & <uint64_t>0x0f0f0f0f0f0f0f0f) | ((v & <uint64_t>0x0f0f0f0f0f0f0f0f) << 4)
    return __builtin_bswap64(v)

cdef inline int op_RBIT(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = reverse_bits64(c.x[i.rn] << i.amount)
    return NEXT

cdef inline int op_REV(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = __builtin_bswap64(c.x[i.rn] << i.amount)
    return NEXT

cdef inline int op_REV16(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = c.x[i.rn]
    c.x[i.rd] = (((v >> 8) & <uint64_t>0x00ff00ff00ff00ff)
                 | ((v & <uint64_t>0x00ff00ff00ff00ff) << 8)) & i.imm2
    return NEXT

cdef inline int op_REV32(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = __builtin_bswap64(c.x[i.rn])
    c.x[i.rd] = (v >> 32) | (v << 32)
    return NEXT

cdef inline int op_CLZ(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = c.x[i.rn] << i.amount
    c.x[i.rd] = <uint64_t>__builtin_clzll(v) if v else 64 - i.amount
    return NEXT

cdef inline int op_CLS(CPU* c, Insn* i) noexcept nogil:
    # Leading bits equal to the sign bit, not counting it: the leading zeros of v ^ (v << 1),
    # with a stop bit so that all-equal counts datasize - 1.
    cdef uint64_t v = c.x[i.rn] << i.amount
    c.x[i.rd] = <uint64_t>__builtin_clzll((v ^ (v << 1)) | ((<uint64_t>1) << i.amount))
    return NEXT


# --- two source -------------------------------------------------------------------------------------

cdef inline int op_UDIV(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t n = c.x[i.rn] & i.imm2, m = c.x[i.rm] & i.imm2
    c.x[i.rd] = n / m if m else 0
    return NEXT

cdef inline int op_SDIV(CPU* c, Insn* i) noexcept nogil:
    # Division by zero gives 0; the one overflowing case, MIN / -1, gives MIN (the negation
    # wraps), computed without a host division that would trap.
    cdef int64_t n, m
    cdef int32_t n32, m32
    if i.sf:
        n = <int64_t>c.x[i.rn]
        m = <int64_t>c.x[i.rm]
        if m == 0:
            c.x[i.rd] = 0
        elif m == -1:
            c.x[i.rd] = (<uint64_t>0) - <uint64_t>n
        else:
            c.x[i.rd] = <uint64_t>(n / m)
    else:
        n32 = <int32_t>c.x[i.rn]
        m32 = <int32_t>c.x[i.rm]
        if m32 == 0:
            c.x[i.rd] = 0
        elif m32 == -1:
            c.x[i.rd] = <uint32_t>((<uint32_t>0) - <uint32_t>n32)
        else:
            c.x[i.rd] = <uint32_t>(n32 / m32)
    return NEXT

cdef inline int op_LSLV(CPU* c, Insn* i) noexcept nogil:
    # amount: the shift count mask, datasize - 1.
    c.x[i.rd] = (c.x[i.rn] << (c.x[i.rm] & i.amount)) & i.imm2
    return NEXT

cdef inline int op_LSRV(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.rn] & i.imm2) >> (c.x[i.rm] & i.amount)
    return NEXT

cdef inline int op_ASRV(CPU* c, Insn* i) noexcept nogil:
    if i.sf:
        c.x[i.rd] = <uint64_t>((<int64_t>c.x[i.rn]) >> (c.x[i.rm] & 63))
    else:
        c.x[i.rd] = <uint32_t>((<int32_t>c.x[i.rn]) >> (c.x[i.rm] & 31))
    return NEXT

cdef inline int op_RORV(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t v = c.x[i.rn]
    cdef uint32_t n
    cdef uint32_t w
    if i.sf:
        n = c.x[i.rm] & 63
        c.x[i.rd] = (v >> n) | (v << ((64 - n) & 63))
    else:
        n = c.x[i.rm] & 31
        w = <uint32_t>v
        c.x[i.rd] = <uint32_t>((w >> n) | (w << ((32 - n) & 31)))
    return NEXT


cdef inline uint32_t crc_update(const uint32_t* table, uint32_t acc, uint64_t value,
                                uint32_t nbytes) noexcept nogil:
    # The reflected CRC the CRC32* instructions compute: no inversion before or after.
    cdef uint32_t k
    for k in range(nbytes):
        acc = (acc >> 8) ^ table[(acc ^ <uint32_t>(value >> (8 * k))) & 0xff]
    return acc

cdef inline int op_CRC32(CPU* c, Insn* i) noexcept nogil:
    if not (c.mach.features & FEAT_CRC32):
        return raise_undef(c, i)
    c.x[i.rd] = crc_update(CRC32_TABLE, <uint32_t>c.x[i.rn], c.x[i.rm], i.size)
    return NEXT

cdef inline int op_CRC32C(CPU* c, Insn* i) noexcept nogil:
    if not (c.mach.features & FEAT_CRC32):
        return raise_undef(c, i)
    c.x[i.rd] = crc_update(CRC32C_TABLE, <uint32_t>c.x[i.rn], c.x[i.rm], i.size)
    return NEXT


cdef void crc_fill_table(uint32_t* table, uint32_t poly) noexcept nogil:
    # poly is the bit-reversed polynomial (0xEDB88320 for CRC-32, 0x82F63B78 for CRC-32C).
    cdef uint32_t b, k, v
    for b in range(256):
        v = b
        for k in range(8):
            v = (v >> 1) ^ (poly if v & 1 else 0)
        table[b] = v

crc_fill_table(CRC32_TABLE, <uint32_t>0xEDB88320u)
crc_fill_table(CRC32C_TABLE, <uint32_t>0x82F63B78u)


# --- three source -----------------------------------------------------------------------------------

cdef inline int op_MADD(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.ra] + c.x[i.rn] * c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_MSUB(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = (c.x[i.ra] - c.x[i.rn] * c.x[i.rm]) & i.imm2
    return NEXT

cdef inline int op_SMADDL(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = c.x[i.ra] + <uint64_t>(<int64_t>(<int32_t>c.x[i.rn]) * <int64_t>(<int32_t>c.x[i.rm]))
    return NEXT

cdef inline int op_SMSUBL(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = c.x[i.ra] - <uint64_t>(<int64_t>(<int32_t>c.x[i.rn]) * <int64_t>(<int32_t>c.x[i.rm]))
    return NEXT

cdef inline int op_UMADDL(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = c.x[i.ra] + (c.x[i.rn] & MASK32) * (c.x[i.rm] & MASK32)
    return NEXT

cdef inline int op_UMSUBL(CPU* c, Insn* i) noexcept nogil:
    c.x[i.rd] = c.x[i.ra] - (c.x[i.rn] & MASK32) * (c.x[i.rm] & MASK32)
    return NEXT

cdef inline int op_SMULH(CPU* c, Insn* i) noexcept nogil:
    cdef i128 p = <i128>(<int64_t>c.x[i.rn]) * <i128>(<int64_t>c.x[i.rm])
    c.x[i.rd] = <uint64_t>(p >> 64)
    return NEXT

cdef inline int op_UMULH(CPU* c, Insn* i) noexcept nogil:
    cdef u128 p = <u128>c.x[i.rn] * <u128>c.x[i.rm]
    c.x[i.rd] = <uint64_t>(p >> 64)
    return NEXT


# --- decoding ---------------------------------------------------------------------------------------

cdef int decode_logical_reg(uint32_t insn, Insn* r) noexcept nogil:
    # sf opc 01010 shift N Rm imm6 Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t opc = bits(insn, 30, 29)
    cdef uint32_t shift = bits(insn, 23, 22)
    cdef uint32_t n = bits(insn, 21, 21)
    cdef uint32_t imm6 = bits(insn, 15, 10)
    cdef uint32_t sel = (opc << 1) | n             # AND BIC ORR ORN EOR EON ANDS BICS
    cdef bint plain = imm6 == 0
    if not sf and imm6 >= 32:
        return DEC_UNDEF
    r.sf = sf
    r.rd = reg_w(bits(insn, 4, 0))
    r.rn = reg_r(bits(insn, 9, 5))
    r.rm = reg_r(bits(insn, 20, 16))
    r.imm2 = ALL_ONES if sf else MASK32
    r.cond = 63 if sf else 31
    if not plain:
        set_shifted_operand(r, shift, imm6, sf)
    if sel == 0:
        r.op = OP_AND_reg if plain else OP_AND_shift
    elif sel == 1:
        r.op = OP_BIC_reg if plain else OP_BIC_shift
    elif sel == 2:
        r.op = OP_ORR_reg if plain else OP_ORR_shift
    elif sel == 3:
        r.op = OP_ORN_reg if plain else OP_ORN_shift
    elif sel == 4:
        r.op = OP_EOR_reg if plain else OP_EOR_shift
    elif sel == 5:
        r.op = OP_EON_reg if plain else OP_EON_shift
    elif sel == 6:
        r.op = OP_ANDS_reg if plain else OP_ANDS_shift
    else:
        r.op = OP_BICS_reg if plain else OP_BICS_shift
    return DEC_OK


cdef void set_shifted_operand(Insn* r, uint32_t shift, uint32_t n, uint32_t sf) noexcept nogil:
    # Rm shifted by n (1..datasize-1), as the fields logical_operand() and shifted_operand() use.
    # A 32-bit Wm is first moved to the top so that right shifts see bit 31 as the sign bit.
    cdef uint32_t top = 0 if sf else 32
    r.flags = 63                                    # no rotation
    r.imm = 0                                       # no sign fill
    if shift == 0:                                  # LSL
        r.amount = n
        r.size = 0
    elif shift == 3:                                # ROR: Rm >> n, Rm << (datasize - n)
        r.amount = top
        r.size = top + n
        r.flags = 63 - top - n
    else:                                           # LSR, ASR
        r.amount = top
        r.size = top + n
        if shift == 2:
            r.imm = <int64_t>~(ALL_ONES >> r.size)


cdef int decode_addsub_shift(uint32_t insn, Insn* r) noexcept nogil:
    # sf op S 01011 shift 0 Rm imm6 Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t shift = bits(insn, 23, 22)
    cdef uint32_t imm6 = bits(insn, 15, 10)
    if shift == 3 or (not sf and imm6 >= 32):
        return DEC_UNDEF
    r.rd = reg_w(bits(insn, 4, 0))
    r.rn = reg_r(bits(insn, 9, 5))
    r.rm = reg_r(bits(insn, 20, 16))
    if imm6 == 0:
        return set_addsub_op(insn, r, True)
    set_shifted_operand(r, shift, imm6, sf)
    return set_addsub_op(insn, r, False)


cdef int decode_addsub_ext(uint32_t insn, Insn* r) noexcept nogil:
    # sf op S 01011 opt 1 Rm option imm3 Rn Rd; Rn (and Rd unless S) may be SP.
    cdef uint32_t sf = insn >> 31
    cdef uint32_t s = bits(insn, 29, 29)
    cdef uint32_t option = bits(insn, 15, 13)
    cdef uint32_t sh = bits(insn, 12, 10)
    cdef uint32_t width = 8u << (option & 3)
    if bits(insn, 23, 22) != 0 or sh > 4:
        return DEC_UNDEF
    r.rd = reg_w(bits(insn, 4, 0)) if s else reg_sp(bits(insn, 4, 0))
    r.rn = reg_sp(bits(insn, 9, 5))
    r.rm = reg_r(bits(insn, 20, 16))
    if width >= (64 if sf else 32):
        # The extend does nothing at this width: Rm shifted left.
        if sh == 0:
            return set_addsub_op(insn, r, True)
        r.amount = sh
        r.size = 0
    else:
        # Take the low `width` bits to the top, then back down to bit sh (sign-filling for SXT*).
        r.amount = 64 - width
        r.size = 64 - width - sh
        if option & 4:
            r.imm = <int64_t>~(ALL_ONES >> r.size)
    return set_addsub_op(insn, r, False)


cdef int set_addsub_op(uint32_t insn, Insn* r, bint plain) noexcept nogil:
    cdef uint32_t sf = insn >> 31
    cdef uint32_t sel = bits(insn, 30, 29)          # op:S = ADD ADDS SUB SUBS
    r.sf = sf
    r.imm2 = ALL_ONES if sf else MASK32
    if sel == 0:
        r.op = OP_ADD_reg if plain else OP_ADD_shift
    elif sel == 2:
        r.op = OP_SUB_reg if plain else OP_SUB_shift
    elif plain:
        if sel == 1:
            r.op = OP_ADDS_reg if sf else OP_ADDS_reg32
        else:
            r.op = OP_SUBS_reg if sf else OP_SUBS_reg32
    else:
        r.op = OP_ADDS_shift if sel == 1 else OP_SUBS_shift
    return DEC_OK


cdef int decode_dp_2src(uint32_t insn, Insn* r) noexcept nogil:
    # sf 0 S 11010110 Rm opcode Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t opcode = bits(insn, 15, 10)
    if bits(insn, 29, 29):
        return DEC_UNDEF
    r.sf = sf
    r.rd = reg_w(bits(insn, 4, 0))
    r.rn = reg_r(bits(insn, 9, 5))
    r.rm = reg_r(bits(insn, 20, 16))
    r.imm2 = ALL_ONES if sf else MASK32
    r.amount = 63 if sf else 31
    if opcode == 0b000010:
        r.op = OP_UDIV
    elif opcode == 0b000011:
        r.op = OP_SDIV
    elif opcode == 0b001000:
        r.op = OP_LSLV
    elif opcode == 0b001001:
        r.op = OP_LSRV
    elif opcode == 0b001010:
        r.op = OP_ASRV
    elif opcode == 0b001011:
        r.op = OP_RORV
    elif (opcode >> 3) == 0b010:                     # CRC32{,C}{B,H,W,X}
        if (opcode & 3) == 3:
            if not sf:
                return DEC_UNDEF
        elif sf:
            return DEC_UNDEF
        r.op = OP_CRC32C if opcode & 4 else OP_CRC32
        r.size = 1u << (opcode & 3)
    else:
        return DEC_UNDEF                             # MTE, PACGA, CSSC min/max and the rest
    return DEC_OK


cdef int decode_dp_1src(uint32_t insn, Insn* r) noexcept nogil:
    # sf 1 S 11010110 opcode2 opcode Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t opcode = bits(insn, 15, 10)
    if bits(insn, 29, 29) or bits(insn, 20, 16) != 0:
        return DEC_UNDEF                             # PAC forms (opcode2 = 1) and the rest
    r.sf = sf
    r.rd = reg_w(bits(insn, 4, 0))
    r.rn = reg_r(bits(insn, 9, 5))
    r.imm2 = ALL_ONES if sf else MASK32
    r.amount = 0 if sf else 32
    if opcode == 0b000000:
        r.op = OP_RBIT
    elif opcode == 0b000001:
        r.op = OP_REV16
    elif opcode == 0b000010:
        r.op = OP_REV32 if sf else OP_REV
    elif opcode == 0b000011 and sf:
        r.op = OP_REV
    elif opcode == 0b000100:
        r.op = OP_CLZ
    elif opcode == 0b000101:
        r.op = OP_CLS
    else:
        return DEC_UNDEF                             # CTZ, CNT, ABS (CSSC) and the rest
    return DEC_OK


cdef int decode_cond_compare(uint32_t insn, Insn* r) noexcept nogil:
    # sf op S 11010010 Rm|imm5 cond imm 0 Rn 0 nzcv
    cdef uint32_t op = bits(insn, 30, 30)
    cdef bint is_imm = bits(insn, 11, 11)
    if not bits(insn, 29, 29) or bits(insn, 10, 10) or bits(insn, 4, 4):
        return DEC_UNDEF
    r.sf = insn >> 31
    r.cond = bits(insn, 15, 12)
    r.rn = reg_r(bits(insn, 9, 5))
    r.imm2 = bits(insn, 3, 0)
    if is_imm:
        r.imm = bits(insn, 20, 16)
        r.op = OP_CCMP_imm if op else OP_CCMN_imm
    else:
        r.rm = reg_r(bits(insn, 20, 16))
        r.op = OP_CCMP_reg if op else OP_CCMN_reg
    return DEC_OK


cdef int decode_cond_select(uint32_t insn, Insn* r) noexcept nogil:
    # sf op S 11010100 Rm cond op2 Rn Rd
    cdef uint32_t sel = (bits(insn, 30, 30) << 1) | bits(insn, 10, 10)  # CSEL CSINC CSINV CSNEG
    cdef uint32_t sf = insn >> 31
    if bits(insn, 29, 29) or bits(insn, 11, 11):
        return DEC_UNDEF
    r.sf = sf
    r.cond = bits(insn, 15, 12)
    r.rd = reg_w(bits(insn, 4, 0))
    r.rn = reg_r(bits(insn, 9, 5))
    r.rm = reg_r(bits(insn, 20, 16))
    r.imm2 = ALL_ONES if sf else MASK32
    if sel == 0:
        r.op = OP_CSEL
    elif sel == 1:
        r.op = OP_CSINC
    elif sel == 2:
        r.op = OP_CSINV
    else:
        r.op = OP_CSNEG
    return DEC_OK


cdef int decode_dp_3src(uint32_t insn, Insn* r) noexcept nogil:
    # sf op54 11011 op31 Rm o0 Ra Rn Rd
    cdef uint32_t sf = insn >> 31
    cdef uint32_t sel = (bits(insn, 23, 21) << 1) | bits(insn, 15, 15)   # op31:o0
    if bits(insn, 30, 29) != 0:
        return DEC_UNDEF
    r.sf = sf
    r.rd = reg_w(bits(insn, 4, 0))
    r.rn = reg_r(bits(insn, 9, 5))
    r.rm = reg_r(bits(insn, 20, 16))
    r.ra = reg_r(bits(insn, 14, 10))
    r.imm2 = ALL_ONES if sf else MASK32
    if sel == 0b0000:
        r.op = OP_MADD
        return DEC_OK
    if sel == 0b0001:
        r.op = OP_MSUB
        return DEC_OK
    if not sf:
        return DEC_UNDEF                            # the long and high forms are 64-bit only
    if sel == 0b0010:
        r.op = OP_SMADDL
    elif sel == 0b0011:
        r.op = OP_SMSUBL
    elif sel == 0b0100:
        r.op = OP_SMULH
    elif sel == 0b1010:
        r.op = OP_UMADDL
    elif sel == 0b1011:
        r.op = OP_UMSUBL
    elif sel == 0b1100:
        r.op = OP_UMULH
    else:
        return DEC_UNDEF
    return DEC_OK


cdef int decode_dp_reg(uint32_t insn, Insn* r) noexcept nogil:
    # op0 (30), op1 (28), op2 (24:21), op3 (15:10) pick the class.
    cdef uint32_t op0 = bits(insn, 30, 30)
    cdef uint32_t op1 = bits(insn, 28, 28)
    cdef uint32_t op2 = bits(insn, 24, 21)
    cdef uint32_t op3 = bits(insn, 15, 10)
    if not op1:
        if not (op2 & 0b1000):
            return decode_logical_reg(insn, r)
        if op2 & 1:
            return decode_addsub_ext(insn, r)
        return decode_addsub_shift(insn, r)
    if op2 & 0b1000:
        return decode_dp_3src(insn, r)
    if op2 == 0b0000:
        if op3 != 0:
            return DEC_UNDEF                        # RMIF, SETF8/16 (Armv8.4) and the rest
        # sf op S 11010000 Rm 000000 Rn Rd
        r.sf = insn >> 31
        r.rd = reg_w(bits(insn, 4, 0))
        r.rn = reg_r(bits(insn, 9, 5))
        r.rm = reg_r(bits(insn, 20, 16))
        r.imm2 = ALL_ONES if r.sf else MASK32
        if bits(insn, 29, 29):
            r.op = OP_SBCS if op0 else OP_ADCS
        else:
            r.op = OP_SBC if op0 else OP_ADC
        return DEC_OK
    if op2 == 0b0010:
        return decode_cond_compare(insn, r)
    if op2 == 0b0100:
        return decode_cond_select(insn, r)
    if op2 == 0b0110:
        return decode_dp_1src(insn, r) if op0 else decode_dp_2src(insn, r)
    return DEC_UNDEF
