"""Views of a machine's state for library users: each vCPU's registers, its view of memory
through the MMU, and physical memory. The views hold no state of their own; every read and
write goes straight to the core, so they are always current (also inside hooks).

    cpu = m.cpus[0]
    cpu.regs.x[0] = 42
    cpu.regs.pc, cpu.regs.sp, cpu.regs.nzcv, cpu.regs.v[3]
    cpu.sysregs["vbar_el1"] = 0x40000800
    cpu.read_virt(0xffff000000001000, 16)
    m.memory.read(0x40000000, 4)
"""

from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Tuple

from .errors import MemoryAccessError

if TYPE_CHECKING:
    from ._core import Core
    from .machine import Machine, RunResult

_MASK64 = (1 << 64) - 1
_MASK128 = (1 << 128) - 1
_PAGE = 4096

# System registers by their architectural names (lower case), and the core's field for each.
# The identification registers keep the core's short names as aliases (cpus.py sets them so).
SYSREGS: Dict[str, str] = {name: name for name in (
    "sctlr_el1", "actlr_el1", "cpacr_el1", "ttbr0_el1", "ttbr1_el1", "tcr_el1", "mair_el1",
    "amair_el1", "vbar_el1", "contextidr_el1", "elr_el1", "spsr_el1", "esr_el1", "far_el1",
    "par_el1", "afsr0_el1", "afsr1_el1", "tpidr_el0", "tpidr_el1", "tpidrro_el0", "mdscr_el1",
    "cntkctl_el1", "csselr_el1", "cntv_ctl_el0", "cntv_cval_el0", "cntp_ctl_el0",
    "cntp_cval_el0", "fpcr", "fpsr", "sp_el0", "sp_el1", "daif", "nzcv", "spsel", "currentel",
    "cntvct_el0", "cntpct_el0", "cntfrq_el0")}
SYSREGS.update({f"{name}_el1": name for name in (
    "midr", "revidr", "mpidr", "clidr", "aidr", "id_aa64pfr0", "id_aa64pfr1", "id_aa64dfr0",
    "id_aa64isar0", "id_aa64isar1", "id_aa64mmfr0", "id_aa64mmfr1", "id_aa64mmfr2")})
SYSREGS.update({"ctr_el0": "ctr", "dczid_el0": "dczid"})
READ_ONLY = frozenset({"currentel", "cntvct_el0", "cntpct_el0", "cntfrq_el0"})

# Fault status codes (ESR_ELx.DFSC) as words, for error messages.
_FSC_KINDS = {0x00: "address size fault", 0x04: "translation fault", 0x08: "access flag fault",
              0x0C: "permission fault", 0x14: "external abort on a table walk"}


def describe_fault(fsc: int) -> str:
    """A fault status code in words: 'translation fault, level 2'."""
    base, level = fsc & ~3, fsc & 3
    kind = _FSC_KINDS.get(base)
    if kind is None:
        return f"fault status {fsc:#04x}"
    return f"{kind}, level {level}"


class RegisterBank:
    """A numbered register file of one vCPU: `regs.x[n]` / `regs.v[n]` read, assignment writes
    (masked to the register's width). Negative indices count from the end, as for lists."""

    __slots__ = ("_get", "_set", "_k", "_count", "_mask", "_name")

    def __init__(self, getter: Callable[[int, int], int], setter: Callable[[int, int, int], None],
                 index: int, count: int, mask: int, name: str):
        self._get, self._set = getter, setter
        self._k, self._count, self._mask, self._name = index, count, mask, name

    def _index(self, n: int) -> int:
        k = n + self._count if n < 0 else n
        if not 0 <= k < self._count:
            raise IndexError(f"no register {n} in {self._name}")
        return k

    def __getitem__(self, n: int) -> int:
        return self._get(self._k, self._index(n))

    def __setitem__(self, n: int, value: int) -> None:
        self._set(self._k, self._index(n), value & self._mask)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        return (self._get(self._k, n) for n in range(self._count))

    def __repr__(self) -> str:
        return f"<{self._name} of vCPU {self._k}>"


