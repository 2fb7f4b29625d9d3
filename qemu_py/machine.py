"""Machine: a MachineConfig turned into a running virt board (memory map, devices, images)."""

from dataclasses import dataclass
from typing import Optional

from . import _core, cpus
from .board import virt
from .config import MachineConfig
from .errors import ConfigError


@dataclass
class RunResult:
    reason: str          # budget, poweroff, reset, exit, exception-loop, break, wfi
    executed: int        # instructions completed in this call


class Machine:
    """A virt machine. `Machine(MachineConfig(...))` or `Machine(cpu=..., memory=..., smp=...)`."""

    def __init__(self, config: Optional[MachineConfig] = None, **options):
        if config is None:
            config = MachineConfig(**options)
        if config.cpu not in cpus.MODELS:
            raise ConfigError(f"unknown CPU model '{config.cpu}'")
        self.config = config
        self.core = _core.Core(config.smp, virt.RAM_BASE, config.memory)
        self.core.map_gic(virt.GIC_DIST_BASE, virt.GIC_CPU_BASE)
        self.core.map_uart(virt.UART_BASE, virt.UART_IRQ)
        if config.icount_shift is not None:
            self.core.icount_shift = config.icount_shift
        self.core.semihosting = config.semihosting
        self.core.features = sum(_core.FEATURES[f] for f in cpus.FEATURES[config.cpu])
        for k in range(config.smp):
            self.core.set_cpu_ids(k, dict(cpus.MODELS[config.cpu], mpidr=cpus.mpidr(k)))
        self.output = bytearray()       # UART output not yet consumed by an output callback
        self.on_output = None           # callable(bytes) taking UART output as it comes

    @property
    def exit_code(self) -> int:
        return self.core.exit_code

    def write_phys(self, addr: int, data: bytes) -> None:
        self.core.write_phys(addr, data)

    def read_phys(self, addr: int, n: int) -> bytes:
        return self.core.read_phys(addr, n)

    def set_entry(self, pc: int, **regs: int) -> None:
        """Reset vCPU 0 to start at pc at EL1h with the given registers (x0=..., sp=...)."""
        self.core.reset_cpu(0, pc)
        for name, value in regs.items():
            self.core.set_reg(0, name, value)
        for k in range(1, self.config.smp):
            self.core.reset_cpu(k, 0, powered_on=False)

    def _drain(self) -> None:
        data = self.core.take_uart_output()
        if data:
            if self.on_output is not None:
                self.on_output(data)
            else:
                self.output += data

    def run(self, max_insns: int = 1 << 62, until_pc: Optional[int] = None) -> RunResult:
        """Run until the guest stops, `max_insns` instructions have completed, or vCPU 0 is
        about to execute `until_pc`."""
        self.core.break_pc = until_pc
        total = 0
        try:
            while True:
                reason, executed = self.core.run(max_insns - total)
                total += executed
                self._drain()
                if reason != "drain":
                    return RunResult(reason, total)
        finally:
            if until_pc is not None:
                self.core.break_pc = None

    def load(self, path: str) -> int:
        """Load an ELF image and point vCPU 0 at its entry. Returns the entry address."""
        from .loader import load_elf
        entry = load_elf(self.core, path)
        self.set_entry(entry)
        return entry
