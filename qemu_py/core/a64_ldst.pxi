# Loads and stores (the Arm ARM's "Loads and Stores" group, general-purpose registers): single
# registers in every addressing form, pairs, literals, unprivileged, exclusives, acquire/release
# and the LSE atomics. The SIMD&FP register forms (V = 1) belong to a64_simd_ldst.pxi.
#
# Speed: loads and stores are the second hottest class, so the decoder resolves everything it can
# (scaled offsets, literal targets, register 31, the extension of the loaded value) and picks a
# handler per access size and addressing mode; a handler has no switch on either.
#
# Record fields used by this class:
#   rd     Rt (loads: reg_w, stores: reg_r)        rt2   Rt2 (pairs)
#   rn     base register (reg_sp: 31 is SP)        rm    index register (register offset)
#   imm    byte offset (scaled at decode time), or the absolute target of a literal
#   amount index shift (register offset)           size  log2 of the access size
#   shift  sign-extension shift of a narrow load: 64 - access bits when signed, else 0
#   imm2   mask of the destination width after extension (MASK32 for signed loads to W)
#   rs     Rs (exclusive status, CAS compare, atomic operand)
#   ra     Rs as a destination (CAS, CASP: the old value lands there)
# LDTR/STTR have handlers of their own, which pass MEM_UNPRIV (EL0 permissions) to the memory
# helpers.
#
# CONSTRAINED UNPREDICTABLE choices (we do what qemu-aarch64 does, checked in
# tests/test_ldst_quick.py):
#   - load with writeback and Rt == Rn: Rn ends up holding the written-back address;
#   - store with writeback and Rt == Rn: the value stored is Rt before the writeback;
#   - LDP with Rt == Rt2: Rt gets the value from the lower address; LDXP: from the upper one;
#   - STXR/STXP with Rs == Rt, Rt2 or Rn: the store uses the old values, then Rs gets the status.
# SP alignment: QEMU omits the check (for speed); we make it, as the manual says.

# --- operand helpers ---------------------------------------------------------------------------

cdef extern from *:
    # Cython's branch hint (__builtin_expect). Marking the fault paths unlikely keeps them out of
    # the hot handlers: the compiler then neither lays them out inline nor grows the handlers
    # with the exception entry code.
    bint unlikely(bint) nogil


cdef int sp_align_fault(CPU* c, Insn* i) noexcept nogil:
    return raise_sync(c, i, EC_SP_ALIGN, 0)

cdef inline bint sp_bad(CPU* c, Insn* i) noexcept nogil:
    # CheckSPAlignment() for an SP base: SCTLR_EL1.SA0 governs EL0, SA governs EL1.
    return i.rn == REG_SP and (c.x[REG_SP] & 15) != 0 and \
        (c.sctlr_el1 & (SCTLR_SA0 if c.el == 0 else SCTLR_SA)) != 0

cdef inline bint sp_fault(CPU* c, Insn* i) noexcept nogil:
    # True, having raised the SP alignment fault, when CheckSPAlignment() fails.
    if unlikely(sp_bad(c, i)):
        sp_align_fault(c, i)
        return True
    return False

cdef inline uint64_t extend_loaded(uint64_t v, Insn* i) noexcept nogil:
    # Sign-extend (shift != 0) or keep (shift == 0), then cut to the destination width.
    return (<uint64_t>((<int64_t>(v << i.shift)) >> i.shift)) & i.imm2

cdef inline uint64_t ea_imm(CPU* c, Insn* i) noexcept nogil:
    return c.x[i.rn] + <uint64_t>i.imm

cdef inline uint64_t ea_reg(CPU* c, Insn* i) noexcept nogil:
    # LSL, UXTX and SXTX: the whole 64-bit index.
    return c.x[i.rn] + (c.x[i.rm] << i.amount)

cdef inline uint64_t ea_uxtw(CPU* c, Insn* i) noexcept nogil:
    return c.x[i.rn] + ((c.x[i.rm] & MASK32) << i.amount)

cdef inline uint64_t ea_sxtw(CPU* c, Insn* i) noexcept nogil:
    return c.x[i.rn] + (<uint64_t>(<int64_t>(<int32_t>c.x[i.rm])) << i.amount)

cdef inline bint alignment_fault(CPU* c, Insn* i, uint64_t va, uint64_t align, bint write) noexcept nogil:
    # Explicit checks for accesses aligned to more than one access (exclusive pairs, CASP) and
    # for store-exclusives, which check alignment before the monitor.
    if va & (align - 1):
        raise_data_abort(c, i.pc, va, FSC_ALIGNMENT, write)
        return True
    return False


# --- single-register transfers, specialised by size (constant after inlining) -------------------

cdef inline int load(CPU* c, Insn* i, uint64_t va, uint32_t size) noexcept nogil:
    cdef uint64_t v
    if unlikely(sp_bad(c, i)):
        return sp_align_fault(c, i)
    if size == 8:
        if unlikely(not mem_read8(c, i, va, &v)):
            return FAULT
    else:
        if unlikely(not mem_read(c, i, va, size, 0, &v)):
            return FAULT
        v = extend_loaded(v, i)
    c.x[i.rd] = v
    return NEXT

