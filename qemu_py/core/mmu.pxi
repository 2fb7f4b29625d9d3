# Stage 1 translation for the EL1&0 regime (the Arm ARM's AArch64.TranslateAddress without
# stage 2): TTBR0/TTBR1 selection, 4K/16K/64K granules, block and page descriptors, hierarchical
# table permissions, AP/PXN/UXN/WXN, the access flag, top byte ignore. The result feeds the soft
# TLB (memory.pxi), which caches it per privilege level until a TLBI or a translation register
# write flushes it.

cdef enum:
    TCR_EPD0 = 1 << 7
    TCR_EPD1 = 1 << 23
    SCTLR_WXN = 1 << 19

# Fault status codes of a translation: the level is added to the base.
cdef enum:
    FSC_ADDR_SIZE = 0x00
    FSC_TRANSLATION = 0x04
    FSC_ACCESS_FLAG = 0x08
    FSC_PERMISSION = 0x0c
    FSC_WALK_EXTERNAL = 0x14

# Permissions a walk grants, for the TLB and the fault check.
cdef enum:
    PERM_R = 1
    PERM_W = 2
    PERM_X = 4

cdef extern from *:
    """
    #define QP_TCR_TBI0 (1ULL << 37)
    #define QP_TCR_TBI1 (1ULL << 38)
    #define QP_OA_MASK 0x0000fffffffff000ULL
    #define QP_DESC_PXN (1ULL << 53)
    #define QP_DESC_UXN (1ULL << 54)
    #define QP_DESC_PXNTABLE (1ULL << 59)
    #define QP_DESC_UXNTABLE (1ULL << 60)
    """
    const uint64_t TCR_TBI0 "QP_TCR_TBI0"
    const uint64_t TCR_TBI1 "QP_TCR_TBI1"
    const uint64_t OA_MASK "QP_OA_MASK"
    const uint64_t DESC_PXN "QP_DESC_PXN"
    const uint64_t DESC_UXN "QP_DESC_UXN"
    const uint64_t DESC_PXNTABLE "QP_DESC_PXNTABLE"
    const uint64_t DESC_UXNTABLE "QP_DESC_UXNTABLE"


cdef inline uint32_t granule_bits(uint64_t tcr, bint upper) noexcept nogil:
    # TG0 (bits 15:14): 0 = 4K, 1 = 64K, 2 = 16K. TG1 (bits 31:30): 1 = 16K, 2 = 4K, 3 = 64K.
    # Reserved values behave as 4K, as the manual permits.
    cdef uint64_t tg
    if upper:
        tg = (tcr >> 30) & 3
        return 14 if tg == 1 else (16 if tg == 3 else 12)
    tg = (tcr >> 14) & 3
    return 16 if tg == 1 else (14 if tg == 2 else 12)


cdef bint mmu_walk(CPU* c, uint64_t va, bint el0, int access, uint64_t* pa, uint32_t* perms,
                   uint32_t* fsc) noexcept nogil:
    """Walk the tables for an access to va from EL0 (el0) or EL1. On success sets pa and the
    permissions the mapping grants; on failure the fault status code with its level."""
    cdef uint64_t leaf
    return mmu_walk_leaf(c, va, el0, access, pa, perms, fsc, &leaf)


