"""Quick differential tests of the A64 data-processing instructions against qemu-aarch64.

Each case is a short instruction sequence with random (edge-heavy) starting registers and NZCV.
One static ELF runs every case under qemu-aarch64: it loads the case's registers from a table,
runs the sequence, stores X0-X30, SP and NZCV, and finally write()s all results to stdout. qemu_py
runs the same bytes (the sequence only, between the case's start and end labels) with the
registers set from Python, and the final states must agree.

A second ELF checks which encodings are allocated: it runs random words from the data-processing
classes on qemu-aarch64 -cpu cortex-a57 (Armv8.0 + CRC32, the architecture these decoders
implement) with a SIGILL handler that notes the undefined ones; qemu_py must decode exactly those
as UNDEF.
"""
import os
import random
import shutil
import struct
import subprocess

import pytest

from qemu_py import _core
from qemu_py.machine import Machine

TEXT_BASE = 0x40080000
CROSS = "aarch64-linux-gnu-"
TOOLS = [CROSS + "as", CROSS + "ld", CROSS + "objcopy", CROSS + "nm", "qemu-aarch64"]

pytestmark = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                                reason="needs aarch64 binutils and qemu-aarch64")

M64 = (1 << 64) - 1
INT64_MIN = 1 << 63
INT64_MAX = (1 << 63) - 1
EDGES = [0, 1, 2, M64, M64 - 1, INT64_MIN, INT64_MAX, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         0x100000000, 0xFFFFFFFF80000000, 31, 32, 63, 64, 0xFFFF, 0x8000, 0x00FF00FF00FF00FF]
CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
         "al", "nv"]


def rand_value(rng):
    k = rng.random()
    if k < 0.5:
        return rng.choice(EDGES)
    if k < 0.7:
        return rng.getrandbits(32) | (rng.choice([0, M64 ^ 0xFFFFFFFF]))
    return rng.getrandbits(64)


def rand_state(rng, fixed=None):
    regs = {f"x{k}": rand_value(rng) for k in range(31)}
    regs["sp"] = rng.getrandbits(60) << 4
    regs["nzcv"] = rng.getrandbits(4) << 28
    regs.update(fixed or {})
    return regs


# --- the cases, by instruction group ----------------------------------------------------------------
# Each entry: (asm body, repetitions with fresh random registers, fixed registers or None).

