"""Integer loads and stores, checked against qemu-aarch64.

Every case is a short run of load/store instructions. All cases go into one static ELF, linked
at the same addresses qemu_py's RAM has, which runs each case under qemu-aarch64 from a known
state (registers, a 512-byte buffer that crosses a page) and writes the registers and the buffer
to stdout. qemu_py runs the same code from the same state and must end with the same registers
and buffer. Faults (which would kill the qemu-aarch64 process) are checked separately against
values worked out by hand from the Arm ARM.
"""
import random
import shutil
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

from qemu_py.machine import Machine

AS = "aarch64-linux-gnu-as"
LD = "aarch64-linux-gnu-ld"
QEMU = "qemu-aarch64"
pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in (AS, LD, QEMU)),
                                reason="needs the aarch64 binutils and qemu-aarch64")

M64 = (1 << 64) - 1
TEXT = 0x40010000
REGS_OUT = 0x40100e00          # where the ELF dumps x0-x30 and SP
BUF = 0x40100f00               # the buffer; BUF + 0x100 is a page boundary
BUF_SIZE = 0x200
GUARD = 0x100
VECTORS = 0x40020000           # vector table for the fault tests

_rng = random.Random(1234)
PRISTINE = bytes(_rng.randrange(256) for _ in range(BUF_SIZE))

# Registers at the start of every case: bases into the buffer, small indexes, and values with
# mixed sign bits elsewhere.
BASE_REGS = {
    "x1": BUF + 0x20, "x2": BUF + 0x100, "x3": BUF + 0xfd,
    "x4": 3, "x5": -2 & M64, "x6": 0xffffffff00000005, "x7": 0x00000000fffffffe,
    "x24": BUF + 0x40, "x25": BUF + 0x60, "x26": BUF + 0x88, "x27": BUF + 0x1f0,
    "sp": BUF + 0x180,
}


def initial_regs(overrides):
    regs = {f"x{k}": (0x9E3779B97F4A7C15 * (k + 1)) & M64 for k in range(31)}
    regs.update(BASE_REGS)
    regs.update(overrides)
    return regs


