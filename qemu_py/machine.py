"""Machine: a MachineConfig turned into a running virt board (memory map, devices, images), and
the library's way in: registers, memory, running, stepping, breakpoints, the UART.

    m = Machine(cpu="cortex-a57", memory="256M")
    m.load("guest.elf")
    result = m.run(max_insns=1_000_000)
    print(result.reason, m.cpus[0].regs.pc, m.uart.read())
"""

import enum
import gc
from dataclasses import dataclass
from typing import Any, Callable, Iterable, List, Optional, Union

import os
import tempfile

from . import _core, cpus, fdt, loader, snapshot
from .board import virt
from .config import MachineConfig, memory_size, rtc_seconds
from .devices import DevicesMixin
from .errors import ConfigError, PluginError, SnapshotError
from .hooks import HooksMixin
from .state import CPU, READ_ONLY, SYSREGS, PhysicalMemory
from .uart import UART, OutputSink, OutputStream

# No limit: run() runs until the guest stops, a breakpoint or a hook.
_FOREVER = 1 << 62
# While more UART input waits than the core's queue holds, runs are cut into slices this long
# to top the queue up (deterministic: the slices start where the run starts).
_INPUT_SLICE = 100_000
# The core's refusal to give the plugin runtime to this machine's hooks (core/pyhooks.pxi).
_RUNTIME_TAKEN = "native plugins are loaded on another machine"


class StopReason(str, enum.Enum):
    """Why run() or step() returned. The values are strings, so `reason == "break"` works."""
    BUDGET = "budget"                   # max_insns instructions completed
    TIMEOUT = "timeout"                 # timeout_insns completed before anything else stopped it
    STEP = "step"                       # step(): one instruction completed
    BREAK = "break"                     # at until_pc or a breakpoint, before executing it
    EXCEPTION = "exception"             # step(): an exception was entered instead
    STOPPED = "stopped"                 # a hook or Python device called Machine.stop()
    POWEROFF = "poweroff"               # PSCI SYSTEM_OFF
    RESET = "reset"                     # PSCI SYSTEM_RESET (call reset() to go on)
    EXIT = "exit"                       # semihosting exit: see exit_code
    EXCEPTION_LOOP = "exception-loop"   # exceptions again and again with nothing completing
    WFI = "wfi"                         # every vCPU waits for an interrupt that cannot come
    PLUGIN = "plugin"                   # a native plugin's request
    IDLE = "idle"                       # core.pace_idle is on and every vCPU waits for a timer

    def __str__(self) -> str:
        return self.value


@dataclass
class RunResult:
    """What a run did: why it stopped, how many instructions completed (all vCPUs), and the
    vCPU that ran last with its pc (for a breakpoint: the breakpoint's address)."""
    reason: StopReason
    executed: int
    cpu: int = 0
    pc: int = 0

    def __repr__(self) -> str:
        return (f"RunResult(reason={self.reason.value!r}, executed={self.executed}, "
                f"cpu={self.cpu}, pc={self.pc:#x})")