DP_IMM = [
    ("adr x0, . + 8\nadr x1, . - 4\nadr x2, . + 0xfffff\nadrp x3, .\nadrp x4, . + 0x12345000\n"
     "adrp x5, . - 0x40000000\nadr x6, . - 0x100000", 1, None),
    ("add x0, x1, #0\nadd x2, x3, #4095\nadd x4, x5, #1, lsl #12\nadd w6, w7, #4095, lsl #12\n"
     "sub x8, x9, #1\nsub w10, w11, #2\nsub w12, w12, #0xfff, lsl #12\nadd w13, w14, #0", 4, None),
    ("add x13, sp, #8\nadd sp, x14, #16\nsub x15, sp, #1\nadd w16, wsp, #3\nmov x17, sp", 3, None),
    ("add wsp, w18, #1\nmov x19, sp\nsub sp, sp, #0xfff\nmov x20, sp", 3, None),
] + [
    (f"{insn}", 6, None) for insn in [
        "adds x0, x1, #1", "adds w0, w1, #4095, lsl #12", "adds w0, w1, #1", "subs x2, x3, #1",
        "subs w2, w3, #0", "cmp x4, #0", "cmp w4, #1", "cmn x5, #1", "cmn w5, #1",
        "subs x6, sp, #16", "adds x7, sp, #4095", "cmp wsp, #1", "subs x0, x0, #1, lsl #12"]
] + [
    ("and x0, x1, #0xff\nand w2, w3, #0x80000001\norr x4, x5, #0x5555555555555555\n"
     "orr w6, w7, #0xf0f0f0f0\neor x8, x9, #0xfffffffffffffffe\neor w10, w11, #0x3ffc\n"
     "mov x12, #0x00ff00ff00ff00ff\nmov w13, #0xff00ff00\nand x14, x15, #0x3333333333333333\n"
     "eor x16, x17, #0x7fffffffffffffff\norr x18, x19, #0x8000000000000001\n"
     "and w20, w21, #0x7ffffffe\neor w22, w23, #0xaaaaaaaa\norr x24, x25, #0xc\n"
     "and x26, x27, #0xfffffffff0000000\neor x28, x29, #0x0001000100010001", 4, None),
    ("and sp, x1, #0xfffffffffffffff0\nmov x2, sp\norr sp, x3, #0x8\nmov x4, sp\n"
     "eor wsp, w5, #1\nmov x6, sp", 3, None),
] + [
    (insn, 5, None) for insn in [
        "ands x0, x1, #0x8000000000000000", "ands w0, w1, #0x80000000", "tst x2, #1",
        "tst w3, #0xffff", "ands x4, x5, #0x7fffffffffffffff", "ands w6, w7, #0x55555555"]
] + [
    ("movz x0, #0x1234, lsl #48\nmovz w1, #0xffff, lsl #16\nmovn x2, #0\nmovn w3, #0\n"
     "movn x4, #0x1234, lsl #32\nmovk x5, #0xbeef, lsl #16\nmovk w6, #0x1, lsl #16\n"
     "movk x7, #0xffff, lsl #48\nmovk w8, #0\nmovn w9, #0x8000, lsl #16\nmovz x10, #0\n"
     "movk x11, #0x8765\nmovk x12, #0x4321, lsl #32", 3, None),
    ("asr x0, x1, #63\nasr w2, w3, #31\nlsr x4, x5, #1\nlsr w6, w7, #31\nlsl x8, x9, #63\n"
     "lsl w10, w11, #1\nasr x12, x13, #0\nlsl w14, w15, #31\nlsr x16, x17, #63\nasr w18, w19, #1\n"
     "lsl x20, x21, #1\nlsr w22, w23, #0\nlsl w24, w25, #0", 4, None),
    ("sxtb x0, w1\nsxth x2, w3\nsxtw x4, w5\nsxtb w6, w7\nsxth w8, w9\nuxtb w10, w11\n"
     "uxth w12, w13", 4, None),
    ("sbfiz x0, x1, #3, #7\nsbfiz w2, w3, #31, #1\nsbfx x4, x5, #60, #4\nsbfx w6, w7, #1, #31\n"
     "ubfiz x8, x9, #63, #1\nubfiz w10, w11, #4, #20\nubfx x12, x13, #1, #63\n"
     "ubfx w14, w15, #16, #16\nsbfx x16, x17, #0, #64\nubfx x18, x19, #0, #1", 4, None),
    ("bfi x0, x1, #8, #16\nbfi w2, w3, #31, #1\nbfxil x4, x5, #60, #4\nbfxil w6, w7, #0, #32\n"
     "bfi x8, x9, #0, #64\nbfxil x10, x11, #3, #61\nbfm x12, xzr, #60, #7\nbfi w13, w14, #1, #31",
     4, None),
    ("sbfm x0, x1, #5, #2\nubfm w2, w3, #30, #1\nbfm x4, x5, #63, #62\nsbfm w6, w7, #0, #0\n"
     "ubfm x8, x9, #0, #0\nbfm w10, w11, #31, #31", 3, None),
    ("extr x0, x1, x2, #0\nextr x3, x4, x5, #1\nextr x6, x7, x8, #63\nextr w9, w10, w11, #0\n"
     "extr w12, w13, w14, #31\nror x15, x16, #17\nror w17, w18, #5\nextr w19, w20, w21, #16",
     4, None),
]


