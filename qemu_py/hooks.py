"""Python hooks: call Python at the plugin runtime's event points (core/pyhooks.pxi).

    m.hook_code(fn, 0x40001000)               # fn(cpu, pc) before that instruction
    m.hook_code(fn, begin, end)               # ... before each instruction in [begin, end]
    m.hook_block(fn)                          # fn(cpu, pc, n_insns) as each block starts
    m.hook_mem(fn, begin, end, access="w")    # fn(cpu, address, size, is_write, value) after
    m.hook_exception(fn)                      # fn(cpu, kind, from_pc, to_pc) on entry
    m.hook_mmio(fn, 0x09000000, 0x09000fff)   # fn(cpu, paddr, size, is_write, value)
    m.hook_idle(fn) / m.hook_resume(fn)       # fn(cpu) as a vCPU stops / starts running

Costs: nothing until a hook is registered. A code hook changes only the blocks holding its
addresses (the rest run as before); a block hook calls Python once per block; a memory hook
makes every load and store take the slow path (filtered in C, Python only for the range); a
device-access hook costs only device accesses. Ranges are inclusive.

In a hook the vCPU's registers are current and may be changed (a code or block hook that sets
the pc sends the vCPU there instead of running the instruction). Machine.stop() ends the run:
before the instruction for code and block hooks (the next run starts with it, without calling
its hooks again), after the instruction for memory hooks, after the exception entry for
exception hooks, at the end of the current block for device hooks. An exception raised in a
hook ends the run the same way and propagates from run() with its traceback. A hook may not
run the machine, take or restore snapshots.
"""

from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Union

from . import _core

if TYPE_CHECKING:
    from .machine import Machine

_MAX = (1 << 64) - 1
_ACCESS = {"r": ("read",), "w": ("write",), "rw": ("read", "write")}
_EXC_KINDS = ("exception", "interrupt", "hostcall")


class Hook:
    """A registered hook: `remove()` unregisters it (also from inside a hook)."""

    def __init__(self, machine: "Machine", kind: str, fn: Callable[..., Any], begin: int,
                 end: int, handle: int):
        self._machine = machine
        self.kind = kind
        self.fn = fn
        self.begin = begin
        self.end = end
        self._handle: Optional[int] = handle

    @property
    def active(self) -> bool:
        """True until remove() is called."""
        return self._handle is not None

    def remove(self) -> None:
        """Unregister the hook; it is not called again. Removing it twice is harmless."""
        if self._handle is not None:
            self._machine.core.hook_remove(self._handle)
            self._machine._hooks.remove(self)
            self._handle = None

    def __repr__(self) -> str:
        where = "" if (self.begin, self.end) == (0, _MAX) else \
            f" {self.begin:#x}" + ("" if self.begin == self.end else f"-{self.end:#x}")
        state = "" if self.active else " (removed)"
        return f"<{self.kind} hook{where} -> {getattr(self.fn, '__name__', self.fn)}{state}>"


def _range(begin: Optional[int], end: Optional[int]):
    if begin is None and end is None:
        return 0, _MAX
    if begin is None:
        begin = 0
    if end is None:
        end = begin
    if not 0 <= begin <= end <= _MAX:
        raise ValueError(f"bad address range {begin:#x}-{end:#x}")
    return begin, end


class HooksMixin:
    """Machine's hook methods (see the module docstring)."""

    core: Any
    _hooks: list

    def _add_hook(self, kind: str, fn: Callable, begin: int, end: int, flags: int = 0) -> Hook:
        if not callable(fn):
            raise TypeError(f"a hook must be callable, not {type(fn).__name__}")
        handle = self.core.hook_add(kind, fn, begin, end, flags)
        hook = Hook(self, kind, fn, begin, end, handle)
        self._hooks.append(hook)
        return hook

    def hook_code(self, fn: Callable[..., Any], begin: Optional[int] = None,
                  end: Optional[int] = None) -> Hook:
        """fn(cpu, pc) before each instruction at a virtual address in [begin, end] (one
        address when only `begin` is given; every instruction when neither is)."""
        return self._add_hook("code", fn, *_range(begin, end))

    def hook_block(self, fn: Callable[..., Any], begin: Optional[int] = None,
                   end: Optional[int] = None) -> Hook:
        """fn(cpu, pc, n_insns) before each translation block whose first instruction is in
        [begin, end] (all blocks by default). A block is the run of instructions up to a branch,
        as the plugin API counts them."""
        return self._add_hook("block", fn, *_range(begin, end))

    def hook_mem(self, fn: Callable[..., Any], begin: Optional[int] = None,
                 end: Optional[int] = None, access: str = "rw", physical: bool = False) -> Hook:
        """fn(cpu, address, size, is_write, value) after each data access overlapping
        [begin, end]: `access` "r", "w" or "rw"; virtual addresses unless `physical`. The value
        is the one loaded or stored (an int; 16-byte accesses give 128 bits)."""
        if access not in _ACCESS:
            raise ValueError(f"access must be 'r', 'w' or 'rw', not {access!r}")
        flags = sum(_core.HOOK_FLAGS[a] for a in _ACCESS[access])
        if physical:
            flags |= _core.HOOK_FLAGS["physical"]
        return self._add_hook("mem", fn, *_range(begin, end), flags)

    def hook_exception(self, fn: Callable[..., Any],
                       kinds: Union[str, Iterable[str]] = _EXC_KINDS) -> Hook:
        """fn(cpu, kind, from_pc, to_pc) as the vCPU enters an exception ("exception": a
        synchronous one, SVC, an abort...; "interrupt": IRQ), or comes back from a host call
        ("hostcall": PSCI, semihosting), as the plugin API's discontinuities. The vCPU is at
        to_pc, with ESR/ELR/FAR/SPSR set."""
        kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        bad = [k for k in kinds if k not in _EXC_KINDS]
        if bad or not kinds:
            raise ValueError(f"kinds are among {_EXC_KINDS}, not {tuple(kinds)!r}")
        flags = sum(_core.HOOK_FLAGS[k] for k in set(kinds))
        return self._add_hook("exception", fn, 0, _MAX, flags)

    def hook_mmio(self, fn: Callable[..., Any], begin: Optional[int] = None,
                  end: Optional[int] = None, access: str = "rw") -> Hook:
        """fn(cpu, paddr, size, is_write, value) after each device register access at a
        physical address in [begin, end] (the UART, the GIC, Python devices)."""
        if access not in _ACCESS:
            raise ValueError(f"access must be 'r', 'w' or 'rw', not {access!r}")
        flags = sum(_core.HOOK_FLAGS[a] for a in _ACCESS[access])
        return self._add_hook("mmio", fn, *_range(begin, end), flags)

    def hook_idle(self, fn: Callable[..., Any]) -> Hook:
        """fn(cpu) when a vCPU stops running: it waits for an interrupt (WFI) or is off."""
        return self._add_hook("idle", fn, 0, _MAX)

    def hook_resume(self, fn: Callable[..., Any]) -> Hook:
        """fn(cpu) when a vCPU that was idle runs again."""
        return self._add_hook("resume", fn, 0, _MAX)

    @property
    def hooks(self) -> List[Hook]:
        """The hooks registered now."""
        return list(self._hooks)

    def remove_hooks(self) -> None:
        """Remove every hook."""
        for hook in list(self._hooks):
            hook.remove()

    def stop(self) -> None:
        """From a hook or a Python device: end the current run (reason "stopped"). See the
        module docstring for where exactly the vCPU stops."""
        self.core.request_stop()