class Machine(HooksMixin, DevicesMixin):
    """A virt machine.

    `Machine(cpu="cortex-a57", memory="256M", smp=1)`, or `Machine(MachineConfig(...))`. Other
    keywords are MachineConfig's fields (kernel=, initrd=, append=, dtb=, semihosting=, ...).
    The fields only the command line acts on (serial, log_items, log_file, plugins, no_reboot)
    are kept but not acted on here: use add_plugin(), set_log_mask() and on_log, uart.
    With a kernel the images are loaded and vCPU 0 waits at their entry; otherwise vCPU 0 is
    at its reset state (EL1h, MMU off, pc 0) and the other vCPUs are off until PSCI CPU_ON.

    State: `cpus[k]` (registers, system registers, virtual memory), `memory` (physical RAM),
    `uart`. Running: run(), step(), breakpoints, stop(). Hooks: hook_code(), hook_block(),
    hook_mem(), hook_exception(), hook_mmio(), hook_idle(), hook_resume() (qemu_py/hooks.py).
    Python devices: map_device() (qemu_py/devices.py). Snapshots: snapshot(), restore(),
    save(), load_state(). Native plugins: add_plugin(), plugin_output, finish_plugins()."""

    def __init__(self, config: Optional[MachineConfig] = None, **options: Any) -> None:
        if config is None:
            if "memory" in options:
                options["memory"] = memory_size(options["memory"])
            unknown = set(options) - set(MachineConfig.__dataclass_fields__)
            if unknown:
                raise ConfigError(f"unknown machine option(s): {', '.join(sorted(unknown))} "
                                  "(see qemu_py.MachineConfig)")
            config = MachineConfig(**options)
        elif options:
            raise ConfigError("give either a MachineConfig or keyword options, not both")
        else:
            config.memory = memory_size(config.memory)
        _validate(config)
        rtc_start = rtc_seconds(config.rtc_base)
        self.config = config
        try:
            self.core = _core.Core(config.smp, virt.RAM_BASE, config.memory)
        except MemoryError:
            raise ConfigError(f"cannot set up guest memory: {config.memory} bytes "
                              "could not be allocated") from None
        self.core.map_gic(virt.GIC_DIST_BASE, virt.GIC_CPU_BASE)
        self.core.map_uart(virt.UART_BASE, virt.UART_IRQ)
        self.core.map_rtc(virt.RTC_BASE, virt.RTC_IRQ, rtc_start)
        if config.icount_shift is not None and config.icount_shift >= 0:   # -1: shift=auto
            self.core.icount_shift = config.icount_shift
        self.core.semihosting = config.semihosting
        self.core.features = sum(_core.FEATURES[f] for f in cpus.FEATURES[config.cpu])
        for k in range(config.smp):
            self.core.set_cpu_ids(k, dict(cpus.MODELS[config.cpu], mpidr=cpus.mpidr(k)))
        for k in range(1, config.smp):
            self.core.reset_cpu(k, 0, powered_on=False)     # waiting for PSCI CPU_ON
        self.cpus: List[CPU] = [CPU(self, k) for k in range(config.smp)]
        self.memory = PhysicalMemory(self.core)
        self.uart = UART(self.core)
        self.semihosting_console = OutputStream()   # semihosting SYS_WRITE0/WRITEC/WRITE
        self.on_log: Optional[Callable] = None      # callable(events) taking -d events
        self._hooks: list = []
        self._py_devices: list = []
        self._running = False
        self._plugin_host = None
        self._plugin_out = None
        self.core.hooks_init(self.cpus)
        self.boot_image: Optional[loader.BootImage] = None
        if config.kernel is not None:
            self._boot(config.kernel, config.initrd, config.dtb)

    # --- images --------------------------------------------------------------------------------

    def load(self, path: str) -> int:
        """Load a kernel (ELF, arm64 Image or raw binary) the way -kernel does and point vCPU 0
        at its entry with the registers its boot protocol sets. Returns the entry address."""
        return self.load_kernel(path)

    def load_kernel(self, kernel: str, initrd: Optional[str] = None, append: str = "",
                    dtb: Optional[str] = None) -> int:
        """As -kernel/-initrd/-append/-dtb: load the images, generate the device tree (unless
        `dtb` names one) with `append` as the kernel command line, and point vCPU 0 at the
        entry. Returns the entry address. Raises ConfigError for a bad or missing file."""
        self.config.kernel, self.config.initrd = kernel, initrd
        self.config.append, self.config.dtb = append, dtb
        return self._boot(kernel, initrd, dtb)

    def _boot(self, kernel: str, initrd: Optional[str], dtb: Optional[str]) -> int:
        self.boot_image = loader.load_kernel(kernel, virt.RAM_BASE, self.config.memory,
                                             initrd=initrd, dtb=dtb)
        if dtb is None:
            self._add_generated_dtb(self.boot_image)
        self._install(self.boot_image)
        return self.boot_image.entry

    def _add_generated_dtb(self, boot: loader.BootImage) -> None:
        # The device tree describing this configuration, where the loader says it goes.
        cfg = self.config
        initrd = None
        if boot.initrd_size:
            initrd = (boot.initrd_start, boot.initrd_start + boot.initrd_size)
        blob = fdt.build_dtb(cfg.smp, cfg.memory, cpus.COMPATIBLE[cfg.cpu], cfg.append, initrd)
        loader.place_dtb(boot, blob, virt.RAM_BASE, cfg.memory)

    def _install(self, boot: loader.BootImage) -> None:
        for addr, blob in boot.blobs:
            self.core.write_phys(addr, blob)
        self.set_entry(boot.entry, **boot.regs)

    def set_entry(self, pc: int, **regs: int) -> None:
        """Reset vCPU 0 to start at pc at EL1h with the given registers (x0=..., sp=...,
        vbar_el1=...: X0-X30, sp, or a system register by name, values masked to 64 bits);
        the other vCPUs wait, off, for PSCI CPU_ON. Raises KeyError for an unknown or
        read-only register name, before changing anything."""
        fields = {name: _entry_register(name) for name in regs}
        self.core.reset_cpu(0, pc & _MASK64)
        for name, value in regs.items():
            self.core.set_reg(0, fields[name], value & _MASK64)
        for k in range(1, self.config.smp):
            self.core.reset_cpu(k, 0, powered_on=False)

    def reset(self) -> None:
        """A system reset (PSCI SYSTEM_RESET): every vCPU back to its reset state and the
        images copied into RAM again, as QEMU reloads its ROM blobs. RAM is otherwise kept."""
        for k in range(self.config.smp):
            self.core.reset_cpu(k, 0)
        if self.boot_image is not None:
            self._install(self.boot_image)

    # --- state ---------------------------------------------------------------------------------

    @property
    def exit_code(self) -> int:
        """The status the guest exited with through semihosting (SYS_EXIT); 0 until then."""
        return self.core.exit_code

    def write_phys(self, addr: int, data: bytes) -> None:
        """Same as memory.write()."""
        self.memory.write(addr, data)

    def read_phys(self, addr: int, n: int) -> bytes:
        """Same as memory.read()."""
        return self.memory.read(addr, n)

    @property
    def on_output(self) -> Optional[OutputSink]:
        """Same as uart.on_output."""
        return self.uart.on_output

    @on_output.setter
    def on_output(self, sink: Optional[OutputSink]) -> None:
        self.uart.on_output = sink

    @property
    def on_semihosting_output(self) -> Optional[OutputSink]:
        """Same as semihosting_console.on_output."""
        return self.semihosting_console.on_output

    @on_semihosting_output.setter
    def on_semihosting_output(self, sink: Optional[OutputSink]) -> None:
        self.semihosting_console.on_output = sink

    @property
    def semihosting_output(self) -> bytes:
        """Same as semihosting_console.output."""
        return self.semihosting_console.output

    def set_log_mask(self, items: Union[int, str, Iterable[str]]) -> None:
        """Which events the core records, as -d does: item names ("in_asm", "exec", "int"; a
        list, or one string with commas), or the core's bits (_core.LOG_FLAGS). The events go
        to on_log, a callable taking a list of (kind, cpu, pc, a, b, c, d) tuples, between run
        slices: kind "trans" (a block translated), "exec" (a block about to run),
        "exception" (an exception taken) or "hostcall" (a semihosting call). Raises
        ConfigError for an unknown item."""
        if isinstance(items, int):
            self.core.log_mask = items
            return
        names = items.split(",") if isinstance(items, str) else list(items)
        unknown = [n for n in names if n not in _core.LOG_FLAGS]
        if unknown:
            raise ConfigError(f"unknown log item(s) {', '.join(map(repr, unknown))} (the core "
                              f"records {', '.join(sorted(_core.LOG_FLAGS))})")
        self.core.log_mask = sum(_core.LOG_FLAGS[n] for n in set(names))

    # --- snapshots -----------------------------------------------------------------------------

    def snapshot(self) -> "snapshot.Snapshot":
        """The machine's state now, in memory: vCPUs, devices (and Python devices with
        save_state()), virtual time, RAM. A run resumed from it with restore() continues
        exactly as the original did. Output the guest made before is delivered first, so it
        is neither lost nor repeated."""
        self._not_running("take a snapshot")
        self._drain()
        return snapshot.capture(self)

    def restore(self, snap: "snapshot.Snapshot") -> None:
        """Put the machine back in a snapshot's state (from snapshot(), or Snapshot.load()
        of a file). Raises SnapshotError if it is of a machine with another configuration
        (CPU model, memory, vCPUs, ...) or another core layout. Breakpoints and hooks stay as
        they are; output already delivered stays so."""
        if not isinstance(snap, snapshot.Snapshot):
            raise TypeError(f"restore() takes a Snapshot (from snapshot() or Snapshot.load(path)), "
                            f"not {type(snap).__name__}")
        self._not_running("restore a snapshot")
        snapshot.check_compatible(snap, self)
        self._drain()
        snapshot.apply(self, snap)
        self.core.forget_hook_resume()

    def save(self, path: str) -> None:
        """Write a snapshot of the machine to a file (RAM's non-zero pages, compressed)."""
        snapshot.write(self.snapshot(), path)

    @classmethod
    def load_state(cls, path: str) -> "Machine":
        """A new machine in the state saved to `path` by save(), with the configuration it
        had. Raises SnapshotError for a truncated or altered file, another format version or
        another core layout."""
        snap = snapshot.read(path)
        options = {k: v for k, v in snap.config.items() if k in MachineConfig.__dataclass_fields__}
        images = {k: options.pop(k, None) for k in ("kernel", "initrd", "dtb")}
        options["plugins"] = [(p, list(a)) for p, a in options.get("plugins", [])]
        for name in ("semihosting_args", "log_items"):
            options[name] = tuple(options.get(name, ()))
        try:
            machine = cls(MachineConfig(**options))
        except (ConfigError, TypeError) as e:
            raise SnapshotError(f"snapshot file '{path}': its machine cannot be made here: "
                                f"{e}") from None
        for name, value in images.items():       # what was booted, for the record and reset()
            setattr(machine.config, name, value)
        snapshot.check_compatible(snap, machine)
        snapshot.apply(machine, snap)
        return machine

    def _not_running(self, what: str) -> None:
        if self._running:
            raise RuntimeError(f"cannot {what} from inside a hook or device of a running "
                               "machine: call stop() and do it after run() returns")

    # --- breakpoints ---------------------------------------------------------------------------

    def add_breakpoint(self, addr: int) -> None:
        """Stop any vCPU before it executes the instruction at virtual address `addr`. A run
        that starts on a breakpoint executes it (so run() again continues). Blocks of
        translated code end at breakpoints, so any number of them costs nothing per
        instruction."""
        self.core.add_breakpoint(_address(addr, "breakpoint"))

    def remove_breakpoint(self, addr: int) -> None:
        """Raises KeyError if there is no breakpoint at addr."""
        if not self.core.remove_breakpoint(_address(addr, "breakpoint")):
            raise KeyError(f"no breakpoint at {addr:#x}")

    @property
    def breakpoints(self) -> List[int]:
        """The breakpoint addresses, in order."""
        return self.core.breakpoints()

    # --- running -------------------------------------------------------------------------------

    def run(self, max_insns: Optional[int] = None, until_pc: Optional[int] = None,
            timeout_insns: Optional[int] = None) -> RunResult:
        """Run the vCPUs until the guest stops (power off, exit, an exception loop, every vCPU
        waiting forever), a breakpoint or `until_pc` is reached (before executing it), a hook
        calls stop(), or an instruction limit is reached: `max_insns` (reason "budget") or
        `timeout_insns` (reason "timeout": the same limit, named as a failure to get where
        the caller wanted). Instructions are counted over all vCPUs. An exception raised in a
        hook or Python device ends the run and propagates with its traceback."""
        limit, limit_reason = _FOREVER, StopReason.BUDGET
        if max_insns is not None:
            if max_insns < 0:
                raise ValueError("max_insns must not be negative")
            limit = max_insns
        if timeout_insns is not None and timeout_insns < limit:
            if timeout_insns < 0:
                raise ValueError("timeout_insns must not be negative")
            limit, limit_reason = timeout_insns, StopReason.TIMEOUT
        added = until_pc is not None and self.core.add_breakpoint(_address(until_pc, "until_pc"))
        try:
            return self._run(limit, limit_reason)
        finally:
            if added:
                self.core.remove_breakpoint(until_pc)

    def step(self, cpu: int = 0) -> RunResult:
        """Run exactly one instruction on vCPU `cpu` (the others do not run). Reason "step"
        when it completed; "exception" when an exception was entered instead (the instruction
        faulted, or an interrupt was pending): the vCPU is then at the vector, nothing of the
        handler run. Breakpoints do not stop a step."""
        only = cpu if self.config.smp > 1 else -1
        if not 0 <= cpu < self.config.smp:
            raise IndexError(f"no vCPU {cpu}")
        return self._run(1, StopReason.STEP, stop_on_exception=True, only_cpu=only)

    def _run(self, limit: int, limit_reason: StopReason, stop_on_exception: bool = False,
             only_cpu: int = -1) -> RunResult:
        self._not_running("run the machine")
        if self._plugin_host is not None:
            self._plugin_host.start()       # the plugins' vCPU init, before the first run
        self._running = True
        try:
            return self._run_slices(limit, limit_reason, stop_on_exception, only_cpu)
        finally:
            self._running = False

    def _run_slices(self, limit: int, limit_reason: StopReason, stop_on_exception: bool,
                    only_cpu: int) -> RunResult:
        core = self.core
        total = 0
        while True:
            self.uart._feed()
            budget = limit - total
            if self.uart._input:
                budget = min(budget, _INPUT_SLICE)      # more than the core's queue holds
            is_slice = budget < limit - total
            try:
                reason, executed = core.run(budget, stop_on_exception, only_cpu, is_slice)
            except PluginError as e:
                if total or _RUNTIME_TAKEN not in str(e) or not gc.collect():
                    raise
                # The plugin runtime may be held by a machine that is garbage: collected now.
                reason, executed = core.run(budget, stop_on_exception, only_cpu, is_slice)
            finally:
                error = core.take_hook_error()
            total += executed
            self._drain()
            if error is not None:
                raise error                 # from a hook or device, with its traceback
            if reason == "drain":
                continue
            if reason == "hook":
                reason = "stopped"
            if reason == "budget":
                if total < limit:
                    continue                # a slice for UART input, not the limit
                reason = limit_reason
            elif reason == "wfi" and self.uart._input:
                before = self.uart.pending_input
                self.uart._feed()
                if self.uart.pending_input < before:
                    continue                # the input the guest waited for is there now
            k = core.current_cpu
            return RunResult(StopReason(reason), total, k, core.get_reg(k, "pc"))

    def _drain(self) -> None:
        self.semihosting_console._deliver(self.core.take_semihosting_output())
        self.uart._deliver(self.core.take_uart_output())
        if self.core.log_mask:
            events = self.core.take_log()
            if events and self.on_log is not None:
                self.on_log(events)

    # --- native plugins --------------------------------------------------------------------------

    def add_plugin(self, path: str, **args: Any) -> int:
        """Load a native plugin (a QEMU TCG plugin .so) as -plugin does: `args` are its
        arguments (True/False become on/off), e.g. add_plugin("libhotblocks.so", inline=True).
        Returns its plugin id. What it writes (qemu_plugin_outs) is collected: see
        plugin_output and finish_plugins(). Plugins are added before the first run with
        plugins or hooks; one machine per process has native plugins. Raises PluginError."""
        from .plugins import PluginHost, PluginSpec
        self._not_running("add a plugin")
        if self.core.plugins_started():
            raise PluginError("add native plugins before the machine first runs with plugins "
                              "or hooks (their vCPU start-up events have been sent)")
        if self._plugin_host is None:
            self.core.release_plugin_runtime()
            out = tempfile.TemporaryFile()
            try:
                self._plugin_host = PluginHost(self, out.fileno(), symbols_from=self.config.kernel)
            except RuntimeError as e:
                out.close()
                raise PluginError(str(e)) from None
            self._plugin_out = out
        words = [f"{k}={'on' if v is True else 'off' if v is False else v}"
                 for k, v in args.items()]
        return self._plugin_host.load_one(PluginSpec(os.fspath(path), words))

    @property
    def plugin_output(self) -> str:
        """Everything the native plugins wrote so far (their qemu_plugin_outs)."""
        if self._plugin_out is None:
            return ""
        fd = self._plugin_out.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")

    def finish_plugins(self) -> str:
        """End the plugins: their exit callbacks (where most print their reports) run once,
        and the plugin machinery is free for another machine. Returns plugin_output."""
        self._not_running("finish the plugins")
        if self._plugin_host is not None:
            self._plugin_host.close()
        return self.plugin_output

    def __repr__(self) -> str:
        cfg = self.config
        return (f"<Machine virt -cpu {cfg.cpu} -m {cfg.memory >> 20}M -smp {cfg.smp}"
                f"{' -kernel ' + cfg.kernel if cfg.kernel else ''}>")