# (name, assembly, register overrides)
CASES = [
    ("imm_loads", """
        ldr x10, [x1]
        ldr x11, [x1, #8]
        ldr w12, [x1, #4]
        ldrh w13, [x1, #6]
        ldrb w14, [x1, #7]
        ldrsb x15, [x1, #9]
        ldrsb w16, [x1, #10]
        ldrsh x17, [x1, #12]
        ldrsh w18, [x1, #14]
        ldrsw x19, [x1, #16]
        ldr x20, [x1, #0x1d8]
        ldrsb x21, [x1, #0x1df]
        ldrsh w22, [x1, #0x1de]
        ldrsw x23, [x1, #0x1dc]
        ldr xzr, [x1]
     """, {}),
    ("imm_loads_signs", """
        ldrsb x10, [x1, #0]
        ldrsb x11, [x1, #1]
        ldrsb w12, [x1, #2]
        ldrsb w13, [x1, #3]
        ldrsh x14, [x1, #4]
        ldrsh x15, [x1, #6]
        ldrsh w16, [x1, #8]
        ldrsh w17, [x1, #10]
        ldrsw x18, [x1, #12]
        ldrsw x19, [x1, #16]
        ldrsw x20, [x1, #20]
        ldrsw x21, [x1, #24]
     """, {}),
    ("unscaled_loads", """
        ldur x10, [x1, #3]
        ldur w11, [x2, #-5]
        ldurh w12, [x1, #1]
        ldursb x13, [x2, #-1]
        ldursh w14, [x1, #0xff]
        ldursw x15, [x2, #-0x100]
        ldurb w16, [x2, #-256]
        ldur x17, [x3, #0]
        ldur w18, [x3, #1]
        ldurh w19, [x3, #2]
        ldursh x20, [x3, #2]
     """, {}),
    ("imm_stores", """
        str x10, [x1]
        str w11, [x1, #12]
        strh w12, [x1, #18]
        strb w13, [x1, #21]
        stur x14, [x3, #1]
        sturh w15, [x3]
        stur w16, [x2, #-2]
        str x17, [x1, #0x1d0]
        strb w18, [x1, #0x1df]
        sturb w19, [x2, #-255]
        str xzr, [x1, #24]
        strh wzr, [x1, #32]
        stur xzr, [x3, #-9]
     """, {}),
    ("pre_post_index", """
        ldr x10, [x1, #8]!
        ldr w11, [x2], #-4
        ldrsb x12, [x3, #1]!
        ldrsh w13, [x1], #2
        str x14, [x2, #-16]!
        strb w15, [x3], #255
        strh w16, [x1, #-6]!
        ldrsw x17, [x2, #-3]!
        str w18, [x24], #-1
        ldrh w19, [x25, #5]!
        ldrb w20, [x26], #-7
        ldrsb w21, [x24, #-1]!
        ldrsh x22, [x25], #0
        str x23, [x26, #-0x79]!
     """, {}),
    ("writeback_rt_is_rn", """
        ldr x1, [x1, #8]!
        ldr x2, [x2], #8
        str x3, [x3, #-8]!
        str x24, [x24], #-8
        ldrb w25, [x25, #1]!
        ldrsh x26, [x26], #2
        strh w27, [x27, #2]!
     """, {}),
    ("pair_writeback_rt_is_rn", """
        ldp x1, x10, [x1, #16]!
        ldp x11, x2, [x2], #16
        stp x3, x12, [x3, #-16]!
        stp x13, x24, [x24], #-16
        ldp w25, w14, [x25, #8]!
        ldpsw x15, x26, [x26], #8
     """, {}),
    ("pair_same_target", """
        ldp x10, x10, [x1]
        ldp w11, w11, [x2, #-8]
        ldpsw x12, x12, [x24, #4]
        ldnp x13, x13, [x25]
     """, {}),
    ("register_offset_loads", """
        ldr x10, [x1, x4, lsl #3]
        ldr x11, [x1, x4]
        ldr w12, [x2, x5, lsl #2]
        ldrh w13, [x2, x5, lsl #1]
        ldrb w14, [x2, x5]
        ldrb w15, [x2, x5, lsl #0]
        ldrsw x16, [x1, w6, uxtw #2]
        ldr x17, [x2, w7, sxtw #3]
        ldrsh w18, [x2, w7, sxtw]
        ldr w19, [x1, w6, uxtw]
        ldr x20, [x2, x5, sxtx #3]
        ldrsb w21, [x2, w7, sxtw #0]
        ldrsb x22, [x1, x4, sxtx]
        ldrsh x23, [x1, w6, uxtw #1]
        ldrh w28, [x3, x4]
        ldr x29, [x3, w7, sxtw]
     """, {}),
    ("register_offset_stores", """
        str x10, [x1, x4, lsl #3]
        str x11, [x1, x4]
        str w12, [x2, x5, lsl #2]
        strh w13, [x2, x5, lsl #1]
        strb w14, [x2, x5]
        strb w15, [x1, x4, lsl #0]
        str w16, [x1, w6, uxtw #2]
        str x17, [x2, w7, sxtw #3]
        strh w18, [x2, w7, sxtw]
        str w19, [x1, w6, uxtw]
        str x20, [x2, x5, sxtx #3]
        strb w21, [x2, w7, sxtw #0]
        str x22, [x3, x4]
        str xzr, [x1, x4, lsl #3]
     """, {}),
    ("sp_base", """
        ldr x10, [sp, #8]
        str x11, [sp, #-16]!
        ldp x12, x13, [sp], #16
        stp x14, x15, [sp, #-32]!
        ldrb w16, [sp, #3]
        ldur w17, [sp, #-5]
        str w18, [sp, x4, lsl #2]
        ldr x19, [sp, w7, sxtw #3]
        ldp w20, w21, [sp, #16]!
        str x22, [sp], #16
     """, {}),
    ("literal", """
        ldr x10, 2f
        ldr w11, 2f
        ldrsw x12, 3f
        ldrsw x13, 4f
        ldr x14, 3f
        prfm pldl1keep, 2f
        b 1f
        .balign 8
    2:  .quad 0x8899aabbccddeeff
    3:  .word 0x80000001
        .word 0x12345678
    4:  .word 0x7ffffff0
    1:  ldr w15, 3b
     """, {}),
    ("prefetch_never_faults", """
        prfm pldl1keep, [x1]
        prfm pstl2strm, [x1, x4, lsl #3]
        prfum pldl1keep, [x3, #1]
        prfm plil1keep, [sp, #8]
        prfm pldl1keep, [x9]
        prfm pldl3strm, [x9, x10]
        prfum pstl1keep, [x9, #-7]
        ldr x10, [x1]
     """, {"x9": 0xdead0000beef0001}),
    ("unprivileged", """
        ldtr x10, [x1, #8]
        ldtrb w11, [x1, #1]
        ldtrsh x12, [x1, #-2]
        ldtrsw x13, [x2, #4]
        sttr x14, [x1, #16]
        sttrh w15, [x3]
        ldtrsb w16, [x1]
        ldtrh w17, [x3, #-3]
        ldtr w18, [x3, #1]
        sttrb w19, [x2, #-1]
        sttr w20, [x2, #252]
        ldtrsb x21, [x2, #-256]
        ldtrsh w22, [x24]
     """, {}),
    ("pairs_offset", """
        ldp x10, x11, [x1]
        ldp w12, w13, [x1, #-8]
        ldpsw x14, x15, [x2, #-4]
        ldnp x16, x17, [x1, #16]
        ldnp w18, w19, [x2, #252]
        stp x20, x21, [x1, #32]
        stp w22, w23, [x3, #-4]
        stnp x24, x25, [x3, #8]
        stnp w26, w27, [x1, #-32]
        stp xzr, x28, [x24, #-512]
        ldp x29, x30, [x3, #-8]
        ldpsw x9, x8, [x24, #-256]
     """, {"x24": BUF + 0x218}),
    ("pairs_pre_post", """
        ldp x10, x11, [x1, #16]!
        ldp w12, w13, [x2], #-8
        ldpsw x14, x15, [x3, #4]!
        stp x16, x17, [x1], #-32
        stp w18, w19, [x2, #8]!
        ldp x20, x21, [x24], #504
        stp w22, w23, [x25, #-64]!
        stp x28, x29, [x26], #-8
     """, {}),
    ("pair_crossing_page", """
        stp x10, x11, [x2, #-8]
        stp x12, x13, [x3, #-8]
        stp w14, w15, [x2, #-4]
        stp w16, w17, [x3, #0]
        ldp x18, x19, [x3, #-16]
        ldp w20, w21, [x3, #-4]
        ldpsw x22, x23, [x2, #-4]
     """, {}),
    ("exclusive_success", """
        ldxr x10, [x1]
        stxr w11, x12, [x1]
        ldxrb w13, [x3]
        stxrb w14, w15, [x3]
        ldaxrh w16, [x2]
        stlxrh w17, w18, [x2]
        ldaxr w19, [x24]
        stlxr w20, w21, [x24]
        ldxr x22, [sp]
        stxr w23, xzr, [sp]
     """, {}),
    ("exclusive_failure", """
        ldxr x10, [x1]
        str x13, [x1]
        stxr w11, x12, [x1]
        ldxr x14, [x24]
        stxr w15, x16, [x25]
        stxr w17, x18, [x24]
        ldxr w19, [x26]
        clrex
        stxr w20, w21, [x26]
        stxrb w22, w23, [x2]
     """, {}),
    ("exclusive_same_value_and_twice", """
        ldxr x10, [x1]
        str x10, [x1]
        stxr w11, x12, [x1]
        stxr w13, x14, [x1]
        ldxr w15, [x24]
        ldxr w16, [x25]
        stxr w17, w18, [x25]
        stxr w19, w20, [x24]
     """, {}),
    ("exclusive_pairs", """
        ldxp x10, x11, [x1]
        stxp w12, x13, x14, [x1]
        ldaxp w15, w16, [x2]
        stlxp w17, w18, w19, [x2]
        ldxp x20, x21, [x24]
        str x22, [x24, #8]
        stxp w23, x28, x29, [x24]
        ldxp w8, w9, [x26]
        stxp w30, w28, w29, [x25]
     """, {}),
    ("exclusive_register_overlaps", """
        ldxr x10, [x1]
        stxr w10, x10, [x1]
        ldxr x11, [x24]
        stxr w24, x12, [x24]
        ldxp x13, x13, [x25]
        stxp w16, x16, x17, [x25]
        ldxr x2, [x2]
        ldaxp w18, w18, [x26]
        stlxp w19, w19, w20, [x26]
        ldadd x27, x27, [x27]
        ldr x21, [x3]
        cas x21, x3, [x3, #0]
     """, {"x3": BUF + 0x110}),
    ("acquire_release", """
        ldar x10, [x1]
        ldarb w11, [x3]
        ldarh w12, [x2]
        ldar w13, [x24]
        stlr x14, [x25]
        stlrb w15, [x3]
        stlrh w16, [x2, #0]
        stlr w17, [x26]
        ldar x18, [sp]
        stlr xzr, [x27]
     """, {}),
    ("cas", """
        ldr x10, [x1]
        cas x10, x11, [x1]
        cas x12, x13, [x1, #0]
        ldrb w14, [x3]
        casb w14, w15, [x3]
        casab w16, w17, [x3]
        ldrh w18, [x2]
        caslh w18, w19, [x2]
        ldr w20, [x24]
        casal w20, w21, [x24]
        casa x22, x23, [x25]
        ldr x8, [x26]
        casl x8, xzr, [x26]
     """, {"x16": 0x1234}),
    ("cas_w_ignores_high_bits", """
        ldr w10, [x24]
        ldr x11, [x24]
        cas w11, w12, [x24]
        ldrh w13, [x25]
        cash w13, w14, [x25]
     """, {}),
    ("casp", """
        ldp x10, x11, [x1]
        casp x10, x11, x12, x13, [x1]
        casp x14, x15, x16, x17, [x2]
        ldp w18, w19, [x24]
        caspal w18, w19, w20, w21, [x24]
        caspa w22, w23, w8, w9, [x25]
        ldp x28, x29, [sp]
        caspl x28, x29, x26, x27, [sp]
     """, {}),
    ("lse_add_clr_eor_set", """
        ldadd x10, x11, [x1]
        ldaddab w12, w13, [x2]
        ldaddlh w14, w15, [x24]
        ldaddal w16, w17, [x25]
        ldclr x18, x19, [x26]
        ldclrab w20, w21, [x3]
        ldclrh w22, w23, [x27]
        ldeor w28, w29, [x1, #0]
        ldeoral x8, x9, [x24]
        ldeorb w10, w11, [x2]
        ldset x12, x13, [x25]
        ldsetlb w14, w15, [x26]
        ldsetah w16, w17, [x3, #0]
     """, {"x3": BUF + 0xfe}),
    ("lse_min_max", """
        ldsmax x10, x11, [x1]
        ldsmaxb w12, w13, [x2]
        ldsmaxh w14, w15, [x24]
        ldsmaxal w16, w17, [x25]
        ldsmin x18, x19, [x26]
        ldsminb w20, w21, [x1]
        ldsminlh w22, w23, [x2]
        ldsmina w28, w29, [x24]
        ldumax x8, x9, [x25]
        ldumaxb w10, w11, [x26]
        ldumaxh w12, w13, [x1]
        ldumaxl w14, w15, [x2]
        ldumin x16, x17, [x24]
        lduminab w18, w19, [x25]
        lduminh w20, w21, [x26]
        ldumin w22, w23, [x27]
        ldsmax x28, x29, [sp]
        ldsmin w30, w9, [sp]
     """, {"x10": 0x7fffffffffffff00, "x12": 0x80, "x14": 0x7f01, "x16": 0xffffffff,
           "x18": 0x8000000000000001, "x20": 0x7f, "x22": 0x8000, "x28": 1 << 63,
           "x8": M64}),
    ("lse_swp_and_st_aliases", """
        swp x10, x11, [x1]
        swpab w12, w13, [x2]
        swplh w14, w15, [x24]
        swpal w16, w17, [x25]
        stadd x18, [x26]
        staddlb w19, [x3]
        stclr x20, [x27]
        steorh w21, [x1]
        stset w22, [x2]
        stsmaxb w23, [x24]
        stsminl x28, [x25]
        stumax w29, [x26]
        stuminb w8, [x27]
        swp xzr, x9, [x1]
        swp x10, x10, [x2]
     """, {"x3": BUF + 0xff}),
]