class Registers:
    """The general registers of one vCPU: x[0..30], sp (the SP in use), pc, nzcv (as the NZCV
    register shows it: N in bit 31 down to V in bit 28), v[0..31], and the exception level."""

    __slots__ = ("_core", "_k", "x", "v")

    def __init__(self, core: "Core", index: int):
        self._core = core
        self._k = index
        self.x = RegisterBank(core.get_x, core.set_x, index, 31, _MASK64, "X0-X30")
        self.v = RegisterBank(core.get_vreg, core.set_vreg, index, 32, _MASK128, "V0-V31")

    def _get(self, name: str) -> int:
        return self._core.get_reg(self._k, name)

    def _set(self, name: str, value: int) -> None:
        self._core.set_reg(self._k, name, value & _MASK64)

    @property
    def pc(self) -> int:
        """The address of the next instruction. Setting it sends the vCPU there."""
        return self._get("pc")

    @pc.setter
    def pc(self, value: int) -> None:
        self._set("pc", value)

    @property
    def sp(self) -> int:
        """The stack pointer in use (SP_EL0 or SP_EL1, as PSTATE.EL and SPSel select)."""
        return self._get("sp")

    @sp.setter
    def sp(self, value: int) -> None:
        self._set("sp", value)

    @property
    def nzcv(self) -> int:
        """The condition flags as the NZCV register holds them: N bit 31, Z 30, C 29, V 28."""
        return self._get("nzcv")

    @nzcv.setter
    def nzcv(self, value: int) -> None:
        self._set("nzcv", value)

    @property
    def el(self) -> int:
        """The current exception level, 0 or 1. Setting it banks the SPs as an exception
        entry or return would."""
        return self._get("el")

    @el.setter
    def el(self, value: int) -> None:
        self._core.set_reg(self._k, "el", value)

    def dump(self) -> Dict[str, int]:
        """Every general and FP/SIMD register by name (x0-x30, sp, pc, nzcv, el, v0-v31, fpcr,
        fpsr): for printing, or comparing two states."""
        out = {f"x{n}": value for n, value in enumerate(self.x)}
        for name in ("sp", "pc", "nzcv", "el", "sp_el0", "sp_el1", "daif", "fpcr", "fpsr"):
            out[name] = self._get(name)
        out.update({f"v{n}": value for n, value in enumerate(self.v)})
        return out

    def __repr__(self) -> str:
        return f"<registers of vCPU {self._k}: pc={self.pc:#x} sp={self.sp:#x}>"


class SystemRegisters:
    """System registers by name: `sysregs["vbar_el1"]`, `sysregs["sctlr_el1"] = ...`. Writes
    take effect as the guest's MSR would for translation (TLB and decode flags are refreshed).
    `names()` lists what is available."""

    __slots__ = ("_core", "_k")

    def __init__(self, core: "Core", index: int):
        self._core = core
        self._k = index

    @staticmethod
    def _field(name: str) -> str:
        field = SYSREGS.get(name.lower())
        if field is None:
            raise KeyError(f"unknown system register {name!r} (see SystemRegisters.names())")
        return field

    def __getitem__(self, name: str) -> int:
        return self._core.get_reg(self._k, self._field(name))

    def __setitem__(self, name: str, value: int) -> None:
        field = self._field(name)
        if name.lower() in READ_ONLY:
            raise KeyError(f"system register {name!r} is read-only")
        self._core.set_reg(self._k, field, value & _MASK64)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in SYSREGS

    @staticmethod
    def names() -> List[str]:
        """The system register names this view takes, sorted."""
        return sorted(SYSREGS)

    def __repr__(self) -> str:
        return f"<system registers of vCPU {self._k}>"


