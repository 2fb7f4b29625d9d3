# GICv2 without the Security Extensions: the distributor (GICD_*) and one CPU interface
# (GICC_*) per vCPU, at the addresses the board chooses. Interrupts 0-15 are SGIs, 16-31 PPIs
# (both banked per vCPU), 32 and up SPIs. The state is kept as bit arrays so that finding the
# highest-priority pending interrupt is a short scan.

cdef enum:
    GIC_NIRQ = 288              # as QEMU's virt: 256 SPIs + 32 private
    GIC_NSPI_WORDS = GIC_NIRQ // 32
    GIC_SPURIOUS = 1023
    GIC_IDLE_PRIORITY = 0x100   # running priority with nothing active

cdef struct GICCpu:
    # Private interrupts (0-31) of one vCPU, and its CPU interface.
    uint32_t enabled, pending, active, level, edge
    uint8_t priority[32]
    uint8_t sgi_sources[16]     # pending SGIs by source vCPU (bit n: from vCPU n)
    uint32_t ctlr, pmr, bpr
    uint32_t running            # running priority, GIC_IDLE_PRIORITY when idle
    uint16_t active_stack[64]   # interrupts acknowledged and not yet EOI'd, newest last
    uint8_t active_src[64]      # SGI source of each
    uint32_t nactive

cdef struct GIC:
    Mach* mach
    uint32_t ctlr
    uint32_t enabled[GIC_NSPI_WORDS]    # word 0 unused (banked in GICCpu)
    uint32_t pending[GIC_NSPI_WORDS]
    uint32_t active[GIC_NSPI_WORDS]
    uint32_t level[GIC_NSPI_WORDS]      # input line state
    uint32_t edge[GIC_NSPI_WORDS]       # ICFGR: 1 = edge-triggered
    uint32_t group[GIC_NSPI_WORDS]
    uint8_t priority[GIC_NIRQ]
    uint8_t targets[GIC_NIRQ]
    GICCpu cpu[MAX_CPUS]


cdef inline bint gic_bit(uint32_t* words, uint32_t irq) noexcept nogil:
    return (words[irq >> 5] >> (irq & 31)) & 1

cdef inline void gic_set(uint32_t* words, uint32_t irq, bint on) noexcept nogil:
    if on:
        words[irq >> 5] |= (<uint32_t>1) << (irq & 31)
    else:
        words[irq >> 5] &= ~((<uint32_t>1) << (irq & 31))


cdef inline bint gic_is_pending(GIC* g, uint32_t cpu, uint32_t irq) noexcept nogil:
    cdef GICCpu* pc = &g.cpu[cpu]
    if irq < 16:
        return pc.sgi_sources[irq] != 0
    if irq < 32:
        return ((pc.pending >> irq) & 1) or (not ((pc.edge >> irq) & 1) and ((pc.level >> irq) & 1))
    return gic_bit(g.pending, irq) or (not gic_bit(g.edge, irq) and gic_bit(g.level, irq))


cdef uint32_t gic_best(GIC* g, uint32_t cpu, uint32_t* prio_out) noexcept nogil:
    """The highest-priority pending, enabled, inactive interrupt for cpu (lowest number wins a
    tie), or GIC_SPURIOUS."""
    cdef GICCpu* pc = &g.cpu[cpu]
    cdef uint32_t best = GIC_SPURIOUS, best_prio = 0x100, irq, w, cand
    cdef uint32_t bit = (<uint32_t>1) << cpu
    cand = pc.enabled & ~pc.active
    for irq in range(32):
        if (cand >> irq) & 1 and pc.priority[irq] < best_prio and gic_is_pending(g, cpu, irq):
            best = irq
            best_prio = pc.priority[irq]
    for w in range(1, GIC_NSPI_WORDS):
        cand = g.enabled[w] & ~g.active[w] & (g.pending[w] | (g.level[w] & ~g.edge[w]))
        while cand:
            irq = w * 32 + <uint32_t>__builtin_ctz(cand)
            cand &= cand - 1
            if (g.targets[irq] & bit or g.mach.ncpus == 1) and g.priority[irq] < best_prio:
                best = irq
                best_prio = g.priority[irq]
    prio_out[0] = best_prio
    return best


cdef extern from *:
    int __builtin_ctz(unsigned int) nogil


cdef inline uint32_t gic_group_priority(GICCpu* pc, uint32_t prio) noexcept nogil:
    # Preemption compares group priorities: the bits above the binary point.
    return prio & ((<uint32_t>0xff << (pc.bpr + 1)) & 0xff)


