"""qemu_py: an AArch64 full-system emulator with a Cython core and QEMU-compatible plugins."""

import os as _os

from .config import MachineConfig
from .errors import ConfigError, GuestError, QemuPyError
from .machine import Machine, RunResult

__all__ = ["Machine", "MachineConfig", "RunResult", "QemuPyError", "ConfigError", "GuestError",
           "get_include"]
__version__ = "0.1.0"


def get_include() -> str:
    """The folder holding plugin.h and qemu-plugin.h, for building native plugins."""
    return _os.path.dirname(_os.path.abspath(__file__))