def _validate(config: MachineConfig) -> None:
    if config.machine != "virt":
        raise ConfigError(f"unsupported machine type '{config.machine}' (only 'virt')")
    if config.cpu not in cpus.MODELS:
        raise ConfigError(f"unable to find CPU model '{config.cpu}' "
                          f"(available: {', '.join(sorted(cpus.MODELS))})")
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


_MASK64 = (1 << 64) - 1
# Registers set_entry takes besides the system registers (the core's names for them).
_ENTRY_REGS = frozenset([f"x{n}" for n in range(31)] + ["sp", "pc", "nzcv", "daif", "el",
                                                        "spsel", "sp_el0", "sp_el1"])


def _address(addr: int, what: str) -> int:
    if not 0 <= addr <= _MASK64:
        raise ValueError(f"{what} {addr:#x} is not a 64-bit virtual address")
    return addr


def _entry_register(name: str) -> str:
    # The core's field for a register set_entry is given.
    key = name.lower()
    if key in _ENTRY_REGS:
        return key
    if key in SYSREGS and key not in READ_ONLY:
        return SYSREGS[key]
    raise KeyError(f"set_entry: unknown or read-only register {name!r} (x0-x30, sp, or a "
                   "system register: see SystemRegisters.names())")


def _core_max_cpus() -> int:
    return getattr(_core, "MAX_CPUS", 8)
