"""The device tree the guest reads, generated for the machine's configuration.

It describes what the virt board has, at the addresses qemu_py/board/virt.py gives: memory, the
CPUs (started with PSCI), the PSCI node, the GICv2, the generic timer, the PL031 real-time clock,
the PL011, their clock, and /chosen (command line, initrd, console). The blob format is the `fdt` package's.
"""

from typing import Optional, Tuple

import fdt

from .board import virt

# GIC interrupt specifier cells: type (0 SPI, 1 PPI), number, flags.
GIC_SPI = 0
GIC_PPI = 1
IRQ_LEVEL_HIGH = 4
IRQ_EDGE_RISING = 1

PHANDLE_GIC = 1
PHANDLE_CLK = 2


def _node(name: str, *props) -> fdt.Node:
    node = fdt.Node(name)
    for prop in props:
        node.append(prop)
    return node


def _reg(base: int, size: int) -> list:
    return [base >> 32, base & 0xFFFFFFFF, size >> 32, size & 0xFFFFFFFF]


def build_dtb(ncpus: int, ram_size: int, cpu_compatible: str, bootargs: str = "",
              initrd: Optional[Tuple[int, int]] = None) -> bytes:
    """The flattened device tree blob for this configuration. `initrd` is (start, end)."""
    tree = fdt.FDT()
    root = tree.root
    root.append(fdt.PropWords("interrupt-parent", PHANDLE_GIC))
    root.append(fdt.PropWords("#address-cells", 2))
    root.append(fdt.PropWords("#size-cells", 2))
    root.append(fdt.PropStrings("compatible", "linux,dummy-virt"))
    root.append(fdt.PropStrings("model", "qemu_py virt"))

    root.append(_node(
        "psci",
        fdt.PropStrings("compatible", "arm,psci-1.0", "arm,psci-0.2", "arm,psci"),
        fdt.PropStrings("method", "hvc"),
        fdt.PropWords("cpu_suspend", 0xC4000001),
        fdt.PropWords("cpu_off", 0x84000002),
        fdt.PropWords("cpu_on", 0xC4000003),
        fdt.PropWords("migrate", 0xC4000005),
    ))

    root.append(_node(f"memory@{virt.RAM_BASE:x}",
                      fdt.PropStrings("device_type", "memory"),
                      fdt.PropWords("reg", *_reg(virt.RAM_BASE, ram_size))))

    cpus = _node("cpus", fdt.PropWords("#address-cells", 1), fdt.PropWords("#size-cells", 0))
    for k in range(ncpus):
        cpus.append(_node(f"cpu@{k}",
                          fdt.PropStrings("device_type", "cpu"),
                          fdt.PropStrings("compatible", cpu_compatible),
                          fdt.PropWords("reg", k),
                          fdt.PropStrings("enable-method", "psci")))
    root.append(cpus)

    # PPI flags carry the mask of CPUs they reach in bits 15:8.
    ppi_flags = (((1 << ncpus) - 1) << 8) | IRQ_LEVEL_HIGH
    root.append(_node(
        "timer",
        fdt.PropStrings("compatible", "arm,armv8-timer", "arm,armv7-timer"),
        # secure physical, non-secure physical, virtual, hypervisor: PPIs 13, 14, 11, 10
        fdt.PropWords("interrupts", GIC_PPI, 13, ppi_flags, GIC_PPI, 14, ppi_flags,
                      GIC_PPI, 11, ppi_flags, GIC_PPI, 10, ppi_flags),
        fdt.Property("always-on"),
    ))

    root.append(_node(
        f"intc@{virt.GIC_DIST_BASE:x}",
        fdt.PropStrings("compatible", "arm,cortex-a15-gic"),
        fdt.PropWords("#interrupt-cells", 3),
        fdt.Property("interrupt-controller"),
        fdt.PropWords("reg", *_reg(virt.GIC_DIST_BASE, 0x10000), *_reg(virt.GIC_CPU_BASE, 0x10000)),
        fdt.PropWords("phandle", PHANDLE_GIC),
    ))

    root.append(_node(
        "apb-pclk",
        fdt.PropStrings("compatible", "fixed-clock"),
        fdt.PropWords("#clock-cells", 0),
        fdt.PropWords("clock-frequency", 24000000),
        fdt.PropStrings("clock-output-names", "clk24mhz"),
        fdt.PropWords("phandle", PHANDLE_CLK),
    ))

    root.append(_node(
        f"pl031@{virt.RTC_BASE:x}",
        fdt.PropStrings("compatible", "arm,pl031", "arm,primecell"),
        fdt.PropWords("reg", *_reg(virt.RTC_BASE, 0x1000)),
        fdt.PropWords("interrupts", GIC_SPI, virt.RTC_IRQ, IRQ_LEVEL_HIGH),
        fdt.PropWords("clocks", PHANDLE_CLK),
        fdt.PropStrings("clock-names", "apb_pclk"),
    ))

    uart_name = f"pl011@{virt.UART_BASE:x}"
    root.append(_node(
        uart_name,
        fdt.PropStrings("compatible", "arm,pl011", "arm,primecell"),
        fdt.PropWords("reg", *_reg(virt.UART_BASE, 0x1000)),
        fdt.PropWords("interrupts", GIC_SPI, virt.UART_IRQ, IRQ_LEVEL_HIGH),
        fdt.PropWords("clocks", PHANDLE_CLK, PHANDLE_CLK),
        fdt.PropStrings("clock-names", "uartclk", "apb_pclk"),
    ))

    chosen = _node("chosen", fdt.PropStrings("stdout-path", "/" + uart_name))
    if bootargs:
        chosen.append(fdt.PropStrings("bootargs", bootargs))
    if initrd is not None:
        chosen.append(fdt.PropWords("linux,initrd-start", *divmod(initrd[0], 1 << 32)))
        chosen.append(fdt.PropWords("linux,initrd-end", *divmod(initrd[1], 1 << 32)))
    root.append(chosen)
    return tree.to_dtb(version=17)


def check_dtb(data: bytes) -> None:
    """Raise ValueError unless `data` parses as a flattened device tree."""
    if len(data) < 40 or data[:4] != b"\xd0\x0d\xfe\xed":
        raise ValueError("not a flattened device tree (bad magic)")
    try:
        fdt.parse_dtb(data)
    except Exception as e:          # the fdt package raises several kinds
        raise ValueError(f"malformed device tree ({e})") from None