cdef void gic_update(GIC* g) noexcept nogil:
    # Recompute every vCPU's IRQ line.
    cdef uint32_t k, prio, irq
    cdef Mach* m = g.mach
    cdef GICCpu* pc
    for k in range(m.ncpus):
        pc = &g.cpu[k]
        m.cpus[k].irq_line = 0
        if not (g.ctlr & 1) or not (pc.ctlr & 1):
            continue
        irq = gic_best(g, k, &prio)
        if irq == GIC_SPURIOUS or prio >= pc.pmr:
            continue
        if pc.running != GIC_IDLE_PRIORITY and \
                gic_group_priority(pc, prio) >= gic_group_priority(pc, pc.running):
            continue
        m.cpus[k].irq_line = 1


cdef void gic_set_irq(GIC* g, uint32_t cpu, uint32_t irq, bint level) noexcept nogil:
    """Drive an interrupt input: a PPI of `cpu` (16-31) or an SPI (32 and up)."""
    cdef GICCpu* pc
    if irq < 32:
        pc = &g.cpu[cpu]
        if level and not ((pc.level >> irq) & 1) and ((pc.edge >> irq) & 1):
            pc.pending |= (<uint32_t>1) << irq
        if level:
            pc.level |= (<uint32_t>1) << irq
        else:
            pc.level &= ~((<uint32_t>1) << irq)
    elif irq < GIC_NIRQ:
        if level and not gic_bit(g.level, irq) and gic_bit(g.edge, irq):
            gic_set(g.pending, irq, True)
        gic_set(g.level, irq, level)
    gic_update(g)


cdef uint32_t gic_acknowledge(GIC* g, uint32_t cpu) noexcept nogil:
    # GICC_IAR: the pending interrupt becomes active; the running priority rises to its own.
    cdef GICCpu* pc = &g.cpu[cpu]
    cdef uint32_t prio, irq, src = 0, k
    if not (g.ctlr & 1) or not (pc.ctlr & 1):
        return GIC_SPURIOUS                 # nothing is forwarded to a disabled interface
    irq = gic_best(g, cpu, &prio)
    if irq == GIC_SPURIOUS or prio >= pc.pmr or pc.nactive >= 64:
        return GIC_SPURIOUS
    if pc.running != GIC_IDLE_PRIORITY and \
            gic_group_priority(pc, prio) >= gic_group_priority(pc, pc.running):
        return GIC_SPURIOUS
    if irq < 16:
        for k in range(MAX_CPUS):
            if pc.sgi_sources[irq] & (1 << k):
                src = k
                break
        pc.sgi_sources[irq] &= ~(1 << src)
        pc.active |= (<uint32_t>1) << irq
    elif irq < 32:
        pc.pending &= ~((<uint32_t>1) << irq)
        pc.active |= (<uint32_t>1) << irq
    else:
        gic_set(g.pending, irq, False)
        gic_set(g.active, irq, True)
    pc.active_stack[pc.nactive] = irq
    pc.active_src[pc.nactive] = src
    pc.nactive += 1
    pc.running = gic_group_priority(pc, prio)   # GICC_RPR shows the group priority
    gic_update(g)
    return irq | (src << 10)


cdef uint32_t gic_irq_priority(GIC* g, uint32_t cpu, uint32_t irq) noexcept nogil:
    return g.cpu[cpu].priority[irq] if irq < 32 else g.priority[irq]


cdef void gic_end_of_interrupt(GIC* g, uint32_t cpu, uint32_t value) noexcept nogil:
    # GICC_EOIR: deactivate and drop the running priority to the next active interrupt's.
    cdef GICCpu* pc = &g.cpu[cpu]
    cdef uint32_t irq = value & 0x3ff, k, j
    cdef bint found = False
    for k in range(pc.nactive):
        j = pc.nactive - 1 - k
        if pc.active_stack[j] == irq:
            found = True
            while j + 1 < pc.nactive:
                pc.active_stack[j] = pc.active_stack[j + 1]
                pc.active_src[j] = pc.active_src[j + 1]
                j += 1
            pc.nactive -= 1
            break
    if not found:
        return
    if irq < 32:
        pc.active &= ~((<uint32_t>1) << irq)
    elif irq < GIC_NIRQ:
        gic_set(g.active, irq, False)
    pc.running = GIC_IDLE_PRIORITY
    for k in range(pc.nactive):
        prio = gic_group_priority(pc, gic_irq_priority(g, cpu, pc.active_stack[k]))
        if prio < pc.running:
            pc.running = prio
    gic_update(g)


cdef void gic_send_sgi(GIC* g, uint32_t src, uint32_t value) noexcept nogil:
    # GICD_SGIR: TargetListFilter 25:24, CPUTargetList 23:16, SGIINTID 3:0.
    cdef uint32_t filt = (value >> 24) & 3, targets = (value >> 16) & 0xff, k
    cdef uint32_t sgi = value & 0xf
    if filt == 1:
        targets = 0xff & ~(1 << src)
    elif filt == 2:
        targets = 1 << src
    elif filt == 3:
        return
    for k in range(g.mach.ncpus):
        if targets & (1 << k):
            g.cpu[k].sgi_sources[sgi] |= 1 << src
    gic_update(g)


