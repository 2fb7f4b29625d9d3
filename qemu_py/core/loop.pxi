# The interpreter loop: find the block, walk its records through the dispatch switch, count what
# completed. Interrupts and the stop conditions are checked between blocks.


cdef uint64_t cpu_exec(CPU* c, uint64_t budget) noexcept nogil:
    """Run vCPU c for at most `budget` instructions or until the machine stops. Returns the
    number of instructions completed."""
    cdef Mach* m = c.mach
    cdef uint64_t executed = 0
    cdef TB* tb
    cdef Insn* insns
    cdef uint32_t n, k, done
    cdef int res
    while executed < budget and m.stop_reason == STOP_NONE and not c.halted:
        if c.pc == m.break_pc and executed > 0:
            m.stop_reason = STOP_BREAK
            break
        tb = tb_find(c)
        if tb == NULL:
            if c.exc_streak >= 32:
                m.stop_reason = STOP_EXC_LOOP
            continue
        if m.log_mask & LOG_EXEC:
            log_event(m, EV_TB_EXEC, c.index, tb.pc, tb.phys_pc, 0, 0, 0)
        insns = tb.insns
        n = tb.n_insns
        if n > budget - executed:
            n = <uint32_t>(budget - executed)   # stop exactly at the budget, mid-block
        k = 0
        res = NEXT
        while k < n:
            res = dispatch(c, &insns[k])
            k += 1
            if res != NEXT:
                break
        if res == NEXT:
            c.pc = insns[n - 1].pc + 4
            done = k
        elif res == JUMP:
            done = k
        else:
            done = k - 1
        executed += done
        c.insn_count += done
        if done:
            c.exc_streak = 1 if res == FAULT else 0
        if c.exc_streak >= 32:
            m.stop_reason = STOP_EXC_LOOP
    return executed
