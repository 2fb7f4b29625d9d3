"""-d logging: the items QEMU's -d takes that qemu_py implements, and the text of each, in
QEMU's format so tools and eyes used to QEMU's logs read ours.

The core records events (a block translated, a block executed, an exception taken, a
semihosting call) in a C buffer; Machine drains it between run slices and hands the events here.
"""

import sys
from typing import Iterable, Optional, TextIO, Tuple

from .errors import ConfigError

# Item name -> help text, in QEMU's order. Items marked accepted-only produce no output here but
# are taken so command lines written for QEMU keep working.
ITEMS = {
    "in_asm": "show target assembly code for each compiled TB",
    "int": "show interrupts/exceptions in short format",
    "exec": "show trace before each executed TB (lots of logs)",
    "nochain": "do not chain compiled TBs (accepted; qemu_py logs every TB executed anyway)",
    "guest_errors": "log when the guest OS does something invalid (accepted, no output yet)",
    "unimp": "log unimplemented functionality (accepted, no output yet)",
    "plugin": "output from TCG plugins",
}

# The core's mask bits for the items it records (qemu_py._core.LOG_FLAGS has the values).
CORE_ITEMS = ("in_asm", "exec", "int")

# QEMU's exception numbers and names, by what the ESR's exception class says.
_EXC_BY_EC = {
    0x15: (2, "SVC"),
    0x16: (11, "Hypervisor Call"),
    0x17: (13, "Secure Monitor Call"),
    0x20: (3, "Prefetch Abort"),
    0x21: (3, "Prefetch Abort"),
    0x24: (4, "Data Abort"),
    0x25: (4, "Data Abort"),
    0x26: (4, "Data Abort"),
    0x3C: (7, "Breakpoint"),
    0x2F: (24, "SError"),
}
_EXC_BY_KIND = {1: (5, "IRQ"), 2: (6, "FIQ"), 3: (24, "SError")}
_UNDEF = (1, "Undefined Instruction")
_DAIF_ALL = 0xF << 6
_EL1H = 0b0101


def parse_items(spec: str) -> Tuple[str, ...]:
    """The -d argument as item names. `help` is the caller's business."""
    items = []
    for name in spec.split(","):
        if name not in ITEMS:
            raise ConfigError(f"-d {spec}: unknown log item '{name}' (-d help lists them)")
        if name not in items:
            items.append(name)
    return tuple(items)


def help_text() -> str:
    lines = ["Log items (comma separated):"]
    lines += [f"{name:<15} {text}" for name, text in ITEMS.items()]
    return "\n".join(lines) + "\n"


class Log:
    """Where -d output goes (stderr, or the -D file) and how each event reads."""

    def __init__(self, items: Iterable[str] = (), path: Optional[str] = None,
                 stream: Optional[TextIO] = None):
        self.items = frozenset(items)
        self._own = False
        if path is not None:
            try:
                self.stream = open(path, "w")
            except OSError as e:
                raise ConfigError(f"-D {path}: cannot open log file: {e.strerror}") from None
            self._own = True
        else:
            self.stream = stream if stream is not None else sys.stderr
        self._read_phys = None
        self._disasm = None
        self._took_exception = set()       # vCPUs that have taken an exception

    def core_mask(self, flags) -> int:
        """The core's log mask for these items, given qemu_py._core.LOG_FLAGS."""
        return sum(flags[name] for name in CORE_ITEMS if name in self.items)

    def attach(self, read_phys) -> None:
        """Where to read guest code for in_asm: read_phys(addr, n) -> bytes."""
        self._read_phys = read_phys

    def close(self) -> None:
        self.stream.flush()
        if self._own:
            self.stream.close()

    def plugin_out(self, text: str) -> None:
        """qemu_plugin_outs: shown with -d plugin."""
        if "plugin" in self.items:
            self.stream.write(text)

    def events(self, events) -> None:
        """Write a batch of core events: (kind, cpu, pc, a, b, c, d) tuples."""
        out = []
        for kind, cpu, pc, a, b, c, d in events:
            if kind == "trans":
                out.append(self._in_asm(pc, a, b))
            elif kind == "exec":
                out.append(f"Trace {cpu}: {a:#014x} [{0:016x}/{pc:016x}/{0:08x}/{0:08x}] \n")
            elif kind == "exception":
                out.append(_exception(cpu, pc, a, b, c, d))
                self._took_exception.add(cpu)
            elif kind == "hostcall":
                # QEMU names the target EL of the vCPU's last exception here (0 before any).
                to_el = 1 if cpu in self._took_exception else 0
                out.append(f"Taking exception 16 [Semihosting call] on CPU {cpu}\n"
                           f"...from EL1 to EL{to_el}\n"
                           f"...handling as semihosting call {a:#x}\n")
        if out:
            self.stream.write("".join(out))
            self.stream.flush()

    def _in_asm(self, pc, phys, n) -> str:
        lines = ["----------------\nIN: \n"]
        code = b""
        if self._read_phys is not None:
            try:
                code = self._read_phys(phys, 4 * n)
            except ValueError:
                code = b""
        for k in range(len(code) // 4):
            word = int.from_bytes(code[4 * k:4 * k + 4], "little")
            mnemonic, operands = self._disassemble(code[4 * k:4 * k + 4], pc + 4 * k)
            lines.append(f"0x{pc + 4 * k:08x}:  {word:08x}  {mnemonic:<8} {operands}\n")
        lines.append("\n")
        return "".join(lines)

    def _disassemble(self, word: bytes, addr: int):
        if self._disasm is None:
            import capstone
            self._disasm = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
        for insn in self._disasm.disasm(word, addr):
            return insn.mnemonic, insn.op_str
        return ".inst", f"0x{int.from_bytes(word, 'little'):08x}"


def _exception(cpu, elr, esr, spsr, vector, kind) -> str:
    if kind == 0:
        number, name = _EXC_BY_EC.get(esr >> 26, _UNDEF)
    else:
        number, name = _EXC_BY_KIND.get(kind, _UNDEF)
    from_el = (spsr >> 2) & 3
    pstate = (spsr & 0xF0000000) | _DAIF_ALL | _EL1H
    text = (f"Taking exception {number} [{name}] on CPU {cpu}\n"
            f"...from EL{from_el} to EL1\n"
            f"...with ESR {esr >> 26:#x}/{esr & 0xFFFFFFFF:#x}\n")
    return text + f"...with ELR {elr:#x}\n...to EL1 PC {vector:#x} PSTATE {pstate:#x}\n"
