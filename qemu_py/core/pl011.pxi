# The PL011 UART (Arm PrimeCell UART, r1p5): transmit straight to the machine's output buffer,
# a receive FIFO fed by the host, the flag register and the interrupt registers.

cdef enum:
    UART_DR = 0x000
    UART_RSR = 0x004
    UART_FR = 0x018
    UART_ILPR = 0x020
    UART_IBRD = 0x024
    UART_FBRD = 0x028
    UART_LCR_H = 0x02c
    UART_CR = 0x030
    UART_IFLS = 0x034
    UART_IMSC = 0x038
    UART_RIS = 0x03c
    UART_MIS = 0x040
    UART_ICR = 0x044
    UART_DMACR = 0x048

cdef enum:
    FR_RXFE = 1 << 4
    FR_TXFF = 1 << 5
    FR_RXFF = 1 << 6
    FR_TXFE = 1 << 7
    INT_RX = 1 << 4
    INT_TX = 1 << 5
    INT_RT = 1 << 6
    LCR_FEN = 1 << 4
    CR_UARTEN = 1 << 0
    CR_RXE = 1 << 9
    UART_FIFO_DEPTH = 16
    UART_HOST_IN_SIZE = 4096    # bytes the host has sent that wait for room in the FIFO

# PeriphID0-3 then PCellID0-3.
cdef uint8_t[8] PL011_ID = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]


cdef struct PL011:
    Mach* mach
    uint32_t lcr_h, cr, ifls, imsc, ris, ibrd, fbrd, ilpr, dmacr, rsr
    uint8_t rx_fifo[UART_FIFO_DEPTH]
    uint32_t rx_head, rx_count
    uint32_t irq_level          # the line to the interrupt controller
    bint irq_driven             # the guest has written IMSC: it reads on the RX interrupt
    int irq_spi                 # its interrupt number there, -1 when not wired
    void* gic
    # The library's input (Core.queue_uart_input): moved into the FIFO as the guest makes
    # room, so when it arrives depends only on what the guest does.
    uint8_t host_in[UART_HOST_IN_SIZE]
    uint32_t host_head, host_count


cdef inline uint32_t pl011_rx_capacity(PL011* u) noexcept nogil:
    return UART_FIFO_DEPTH if u.lcr_h & LCR_FEN else 1


cdef void pl011_update_irq(PL011* u) noexcept nogil:
    cdef uint32_t level = 1 if (u.ris & u.imsc) else 0
    if level != u.irq_level and u.gic != NULL and u.irq_spi >= 0:
        gic_set_irq(<GIC*>u.gic, 0, 32 + u.irq_spi, level)
    u.irq_level = level


cdef bint pl011_rx_ready(PL011* u) noexcept nogil:
    # The host holds its bytes until the guest listens and has room for them. A guest that polls
    # (never touches IMSC) listens once reception is enabled. A guest that reads on the receive
    # interrupt listens only while that interrupt is unmasked and enabled at the GIC: Linux
    # empties the FIFO and throws the bytes away each time it opens the port, before it unmasks
    # the interrupt (with reception already enabled), and would lose what came in earlier.
    if not ((u.cr & CR_UARTEN) and (u.cr & CR_RXE)) or u.rx_count >= pl011_rx_capacity(u):
        return False
    if not u.irq_driven:
        return True
    if not (u.imsc & (INT_RX | INT_RT)):
        return False
    return u.gic == NULL or u.irq_spi < 0 or gic_bit((<GIC*>u.gic).enabled, 32 + u.irq_spi)


cdef void pl011_rx_push(PL011* u, uint8_t ch) noexcept nogil:
    if u.rx_count >= pl011_rx_capacity(u):
        return
    u.rx_fifo[(u.rx_head + u.rx_count) % UART_FIFO_DEPTH] = ch
    u.rx_count += 1
    u.ris |= INT_RX
    pl011_update_irq(u)


cdef void pl011_refill(PL011* u) noexcept nogil:
    while u.host_count and pl011_rx_ready(u):
        pl011_rx_push(u, u.host_in[u.host_head])
        u.host_head = (u.host_head + 1) % UART_HOST_IN_SIZE
        u.host_count -= 1


