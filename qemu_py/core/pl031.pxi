# The PL031 real-time clock (Arm PrimeCell RTC): a 32-bit count of seconds, a match register
# whose interrupt is a level to the GIC, and the load register that sets the count.
#
# The count follows the machine's virtual time (QEMU's -rtc clock=vm): it is `offset` plus the
# whole seconds of virtual time elapsed, so runs repeat exactly. The board sets `offset` from the
# base date when the machine is made; a load moves it.

cdef enum:
    RTC_DR = 0x000          # data: the count (read only)
    RTC_MR = 0x004          # match
    RTC_LR = 0x008          # load: sets the count
    RTC_CR = 0x00c          # control: bit 0 starts the clock; it always runs, reads 1
    RTC_IMSC = 0x010        # interrupt mask (bit 0: match interrupt enabled)
    RTC_RIS = 0x014         # raw interrupt status
    RTC_MIS = 0x018         # masked interrupt status
    RTC_ICR = 0x01c         # interrupt clear (write only)
    RTC_INT = 1

cdef extern from *:
    """
    #define QP_NS_PER_SEC 1000000000ULL
    """
    const uint64_t NS_PER_SEC "QP_NS_PER_SEC"

# PeriphID0-3 then PCellID0-3.
cdef uint8_t[8] PL031_ID = [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]


cdef struct PL031:
    Mach* mach
    uint32_t offset         # count = offset + seconds of virtual time, modulo 2**32
    uint32_t mr, lr, imsc, ris
    uint64_t match_ns       # virtual time at which the count next equals MR; NEVER: not armed
    uint32_t irq_level      # the line to the interrupt controller
    int irq_spi             # its interrupt number there, -1 when not wired
    void* gic


cdef inline uint32_t pl031_count(PL031* r, uint64_t now_ns) noexcept nogil:
    return <uint32_t>(r.offset + now_ns // NS_PER_SEC)


cdef inline uint64_t pl031_now_ns(PL031* r) noexcept nogil:
    # The time of the vCPU running now (MMIO accesses come from it).
    return cpu_time_ns(&r.mach.cpus[r.mach.current_cpu])


cdef void pl031_update_irq(PL031* r) noexcept nogil:
    cdef uint32_t level = 1 if (r.ris & r.imsc & RTC_INT) else 0
    if level != r.irq_level and r.gic != NULL and r.irq_spi >= 0:
        gic_set_irq(<GIC*>r.gic, 0, 32 + r.irq_spi, level)
    r.irq_level = level


cdef void pl031_arm(PL031* r, uint64_t now_ns) noexcept nogil:
    # After MR or the count changed: when does the count next equal MR? Equal now matches at
    # once. (The next match after that is 2**32 seconds away: never, for a run.)
    cdef uint32_t ticks = r.mr - pl031_count(r, now_ns)
    if ticks == 0:
        r.ris |= RTC_INT
        r.match_ns = NEVER
    else:
        r.match_ns = (now_ns // NS_PER_SEC + ticks) * NS_PER_SEC
    pl031_update_irq(r)


cdef uint64_t pl031_advance(PL031* r, uint64_t now_ns) noexcept nogil:
    """Take the match if virtual time has reached it. Returns when the match interrupt needs
    a look next (NEVER when it is masked: RIS is then brought up to date when read)."""
    if now_ns >= r.match_ns:
        r.ris |= RTC_INT
        r.match_ns = NEVER
        pl031_update_irq(r)
    return r.match_ns if (r.imsc & RTC_INT) else NEVER


cdef void pl031_deadline_changed(Mach* m) noexcept nogil:
    # Every vCPU recomputes its next deadline (timer_update) before its next block.
    cdef uint32_t k
    for k in range(m.ncpus):
        m.cpus[k].deadline_insns = 0


cdef bint pl031_read(void* dev, uint64_t off, uint32_t size, uint64_t* out) noexcept nogil:
    cdef PL031* r = <PL031*>dev
    cdef uint64_t now = pl031_now_ns(r)
    cdef uint32_t v = 0
    pl031_advance(r, now)
    if off == RTC_DR:
        v = pl031_count(r, now)
    elif off == RTC_MR:
        v = r.mr
    elif off == RTC_LR:
        v = r.lr
    elif off == RTC_CR:
        v = 1
    elif off == RTC_IMSC:
        v = r.imsc
    elif off == RTC_RIS:
        v = r.ris
    elif off == RTC_MIS:
        v = r.ris & r.imsc
    elif off >= 0xfe0 and off < 0x1000:
        v = PL031_ID[(off - 0xfe0) >> 2]
    out[0] = v
    return True


cdef bint pl031_write(void* dev, uint64_t off, uint32_t size, uint64_t val) noexcept nogil:
    cdef PL031* r = <PL031*>dev
    cdef uint64_t now = pl031_now_ns(r)
    cdef uint32_t v = <uint32_t>val
    pl031_advance(r, now)
    if off == RTC_MR:
        r.mr = v
        pl031_arm(r, now)
    elif off == RTC_LR:
        r.offset += v - pl031_count(r, now)
        r.lr = v
        pl031_arm(r, now)
    elif off == RTC_IMSC:
        r.imsc = v & RTC_INT
    elif off == RTC_ICR:
        r.ris &= ~(v & RTC_INT)
    # RTC_CR: the clock cannot be stopped; DR, RIS, MIS are read only.
    pl031_update_irq(r)
    pl031_deadline_changed(r.mach)
    return True


cdef void pl031_reset(PL031* r, Mach* m) noexcept nogil:
    memset(r, 0, sizeof(PL031))
    r.mach = m
    r.irq_spi = -1
    r.match_ns = NEVER
