# The generic timer: the system counter, and each vCPU's physical (EL1) and virtual timers
# wired to PPIs 30 and 27. Time is virtual: a vCPU's clock is the start of the scheduling round
# plus 2**icount_shift ns per instruction it has executed in the round, so runs repeat exactly.

cdef enum:
    PPI_VIRT_TIMER = 27
    PPI_PHYS_TIMER = 30
    TIMER_ENABLE = 1
    TIMER_IMASK = 2
    TIMER_ISTATUS = 4
    NS_PER_TICK = 16            # CNTFRQ_HZ is 62.5 MHz

cdef extern from *:
    """
    #define QP_NEVER 0xffffffffffffffffULL
    """
    const uint64_t NEVER "QP_NEVER"


cdef inline uint64_t cpu_time_ns(CPU* c) noexcept nogil:
    return c.mach.round_start_ns + ((c.insn_count - c.round_insns) << c.mach.icount_shift)


cdef inline uint64_t counter_now(CPU* c) noexcept nogil:
    return cpu_time_ns(c) // NS_PER_TICK


cdef inline bint timer_fired(uint64_t ctl, uint64_t cval, uint64_t now) noexcept nogil:
    return (ctl & TIMER_ENABLE) != 0 and now >= cval


cdef void timer_update(CPU* c) noexcept nogil:
    """Recompute both timers' outputs and when this vCPU next needs a look."""
    cdef uint64_t now = counter_now(c)
    cdef uint64_t next_tick = NEVER
    cdef GIC* g = <GIC*>c.mach.gic
    cdef bint v_level = timer_fired(c.cntv_ctl, c.cntv_cval, now) and not (c.cntv_ctl & TIMER_IMASK)
    cdef bint p_level = timer_fired(c.cntp_ctl, c.cntp_cval, now) and not (c.cntp_ctl & TIMER_IMASK)
    if (c.cntv_ctl & TIMER_ENABLE) and c.cntv_cval > now:
        next_tick = c.cntv_cval
    if (c.cntp_ctl & TIMER_ENABLE) and c.cntp_cval > now and c.cntp_cval < next_tick:
        next_tick = c.cntp_cval
    if next_tick == NEVER:
        c.deadline_insns = NEVER
    else:
        c.deadline_insns = c.round_insns + ((next_tick * NS_PER_TICK - c.mach.round_start_ns
                                             + (<uint64_t>1 << c.mach.icount_shift) - 1)
                                            >> c.mach.icount_shift)
    if g != NULL:
        gic_set_irq(g, c.index, PPI_VIRT_TIMER, v_level)
        gic_set_irq(g, c.index, PPI_PHYS_TIMER, p_level)
    if c.mach.rtc != NULL:
        rtc_deadline(c)


cdef void rtc_deadline(CPU* c) noexcept nogil:
    # The real-time clock's match, taken when this vCPU's time has reached it, and its next
    # one folded into the vCPU's deadline (it is a machine device: every vCPU keeps watch).
    cdef uint64_t t = pl031_advance(<PL031*>c.mach.rtc, cpu_time_ns(c)), d
    if t != NEVER:
        d = c.round_insns + ((t - c.mach.round_start_ns + (<uint64_t>1 << c.mach.icount_shift) - 1)
                             >> c.mach.icount_shift)
        if d < c.deadline_insns:
            c.deadline_insns = d


cdef uint64_t timer_next_deadline_ns(CPU* c) noexcept nogil:
    # The virtual time at which one of this vCPU's timers, or the real-time clock's match,
    # fires next, or NEVER.
    cdef uint64_t now = counter_now(c), t = NEVER, rtc = NEVER
    if (c.cntv_ctl & TIMER_ENABLE) and not (c.cntv_ctl & TIMER_IMASK) and c.cntv_cval > now:
        t = c.cntv_cval
    if (c.cntp_ctl & TIMER_ENABLE) and not (c.cntp_ctl & TIMER_IMASK) and c.cntp_cval > now \
            and c.cntp_cval < t:
        t = c.cntp_cval
    if c.mach.rtc != NULL:
        rtc = pl031_advance(<PL031*>c.mach.rtc, cpu_time_ns(c))
    t = NEVER if t == NEVER else t * NS_PER_TICK
    return rtc if rtc < t else t


cdef uint64_t timer_ctl_read(uint64_t ctl, uint64_t cval, uint64_t now) noexcept nogil:
    return (ctl & (TIMER_ENABLE | TIMER_IMASK)) | (TIMER_ISTATUS if timer_fired(ctl, cval, now) else 0)