cdef uint32_t pl011_queue_input(PL011* u, const uint8_t* data, uint32_t n) noexcept nogil:
    # Returns how many bytes the host queue took.
    cdef uint32_t k = 0
    while k < n and u.host_count < UART_HOST_IN_SIZE:
        u.host_in[(u.host_head + u.host_count) % UART_HOST_IN_SIZE] = data[k]
        u.host_count += 1
        k += 1
    pl011_refill(u)
    return k


cdef void uart_output(Mach* m, uint8_t ch) noexcept nogil:
    if m.uart_out_len < UART_OUT_SIZE:
        m.uart_out[m.uart_out_len] = ch
        m.uart_out_len += 1
    if m.uart_out_len >= UART_OUT_SIZE - 16:
        m.stop_reason = STOP_DRAIN


cdef bint pl011_read(void* dev, uint64_t off, uint32_t size, uint64_t* out) noexcept nogil:
    cdef PL011* u = <PL011*>dev
    cdef uint32_t v = 0
    cdef uint32_t fr
    if off == UART_DR:
        if u.rx_count:
            v = u.rx_fifo[u.rx_head]
            u.rx_head = (u.rx_head + 1) % UART_FIFO_DEPTH
            u.rx_count -= 1
        if u.rx_count == 0:
            u.ris &= ~(<uint32_t>(INT_RX | INT_RT))
        pl011_refill(u)
        pl011_update_irq(u)
    elif off == UART_RSR:
        v = u.rsr
    elif off == UART_FR:
        fr = FR_TXFE
        if u.rx_count == 0:
            fr |= FR_RXFE
        if u.rx_count >= pl011_rx_capacity(u):
            fr |= FR_RXFF
        v = fr
    elif off == UART_ILPR:
        v = u.ilpr
    elif off == UART_IBRD:
        v = u.ibrd
    elif off == UART_FBRD:
        v = u.fbrd
    elif off == UART_LCR_H:
        v = u.lcr_h
    elif off == UART_CR:
        v = u.cr
    elif off == UART_IFLS:
        v = u.ifls
    elif off == UART_IMSC:
        v = u.imsc
    elif off == UART_RIS:
        v = u.ris
    elif off == UART_MIS:
        v = u.ris & u.imsc
    elif off == UART_DMACR:
        v = u.dmacr
    elif off >= 0xfe0 and off < 0x1000:
        # PeriphID0-3 and PCellID0-3.
        v = PL011_ID[(off - 0xfe0) >> 2]
    out[0] = v
    return True


cdef bint pl011_write(void* dev, uint64_t off, uint32_t size, uint64_t val) noexcept nogil:
    cdef PL011* u = <PL011*>dev
    cdef uint32_t v = <uint32_t>val
    if off == UART_DR:
        uart_output(u.mach, v & 0xff)
        u.ris |= INT_TX
    elif off == UART_RSR:
        u.rsr = 0
    elif off == UART_ILPR:
        u.ilpr = v
    elif off == UART_IBRD:
        u.ibrd = v
    elif off == UART_FBRD:
        u.fbrd = v
    elif off == UART_LCR_H:
        if (u.lcr_h ^ v) & LCR_FEN:
            u.rx_count = 0      # switching FIFO mode empties it, as on the real part
        u.lcr_h = v
    elif off == UART_CR:
        u.cr = v
    elif off == UART_IFLS:
        u.ifls = v
    elif off == UART_IMSC:
        u.imsc = v
        u.irq_driven = True
    elif off == UART_ICR:
        u.ris &= ~v
    elif off == UART_DMACR:
        u.dmacr = v
    if u.host_count and (off == UART_CR or off == UART_LCR_H or off == UART_IMSC):
        pl011_refill(u)         # reception enabled or unmasked, or the FIFO grew
    pl011_update_irq(u)
    return True


cdef void pl011_reset(PL011* u, Mach* m) noexcept nogil:
    memset(u, 0, sizeof(PL011))
    u.mach = m
    u.irq_spi = -1
    u.cr = 0x300        # TXE and RXE set, UART disabled
    u.ifls = 0x12
