"""Differential tests of the SIMD&FP instructions: random sequences run under qemu-aarch64 and
qemu_py must leave the same V0-V31, X registers, NZCV, FPSR and memory.

Seeded: the seed is printed; replay with QEMU_PY_FP_SEED=<seed>. QEMU_PY_FP_CASES scales the
number of cases per group (default 1300: 17 groups, over 22,000 sequences, about 30 seconds).
"""

import os
import random

import pytest

from fp_harness import (F16_SPECIAL, run_batch, rand_state, rand_x, tools_present, SCRATCH)

pytestmark = pytest.mark.skipif(not tools_present(), reason="needs aarch64 binutils and qemu-aarch64")

SEED = int(os.environ.get("QEMU_PY_FP_SEED", random.randrange(1 << 30)))
CASES = int(os.environ.get("QEMU_PY_FP_CASES", "1300"))
print(f"test_fp_diff: seed {SEED} (QEMU_PY_FP_SEED={SEED} to replay)")

# Vector arrangements by element size, and the scalar register letters.
ARR = {0: ("8b", "16b"), 1: ("4h", "8h"), 2: ("2s", "4s"), 3: (None, "2d")}
LETTER = "bhsdq"
FTYPE = {2: "s", 3: "d"}


def vr(rng):
    return rng.randrange(32)


def arr(rng, sizes=(0, 1, 2, 3), q=None):
    size = rng.choice(sizes)
    if q is None:
        q = 1 if size == 3 else rng.randrange(2)
    if ARR[size][q] is None:
        q = 1
    return size, q, ARR[size][q]


# --- generators: each returns (asm lines, x register values or None) ----------------------------

