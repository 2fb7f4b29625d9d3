# The machine's state as bytes, for snapshots (qemu_py/snapshot.py frames and checks them).
#
# What is state: each vCPU's struct up to its caches (registers, system registers, timers,
# exclusive monitor, instruction count and round bookkeeping of virtual time), the GIC, PL011
# and PL031 structs with their pointers zeroed, the machine's virtual clock and exit code, and RAM
# as the pages that are not all zero. What is not: the TLBs and jump caches (cpu.tlb onwards),
# translated code, breakpoints and hooks (the debugger's, not the guest's). After a restore the
# caches start empty and fill again, which changes no guest-visible behaviour: a block's
# extent depends only on its pc, the code and the breakpoints, never on what was cached.

cdef inline size_t cpu_state_size(CPU* c) noexcept nogil:
    # The vCPU struct's state part: everything before the TLB (types.pxi keeps caches last).
    return <size_t>(<char*>&c.tlb[0][0] - <char*>c)


cdef void cpu_state_loaded(CPU* c) noexcept nogil:
    # After the state bytes were copied in: derived fields and caches afresh.
    cpu_update_tb_flags(c)
    tlb_flush(c)
    c.bp_armed = 0


cdef bint page_is_zero(const uint8_t* p) noexcept nogil:
    cdef const uint64_t* w = <const uint64_t*>p
    cdef uint32_t k
    for k in range(PAGE_SIZE // 8):
        if w[k]:
            return False
    return True


cdef uint64_t ram_nonzero_pages(Mach* m, uint8_t* bitmap) noexcept nogil:
    """Mark (bit k of bitmap) each RAM page that holds a non-zero byte; returns their count."""
    cdef uint64_t npages = m.ram_size >> PAGE_BITS, k, count = 0
    for k in range(npages):
        if not page_is_zero(m.ram + (k << PAGE_BITS)):
            bitmap[k >> 3] |= <uint8_t>(1 << (k & 7))
            count += 1
    return count


cdef void ram_copy_pages(Mach* m, const uint8_t* bitmap, uint8_t* out) noexcept nogil:
    cdef uint64_t npages = m.ram_size >> PAGE_BITS, k
    for k in range(npages):
        if bitmap[k >> 3] & (1 << (k & 7)):
            memcpy(out, m.ram + (k << PAGE_BITS), PAGE_SIZE)
            out += PAGE_SIZE


cdef void ram_fill_pages(Mach* m, const uint8_t* bitmap, const uint8_t* data) noexcept nogil:
    cdef uint64_t npages = m.ram_size >> PAGE_BITS, k
    for k in range(npages):
        if bitmap[k >> 3] & (1 << (k & 7)):
            memcpy(m.ram + (k << PAGE_BITS), data, PAGE_SIZE)
            data += PAGE_SIZE
        else:
            memset(m.ram + (k << PAGE_BITS), 0, PAGE_SIZE)