def random_bitfields(rng, n_bodies=8, per_body=8):
    bodies = []
    for _ in range(n_bodies):
        lines = []
        for k in range(per_body):
            op = rng.choice(["sbfm", "bfm", "ubfm"])
            if rng.random() < 0.5:
                lines.append(f"{op} x{k}, x{k + 10}, #{rng.randrange(64)}, #{rng.randrange(64)}")
            else:
                lines.append(f"{op} w{k}, w{k + 10}, #{rng.randrange(32)}, #{rng.randrange(32)}")
        bodies.append(("\n".join(lines), 2, None))
    return bodies


LOGICAL_OPS = ["and", "bic", "orr", "orn", "eor", "eon"]

DP_REG = [
    (f"{op} x0, x1, x2\n{op} w3, w4, w5\n{op} x6, x7, x8, lsl #63\n{op} x9, x10, x11, lsr #1\n"
     f"{op} x12, x13, x14, asr #63\n{op} x15, x16, x17, ror #31\n{op} w18, w19, w20, lsl #31\n"
     f"{op} w21, w22, w23, lsr #5\n{op} w24, w25, w26, asr #31\n{op} w27, w28, w29, ror #1\n"
     f"{op} x30, xzr, x1, ror #0\n{op} x2, x3, x4, ror #63\n{op} w5, w6, w7, asr #0\n"
     f"{op} x8, x9, x10, lsr #63", 3, None)
    for op in LOGICAL_OPS
] + [
    (insn, 4, None) for insn in [
        "ands x0, x1, x2", "ands w0, w1, w2, asr #3", "bics x0, x1, x2, ror #7",
        "bics w0, w1, w2", "tst x3, x4, lsl #1", "ands w0, w1, w2, ror #31",
        "ands x0, x1, x2, lsr #63", "bics w0, w1, w2, lsl #31", "tst w5, w6"]
] + [
    ("mov x0, x1\nmov w2, w3\nmvn x4, x5\nmvn w6, w7, lsr #3\nmov x8, xzr\nmov w9, wzr", 2, None),
    ("add x0, x1, x2\nadd w3, w4, w5\nadd x6, x7, x8, lsl #63\nadd x9, x10, x11, lsr #1\n"
     "add x12, x13, x14, asr #63\nadd w15, w16, w17, lsl #31\nadd w18, w19, w20, lsr #31\n"
     "add w21, w22, w23, asr #1\nsub x24, x25, x26, asr #7\nsub w27, w28, w29, lsr #13\n"
     "neg x30, x1\nneg w2, w3, lsl #3\nsub x4, x5, x6\nsub w7, w8, w9\nadd x10, xzr, x11, lsl #4",
     4, None),
] + [
    (insn, 4, None) for insn in [
        "adds x0, x1, x2", "adds w0, w1, w2", "subs x0, x1, x2", "subs w0, w1, w2",
        "cmp x1, x2", "cmp w1, w2", "cmn x3, x4", "cmn w3, w4", "negs x5, x6", "negs w5, w6",
        "adds x0, x1, x2, lsl #1", "adds w0, w1, w2, asr #31", "subs x0, x1, x2, lsr #63",
        "subs w0, w1, w2, lsl #7", "cmp x3, x4, asr #1", "cmn w5, w6, lsr #2", "cmp x0, x0",
        "subs x0, x1, x1", "adds x0, x1, x1"]
] + [
    ("add x0, x1, w2, uxtb\nadd x3, x4, w5, uxth #1\nadd x6, x7, w8, uxtw #2\n"
     "add x9, x10, x11, uxtx #3\nadd x12, x13, w14, sxtb #4\nadd x15, x16, w17, sxth\n"
     "add x18, x19, w20, sxtw #1\nadd x21, x22, x23, sxtx #2\nadd w24, w25, w26, uxtb #3\n"
     "add w27, w28, w29, sxth #4\nadd w30, w1, w2, uxtw\nadd w3, w4, w5, sxtw #1\n"
     "sub x6, x7, w8, sxtb #2\nsub w9, w10, w11, uxth\nsub x12, x13, x14, sxtx\n"
     "add w15, w16, w17, uxtx #4\nsub w18, w19, w20, sxtx #1", 4, None),
    ("add sp, sp, x1\nadd x2, sp, w3, uxtw #2\nmov x20, sp\nsub sp, x4, w5, sxtb\nmov x6, sp\n"
     "add x7, x8, x9, uxtx #0\nsub x10, sp, x11, lsl #4", 3, None),
    ("add wsp, w7, w8, uxth\nmov x9, sp\nadd w10, wsp, w11\nsub wsp, wsp, w12, sxtw #3\n"
     "mov x13, sp", 3, None),
] + [
    (insn, 4, None) for insn in [
        "adds x0, sp, x1", "cmp sp, w2, uxtw #4", "subs w0, wsp, w1, sxtb", "cmn x1, w2, sxth #2",
        "adds w0, w1, w2, uxtb", "subs x0, x1, w2, sxtw", "cmp w3, w4, uxth #1",
        "adds x0, x1, x2, sxtx #4"]
] + [
    ("adc x0, x1, x2\nadc w3, w4, w5\nsbc x6, x7, x8\nsbc w9, w10, w11\nngc x12, x13\n"
     "ngc w14, w15\nadc x16, xzr, xzr", 4, None),
] + [
    (insn, 4, None) for insn in [
        "adcs x0, x1, x2", "adcs w0, w1, w2", "sbcs x0, x1, x2", "sbcs w0, w1, w2",
        "ngcs w0, w1", "ngcs x0, x1", "adcs x0, x1, x1", "sbcs w0, w1, w1"]
] + [
    ("rbit x0, x1\nrbit w2, w3\nrev16 x4, x5\nrev16 w6, w7\nrev32 x8, x9\nrev x10, x11\n"
     "rev w12, w13\nclz x14, x15\nclz w16, w17\ncls x18, x19\ncls w20, w21\nclz x22, xzr\n"
     "cls w23, wzr\nrev x24, x25\ncls x26, xzr\nclz w27, wzr", 6, None),
    ("udiv x0, x1, x2\nudiv w3, w4, w5\nsdiv x6, x7, x8\nsdiv w9, w10, w11\n"
     "lslv x12, x13, x14\nlsl w15, w16, w17\nlsr x18, x19, x20\nlsrv w21, w22, w23\n"
     "asr x24, x25, x26\nasrv w27, w28, w29\nror x30, x1, x2\nrorv w3, w4, w5", 6, None),
    ("sdiv x0, x1, x2\nsdiv w3, w1, w2\nudiv x4, x1, x2\nudiv w5, w1, w2\nsdiv x6, x1, x7\n"
     "udiv x8, x1, x7\nsdiv w9, w1, w7\nsdiv x10, x11, x2\nsdiv w12, w13, w2",
     1, {"x1": INT64_MIN, "x2": M64, "x7": 0, "x11": 7, "x13": 0x80000000}),
    ("sdiv w0, w1, w2\nsdiv x3, x4, x5\nudiv w6, w7, w8",
     1, {"x1": 0x80000000, "x2": 0xFFFFFFFF, "x4": M64 - 6, "x5": 2, "x7": 7, "x8": 0x100000000}),
    ("lsl x0, x1, x2\nlsr x3, x1, x2\nasr x4, x1, x2\nror x5, x1, x2\nlsl w6, w1, w2\n"
     "lsr w7, w1, w2\nasr w8, w1, w2\nror w9, w1, w2\nlsl x10, x1, x11\nror w12, w1, w11",
     1, {"x1": 0x8000000180000001, "x2": 63, "x11": 64}),
    ("crc32b w0, w1, w2\ncrc32h w3, w4, w5\ncrc32w w6, w7, w8\ncrc32x w9, w10, x11\n"
     "crc32cb w12, w13, w14\ncrc32ch w15, w16, w17\ncrc32cw w18, w19, w20\n"
     "crc32cx w21, w22, x23", 6, None),
    ("madd x0, x1, x2, x3\nmadd w4, w5, w6, w7\nmsub x8, x9, x10, x11\nmsub w12, w13, w14, w15\n"
     "mul x16, x17, x18\nmneg w19, w20, w21\nsmaddl x22, w23, w24, x25\n"
     "smsubl x26, w27, w28, x29\numaddl x30, w1, w2, x3\numsubl x4, w5, w6, x7\n"
     "smulh x8, x9, x10\numulh x11, x12, x13\nsmull x14, w15, w16\numull x17, w18, w19\n"
     "smnegl x20, w21, w22\numnegl x23, w24, w25\nmul w26, w27, w28", 6, None),
    ("smulh x0, x1, x2\numulh x3, x1, x2\nsmulh x4, x1, x1\numulh x5, x2, x2\nmul x6, x1, x2",
     1, {"x1": INT64_MIN, "x2": M64}),
]