def _assemble_and_link(tmp, source):
    (tmp / "prog.s").write_text(source)
    subprocess.run([AS, "-W", "-o", str(tmp / "prog.o"), str(tmp / "prog.s")], check=True)
    subprocess.run([LD, "-static", "-nostdlib", "-e", "_start", f"-Ttext={TEXT:#x}",
                    f"-Tdata={REGS_OUT:#x}", "-o", str(tmp / "prog"), str(tmp / "prog.o")],
                   check=True)
    with open(tmp / "prog", "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: s["st_value"] for s in symtab.iter_symbols()}


def build_reference_program(tmp):
    """The static ELF running every case; returns its path and symbol table."""
    save = [f"stp x{k}, x{k + 1}, [x0, #{8 * k}]" for k in range(1, 30, 2)]
    load = [f"ldp x{k}, x{k + 1}, [x30, #{8 * k}]" for k in range(0, 30, 2)]
    text = [".arch armv8.1-a", ".text", ".global _start", "_start:"]
    data = [".data", "regs_out: .skip 256", "buf: .skip %d" % BUF_SIZE,
            "pristine: .byte " + ",".join(map(str, PRISTINE)), ".balign 8"]
    for k, (_, body, over) in enumerate(CASES):
        regs = initial_regs(over)
        text += [
            "clrex",
            "adrp x0, pristine", "add x0, x0, :lo12:pristine",
            "adrp x1, buf", "add x1, x1, :lo12:buf",
            f"mov x2, #{BUF_SIZE}",
            "1: ldrb w3, [x0], #1", "strb w3, [x1], #1", "subs x2, x2, #1", "b.ne 1b",
            f"adrp x30, init{k}", f"add x30, x30, :lo12:init{k}",
            "ldr x0, [x30, #248]", "mov sp, x0", *load, "ldr x30, [x30, #240]",
            f"case{k}_start:", body, f"case{k}_end:",
            "msr tpidr_el0, x0",
            "adrp x0, regs_out", "add x0, x0, :lo12:regs_out", *save,
            "mov x1, sp", "str x1, [x0, #248]", "mrs x1, tpidr_el0", "str x1, [x0]",
            "mov x0, #1", "adrp x1, regs_out", "add x1, x1, :lo12:regs_out",
            f"mov x2, #{256 + BUF_SIZE}", "mov x8, #64", "svc #0",
        ]
        data.append(f"init{k}: .quad " + ",".join(str(regs[f"x{j}"]) for j in range(31))
                    + f",{regs['sp']}")
    text += ["mov x0, #0", "mov x8, #93", "svc #0"]
    syms = _assemble_and_link(tmp, "\n".join(text + data) + "\n")
    assert syms["buf"] == BUF and syms["regs_out"] == REGS_OUT
    return tmp / "prog", syms


def split_state(blob):
    regs = [int.from_bytes(blob[8 * k:8 * k + 8], "little") for k in range(32)]
    return regs, blob[256:256 + BUF_SIZE]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(case name -> (qemu-aarch64 state, qemu_py state)) for every case."""
    tmp = tmp_path_factory.mktemp("ldst")
    prog, syms = build_reference_program(tmp)
    out = subprocess.run([QEMU, "-cpu", "max", str(prog)], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    chunk = 256 + BUF_SIZE
    assert len(out.stdout) == chunk * len(CASES)

    m = Machine(cpu="max")
    m.load(str(prog))
    results = {}
    for k, (name, _, over) in enumerate(CASES):
        ref = split_state(out.stdout[k * chunk:(k + 1) * chunk])
        m.write_phys(BUF, PRISTINE)
        around = m.read_phys(BUF - GUARD, BUF_SIZE + 2 * GUARD)
        m.set_entry(syms[f"case{k}_start"], **initial_regs(over))
        res = m.run(max_insns=10000, until_pc=syms[f"case{k}_end"])
        problem = None
        if res.reason != "break":
            problem = f"stopped by {res.reason} at {m.core.get_reg(0, 'pc'):#x}"
        after = m.read_phys(BUF - GUARD, BUF_SIZE + 2 * GUARD)
        if after[:GUARD] != around[:GUARD] or after[-GUARD:] != around[-GUARD:]:
            # The reference cannot see stores outside the buffer: the cases must not make any.
            problem = "the case stores outside the buffer"
        regs = [m.core.get_reg(0, f"x{j}") for j in range(31)] + [m.core.get_reg(0, "sp")]
        results[name] = (ref, (regs, m.read_phys(BUF, BUF_SIZE)), problem)
    return results


def reg_name(k):
    return "sp" if k == 31 else f"x{k}"


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_against_qemu(runs, name):
    (ref_regs, ref_buf), (regs, buf), problem = runs[name]
    assert problem is None, problem
    diffs = [f"{reg_name(k)}: qemu {a:#x} qemu_py {b:#x}"
             for k, (a, b) in enumerate(zip(ref_regs, regs)) if a != b]
    diffs += [f"buf+{k:#x}: qemu {a:#04x} qemu_py {b:#04x}"
              for k, (a, b) in enumerate(zip(ref_buf, buf)) if a != b][:8]
    assert not diffs, "\n".join(diffs)


# --- faults and UNDEFINED encodings ---------------------------------------------------------------
# These would stop the qemu-aarch64 process, so qemu_py is checked against the Arm ARM directly:
# the exception class, fault status, WnR, FAR and ELR the manual gives for each.

CODE = 0x40030000
EC_UNKNOWN, EC_DABORT_SAME, EC_SP_ALIGN = 0x00, 0x25, 0x26
DFSC_ALIGNMENT = 0x21
SCTLR_SA = 1 << 3


def assemble(tmp, source):
    (tmp / "snip.s").write_text(".arch armv8.1-a\n" + source + "\n")
    subprocess.run([AS, "-W", "-o", str(tmp / "snip.o"), str(tmp / "snip.s")], check=True)
    subprocess.run(["aarch64-linux-gnu-objcopy", "-O", "binary", "-j", ".text",
                    str(tmp / "snip.o"), str(tmp / "snip.bin")], check=True)
    return (tmp / "snip.bin").read_bytes()


def run_snippet(tmp, source, cpu="max", regs=None, sysregs=None, stop=VECTORS + 0x200):
    """Run `source` at CODE at EL1 with SP_EL1 in use until the vector at `stop` (a `b .` loop
    fills the vector table). The first instruction is a NOP so a fault in the second is seen
    as such. Returns the machine."""
    m = Machine(cpu=cpu)
    m.write_phys(VECTORS, (0x14000000).to_bytes(4, "little") * 0x200)     # b . everywhere
    m.write_phys(CODE, assemble(tmp, "nop\n" + source))
    m.write_phys(BUF, PRISTINE)
    m.set_entry(CODE, **initial_regs(regs or {}))
    m.core.set_reg(0, "vbar_el1", VECTORS)
    for name, value in (sysregs or {}).items():
        m.core.set_reg(0, name, value)
    m.last = m.run(max_insns=1000, until_pc=stop)
    return m


def syndrome(m):
    esr = m.core.get_reg(0, "esr_el1")
    return esr >> 26, (esr >> 25) & 1, esr & 0x1ffffff


ALIGNMENT_FAULTS = [
    # (instruction, registers, faulting address, WnR)
    ("ldaxr x0, [x1]", {"x1": BUF + 1}, BUF + 1, 0),
    ("ldxr w0, [x1]", {"x1": BUF + 2}, BUF + 2, 0),
    ("ldxrh w0, [x1]", {"x1": BUF + 3}, BUF + 3, 0),
    ("stlxr w2, x0, [x1]", {"x1": BUF + 4}, BUF + 4, 1),
    ("stxr w2, x0, [x1]", {"x1": BUF + 4}, BUF + 4, 1),
    ("ldxp x0, x2, [x1]", {"x1": BUF + 8}, BUF + 8, 0),
    ("ldaxp w0, w2, [x1]", {"x1": BUF + 4}, BUF + 4, 0),
    ("stxp w3, x0, x2, [x1]", {"x1": BUF + 8}, BUF + 8, 1),
    ("ldar w0, [x1]", {"x1": BUF + 2}, BUF + 2, 0),
    ("stlrh w0, [x1]", {"x1": BUF + 1}, BUF + 1, 1),
    ("ldadd w0, w2, [x1]", {"x1": BUF + 2}, BUF + 2, 1),
    ("ldumaxh w0, w2, [x1]", {"x1": BUF + 1}, BUF + 1, 1),
    ("swp x0, x2, [x1]", {"x1": BUF + 12}, BUF + 12, 1),
    ("cas x0, x2, [x1]", {"x1": BUF + 4}, BUF + 4, 1),
    ("casp x0, x1, x2, x3, [x4]", {"x4": BUF + 8}, BUF + 8, 1),
    ("casp w0, w1, w2, w3, [x4]", {"x4": BUF + 4}, BUF + 4, 1),
]


@pytest.mark.parametrize("insn,regs,far,wnr", ALIGNMENT_FAULTS, ids=[f[0] for f in ALIGNMENT_FAULTS])
def test_alignment_fault(tmp_path, insn, regs, far, wnr):
    m = run_snippet(tmp_path, insn, regs=regs)
    assert m.last.reason == "break"
    ec, il, iss = syndrome(m)
    assert (ec, il, iss & 0x3f, (iss >> 6) & 1) == (EC_DABORT_SAME, 1, DFSC_ALIGNMENT, wnr)
    assert m.core.get_reg(0, "far_el1") == far
    assert m.core.get_reg(0, "elr_el1") == CODE + 4
    # Nothing changed: registers keep their values, memory its contents.
    start = initial_regs(regs)
    assert [m.core.get_reg(0, f"x{k}") for k in range(31)] == [start[f"x{k}"] for k in range(31)]
    assert m.read_phys(BUF, BUF_SIZE) == PRISTINE


NOWHERE = 0x20000000            # no RAM or device answers here: accesses take an external abort
DFSC_EXTERNAL = 0x10

EXTERNAL_ABORTS = [
    # (instruction, WnR): atomics report their faults as writes, plain loads as reads.
    ("ldr x0, [x1]", 0), ("ldrsh w0, [x1]", 0), ("str x0, [x1]", 1), ("ldp x0, x2, [x1]", 0),
    ("stp w0, w2, [x1]", 1), ("ldxr x0, [x1]", 0), ("ldar w0, [x1]", 0), ("stlr w0, [x1]", 1),
    ("ldadd x0, x2, [x1]", 1), ("swpb w0, w2, [x1]", 1), ("cas w0, w2, [x1]", 1),
    ("casp x2, x3, x4, x5, [x1]", 1), ("stsetl x0, [x1]", 1),
]


@pytest.mark.parametrize("insn,wnr", EXTERNAL_ABORTS, ids=[f[0] for f in EXTERNAL_ABORTS])
def test_external_abort_syndrome(tmp_path, insn, wnr):
    m = run_snippet(tmp_path, insn, regs={"x1": NOWHERE})
    assert m.last.reason == "break"
    ec, il, iss = syndrome(m)
    assert (ec, il, iss & 0x3f, (iss >> 6) & 1) == (EC_DABORT_SAME, 1, DFSC_EXTERNAL, wnr)
    assert m.core.get_reg(0, "far_el1") == NOWHERE
    assert m.core.get_reg(0, "elr_el1") == CODE + 4


def test_store_pair_writes_nothing_when_its_second_half_faults(tmp_path):
    # The pair straddles the end of RAM: its first half is in RAM, its second (or the end of
    # it) finds nothing there.
    end = 0x40000000 + Machine().config.memory
    for insn, base in (("stp x2, x3, [x1]", end - 8), ("stp w2, w3, [x1]", end - 4),
                       ("stp x2, x3, [x1]", end - 12), ("stp x2, x3, [x1, #-16]!", end + 4)):
        m = run_snippet(tmp_path, insn, regs={"x1": base})
        assert m.last.reason == "break", insn
        ec, il, iss = syndrome(m)
        assert (ec, iss & 0x3f, (iss >> 6) & 1) == (EC_DABORT_SAME, DFSC_EXTERNAL, 1), insn
        assert m.read_phys(end - 16, 16) == bytes(16), insn
        assert m.core.get_reg(0, "x1") == base, insn


def test_byte_atomics_need_no_alignment(tmp_path):
    m = run_snippet(tmp_path, "swpb w0, w2, [x1]\nldaxrb w3, [x1]\nstlxrb w4, w5, [x1]\nb .",
                    regs={"x1": BUF + 1, "x0": 0x5a}, stop=CODE + 16)
    assert m.last.reason == "break"
    assert m.core.get_reg(0, "x2") == PRISTINE[1]
    assert m.core.get_reg(0, "x3") == 0x5a
    assert m.core.get_reg(0, "x4") == 0
    assert m.read_phys(BUF + 1, 1) == bytes([initial_regs({})["x5"] & 0xff])


SP_FAULTS = ["ldr x0, [sp]", "str w0, [sp, #4]", "ldur x0, [sp, #-8]", "stp x0, x1, [sp, #-16]!",
             "ldp x0, x1, [sp], #16", "ldrb w0, [sp, x4]", "ldxr x0, [sp]", "stlr x0, [sp]",
             "ldadd x0, x1, [sp]", "cas x0, x1, [sp]", "ldtr x0, [sp]", "ldr x0, [sp, #8]!"]


@pytest.mark.parametrize("insn", SP_FAULTS)
def test_sp_alignment_fault(tmp_path, insn):
    sp = BUF + 0x188
    m = run_snippet(tmp_path, insn, regs={"sp": sp})
    assert m.last.reason == "break"
    assert syndrome(m) == (EC_SP_ALIGN, 1, 0)
    assert m.core.get_reg(0, "elr_el1") == CODE + 4
    assert m.core.get_reg(0, "sp_el1") == sp           # no writeback
    assert m.read_phys(BUF, BUF_SIZE) == PRISTINE


def test_sp_alignment_check_off_and_exempt(tmp_path):
    # SCTLR_EL1.SA clear: a misaligned SP is a base like any other. PRFM never checks, and a
    # base other than SP is not checked.
    sctlr = 0x00c50838 & ~SCTLR_SA
    m = run_snippet(tmp_path, "ldr x0, [sp, #8]\nstp x2, x3, [sp, #-8]!\nb .",
                    regs={"sp": BUF + 0x188}, sysregs={"sctlr_el1": sctlr}, stop=CODE + 12)
    assert m.last.reason == "break"
    assert m.core.get_reg(0, "x0") == int.from_bytes(PRISTINE[0x190:0x198], "little")
    assert m.core.get_reg(0, "sp") == BUF + 0x180
    m = run_snippet(tmp_path, "prfm pldl1keep, [sp]\nprfum pldl1keep, [sp, #1]\nldr x0, [x1]\nb .",
                    regs={"sp": BUF + 0x184}, stop=CODE + 16)
    assert m.last.reason == "break"
    assert m.core.get_reg(0, "x0") == int.from_bytes(PRISTINE[0x20:0x28], "little")


def test_sp_alignment_at_el0_uses_sa0(tmp_path):
    # ERET to EL0t, where SCTLR_EL1.SA0 (set at reset) governs; the fault comes from a lower EL.
    el0_code = CODE + 0x100
    src = "eret\n" + "nop\n" * 62 + "ldr x0, [sp]\n"
    m = run_snippet(tmp_path, src, regs={"sp": BUF + 0x180}, stop=VECTORS + 0x400,
                    sysregs={"sp_el0": BUF + 0x184, "spsr_el1": 0, "elr_el1": el0_code})
    assert m.last.reason == "break"
    assert syndrome(m) == (EC_SP_ALIGN, 1, 0)
    assert m.core.get_reg(0, "elr_el1") == el0_code


LSE_INSNS = ["ldadd x0, x1, [x2]", "stclrb w0, [x2]", "swpal w0, w1, [x2]", "cas x0, x1, [x2]",
             "casp x0, x1, x2, x3, [x4]", "ldsminlh w0, w1, [x2]"]


@pytest.mark.parametrize("insn", LSE_INSNS)
def test_lse_undefined_without_feat_lse(tmp_path, insn):
    m = run_snippet(tmp_path, insn, cpu="cortex-a57", regs={"x2": BUF, "x4": BUF})
    assert m.last.reason == "break"
    assert syndrome(m) == (EC_UNKNOWN, 1, 0)
    assert m.core.get_reg(0, "elr_el1") == CODE + 4
    assert m.read_phys(BUF, BUF_SIZE) == PRISTINE


# Encodings unallocated in every architecture version, with the rule that makes them so.
UNDEF_WORDS = {
    0xf8620020 | (0b000 << 13) | (0b10 << 10): "register offset, option 000",
    0xf8620020 | (0b001 << 13) | (0b10 << 10): "register offset, option 001",
    0xb8620020 | (0b100 << 13) | (0b10 << 10): "register offset, option 100",
    0x38620020 | (0b101 << 13) | (0b10 << 10): "register offset, option 101",
    0xf8800400: "PRFM post-index",
    0xf8800c00: "PRFM pre-index",
    0xf8800800: "PRFM unprivileged",
    0xb9c00000: "LDRS* to W of a word (size 10, opc 11)",
    0xf9c00000: "size 11, opc 11",
    0xb8c00400: "LDRS* to W of a word, post-index",
    0xa9c00440 | (1 << 31) | (1 << 30): "pair with opc 11",
    0x68400440: "LDNP with opc 01",
    0x48217c82: "CASP with an odd Rs",
    0x48207c83: "CASP with an odd Rt",
    0xf8209041: "atomic with o3 = 1, opc 001",
}


def test_undefined_encodings_decode_as_undef():
    from qemu_py import _core
    wrong = {hex(w): why for w, why in UNDEF_WORDS.items() if _core.decode(w)[0] != "UNDEF"}
    assert not wrong


def test_undefined_encodings_raise_undef(tmp_path):
    for word, why in UNDEF_WORDS.items():
        m = run_snippet(tmp_path, f".inst {word:#x}", regs={"x2": BUF, "x4": BUF})
        assert syndrome(m) == (EC_UNKNOWN, 1, 0), why


def test_undefined_encodings_are_sigill_in_qemu(tmp_path):
    # The reference agrees that they are unallocated: each one, as the entry point of a static
    # ELF, stops qemu-aarch64 with SIGILL.
    (tmp_path / "undef.s").write_text(".text\n" + "".join(
        f".global w{k}\nw{k}: .inst {w:#x}\n" for k, w in enumerate(UNDEF_WORDS)))
    subprocess.run([AS, "-o", str(tmp_path / "undef.o"), str(tmp_path / "undef.s")], check=True)
    for k, why in enumerate(UNDEF_WORDS.values()):
        elf = tmp_path / f"undef{k}"
        subprocess.run([LD, "-static", "-nostdlib", "-e", f"w{k}", f"-Ttext={TEXT:#x}", "-o",
                        str(elf), str(tmp_path / "undef.o")], check=True)
        proc = subprocess.run([QEMU, "-cpu", "max", str(elf)], capture_output=True, timeout=30)
        assert proc.returncode == -4, f"{why}: qemu-aarch64 exit status {proc.returncode}"
