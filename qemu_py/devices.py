"""Python devices: a window of the physical address space whose registers are a Python object.

    class Counter:
        def __init__(self):
            self.value = 0
        def read(self, offset: int, size: int) -> int:
            return self.value
        def write(self, offset: int, size: int, value: int) -> None:
            self.value += value

    m.map_device(0x0a000000, 0x1000, Counter())

The guest's loads and stores in the window call read(offset, size) (the result is cut to
`size` bytes) and write(offset, size, value); offsets are from the window's base, sizes 1, 2,
4 or 8. The core's own devices stay C; only accesses to this window enter Python. An exception
in read or write abandons the guest instruction making the access (the vCPU stays before it)
and propagates from run() with its traceback. Machine.stop() from a device ends the run at the
end of the current block.

A device that has save_state() -> bytes and load_state(bytes) is part of snapshots.
"""

from typing import Any, Dict, List, Optional, Tuple

from .errors import ConfigError, SnapshotError


class DevicesMixin:
    """Machine's Python device methods."""

    core: Any
    _py_devices: List[Tuple[str, int, int, Any]]

    def map_device(self, base: int, size: int, device: Any, name: Optional[str] = None) -> str:
        """Map `device` (an object with read(offset, size) and write(offset, size, value)) at
        physical addresses [base, base + size). Returns its name (for snapshots: `name`, or
        its base address in hex). Raises ConfigError if the window overlaps RAM or another
        device."""
        for method in ("read", "write"):
            if not callable(getattr(device, method, None)):
                raise ConfigError(f"a Python device needs a {method}() method "
                                  f"({type(device).__name__} has none)")
        if size <= 0 or base < 0 or base + size > 1 << 64:
            raise ConfigError(f"bad device window {base:#x} + {size:#x}")
        end = base + size
        ram = (self.core.ram_base, self.core.ram_base + self.core.ram_size)
        windows = [(ram[0], ram[1], "RAM")]
        windows += [(b, b + s, n) for b, s, n in self.core.regions()]
        for lo, hi, what in windows:
            if base < hi and lo < end:
                raise ConfigError(f"device window {base:#x}-{end - 1:#x} overlaps {what} at "
                                  f"{lo:#x}-{hi - 1:#x}")
        name = name if name is not None else f"{base:#x}"
        if any(n == name for n, _, _, _ in self._py_devices):
            raise ConfigError(f"a Python device named {name!r} is mapped already")
        try:
            self.core.map_python_device(base, size, device)
        except ValueError as e:
            raise ConfigError(f"cannot map the device at {base:#x}: {e}") from None
        self._py_devices.append((name, base, size, device))
        return name

    @property
    def devices(self) -> Dict[str, Any]:
        """The Python devices by name."""
        return {name: dev for name, _, _, dev in self._py_devices}

    def _python_device_states(self) -> Dict[str, bytes]:
        out = {}
        for name, _, _, dev in self._py_devices:
            save = getattr(dev, "save_state", None)
            if callable(save):
                state = save()
                if not isinstance(state, (bytes, bytearray)):
                    raise TypeError(f"Python device {name!r}: save_state() must return bytes")
                out[name] = bytes(state)
        return out

    def _check_python_device_states(self, states: Dict[str, bytes]) -> None:
        mine = {name for name, _, _, dev in self._py_devices
                if callable(getattr(dev, "load_state", None))}
        if set(states) - mine:
            raise SnapshotError("the snapshot holds the state of Python devices this machine "
                                f"does not have (with load_state): {sorted(set(states) - mine)}")

    def _set_python_device_states(self, states: Dict[str, bytes]) -> None:
        for name, _, _, dev in self._py_devices:
            if name in states:
                dev.load_state(states[name])
