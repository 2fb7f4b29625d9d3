# Translation blocks: decode a run of guest instructions once into Insn records, cache the block
# by physical PC (plus the virtual PC and decode flags), and find it again through the vCPU's
# direct-mapped jump cache.

from libc.stdlib cimport malloc, calloc, free


cdef inline uint32_t tb_hash_index(uint64_t phys_pc) noexcept nogil:
    return <uint32_t>((phys_pc >> 2) ^ (phys_pc >> 18)) & (TB_HASH_SIZE - 1)


cdef void tb_flush(Mach* m) noexcept nogil:
    # Drop every block (self-modifying code, a full cache). Jump caches point into them. The
    # block running now may be among them (a store to its own page, a plugin writing code), so
    # they are only unlinked here and freed by tb_reap once no block is running.
    cdef uint32_t k
    cdef TB* tb
    cdef TB* nxt
    for k in range(TB_HASH_SIZE):
        tb = m.tb_hash[k]
        while tb != NULL:
            nxt = tb.hash_next
            tb.hash_next = m.tb_dead
            m.tb_dead = tb
            tb = nxt
        m.tb_hash[k] = NULL
    m.tb_count = 0
    memset(m.code_pages, 0, m.ram_size >> PAGE_BITS)
    memset(m.page_tbs, 0, (m.ram_size >> PAGE_BITS) * sizeof(TB*))
    for k in range(m.ncpus):
        memset(m.cpus[k].jmp_cache, 0, sizeof(m.cpus[k].jmp_cache))
        # Write tags of code pages were withheld; refill them on next use.
        memset(m.cpus[k].tlb, 0xff, sizeof(m.cpus[k].tlb))


cdef void tb_reap(Mach* m) noexcept nogil:
    # Free the blocks tb_flush unlinked. Called between blocks.
    cdef TB* tb = m.tb_dead
    cdef TB* nxt
    m.tb_dead = NULL
    while tb != NULL:
        nxt = tb.hash_next
        free(tb)
        tb = nxt


cdef void tb_invalidate_range(Mach* m, uint64_t pa, uint64_t size) noexcept nogil:
    # Bytes [pa, pa + size) of one RAM page holding translated code changed: drop the blocks
    # translated from those bytes (and only those, as QEMU does), to be freed between blocks
    # like a flush's. The page stops being a code page when no block of it is left.
    cdef uint64_t page = (pa - m.ram_base) >> PAGE_BITS
    cdef TB** prev = &m.page_tbs[page]
    cdef TB* tb = prev[0]
    cdef TB* nxt
    cdef TB** link
    cdef uint32_t k, idx
    while tb != NULL:
        nxt = tb.page_next
        if tb.phys_pc >= pa + size or tb.phys_pc + 4 * <uint64_t>tb.n_insns <= pa:
            prev = &tb.page_next            # not overlapping: keep it
            tb = nxt
            continue
        prev[0] = nxt
        link = &m.tb_hash[tb_hash_index(tb.phys_pc)]
        while link[0] != NULL and link[0] != tb:
            link = &link[0].hash_next
        if link[0] == tb:
            link[0] = tb.hash_next
        idx = (tb.pc >> 2) & (JMP_CACHE_SIZE - 1)
        for k in range(m.ncpus):
            if m.cpus[k].jmp_cache[idx] == tb:
                m.cpus[k].jmp_cache[idx] = NULL
        tb.hash_next = m.tb_dead
        m.tb_dead = tb
        m.tb_count -= 1
        tb = nxt
    if m.page_tbs[page] == NULL:
        m.code_pages[page] = 0


cdef void mark_code_page(Mach* m, uint64_t phys_pc) noexcept nogil:
    cdef uint64_t page = (phys_pc - m.ram_base) >> PAGE_BITS
    if not m.code_pages[page]:
        m.code_pages[page] = 1
        tlb_flush_all(m)        # withdraw any fast write path to this page