cdef uint32_t gic_current_cpu(GIC* g) noexcept nogil:
    return g.mach.current_cpu


cdef uint32_t gicd_read_bits(GIC* g, uint32_t cpu, uint64_t off, uint32_t base, uint32_t* spi,
                             uint32_t banked) noexcept nogil:
    cdef uint32_t word = <uint32_t>(off - base) >> 2
    if word == 0:
        return banked
    if word < GIC_NSPI_WORDS:
        return spi[word]
    return 0


cdef bint gicd_read(void* dev, uint64_t off, uint32_t size, uint64_t* out) noexcept nogil:
    cdef GIC* g = <GIC*>dev
    cdef uint32_t cpu = gic_current_cpu(g)
    cdef GICCpu* pc = &g.cpu[cpu]
    cdef uint32_t v = 0, k, irq, pend
    if off == 0x000:
        v = g.ctlr
    elif off == 0x004:
        v = (GIC_NIRQ // 32 - 1) | ((g.mach.ncpus - 1) << 5)
    elif off == 0x008:
        v = 0x0200043b
    elif 0x080 <= off < 0x100:
        v = gicd_read_bits(g, cpu, off, 0x080, g.group, 0)
    elif 0x100 <= off < 0x200:
        v = gicd_read_bits(g, cpu, off & ~(<uint64_t>0x80), 0x100, g.enabled, pc.enabled)
    elif 0x200 <= off < 0x300:
        k = <uint32_t>(off & 0x7f) >> 2
        for irq in range(32):
            if k * 32 + irq < GIC_NIRQ and gic_is_pending(g, cpu, k * 32 + irq):
                v |= (<uint32_t>1) << irq
    elif 0x300 <= off < 0x400:
        v = gicd_read_bits(g, cpu, off & ~(<uint64_t>0x80), 0x300, g.active, pc.active)
    elif 0x400 <= off < 0x400 + GIC_NIRQ:
        for k in range(size):
            irq = <uint32_t>(off - 0x400) + k
            if irq < GIC_NIRQ:
                v |= <uint32_t>gic_irq_priority(g, cpu, irq) << (8 * k)
    elif 0x800 <= off < 0x800 + GIC_NIRQ and g.mach.ncpus > 1:
        # (With one CPU interface the target registers are RAZ/WI: everything goes to it.)
        for k in range(size):
            irq = <uint32_t>(off - 0x800) + k
            if irq < 32:
                v |= (<uint32_t>1 << cpu) << (8 * k)
            elif irq < GIC_NIRQ:
                v |= <uint32_t>g.targets[irq] << (8 * k)
    elif 0xc00 <= off < 0xd00:
        k = <uint32_t>(off - 0xc00) >> 2     # 16 interrupts per word, bit 1 of each pair
        for irq in range(16):
            if k * 16 + irq < 16:
                v |= 2 << (2 * irq)          # SGIs are edge-triggered
            elif k * 16 + irq < 32:
                v |= (((pc.edge >> (k * 16 + irq)) & 1) << 1) << (2 * irq)
            elif k * 16 + irq < GIC_NIRQ:
                v |= (gic_bit(g.edge, k * 16 + irq) << 1) << (2 * irq)
    elif 0xf10 <= off < 0xf30:
        for k in range(size):
            irq = <uint32_t>(off & 0xf) + k
            v |= <uint32_t>pc.sgi_sources[irq] << (8 * k)
    elif off == 0xfe8:
        v = 0x2b                             # PIDR2: GICv2
    out[0] = v
    return True


cdef void gicd_write_bits(GIC* g, GICCpu* pc, uint64_t off, uint32_t base, uint32_t* spi,
                          uint32_t* banked, uint32_t val, bint set_) noexcept nogil:
    cdef uint32_t word = <uint32_t>(off - base) >> 2
    if word == 0:
        if banked != NULL:
            if set_:
                banked[0] |= val
            else:
                banked[0] &= ~val
    elif word < GIC_NSPI_WORDS:
        if set_:
            spi[word] |= val
        else:
            spi[word] &= ~val


cdef bint gicd_write(void* dev, uint64_t off, uint32_t size, uint64_t val64) noexcept nogil:
    cdef GIC* g = <GIC*>dev
    cdef uint32_t cpu = gic_current_cpu(g)
    cdef GICCpu* pc = &g.cpu[cpu]
    cdef uint32_t val = <uint32_t>val64, k, irq
    if off == 0x000:
        g.ctlr = val & 1
    elif 0x080 <= off < 0x100:
        irq = <uint32_t>(off - 0x080) >> 2
        if 0 < irq < GIC_NSPI_WORDS:
            g.group[irq] = val
    elif 0x100 <= off < 0x180:
        gicd_write_bits(g, pc, off, 0x100, g.enabled, &pc.enabled, val, True)
        pc.enabled |= 0xffff & val           # SGIs can be enabled like any other
    elif 0x180 <= off < 0x200:
        gicd_write_bits(g, pc, off, 0x180, g.enabled, &pc.enabled, val, False)
        pc.enabled |= 0xffff                 # SGIs are always enabled (RAO/WI), as in QEMU
    elif 0x200 <= off < 0x280:
        gicd_write_bits(g, pc, off, 0x200, g.pending, &pc.pending, val & ~(<uint32_t>0xffff) if off == 0x200 else val, True)
    elif 0x280 <= off < 0x300:
        gicd_write_bits(g, pc, off, 0x280, g.pending, &pc.pending, val & ~(<uint32_t>0xffff) if off == 0x280 else val, False)
    elif 0x300 <= off < 0x380:
        gicd_write_bits(g, pc, off, 0x300, g.active, &pc.active, val, True)
    elif 0x380 <= off < 0x400:
        gicd_write_bits(g, pc, off, 0x380, g.active, &pc.active, val, False)
    elif 0x400 <= off < 0x400 + GIC_NIRQ:
        for k in range(size):
            irq = <uint32_t>(off - 0x400) + k
            if irq < 32:
                pc.priority[irq] = (val >> (8 * k)) & 0xff
            elif irq < GIC_NIRQ:
                g.priority[irq] = (val >> (8 * k)) & 0xff
    elif 0x800 <= off < 0x800 + GIC_NIRQ:
        for k in range(size):
            irq = <uint32_t>(off - 0x800) + k
            if 32 <= irq < GIC_NIRQ:
                g.targets[irq] = (val >> (8 * k)) & 0xff
    elif 0xc00 <= off < 0xd00:
        k = <uint32_t>(off - 0xc00) >> 2
        for irq in range(16):
            if 16 <= k * 16 + irq < 32:
                if (val >> (2 * irq + 1)) & 1:
                    pc.edge |= (<uint32_t>1) << (k * 16 + irq)
                else:
                    pc.edge &= ~((<uint32_t>1) << (k * 16 + irq))
            elif 32 <= k * 16 + irq < GIC_NIRQ:
                gic_set(g.edge, k * 16 + irq, (val >> (2 * irq + 1)) & 1)
    elif off == 0xf00:
        gic_send_sgi(g, cpu, val)
        return True
    elif 0xf10 <= off < 0xf20:
        for k in range(size):
            pc.sgi_sources[(off & 0xf) + k] &= ~((val >> (8 * k)) & 0xff)
    elif 0xf20 <= off < 0xf30:
        for k in range(size):
            pc.sgi_sources[(off & 0xf) + k] |= (val >> (8 * k)) & 0xff
    gic_update(g)
    return True


cdef bint gicc_read(void* dev, uint64_t off, uint32_t size, uint64_t* out) noexcept nogil:
    cdef GIC* g = <GIC*>dev
    cdef uint32_t cpu = gic_current_cpu(g)
    cdef GICCpu* pc = &g.cpu[cpu]
    cdef uint32_t v = 0, prio
    if off == 0x00:
        v = pc.ctlr
    elif off == 0x04:
        v = pc.pmr
    elif off == 0x08:
        v = pc.bpr
    elif off == 0x0c:
        v = gic_acknowledge(g, cpu)
    elif off == 0x14:
        v = pc.running if pc.running != GIC_IDLE_PRIORITY else 0xff
    elif off == 0x18:
        v = gic_best(g, cpu, &prio)
    elif off == 0xfc:
        v = 0x0202043b
    out[0] = v
    return True


cdef bint gicc_write(void* dev, uint64_t off, uint32_t size, uint64_t val64) noexcept nogil:
    cdef GIC* g = <GIC*>dev
    cdef uint32_t cpu = gic_current_cpu(g)
    cdef GICCpu* pc = &g.cpu[cpu]
    cdef uint32_t val = <uint32_t>val64
    if off == 0x00:
        pc.ctlr = val & 1
    elif off == 0x04:
        pc.pmr = val & 0xff
    elif off == 0x08:
        pc.bpr = val & 7
    elif off == 0x10:
        gic_end_of_interrupt(g, cpu, val)
        return True
    gic_update(g)
    return True


cdef void gic_reset(GIC* g, Mach* m) noexcept nogil:
    cdef uint32_t k
    memset(g, 0, sizeof(GIC))
    g.mach = m
    for k in range(MAX_CPUS):
        g.cpu[k].running = GIC_IDLE_PRIORITY
        g.cpu[k].enabled = 0xffff                # SGIs
        g.cpu[k].edge = 0xffff                 # SGIs are edge-triggered; PPIs level by default