def cond_select_cases():
    # Every condition against every NZCV value, through the select and compare instructions.
    out = []
    for nzcv in range(16):
        lines = [f"cset x{k}, {c}" for k, c in enumerate(CONDS[:14])]
        lines += ["csel x14, x20, x21, al", "csel x15, x20, x21, nv",
                  "csinc w16, w20, w21, nv", "csinv x17, x20, x21, al"]
        out.append(("\n".join(lines), 1, {"nzcv": nzcv << 28}))
        lines = [f"csel x{k}, x{k + 1}, x{k + 2}, {c}" if k % 4 == 0 else
                 f"csinc w{k}, w{k + 1}, w{k + 2}, {c}" if k % 4 == 1 else
                 f"csinv x{k}, x{k + 1}, x{k + 2}, {c}" if k % 4 == 2 else
                 f"csneg w{k}, w{k + 1}, w{k + 2}, {c}"
                 for k, c in enumerate(CONDS)]
        lines += ["cneg x20, x21, mi", "cinc w22, w23, lt", "cinv x24, x25, hi",
                  "csetm w26, ge"]
        out.append(("\n".join(lines), 1, {"nzcv": nzcv << 28}))
    return out


def cond_compare_cases(rng):
    out = []
    for c in CONDS:
        for form in ["ccmp x1, x2", "ccmp w1, w2", "ccmn x1, x2", "ccmn w1, w2",
                     "ccmp x3, #0", "ccmp w3, #31", "ccmn x4, #1", "ccmn w4, #17"]:
            out.append((f"{form}, #{rng.randrange(16)}, {c}", 1, None))
    return out