cdef inline int load_wb(CPU* c, Insn* i, uint64_t va, uint64_t wb, uint32_t size) noexcept nogil:
    # Pre- and post-index. The writeback comes last, so with Rt == Rn the address wins.
    cdef uint64_t v
    if unlikely(sp_bad(c, i)):
        return sp_align_fault(c, i)
    if size == 8:
        if unlikely(not mem_read8(c, i, va, &v)):
            return FAULT
    else:
        if unlikely(not mem_read(c, i, va, size, 0, &v)):
            return FAULT
        v = extend_loaded(v, i)
    c.x[i.rd] = v
    c.x[i.rn] = wb
    return NEXT

cdef inline int store(CPU* c, Insn* i, uint64_t va, uint32_t size) noexcept nogil:
    if unlikely(sp_bad(c, i)):
        return sp_align_fault(c, i)
    if size == 8:
        if unlikely(not mem_write8(c, i, va, c.x[i.rd])):
            return FAULT
    elif unlikely(not mem_write(c, i, va, size, 0, c.x[i.rd])):
        return FAULT
    return NEXT

cdef inline int store_wb(CPU* c, Insn* i, uint64_t va, uint64_t wb, uint32_t size) noexcept nogil:
    # The value stored is Rt before the writeback, also when Rt == Rn.
    if unlikely(sp_bad(c, i)):
        return sp_align_fault(c, i)
    if size == 8:
        if unlikely(not mem_write8(c, i, va, c.x[i.rd])):
            return FAULT
    elif unlikely(not mem_write(c, i, va, size, 0, c.x[i.rd])):
        return FAULT
    c.x[i.rn] = wb
    return NEXT


# LDR/STR handlers by access size (B, H, W, X) and addressing mode:
#   _imm   base + offset: unsigned scaled offset, unscaled (LDUR...), and literal (base XZR)
#   _pre   pre-index with writeback          _post  post-index with writeback
#   _reg   register offset, LSL/UXTX/SXTX    _uxtw, _sxtw  register offset, 32-bit index
# A narrow load covers its signed forms too (LDRSB, LDRSH, LDRSW to W or X): see extend_loaded.

cdef inline int op_LDRB_imm(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_imm(c, i), 1)

cdef inline int op_LDRB_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return load_wb(c, i, va, va, 1)

cdef inline int op_LDRB_post(CPU* c, Insn* i) noexcept nogil:
    return load_wb(c, i, c.x[i.rn], ea_imm(c, i), 1)

cdef inline int op_LDRB_reg(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_reg(c, i), 1)

cdef inline int op_LDRB_uxtw(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_uxtw(c, i), 1)

cdef inline int op_LDRB_sxtw(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_sxtw(c, i), 1)

cdef inline int op_LDRH_imm(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_imm(c, i), 2)

cdef inline int op_LDRH_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return load_wb(c, i, va, va, 2)

cdef inline int op_LDRH_post(CPU* c, Insn* i) noexcept nogil:
    return load_wb(c, i, c.x[i.rn], ea_imm(c, i), 2)

cdef inline int op_LDRH_reg(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_reg(c, i), 2)

cdef inline int op_LDRH_uxtw(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_uxtw(c, i), 2)

cdef inline int op_LDRH_sxtw(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_sxtw(c, i), 2)

cdef inline int op_LDR_W_imm(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_imm(c, i), 4)

cdef inline int op_LDR_W_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return load_wb(c, i, va, va, 4)

cdef inline int op_LDR_W_post(CPU* c, Insn* i) noexcept nogil:
    return load_wb(c, i, c.x[i.rn], ea_imm(c, i), 4)

cdef inline int op_LDR_W_reg(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_reg(c, i), 4)

cdef inline int op_LDR_W_uxtw(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_uxtw(c, i), 4)

cdef inline int op_LDR_W_sxtw(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_sxtw(c, i), 4)

cdef inline int op_LDR_X_imm(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_imm(c, i), 8)

cdef inline int op_LDR_X_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return load_wb(c, i, va, va, 8)

cdef inline int op_LDR_X_post(CPU* c, Insn* i) noexcept nogil:
    return load_wb(c, i, c.x[i.rn], ea_imm(c, i), 8)

cdef inline int op_LDR_X_reg(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_reg(c, i), 8)

cdef inline int op_LDR_X_uxtw(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_uxtw(c, i), 8)

cdef inline int op_LDR_X_sxtw(CPU* c, Insn* i) noexcept nogil:
    return load(c, i, ea_sxtw(c, i), 8)

cdef inline int op_STRB_imm(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_imm(c, i), 1)

cdef inline int op_STRB_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return store_wb(c, i, va, va, 1)

cdef inline int op_STRB_post(CPU* c, Insn* i) noexcept nogil:
    return store_wb(c, i, c.x[i.rn], ea_imm(c, i), 1)

cdef inline int op_STRB_reg(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_reg(c, i), 1)

cdef inline int op_STRB_uxtw(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_uxtw(c, i), 1)

cdef inline int op_STRB_sxtw(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_sxtw(c, i), 1)

cdef inline int op_STRH_imm(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_imm(c, i), 2)

