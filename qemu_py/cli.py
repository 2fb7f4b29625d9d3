"""qemu-py-system: QEMU's command line for the virt machine.

argv -> MachineConfig (parse) -> Machine -> the run loop (run). Every bad input ends as one line
on stderr, `qemu-py-system: ...`, and exit status 1, as QEMU reports them.
"""

import os
import re
import signal
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from .config import MachineConfig, rtc_seconds
from .console import Quit
from .errors import ConfigError, GuestError, QemuPyError

PROG = "qemu-py-system"
SLICE = 1 << 21                 # guest instructions between looks at stdin and the output

MACHINES = {"virt": "QEMU's Arm virtual machine (the only one qemu_py has)"}
CPU_MODELS = ("cortex-a57", "max")
MAX_SMP = 8

# -M virt properties: accepted values, or None for any value. Those qemu_py cannot honour are
# refused when asked for; the rest only change things qemu_py does not model.
_ON_OFF = ("on", "off", "true", "false", "yes", "no")
VIRT_PROPERTIES: Dict[str, Optional[Tuple[str, ...]]] = {
    "gic-version": ("2", "3", "host", "max"),
    "virtualization": _ON_OFF, "secure": _ON_OFF, "mte": _ON_OFF, "highmem": _ON_OFF,
    "highmem-ecam": _ON_OFF, "highmem-mmio": _ON_OFF, "highmem-redists": _ON_OFF,
    "compact-highmem": _ON_OFF, "its": _ON_OFF, "ras": _ON_OFF, "acpi": ("on", "off", "auto"),
    "iommu": ("none", "smmuv3", "virtio"), "default-bus-bypass-iommu": _ON_OFF,
    "dump-guest-core": _ON_OFF, "mem-merge": _ON_OFF, "usb": _ON_OFF, "graphics": _ON_OFF,
    "suppress-vmdesc": _ON_OFF, "accel": ("tcg",), "memory-backend": None,
    "x-oem-id": None, "x-oem-table-id": None, "kernel-irqchip": _ON_OFF + ("split",),
}
# Properties that must stay off: EL2, EL3 and MTE are not implemented.
VIRT_MUST_BE_OFF = ("virtualization", "secure", "mte")


class UsageError(ConfigError):
    """A bad command line."""


def _truth(value: str) -> bool:
    return value in ("on", "true", "yes")


def _split_opts(text: str) -> List[str]:
    # QEMU option lists: comma separated, ",," is a literal comma.
    parts, cur, k = [], "", 0
    while k < len(text):
        if text[k] == ",":
            if text[k + 1:k + 2] == ",":
                cur += ","
                k += 2
                continue
            parts.append(cur)
            cur = ""
        else:
            cur += text[k]
        k += 1
    parts.append(cur)
    return parts


def _keyvals(opt: str, arg: str, implied: Optional[str]) -> List[Tuple[str, str]]:
    """`a=1,b=2` (the first item may be bare, standing for implied=value)."""
    out = []
    for k, part in enumerate(_split_opts(arg)):
        if "=" in part:
            key, value = part.split("=", 1)
        elif k == 0 and implied is not None:
            key, value = implied, part
        else:
            raise UsageError(f"-{opt} {arg}: invalid parameter '{part}' (expected key=value)")
        if not key:
            raise UsageError(f"-{opt} {arg}: empty parameter name")
        out.append((key, value))
    return out


_SIZE = re.compile(r"^(0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?)([bBkKmMgGtTpPeE]?)$")
_UNITS = {"b": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}


def parse_size(opt: str, text: str, default_unit: str = "m") -> int:
    """A size as -m reads it: a number, MiB unless a B/K/M/G/T/P/E suffix says otherwise."""
    m = _SIZE.match(text.strip())
    if not m:
        raise UsageError(f"-{opt} {text}: Parameter 'size' expects a non-negative number "
                         "below 2^64 (optional suffix K, M, G, T, P or E)")
    num, unit = m.groups()
    shift = _UNITS[(unit or default_unit).lower()]
    if num.lower().startswith("0x"):
        value = int(num, 16) << shift
    else:
        whole, _, frac = num.partition(".")
        value = (int(whole) << shift) + (int(frac or "0") << shift) // 10 ** len(frac or "0")
        if frac and ((int(frac) << shift) % 10 ** len(frac)):
            raise UsageError(f"-{opt} {text}: not a whole number of bytes")
    if value >= 1 << 64:
        raise UsageError(f"-{opt} {text}: Parameter 'size' expects a non-negative number "
                         "below 2^64")
    return value