def build_cases(rng):
    specs = DP_IMM + random_bitfields(rng) + DP_REG + cond_select_cases() + cond_compare_cases(rng)
    cases = []
    for body, reps, fixed in specs:
        for _ in range(reps):
            cases.append((body, rand_state(rng, fixed)))
    return cases


# --- building and running -------------------------------------------------------------------------

REG_ORDER = [f"x{k}" for k in range(31)] + ["sp", "nzcv"]
RECORD = 8 * len(REG_ORDER)


def harness_source(cases):
    text = [".text", ".global _start", "_start:"]
    data = [".data", ".balign 16"]
    for k, (body, regs) in enumerate(cases):
        text += [
            f"adrp x30, init_{k}", f"add x30, x30, :lo12:init_{k}",
            "ldr x0, [x30, #256]", "msr nzcv, x0",
            "ldr x0, [x30, #248]", "mov sp, x0",
        ]
        text += [f"ldp x{r}, x{r + 1}, [x30, #{8 * r}]" for r in range(0, 30, 2)]
        text += ["ldr x30, [x30, #240]", f"case_{k}_start:", body, f"case_{k}_end:",
                 "msr tpidr_el0, x30",
                 f"adrp x30, out_{k}", f"add x30, x30, :lo12:out_{k}"]
        text += [f"stp x{r}, x{r + 1}, [x30, #{8 * r}]" for r in range(0, 30, 2)]
        text += ["mrs x0, tpidr_el0", "str x0, [x30, #240]", "mov x0, sp", "str x0, [x30, #248]",
                 "mrs x0, nzcv", "str x0, [x30, #256]"]
        data.append(f"init_{k}: .quad " + ", ".join(hex(regs[n]) for n in REG_ORDER))
    data.append(".balign 16")
    data.append("out_base:")
    for k in range(len(cases)):
        data.append(f"out_{k}: .space {RECORD}")
    data.append("out_end:")
    text += ["mov x0, #1", "adrp x1, out_base", "add x1, x1, :lo12:out_base",
             "adrp x2, out_end", "add x2, x2, :lo12:out_end", "sub x2, x2, x1",
             "mov x8, #64", "svc #0", "mov x0, #0", "mov x8, #93", "svc #0"]
    return "\n".join(text + data) + "\n"


