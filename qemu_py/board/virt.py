"""The virt board's memory map (QEMU's hw/arm/virt layout, so guests made for it run here)."""

GIC_DIST_BASE = 0x08000000
GIC_CPU_BASE = 0x08010000
UART_BASE = 0x09000000
UART_IRQ = 1                 # SPI number of the PL011
RTC_BASE = 0x09010000
RTC_IRQ = 2                  # SPI number of the PL031
RAM_BASE = 0x40000000
RAM_MAX = 255 * 1024 ** 3    # RAM may not exceed what the map leaves above RAM_BASE
