"""CPACR_EL1.FPEN: SIMD&FP instructions (and FPCR/FPSR accesses) trap to EL1 with EC 0x07 when FP
is disabled at the current EL; unallocated encodings in the same space stay UNDEFINED (EC 0).
Expected syndromes are the architecture's (ESR_EL1 = EC << 26 | IL | ISS, with the ISS QEMU
reports for A64: CV=1, COND=0xE)."""

import os
import subprocess
import tempfile
from shutil import which

import pytest

import qemu_py

pytestmark = pytest.mark.skipif(not which("aarch64-linux-gnu-as"), reason="needs aarch64 binutils")

BASE = 0x40080000
ESR_FP = (0x07 << 26) | (1 << 25) | 0x1e00000
ESR_UNDEF = (1 << 25)

# The guest: vectors at BASE (sync, current EL with SPx at +0x200) record ESR/ELR in x20/x21,
# count traps in x22, turn FP on (FPEN = 0b11) and return to retry the instruction.
GUEST = """
    .text
    .global _start
vectors:
    .skip 0x200
    mrs x20, esr_el1
    mrs x21, elr_el1
    add x22, x22, #1
    mov x23, #(3 << 20)
    msr cpacr_el1, x23
    lsr x24, x20, #26
    cbnz x24, 1f
    add x21, x21, #4          // UNDEF: skip the instruction
    msr elr_el1, x21
1:  eret
    .balign 0x800
_start:
    ldr x0, =vectors
    msr vbar_el1, x0
    mov x22, #0
    msr cpacr_el1, x25        // FPEN from x25, set by the test
    isb
    mov x1, #0x4000
    movk x1, #0x3ff8, lsl #48
test_insn:
    {insn}
done:
    b done
"""


def run_guest(insn, fpen, el0=False):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "t.s")
        with open(src, "w") as f:
            f.write(GUEST.format(insn=insn))
        subprocess.run(["aarch64-linux-gnu-as", "-o", f"{tmp}/t.o", src], check=True)
        subprocess.run(["aarch64-linux-gnu-ld", "-Ttext", hex(BASE), "-e", "_start", "-o",
                        f"{tmp}/t.elf", f"{tmp}/t.o"], check=True)
        syms = {}
        out = subprocess.run(["aarch64-linux-gnu-nm", f"{tmp}/t.elf"], capture_output=True,
                             text=True, check=True).stdout
        for line in out.splitlines():
            a, _, name = line.split()
            syms[name] = int(a, 16)
        m = qemu_py.Machine(cpu="max")
        m.load(f"{tmp}/t.elf")
        m.core.set_reg(0, "x25", fpen << 20)
        res = m.run(max_insns=10000, until_pc=syms["done"])
        assert res.reason == "break"
        get = lambda r: m.core.get_reg(0, r)
        return {"traps": get("x22"), "esr": get("x20"), "elr": get("x21"),
                "at": syms["test_insn"], "d0": get("v0") & 0xffffffffffffffff}


@pytest.mark.parametrize("insn", ["fmov d0, x1", "fadd d0, d1, d2", "ldr q0, [x0]",
                                  "add v0.4s, v1.4s, v2.4s", "mrs x2, fpcr", "msr fpsr, xzr"])
def test_fp_disabled_traps_with_ec7(insn):
    r = run_guest(insn, fpen=0b00)
    assert r["traps"] == 1
    assert r["esr"] == ESR_FP
    assert r["elr"] == r["at"]


def test_trapped_instruction_runs_after_enabling():
    r = run_guest("fmov d0, x1", fpen=0b10)
    assert r["traps"] == 1 and r["d0"] == 0x3ff8000000004000


@pytest.mark.parametrize("fpen", [0b01, 0b11])
def test_fp_enabled_at_el1_does_not_trap(fpen):
    r = run_guest("fmov d0, x1", fpen=fpen)
    assert r["traps"] == 0 and r["d0"] == 0x3ff8000000004000


def test_unallocated_simd_encoding_is_undefined_even_when_fp_disabled():
    # Advanced SIMD three same, FP, U=1 a=1 opcode 11011: unallocated.
    r = run_guest(".inst 0x2ea0dc00", fpen=0b00)
    assert r["traps"] == 1 and r["esr"] == ESR_UNDEF
