"""MachineConfig: everything the command line (or a library user) chooses about a machine."""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple


@dataclass
class MachineConfig:
    machine: str = "virt"
    cpu: str = "cortex-a57"
    memory: int = 128 * 1024 * 1024          # bytes
    smp: int = 1
    gic_version: int = 2                    # -M virt,gic-version=N
    kernel: Optional[str] = None
    initrd: Optional[str] = None
    append: str = ""
    dtb: Optional[str] = None
    serial: str = "stdio"                   # "stdio", "mon:stdio" or "none"
    semihosting: bool = False
    semihosting_args: Tuple[str, ...] = ()  # -semihosting-config arg=... (the guest's command line)
    log_items: Tuple[str, ...] = ()         # -d items
    log_file: Optional[str] = None          # -D
    plugins: List[Tuple[str, List[str]]] = field(default_factory=list)  # (path, ["k=v", ...])
    icount_shift: Optional[int] = None      # -icount shift=N; -1 for shift=auto
    no_reboot: bool = False