cdef bint mmu_walk_leaf(CPU* c, uint64_t va, bint el0, int access, uint64_t* pa, uint32_t* perms,
                        uint32_t* fsc, uint64_t* leaf) noexcept nogil:
    # mmu_walk, also giving the block or page descriptor (for AT's memory attributes).
    cdef Mach* m = c.mach
    cdef uint64_t tcr = c.tcr_el1
    cdef bint upper = (va >> 55) & 1
    cdef uint32_t tsz, g, stride, inputsize, level, idx_bits, nbits
    cdef uint64_t ttbr, table, desc, top, oa, desc_addr
    cdef bint pxn_table = False, uxn_table = False
    cdef uint32_t ap_table = 0, ap
    cdef bint tbi = (tcr & (TCR_TBI1 if upper else TCR_TBI0)) != 0
    if upper:
        tsz = (tcr >> 16) & 0x3f
        ttbr = c.ttbr1_el1
        if tcr & TCR_EPD1:
            fsc[0] = FSC_TRANSLATION
            return False
    else:
        tsz = tcr & 0x3f
        ttbr = c.ttbr0_el1
        if tcr & TCR_EPD0:
            fsc[0] = FSC_TRANSLATION
            return False
    # T0SZ/T1SZ outside 16..39 are clamped, as implementations without the larger ranges do.
    if tsz < 16:
        tsz = 16
    elif tsz > 39:
        tsz = 39
    inputsize = 64 - tsz
    # The bits above the input range must all equal bit 55 (ignoring the top byte under TBI).
    top = va >> inputsize
    if tbi:
        top &= (<uint64_t>1 << (56 - inputsize)) - 1
        if top != (((<uint64_t>1 << (56 - inputsize)) - 1) if upper else 0):
            fsc[0] = FSC_TRANSLATION
            return False
    elif top != ((NO_TAG >> inputsize) if upper else 0):
        fsc[0] = FSC_TRANSLATION
        return False
    g = granule_bits(tcr, upper)
    stride = g - 3
    level = 4 - (inputsize - g + stride - 1) // stride
    table = ttbr & <uint64_t>0x0000fffffffffffe          # BADDR; bit 0 is CnP
    while True:
        idx_bits = g + (3 - level) * stride        # lowest va bit this level indexes
        nbits = inputsize - idx_bits
        if nbits > stride:
            nbits = stride
        desc_addr = (table & ~((<uint64_t>8 << nbits) - 1)) \
            + (((va >> idx_bits) & ((<uint64_t>1 << nbits) - 1)) << 3)
        if not ram_contains(m, desc_addr, 8):
            fsc[0] = FSC_WALK_EXTERNAL + level
            return False
        memcpy(&desc, m.ram + (desc_addr - m.ram_base), 8)
        if desc & 1 == 0:
            fsc[0] = FSC_TRANSLATION + level
            return False
        if level < 3 and desc & 2:
            # Table descriptor: collect the hierarchical limits and descend.
            pxn_table = pxn_table or (desc & DESC_PXNTABLE) != 0
            uxn_table = uxn_table or (desc & DESC_UXNTABLE) != 0
            ap_table |= (desc >> 61) & 3
            table = desc & OA_MASK & ~((<uint64_t>1 << g) - 1)
            level += 1
            continue
        if level == 3 and desc & 2 == 0:
            fsc[0] = FSC_TRANSLATION + level          # reserved encoding at level 3
            return False
        if level < 3:
            # Block: allowed at level 1 (4K only) and level 2.
            if level == 0 or (level == 1 and g != 12):
                fsc[0] = FSC_TRANSLATION + level
                return False
        break
    leaf[0] = desc
    if desc & (1 << 10) == 0:
        fsc[0] = FSC_ACCESS_FLAG + level
        return False
    oa = desc & OA_MASK & ~((<uint64_t>1 << idx_bits) - 1)
    pa[0] = oa | (va & ((<uint64_t>1 << idx_bits) - 1))
    # AP[2:1] with APTable applied: APTable[0] removes EL0 access, APTable[1] removes writes.
    ap = (desc >> 6) & 3
    if ap_table & 1:
        ap &= ~(<uint32_t>1)
    if ap_table & 2:
        ap |= 2
    if el0:
        perms[0] = 0
        if ap & 1:
            perms[0] = PERM_R | (0 if ap & 2 else PERM_W)
        if not (desc & DESC_UXN) and not uxn_table:
            perms[0] |= PERM_X
    else:
        perms[0] = PERM_R | (0 if ap & 2 else PERM_W)
        # EL1 never executes memory EL0 can write.
        if not (desc & DESC_PXN) and not pxn_table and not (ap == 1):
            perms[0] |= PERM_X
    if (c.sctlr_el1 & SCTLR_WXN) and (perms[0] & PERM_W):
        perms[0] &= ~(<uint32_t>PERM_X)
    if not (perms[0] & access_perm(access)):
        fsc[0] = FSC_PERMISSION + level
        return False
    return True


cdef inline uint32_t access_perm(int access) noexcept nogil:
    return PERM_W if access == ACC_WRITE else (PERM_X if access == ACC_EXEC else PERM_R)


cdef uint64_t mmu_par(CPU* c, uint64_t pa, uint64_t leaf) noexcept nogil:
    """PAR_EL1 after a successful AT: the output address with the memory attributes (MAIR byte)
    and shareability the manual's AArch64.ReportedOutputAttrs gives: Device and Normal
    Non-cacheable memory report Outer Shareable. Bit 11 is RES1; NS is set (Non-secure output)."""
    cdef uint64_t attr = 0, sh = 2
    if c.sctlr_el1 & SCTLR_M:
        attr = (c.mair_el1 >> (8 * ((leaf >> 2) & 7))) & 0xff
        if (attr & 0xf0) != 0 and attr != 0x44:
            sh = (leaf >> 8) & 3
    # With the MMU off data accesses are Device-nGnRnE: attr 0, Outer Shareable.
    return (attr << 56) | (pa & <uint64_t>0xfffffffff000) | (1 << 11) | (1 << 9) | (sh << 7)
