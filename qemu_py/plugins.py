"""Native plugins: the -plugin option, loading, and the run's start and end.

The rules are those of plugin-api.md §4: `-plugin` parsing (§4.1), loading with the version
check and its one-line refusals (§4.2), ids (§4.3), start-up and atexit (§4.6). Plugins are
shared objects opened with cffi in ABI mode; the qemu_plugin_* functions they call are C
functions of the core (qemu_py/core/plugin_api.pxi), made global before the first plugin is
opened so the plugin's undefined references bind to them. Everything per instruction happens in
the core; this module only runs before and after.

    host = PluginHost(machine, outs_fd=2)
    host.load(parse_options(["./libinsn.so,inline=on"]))    # raises PluginError
    host.start()          # vCPU init callbacks, before the first instruction
    ... run the machine ...
    host.atexit()         # the plugins' reports
"""

import bisect
import os
import sys
from dataclasses import dataclass, field
from typing import List, Optional

from .errors import ConfigError, PluginError

PROG = "qemu-py-system"
MIN_VERSION = 2
CUR_VERSION = 5

HELP = "Plugin options\n  file=<path/to/plugin.so>\n  plugin specific arguments\n"

_BOOLEANS = ("on", "yes", "true", "y", "off", "no", "false", "n")

_CDEF = """
typedef struct qemu_info_t {
    const char *target_name;
    struct { int min; int cur; } version;
    bool system_emulation;
    union { struct { int smp_vcpus; int max_vcpus; } system; };
} qemu_info_t;
int qemu_plugin_install(uint64_t id, const qemu_info_t *info, int argc, char **argv);
extern int qemu_plugin_version;
"""

RTLD_NOW = os.RTLD_NOW
RTLD_LOCAL = os.RTLD_LOCAL
RTLD_GLOBAL = os.RTLD_GLOBAL
RTLD_NOLOAD = os.RTLD_NOLOAD


@dataclass
class PluginSpec:
    """One plugin of the command line: its path and its "key=value" arguments."""
    path: str
    args: List[str] = field(default_factory=list)


class PluginHelp(Exception):
    """-plugin help: print HELP and exit 0."""


# --- the -plugin option (§4.1) ---------------------------------------------------------------


def _split_items(text: str) -> List[str]:
    # QEMU option syntax: comma separated, ",," is a literal comma.
    items, cur, k = [], [], 0
    while k < len(text):
        ch = text[k]
        if ch == ",":
            if text[k + 1:k + 2] == ",":
                cur.append(",")
                k += 2
                continue
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        k += 1
    items.append("".join(cur))
    return items


def _warn(first: str, second: str) -> None:
    sys.stderr.write(f"{PROG}: warning: {first}\n{second}\n")


def parse_option(optarg: str, specs: List[PluginSpec]) -> None:
    """Add one -plugin option to specs (a path given again adds arguments to that plugin).
    Raises PluginHelp for `help`/`?`, ConfigError (`-plugin OPTARG: MESSAGE`) on bad syntax."""
    current: Optional[PluginSpec] = None
    for k, item in enumerate(_split_items(optarg)):
        if "=" in item:
            key, value = item.split("=", 1)
            if not key:
                raise ConfigError(f"-plugin {optarg}: Invalid parameter ''")
        elif k == 0:
            key, value = "file", item
        elif item.startswith("no"):
            key, value = item[2:], "off"
            _warn(f"short-form boolean option '{item}' deprecated",
                  f"Please use {key}=off instead")
        else:
            key, value = item, "on"
            _warn(f"short-form boolean option '{item}' deprecated",
                  f"Please use {key}=on instead")
        if value in ("help", "?"):
            raise PluginHelp()
        if key == "file":
            if not value:
                raise ConfigError(f"-plugin {optarg}: requires a non-empty argument")
            current = next((s for s in specs if s.path == value), None)
            if current is None:
                current = PluginSpec(value)
                specs.append(current)
            continue
        if current is None:
            raise ConfigError(f"-plugin {optarg}: missing earlier '-plugin file=' option")
        if key == "arg" and value not in _BOOLEANS:
            full = value if "=" in value else f"{value}=on"
            _warn(f"using 'arg={value}' is deprecated", f"Please use '{full}' directly")
            current.args.append(full)
            continue
        current.args.append(f"{key}={value}")