def _int(opt: str, arg: str, name: str, text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise UsageError(f"-{opt} {arg}: Parameter '{name}' expects an integer") from None


@dataclass
class Options:
    """What the command line asked for beyond the machine itself."""
    config: MachineConfig
    nographic: bool = False
    serial_given: bool = False
    info: Optional[str] = None          # text to print instead of running (help, version)


# --- the options ---------------------------------------------------------------------------


def _opt_machine(o: Options, arg: str) -> None:
    pairs = _keyvals("machine", arg, implied="type")
    props = {}
    for key, value in pairs:
        if key == "type":
            name = value
            if name == "help" or name == "?":
                o.info = "Supported machines are:\n" + "".join(
                    f"{n:<20} {d}\n" for n, d in MACHINES.items())
                return
            if not (name == "virt" or re.fullmatch(r"virt-\d+\.\d+", name)):
                raise UsageError(f"-machine {arg}: unsupported machine type '{name}' "
                                 "(-machine help lists them)")
            o.config.machine = "virt"
            continue
        if key not in VIRT_PROPERTIES:
            raise UsageError(f"-machine {arg}: Property 'virt.{key}' not found")
        allowed = VIRT_PROPERTIES[key]
        if allowed is not None and value not in allowed:
            raise UsageError(f"-machine {arg}: invalid value '{value}' for '{key}' "
                             f"(expected {', '.join(allowed)})")
        props[key] = value
    for key in VIRT_MUST_BE_OFF:
        if key in props and _truth(props[key]):
            raise UsageError(f"-machine {arg}: {key}={props[key]} is not supported: "
                             "qemu_py implements EL0 and EL1 only" if key != "mte" else
                             f"-machine {arg}: mte={props[key]} is not supported")
    if "gic-version" in props:
        o.config.gic_version = 2 if props["gic-version"] == "2" else 3


def _opt_cpu(o: Options, arg: str) -> None:
    name = arg.split(",", 1)[0]
    if name in ("help", "?"):
        o.info = "Available CPUs:\n" + "".join(f"  {n}\n" for n in CPU_MODELS)
        return
    if name not in CPU_MODELS:
        raise UsageError(f"-cpu {arg}: unable to find CPU model '{name}'")
    if "," in arg:
        raise UsageError(f"-cpu {arg}: CPU properties are not supported")
    o.config.cpu = name


def _opt_m(o: Options, arg: str) -> None:
    size = None
    for key, value in _keyvals("m", arg, implied="size"):
        if key == "size":
            size = parse_size("m", value)
        elif key in ("slots", "maxmem"):
            pass                        # memory hotplug is not modelled
        else:
            raise UsageError(f"-m {arg}: Invalid parameter '{key}'")
    if size is None:
        raise UsageError(f"-m {arg}: missing 'size'")
    if size == 0:
        raise UsageError(f"-m {arg}: RAM size must be greater than zero")
    if size % 4096:
        raise UsageError(f"-m {arg}: RAM size must be a multiple of 4 KiB")
    o.config.memory = size


def _opt_smp(o: Options, arg: str) -> None:
    topo = {}
    for key, value in _keyvals("smp", arg, implied="cpus"):
        if key not in ("cpus", "maxcpus", "sockets", "dies", "clusters", "cores", "threads",
                       "books", "drawers"):
            raise UsageError(f"-smp {arg}: Invalid parameter '{key}'")
        n = _int("smp", arg, f"smp.{key}", value)
        if n <= 0:
            raise UsageError(f"-smp {arg}: CPU topology parameters must be greater than zero")
        topo[key] = n
    cpus = topo.get("cpus")
    if cpus is None:            # as QEMU: maxcpus if given, else the topology's product
        cpus = 1
        for key in ("sockets", "dies", "clusters", "cores", "threads", "books", "drawers"):
            cpus *= topo.get(key, 1)
        cpus = topo.get("maxcpus", cpus)
    if cpus > MAX_SMP:
        raise UsageError(f"-smp {arg}: Invalid SMP CPUs {cpus}. The max CPUs supported by "
                         f"machine 'virt' is {MAX_SMP}")
    if topo.get("maxcpus", cpus) < cpus:
        raise UsageError(f"-smp {arg}: maxcpus must be equal to or greater than smp")
    o.config.smp = cpus


def _opt_file(field: str, what: str) -> Callable[[Options, str], None]:
    def handler(o: Options, arg: str) -> None:
        if not arg:
            raise UsageError(f"-{what}: empty file name")
        setattr(o.config, field, arg)
    return handler


def _opt_append(o: Options, arg: str) -> None:
    o.config.append = arg


def _opt_nographic(o: Options, arg: str) -> None:
    o.nographic = True


SERIAL_BACKENDS = {"stdio": "stdio", "mon:stdio": "mon:stdio", "none": "none", "null": "none"}


def _opt_serial(o: Options, arg: str) -> None:
    if arg not in SERIAL_BACKENDS:
        raise UsageError(f"-serial {arg}: '{arg}' is not a valid char driver "
                         "(qemu_py has stdio, mon:stdio, null and none)")
    if not o.serial_given:              # the first -serial is the PL011's; others have no UART
        o.config.serial = SERIAL_BACKENDS[arg]
    o.serial_given = True


def _opt_display(o: Options, arg: str) -> None:
    if arg.split(",", 1)[0] != "none":
        raise UsageError(f"-display {arg}: Parameter 'type' does not accept value "
                         f"'{arg.split(',', 1)[0]}' (qemu_py has no display: use -display none)")


def _opt_monitor(o: Options, arg: str) -> None:
    if arg != "none":
        raise UsageError(f"-monitor {arg}: the monitor is not supported yet (use -monitor none)")


def _opt_semihosting(o: Options, arg: str) -> None:
    o.config.semihosting = True


def _opt_semihosting_config(o: Options, arg: str) -> None:
    enable = True
    args = []
    for key, value in _keyvals("semihosting-config", arg, implied="enable"):
        if key == "enable":
            if value not in _ON_OFF:
                raise UsageError(f"-semihosting-config {arg}: Parameter 'enable' expects "
                                 "'on' or 'off'")
            enable = _truth(value)
        elif key == "target":
            if value not in ("native", "auto"):
                raise UsageError(f"-semihosting-config {arg}: target={value} is not supported "
                                 "(no gdbstub yet): use target=native")
        elif key == "arg":
            args.append(value)
        elif key == "userspace":
            if value not in _ON_OFF:
                raise UsageError(f"-semihosting-config {arg}: Parameter 'userspace' expects "
                                 "'on' or 'off'")
            if _truth(value):
                raise UsageError(f"-semihosting-config {arg}: userspace=on is not supported")
        elif key == "chardev":
            raise UsageError(f"-semihosting-config {arg}: chardev is not supported: "
                             "semihosting output goes with the serial console")
        else:
            raise UsageError(f"-semihosting-config {arg}: Invalid parameter '{key}'")
    o.config.semihosting = enable
    if args:
        o.config.semihosting_args = tuple(args)


def _opt_d(o: Options, arg: str) -> None:
    from . import log
    if arg in ("help", "?"):
        o.info = log.help_text()
        return
    try:
        o.config.log_items = log.parse_items(arg)
    except ConfigError as e:
        raise UsageError(str(e)) from None


def _opt_D(o: Options, arg: str) -> None:
    if not arg:
        raise UsageError("-D: empty file name")
    o.config.log_file = arg


def _opt_plugin(o: Options, arg: str) -> None:
    # QEMU's -plugin syntax (plugin-api.md §4.1); a path given again adds arguments.
    from . import plugins
    specs = [plugins.PluginSpec(path, list(args)) for path, args in o.config.plugins]
    try:
        plugins.parse_option(arg, specs)
    except plugins.PluginHelp:
        o.info = plugins.HELP
        return
    o.config.plugins = [(spec.path, spec.args) for spec in specs]


def _opt_icount(o: Options, arg: str) -> None:
    for key, value in _keyvals("icount", arg, implied="shift"):
        if key == "shift":
            if value == "auto":
                o.config.icount_shift = -1
            else:
                try:
                    shift = int(value)
                except ValueError:
                    shift = -1
                if not 0 <= shift <= 10:
                    raise UsageError(f"-icount {arg}: icount: Invalid shift value")
                o.config.icount_shift = shift
        elif key in ("sleep", "align"):
            if value not in _ON_OFF:
                raise UsageError(f"-icount {arg}: Parameter '{key}' expects 'on' or 'off'")
        elif key == "rr":
            raise UsageError(f"-icount {arg}: record/replay is not supported")
        else:
            raise UsageError(f"-icount {arg}: Invalid parameter '{key}'")
    if o.config.icount_shift is None:
        o.config.icount_shift = 3       # QEMU's default when only sleep/align are given


def _opt_rtc(o: Options, arg: str) -> None:
    # The PL031 always follows virtual time (QEMU's clock=vm), so runs repeat exactly; a clock
    # that follows the host would not, and is refused rather than quietly treated as vm.
    for key, value in _keyvals("rtc", arg, implied=None):
        if key == "base":
            try:
                rtc_seconds(value)
            except ConfigError as e:
                raise UsageError(f"-rtc {arg}: {e}") from None
            o.config.rtc_base = value
        elif key == "clock":
            if value in ("host", "rt"):
                raise UsageError(f"-rtc {arg}: only clock=vm is available (the RTC follows "
                                 "the machine's virtual time)")
            if value != "vm":
                raise UsageError(f"-rtc {arg}: invalid option value '{value}'")
        elif key == "driftfix":
            if value not in ("none", "slew"):       # x86's RTC only, as in QEMU: no effect
                raise UsageError(f"-rtc {arg}: invalid option value '{value}'")
        else:
            raise UsageError(f"-rtc {arg}: Invalid parameter '{key}'")


def _opt_no_reboot(o: Options, arg: str) -> None:
    o.config.no_reboot = True


def _opt_gdb(o: Options, arg: str) -> None:
    raise UsageError(f"{_current_opt}: gdbstub not supported yet")


def _opt_accel(o: Options, arg: str) -> None:
    if arg.split(",", 1)[0] != "tcg":
        raise UsageError(f"-accel {arg}: only the TCG-like interpreter is available "
                         "(-accel tcg)")


def _opt_ignored(o: Options, arg: str) -> None:
    pass


def _opt_help(o: Options, arg: str) -> None:
    o.info = USAGE


def _opt_version(o: Options, arg: str) -> None:
    from . import __version__
    o.info = f"{PROG} (qemu_py) version {__version__}\n"


# name -> (takes an argument, handler)
OPTIONS: Dict[str, Tuple[bool, Callable[[Options, str], None]]] = {
    "M": (True, _opt_machine), "machine": (True, _opt_machine),
    "cpu": (True, _opt_cpu),
    "m": (True, _opt_m),
    "smp": (True, _opt_smp),
    "kernel": (True, _opt_file("kernel", "kernel")),
    "initrd": (True, _opt_file("initrd", "initrd")),
    "dtb": (True, _opt_file("dtb", "dtb")),
    "append": (True, _opt_append),
    "nographic": (False, _opt_nographic),
    "serial": (True, _opt_serial),
    "display": (True, _opt_display),
    "monitor": (True, _opt_monitor),
    "semihosting": (False, _opt_semihosting),
    "semihosting-config": (True, _opt_semihosting_config),
    "d": (True, _opt_d),
    "D": (True, _opt_D),
    "plugin": (True, _opt_plugin),
    "symbols": (True, _opt_file("symbols", "symbols")),
    "icount": (True, _opt_icount),
    "rtc": (True, _opt_rtc),
    "no-reboot": (False, _opt_no_reboot),
    "s": (False, _opt_gdb), "S": (False, _opt_gdb), "gdb": (True, _opt_gdb),
    "accel": (True, _opt_accel),
    "nodefaults": (False, _opt_ignored), "no-user-config": (False, _opt_ignored),
    "h": (False, _opt_help), "help": (False, _opt_help),
    "version": (False, _opt_version),
}

USAGE = f"""usage: {PROG} [options]
qemu_py's AArch64 virt machine, with QEMU's command-line syntax.

  -M virt[,gic-version=2|3,...]  the machine (the only one: virt)
  -cpu cortex-a57|max            the CPU model (default cortex-a57)
  -m SIZE                        RAM size, MiB unless suffixed K/M/G (default 128M)
  -smp N                         number of vCPUs, 1 to {MAX_SMP}
  -kernel FILE                   ELF, arm64 Image (may be gzipped) or raw binary to boot
  -initrd FILE                   initial ramdisk (with an Image or raw kernel)
  -dtb FILE                      device tree blob to pass to an Image or raw kernel
  -append STRING                 kernel command line
  -nographic                     no display; serial console on stdio (Ctrl-A x quits)
  -serial stdio|mon:stdio|none   where the PL011 UART goes (default stdio)
  -display none, -monitor none   accepted for QEMU compatibility
  -semihosting                   enable Arm semihosting (HLT #0xF000)
  -semihosting-config enable=on[,target=native][,arg=STR]
  -d ITEM[,...]                  log items (-d help lists them)
  -D FILE                        write the log to FILE instead of stderr
  -plugin FILE[,key=value...]    load a TCG plugin
  -symbols FILE                  function symbols for plugins from `nm` output or a System.map
  -icount shift=N|auto           instruction counting (time is virtual anyway)
  -rtc base=utc|localtime|DATE   the PL031 clock's start (DATE: 2006-06-17T16:01:21 or
                                 2006-06-17, UTC; default utc: the host's time); clock=vm
  -no-reboot                     exit instead of rebooting when the guest resets
  -version, -h                   version and this help
"""

_current_opt = ""


def parse(argv: List[str]) -> Options:
    """The command line (without the program name) as Options. Raises UsageError."""
    global _current_opt
    o = Options(MachineConfig())
    k = 0
    while k < len(argv):
        word = argv[k]
        k += 1
        if not word.startswith("-") or word == "-":
            raise UsageError(f"{word}: disk images are not supported (did you mean "
                             f"-kernel {word}?)")
        name = word[2:] if word.startswith("--") else word[1:]
        if name not in OPTIONS:
            raise UsageError(f"{word}: invalid option")
        takes_arg, handler = OPTIONS[name]
        arg = ""
        if takes_arg:
            if k >= len(argv):
                raise UsageError(f"{word}: requires an argument")
            arg = argv[k]
            k += 1
        _current_opt = word
        handler(o, arg)
        if o.info is not None:
            return o
    cfg = o.config
    if o.nographic and not o.serial_given:
        cfg.serial = "mon:stdio"
    if cfg.kernel is None:
        raise UsageError("no -kernel given: qemu_py has no firmware to boot without one")
    return o


# --- running -------------------------------------------------------------------------------


# ESR_EL1.EC values a stuck guest most often shows, named for the report.
_EC_NAMES = {
    0x00: "undefined instruction", 0x01: "WFI/WFE trap", 0x07: "FP/SIMD access trap",
    0x0E: "illegal execution state", 0x15: "SVC", 0x16: "HVC", 0x17: "SMC",
    0x18: "system register trap", 0x20: "instruction abort from EL0",
    0x21: "instruction abort", 0x22: "PC alignment fault", 0x24: "data abort from EL0",
    0x25: "data abort", 0x26: "SP alignment fault", 0x2F: "SError", 0x3C: "BRK",
}


def _stuck_message(machine, reason: str) -> str:
    core = machine.core
    k = 0           # the core does not say which vCPU stopped; with one vCPU it is vCPU 0
    pc = core.get_reg(k, "pc")
    esr = core.get_reg(k, "esr_el1")
    if reason == "exception-loop":
        elr = core.get_reg(k, "elr_el1")
        what = _EC_NAMES.get(esr >> 26, f"exception class {esr >> 26:#x}")
        return (f"guest stuck in an exception loop: {what} at PC {elr:#x} (ESR {esr:#x}) "
                f"again and again, vector {pc:#x} (VBAR_EL1 {core.get_reg(k, 'vbar_el1'):#x})")
    return (f"guest halted: every vCPU waits for an interrupt that cannot come "
            f"(vCPU {k} in WFI at PC {pc - 4:#x}, last ESR {esr:#x})")


def _install_plugins(machine, cfg: MachineConfig, log=None):
    """Load the -plugin libraries into the machine (qemu_py/plugins.py) and initialise the
    vCPUs for them. Returns the PluginHost, or None without plugins."""
    if not cfg.plugins:
        if cfg.symbols:
            from .plugins import read_symbol_map
            read_symbol_map(cfg.symbols)        # bad input is an error with or without plugins
        return None
    from .plugins import PluginHost, PluginSpec, open_outs
    host = PluginHost(machine, open_outs(cfg.log_file, log), symbols_from=cfg.kernel)
    host.load([PluginSpec(path, list(args)) for path, args in cfg.plugins])
    host.start()
    return host


def run(machine, console, log=None) -> int:
    """The run loop: slices of guest time, stdin fed to the UART between them. Returns the
    process exit status."""
    while True:
        if console is not None:
            console.feed(machine.core)
        result = machine.run(SLICE)
        reason = result.reason
        if reason == "budget":
            continue
        if reason == "exit":
            return machine.exit_code
        if reason == "poweroff":
            return 0
        if reason == "reset":
            if machine.config.no_reboot:
                return 0
            machine.reset()
            continue
        if reason == "idle":
            console.idle(machine.core)
            continue
        if reason == "wfi" and console is not None and console.wait(machine.core):
            continue
        if reason in ("exception-loop", "wfi"):
            raise GuestError(_stuck_message(machine, reason))
        raise GuestError(f"guest stopped unexpectedly ({reason})")


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--include"]:
        from . import get_include
        print(get_include())
        return 0
    console = None
    log = None
    old_handlers = {}
    try:
        o = parse(argv)
        if o.info is not None:
            sys.stdout.write(o.info if o.info.endswith("\n") else o.info + "\n")
            return 0
        cfg = o.config
        from . import _core
        from .log import Log
        from .machine import Machine
        machine = Machine(cfg)
        if cfg.log_items:
            log = Log(cfg.log_items, cfg.log_file)
            log.attach(machine.read_phys)
            machine.on_log = log.events
            machine.set_log_mask(log.core_mask(_core.LOG_FLAGS))
        # The semihosting console goes to stderr, as QEMU's does without a chardev for it.
        machine.on_semihosting_output = _writer(sys.stderr)
        if cfg.serial == "none":
            machine.on_output = lambda data: None
        else:
            machine.on_output = _writer(sys.stdout)
            from .console import Console
            console = Console.open(mux=cfg.serial == "mon:stdio")
            if console is not None and console.is_tty:
                machine.core.pace_idle = True       # a person is typing: idle in real time
        plugin_host = _install_plugins(machine, cfg, log)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            old_handlers[sig] = signal.signal(sig, _terminate)
        status = run(machine, console, log)
        if plugin_host is not None:
            plugin_host.atexit()        # the plugins' reports
        return status
    except QemuPyError as e:
        _error(str(e))
        return 1
    except _Terminated as e:
        _error(f"terminating on signal {e.signum}")
        return 1
    except KeyboardInterrupt:
        _error("terminating on signal 2")
        return 1
    except Quit:
        return 0
    except BrokenPipeError:
        _silence_stdout()
        return 1
    finally:
        if console is not None:
            console.close()
        if log is not None:
            log.close()
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)


class _Terminated(BaseException):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, frame):
    raise _Terminated(signum)


def _writer(stream):
    out = stream.buffer

    def write(data: bytes) -> None:
        out.write(data)
        out.flush()
    return write


def _error(message: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


def _silence_stdout() -> None:
    # The reader of stdout went away: drop what is left rather than fail again at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def entry_point() -> None:
    """The qemu-py-system console script."""
    status = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    sys.exit(status)
