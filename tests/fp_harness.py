"""Differential testing of the SIMD&FP instructions against qemu-aarch64 (user mode).

A batch of cases becomes one static AArch64 ELF. Each case loads V0-V31, FPCR, NZCV and X0-X7
from its input block, clears FPSR, runs its instruction sequence, and stores V0-V31, FPSR, NZCV
and X0-X7 to its output block. Under qemu-aarch64 the program then writes all output blocks to
stdout; under qemu_py it runs to the `done` label and the blocks are read from guest memory.

The harness itself uses only SIMD&FP loads/stores, FMOV (general), MRS/MSR, BL/RET and SVC, so it
depends on nothing but this group and the core skeleton. X27 points at a 256-byte scratch area
(initialised from the input block, compared after); sequences must leave X28-X30 alone.
"""

import os
import random
import struct
import subprocess
import tempfile

OFF_FP = 512                 # FPCR in, FPSR out
OFF_NZCV = 520
OFF_X = 528                  # X0-X7, then X27 (out only)
OFF_SCRATCH = 608            # 256 bytes of memory the sequence may use through X27
SCRATCH = 256
STATE = OFF_SCRATCH + SCRATCH
TEXT_ADDR = 0x40100000
SPECIAL_TOOLS = ("aarch64-linux-gnu-as", "aarch64-linux-gnu-ld", "qemu-aarch64")

PROLOGUE = """
    .text
    .global _start
_start:
"""

