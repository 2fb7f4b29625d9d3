"""Helpers of the library tests (tests/test_library_*.py): assemble AArch64 snippets with the
cross binutils, and set up a machine running one at a fixed address."""

import functools
import subprocess
import tempfile
from pathlib import Path

import qemu_py

AS = "aarch64-linux-gnu-as"
OBJCOPY = "aarch64-linux-gnu-objcopy"

CODE = 0x40000000           # where snippets go: the bottom of RAM
VECTORS = 0x40010000        # a vector table of `b .` loops, VBAR_EL1 points here
BRK_VECTOR = VECTORS + 0x200    # current EL with SP_ELx, synchronous

# sum = 5 + 4 + 3 + 2 + 1 in x1, then BRK: 17 instructions before the brk at CODE + 20.
SUM_LOOP = """
    mov x0, #5
    mov x1, #0
loop:
    add x1, x1, x0
    subs x0, x0, #1
    b.ne loop
    brk #7
"""


@functools.lru_cache(maxsize=None)
def asm(source: str) -> bytes:
    """The machine code of an assembly snippet (.text only, flat, from offset 0)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "s.s").write_text(".arch armv8.1-a\n.text\n" + source + "\n")
        subprocess.run([AS, "-o", str(tmp / "s.o"), str(tmp / "s.s")], check=True)
        subprocess.run([OBJCOPY, "-O", "binary", "-j", ".text", str(tmp / "s.o"),
                        str(tmp / "s.bin")], check=True)
        return (tmp / "s.bin").read_bytes()


def machine_with(source: str, **options) -> qemu_py.Machine:
    """A machine with `source` assembled at CODE, vCPU 0 there at EL1h, VBAR_EL1 at a table
    of `b .` loops (so an exception parks the vCPU at its vector)."""
    m = qemu_py.Machine(memory=options.pop("memory", "64M"), **options)
    m.memory.write(VECTORS, asm("b .\n") * 0x200)
    m.memory.write(CODE, asm(source))
    m.cpus[0].regs.pc = CODE
    m.cpus[0].sysregs["vbar_el1"] = VECTORS
    return m