def gen_ldst(rng):
    """SIMD&FP loads and stores through X27 (the scratch area) in every addressing form."""
    size = rng.randrange(5)
    reg = f"{LETTER[size]}{vr(rng)}"
    nbytes = 1 << size
    load = rng.random() < 0.5
    op = "ldr" if load else "str"
    form = rng.choice(["uimm", "unscaled", "pre", "post", "reg", "pair", "pairpre", "pairpost",
                       "nt"])
    x = [rng.randrange(0, 64) for _ in range(8)]
    if form == "uimm":
        off = rng.randrange(0, (SCRATCH - 32) // nbytes) * nbytes // 2 // nbytes * nbytes
        return [f"{op} {reg}, [x27, #{off}]"], x
    if form == "unscaled":
        off = rng.randrange(-0, 100)
        return [f"{op[:2]}ur {reg}, [x27, #{off}]"], x
    if form == "pre":
        return [f"{op} {reg}, [x27, #{rng.randrange(0, 100)}]!"], x
    if form == "post":
        return [f"{op} {reg}, [x27], #{rng.randrange(-8, 60)}"], x
    if form == "reg":
        ext = rng.choice(["", f", lsl #{size}", ", uxtw", f", sxtw #{size}", ", sxtx"])
        xr = rng.randrange(8)
        if ext.startswith(", uxtw") or ext.startswith(", sxtw"):
            return [f"{op} {reg}, [x27, w{xr}{ext}]"], x
        return [f"{op} {reg}, [x27, x{xr}{ext}]"], x
    if size == 0 or size == 1:
        size = rng.choice([2, 3, 4])
        nbytes = 1 << size
    a, b = vr(rng), vr(rng)
    if load and a == b:
        b = (a + 1) % 32
    l = LETTER[size]
    pop = "ldp" if load else "stp"
    off = rng.randrange(-2, 6) * nbytes
    if form == "pair":
        return [f"{pop} {l}{a}, {l}{b}, [x27, #{off + 64}]"], x
    if form == "pairpre":
        return [f"{pop} {l}{a}, {l}{b}, [x27, #{off + 64}]!"], x
    if form == "pairpost":
        return [f"{pop} {l}{a}, {l}{b}, [x27], #{off}"], x
    return [f"{pop[:2]}np {l}{a}, {l}{b}, [x27, #{max(off, 0)}]"], x


def gen_ldst_struct(rng):
    """LD1-LD4 / ST1-ST4: multiple structures, single structure, replicate, post-index."""
    load = rng.random() < 0.5
    x = [rng.randrange(0, 40) for _ in range(8)]
    kind = rng.choice(["multi", "multi1", "single", "repl"])
    first = vr(rng)
    if kind in ("multi", "multi1"):
        n = rng.randint(1, 4)
        if kind == "multi1":
            size, q, t = arr(rng)
            op = ("ld1" if load else "st1")
        else:
            size, q, t = arr(rng, sizes=(0, 1, 2) if rng.random() < 0.8 else (3,))
            n = rng.randint(2, 4)
            op = (f"ld{n}" if load else f"st{n}")
        regs = ", ".join(f"v{(first + k) % 32}.{t}" for k in range(n))
        total = n * (16 if q else 8)
    elif kind == "single":
        n = rng.randint(1, 4)
        size = rng.randrange(4)
        t = "bhsd"[size]
        idx = rng.randrange(16 >> size)
        regs = ", ".join(f"v{(first + k) % 32}.{t}" for k in range(n)) + f"}}[{idx}]"
        op = f"ld{n}" if load else f"st{n}"
        total = n << size
    else:
        n = rng.randint(1, 4)
        size, q, t = arr(rng)
        regs = ", ".join(f"v{(first + k) % 32}.{t}" for k in range(n))
        op = f"ld{n}r"
        total = n << size
    reglist = "{" + regs if kind == "single" else "{" + regs + "}"
    post = rng.choice(["", "imm", "reg"])
    if post == "imm":
        return [f"{op} {reglist}, [x27], #{total}"], x
    if post == "reg":
        return [f"{op} {reglist}, [x27], x{rng.randrange(8)}"], x
    return [f"{op} {reglist}, [x27]"], x


def gen_ldr_literal(rng):
    size = rng.choice([2, 3, 4])
    return [f"ldr {LETTER[size]}{vr(rng)}, 1f", "b 2f", ".balign 16",
            f"1: .quad {rng.getrandbits(64)}, {rng.getrandbits(64)}", "2:"], None


def gen_move(rng):
    k = rng.randrange(9)
    d, n = vr(rng), vr(rng)
    if k == 0:
        size, q, t = arr(rng)
        return [f"dup v{d}.{t}, v{n}.{'bhsd'[size]}[{rng.randrange(16 >> size)}]"], None
    if k == 1:
        size, q, t = arr(rng)
        r = "x" if size == 3 else "w"
        return [f"dup v{d}.{t}, {r}{rng.randrange(8)}"], None
    if k == 2:
        size = rng.randrange(4)
        r = "x" if size == 3 else "w"
        return [f"ins v{d}.{'bhsd'[size]}[{rng.randrange(16 >> size)}], {r}{rng.randrange(8)}"], None
    if k == 3:
        size = rng.randrange(4)
        return [f"ins v{d}.{'bhsd'[size]}[{rng.randrange(16 >> size)}], "
                f"v{n}.{'bhsd'[size]}[{rng.randrange(16 >> size)}]"], None
    if k == 4:
        size = rng.randrange(4)
        r = "x" if size == 3 else "w"
        return [f"umov {r}{rng.randrange(8)}, v{n}.{'bhsd'[size]}[{rng.randrange(16 >> size)}]"], None
    if k == 5:
        size = rng.randrange(3)
        r = rng.choice("wx") if size < 2 else "x"
        return [f"smov {r}{rng.randrange(8)}, v{n}.{'bhsd'[size]}[{rng.randrange(16 >> size)}]"], None
    if k == 6:
        size = rng.randrange(4)
        return [f"mov {'bhsd'[size]}{d}, v{n}.{'bhsd'[size]}[{rng.randrange(16 >> size)}]"], None
    if k == 7:
        # FMOV general <-> FP, and the top half of a Q register.
        c = rng.randrange(6)
        xr = rng.randrange(8)
        return [[f"fmov s{d}, w{xr}", f"fmov d{d}, x{xr}", f"fmov v{d}.d[1], x{xr}",
                 f"fmov w{xr}, s{n}", f"fmov x{xr}, d{n}", f"fmov x{xr}, v{n}.d[1]"][c]], None
    c = rng.randrange(3)
    return [[f"fmov s{d}, s{n}", f"fmov d{d}, d{n}",
             f"fmov {rng.choice('sd')}{d}, #{rng.choice(['1.0', '-2.5', '0.125', '31.0', '-0.1875', '1.9375'])}"][c]], None


def gen_modimm(rng):
    d = vr(rng)
    imm = rng.randrange(256)
    c = rng.randrange(8)
    q = rng.randrange(2)
    if c == 0:
        return [f"movi v{d}.{'8b' if not q else '16b'}, #{imm}"], None
    if c == 1:
        t = "4h" if not q else "8h"
        return [f"{rng.choice(['movi', 'mvni', 'orr', 'bic'])} v{d}.{t}, #{imm}, lsl #{rng.choice([0, 8])}"], None
    if c == 2:
        t = "2s" if not q else "4s"
        return [f"{rng.choice(['movi', 'mvni', 'orr', 'bic'])} v{d}.{t}, #{imm}, lsl #{rng.choice([0, 8, 16, 24])}"], None
    if c == 3:
        t = "2s" if not q else "4s"
        return [f"{rng.choice(['movi', 'mvni'])} v{d}.{t}, #{imm}, msl #{rng.choice([8, 16])}"], None
    if c == 4:
        mask = "".join(rng.choice(["00", "ff"]) for _ in range(8))
        return [f"movi v{d}.2d, #0x{mask}"], None
    if c == 5:
        mask = "".join(rng.choice(["00", "ff"]) for _ in range(8))
        return [f"movi d{d}, #0x{mask}"], None
    if c == 6:
        return [f"fmov v{d}.{'2s' if not q else '4s'}, #{rng.choice(['1.0', '-3.0', '0.25', '15.5'])}"], None
    return [f"fmov v{d}.2d, #{rng.choice(['1.0', '-3.0', '0.25', '15.5'])}"], None


def gen_perm(rng):
    d, n, m = vr(rng), vr(rng), vr(rng)
    c = rng.randrange(4)
    if c == 0:
        q = rng.randrange(2)
        t = "16b" if q else "8b"
        return [f"ext v{d}.{t}, v{n}.{t}, v{m}.{t}, #{rng.randrange(16 if q else 8)}"], None
    if c == 1:
        size, q, t = arr(rng)
        op = rng.choice(["zip1", "zip2", "uzp1", "uzp2", "trn1", "trn2"])
        return [f"{op} v{d}.{t}, v{n}.{t}, v{m}.{t}"], None
    q = rng.randrange(2)
    t = "16b" if q else "8b"
    nregs = rng.randint(1, 4)
    regs = ", ".join(f"v{(n + k) % 32}.16b" for k in range(nregs))
    # Indices mostly in range so the lookup matters.
    lines = [f"movi v{m}.16b, #{rng.randrange(16 * nregs + 8)}"] if rng.random() < 0.3 else []
    return lines + [f"{rng.choice(['tbl', 'tbx'])} v{d}.{t}, {{{regs}}}, v{m}.{t}"], None


# Scalar floating point.

def gen_fp_arith(rng):
    t = rng.choice("sd")
    d, n, m, a = vr(rng), vr(rng), vr(rng), vr(rng)
    c = rng.randrange(4)
    if c == 0:
        op = rng.choice(["fadd", "fsub", "fmul", "fdiv", "fnmul", "fmax", "fmin", "fmaxnm", "fminnm"])
        return [f"{op} {t}{d}, {t}{n}, {t}{m}"], None
    if c == 1:
        op = rng.choice(["fmadd", "fmsub", "fnmadd", "fnmsub"])
        return [f"{op} {t}{d}, {t}{n}, {t}{m}, {t}{a}"], None
    if c == 2:
        op = rng.choice(["fabs", "fneg", "fsqrt", "frintn", "frintp", "frintm", "frintz", "frinta",
                         "frintx", "frinti"])
        return [f"{op} {t}{d}, {t}{n}"], None
    return [f"{rng.choice(['fadd', 'fmul', 'fsub'])} {t}{d}, {t}{n}, {t}{m}",
            f"{rng.choice(['fadd', 'fdiv', 'fmul'])} {t}{d}, {t}{d}, {t}{n}"], None


def gen_fp_cmp(rng):
    t = rng.choice("sd")
    d, n, m = vr(rng), vr(rng), vr(rng)
    c = rng.randrange(4)
    if c == 0:
        return [f"{rng.choice(['fcmp', 'fcmpe'])} {t}{n}, {t}{m}"], None
    if c == 1:
        return [f"{rng.choice(['fcmp', 'fcmpe'])} {t}{n}, #0.0"], None
    cond = rng.choice(["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt",
                       "gt", "le", "al", "nv"])
    if c == 2:
        return [f"{rng.choice(['fccmp', 'fccmpe'])} {t}{n}, {t}{m}, #{rng.randrange(16)}, {cond}"], None
    return [f"fcsel {t}{d}, {t}{n}, {t}{m}, {cond}"], None


def gen_fp_cvt(rng):
    d, n = vr(rng), vr(rng)
    c = rng.randrange(5)
    if c == 0:
        src, dst = rng.sample("hsd", 2)
        return [f"fcvt {dst}{d}, {src}{n}"], None
    xr = rng.randrange(8)
    t = rng.choice("sd")
    r = rng.choice("wx")
    if c == 1:
        op = rng.choice(["fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs",
                         "fcvtzu", "fcvtas", "fcvtau"])
        return [f"{op} {r}{xr}, {t}{n}"], None
    if c == 2:
        fb = rng.randint(1, 32 if r == "w" else 64)
        return [f"{rng.choice(['fcvtzs', 'fcvtzu'])} {r}{xr}, {t}{n}, #{fb}"], None
    x = [rand_x(rng) for _ in range(8)]
    if c == 3:
        return [f"{rng.choice(['scvtf', 'ucvtf'])} {t}{d}, {r}{xr}"], x
    fb = rng.randint(1, 32 if r == "w" else 64)
    return [f"{rng.choice(['scvtf', 'ucvtf'])} {t}{d}, {r}{xr}, #{fb}"], x


# Advanced SIMD integer.

INT3 = ["shadd", "uhadd", "sqadd", "uqadd", "srhadd", "urhadd", "shsub", "uhsub", "sqsub", "uqsub",
        "cmgt", "cmhi", "cmge", "cmhs", "sshl", "ushl", "sqshl", "uqshl", "srshl", "urshl",
        "sqrshl", "uqrshl", "smax", "umax", "smin", "umin", "sabd", "uabd", "saba", "uaba",
        "add", "sub", "cmtst", "cmeq", "mla", "mls", "mul", "smaxp", "umaxp", "sminp", "uminp",
        "sqdmulh", "sqrdmulh", "addp", "pmul"]
NO_D = {"shadd", "uhadd", "srhadd", "urhadd", "shsub", "uhsub", "smax", "umax", "smin", "umin",
        "sabd", "uabd", "saba", "uaba", "mla", "mls", "mul", "smaxp", "umaxp", "sminp", "uminp",
        "sqdmulh", "sqrdmulh", "pmul"}


def gen_simd_int3(rng):
    d, n, m = vr(rng), vr(rng), vr(rng)
    if rng.random() < 0.2:
        q = rng.randrange(2)
        t = "16b" if q else "8b"
        op = rng.choice(["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif"])
        return [f"{op} v{d}.{t}, v{n}.{t}, v{m}.{t}"], None
    op = rng.choice(INT3)
    if op == "pmul":
        sizes = (0,)
    elif op in ("sqdmulh", "sqrdmulh"):
        sizes = (1, 2)
    elif op in NO_D:
        sizes = (0, 1, 2)
    else:
        sizes = (0, 1, 2, 3)
    if rng.random() < 0.2 and op in ("sqadd", "uqadd", "sqsub", "uqsub", "sqshl", "uqshl",
                                     "sqrshl", "uqrshl", "sqdmulh", "sqrdmulh", "add", "sub",
                                     "cmeq", "cmgt", "cmhi", "cmge", "cmhs", "cmtst", "sshl",
                                     "ushl", "srshl", "urshl"):
        size = rng.choice(sizes)
        if op not in ("sqadd", "uqadd", "sqsub", "uqsub", "sqshl", "uqshl", "sqrshl", "uqrshl",
                      "sqdmulh", "sqrdmulh"):
            size = 3
        l = "bhsd"[size]
        return [f"{op} {l}{d}, {l}{n}, {l}{m}"], None
    size, q, t = arr(rng, sizes)
    return [f"{op} v{d}.{t}, v{n}.{t}, v{m}.{t}"], None


def gen_simd_int2(rng):
    d, n = vr(rng), vr(rng)
    c = rng.randrange(6)
    if c == 0:
        op = rng.choice(["cmgt", "cmeq", "cmlt", "cmge", "cmle", "abs", "neg", "sqabs", "sqneg",
                         "cls", "clz", "suqadd", "usqadd"])
        sizes = (0, 1, 2) if op in ("cls", "clz") else (0, 1, 2, 3)
        size, q, t = arr(rng, sizes)
        zero = ", #0" if op.startswith("cm") else ""
        return [f"{op} v{d}.{t}, v{n}.{t}{zero}"], None
    if c == 1:
        q = rng.randrange(2)
        t = "16b" if q else "8b"
        return [f"{rng.choice(['cnt', 'not', 'rbit'])} v{d}.{t}, v{n}.{t}"], None
    if c == 2:
        op = rng.choice(["rev16", "rev32", "rev64"])
        sizes = {"rev16": (0,), "rev32": (0, 1), "rev64": (0, 1, 2)}[op]
        size, q, t = arr(rng, sizes)
        return [f"{op} v{d}.{t}, v{n}.{t}"], None
    if c == 3:
        size = rng.randrange(3)
        q = rng.randrange(2)
        op = rng.choice(["xtn", "sqxtn", "uqxtn", "sqxtun"])
        if rng.random() < 0.2 and op != "xtn":
            return [f"{op} {'bhs'[size]}{d}, {'hsd'[size]}{n}"], None
        return [f"{op}{'2' if q else ''} v{d}.{ARR[size][q]}, v{n}.{ARR[size + 1][1]}"], None
    if c == 4:
        size = rng.randrange(3)
        q = rng.randrange(2)
        op = rng.choice(["saddlp", "uaddlp", "sadalp", "uadalp"])
        return [f"{op} v{d}.{ARR[size + 1][q] or '1d'}, v{n}.{ARR[size][q]}"], None
    if rng.random() < 0.5:
        size = rng.randrange(3)
        q = rng.randrange(2)
        return [f"shll{'2' if q else ''} v{d}.{ARR[size + 1][1]}, v{n}.{ARR[size][q]}, #{8 << size}"], None
    if rng.random() < 0.3:
        l = rng.choice("bhsd")
        return [f"{rng.choice(['sqabs', 'sqneg', 'suqadd', 'usqadd'])} {l}{d}, {l}{n}"], None
    op = rng.choice(["cmgt", "cmeq", "cmlt", "cmge", "cmle", "abs", "neg"])
    zero = ", #0" if op.startswith("cm") else ""
    return [f"{op} d{d}, d{n}{zero}"], None


def gen_simd_across(rng):
    d, n = vr(rng), vr(rng)
    op = rng.choice(["addv", "smaxv", "umaxv", "sminv", "uminv", "saddlv", "uaddlv"])
    size, q, t = arr(rng, (0, 1, 2))
    if size == 2:
        q, t = 1, "4s"
    dst = "bhsd"[size + (1 if "addl" in op else 0)]
    if rng.random() < 0.15:
        return [f"addp d{d}, v{n}.2d"], None
    return [f"{op} {dst}{d}, v{n}.{t}"], None


def gen_simd_shift(rng):
    d, n = vr(rng), vr(rng)
    c = rng.randrange(4)
    if c == 0:
        op = rng.choice(["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra",
                         "shl", "sli", "sri", "sqshl", "uqshl", "sqshlu"])
        size, q, t = arr(rng)
        es = 8 << size
        sh = rng.randrange(es) if op in ("shl", "sli", "sqshl", "uqshl", "sqshlu") else rng.randint(1, es)
        if rng.random() < 0.2:
            if op in ("sqshl", "uqshl", "sqshlu"):
                l = "bhsd"[size]
                return [f"{op} {l}{d}, {l}{n}, #{sh}"], None
            return [f"{op} d{d}, d{n}, #{rng.randint(1, 63) if op != 'shl' else rng.randrange(64)}"], None
        return [f"{op} v{d}.{t}, v{n}.{t}, #{sh}"], None
    if c == 1:
        op = rng.choice(["shrn", "rshrn", "sqshrn", "sqrshrn", "uqshrn", "uqrshrn", "sqshrun", "sqrshrun"])
        size = rng.randrange(3)
        q = rng.randrange(2)
        sh = rng.randint(1, 8 << size)
        if rng.random() < 0.2 and op not in ("shrn", "rshrn"):
            return [f"{op} {'bhs'[size]}{d}, {'hsd'[size]}{n}, #{sh}"], None
        return [f"{op}{'2' if q else ''} v{d}.{ARR[size][q]}, v{n}.{ARR[size + 1][1]}, #{sh}"], None
    if c == 2:
        op = rng.choice(["sshll", "ushll"])
        size = rng.randrange(3)
        q = rng.randrange(2)
        return [f"{op}{'2' if q else ''} v{d}.{ARR[size + 1][1]}, v{n}.{ARR[size][q]}, #{rng.randrange(8 << size)}"], None
    op = rng.choice(["saddl", "uaddl", "saddw", "uaddw", "ssubl", "usubl", "ssubw", "usubw",
                     "sabal", "uabal", "sabdl", "uabdl", "smlal", "umlal", "smlsl", "umlsl",
                     "smull", "umull", "sqdmlal", "sqdmlsl", "sqdmull", "addhn", "raddhn",
                     "subhn", "rsubhn", "pmull"])
    size = rng.randrange(3) if op != "pmull" else 0
    if op.startswith("sqd"):
        size = rng.choice([1, 2])
    q = rng.randrange(2)
    m = vr(rng)
    sfx = "2" if q else ""
    wide = ARR[size + 1][1]
    narrow = ARR[size][q]
    if op.startswith("sqd") and rng.random() < 0.3:
        return [f"{op} {'sd'[size - 1]}{d}, {'hs'[size - 1]}{n}, {'hs'[size - 1]}{m}"], None
    if op.endswith("hn"):
        return [f"{op}{sfx} v{d}.{narrow}, v{n}.{wide}, v{m}.{wide}"], None
    if op.endswith("w"):
        return [f"{op}{sfx} v{d}.{wide}, v{n}.{wide}, v{m}.{narrow}"], None
    return [f"{op}{sfx} v{d}.{wide}, v{n}.{narrow}, v{m}.{narrow}"], None


def gen_simd_elem(rng):
    d, n = vr(rng), vr(rng)
    c = rng.randrange(3)
    if c == 0:
        op = rng.choice(["mul", "mla", "mls", "sqdmulh", "sqrdmulh"])
        size = rng.choice([1, 2])
        q = rng.randrange(2)
        m = rng.randrange(16 if size == 1 else 32)
        idx = rng.randrange(8 if size == 1 else 4)
        if rng.random() < 0.2 and op.startswith("sq"):
            return [f"{op} {'hs'[size - 1]}{d}, {'hs'[size - 1]}{n}, v{m}.{'hs'[size - 1]}[{idx}]"], None
        return [f"{op} v{d}.{ARR[size][q]}, v{n}.{ARR[size][q]}, v{m}.{'hs'[size - 1]}[{idx}]"], None
    if c == 1:
        op = rng.choice(["smull", "umull", "smlal", "umlal", "smlsl", "umlsl", "sqdmull", "sqdmlal", "sqdmlsl"])
        size = rng.choice([1, 2])
        q = rng.randrange(2)
        m = rng.randrange(16 if size == 1 else 32)
        idx = rng.randrange(8 if size == 1 else 4)
        if op.startswith("sqd") and rng.random() < 0.3:
            return [f"{op} {'sd'[size - 1]}{d}, {'hs'[size - 1]}{n}, v{m}.{'hs'[size - 1]}[{idx}]"], None
        return [f"{op}{'2' if q else ''} v{d}.{ARR[size + 1][1]}, v{n}.{ARR[size][q]}, v{m}.{'hs'[size - 1]}[{idx}]"], None
    op = rng.choice(["fmul", "fmla", "fmls", "fmulx"])
    m = vr(rng)
    if rng.random() < 0.5:
        q = rng.randrange(2)
        t = "4s" if q else "2s"
        if rng.random() < 0.2:
            return [f"{op} s{d}, s{n}, v{m}.s[{rng.randrange(4)}]"], None
        return [f"{op} v{d}.{t}, v{n}.{t}, v{m}.s[{rng.randrange(4)}]"], None
    if rng.random() < 0.2:
        return [f"{op} d{d}, d{n}, v{m}.d[{rng.randrange(2)}]"], None
    return [f"{op} v{d}.2d, v{n}.2d, v{m}.d[{rng.randrange(2)}]"], None


# Advanced SIMD floating point.

FP3 = ["fmaxnm", "fmla", "fadd", "fmulx", "fcmeq", "fmax", "frecps", "fminnm", "fmls", "fsub",
       "fmin", "frsqrts", "fmaxnmp", "faddp", "fmul", "fcmge", "facge", "fmaxp", "fdiv",
       "fminnmp", "fabd", "fcmgt", "facgt", "fminp"]
FP3_SCALAR = ["fmulx", "fcmeq", "frecps", "frsqrts", "fcmge", "facge", "fabd", "fcmgt", "facgt"]


def fvec(rng):
    q = rng.randrange(2)
    sz = rng.randrange(2) if q else 0
    return {(0, 0): "2s", (1, 0): "4s", (1, 1): "2d"}[(q, sz)]


def gen_simd_fp3(rng):
    d, n, m = vr(rng), vr(rng), vr(rng)
    if rng.random() < 0.25:
        t = rng.choice("sd")
        return [f"{rng.choice(FP3_SCALAR)} {t}{d}, {t}{n}, {t}{m}"], None
    t = fvec(rng)
    return [f"{rng.choice(FP3)} v{d}.{t}, v{n}.{t}, v{m}.{t}"], None


def gen_simd_fp2(rng):
    d, n = vr(rng), vr(rng)
    c = rng.randrange(5)
    ops = ["fcmgt", "fcmeq", "fcmlt", "fcmge", "fcmle", "fabs", "fneg", "fsqrt", "frintn",
           "frintm", "frintp", "frintz", "frinta", "frintx", "frinti", "fcvtns", "fcvtms",
           "fcvtas", "fcvtps", "fcvtzs", "fcvtnu", "fcvtmu", "fcvtau", "fcvtpu", "fcvtzu",
           "scvtf", "ucvtf", "frecpe", "frsqrte"]
    if c <= 1:
        op = rng.choice(ops)
        t = fvec(rng)
        zero = ", #0.0" if op.startswith("fcm") else ""
        return [f"{op} v{d}.{t}, v{n}.{t}{zero}"], None
    if c == 2:
        op = rng.choice([o for o in ops if not o.startswith("frint") and o not in ("fabs", "fneg", "fsqrt")] + ["frecpx"])
        l = rng.choice("sd")
        zero = ", #0.0" if op.startswith("fcm") else ""
        return [f"{op} {l}{d}, {l}{n}{zero}"], None
    if c == 3:
        q = rng.randrange(2)
        s2 = "2" if q else ""
        k = rng.randrange(5)
        if k == 0:
            return [f"fcvtl{s2} v{d}.4s, v{n}.{'8h' if q else '4h'}"], None
        if k == 1:
            return [f"fcvtl{s2} v{d}.2d, v{n}.{'4s' if q else '2s'}"], None
        if k == 2:
            return [f"fcvtn{s2} v{d}.{'8h' if q else '4h'}, v{n}.4s"], None
        if k == 3:
            return [f"fcvtn{s2} v{d}.{'4s' if q else '2s'}, v{n}.2d"], None
        if rng.random() < 0.5:
            return [f"fcvtxn s{d}, d{n}"], None
        return [f"fcvtxn{s2} v{d}.{'4s' if q else '2s'}, v{n}.2d"], None
    k = rng.randrange(4)
    if k == 0:
        return [f"{rng.choice(['fmaxnmv', 'fminnmv', 'fmaxv', 'fminv'])} s{d}, v{n}.4s"], None
    if k == 1:
        l = rng.choice("sd")
        return [f"{rng.choice(['faddp', 'fmaxp', 'fminp', 'fmaxnmp', 'fminnmp'])} {l}{d}, v{n}.{'2s' if l == 's' else '2d'}"], None
    if k == 2:
        op = rng.choice(["scvtf", "ucvtf", "fcvtzs", "fcvtzu"])
        t = fvec(rng)
        fb = rng.randint(1, 64 if t == "2d" else 32)
        if rng.random() < 0.3:
            l = rng.choice("sd")
            return [f"{op} {l}{d}, {l}{n}, #{rng.randint(1, 64 if l == 'd' else 32)}"], None
        return [f"{op} v{d}.{t}, v{n}.{t}, #{fb}"], None
    t = rng.choice(["2s", "4s"])
    return [f"{rng.choice(['urecpe', 'ursqrte'])} v{d}.{t}, v{n}.{t}"], None


def edge_operand(rng, fmt):
    """A single (fmt 2) or double (fmt 3) near a boundary some result crosses: the smallest
    normal, the denormals, the half and single ranges a narrowing meets, or overflow."""
    fb, bias, top = (52, 1023, 63) if fmt == 3 else (23, 127, 31)
    sign = rng.getrandbits(1) << top
    k = rng.random()
    if k < 0.15:
        return sign | rng.getrandbits(fb)                              # denormal
    if k < 0.35:
        e = 1 - bias + rng.randint(0, 3)                               # just above the smallest normal
    elif k < 0.55:
        e = rng.choice([-126, -149, -14, -24]) + rng.randint(-2, 2)   # narrowing boundaries
    elif k < 0.7:
        e = bias + rng.randint(-3, 0)                                  # near overflow
    else:
        e = rng.randint(-30, 30)
    e = max(1 - bias, min(bias, e))
    frac = rng.choice([rng.getrandbits(fb), (1 << fb) - 1, 1 << (fb - 1), 0, 1,
                       (1 << (fb - 10)) | 1, (1 << (fb - 23 if fmt == 3 else 2)) - 1])
    return sign | ((e + bias) << fb) | frac


def gen_fp_edge(rng):
    """Fused multiply-adds, reciprocal steps, conversions and estimates on operands near the
    underflow, narrowing and overflow boundaries, for FZ's flush of tiny inputs and results (the
    results are mostly tiny: one operand's exponent is chosen to put the product there)."""
    fmt = rng.choice([2, 3])
    t, arr2 = ("d", "2d") if fmt == 3 else ("s", "4s")
    fb, bias = (52, 1023) if fmt == 3 else (23, 127)
    a, b, c = (edge_operand(rng, fmt) for _ in range(3))
    if rng.random() < 0.6:          # b puts a*b near the smallest normal (or under it)
        ea = (a >> fb) & ((1 << (11 if fmt == 3 else 8)) - 1)
        eb = (1 - bias + rng.randint(-4, 1)) - (ea - bias)
        if 1 - bias <= eb <= bias:
            b = (b & ~(((1 << (11 if fmt == 3 else 8)) - 1) << fb)) | ((eb + bias) << fb)
    w = "x" if fmt == 3 else "w"
    lines = [f"fmov {t}1, {w}0", f"fmov {t}2, {w}1", f"fmov {t}3, {w}2"]
    k = rng.randrange(6)
    if k == 0:
        op = rng.choice(["fmadd", "fmsub", "fnmadd", "fnmsub"])
        lines.append(f"{op} {t}0, {t}1, {t}2, {t}3")
    elif k == 1:
        lines += [f"dup v1.{arr2}, {w}0", f"dup v2.{arr2}, {w}1", f"dup v0.{arr2}, {w}2",
                  f"{rng.choice(['fmla', 'fmls'])} v0.{arr2}, v1.{arr2}, v2.{t}[{rng.randrange(2)}]"]
    elif k == 2:
        lines.append(f"{rng.choice(['frecps', 'frsqrts', 'fmulx', 'fmul', 'fdiv', 'fadd', 'fsub'])} {t}0, {t}1, {t}2")
    elif k == 3:
        dst = rng.choice(["h", "d"] if fmt == 2 else ["h", "s"])
        lines.append(f"fcvt {dst}0, {t}1" if rng.random() < 0.8 else
                     (f"fcvtxn s0, d1" if fmt == 3 else f"fcvtn v0.4h, v1.4s"))
    elif k == 4:
        lines.append(f"{rng.choice(['frecpe', 'frsqrte', 'frecpx', 'fsqrt', 'frintx', 'frinta'])} {t}0, {t}1")
    else:
        lines.append(f"{rng.choice(['fcvtzs', 'fcvtzu'])} {w}4, {t}1, #{rng.randint(1, 64 if fmt == 3 else 32)}")
    x = [a, b, c] + [rng.getrandbits(64) for _ in range(5)]
    return lines, x


GROUPS = {
    "ldst": gen_ldst,
    "ldst_struct": gen_ldst_struct,
    "ldr_literal": gen_ldr_literal,
    "move": gen_move,
    "modimm": gen_modimm,
    "perm": gen_perm,
    "fp_arith": gen_fp_arith,
    "fp_cmp": gen_fp_cmp,
    "fp_cvt": gen_fp_cvt,
    "simd_int3": gen_simd_int3,
    "simd_int2": gen_simd_int2,
    "simd_across": gen_simd_across,
    "simd_shift": gen_simd_shift,
    "simd_elem": gen_simd_elem,
    "simd_fp3": gen_simd_fp3,
    "simd_fp2": gen_simd_fp2,
    "fp_edge": gen_fp_edge,
}


def make_cases(gen, n, seed):
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        lines, x = gen(rng)
        lines = [ln for ln in lines if ln]
        cases.append((rand_state(rng, x), lines))
    return cases


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_fp_diff(group):
    seed = SEED + sorted(GROUPS).index(group)
    cases = make_cases(GROUPS[group], CASES, seed)
    bad = run_batch(cases)
    assert not bad, (f"{len(bad)}/{len(cases)} cases differ (seed {SEED}, group {group}):\n" +
                     "\n".join(bad[:8]))