HELPERS = """
load_state:
""" + "".join(f"    ldp q0, q1, [x28, #{OFF_SCRATCH + 32 * k}]\n    stp q0, q1, [x27, #{32 * k}]\n"
              for k in range(SCRATCH // 32)) + """    ldr d0, [x28, #512]
    fmov x0, d0
    msr fpcr, x0
    msr fpsr, xzr
    ldr d0, [x28, #520]
    fmov x0, d0
    msr nzcv, x0
""" + "".join(f"    ldr d0, [x28, #{OFF_X + 8 * k}]\n    fmov x{k}, d0\n" for k in range(8)) + \
    "".join(f"    ldp q{k}, q{k + 1}, [x28, #{32 * (k // 2)}]\n" for k in range(0, 32, 2)) + """    ret

save_state:
""" + "".join(f"    stp q{k}, q{k + 1}, [x29, #{32 * (k // 2)}]\n" for k in range(0, 32, 2)) + \
    "".join(f"    fmov d0, x{k}\n    str d0, [x29, #{OFF_X + 8 * k}]\n" for k in range(8)) + f"""
    fmov d0, x27
    str d0, [x29, #{OFF_X + 64}]
    mrs x0, fpsr
    fmov d0, x0
    str d0, [x29, #512]
    mrs x0, nzcv
    fmov d0, x0
    str d0, [x29, #520]
    ret
"""


def tools_present():
    from shutil import which
    return all(which(t) for t in SPECIAL_TOOLS)


def build_program(cases, workdir):
    """cases: list of (state bytes, [asm lines]). Returns the ELF path."""
    n = len(cases)
    src = [PROLOGUE]
    for k, (_, lines) in enumerate(cases):
        src.append(f"case_{k}:\n    ldr d30, .Lin_{k}\n    fmov x28, d30\n"
                   f"    ldr d30, .Lout_{k}\n    fmov x29, d30\n"
                   f"    ldr d30, .Lscr_{k}\n    fmov x27, d30\n    bl load_state\n")
        src.extend(f"    {ln}\n" for ln in lines)
        src.append(f"    bl save_state\n    b case_{k + 1}\n    .balign 8\n"
                   f".Lin_{k}: .quad in_data + {k * STATE}\n"
                   f".Lout_{k}: .quad out_data + {k * STATE}\n"
                   f".Lscr_{k}: .quad out_data + {k * STATE + OFF_SCRATCH}\n")
    src.append(f"""case_{n}:
    .global done
    .global vectors
done:
    ldr d0, .Lc1
    fmov x0, d0
    ldr d0, .Lcout
    fmov x1, d0
    ldr d0, .Lclen
    fmov x2, d0
    ldr d0, .Lc64
    fmov x8, d0
    svc #0
    ldr d0, .Lc0
    fmov x0, d0
    ldr d0, .Lc93
    fmov x8, d0
    svc #0
    .balign 8
.Lc0: .quad 0
.Lc1: .quad 1
.Lcout: .quad out_data
.Lclen: .quad {n * STATE}
.Lc64: .quad 64
.Lc93: .quad 93
""")
    src.append(HELPERS)
    # qemu_py runs at EL1: any exception lands here and stops the run at `done`, with ESR/ELR
    # telling what happened. (qemu-aarch64 never comes here.)
    src.append("    .balign 2048\nvectors:\n" + "".join(
        f"    .balign 128\n    b done\n" for _ in range(16)))
    src.append("    .data\n    .balign 16\nin_data:\n")
    for state, _ in cases:
        src.append("    .byte " + ",".join(str(b) for b in state) + "\n")
    src.append(f"    .bss\n    .balign 16\nout_data:\n    .skip {n * STATE}\n")
    asm = os.path.join(workdir, "t.s")
    obj = os.path.join(workdir, "t.o")
    elf = os.path.join(workdir, "t.elf")
    with open(asm, "w") as f:
        f.write("".join(src))
    res = subprocess.run(["aarch64-linux-gnu-as", "-march=armv8-a", "-o", obj, asm],
                         capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError("assembler failed:\n" + res.stderr[:2000])
    subprocess.run(["aarch64-linux-gnu-ld", "-static", "-Ttext", hex(TEXT_ADDR), "-o", elf, obj],
                   check=True, capture_output=True)
    return elf


def symbol(elf, name):
    return symbols(elf)[name]


def symbols(elf):
    out = subprocess.run(["aarch64-linux-gnu-nm", elf], check=True, capture_output=True,
                         text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms


def run_qemu(elf, n):
    res = subprocess.run(["qemu-aarch64", elf], capture_output=True, timeout=120)
    if res.returncode != 0 or len(res.stdout) != n * STATE:
        raise RuntimeError(f"qemu-aarch64 failed: rc={res.returncode} "
                           f"out={len(res.stdout)} err={res.stderr[:500]!r}")
    return res.stdout


def run_qemu_py(elf, n):
    import qemu_py
    m = qemu_py.Machine(cpu="max")
    m.load(elf)
    m.core.set_reg(0, "cpacr_el1", 3 << 20)
    m.core.set_reg(0, "vbar_el1", symbol(elf, "vectors"))
    done = symbol(elf, "done")
    out = symbol(elf, "out_data")
    res = m.run(max_insns=50_000_000, until_pc=done)
    if res.reason != "break":
        pc = m.core.get_reg(0, "pc")
        raise RuntimeError(f"qemu_py stopped: {res.reason} at pc={pc:#x} "
                           f"esr={m.core.get_reg(0, 'esr_el1'):#x} "
                           f"elr={m.core.get_reg(0, 'elr_el1'):#x}")
    if m.core.get_reg(0, "esr_el1"):
        elr = m.core.get_reg(0, "elr_el1")
        syms = symbols(elf)
        k = max((a, int(name[5:])) for name, a in syms.items()
                if name.startswith("case_") and a <= elr)[1]
        raise RuntimeError(f"qemu_py took an exception: esr={m.core.get_reg(0, 'esr_el1'):#x} "
                           f"at {elr:#x}, in case {k}", k)
    return m.read_phys(out, n * STATE)


def decode_state(b):
    v = [int.from_bytes(b[16 * k:16 * k + 16], "little") for k in range(32)]
    fpx, nzcv = struct.unpack_from("<QQ", b, OFF_FP)
    x = list(struct.unpack_from("<9Q", b, OFF_X))
    return v, fpx, nzcv, x, b[OFF_SCRATCH:OFF_SCRATCH + SCRATCH]


def encode_state(v, fpcr, nzcv, x, scratch=bytes(SCRATCH)):
    out = bytearray()
    for val in v:
        out += val.to_bytes(16, "little")
    out += struct.pack("<QQ", fpcr, nzcv)
    out += struct.pack("<9Q", *(list(x) + [0] * (9 - len(x))))
    out += bytes(OFF_SCRATCH - len(out))
    out += scratch
    return bytes(out)


def describe_diff(k, case, ref, got):
    state, lines = case
    v0, fpcr, nzcv0, x0, _ = decode_state(state)
    rv, rf, rn, rx, rs = decode_state(ref)
    gv, gf, gn, gx, gs = decode_state(got)
    msg = [f"case {k}: {' ; '.join(lines)}  (FPCR={fpcr:#x} NZCV={nzcv0:#x})"]
    for r in range(32):
        if rv[r] != gv[r]:
            msg.append(f"  v{r}: in {v0[r]:#034x} qemu {rv[r]:#034x} qemu_py {gv[r]:#034x}")
    if rf != gf:
        msg.append(f"  fpsr: qemu {rf:#x} qemu_py {gf:#x}")
    if rn != gn:
        msg.append(f"  nzcv: qemu {rn:#x} qemu_py {gn:#x}")
    for r in range(9):
        if rx[r] != gx[r]:
            name = f"x{r}" if r < 8 else "x27"
            msg.append(f"  {name}: in {x0[r]:#x} qemu {rx[r]:#x} qemu_py {gx[r]:#x}")
    if rs != gs:
        first = next(k for k in range(SCRATCH) if rs[k] != gs[k])
        msg.append(f"  scratch differs from byte {first}: qemu {rs[first:first + 16].hex()} "
                   f"qemu_py {gs[first:first + 16].hex()}")
    return "\n".join(msg)


def run_batch(cases):
    """Run the cases on both; return a list of difference reports (empty when all agree)."""
    with tempfile.TemporaryDirectory() as tmp:
        elf = build_program(cases, tmp)
        ref = run_qemu(elf, len(cases))
        try:
            got = run_qemu_py(elf, len(cases))
        except RuntimeError as e:
            if len(e.args) > 1:
                raise RuntimeError(f"{e.args[0]}: {cases[e.args[1]][1]}") from None
            raise
    bad = []
    for k, case in enumerate(cases):
        r = ref[k * STATE:(k + 1) * STATE]
        g = got[k * STATE:(k + 1) * STATE]
        if r != g:
            bad.append(describe_diff(k, case, r, g))
    return bad


# --- operands ------------------------------------------------------------------------------

F64_SPECIAL = [
    0x0000000000000000, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000,
    0x7ff8000000000000, 0xfff8000000000001, 0x7ff4000000000abc, 0xfff0000000000001,  # NaNs
    0x0000000000000001, 0x800fffffffffffff, 0x0008000000000000,  # denormals
    0x0010000000000000, 0x8010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
    0x3ff0000000000000, 0xbff0000000000000, 0x4000000000000000, 0x3fe0000000000000,
    0x3ff8000000000000, 0xc004000000000000, 0x4330000000000000, 0x43e0000000000000,
    0xc3e0000000000000, 0x41e0000000000000, 0xc1e0000000000000, 0x43f0000000000000,
    0x3ff0000000000001, 0x3fefffffffffffff, 0x0010000000000001, 0x000fffffffffffff,
    0x3fe0000000000001, 0x4004000000000000, 0xbfe8000000000000, 0x41dfffffffc00000,
]
F32_SPECIAL = [
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7fa00abc,
    0xff800001, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000, 0x7f7fffff,
    0xff7fffff, 0x3f800000, 0xbf800000, 0x40000000, 0x3f000000, 0x3fc00000, 0xc0200000,
    0x4b000000, 0x5f000000, 0xdf000000, 0x4f000000, 0xcf000000, 0x5f800000, 0x3f800001,
    0x3f7fffff, 0x00800001, 0x007fffff, 0x3f000001, 0x40200000, 0xbf400000, 0x4effffff,
]
F16_SPECIAL = [0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0xfe01, 0x7d55, 0xfc01, 0x0001, 0x83ff,
               0x0400, 0x7bff, 0xfbff, 0x3c00, 0xbc00, 0x4000, 0x3800, 0x3e00, 0x7fff, 0xffff]


def rand_f64(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(F64_SPECIAL)
    if r < 0.6:
        # Near-tie values: few significant bits, random exponent near 1.
        return (rng.getrandbits(1) << 63) | (rng.randint(1013, 1033) << 52) | (rng.getrandbits(8) << 44) | rng.choice([0, 1, 1 << 43, (1 << 43) - 1])
    if r < 0.7:
        # Tiny values near the denormal boundary.
        return (rng.getrandbits(1) << 63) | (rng.randint(0, 3) << 52) | rng.getrandbits(52)
    if r < 0.8:
        # Integers, for conversions.
        val = float(rng.randint(-2**40, 2**40)) + rng.choice([0.0, 0.5, 0.25, 0.75, -0.5])
        return struct.unpack("<Q", struct.pack("<d", val))[0]
    return (rng.getrandbits(1) << 63) | (rng.randint(900, 1150) << 52) | rng.getrandbits(52)


def rand_f32(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(F32_SPECIAL)
    if r < 0.6:
        return (rng.getrandbits(1) << 31) | (rng.randint(117, 137) << 23) | (rng.getrandbits(8) << 15) | rng.choice([0, 1, 1 << 14, (1 << 14) - 1])
    if r < 0.7:
        return (rng.getrandbits(1) << 31) | (rng.randint(0, 3) << 23) | rng.getrandbits(23)
    if r < 0.8:
        val = float(rng.randint(-2**20, 2**20)) + rng.choice([0.0, 0.5, 0.25, 0.75, -0.5])
        return struct.unpack("<I", struct.pack("<f", val))[0]
    return (rng.getrandbits(1) << 31) | (rng.randint(60, 190) << 23) | rng.getrandbits(23)


def rand_f16(rng):
    if rng.random() < 0.5:
        return rng.choice(F16_SPECIAL)
    return rng.getrandbits(16)


def rand_vreg(rng):
    kind = rng.random()
    if kind < 0.3:
        return rand_f64(rng) | (rand_f64(rng) << 64)
    if kind < 0.6:
        return sum(rand_f32(rng) << (32 * k) for k in range(4))
    if kind < 0.7:
        return sum(rand_f16(rng) << (16 * k) for k in range(8))
    if kind < 0.8:
        return sum(rng.choice([0, 1, 0x7f, 0x80, 0xff, rng.getrandbits(8)]) << (8 * k) for k in range(16))
    return rng.getrandbits(128)


def rand_x(rng):
    return rng.choice([0, 1, 0xffffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff,
                       0x80000000, 0x7fffffff, 0xffffffff, rng.getrandbits(64),
                       rng.getrandbits(32), rng.randint(0, 100),
                       (-rng.randint(1, 1 << 40)) & 0xffffffffffffffff])


def rand_fpcr(rng):
    if rng.random() < 0.35:
        return 0                 # Linux's default: the fast path
    fpcr = rng.randint(0, 3) << 22
    if rng.random() < 0.3:
        fpcr |= 1 << 24          # FZ
    if rng.random() < 0.3:
        fpcr |= 1 << 25          # DN
    if rng.random() < 0.2:
        fpcr |= 1 << 26          # AHP
    return fpcr


def rand_state(rng, x=None):
    v = [rand_vreg(rng) for _ in range(32)]
    if x is None:
        x = [rand_x(rng) for _ in range(8)]
    scratch = bytes(rng.getrandbits(8) for _ in range(SCRATCH))
    return encode_state(v, rand_fpcr(rng), rng.getrandbits(4) << 28, x, scratch)