def parse_options(optargs: List[str]) -> List[PluginSpec]:
    specs: List[PluginSpec] = []
    for optarg in optargs:
        parse_option(optarg, specs)
    return specs


# --- ids (§4.3) ------------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1


def _xorshift64star(x: int) -> int:
    x ^= x >> 12
    x ^= (x << 25) & _MASK64
    x ^= x >> 27
    return (x * 2685821657736338717) & _MASK64


def plugin_id(k: int, taken=()) -> int:
    """The id of the k-th plugin loaded (1-based): opaque, non-zero, never reused."""
    x = _xorshift64star(k)
    while x == 0 or x in taken:
        x = _xorshift64star(x)
    return x


# --- loading (§4.2) --------------------------------------------------------------------------


def _dlerror(exc: Exception) -> str:
    # cffi wraps the loader's message: "cannot load library 'P': DLERROR.  Additionally, ...".
    text = exc.args[0] if exc.args else str(exc)
    if not isinstance(text, str):
        text = str(text)
    if "': " in text:
        text = text.split("': ", 1)[1]
    return text.split(".  Additionally,", 1)[0]


def _imports_insn_data(path: str) -> bool:
    # The known trap of version 2 (plugin-api.md §1.2): qemu_plugin_insn_data changed in 3.
    try:
        from elftools.elf.elffile import ELFFile
        with open(path, "rb") as f:
            dynsym = ELFFile(f).get_section_by_name(".dynsym")
            if dynsym is None:
                return False
            for sym in dynsym.iter_symbols():
                if sym.name == "qemu_plugin_insn_data" and sym["st_shndx"] == "SHN_UNDEF":
                    return True
    except Exception:
        return False
    return False


def _guest_symbols(path: Optional[str]):
    """Function symbols of a guest ELF image, QEMU's rule: STT_FUNC in a defined section."""
    if not path:
        return []
    try:
        from elftools.elf.elffile import ELFFile
        from elftools.elf.sections import SymbolTableSection
        out = []
        with open(path, "rb") as f:
            elf = ELFFile(f)
            for section in elf.iter_sections():
                if not isinstance(section, SymbolTableSection):
                    continue
                for sym in section.iter_symbols():
                    if sym["st_info"]["type"] != "STT_FUNC" or sym["st_shndx"] == "SHN_UNDEF":
                        continue
                    start = sym["st_value"]
                    out.append((start, start + sym["st_size"], sym.name.encode()))
        out.sort(key=lambda s: s[0])
        return out
    except Exception:
        return []


# nm's symbol type letters. Text (code) symbols name functions: t/T, and W (a weak symbol not
# marked as an object: in practice a weak function).
_NM_TYPES = b"AaBbCcDdGgIiNnPpRrSsTtUuVvWw-?"
_NM_TEXT = b"tTW"