cdef inline int op_STRH_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return store_wb(c, i, va, va, 2)

cdef inline int op_STRH_post(CPU* c, Insn* i) noexcept nogil:
    return store_wb(c, i, c.x[i.rn], ea_imm(c, i), 2)

cdef inline int op_STRH_reg(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_reg(c, i), 2)

cdef inline int op_STRH_uxtw(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_uxtw(c, i), 2)

cdef inline int op_STRH_sxtw(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_sxtw(c, i), 2)

cdef inline int op_STR_W_imm(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_imm(c, i), 4)

cdef inline int op_STR_W_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return store_wb(c, i, va, va, 4)

cdef inline int op_STR_W_post(CPU* c, Insn* i) noexcept nogil:
    return store_wb(c, i, c.x[i.rn], ea_imm(c, i), 4)

cdef inline int op_STR_W_reg(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_reg(c, i), 4)

cdef inline int op_STR_W_uxtw(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_uxtw(c, i), 4)

cdef inline int op_STR_W_sxtw(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_sxtw(c, i), 4)

cdef inline int op_STR_X_imm(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_imm(c, i), 8)

cdef inline int op_STR_X_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return store_wb(c, i, va, va, 8)

cdef inline int op_STR_X_post(CPU* c, Insn* i) noexcept nogil:
    return store_wb(c, i, c.x[i.rn], ea_imm(c, i), 8)

cdef inline int op_STR_X_reg(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_reg(c, i), 8)

cdef inline int op_STR_X_uxtw(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_uxtw(c, i), 8)

cdef inline int op_STR_X_sxtw(CPU* c, Insn* i) noexcept nogil:
    return store(c, i, ea_sxtw(c, i), 8)


# --- unprivileged: LDTR*/STTR* -----------------------------------------------------------------
# At EL1 these are checked with EL0's permissions (MEM_UNPRIV; with the MMU off, as any access).

cdef inline int op_LDTR(CPU* c, Insn* i) noexcept nogil:
    # LDTR (W, X), LDTRB, LDTRH, LDTRSB, LDTRSH, LDTRSW.
    cdef uint64_t v
    cdef uint64_t va = ea_imm(c, i)
    if sp_fault(c, i):
        return FAULT
    if not mem_read(c, i, va, 1u << i.size, MEM_UNPRIV, &v):
        return FAULT
    c.x[i.rd] = extend_loaded(v, i)
    return NEXT

cdef inline int op_STTR(CPU* c, Insn* i) noexcept nogil:
    # STTR (W, X), STTRB, STTRH.
    if sp_fault(c, i):
        return FAULT
    if not mem_write(c, i, ea_imm(c, i), 1u << i.size, MEM_UNPRIV, c.x[i.rd]):
        return FAULT
    return NEXT


# --- pairs: LDP, LDPSW, LDNP, STP, STNP ----------------------------------------------------------

cdef inline int load_pair(CPU* c, Insn* i, uint64_t va, uint64_t wb, bint writeback,
                          uint32_t size) noexcept nogil:
    # Both loads complete before any register changes; Rt2 is written before Rt and the base
    # last, as QEMU orders them.
    cdef uint64_t a, b
    if sp_fault(c, i):
        return FAULT
    if size == 8:
        if not mem_read8(c, i, va, &a) or not mem_read8(c, i, va + 8, &b):
            return FAULT
    else:
        if not mem_read(c, i, va, 4, 0, &a) or not mem_read(c, i, va + 4, 4, 0, &b):
            return FAULT
        a = extend_loaded(a, i)
        b = extend_loaded(b, i)
    c.x[i.rt2] = b
    c.x[i.rd] = a
    if writeback:
        c.x[i.rn] = wb
    return NEXT

cdef inline int store_pair(CPU* c, Insn* i, uint64_t va, uint64_t wb, bint writeback,
                           uint32_t size) noexcept nogil:
    # When the pair crosses a page its second half is probed first, so a fault there writes
    # nothing (a fault on the first half comes before any write anyway).
    cdef uint64_t a = c.x[i.rd]
    cdef uint64_t b = c.x[i.rt2]
    cdef uint8_t rn = i.rn
    if sp_fault(c, i):
        return FAULT
    if unlikely((va & (PAGE_SIZE - 1)) > PAGE_SIZE - 2 * size) and \
            not mem_probe_write(c, i, va + size, size):
        return FAULT
    if size == 8:
        if not mem_write8(c, i, va, a) or not mem_write8(c, i, va + 8, b):
            return FAULT
    else:
        if not mem_write(c, i, va, 4, 0, a) or not mem_write(c, i, va + 4, 4, 0, b):
            return FAULT
    if writeback:
        c.x[rn] = wb
    return NEXT

# _off covers the signed offset form and the no-allocate LDNP/STNP; LDP_W covers LDPSW.

cdef inline int op_LDP_W_off(CPU* c, Insn* i) noexcept nogil:
    return load_pair(c, i, ea_imm(c, i), 0, False, 4)

cdef inline int op_LDP_W_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return load_pair(c, i, va, va, True, 4)

cdef inline int op_LDP_W_post(CPU* c, Insn* i) noexcept nogil:
    return load_pair(c, i, c.x[i.rn], ea_imm(c, i), True, 4)