cdef TB* tb_translate(CPU* c, uint64_t pc, uint64_t phys_pc) noexcept nogil:
    # Decode from pc to the end of the block. Only the first word can fault (the caller fetched
    # it); the block stops before a word it cannot fetch or at the end of the page.
    cdef Insn buf[TB_MAX_INSNS]
    cdef uint32_t n = 0, word
    cdef uint64_t cur = pc, pa = phys_pc
    cdef int res
    cdef Mach* m = c.mach
    cdef TB* tb
    cdef uint32_t h
    while n < TB_MAX_INSNS:
        memcpy(&word, m.ram + (pa - m.ram_base), 4)
        res = decode_a64(word, cur, &buf[n])
        if not (c.tb_flags & TBF_FP) and buf[n].op != OP_UNDEF and is_fp_simd_encoding(word):
            buf[n].op = OP_FP_ACCESS_TRAP       # CPACR_EL1.FPEN traps it at this EL
            res = DEC_END                       # and ends the block, as QEMU's does
        n += 1
        cur += 4
        pa += 4
        if res == DEC_END or (cur & (PAGE_SIZE - 1)) == 0 \
                or (m.nbreakpoints and is_breakpoint(m, cur)):
            break
    if m.plugin_mask & PM_TRANS:
        # Plugins see the block and add their instrumentation records (plugin_runtime.pxi).
        tb = plugin_translate(c, pc, phys_pc, buf, n)
        if tb == NULL:
            return NULL
    else:
        tb = <TB*>malloc(sizeof(TB) + n * sizeof(Insn))
        if tb == NULL:
            return NULL
        tb.n_recs = n
        tb.first_rec = NULL
        tb.plugin_fold = NULL
        tb.pro = NULL
        tb.n_pro = 0
        tb.insns = <Insn*>(<char*>tb + sizeof(TB))
        memcpy(tb.insns, buf, n * sizeof(Insn))
    tb.pc = pc
    tb.phys_pc = phys_pc
    tb.flags = c.tb_flags
    tb.n_insns = n
    tb.is_break = m.nbreakpoints != 0 and is_breakpoint(m, pc)
    h = tb_hash_index(phys_pc)
    tb.hash_next = m.tb_hash[h]
    m.tb_hash[h] = tb
    m.tb_count += 1
    tb.page_next = m.page_tbs[(phys_pc - m.ram_base) >> PAGE_BITS]
    m.page_tbs[(phys_pc - m.ram_base) >> PAGE_BITS] = tb
    mark_code_page(m, phys_pc)
    if m.log_mask & LOG_IN_ASM:
        log_event(m, EV_TB_TRANS, c.index, pc, phys_pc, n, 0, 0)
    return tb


cdef TB* tb_find(CPU* c) noexcept nogil:
    """The block at c.pc, translating it if needed. NULL when fetching faulted: the abort has
    been taken and c.pc is at the vector."""
    cdef uint64_t pc = c.pc
    cdef TB* tb = c.jmp_cache[(pc >> 2) & (JMP_CACHE_SIZE - 1)]
    cdef uint64_t phys_pc
    cdef uint32_t word
    cdef Mach* m = c.mach
    if tb != NULL and tb.pc == pc and tb.flags == c.tb_flags:
        return tb
    if pc & 3:
        take_exception(c, EXC_SYNC, EC_PC_ALIGN, 0, pc, pc, True)
        return NULL
    if not fetch_insn_word(c, pc, &phys_pc, &word):
        return NULL
    tb = m.tb_hash[tb_hash_index(phys_pc)]
    while tb != NULL:
        if tb.phys_pc == phys_pc and tb.pc == pc and tb.flags == c.tb_flags:
            break
        tb = tb.hash_next
    if tb == NULL:
        if m.tb_dead != NULL:
            tb_reap(m)
        if m.tb_count >= 1 << 16:
            tb_flush(m)
            tb_reap(m)
            if m.plugin_mask & PM_FLUSH:
                plugin_flush_event(m)
        tb = tb_translate(c, pc, phys_pc)
        if tb == NULL:
            return NULL
    c.jmp_cache[(pc >> 2) & (JMP_CACHE_SIZE - 1)] = tb
    return tb
