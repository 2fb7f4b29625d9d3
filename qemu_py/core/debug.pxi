# What the library's debugger side needs from the core: breakpoints (a sorted set of virtual
# addresses; the translator ends a block before each one and marks the block starting at it, so
# the loop checks one flag per block), and translating a virtual address the way the vCPU would,
# without filling the TLB or raising anything in the guest.

from libc.stdlib cimport realloc


cdef bint is_breakpoint(Mach* m, uint64_t va) noexcept nogil:
    # Binary search; called per instruction at translation only while breakpoints exist.
    cdef uint32_t lo = 0, hi = m.nbreakpoints, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if m.breakpoints[mid] < va:
            lo = mid + 1
        else:
            hi = mid
    return lo < m.nbreakpoints and m.breakpoints[lo] == va


cdef void tb_invalidate_pc(Mach* m, uint64_t va) noexcept nogil:
    # Drop the blocks a breakpoint at va changes: those that contain va, start at it or end just
    # before it. Other blocks are kept. Freed by tb_reap, like tb_flush's.
    cdef uint32_t k, j, idx
    cdef TB* tb
    cdef TB** link
    cdef TB** plink
    for k in range(TB_HASH_SIZE):
        link = &m.tb_hash[k]
        tb = link[0]
        while tb != NULL:
            if not (tb.pc <= va and va <= tb.pc + 4 * <uint64_t>tb.n_insns):
                link = &tb.hash_next
                tb = tb.hash_next
                continue
            link[0] = tb.hash_next
            plink = &m.page_tbs[(tb.phys_pc - m.ram_base) >> PAGE_BITS]
            while plink[0] != NULL and plink[0] != tb:
                plink = &plink[0].page_next
            if plink[0] == tb:
                plink[0] = tb.page_next
            idx = (tb.pc >> 2) & (JMP_CACHE_SIZE - 1)
            for j in range(m.ncpus):
                if m.cpus[j].jmp_cache[idx] == tb:
                    m.cpus[j].jmp_cache[idx] = NULL
            tb.hash_next = m.tb_dead
            m.tb_dead = tb
            m.tb_count -= 1
            tb = link[0]


cdef int breakpoint_add(Mach* m, uint64_t va) noexcept nogil:
    """Add a breakpoint; 0 when added, 1 when it was there already, -1 out of memory."""
    cdef uint32_t k
    cdef uint64_t* grown
    if is_breakpoint(m, va):
        return 1
    grown = <uint64_t*>realloc(m.breakpoints, (m.nbreakpoints + 1) * sizeof(uint64_t))
    if grown == NULL:
        return -1
    m.breakpoints = grown
    k = m.nbreakpoints
    while k > 0 and m.breakpoints[k - 1] > va:
        m.breakpoints[k] = m.breakpoints[k - 1]
        k -= 1
    m.breakpoints[k] = va
    m.nbreakpoints += 1
    tb_invalidate_pc(m, va)
    return 0


cdef bint breakpoint_remove(Mach* m, uint64_t va) noexcept nogil:
    cdef uint32_t k, j
    for k in range(m.nbreakpoints):
        if m.breakpoints[k] == va:
            for j in range(k, m.nbreakpoints - 1):
                m.breakpoints[j] = m.breakpoints[j + 1]
            m.nbreakpoints -= 1
            tb_invalidate_pc(m, va)
            return True
    return False


cdef bint debug_translate(CPU* c, uint64_t va, int access, uint64_t* pa, uint32_t* fsc) noexcept nogil:
    """The physical address an access of this kind from the vCPU's current EL would reach, or
    False with the fault status code it would raise. Touches neither the TLB nor the guest."""
    cdef uint32_t perms = 0
    if c.sctlr_el1 & SCTLR_M:
        return mmu_walk(c, va, c.el == 0, access, pa, &perms, fsc)
    pa[0] = va
    return True