cdef inline int op_LDP_X_off(CPU* c, Insn* i) noexcept nogil:
    return load_pair(c, i, ea_imm(c, i), 0, False, 8)

cdef inline int op_LDP_X_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return load_pair(c, i, va, va, True, 8)

cdef inline int op_LDP_X_post(CPU* c, Insn* i) noexcept nogil:
    return load_pair(c, i, c.x[i.rn], ea_imm(c, i), True, 8)

cdef inline int op_STP_W_off(CPU* c, Insn* i) noexcept nogil:
    return store_pair(c, i, ea_imm(c, i), 0, False, 4)

cdef inline int op_STP_W_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return store_pair(c, i, va, va, True, 4)

cdef inline int op_STP_W_post(CPU* c, Insn* i) noexcept nogil:
    return store_pair(c, i, c.x[i.rn], ea_imm(c, i), True, 4)

cdef inline int op_STP_X_off(CPU* c, Insn* i) noexcept nogil:
    return store_pair(c, i, ea_imm(c, i), 0, False, 8)

cdef inline int op_STP_X_pre(CPU* c, Insn* i) noexcept nogil:
    cdef uint64_t va = ea_imm(c, i)
    return store_pair(c, i, va, va, True, 8)

cdef inline int op_STP_X_post(CPU* c, Insn* i) noexcept nogil:
    return store_pair(c, i, c.x[i.rn], ea_imm(c, i), True, 8)


# --- exclusives and acquire/release --------------------------------------------------------------
# One vCPU runs at a time, so ordering semantics (acquire, release) need no action and the
# read-compare-write of a store-exclusive is atomic. The monitor records the address and the value
# loaded; a store-exclusive succeeds only if memory still holds that value, which also catches
# another vCPU's store in between (unless it stored the same value).

cdef inline int op_LDXR(CPU* c, Insn* i) noexcept nogil:
    # LDXR, LDAXR (B, H, W, X).
    cdef uint64_t v
    cdef uint64_t va = c.x[i.rn]
    if sp_fault(c, i):
        return FAULT
    if not mem_read(c, i, va, 1u << i.size, MEM_ALIGNED, &v):
        return FAULT
    c.excl_addr = va
    c.excl_val = v
    c.excl_valid = 1
    c.x[i.rd] = v
    return NEXT

cdef inline int op_STXR(CPU* c, Insn* i) noexcept nogil:
    # STXR, STLXR (B, H, W, X). Rs = 0 on success, 1 on failure; the monitor is cleared either
    # way. An unaligned address faults even when the monitor would fail (the manual checks
    # alignment first; QEMU does not).
    cdef uint32_t size = 1u << i.size
    cdef uint64_t va = c.x[i.rn]
    cdef uint64_t val = c.x[i.rd]
    cdef uint8_t rs = i.rs
    cdef uint64_t cur
    cdef uint64_t status = 1
    if sp_fault(c, i) or alignment_fault(c, i, va, size, True):
        return FAULT
    if c.excl_valid and c.excl_addr == va:
        if not mem_read(c, i, va, size, MEM_ALIGNED | MEM_RMW, &cur):
            return FAULT
        if cur == c.excl_val:
            if not mem_write(c, i, va, size, MEM_ALIGNED, val):
                return FAULT
            status = 0
    c.excl_valid = 0
    c.x[rs] = status
    return NEXT

cdef inline int op_LDXP(CPU* c, Insn* i) noexcept nogil:
    # LDXP, LDAXP (W, X pairs): one access aligned to the pair's size.
    cdef uint64_t a, b
    cdef uint64_t va = c.x[i.rn]
    if sp_fault(c, i):
        return FAULT
    if i.size == 3:
        if alignment_fault(c, i, va, 16, False):
            return FAULT
        if not mem_read8(c, i, va, &a) or not mem_read8(c, i, va + 8, &b):
            return FAULT
        c.excl_val = a
        c.excl_val2 = b
    else:
        if not mem_read(c, i, va, 8, MEM_ALIGNED, &a):
            return FAULT
        c.excl_val = a
        b = a >> 32
        a &= MASK32
    c.excl_addr = va
    c.excl_valid = 1
    c.x[i.rd] = a
    c.x[i.rt2] = b                      # after Rt: with Rt == Rt2 the upper value wins, as in QEMU
    return NEXT

