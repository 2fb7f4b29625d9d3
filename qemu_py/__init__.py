"""qemu_py: an AArch64 full-system emulator with a Cython core and QEMU-compatible plugins.

As a library:

    import qemu_py
    m = qemu_py.Machine(cpu="cortex-a57", memory="256M")
    m.load("guest.elf")
    result = m.run(max_insns=10_000_000)
    print(result.reason, hex(m.cpus[0].regs.pc), m.uart.read())

See docs/library.md.
"""

import os as _os

from .config import MachineConfig
from .errors import (ConfigError, GuestError, MemoryAccessError, PluginError, QemuPyError,
                     SnapshotError)
from .machine import Machine, RunResult, StopReason
from .snapshot import Snapshot
from .state import CPU, PhysicalMemory, Registers, SystemRegisters
from .uart import UART

__all__ = ["Machine", "MachineConfig", "RunResult", "StopReason", "CPU", "Registers",
           "SystemRegisters", "PhysicalMemory", "UART", "Snapshot", "QemuPyError", "ConfigError",
           "GuestError", "MemoryAccessError", "PluginError", "SnapshotError", "get_include"]
__version__ = "0.1.0"


def get_include() -> str:
    """The folder holding plugin.h and qemu-plugin.h, for building native plugins."""
    return _os.path.dirname(_os.path.abspath(__file__))
