"""Machine: a MachineConfig turned into a running virt board (memory map, devices, images)."""

from dataclasses import dataclass
from typing import Optional

from . import _core, cpus, fdt, loader
from .board import virt
from .config import MachineConfig
from .errors import ConfigError


@dataclass
class RunResult:
    reason: str          # budget, poweroff, reset, exit, exception-loop, break, wfi
    executed: int        # instructions completed in this call


class Machine:
    """A virt machine. `Machine(MachineConfig(...))` or `Machine(cpu=..., memory=..., smp=...)`.
    With `config.kernel` set, the images are loaded and vCPU 0 waits at their entry."""

    def __init__(self, config: Optional[MachineConfig] = None, **options):
        if config is None:
            config = MachineConfig(**options)
        _validate(config)
        self.config = config
        try:
            self.core = _core.Core(config.smp, virt.RAM_BASE, config.memory)
        except MemoryError:
            raise ConfigError(f"cannot set up guest memory: {config.memory} bytes "
                              "could not be allocated") from None
        self.core.map_gic(virt.GIC_DIST_BASE, virt.GIC_CPU_BASE)
        self.core.map_uart(virt.UART_BASE, virt.UART_IRQ)
        if config.icount_shift is not None and config.icount_shift >= 0:   # -1: shift=auto
            self.core.icount_shift = config.icount_shift
        self.core.semihosting = config.semihosting
        self.core.features = sum(_core.FEATURES[f] for f in cpus.FEATURES[config.cpu])
        for k in range(config.smp):
            self.core.set_cpu_ids(k, dict(cpus.MODELS[config.cpu], mpidr=cpus.mpidr(k)))
        self.output = bytearray()       # UART output not yet consumed by an output callback
        self.on_output = None           # callable(bytes) taking UART output as it comes
        self.semihosting_output = bytearray()   # the semihosting console's, likewise
        self.on_semihosting_output = None
        self.on_log = None              # callable(events) taking -d events as they come
        self.boot_image: Optional[loader.BootImage] = None
        if config.kernel is not None:
            self.boot_image = loader.load_kernel(config.kernel, virt.RAM_BASE, config.memory,
                                                 initrd=config.initrd, dtb=config.dtb)
            if config.dtb is None:
                self._add_generated_dtb(self.boot_image)
            self._install(self.boot_image)

    def _add_generated_dtb(self, boot: loader.BootImage) -> None:
        # The device tree describing this configuration, where the loader says it goes.
        cfg = self.config
        initrd = None
        if boot.initrd_size:
            initrd = (boot.initrd_start, boot.initrd_start + boot.initrd_size)
        blob = fdt.build_dtb(cfg.smp, cfg.memory, cpus.COMPATIBLE[cfg.cpu], cfg.append, initrd)
        loader.place_dtb(boot, blob, virt.RAM_BASE, cfg.memory)

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

    def set_log_mask(self, mask: int) -> None:
        """Which events the core records for -d (bits of _core.LOG_FLAGS)."""
        self.core.log_mask = mask

    def _drain(self) -> None:
        semi = self.core.take_semihosting_output()
        if semi:
            if self.on_semihosting_output is not None:
                self.on_semihosting_output(semi)
            else:
                self.semihosting_output += semi
        data = self.core.take_uart_output()
        if data:
            if self.on_output is not None:
                self.on_output(data)
            else:
                self.output += data
        if self.core.log_mask:
            events = self.core.take_log()
            if events and self.on_log is not None:
                self.on_log(events)

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
        """Load a kernel (ELF, arm64 Image or raw binary) and point vCPU 0 at its entry with the
        registers its boot protocol sets. Returns the entry address."""
        self.boot_image = loader.load_kernel(path, virt.RAM_BASE, self.config.memory)
        self._install(self.boot_image)
        return self.boot_image.entry

    def reset(self) -> None:
        """A system reset (PSCI SYSTEM_RESET): every vCPU back to its reset state and the
        images copied into RAM again, as QEMU reloads its ROM blobs. RAM is otherwise kept."""
        for k in range(self.config.smp):
            self.core.reset_cpu(k, 0)
        if self.boot_image is not None:
            self._install(self.boot_image)

    def _install(self, boot: loader.BootImage) -> None:
        for addr, blob in boot.blobs:
            self.core.write_phys(addr, blob)
        self.set_entry(boot.entry, **boot.regs)


def _validate(config: MachineConfig) -> None:
    if config.machine != "virt":
        raise ConfigError(f"unsupported machine type '{config.machine}' (only 'virt')")
    if config.cpu not in cpus.MODELS:
        raise ConfigError(f"unable to find CPU model '{config.cpu}'")
    if not 1 <= config.smp <= _core_max_cpus():
        raise ConfigError(f"invalid number of vCPUs {config.smp}: the virt machine takes "
                          f"1 to {_core_max_cpus()}")
    if config.memory <= 0:
        raise ConfigError("RAM size must be greater than zero")
    if config.memory % 4096:
        raise ConfigError(f"RAM size {config.memory} is not a multiple of 4 KiB")
    if config.memory > virt.RAM_MAX:
        raise ConfigError(f"RAM size {config.memory >> 20} MiB is more than the virt machine "
                          f"maps ({virt.RAM_MAX >> 30} GiB)")


def _core_max_cpus() -> int:
    return getattr(_core, "MAX_CPUS", 8)