cdef inline int op_STXP(CPU* c, Insn* i) noexcept nogil:
    # STXP, STLXP (W, X pairs).
    cdef uint64_t va = c.x[i.rn]
    cdef uint64_t a = c.x[i.rd]
    cdef uint64_t b = c.x[i.rt2]
    cdef uint8_t rs = i.rs
    cdef uint64_t cur, cur2
    cdef uint64_t status = 1
    if sp_fault(c, i):
        return FAULT
    if i.size == 3:
        if alignment_fault(c, i, va, 16, True):
            return FAULT
        if c.excl_valid and c.excl_addr == va:
            if not mem_read(c, i, va, 8, MEM_RMW, &cur) or \
                    not mem_read(c, i, va + 8, 8, MEM_RMW, &cur2):
                return FAULT
            if cur == c.excl_val and cur2 == c.excl_val2:
                # 16-byte aligned: both halves are in one page, the first write cannot leave
                # the second to fault.
                if not mem_write8(c, i, va, a) or not mem_write8(c, i, va + 8, b):
                    return FAULT
                status = 0
    else:
        if alignment_fault(c, i, va, 8, True):
            return FAULT
        if c.excl_valid and c.excl_addr == va:
            if not mem_read(c, i, va, 8, MEM_ALIGNED | MEM_RMW, &cur):
                return FAULT
            if cur == c.excl_val:
                if not mem_write(c, i, va, 8, MEM_ALIGNED, (a & MASK32) | (b << 32)):
                    return FAULT
                status = 0
    c.excl_valid = 0
    c.x[rs] = status
    return NEXT

cdef inline int op_LDAR(CPU* c, Insn* i) noexcept nogil:
    # LDAR, LDARB, LDARH: an aligned load.
    cdef uint64_t v
    if sp_fault(c, i):
        return FAULT
    if not mem_read(c, i, c.x[i.rn], 1u << i.size, MEM_ALIGNED, &v):
        return FAULT
    c.x[i.rd] = v
    return NEXT

cdef inline int op_STLR(CPU* c, Insn* i) noexcept nogil:
    # STLR, STLRB, STLRH: an aligned store.
    if sp_fault(c, i):
        return FAULT
    if not mem_write(c, i, c.x[i.rn], 1u << i.size, MEM_ALIGNED, c.x[i.rd]):
        return FAULT
    return NEXT


# --- LSE atomics (FEAT_LSE, Armv8.1) --------------------------------------------------------------
# UNDEFINED on a CPU model without FEAT_LSE; the decoder cannot know the model, so the handler
# checks. Their faults report WnR = 1 (MEM_RMW on the read), as for any read-modify-write.

cdef inline uint64_t size_mask(uint32_t size_log2) noexcept nogil:
    return (<uint64_t>0xffffffffffffffff) >> (64 - (8u << size_log2))

cdef enum:
    AT_ADD = 0
    AT_CLR = 1
    AT_EOR = 2
    AT_SET = 3
    AT_SMAX = 4
    AT_SMIN = 5
    AT_UMAX = 6
    AT_UMIN = 7
    AT_SWP = 8

cdef inline int atomic_rmw(CPU* c, Insn* i, int op) noexcept nogil:
    # LD<op>{A}{L}{B,H,W,X} and SWP: Rt gets the old value, memory old <op> Rs.
    cdef uint32_t size = 1u << i.size
    cdef uint64_t va = c.x[i.rn]
    cdef uint64_t mask = size_mask(i.size)
    cdef uint64_t operand = c.x[i.rs] & mask
    cdef uint8_t rd = i.rd
    cdef int bits_ = 8 * size
    cdef uint64_t old, new
    if not (c.mach.features & FEAT_LSE):
        return raise_undef(c, i)
    if sp_fault(c, i):
        return FAULT
    if not mem_read(c, i, va, size, MEM_ALIGNED | MEM_RMW, &old):
        return FAULT
    if op == AT_ADD:
        new = old + operand
    elif op == AT_CLR:
        new = old & ~operand
    elif op == AT_EOR:
        new = old ^ operand
    elif op == AT_SET:
        new = old | operand
    elif op == AT_SMAX:
        new = old if sext(old, bits_) >= sext(operand, bits_) else operand
    elif op == AT_SMIN:
        new = old if sext(old, bits_) <= sext(operand, bits_) else operand
    elif op == AT_UMAX:
        new = old if old >= operand else operand
    elif op == AT_UMIN:
        new = old if old <= operand else operand
    else:
        new = operand
    if not mem_write(c, i, va, size, MEM_ALIGNED, new & mask):
        return FAULT
    c.x[rd] = old
    return NEXT

cdef inline int op_LDADD(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_ADD)

cdef inline int op_LDCLR(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_CLR)

cdef inline int op_LDEOR(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_EOR)

cdef inline int op_LDSET(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_SET)

cdef inline int op_LDSMAX(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_SMAX)

cdef inline int op_LDSMIN(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_SMIN)

cdef inline int op_LDUMAX(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_UMAX)

cdef inline int op_LDUMIN(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_UMIN)

cdef inline int op_SWP(CPU* c, Insn* i) noexcept nogil:
    return atomic_rmw(c, i, AT_SWP)

cdef inline int op_CAS(CPU* c, Insn* i) noexcept nogil:
    # CAS{A}{L}{B,H,W,X}: if memory equals Rs, store Rt; Rs gets the old value either way.
    cdef uint32_t size = 1u << i.size
    cdef uint64_t va = c.x[i.rn]
    cdef uint64_t expected = c.x[i.rs] & size_mask(i.size)
    cdef uint64_t new = c.x[i.rd]
    cdef uint8_t dest = i.ra
    cdef uint64_t old
    if not (c.mach.features & FEAT_LSE):
        return raise_undef(c, i)
    if sp_fault(c, i):
        return FAULT
    if not mem_read(c, i, va, size, MEM_ALIGNED | MEM_RMW, &old):
        return FAULT
    if old == expected and not mem_write(c, i, va, size, MEM_ALIGNED, new):
        return FAULT
    c.x[dest] = old
    return NEXT

