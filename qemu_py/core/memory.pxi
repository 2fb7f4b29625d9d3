# Guest memory: the physical map (one RAM buffer plus MMIO regions), the soft TLB and the load and
# store helpers every instruction handler uses.
#
# Fast path: the TLB entry for the page holds a tag per access kind; the access hits when the tag
# equals the address with its low bits below the access size kept, so an unaligned or page-crossing
# access, an MMIO page or a page with translated code falls to the slow path by itself.
#
# Helpers return True on success. On failure they have already raised the guest's exception (the
# CPU is at the vector), and the handler returns FAULT.

from libc.string cimport memcpy, memset

cdef enum:
    ACC_READ = 0
    ACC_WRITE = 1
    ACC_EXEC = 2

# Access flags the handlers pass.
cdef enum:
    MEM_ALIGNED = 1         # exclusives, atomics, acquire/release: misalignment is a fault
    MEM_UNPRIV = 2          # LDTR/STTR: checked with EL0's permissions
    MEM_RMW = 4             # the read of an atomic read-modify-write: its faults report WnR = 1


cdef inline TLBEntry* tlb_entry(CPU* c, uint64_t va, uint32_t flags) noexcept nogil:
    # One TLB per privilege level, so an exception entry or return needs no flush. The set is
    # the vCPU's tlb_idx (the EL, or the always-miss set while a plugin watches the accesses).
    return &c.tlb[c.tlb_idx_unpriv if flags & MEM_UNPRIV else c.tlb_idx][(va >> PAGE_BITS) & (TLB_SIZE - 1)]


cdef inline bint ram_contains(Mach* m, uint64_t pa, uint64_t size) noexcept nogil:
    return pa >= m.ram_base and pa - m.ram_base < m.ram_size and m.ram_size - (pa - m.ram_base) >= size


cdef Region* find_mmio(Mach* m, uint64_t pa) noexcept nogil:
    cdef uint32_t k
    for k in range(m.nregions):
        if pa >= m.regions[k].base and pa - m.regions[k].base < m.regions[k].size:
            return &m.regions[k]
    return NULL


cdef void tlb_flush(CPU* c) noexcept nogil:
    memset(c.tlb, 0xff, sizeof(c.tlb))
    memset(c.jmp_cache, 0, sizeof(c.jmp_cache))


cdef void tlb_flush_all(Mach* m) noexcept nogil:
    cdef uint32_t k
    for k in range(m.ncpus):
        tlb_flush(&m.cpus[k])


cdef bint translate_va(CPU* c, uint64_t va, int access, uint32_t flags, uint64_t* pa,
                       uint32_t* fsc) noexcept nogil:
    """Stage 1 translation of an access from the current EL (EL0 for MEM_UNPRIV), filling the
    TLB entry on success. With the MMU off the map is flat."""
    cdef uint32_t perms = PERM_R | PERM_W | PERM_X
    cdef bint el0 = c.el == 0 or (flags & MEM_UNPRIV) != 0
    if c.sctlr_el1 & SCTLR_M:
        if not mmu_walk(c, va, el0, access, pa, &perms, fsc):
            return False
    else:
        pa[0] = va
    tlb_fill(c, va, pa[0], perms, flags)
    return True


cdef void tlb_fill(CPU* c, uint64_t va, uint64_t pa, uint32_t perms, uint32_t flags) noexcept nogil:
    # Install the page in the TLB: RAM pages get a fast path for the kinds of access the mapping
    # permits (code pages never for writes, so stores to them are seen).
    cdef Mach* m = c.mach
    cdef TLBEntry* e = tlb_entry(c, va, flags)
    cdef uint64_t vpage = va & PAGE_MASK
    cdef uint64_t ppage = pa & PAGE_MASK
    e.paddr = ppage
    if ram_contains(m, ppage, PAGE_SIZE):
        e.addend = <size_t>(m.ram + (ppage - m.ram_base)) - <size_t>vpage
        e.tag_read = vpage if perms & PERM_R else NO_TAG
        e.tag_exec = vpage if perms & PERM_X else NO_TAG
        e.tag_write = vpage if (perms & PERM_W) and not m.code_pages[(ppage - m.ram_base) >> PAGE_BITS] \
            else NO_TAG
    else:
        e.addend = 0
        e.tag_read = NO_TAG
        e.tag_write = NO_TAG
        e.tag_exec = NO_TAG