def read_symbol_map(path: str):
    """Function symbols from `nm` output or a Linux System.map (-symbols FILE): lines
    `<hex address> <type> <name>` (a trailing `[module]`, as /proc/kallsyms has, is allowed;
    address-less lines of undefined symbols are skipped). Each text symbol (t, T, W) covers
    from its address up to the next symbol of any type at a higher address, absolute ones (a, A)
    aside; one with nothing after it covers its first instruction. Of several text symbols at
    one address the first listed names it. Returns (start, end, name bytes) sorted by start;
    raises ConfigError naming the file (and line) for anything else."""
    try:
        with open(path, "rb") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise ConfigError(f"-symbols {path}: {e.strerror or e}") from None
    bounds = []             # addresses where something starts (text or not)
    text = {}               # address -> name of the first text symbol there
    for number, raw in enumerate(lines, 1):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) == 2 and len(fields[0]) == 1 and fields[0] in b"Uvw":
            continue                        # undefined: nm prints no address
        ok = len(fields) >= 3 and len(fields[1]) == 1 and fields[1] in _NM_TYPES and \
            all(f.startswith(b"[") for f in fields[3:4])
        if ok:
            digits = fields[0][2:] if fields[0][:2].lower() == b"0x" else fields[0]
            ok = 0 < len(digits) <= 16 and all(c in b"0123456789abcdefABCDEF" for c in digits)
        if not ok or len(fields) > 4:
            shown = raw.decode(errors="replace").strip()
            raise ConfigError(f"-symbols {path}:{number}: cannot read '{shown}' (expected "
                              "'<hex address> <type> <name>', as nm prints)")
        address, kind, name = int(digits, 16), fields[1], fields[2]
        if kind in b"aA" or name.startswith((b"$x", b"$d")):
            continue                        # absolute values, AArch64 mapping symbols
        bounds.append(address)
        if kind in _NM_TEXT and address not in text:
            text[address] = name
    bounds = sorted(set(bounds))
    out = []
    for start in sorted(text):
        k = bisect.bisect_right(bounds, start)
        end = bounds[k] if k < len(bounds) else start + 4
        out.append((start, end, text[start]))
    return out


# Plugins loaded in this process so far: ids are never reused, even across machines.
_LOADED_IDS: List[int] = []


