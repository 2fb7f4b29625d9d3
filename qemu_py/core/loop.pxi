# The interpreter loop: find the block, walk its records through the dispatch switch, count what
# completed. Interrupts and the stop conditions are checked between blocks.


cdef int run_insns(CPU* c, Insn* i, Insn* stop, Insn** next) noexcept nogil:
    """Run the records from i up to stop through the dispatch switch until one does not return
    NEXT; next = the record after the last one run. Plugin records are cases of the switch like
    the instructions. This is the one loop around the switch, so that the compiler inlines the
    switch here: a call to an out-of-line switch per record cost about a seventh of the run."""
    cdef int res = NEXT
    while i < stop:
        res = dispatch(c, i)
        i += 1
        if res != NEXT:
            if res == NEXT_SKIP:
                i += 1              # a PLUGIN_MEM record ran the next record, its instruction
                res = NEXT
                continue
            break
    next[0] = i
    return res


ctypedef int (*run_insns_fn)(CPU* c, Insn* i, Insn* stop, Insn** next) noexcept nogil

# Callers go through this pointer so that the compiler keeps one copy of run_insns, with the
# switch inlined, instead of inlining run_insns into each caller with calls to the switch.
cdef run_insns_fn g_run_insns = run_insns


cdef uint64_t cpu_exec(CPU* c, uint64_t budget, bint budget_is_callers) noexcept nogil:
    """Run vCPU c for about `budget` instructions or until the machine stops. Returns the
    number of instructions completed. A block that crosses the budget is cut there when the budget
    is the caller's own limit, or when nothing watches blocks; an instrumented block at the end
    of a mere time slice runs whole, so a block hook never sees a block twice."""
    cdef Mach* m = c.mach
    cdef uint64_t executed = 0
    cdef TB* tb
    cdef Insn* insns
    cdef uint32_t n, k, done
    cdef Insn* last
    cdef int res
    m.current_cpu = c.index
    while executed < budget and m.stop_reason == STOP_NONE and not c.halted and not c.powered_off:
        if c.insn_count >= c.deadline_insns:
            timer_update(c)
        if c.irq_line and not (c.daif & DAIF_I):
            # Interrupts are taken between blocks; ELR is the next instruction to run.
            take_exception(c, EXC_IRQ, 0, 0, c.pc, 0, False)
            c.exc_streak = 0
            if m.stop_on_exception and m.stop_reason == STOP_NONE:
                m.stop_reason = STOP_EXCEPTION
            if m.stop_reason != STOP_NONE:
                break               # a hook on the interrupt stopped the run
        tb = tb_find(c)
        if tb == NULL:
            c.bp_armed = 1
            if c.exc_streak >= 32:
                m.stop_reason = STOP_EXC_LOOP
            elif m.stop_on_exception and m.stop_reason == STOP_NONE:
                m.stop_reason = STOP_EXCEPTION
            continue
        if tb.is_break and c.bp_armed:
            # A breakpoint stops the vCPU before the instruction, except where it starts a run.
            m.stop_reason = STOP_BREAK
            break
        c.bp_armed = 1
        if m.log_mask & LOG_EXEC:
            log_event(m, EV_TB_EXEC, c.index, tb.pc, tb.phys_pc, 0, 0, 0)
        insns = tb.insns
        n = tb.n_recs
        if (tb.n_insns > budget - executed and not (m.plugin_mask & PM_WHOLE_BLOCKS)
                and (budget_is_callers or (tb.first_rec == NULL and tb.n_pro == 0))):
            # Stop exactly at the budget, mid-block (with native plugins, blocks always run
            # whole, as in QEMU, so that plugins see the same blocks).
            n = <uint32_t>(budget - executed)
            if tb.first_rec != NULL:
                n = tb.first_rec[n]
        if tb.n_pro:
            if tb.n_pro == 1 and tb.pro.op == OP_PLUGIN_CB:
                op_PLUGIN_CB(c, tb.pro)     # the common case: no loop to set up
            else:
                plugin_run_prologue(c, tb.pro, tb.n_pro)
        res = g_run_insns(c, insns, insns + n, &last)
        k = <uint32_t>(last - insns)
        if k < n and tb.plugin_fold != NULL:
            plugin_unfold(c, tb, insns[k - 1].pc)     # left early: take back folded counts
        # Completed instructions, from the pc of the last record run: plugin records carry the
        # pc of the instruction they belong to and precede it, so they never count.
        done = <uint32_t>((insns[k - 1].pc - tb.pc) >> 2)
        if res == NEXT:
            c.pc = insns[n - 1].pc + 4
            done += 1
        elif res == JUMP:
            done += 1
        executed += done
        c.insn_count += done
        if done:
            c.exc_streak = 1 if res == FAULT else 0
        if c.exc_streak >= 32:
            m.stop_reason = STOP_EXC_LOOP
        elif res == FAULT and m.stop_on_exception and m.stop_reason == STOP_NONE:
            m.stop_reason = STOP_EXCEPTION
    return executed


cdef uint64_t machine_run(Mach* m, uint64_t budget) noexcept nogil:
    """Run the vCPUs round-robin, a quantum each per round, for up to `budget` instructions in
    all. At the end of a round virtual time advances by the longest run in it; when every vCPU
    waits for an interrupt, time jumps to the next timer deadline. Returns instructions run."""
    cdef uint64_t total = 0, ran, longest, slice_, wake_ns
    cdef uint32_t k
    cdef bint any_ran
    cdef CPU* c
    while total < budget and m.stop_reason == STOP_NONE:
        longest = 0
        any_ran = False
        for k in range(m.ncpus):
            c = &m.cpus[k]
            c.round_insns = c.insn_count
            if m.run_only >= 0 and <uint32_t>m.run_only != k:
                continue
            if c.powered_off:
                if m.plugin_mask & PM_IDLE:
                    plugin_vcpu_runnable(c, False)
                continue
            timer_update(c)
            if c.halted and c.irq_line:
                c.halted = 0
            if m.plugin_mask & PM_IDLE:
                plugin_vcpu_runnable(c, not c.halted)
            if c.halted:
                continue
            slice_ = QUANTUM
            if slice_ >= budget - total:
                ran = cpu_exec(c, budget - total, not m.budget_is_slice)
            else:
                ran = cpu_exec(c, slice_, False)
            if m.plugin_mask & PM_IDLE:
                plugin_vcpu_runnable(c, not c.powered_off and not (c.halted and not c.irq_line))
            any_ran = True
            total += ran
            if ran > longest:
                longest = ran
            if m.stop_reason != STOP_NONE or total >= budget:
                break
        if any_ran:
            m.round_start_ns += longest << m.icount_shift
            for k in range(m.ncpus):        # the next round starts now (for readers between
                m.cpus[k].round_insns = m.cpus[k].insn_count    # runs: the library, snapshots)
            continue
        # Every vCPU is off or waiting: jump to the earliest timer deadline, if there is one.
        wake_ns = NEVER
        for k in range(m.ncpus):
            c = &m.cpus[k]
            if not c.powered_off and c.halted:
                ran = timer_next_deadline_ns(c)
                if ran < wake_ns:
                    wake_ns = ran
        if wake_ns == NEVER:
            m.stop_reason = STOP_WFI
        elif m.pace_idle:
            # An interactive session: the host waits (for real time or input) and then moves
            # virtual time on itself (advance_idle).
            m.idle_wake_ns = wake_ns
            m.stop_reason = STOP_IDLE
        else:
            m.round_start_ns = wake_ns
    return total