cdef bint phys_read(CPU* c, uint64_t pa, uint32_t size, uint64_t* out) noexcept nogil:
    # One access that does not cross a page. False means nothing answers at `pa`.
    cdef Mach* m = c.mach
    cdef Region* r
    out[0] = 0
    if ram_contains(m, pa, size):
        memcpy(out, m.ram + (pa - m.ram_base), size)
        return True
    r = find_mmio(m, pa)
    if r == NULL:
        return False
    if not r.read(r.dev, pa - r.base, size, out):
        return False
    if m.n_mmio_hooks:
        pyhook_mmio(c, pa, size, False, out[0])
    return True


cdef bint phys_write(CPU* c, uint64_t pa, uint32_t size, uint64_t val) noexcept nogil:
    cdef Mach* m = c.mach
    cdef Region* r
    cdef uint64_t page
    if ram_contains(m, pa, size):
        page = (pa - m.ram_base) >> PAGE_BITS
        if m.code_pages[page]:
            # Self-modifying code: drop the translations of the bytes written.
            tb_invalidate_range(m, pa, size)
        memcpy(m.ram + (pa - m.ram_base), &val, size)
        return True
    r = find_mmio(m, pa)
    if r == NULL:
        return False
    if not r.write(r.dev, pa - r.base, size, val):
        return False
    if m.n_mmio_hooks:
        pyhook_mmio(c, pa, size, True, val)
    return True


cdef inline bint check_alignment(CPU* c, uint64_t va, uint32_t size, uint32_t flags) noexcept nogil:
    if va & (size - 1) == 0:
        return True
    return not (flags & MEM_ALIGNED or c.sctlr_el1 & SCTLR_A)


cdef bint mem_read_slow(CPU* c, Insn* i, uint64_t va, uint32_t size, uint32_t flags,
                        uint64_t* out) noexcept nogil:
    # A TLB miss: a plugin watching this instruction's accesses (plugin_runtime.pxi), or the
    # real slow path.
    if c.tlb_idx == TLB_WATCH:
        return plugin_mem_read(c, i, va, size, flags, out)
    return mem_read_miss(c, i, va, size, flags, out)


cdef bint mem_read_miss(CPU* c, Insn* i, uint64_t va, uint32_t size, uint32_t flags,
                        uint64_t* out) noexcept nogil:
    cdef uint64_t pa, part, result = 0
    cdef uint32_t fsc = 0, k
    cdef bint wnr = (flags & MEM_RMW) != 0
    if not check_alignment(c, va, size, flags):
        raise_data_abort(c, i.pc, va, FSC_ALIGNMENT, wnr)
        return False
    if (va & (PAGE_SIZE - 1)) + size > PAGE_SIZE:
        # Crosses a page: byte by byte, little-endian, each byte translated on its own.
        for k in range(size):
            if not mem_read_slow(c, i, va + k, 1, flags & MEM_UNPRIV, &part):
                return False
            result |= part << (8 * k)
        out[0] = result
        return True
    if not translate_va(c, va, ACC_READ, flags, &pa, &fsc):
        raise_data_abort(c, i.pc, va, fsc, wnr)
        return False
    if not phys_read(c, pa, size, out):
        raise_data_abort(c, i.pc, va, FSC_EXTERNAL, wnr)
        return False
    if c.mach.hook_action == HOOK_ABANDON:
        c.pc = i.pc             # a Python device raised: the instruction does not complete
        return False
    return True


cdef bint mem_write_slow(CPU* c, Insn* i, uint64_t va, uint32_t size, uint32_t flags,
                         uint64_t val) noexcept nogil:
    if c.tlb_idx == TLB_WATCH:
        return plugin_mem_write(c, i, va, size, flags, val)
    return mem_write_miss(c, i, va, size, flags, val)


cdef bint mem_write_miss(CPU* c, Insn* i, uint64_t va, uint32_t size, uint32_t flags,
                         uint64_t val) noexcept nogil:
    cdef uint64_t pa
    cdef uint32_t fsc = 0, k
    if not check_alignment(c, va, size, flags):
        raise_data_abort(c, i.pc, va, FSC_ALIGNMENT, True)
        return False
    if (va & (PAGE_SIZE - 1)) + size > PAGE_SIZE:
        # Translate both pages before writing anything, so a fault leaves memory untouched.
        if not translate_va(c, va, ACC_WRITE, flags, &pa, &fsc):
            raise_data_abort(c, i.pc, va, fsc, True)
            return False
        if not translate_va(c, (va + size - 1), ACC_WRITE, flags, &pa, &fsc):
            raise_data_abort(c, i.pc, va + size - 1, fsc, True)
            return False
        for k in range(size):
            if not mem_write_slow(c, i, va + k, 1, flags & MEM_UNPRIV, (val >> (8 * k)) & 0xff):
                return False
        return True
    if not translate_va(c, va, ACC_WRITE, flags, &pa, &fsc):
        raise_data_abort(c, i.pc, va, fsc, True)
        return False
    if not phys_write(c, pa, size, val):
        raise_data_abort(c, i.pc, va, FSC_EXTERNAL, True)
        return False
    if c.mach.hook_action == HOOK_ABANDON:
        c.pc = i.pc
        return False
    return True