class PluginHost:
    """The plugins of one machine (one machine per process may have plugins at a time)."""

    def __init__(self, machine, outs_fd: int = 2, symbols_from: Optional[str] = None):
        import cffi
        from . import _core
        # insn_symbol: an explicit symbol map (-symbols) replaces the ELF image's symbols. Read
        # first, so that a bad map fails before anything is attached.
        symbol_map = getattr(machine.config, "symbols", None)
        symbols = read_symbol_map(symbol_map) if symbol_map else _guest_symbols(symbols_from)
        self._core_mod = _core
        self.machine = machine
        self.core = machine.core
        self.ffi = cffi.FFI()
        self.ffi.cdef(_CDEF)
        self.plugins = []           # (id, path, lib, argv keep-alive)
        self._started = False
        smp = machine.config.smp
        # Make the core's qemu_plugin_* functions global so plugins bind to them at dlopen.
        self._self = self.ffi.dlopen(_core.__file__, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL)
        _core.plugin_attach(self.core, smp, smp, outs_fd)
        self._setup_capstone()
        _core.plugin_set_symbols(symbols)
        # One zero-filled qemu_info_t shared by all plugins (valid during install).
        self._target = self.ffi.new("char[]", b"aarch64")
        self.info = self.ffi.new("qemu_info_t *")
        self.info.target_name = self._target
        self.info.version.min = MIN_VERSION
        self.info.version.cur = CUR_VERSION
        self.info.system_emulation = True
        self.info.system.smp_vcpus = smp
        self.info.system.max_vcpus = smp

    def _setup_capstone(self) -> None:
        # qemu_plugin_insn_disas uses the C library inside the capstone package, from C; opened
        # when a plugin first disassembles (importing capstone is slow, most plugins never do).
        self._core_mod.plugin_set_capstone_lazy(self._open_capstone)

    def _open_capstone(self) -> None:
        try:
            import capstone
            path = capstone._cs._name
            arch = getattr(capstone, "CS_ARCH_ARM64", getattr(capstone, "CS_ARCH_AARCH64", None))
            self._core_mod.plugin_set_capstone(
                os.fsencode(path), arch, capstone.CS_MODE_ARM, capstone.CS_OPT_SKIPDATA,
                capstone.CS_OPT_ON, capstone._cs_insn.mnemonic.offset,
                capstone._cs_insn.op_str.offset)
        except Exception:
            pass                    # no capstone: insn_disas returns NULL

    def _fail(self, path: str, message: str) -> None:
        raise PluginError(f"Could not load plugin {path}: {message}")

    def _open(self, path: str):
        try:
            return self.ffi.dlopen(path, RTLD_NOW | RTLD_LOCAL)
        except OSError as e:
            first = e
        if not path.endswith(".so") and not os.path.exists(path):
            try:
                return self.ffi.dlopen(path + ".so", RTLD_NOW | RTLD_LOCAL)
            except OSError:
                pass
        self._fail(path, _dlerror(first))

    def load_one(self, spec: PluginSpec) -> int:
        """Load and install one plugin; returns its id. Raises PluginError."""
        path = spec.path
        lib = self._open(path)
        try:
            install = lib.qemu_plugin_install
        except (AttributeError, KeyError) as e:
            self.ffi.dlclose(lib)
            self._fail(path, _dlerror(e))
        if self.ffi.cast("void *", install) == self.ffi.NULL:
            self.ffi.dlclose(lib)
            self._fail(path, "qemu_plugin_install is NULL")
        try:
            version = lib.qemu_plugin_version
        except (AttributeError, KeyError):
            self.ffi.dlclose(lib)
            self._fail(path, "plugin does not declare API version (no qemu_plugin_version "
                             f"symbol); qemu_py accepts API versions {MIN_VERSION} to {CUR_VERSION}")
        if not MIN_VERSION <= version <= CUR_VERSION:
            self.ffi.dlclose(lib)
            self._fail(path, f"plugin requires API version {version}, but qemu_py accepts API "
                             f"versions {MIN_VERSION} to {CUR_VERSION}")
        if version == 2 and _imports_insn_data(path):
            self.ffi.dlclose(lib)
            self._fail(path, "plugin declares API version 2 but uses qemu_plugin_insn_data, "
                             "whose signature changed in version 3; rebuild it against this header")
        pid = plugin_id(len(_LOADED_IDS) + 1, set(_LOADED_IDS))
        _LOADED_IDS.append(pid)
        # argv stays valid while the plugin is loaded: keep the strings with it.
        strings = [self.ffi.new("char[]", a.encode()) for a in spec.args]
        argv = self.ffi.new("char *[]", strings + [self.ffi.NULL])
        self._core_mod.plugin_begin_install(pid)
        rc = install(pid, self.info, len(strings), argv)
        fatal, uninstalled = self._core_mod.plugin_end_install(pid, rc)
        if fatal is not None:
            raise PluginError(fatal)
        if uninstalled:
            raise PluginError(f"Could not load plugin {path}: Calling qemu_plugin_uninstall from "
                              "the install function is a bug. Instead, return !0 from the "
                              "install function.")
        if rc != 0:
            self.ffi.dlclose(lib)
            self._fail(path, f"qemu_plugin_install returned error code {rc}")
        self.plugins.append((pid, path, lib, (strings, argv)))
        return pid

    def load(self, specs: List[PluginSpec]) -> None:
        """Load the plugins in command-line order; the first failure raises PluginError (those
        installed before it still report at exit)."""
        for spec in specs:
            self.load_one(spec)

    def start(self) -> None:
        """After all installs, before the first guest instruction."""
        if not self._started:
            self._started = True
            self._core_mod.plugin_start(self.core)

    def atexit(self) -> None:
        """The end of the run: the atexit callbacks (reports), once."""
        self._core_mod.plugin_atexit()

    def close(self) -> None:
        """The reports (if not given yet), then the plugins are done with: another machine may
        load plugins. (Freeing the machine does the same.)"""
        self._core_mod.plugin_detach(self.core)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_outs(log_file: Optional[str], log=None) -> int:
    """The descriptor plugin output goes to: the -D file (sharing the -d log's if it is open),
    else stderr. Kept open until the process ends, so reports made at exit still get there."""
    if log_file is None:
        return 2
    stream = getattr(log, "stream", None)
    if stream is not None and getattr(log, "_own", False):
        stream.flush()
        return os.dup(stream.fileno())
    try:
        return os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except OSError as e:
        raise ConfigError(f"-D {log_file}: cannot open log file: {e.strerror}") from None
