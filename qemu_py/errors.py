"""The exceptions qemu_py raises. Each carries a one-line message fit for the command line."""


class QemuPyError(Exception):
    """Base class of qemu_py's errors."""


class ConfigError(QemuPyError):
    """A bad option, file or machine configuration, found before the guest runs."""


class GuestError(QemuPyError):
    """The guest ended in a state it cannot leave (an exception loop, a wait with no wake-up)."""


class PluginError(QemuPyError):
    """A native plugin could not be loaded, or misused the plugin API (the run stops)."""
