# Advanced SIMD integer groups: three same, three different, two-register miscellaneous, across
# lanes, shifts by immediate, and their scalar forms. Lane operations go through one switch on a
# sub-operation code (cond) so each group is one handler; records hold sf = Q, size = element
# size, and for the scalar forms flags |= SIMD_SCALAR (one lane, the rest of Vd cleared).

cdef extern from *:
    ctypedef long long int128 "__int128"

cdef enum:
    SIMD_SCALAR = 0x80


cdef inline int64_t lane_s(uint64_t v, uint32_t size) noexcept nogil:
    return sext(v, 8 << size)


cdef inline uint64_t sat_s(CPU* c, int128 v, uint32_t size) noexcept nogil:
    # SignedSatQ to 8 << size bits, QC on saturation.
    cdef uint32_t e = 8 << size
    cdef int128 hi = ((<int128>1) << (e - 1)) - 1
    cdef int128 lo = -((<int128>1) << (e - 1))
    if v > hi:
        c.fpsr |= FPSR_QC
        v = hi
    elif v < lo:
        c.fpsr |= FPSR_QC
        v = lo
    return <uint64_t>v & elt_mask(size)


cdef inline uint64_t sat_u(CPU* c, int128 v, uint32_t size) noexcept nogil:
    cdef int128 hi = ((<int128>1) << (8 << size)) - 1
    if v > hi:
        c.fpsr |= FPSR_QC
        v = hi
    elif v < 0:
        c.fpsr |= FPSR_QC
        v = 0
    return <uint64_t>v


cdef inline uint64_t shift_reg_lane(CPU* c, uint64_t a, uint64_t b, uint32_t size, bint uns,
                                    bint rnd, bint sat) noexcept nogil:
    # [SU][Q][R]SHL by register: shift by the signed low byte of b; negative shifts go right.
    cdef int32_t sh = <int32_t>sext(b & 0xff, 8)
    cdef int128 v = <int128>a if uns else <int128>lane_s(a, size)
    if sh >= 0:
        if not sat:
            return (a << sh) & elt_mask(size) if sh < 64 else 0
        if v == 0:
            return 0
        if sh >= 64:
            v = ((<int128>1) << 100) if v > 0 else -((<int128>1) << 100)
        else:
            v = v * ((<int128>1) << sh)     # |v| < 2^64, sh < 64: fits
        return sat_u(c, v, size) if uns else sat_s(c, v, size)
    sh = -sh
    if sh > 100:
        sh = 100
    if rnd:
        v = v + ((<int128>1) << (sh - 1))
    v = v >> sh
    if sat:
        return sat_u(c, v, size) if uns else sat_s(c, v, size)
    return <uint64_t>v & elt_mask(size)