cdef inline int op_CASP(CPU* c, Insn* i) noexcept nogil:
    # CASP{A}{L} (W, X): Rs:Rs+1 compared with the pair in memory, Rt:Rt+1 stored. Both register
    # numbers are even, so Rs+1 and Rt+1 are at most 31, which reads as XZR here; the
    # destinations are resolved in ra (Rs) and rt2 (Rs+1).
    cdef uint64_t va = c.x[i.rn]
    cdef uint64_t e0 = c.x[i.rs]
    cdef uint64_t e1 = c.x[i.rs + 1]
    cdef uint64_t n0 = c.x[i.rd]
    cdef uint64_t n1 = c.x[i.rd + 1]
    cdef uint8_t d0 = i.ra
    cdef uint8_t d1 = i.rt2
    cdef uint64_t o0, o1
    if not (c.mach.features & FEAT_LSE):
        return raise_undef(c, i)
    if sp_fault(c, i):
        return FAULT
    if i.size == 3:
        if alignment_fault(c, i, va, 16, True):
            return FAULT
        if not mem_read(c, i, va, 8, MEM_RMW, &o0) or not mem_read(c, i, va + 8, 8, MEM_RMW, &o1):
            return FAULT
        if o0 == e0 and o1 == e1:
            if not mem_write8(c, i, va, n0) or not mem_write8(c, i, va + 8, n1):
                return FAULT
    else:
        if alignment_fault(c, i, va, 8, True):
            return FAULT
        if not mem_read(c, i, va, 8, MEM_ALIGNED | MEM_RMW, &o0):
            return FAULT
        if o0 == ((e0 & MASK32) | (e1 << 32)):
            if not mem_write(c, i, va, 8, MEM_ALIGNED, (n0 & MASK32) | (n1 << 32)):
                return FAULT
        o1 = o0 >> 32
        o0 &= MASK32
    c.x[d0] = o0
    c.x[d1] = o1
    return NEXT


# --- decoding ----------------------------------------------------------------------------------
# Fields common to the group: size 31:30, V 26, Rn 9:5, Rt 4:0.

# Handlers of the single-register forms by [access size][mode], mode as below.
cdef enum:
    MODE_IMM = 0
    MODE_PRE = 1
    MODE_POST = 2
    MODE_REG = 3
    MODE_UXTW = 4
    MODE_SXTW = 5

cdef uint16_t[4][6] LOAD_OPS = [
    [OP_LDRB_imm, OP_LDRB_pre, OP_LDRB_post, OP_LDRB_reg, OP_LDRB_uxtw, OP_LDRB_sxtw],
    [OP_LDRH_imm, OP_LDRH_pre, OP_LDRH_post, OP_LDRH_reg, OP_LDRH_uxtw, OP_LDRH_sxtw],
    [OP_LDR_W_imm, OP_LDR_W_pre, OP_LDR_W_post, OP_LDR_W_reg, OP_LDR_W_uxtw, OP_LDR_W_sxtw],
    [OP_LDR_X_imm, OP_LDR_X_pre, OP_LDR_X_post, OP_LDR_X_reg, OP_LDR_X_uxtw, OP_LDR_X_sxtw]]

cdef uint16_t[4][6] STORE_OPS = [
    [OP_STRB_imm, OP_STRB_pre, OP_STRB_post, OP_STRB_reg, OP_STRB_uxtw, OP_STRB_sxtw],
    [OP_STRH_imm, OP_STRH_pre, OP_STRH_post, OP_STRH_reg, OP_STRH_uxtw, OP_STRH_sxtw],
    [OP_STR_W_imm, OP_STR_W_pre, OP_STR_W_post, OP_STR_W_reg, OP_STR_W_uxtw, OP_STR_W_sxtw],
    [OP_STR_X_imm, OP_STR_X_pre, OP_STR_X_post, OP_STR_X_reg, OP_STR_X_uxtw, OP_STR_X_sxtw]]


# Pair handlers by [load][64-bit][mode 24:23]: no-allocate and offset share a handler.
cdef uint16_t[2][2][4] PAIR_OPS = [
    [[OP_STP_W_off, OP_STP_W_post, OP_STP_W_off, OP_STP_W_pre],
     [OP_STP_X_off, OP_STP_X_post, OP_STP_X_off, OP_STP_X_pre]],
    [[OP_LDP_W_off, OP_LDP_W_post, OP_LDP_W_off, OP_LDP_W_pre],
     [OP_LDP_X_off, OP_LDP_X_post, OP_LDP_X_off, OP_LDP_X_pre]]]

# Atomic memory operations by opc 14:12 (o3 = 0).
cdef uint16_t[8] ATOMIC_OPS = [OP_LDADD, OP_LDCLR, OP_LDEOR, OP_LDSET,
                               OP_LDSMAX, OP_LDSMIN, OP_LDUMAX, OP_LDUMIN]


