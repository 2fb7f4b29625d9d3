"""Booting Linux as the arm64 boot protocol says: the Image at a 2 MiB aligned base plus its
text_offset, the initrd after it, the device tree at the start of RAM, x0 = the DTB address,
the other vCPUs held off until PSCI CPU_ON."""

from dataclasses import dataclass
from typing import Optional

from . import fdt
from .board import virt
from .errors import ConfigError
from .loader import ArmImage

MIB = 1 << 20
DTB_MAX = 2 * MIB           # the DTB sits in the first 2 MiB, below the kernel


@dataclass
class BootLayout:
    kernel_addr: int
    dtb_addr: int
    initrd_start: Optional[int] = None
    initrd_end: Optional[int] = None


def plan_layout(ram_size: int, image: ArmImage, initrd_size: Optional[int]) -> BootLayout:
    """Where each piece goes in RAM; a ConfigError if they do not fit."""
    kernel_addr = virt.RAM_BASE + DTB_MAX + image.text_offset
    kernel_end = kernel_addr + max(image.image_size, len(image.data))
    layout = BootLayout(kernel_addr=kernel_addr, dtb_addr=virt.RAM_BASE)
    if kernel_end > virt.RAM_BASE + ram_size:
        raise ConfigError(f"kernel ({kernel_end - kernel_addr} bytes) does not fit in "
                          f"{ram_size // MIB} MiB of RAM")
    if initrd_size is not None:
        start = (kernel_end + 2 * MIB - 1) & ~(2 * MIB - 1)
        if start + initrd_size > virt.RAM_BASE + ram_size:
            raise ConfigError(f"initrd ({initrd_size} bytes) does not fit in RAM after the "
                              f"kernel ({ram_size // MIB} MiB of RAM)")
        layout.initrd_start, layout.initrd_end = start, start + initrd_size
    return layout


def boot_linux(machine, image: ArmImage, initrd: Optional[bytes], dtb: Optional[bytes],
               cpu_compatible: str) -> BootLayout:
    """Place kernel, initrd and DTB in the machine's RAM and start vCPU 0 at the kernel."""
    config = machine.config
    layout = plan_layout(config.memory, image, None if initrd is None else len(initrd))
    if dtb is None:
        initrd_range = None if initrd is None else (layout.initrd_start, layout.initrd_end)
        dtb = fdt.build_dtb(config.smp, config.memory, cpu_compatible, config.append, initrd_range)
    if len(dtb) > DTB_MAX:
        raise ConfigError(f"device tree is {len(dtb)} bytes; at most {DTB_MAX} fit")
    machine.write_phys(layout.kernel_addr, image.data)
    if initrd is not None:
        machine.write_phys(layout.initrd_start, initrd)
    machine.write_phys(layout.dtb_addr, dtb)
    # Boot protocol: x0 = DTB, x1-x3 = 0, MMU off, EL1, interrupts masked.
    machine.set_entry(layout.kernel_addr, x0=layout.dtb_addr)
    return layout