cdef inline uint64_t pmul8(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint64_t r = 0
    cdef uint32_t k
    for k in range(8):
        if (b >> k) & 1:
            r ^= a << k
    return r & 0xff


cdef uint64_t int3_lane(CPU* c, uint32_t op, uint32_t size, uint64_t a, uint64_t b,
                        uint64_t d) noexcept nogil:
    """One lane of the three-same integer group: op = U:opcode."""
    cdef uint64_t m = elt_mask(size)
    cdef int64_t sa = lane_s(a, size), sb = lane_s(b, size)
    cdef int128 t
    cdef uint32_t e = 8 << size
    if op == 0x10:
        return (a + b) & m
    if op == 0x30:
        return (a - b) & m
    if op == 0x31:
        return m if a == b else 0
    if op == 0x11:
        return m if (a & b) != 0 else 0
    if op == 0x06:
        return m if sa > sb else 0
    if op == 0x26:
        return m if a > b else 0
    if op == 0x07:
        return m if sa >= sb else 0
    if op == 0x27:
        return m if a >= b else 0
    if op == 0x00:
        return <uint64_t>((<int128>sa + sb) >> 1) & m
    if op == 0x20:
        return <uint64_t>((<int128>a + b) >> 1) & m
    if op == 0x02:
        return <uint64_t>((<int128>sa + sb + 1) >> 1) & m
    if op == 0x22:
        return <uint64_t>((<int128>a + b + 1) >> 1) & m
    if op == 0x04:
        return <uint64_t>((<int128>sa - sb) >> 1) & m
    if op == 0x24:
        return <uint64_t>((<int128>a - <int128>b) >> 1) & m
    if op == 0x01:
        return sat_s(c, <int128>sa + sb, size)
    if op == 0x21:
        return sat_u(c, <int128>a + b, size)
    if op == 0x05:
        return sat_s(c, <int128>sa - sb, size)
    if op == 0x25:
        return sat_u(c, <int128>a - <int128>b, size)
    if op == 0x08 or op == 0x28 or op == 0x09 or op == 0x29 or op == 0x0a or op == 0x2a \
            or op == 0x0b or op == 0x2b:
        return shift_reg_lane(c, a, b, size, op >= 0x20, (op & 2) != 0, (op & 1) != 0)
    if op == 0x0c or op == 0x14:
        return a if sa >= sb else b
    if op == 0x2c or op == 0x34:
        return a if a >= b else b
    if op == 0x0d or op == 0x15:
        return a if sa <= sb else b
    if op == 0x2d or op == 0x35:
        return a if a <= b else b
    if op == 0x0e:
        return <uint64_t>(sa - sb if sa > sb else sb - sa) & m
    if op == 0x2e:
        return (a - b if a > b else b - a) & m
    if op == 0x0f:
        return (d + <uint64_t>(sa - sb if sa > sb else sb - sa)) & m
    if op == 0x2f:
        return (d + (a - b if a > b else b - a)) & m
    if op == 0x12:
        return (d + a * b) & m
    if op == 0x32:
        return (d - a * b) & m
    if op == 0x13:
        return (a * b) & m
    if op == 0x33:
        return pmul8(a, b)
    if op == 0x17:
        return (a + b) & m
    if op == 0x16:
        return sat_s(c, (<int128>2 * sa * sb) >> e, size)
    if op == 0x36:
        return sat_s(c, ((<int128>2 * sa * sb) + ((<int128>1) << (e - 1))) >> e, size)
    return 0


cdef inline bint int3_pairwise(uint32_t op) noexcept nogil:
    return op == 0x14 or op == 0x34 or op == 0x15 or op == 0x35 or op == 0x17


cdef inline int op_SIMD_3same_int(CPU* c, Insn* i) noexcept nogil:
    return simd_3same_int(c, i, vbytes(c, i.rm))


cdef int simd_3same_int(CPU* c, Insn* i, uint8_t* vm) noexcept nogil:
    # vm: the second operand's lanes (Vm, or one element of it repeated for the by-element forms).
    cdef uint8_t out[16]
    cdef uint8_t src[32]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t elements = nbytes >> i.size
    cdef uint32_t e
    cdef uint8_t* vn = vbytes(c, i.rn)
    cdef uint8_t* vd = vbytes(c, i.rd)
    memset(out, 0, 16)
    if i.flags & SIMD_SCALAR:
        elements = 1
    if int3_pairwise(i.cond):
        memcpy(src, vn, nbytes)
        memcpy(src + nbytes, vm, nbytes)
        for e in range(elements):
            buf_set(out, e, i.size, int3_lane(c, i.cond, i.size, buf_elt(src, 2 * e, i.size),
                                              buf_elt(src, 2 * e + 1, i.size), 0))
    else:
        for e in range(elements):
            buf_set(out, e, i.size, int3_lane(c, i.cond, i.size, buf_elt(vn, e, i.size),
                                              buf_elt(vm, e, i.size), buf_elt(vd, e, i.size)))
    memcpy(vd, out, 16)
    return NEXT


# Whole-register forms of the commonest lane operations: no per-lane switch.

cdef inline int op_SIMD_logic(CPU* c, Insn* i) noexcept nogil:
    # cond = U:size: AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF.
    cdef uint32_t k
    cdef uint64_t n, m, d, r
    for k in range(2 if i.sf else 1):
        n = c.v[2 * i.rn + k]
        m = c.v[2 * i.rm + k]
        d = c.v[2 * i.rd + k]
        if i.cond == 0:
            r = n & m
        elif i.cond == 1:
            r = n & ~m
        elif i.cond == 2:
            r = n | m
        elif i.cond == 3:
            r = n | ~m
        elif i.cond == 4:
            r = n ^ m
        elif i.cond == 5:
            r = (d & n) | (~d & m)
        elif i.cond == 6:
            r = (m & n) | (~m & d)
        else:
            r = (~m & n) | (m & d)
        c.v[2 * i.rd + k] = r
    if not i.sf:
        c.v[2 * i.rd + 1] = 0
    return NEXT


cdef inline uint64_t swar_add(uint64_t a, uint64_t b, uint32_t size) noexcept nogil:
    # Lane-wise addition inside 64 bits: add without the lanes' top bits, then fix them.
    cdef uint64_t h
    if size == 3:
        return a + b
    h = replicate(<uint64_t>1 << ((8 << size) - 1), size)
    return ((a & ~h) + (b & ~h)) ^ ((a ^ b) & h)


cdef inline int op_ADD_vec(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t lo = swar_add(c.v[2 * i.rn], c.v[2 * i.rm], i.size)
    cdef uint64_t hi = swar_add(c.v[2 * i.rn + 1], c.v[2 * i.rm + 1], i.size)
    vset_pair(c, i.rd, lo, hi, i.sf)
    return NEXT


cdef inline int op_SUB_vec(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t h = replicate(<uint64_t>1 << ((8 << i.size) - 1), i.size) if i.size < 3 else 0
    cdef uint64_t lo, hi, a, b
    a = c.v[2 * i.rn]
    b = c.v[2 * i.rm]
    lo = ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h)
    a = c.v[2 * i.rn + 1]
    b = c.v[2 * i.rm + 1]
    hi = ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h)
    vset_pair(c, i.rd, lo, hi, i.sf)
    return NEXT


cdef int decode_simd_three_same(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t size = bits(insn, 23, 22)
    cdef uint32_t opcode = bits(insn, 15, 11)
    cdef uint32_t op = (u << 5) | opcode
    r.sf = q
    r.size = size
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    r.rm = bits(insn, 20, 16)
    if opcode >= 0b11000:
        return decode_simd_three_same_fp(insn, r, scalar)
    if scalar:
        r.flags = SIMD_SCALAR
        r.sf = 0
        if op == 0x01 or op == 0x21 or op == 0x05 or op == 0x25 or op == 0x09 or op == 0x29 \
                or op == 0x0b or op == 0x2b:
            pass                                        # saturating: every size
        elif op == 0x16 or op == 0x36:
            if size == 0 or size == 3:
                return DEC_UNDEF
        elif op in (0x06, 0x26, 0x07, 0x27, 0x08, 0x28, 0x0a, 0x2a, 0x10, 0x30, 0x11, 0x31):
            if size != 3:
                return DEC_UNDEF
        else:
            return DEC_UNDEF
        r.cond = op
        r.op = OP_SIMD_3same_int
        return DEC_OK
    if opcode == 0b00011:
        r.cond = (u << 2) | size
        r.op = OP_SIMD_logic
        return DEC_OK
    if size == 3 and q == 0:
        return DEC_UNDEF
    if size == 3 and not (op in (0x01, 0x21, 0x05, 0x25, 0x06, 0x26, 0x07, 0x27, 0x08, 0x28,
                                 0x09, 0x29, 0x0a, 0x2a, 0x0b, 0x2b, 0x10, 0x30, 0x11, 0x31, 0x17)):
        return DEC_UNDEF
    if (op == 0x12 or op == 0x32 or op == 0x13) and size == 3:
        return DEC_UNDEF
    if op == 0x33 and size != 0:
        return DEC_UNDEF
    if (op == 0x16 or op == 0x36) and (size == 0 or size == 3):
        return DEC_UNDEF
    if op == 0x37:
        return DEC_UNDEF
    if op == 0x10:
        r.op = OP_ADD_vec
        return DEC_OK
    if op == 0x30:
        r.op = OP_SUB_vec
        return DEC_OK
    r.cond = op
    r.op = OP_SIMD_3same_int
    return DEC_OK


# --- two-register miscellaneous ----------------------------------------------------------------

cdef inline uint64_t count_bits(uint64_t v) noexcept nogil:
    cdef uint64_t n = 0
    while v:
        v &= v - 1
        n += 1
    return n


cdef uint64_t int2_lane(CPU* c, uint32_t op, uint32_t size, uint64_t a, uint64_t d) noexcept nogil:
    cdef uint64_t m = elt_mask(size)
    cdef int64_t sa = lane_s(a, size)
    cdef uint32_t e = 8 << size
    cdef uint64_t r
    cdef uint32_t k
    if op == 0x08:
        return m if sa > 0 else 0
    if op == 0x09:
        return m if a == 0 else 0
    if op == 0x0a:
        return m if sa < 0 else 0
    if op == 0x28:
        return m if sa >= 0 else 0
    if op == 0x29:
        return m if sa <= 0 else 0
    if op == 0x0b:
        return <uint64_t>(-sa if sa < 0 else sa) & m
    if op == 0x2b:
        return (0 - a) & m
    if op == 0x07:
        return sat_s(c, -(<int128>sa) if sa < 0 else <int128>sa, size)
    if op == 0x27:
        return sat_s(c, -(<int128>sa), size)
    if op == 0x05:
        return count_bits(a)
    if op == 0x03:
        return sat_s(c, <int128>lane_s(d, size) + <int128>a, size)     # SUQADD
    if op == 0x23:
        return sat_u(c, <int128>d + <int128>sa, size)                 # USQADD
    if op == 0x24:
        # CLZ
        r = 0
        while r < e and not ((a >> (e - 1 - r)) & 1):
            r += 1
        return r
    if op == 0x04:
        # CLS: leading bits equal to the sign, not counting it.
        r = 0
        while r + 1 < e and ((a >> (e - 2 - r)) & 1) == ((a >> (e - 1)) & 1):
            r += 1
        return r
    if op == 0x25:
        return (~a) & 0xff                              # NOT
    if op == 0x45:
        r = 0                                           # RBIT (bytes)
        for k in range(8):
            r |= ((a >> k) & 1) << (7 - k)
        return r
    return 0


cdef inline int op_SIMD_2misc_int(CPU* c, Insn* i) noexcept nogil:
    cdef uint8_t out[16]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t elements = nbytes >> i.size
    cdef uint32_t e
    cdef uint8_t* vn = vbytes(c, i.rn)
    memset(out, 0, 16)
    if i.flags & SIMD_SCALAR:
        elements = 1
    for e in range(elements):
        buf_set(out, e, i.size, int2_lane(c, i.cond, i.size, buf_elt(vn, e, i.size),
                                          velt(c, i.rd, e, i.size)))
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef inline int op_SIMD_rev(CPU* c, Insn* i) noexcept nogil:
    # REV16/REV32/REV64: reverse the elements of size `size` within containers of 1 << cond bytes.
    cdef uint8_t out[16]
    cdef uint8_t* vn = vbytes(c, i.rn)
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t per = (1u << i.cond) >> i.size
    cdef uint32_t e, elements = nbytes >> i.size
    memset(out, 0, 16)
    for e in range(elements):
        buf_set(out, e, i.size, buf_elt(vn, (e - e % per) + (per - 1 - e % per), i.size))
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef inline int op_SIMD_narrow(CPU* c, Insn* i) noexcept nogil:
    # XTN, SQXTN, UQXTN, SQXTUN (cond 0-3): 2*size lanes of Vn to size lanes of the lower (Q=0)
    # or upper (Q=1, the "2" forms) half of Vd.
    cdef uint64_t res = 0, a
    cdef uint32_t e, elements = 8 >> i.size
    cdef uint32_t ws = i.size + 1
    for e in range(elements):
        a = velt(c, i.rn, e, ws)
        if i.cond == 1:
            a = sat_s(c, lane_s(a, ws), i.size)
        elif i.cond == 2:
            a = sat_u(c, a, i.size)
        elif i.cond == 3:
            a = sat_u(c, lane_s(a, ws), i.size)
        res |= (a & elt_mask(i.size)) << (e * (8 << i.size))
    if i.sf:
        c.v[2 * i.rd + 1] = res
    else:
        vset_scalar(c, i.rd, res)
    return NEXT


cdef inline int op_SIMD_addlp(CPU* c, Insn* i) noexcept nogil:
    # SADDLP, UADDLP, SADALP, UADALP: pairs of size lanes added into 2*size lanes.
    # flags bit 0 = unsigned, bit 1 = accumulate.
    cdef uint8_t out[16]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t ws = i.size + 1
    cdef uint32_t e, elements = nbytes >> ws
    cdef uint64_t a, b, s
    memset(out, 0, 16)
    for e in range(elements):
        a = velt(c, i.rn, 2 * e, i.size)
        b = velt(c, i.rn, 2 * e + 1, i.size)
        if i.flags & 1:
            s = a + b
        else:
            s = <uint64_t>(lane_s(a, i.size) + lane_s(b, i.size))
        if i.flags & 2:
            s += velt(c, i.rd, e, ws)
        buf_set(out, e, ws, s & elt_mask(ws))
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef inline int op_SHLL(CPU* c, Insn* i) noexcept nogil:
    # SHLL/SHLL2: widen the lower (upper) half and shift left by the element size.
    cdef uint8_t out[16]
    cdef uint32_t e, ws = i.size + 1, elements = 8 >> i.size
    cdef uint32_t base = elements if i.sf else 0
    for e in range(elements):
        buf_set(out, e, ws, velt(c, i.rn, base + e, i.size) << (8 << i.size))
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef int decode_simd_two_misc(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t size = bits(insn, 23, 22)
    cdef uint32_t opcode = bits(insn, 16, 12)
    cdef uint32_t op = (u << 5) | opcode
    r.sf = q
    r.size = size
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    if (opcode >= 0b01100 and opcode <= 0b01111) or opcode >= 0b10110:
        return decode_simd_two_misc_fp(insn, r, scalar)
    if scalar:
        r.flags = SIMD_SCALAR
        r.sf = 0
        if op in (0x08, 0x09, 0x0a, 0x28, 0x29, 0x0b, 0x2b):
            if size != 3:
                return DEC_UNDEF
        elif op == 0x07 or op == 0x27 or op == 0x03 or op == 0x23:
            pass
        elif op == 0x14 or op == 0x34 or op == 0x32:
            # SQXTN, UQXTN, SQXTUN (scalar): one lane.
            if size == 3:
                return DEC_UNDEF
            r.flags = 0
            r.op = OP_SIMD_narrow_scalar
            r.cond = 1 if op == 0x14 else (2 if op == 0x34 else 3)
            return DEC_OK
        else:
            return DEC_UNDEF
        r.cond = op
        r.op = OP_SIMD_2misc_int
        return DEC_OK
    if opcode <= 1 or op == 0x20:
        # REV64 (00000), REV16 (00001), REV32 (U=1 00000)
        if opcode == 1 and u == 0:
            if size != 0:
                return DEC_UNDEF
            r.cond = 1
        elif u == 1:
            if size >= 2:
                return DEC_UNDEF
            r.cond = 2
        else:
            if size == 3:
                return DEC_UNDEF
            r.cond = 3
        if opcode == 1 and u == 1:
            return DEC_UNDEF
        r.op = OP_SIMD_rev
        return DEC_OK
    if opcode == 0b00010 or opcode == 0b00110:
        if size == 3:
            return DEC_UNDEF
        r.flags = u | ((opcode >> 1) & 2)
        r.op = OP_SIMD_addlp
        return DEC_OK
    if opcode == 0b10010 or opcode == 0b10100:
        if size == 3:
            return DEC_UNDEF
        if op == 0x12:
            r.cond = 0
        elif op == 0x14:
            r.cond = 1
        elif op == 0x34:
            r.cond = 2
        else:
            r.cond = 3                                  # SQXTUN (U=1 10010)
        r.op = OP_SIMD_narrow
        return DEC_OK
    if op == 0x33:
        if size == 3:
            return DEC_UNDEF
        r.op = OP_SHLL
        return DEC_OK
    if op in (0x08, 0x09, 0x0a, 0x28, 0x29, 0x0b, 0x2b, 0x07, 0x27, 0x03, 0x23):
        if size == 3 and q == 0:
            return DEC_UNDEF
    elif op == 0x05:
        if size != 0:
            return DEC_UNDEF
    elif op == 0x24 or op == 0x04:
        if size == 3:
            return DEC_UNDEF
    elif op == 0x25:
        if size >= 2:
            return DEC_UNDEF
        r.size = 0
        r.cond = 0x45 if size == 1 else 0x25            # RBIT, NOT
        r.op = OP_SIMD_2misc_int
        return DEC_OK
    else:
        return DEC_UNDEF
    r.cond = op
    r.op = OP_SIMD_2misc_int
    return DEC_OK


cdef inline int op_SIMD_narrow_scalar(CPU* c, Insn* i) noexcept nogil:
    cdef uint32_t ws = i.size + 1
    cdef uint64_t a = velt(c, i.rn, 0, ws)
    if i.cond == 1:
        a = sat_s(c, lane_s(a, ws), i.size)
    elif i.cond == 2:
        a = sat_u(c, a, i.size)
    else:
        a = sat_u(c, lane_s(a, ws), i.size)
    vset_scalar(c, i.rd, a & elt_mask(i.size))
    return NEXT


# --- across lanes ------------------------------------------------------------------------------

cdef inline int op_SIMD_across(CPU* c, Insn* i) noexcept nogil:
    # cond: 0 ADDV, 1 SMAXV, 2 UMAXV, 3 SMINV, 4 UMINV, 5 SADDLV, 6 UADDLV.
    cdef uint32_t elements = (16 if i.sf else 8) >> i.size
    cdef uint32_t e
    cdef uint64_t acc = velt(c, i.rn, 0, i.size), a
    cdef int64_t sacc = lane_s(acc, i.size)
    for e in range(1, elements):
        a = velt(c, i.rn, e, i.size)
        if i.cond == 0 or i.cond == 6:
            acc += a
        elif i.cond == 5:
            sacc += lane_s(a, i.size)
        elif i.cond == 1:
            if lane_s(a, i.size) > sacc:
                sacc = lane_s(a, i.size)
        elif i.cond == 3:
            if lane_s(a, i.size) < sacc:
                sacc = lane_s(a, i.size)
        elif i.cond == 2:
            if a > acc:
                acc = a
        else:
            if a < acc:
                acc = a
    if i.cond == 1 or i.cond == 3:
        acc = <uint64_t>sacc & elt_mask(i.size)
    elif i.cond == 5:
        acc = <uint64_t>sacc & elt_mask(i.size + 1)
    elif i.cond == 6:
        acc &= elt_mask(i.size + 1)
    else:
        acc &= elt_mask(i.size)
    vset_scalar(c, i.rd, acc)
    return NEXT


cdef int decode_simd_across(uint32_t insn, Insn* r) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t size = bits(insn, 23, 22)
    cdef uint32_t opcode = bits(insn, 16, 12)
    r.sf = q
    r.size = size
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    if opcode == 0b01100 or opcode == 0b01111:
        return decode_simd_across_fp(insn, r)
    if size == 3 or (size == 2 and q == 0):
        return DEC_UNDEF
    if opcode == 0b11011 and u == 0:
        r.cond = 0
    elif opcode == 0b01010:
        r.cond = 2 if u else 1
    elif opcode == 0b11010:
        r.cond = 4 if u else 3
    elif opcode == 0b00011:
        r.cond = 6 if u else 5
    else:
        return DEC_UNDEF
    r.op = OP_SIMD_across
    return DEC_OK


cdef int decode_simd_pairwise_scalar(uint32_t insn, Insn* r) noexcept nogil:
    # ADDP (scalar) and the FP pairwise reductions of two lanes.
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t size = bits(insn, 23, 22)
    cdef uint32_t opcode = bits(insn, 16, 12)
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    if u == 0 and opcode == 0b11011:
        if size != 3:
            return DEC_UNDEF
        r.size = 3
        r.sf = 1
        r.cond = 0
        r.op = OP_SIMD_across
        return DEC_OK
    return decode_simd_pairwise_fp(insn, r)


# --- shifts by immediate -----------------------------------------------------------------------

cdef inline int op_SIMD_shift_imm(CPU* c, Insn* i) noexcept nogil:
    # cond: 0 SSHR 1 USHR 2 SSRA 3 USRA 4 SRSHR 5 URSHR 6 SRSRA 7 URSRA 8 SHL 9 SLI 10 SRI
    #       11 SQSHL 12 UQSHL 13 SQSHLU; amount = shift.
    cdef uint8_t out[16]
    cdef uint32_t nbytes = 16 if i.sf else 8
    cdef uint32_t elements = nbytes >> i.size
    cdef uint32_t e, sh = i.amount, esz = 8 << i.size
    cdef uint64_t a, d, m = elt_mask(i.size), r, mask
    cdef int128 v
    cdef uint32_t k = i.cond
    memset(out, 0, 16)
    if i.flags & SIMD_SCALAR:
        elements = 1
    for e in range(elements):
        a = velt(c, i.rn, e, i.size)
        d = velt(c, i.rd, e, i.size)
        if k <= 7:
            if k & 1:
                v = <int128>a
            else:
                v = <int128>lane_s(a, i.size)
            if k & 4:
                v = v + ((<int128>1) << (sh - 1))
            v = v >> sh
            r = <uint64_t>v
            if k & 2:
                r = r + d
        elif k == 8:
            r = a << sh if sh < 64 else 0
        elif k == 9:
            mask = (m << sh) & m if sh < 64 else 0
            r = (d & ~mask) | ((a << sh) & mask) if sh < 64 else d
        elif k == 10:
            mask = m >> sh if sh < 64 else 0
            r = (d & ~mask) | ((a >> sh) & mask) if sh < 64 else d
        elif k == 11:
            r = sat_s(c, (<int128>lane_s(a, i.size)) * ((<int128>1) << sh), i.size)
        elif k == 12:
            r = sat_u(c, (<int128>a) * ((<int128>1) << sh), i.size)
        else:
            r = sat_u(c, (<int128>lane_s(a, i.size)) * ((<int128>1) << sh), i.size)
        buf_set(out, e, i.size, r & m)
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef inline int op_SIMD_shift_narrow(CPU* c, Insn* i) noexcept nogil:
    # SHRN, RSHRN, SQSHRN, SQRSHRN, UQSHRN, UQRSHRN, SQSHRUN, SQRSHRUN: 2*size lanes shifted
    # right into size lanes of the lower or upper half. cond bit 0 = round, bits 2:1 =
    # 0 plain, 1 signed sat, 2 unsigned sat, 3 signed to unsigned sat; amount = shift.
    cdef uint64_t res = 0, a, r
    cdef uint32_t e, elements = 8 >> i.size
    cdef uint32_t ws = i.size + 1
    cdef uint32_t kind = i.cond >> 1
    cdef int128 v
    if i.flags & SIMD_SCALAR:
        elements = 1
    for e in range(elements):
        a = velt(c, i.rn, e, ws)
        if kind == 0 or kind == 2:
            v = <int128>a
        else:
            v = <int128>lane_s(a, ws)
        if i.cond & 1:
            v = v + ((<int128>1) << (i.amount - 1))
        v = v >> i.amount
        if kind == 0:
            r = <uint64_t>v
        elif kind == 1:
            r = sat_s(c, v, i.size)
        else:
            r = sat_u(c, v, i.size)
        res |= (r & elt_mask(i.size)) << (e * (8 << i.size))
    if i.flags & SIMD_SCALAR:
        vset_scalar(c, i.rd, res & elt_mask(i.size))
    elif i.sf:
        c.v[2 * i.rd + 1] = res
    else:
        vset_scalar(c, i.rd, res)
    return NEXT


cdef inline int op_SIMD_shll_imm(CPU* c, Insn* i) noexcept nogil:
    # SSHLL/USHLL (and SXTL/UXTL): lower or upper half widened, shifted left; flags 1 = unsigned.
    cdef uint8_t out[16]
    cdef uint32_t e, ws = i.size + 1, elements = 8 >> i.size
    cdef uint32_t base = elements if i.sf else 0
    cdef uint64_t a
    for e in range(elements):
        a = velt(c, i.rn, base + e, i.size)
        if not (i.flags & 1):
            a = <uint64_t>lane_s(a, i.size)
        buf_set(out, e, ws, (a << i.amount) & elt_mask(ws))
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef int decode_simd_shift_imm(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t immh = bits(insn, 22, 19)
    cdef uint32_t immhb = bits(insn, 22, 16)
    cdef uint32_t opcode = bits(insn, 15, 11)
    cdef uint32_t size = 3
    cdef uint32_t esize
    while size > 0 and not (immh >> size) & 1:
        size -= 1
    esize = 8 << size
    r.sf = q
    r.size = size
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    if scalar:
        r.flags = SIMD_SCALAR
        r.sf = 0
    if opcode == 0b11100 or opcode == 0b11111:
        return decode_simd_shift_fp(insn, r, scalar)
    if opcode <= 0b00110 and (opcode & 1) == 0:
        if (size == 3 and q == 0 and not scalar) or (scalar and size != 3):
            return DEC_UNDEF
        r.amount = 2 * esize - immhb
        r.cond = opcode | u
        r.op = OP_SIMD_shift_imm
        return DEC_OK
    if opcode == 0b01010 or (opcode == 0b01000 and u) or opcode == 0b01110 or (opcode == 0b01100 and u):
        if (size == 3 and q == 0 and not scalar):
            return DEC_UNDEF
        if scalar and size != 3 and not (opcode == 0b01110 or opcode == 0b01100):
            return DEC_UNDEF
        if opcode == 0b01000:
            r.amount = 2 * esize - immhb
            r.cond = 10
        else:
            r.amount = immhb - esize
            if opcode == 0b01010:
                r.cond = 9 if u else 8
            elif opcode == 0b01110:
                r.cond = 12 if u else 11
            else:
                r.cond = 13
        r.op = OP_SIMD_shift_imm
        return DEC_OK
    if opcode >= 0b10000 and opcode <= 0b10011:
        if size == 3:
            return DEC_UNDEF
        r.amount = 2 * esize - immhb
        if opcode <= 0b10001:
            if u == 0:
                if scalar:
                    return DEC_UNDEF
                r.cond = opcode & 1                     # SHRN, RSHRN
            else:
                r.cond = 6 | (opcode & 1)               # SQSHRUN, SQRSHRUN
        else:
            r.cond = (4 if u else 2) | (opcode & 1)     # UQ / SQ [R]SHRN
        r.op = OP_SIMD_shift_narrow
        return DEC_OK
    if opcode == 0b10100 and not scalar:
        if size == 3:
            return DEC_UNDEF
        r.amount = immhb - esize
        r.flags = u
        r.op = OP_SIMD_shll_imm
        return DEC_OK
    return DEC_UNDEF


# --- three different -------------------------------------------------------------------------

cdef inline int128 lane_ext(uint64_t v, uint32_t size, bint uns) noexcept nogil:
    return <int128>v if uns else <int128>lane_s(v, size)


cdef inline int op_SIMD_3diff(CPU* c, Insn* i) noexcept nogil:
    return simd_3diff(c, i, vbytes(c, i.rm))


cdef int simd_3diff(CPU* c, Insn* i, uint8_t* vm) noexcept nogil:
    # Long, wide and narrowing forms. cond = U:opcode. sf = Q picks the upper halves ("2").
    cdef uint8_t out[16]
    cdef uint32_t e, ws = i.size + 1, elements = 8 >> i.size
    cdef uint32_t base = elements if i.sf else 0
    cdef uint32_t op = i.cond & 0xf
    cdef bint uns = (i.cond & 0x10) != 0
    cdef uint32_t esz = 8 << i.size
    cdef uint64_t narrow = 0, r, wa, wb
    cdef int128 a, b, d, t
    memcpy(out, vbytes(c, i.rd), 16)
    if op == 4 or op == 6:
        # ADDHN/RADDHN/SUBHN/RSUBHN: the high halves of the wide sums, into one half of Vd.
        for e in range(elements):
            wa = velt(c, i.rn, e, ws)
            wb = velt(c, i.rm, e, ws)
            r = wa + wb if op == 4 else wa - wb
            if uns:
                r += <uint64_t>1 << (esz - 1)
            narrow |= ((r >> esz) & elt_mask(i.size)) << (e * esz)
        if i.sf:
            c.v[2 * i.rd + 1] = narrow
        else:
            vset_scalar(c, i.rd, narrow)
        return NEXT
    for e in range(elements):
        if op == 1 or op == 3:
            a = lane_ext(velt(c, i.rn, e, ws), ws, uns)
        else:
            a = lane_ext(velt(c, i.rn, base + e, i.size), i.size, uns)
        b = lane_ext(buf_elt(vm, base + e, i.size), i.size, uns)
        d = lane_s(buf_elt(out, e, ws), ws)
        if op == 0 or op == 1:
            t = a + b
        elif op == 2 or op == 3:
            t = a - b
        elif op == 5 or op == 7:
            t = a - b if a > b else b - a
            if op == 5:
                t = t + d
        elif op == 8:
            t = d + a * b
        elif op == 10:
            t = d - a * b
        elif op == 12:
            t = a * b
        else:
            # SQDMLAL, SQDMLSL, SQDMULL: the doubled product saturates, then the accumulation.
            t = lane_s(sat_s(c, 2 * a * b, ws), ws)
            if op == 9:
                t = lane_s(sat_s(c, d + t, ws), ws)
            elif op == 11:
                t = lane_s(sat_s(c, d - t, ws), ws)
        buf_set(out, e, ws, <uint64_t>t & elt_mask(ws))
        if i.flags & SIMD_SCALAR:
            vset_scalar(c, i.rd, <uint64_t>t & elt_mask(ws))
            return NEXT
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef inline uint64_t clmul64(uint64_t a, uint64_t b, uint64_t* hi) noexcept nogil:
    cdef uint64_t lo = 0, h = 0
    cdef uint32_t k
    for k in range(64):
        if (b >> k) & 1:
            lo ^= a << k
            if k:
                h ^= a >> (64 - k)
    hi[0] = h
    return lo


cdef inline int op_PMULL(CPU* c, Insn* i) noexcept nogil:
    cdef uint8_t out[16]
    cdef uint32_t e, k, base = 8 if i.sf else 0
    cdef uint64_t a, b, r, hi
    if i.size == 3:
        r = clmul64(c.v[2 * i.rn + i.sf], c.v[2 * i.rm + i.sf], &hi)
        c.v[2 * i.rd] = r
        c.v[2 * i.rd + 1] = hi
        return NEXT
    for e in range(8):
        a = velt(c, i.rn, base + e, 0)
        b = velt(c, i.rm, base + e, 0)
        r = 0
        for k in range(8):
            if (b >> k) & 1:
                r ^= a << k
        buf_set(out, e, 1, r)
    memcpy(vbytes(c, i.rd), out, 16)
    return NEXT


cdef int decode_simd_three_diff(uint32_t insn, Insn* r, bint scalar) noexcept nogil:
    cdef uint32_t q = bits(insn, 30, 30)
    cdef uint32_t u = bits(insn, 29, 29)
    cdef uint32_t size = bits(insn, 23, 22)
    cdef uint32_t opcode = bits(insn, 15, 12)
    r.sf = q
    r.size = size
    r.rd = bits(insn, 4, 0)
    r.rn = bits(insn, 9, 5)
    r.rm = bits(insn, 20, 16)
    if scalar:
        # SQDMLAL, SQDMLSL, SQDMULL (scalar): one lane of H or S sources.
        if u or (opcode != 0b1001 and opcode != 0b1011 and opcode != 0b1101) or size == 0 \
                or size == 3:
            return DEC_UNDEF
        r.sf = 0
        r.flags = SIMD_SCALAR
        r.cond = opcode
        r.op = OP_SIMD_3diff
        return DEC_OK
    if opcode == 0b1110:
        if u or (size != 0 and size != 3):
            return DEC_UNDEF
        if size == 3:
            return DEC_UNDEF                    # PMULL.1Q is the crypto extension
        r.op = OP_PMULL
        return DEC_OK
    if opcode == 0b1111 or size == 3:
        return DEC_UNDEF
    if (opcode == 0b1001 or opcode == 0b1011 or opcode == 0b1101) and (u or size == 0):
        return DEC_UNDEF
    r.cond = (u << 4) | opcode
    r.op = OP_SIMD_3diff
    return DEC_OK