cdef inline void set_load_extension(Insn* r, uint32_t size, bint signed, bint to_x) noexcept nogil:
    r.shift = (64 - (8u << size)) if signed else 0
    r.imm2 = <uint64_t>0xffffffffffffffff if to_x else MASK32


cdef int decode_single(uint32_t insn, Insn* r, uint32_t mode, bint unpriv) noexcept nogil:
    # LDR/STR/LDRS*/PRFM with size 31:30 and opc 23:22, any addressing mode; offsets already in
    # r.imm, the index in r.rm/r.amount. PRFM is a NOP (a hint that never faults).
    cdef uint32_t size = bits(insn, 31, 30)
    cdef uint32_t opc = bits(insn, 23, 22)
    cdef uint32_t rt = bits(insn, 4, 0)
    r.size = size
    r.rn = reg_sp(bits(insn, 9, 5))
    if opc == 0:                                             # STR*
        r.rd = reg_r(rt)
        r.op = OP_STTR if unpriv else STORE_OPS[size][mode]
        return DEC_OK
    if opc == 1:                                             # LDR* zero-extending
        set_load_extension(r, size, False, True)
    elif size == 3:                                          # opc 10: PRFM, PRFUM
        if opc == 3 or unpriv or mode == MODE_PRE or mode == MODE_POST:
            return DEC_UNDEF
        r.op = OP_NOP
        return DEC_OK
    elif opc == 2:                                           # LDRSB/LDRSH/LDRSW to X
        set_load_extension(r, size, True, True)
    elif size == 2:                                          # opc 11, size 10
        return DEC_UNDEF
    else:                                                    # LDRSB/LDRSH to W
        set_load_extension(r, size, True, False)
    r.rd = reg_w(rt)
    r.op = OP_LDTR if unpriv else LOAD_OPS[size][mode]
    return DEC_OK


cdef int decode_reg_imm9(uint32_t insn, Insn* r) noexcept nogil:
    # Unscaled, post-index, unprivileged, pre-index (bits 11:10 = 00, 01, 10, 11): imm9 20:12.
    cdef uint32_t kind = bits(insn, 11, 10)
    r.imm = sext(bits(insn, 20, 12), 9)
    if kind == 0:
        return decode_single(insn, r, MODE_IMM, False)
    if kind == 1:
        return decode_single(insn, r, MODE_POST, False)
    if kind == 2:
        return decode_single(insn, r, MODE_IMM, True)
    return decode_single(insn, r, MODE_PRE, False)


cdef int decode_reg_offset(uint32_t insn, Insn* r) noexcept nogil:
    # Register offset: Rm 20:16, option 15:13, S 12. The index shift is 0 or log2(size).
    cdef uint32_t option = bits(insn, 15, 13)
    cdef uint32_t mode
    if option == 0b010:
        mode = MODE_UXTW
    elif option == 0b011 or option == 0b111:
        mode = MODE_REG                                      # LSL/UXTX, SXTX: 64-bit index
    elif option == 0b110:
        mode = MODE_SXTW
    else:
        return DEC_UNDEF                                     # option<1> == 0
    r.rm = reg_r(bits(insn, 20, 16))
    r.amount = bits(insn, 31, 30) if insn & (1 << 12) else 0
    return decode_single(insn, r, mode, False)


cdef int decode_atomic(uint32_t insn, Insn* r) noexcept nogil:
    # Atomic memory operations: A 23, R 22, Rs 20:16, o3 15, opc 14:12.
    cdef uint32_t o3 = bits(insn, 15, 15)
    cdef uint32_t opc = bits(insn, 14, 12)
    if o3:
        if opc != 0:
            return DEC_UNDEF                                 # LDAPR* (FEAT_LRCPC) and the rest
        r.op = OP_SWP
    else:
        r.op = ATOMIC_OPS[opc]
    r.size = bits(insn, 31, 30)
    r.rs = reg_r(bits(insn, 20, 16))
    r.rn = reg_sp(bits(insn, 9, 5))
    r.rd = reg_w(bits(insn, 4, 0))
    return DEC_OK


cdef int decode_pair(uint32_t insn, Insn* r) noexcept nogil:
    # Pairs: opc 31:30, mode 24:23 (no-allocate, post, offset, pre), L 22, imm7 21:15, Rt2 14:10.
    cdef uint32_t opc = bits(insn, 31, 30)
    cdef uint32_t mode = bits(insn, 24, 23)
    cdef bint load_ = bits(insn, 22, 22)
    cdef uint32_t rt = bits(insn, 4, 0)
    cdef uint32_t rt2 = bits(insn, 14, 10)
    cdef bint x
    if opc == 3 or (opc == 1 and (not load_ or mode == 0)):
        return DEC_UNDEF                                     # STGP (MTE), LDNP of SW
    x = opc == 2
    r.size = 3 if x else 2
    r.imm = sext(bits(insn, 21, 15), 7) << r.size
    r.rn = reg_sp(bits(insn, 9, 5))
    if load_:
        r.rd = reg_w(rt)
        r.rt2 = reg_w(rt2)
        set_load_extension(r, 2, opc == 1, True)
    else:
        r.rd = reg_r(rt)
        r.rt2 = reg_r(rt2)
    r.op = PAIR_OPS[load_][x][mode]
    return DEC_OK