# The helpers handlers call. `size` is in bytes (1, 2, 4, 8). Loads zero-extend.

cdef inline bint mem_read(CPU* c, Insn* i, uint64_t va, uint32_t size, uint32_t flags,
                          uint64_t* out) noexcept nogil:
    cdef TLBEntry* e = tlb_entry(c, va, flags)
    cdef uint64_t v = 0
    if e.tag_read == (va & (PAGE_MASK | (size - 1))):
        memcpy(&v, <void*>(<size_t>va + e.addend), size)
        out[0] = v
        return True
    return mem_read_slow(c, i, va, size, flags, out)


cdef inline bint mem_write(CPU* c, Insn* i, uint64_t va, uint32_t size, uint32_t flags,
                           uint64_t val) noexcept nogil:
    cdef TLBEntry* e = tlb_entry(c, va, flags)
    if e.tag_write == (va & (PAGE_MASK | (size - 1))):
        memcpy(<void*>(<size_t>va + e.addend), &val, size)
        return True
    return mem_write_slow(c, i, va, size, flags, val)


cdef inline bint mem_read8(CPU* c, Insn* i, uint64_t va, uint64_t* out) noexcept nogil:
    cdef TLBEntry* e = tlb_entry(c, va, 0)
    if e.tag_read == (va & (PAGE_MASK | 7)):
        out[0] = (<uint64_t*>(<size_t>va + e.addend))[0]
        return True
    return mem_read_slow(c, i, va, 8, 0, out)


cdef inline bint mem_write8(CPU* c, Insn* i, uint64_t va, uint64_t val) noexcept nogil:
    cdef TLBEntry* e = tlb_entry(c, va, 0)
    if e.tag_write == (va & (PAGE_MASK | 7)):
        (<uint64_t*>(<size_t>va + e.addend))[0] = val
        return True
    return mem_write_slow(c, i, va, 8, 0, val)


cdef bint mem_probe_write(CPU* c, Insn* i, uint64_t va, uint32_t size) noexcept nogil:
    # Checks that a store of `size` bytes at `va` would succeed, raising the fault if not; used by
    # instructions that store twice (pairs) so a fault on the second half writes nothing.
    cdef uint64_t pa
    cdef uint32_t fsc = 0
    if not translate_va(c, va, ACC_WRITE, 0, &pa, &fsc):
        raise_data_abort(c, i.pc, va, fsc, True)
        return False
    if not translate_va(c, va + size - 1, ACC_WRITE, 0, &pa, &fsc):
        raise_data_abort(c, i.pc, va + size - 1, fsc, True)
        return False
    if not ram_contains(c.mach, pa, 1) and find_mmio(c.mach, pa) == NULL:
        raise_data_abort(c, i.pc, va + size - 1, FSC_EXTERNAL, True)     # nothing answers there
        return False
    return True


cdef bint fetch_insn_word(CPU* c, uint64_t va, uint64_t* pa_out, uint32_t* word) noexcept nogil:
    # Instruction fetch for the translator: code must be in RAM. Raises the abort on failure.
    cdef uint64_t pa
    cdef uint32_t fsc = 0
    cdef TLBEntry* e = tlb_entry(c, va, 0)
    if e.tag_exec == (va & PAGE_MASK):
        pa = e.paddr | (va & (PAGE_SIZE - 1))
    elif not translate_va(c, va, ACC_EXEC, 0, &pa, &fsc):
        raise_insn_abort(c, va, fsc)
        return False
    if not ram_contains(c.mach, pa, 4):
        raise_insn_abort(c, va, FSC_EXTERNAL)
        return False
    memcpy(word, c.mach.ram + (pa - c.mach.ram_base), 4)
    pa_out[0] = pa
    return True
