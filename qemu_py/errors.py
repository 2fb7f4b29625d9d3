"""The exceptions qemu_py raises. Each carries a one-line message fit for the command line."""


class QemuPyError(Exception):
    """Base class of qemu_py's errors."""


class ConfigError(QemuPyError):
    """A bad option, file or machine configuration, found before the guest runs."""


class GuestError(QemuPyError):
    """The guest ended in a state it cannot leave (an exception loop, a wait with no wake-up)."""


class PluginError(QemuPyError):
    """A native plugin could not be loaded, or misused the plugin API (the run stops)."""


class MemoryAccessError(QemuPyError):
    """A library read or write of guest memory that cannot be made: outside RAM, or a virtual
    address the vCPU's MMU would fault on. `address` is the address asked for, `fault` a short
    description of why."""

    def __init__(self, message: str, address: int = 0, fault: str = ""):
        super().__init__(message)
        self.address = address
        self.fault = fault


class SnapshotError(QemuPyError):
    """A snapshot that cannot be restored: truncated or corrupt, written by another format
    version, or for a machine of another configuration."""