cdef int decode_literal(uint32_t insn, Insn* r) noexcept nogil:
    # LDR (literal): opc 31:30, imm19 23:5. Decoded as LDR_X/LDR_W with base XZR and the absolute
    # target as the offset, so it needs no handler of its own. PRFM (literal) is a NOP.
    cdef uint32_t opc = bits(insn, 31, 30)
    if opc == 3:
        r.op = OP_NOP
        return DEC_OK
    r.rn = REG_ZR
    r.rd = reg_w(bits(insn, 4, 0))
    r.imm = <int64_t>r.pc + sext(bits(insn, 23, 5), 19) * 4
    if opc == 1:
        r.size = 3
        r.op = OP_LDR_X_imm
    else:
        r.size = 2
        r.op = OP_LDR_W_imm
        set_load_extension(r, 2, opc == 2, True)
    return DEC_OK


cdef int decode_exclusive(uint32_t insn, Insn* r) noexcept nogil:
    # Exclusive, ordered and compare-and-swap: size 31:30, o2 23, L 22, o1 21, Rs 20:16, o0 15,
    # Rt2 14:10. Fields the manual marks (1) (Rs of loads, Rt2 of single-register forms) are
    # ignored when not all ones, as QEMU does.
    cdef uint32_t size = bits(insn, 31, 30)
    cdef uint32_t o2 = bits(insn, 23, 23)
    cdef bint load_ = bits(insn, 22, 22)
    cdef uint32_t o1 = bits(insn, 21, 21)
    cdef uint32_t o0 = bits(insn, 15, 15)
    cdef uint32_t rs = bits(insn, 20, 16)
    cdef uint32_t rt = bits(insn, 4, 0)
    cdef uint32_t rt2 = bits(insn, 14, 10)
    r.size = size
    r.rn = reg_sp(bits(insn, 9, 5))
    if o2 == 0 and o1 == 0:                                  # LDXR, LDAXR, STXR, STLXR
        if load_:
            r.op = OP_LDXR
            r.rd = reg_w(rt)
        else:
            r.op = OP_STXR
            r.rd = reg_r(rt)
            r.rs = reg_w(rs)
        return DEC_OK
    if o2 == 0:                                              # o1 = 1: pairs, CASP
        if size >= 2:                                        # LDXP, LDAXP, STXP, STLXP
            r.size = (size & 1) | 2
            if load_:
                r.op = OP_LDXP
                r.rd = reg_w(rt)
                r.rt2 = reg_w(rt2)
            else:
                r.op = OP_STXP
                r.rd = reg_r(rt)
                r.rt2 = reg_r(rt2)
                r.rs = reg_w(rs)
            return DEC_OK
        if rt2 != 31 or (rs | rt) & 1:                       # CASP needs even registers
            return DEC_UNDEF
        r.op = OP_CASP
        r.size = 3 if size else 2
        r.rs = reg_r(rs)
        r.ra = reg_w(rs)
        r.rt2 = reg_w(rs + 1)
        r.rd = reg_r(rt)
        return DEC_OK
    if o1 == 0:                                              # LDAR, STLR
        if o0 == 0:
            return DEC_UNDEF                                 # LDLAR, STLLR: FEAT_LOR
        if load_:
            r.op = OP_LDAR
            r.rd = reg_w(rt)
        else:
            r.op = OP_STLR
            r.rd = reg_r(rt)
        return DEC_OK
    if rt2 != 31:                                            # CAS, CASA, CASL, CASAL
        return DEC_UNDEF
    r.op = OP_CAS
    r.rs = reg_r(rs)
    r.ra = reg_w(rs)
    r.rd = reg_r(rt)
    return DEC_OK


cdef int decode_ldst(uint32_t insn, Insn* r) noexcept nogil:
    # Loads and stores: bit 27 = 1, bit 25 = 0. Split on bits 29:28, bit 24, bit 21 and 11:10.
    cdef uint32_t op29_28 = bits(insn, 29, 28)
    cdef bint bit24 = bits(insn, 24, 24)
    cdef uint32_t op11_10
    if insn & (1 << 26):
        return decode_ldst_simd_fp(insn, r)                  # V = 1, and the SIMD structures
    if op29_28 == 0b00:
        if bit24:
            return DEC_UNDEF
        return decode_exclusive(insn, r)
    if op29_28 == 0b01:
        if bit24:
            return DEC_UNDEF                                 # LDAPR/STLUR (Armv8.4), MTE tags
        return decode_literal(insn, r)
    if op29_28 == 0b10:
        return decode_pair(insn, r)
    if bit24:                                                # unsigned scaled offset, imm12 21:10
        r.imm = <int64_t>bits(insn, 21, 10) << bits(insn, 31, 30)
        return decode_single(insn, r, MODE_IMM, False)
    op11_10 = bits(insn, 11, 10)
    if not (insn & (1 << 21)):
        return decode_reg_imm9(insn, r)
    if op11_10 == 0b10:
        return decode_reg_offset(insn, r)
    if op11_10 == 0b00:
        return decode_atomic(insn, r)
    return DEC_UNDEF                                         # LDRAA/LDRAB (pointer authentication)