class CPU:
    """One vCPU: `regs`, `sysregs`, and memory as this vCPU sees it through its MMU."""

    def __init__(self, machine: "Machine", index: int):
        self._machine = machine
        self._core = machine.core
        self.index = index
        self.regs = Registers(self._core, index)
        self.sysregs = SystemRegisters(self._core, index)

    @property
    def insn_count(self) -> int:
        """Instructions this vCPU has completed since the machine was made."""
        return self._core.get_reg(self.index, "insn_count")

    def translate(self, va: int, access: str = "r") -> int:
        """The physical address this vCPU's access to `va` would reach now ("r", "w" or "x"
        permission, at the current EL). Raises MemoryAccessError where it would fault. Neither
        the TLB nor the guest is touched."""
        if access not in ("r", "w", "x"):
            raise ValueError(f"access must be 'r', 'w' or 'x', not {access!r}")
        pa, fsc = self._core.translate(self.index, va & _MASK64, access)
        if pa is None:
            verb = {"r": "reading", "w": "writing", "x": "executing"}[access]
            el = self._core.get_reg(self.index, "el")
            raise MemoryAccessError(f"{verb} virtual address {va:#x} at EL{el} would raise a "
                                    f"{describe_fault(fsc)} (FSC {fsc:#04x})", va,
                                    describe_fault(fsc))
        return pa

    def _pieces(self, va: int, n: int, access: str) -> List[Tuple[int, int]]:
        # (physical address, length) per page, all translated before anything is touched.
        out = []
        while n > 0:
            take = min(n, _PAGE - (va & (_PAGE - 1)))
            out.append((self.translate(va, access), take))
            va += take
            n -= take
        return out

    def read_virt(self, va: int, n: int) -> bytes:
        """n bytes at virtual address va, through this vCPU's MMU (read permission at its
        current EL). Raises MemoryAccessError on a fault or where the memory is not RAM."""
        memory = self._machine.memory
        return b"".join(memory.read(pa, take) for pa, take in self._pieces(va, n, "r"))

    def write_virt(self, va: int, data: bytes) -> None:
        """Write bytes at virtual address va through this vCPU's MMU (write permission at its
        current EL). Nothing is written if any page would fault."""
        memory = self._machine.memory
        data = bytes(data)
        pos = 0
        for pa, take in self._pieces(va, len(data), "w"):
            memory.write(pa, data[pos:pos + take])
            pos += take

    def step(self) -> "RunResult":
        """Run exactly one instruction on this vCPU (see Machine.step)."""
        return self._machine.step(cpu=self.index)

    def __repr__(self) -> str:
        return f"<vCPU {self.index} pc={self.regs.pc:#x} EL{self.regs.el}>"


class PhysicalMemory:
    """The machine's RAM by physical address: `read(addr, n)`, `write(addr, data)`. Device
    windows are not reachable here (reading a device register has side effects)."""

    def __init__(self, core: "Core"):
        self._core = core
        self.base: int = core.ram_base
        self.size: int = core.ram_size

    def _check(self, addr: int, n: int) -> None:
        if n < 0:
            raise ValueError("negative length")
        if addr < self.base or addr + n > self.base + self.size:
            raise MemoryAccessError(
                f"{n} bytes at physical address {addr:#x} are not all in RAM "
                f"({self.base:#x}-{self.base + self.size - 1:#x})", addr, "not RAM")

    def read(self, addr: int, n: int) -> bytes:
        """n bytes of RAM at physical address addr. Raises MemoryAccessError unless all
        of them are in RAM."""
        self._check(addr, n)
        return self._core.read_phys(addr, n)

    def write(self, addr: int, data: bytes) -> None:
        """Write into RAM. Translated code on the written pages is dropped, so changed code
        is seen."""
        data = bytes(data)
        self._check(addr, len(data))
        self._core.write_phys(addr, data)

    def read_u64(self, addr: int) -> int:
        """The little-endian 64-bit value at addr."""
        return int.from_bytes(self.read(addr, 8), "little")

    def write_u64(self, addr: int, value: int) -> None:
        """Write a 64-bit value at addr, little-endian (masked to 64 bits)."""
        self.write(addr, (value & _MASK64).to_bytes(8, "little"))

    def read_u32(self, addr: int) -> int:
        """The little-endian 32-bit value at addr."""
        return int.from_bytes(self.read(addr, 4), "little")

    def write_u32(self, addr: int, value: int) -> None:
        """Write a 32-bit value at addr, little-endian (masked to 32 bits)."""
        self.write(addr, (value & 0xFFFFFFFF).to_bytes(4, "little"))

    def __repr__(self) -> str:
        return f"<RAM {self.base:#x}-{self.base + self.size - 1:#x}>"