def assemble(tmp_path, name, source):
    src = tmp_path / f"{name}.S"
    obj = tmp_path / f"{name}.o"
    elf = tmp_path / f"{name}.elf"
    src.write_text(source)
    subprocess.run([CROSS + "as", "-march=armv8-a+crc", "-o", str(obj), str(src)], check=True)
    subprocess.run([CROSS + "ld", "-static", f"-Ttext={TEXT_BASE:#x}", "-o", str(elf), str(obj)],
                   check=True)
    raw = tmp_path / f"{name}.bin"
    subprocess.run([CROSS + "objcopy", "-O", "binary", "-j", ".text", str(elf), str(raw)],
                   check=True)
    syms = {}
    out = subprocess.run([CROSS + "nm", str(elf)], check=True, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return elf, raw.read_bytes(), syms


def run_reference(elf, cpu="max"):
    res = subprocess.run(["qemu-aarch64", "-cpu", cpu, str(elf)], capture_output=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    return res.stdout


def describe(before, got, want):
    lines = []
    for name in REG_ORDER:
        if got[name] != want[name]:
            lines.append(f"  {name}: qemu_py {got[name]:#x}, qemu-aarch64 {want[name]:#x}"
                         f" (was {before[name]:#x})")
    return "\n".join(lines)


def test_dp_against_qemu_user(tmp_path):
    rng = random.Random(20240601)
    cases = build_cases(rng)
    elf, image, syms = assemble(tmp_path, "dp", harness_source(cases))
    ref = run_reference(elf)
    assert len(ref) == RECORD * len(cases)

    m = Machine(cpu="max")
    m.write_phys(TEXT_BASE, image)
    core = m.core
    failures = []
    for k, (body, regs) in enumerate(cases):
        want = dict(zip(REG_ORDER, struct.unpack_from(f"<{len(REG_ORDER)}Q", ref, k * RECORD)))
        start, end = syms[f"case_{k}_start"], syms[f"case_{k}_end"]
        m.set_entry(start, **regs)
        result = m.run(max_insns=1000, until_pc=end)
        got = {n: core.get_reg(0, n) for n in REG_ORDER}
        if result.reason != "break" or core.get_reg(0, "pc") != end:
            failures.append(f"case {k}: stopped ({result.reason}) at {core.get_reg(0, 'pc'):#x}"
                            f" instead of {end:#x}\n{body}")
        elif got != want:
            failures.append(f"case {k}:\n{body}\n{describe(regs, got, want)}")
    assert not failures, f"{len(failures)} of {len(cases)} cases differ:\n" + \
        "\n\n".join(failures[:10])


# --- which encodings are allocated ------------------------------------------------------------------
# SIGILL handler: note the slot of the faulting instruction and resume after it. Each slot is
# 16 bytes: the word under test, then SP set back to a valid stack (the word may have moved it)
# and a NOP. The ucontext's PC sits at offset 440 on AArch64 Linux.

UNDEF_HARNESS = """
.text
.global _start
_start:
    adrp x9, stack_top
    add sp, x9, :lo12:stack_top
    mov x0, #4                  // SIGILL
    adrp x1, sigact
    add x1, x1, :lo12:sigact
    mov x2, #0
    mov x3, #8
    mov x8, #134                // rt_sigaction
    svc #0
    b slots
on_sigill:
    ldr x9, [x2, #440]
    adrp x10, slots
    add x10, x10, :lo12:slots
    sub x11, x9, x10
    lsr x11, x11, #4
    adrp x12, results
    add x12, x12, :lo12:results
    mov w13, #1
    strb w13, [x12, x11]
    add x9, x9, #4
    str x9, [x2, #440]
    ret
.balign 16
slots:
{slots}
    mov x0, #1
    adrp x1, results
    add x1, x1, :lo12:results
    mov x2, #{count}
    mov x8, #64
    svc #0
    mov x0, #0
    mov x8, #93
    svc #0
.data
.balign 8
sigact:
    .quad on_sigill
    .quad 4                     // SA_SIGINFO
    .quad 0
    .quad 0
results:
    .space {count}
.balign 16
    .space 65536
stack_top:
"""


# Where the random words come from: (mask, value) of fixed bits. The whole of both spaces, and
# the narrow classes again so that their rarely hit opcode fields get many samples.
WORD_SPACES = [
    (0b111 << 26, 0b100 << 26),             # data processing -- immediate (op0 = 100x)
    (0b111 << 25, 0b101 << 25),             # data processing -- register (op0 = x101)
    (0b11111 << 24, 0b11010 << 24),         # with carry, cond compare/select, 1- and 2-source
    (0xff << 21, 0b11010110 << 21),         # 1- and 2-source
    (0xff << 21, 0b11010000 << 21),         # with carry, RMIF, SETF
    (0xff << 21, 0b11010010 << 21),         # conditional compare
    (0xff << 21, 0b11010100 << 21),         # conditional select
    (0b11111 << 24, 0b11011 << 24),         # 3-source
    (0b11111 << 24 | 1 << 21, 0b01011 << 24 | 1 << 21),   # add/subtract (extended register)
    (0b111111 << 23, 0b100110 << 23),       # bitfield
    (0b111111 << 23, 0b100111 << 23),       # extract
    (0b111111 << 23, 0b100011 << 23),       # add/subtract immediate with tags (Armv8.5)
]


def random_dp_words(rng, n):
    words = []
    for _ in range(n):
        mask, value = rng.choice(WORD_SPACES)
        words.append((rng.getrandbits(32) & ~mask) | value)
    return words


def test_dp_undefined_encodings_match_cortex_a57(tmp_path):
    rng = random.Random(777)
    words = random_dp_words(rng, 8000)
    slots = "\n".join(f"    .inst {w:#010x}\n    adrp x9, stack_top\n"
                      f"    add sp, x9, :lo12:stack_top\n    nop" for w in words)
    elf, _, _ = assemble(tmp_path, "undef", UNDEF_HARNESS.format(slots=slots, count=len(words)))
    ref = run_reference(elf, cpu="cortex-a57")
    assert len(ref) == len(words)
    wrong = []
    for w, undef in zip(words, ref):
        ours = _core.decode(w)[0] == "UNDEF"
        if ours != bool(undef):
            wrong.append(f"{w:#010x}: qemu_py {'UNDEF' if ours else _core.decode(w)[0]},"
                         f" cortex-a57 {'UNDEF' if undef else 'defined'}")
    assert not wrong, f"{len(wrong)} encodings disagree:\n" + "\n".join(wrong[:30])


def test_crc32_undefined_without_the_feature():
    m = Machine(cpu="max")
    core = m.core
    word = 0x1AC24020                                        # crc32b w0, w1, w2
    m.write_phys(0x40001000, struct.pack("<I", word))
    m.write_phys(0x40002200, struct.pack("<I", 0x14000000))   # b . at the vector
    core.features = 0
    m.set_entry(0x40001000, x0=5, vbar_el1=0x40002000)
    m.run(max_insns=1)
    assert core.get_reg(0, "pc") == 0x40002200              # current EL with SP_EL1, synchronous
    assert core.get_reg(0, "esr_el1") >> 26 == 0            # EC: unknown reason
    assert core.get_reg(0, "x0") == 5
