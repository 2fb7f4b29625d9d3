"""Capstone agreement: the handler qemu_py's decoder picks for an instruction word is one the
mnemonic capstone reads allows (tests/difftest/mnemonics.py), and a word in the integer
encoding classes that capstone rejects decodes to UNDEF.

Two samples: the generator's instructions (every class of the differential tests, assembled by
gas), and random words in the integer classes, half uniform and half inside one of the encoding
groups of the Arm ARM's decode tables so that small groups get their share. The seed is
QEMU_PY_DIFF_SEED (random by default, printed on failure); QEMU_PY_CAPSTONE_WORDS sets the
number of random words (default 300000).
"""

import os
import random

import pytest

capstone = pytest.importorskip("capstone")

from qemu_py import _core  # noqa: E402
from tests.difftest import SEED, asm, build  # noqa: E402
from tests.difftest import mnemonics as M  # noqa: E402

NWORDS = int(os.environ.get("QEMU_PY_CAPSTONE_WORDS", "300000"))

_md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)

# (mask, value) of the integer encoding groups (Arm ARM, A64 decode tables), loads and stores
# with V = 0 only.
GROUPS = [
    (0x1f000000, 0x10000000),  # PC-relative addressing
    (0x1f800000, 0x11000000),  # add/subtract (immediate)
    (0x1f800000, 0x11800000),  # add/subtract (immediate, with tags)
    (0x1f800000, 0x12000000),  # logical (immediate)
    (0x1f800000, 0x12800000),  # move wide (immediate)
    (0x1f800000, 0x13000000),  # bitfield
    (0x1f800000, 0x13800000),  # extract
    (0xfe000000, 0x54000000),  # conditional branch (immediate)
    (0xff000000, 0xd4000000),  # exception generation
    (0xffc00000, 0xd5000000),  # system: hints, barriers, PSTATE, SYS, MSR/MRS
    (0xfe000000, 0xd6000000),  # unconditional branch (register)
    (0x7c000000, 0x14000000),  # unconditional branch (immediate)
    (0x7e000000, 0x34000000),  # compare and branch
    (0x7e000000, 0x36000000),  # test and branch
    (0x5fe00000, 0x1ac00000),  # data processing (2 source)
    (0x5fe00000, 0x5ac00000),  # data processing (1 source)
    (0x1f000000, 0x0a000000),  # logical (shifted register)
    (0x1f200000, 0x0b000000),  # add/subtract (shifted register)
    (0x1f200000, 0x0b200000),  # add/subtract (extended register)
    (0x1fe00000, 0x1a000000),  # add/subtract with carry, flag manipulation
    (0x1fe00000, 0x1a400000),  # conditional compare
    (0x1fe00000, 0x1a800000),  # conditional select
    (0x1f000000, 0x1b000000),  # data processing (3 source)
    (0x3f000000, 0x08000000),  # load/store exclusive and ordered, compare and swap
    (0x3f000000, 0x19000000),  # LDAPR/STLR unscaled, memory copy and set
    (0x3f000000, 0x18000000),  # load register (literal)
    (0x3e000000, 0x28000000),  # load/store pair (all addressing modes)
    (0x3f200000, 0x38000000),  # load/store register (unscaled, pre/post-index, unprivileged)
    (0x3f200c00, 0x38200000),  # atomic memory operations
    (0x3f200c00, 0x38200800),  # load/store register (register offset)
    (0x3f000000, 0x39000000),  # load/store register (unsigned immediate)
    # Narrow groups whose members random bits rarely reach: most of their encodings differ from
    # a valid one in a bit or two.
    (0xff1ffc1f, 0xd61f0000),  # BR, BLR, RET, ERET and their neighbours (PAC forms, DRPS)
    (0xfffff01f, 0xd503201f),  # hints
    (0xfffff01f, 0xd503301f),  # barriers, CLREX
    (0xfff8f01f, 0xd500401f),  # MSR (immediate) to PSTATE fields
    (0x7fffc000, 0x5ac00000),  # RBIT, REV16, REV, REV32, CLZ, CLS (and CSSC's CTZ, CNT, ABS)
    (0x7fe0f000, 0x1ac00000),  # UDIV, SDIV and their neighbours
]


def integer_class(w: int) -> bool:
    op0 = (w >> 25) & 0xf
    if op0 in (0b1000, 0b1001, 0b1010, 0b1011) or op0 & 0b0111 == 0b0101:
        return True
    return op0 & 0b0101 == 0b0100 and not (w >> 26) & 1      # loads/stores, general registers


def disasm(w: int):
    for insn in _md.disasm(w.to_bytes(4, "little"), 0):
        return insn
    return None


def _variants(w: int):
    """Words that differ from load/store `w` only where capstone (following LLVM) rejects what
    the Arm ARM calls CONSTRAINED UNPREDICTABLE: should-be-one fields of the exclusive and
    ordered forms (Rs, Rt2) not all ones, and register equalities (Rt == Rt2 in load pairs,
    Rt == Rn with writeback, a status register equal to a data register)."""
    bases = [w]
    if (w >> 24) & 0x3f == 0b001000:
        bases += [w | 0x1f << 10, w | 0x1f << 16, w | 0x1f << 10 | 0x1f << 16]
    for b in bases:
        yield b
        for field in (0, 10, 16):
            for x in (2, 4, 8, 16):
                yield b ^ (x << field)
        for x, y, z in ((2, 4, 8), (4, 8, 16), (8, 16, 2), (16, 2, 4)):
            yield b ^ x ^ (y << 10) ^ (z << 16)


def test_mrs_op0_0_is_undef():
    # System class, L = 1 with op0 = 0 is unallocated without FEAT_TME (TSTART/TTEST).
    rng = random.Random(SEED)
    words = [0xd5200000 | rng.getrandbits(19) for _ in range(2000)]
    bad = [f"{w:#010x} -> {_core.decode(w)[0]}" for w in words if _core.decode(w)[0] != "UNDEF"]
    assert not bad, f"{len(bad)} of {len(words)} decode as something else: {bad[:5]}"


def check(w: int):
    """None if qemu_py's decoding of w agrees with capstone, else a description."""
    name = _core.decode(w)[0]
    insn = disasm(w)
    if insn is not None:
        if M.accepts(name, insn.mnemonic, insn.op_str, w):
            return None
        return f"{w:#010x}: capstone '{insn.mnemonic} {insn.op_str}', qemu_py {name}"
    if name == "UNDEF":
        return None
    if (w >> 25) & 0b0101 == 0b0100:
        # Capstone rejects a CONSTRAINED UNPREDICTABLE load/store; decoding it as the
        # instruction it would otherwise be is one of the behaviours the manual allows.
        # (Capstone also rejects LDTR*/STTR* with Rt == Rn, which are plain valid loads.)
        for v in _variants(w):
            vi = disasm(v)
            if vi is not None and _core.decode(v)[0] == name and \
                    M.accepts(name, vi.mnemonic, vi.op_str, v):
                return None
    return f"{w:#010x}: capstone rejects it, qemu_py decodes {name}"


def random_words(rng, n):
    out = []
    while len(out) < n:
        w = rng.getrandbits(32)
        if rng.random() < 0.5:
            mask, value = rng.choice(GROUPS)
            w = (w & ~mask) | value
        if integer_class(w):
            out.append(w)
    return out


@pytest.mark.skipif(bool(build.tools_present()), reason="cross assembler missing")
def test_generated_instructions():
    samples = asm.class_samples(SEED, 150)
    problems = []
    for cls, words in samples.items():
        assert words, f"class {cls} produced no instructions"
        for line, w in words:
            p = check(w)
            if p is not None or _core.decode(w)[0] == "UNDEF":
                problems.append(f"[{cls}] {line.strip()}: {p or 'decoded as UNDEF'}")
    assert not problems, (f"seed {SEED}: {len(problems)} disagreements\n"
                          + "\n".join(problems[:40]))


def test_random_words():
    rng = random.Random(SEED)
    words = list(random_words(rng, NWORDS))
    problems = [p for p in map(check, words) if p is not None]
    assert not problems, (f"seed {SEED}: {len(problems)} of {len(words)} words disagree\n"
                          + "\n".join(problems[:40]))


@pytest.mark.skipif(bool(build.tools_present()), reason="cross assembler missing")
def test_table_matches_the_handlers():
    """Every integer handler the core has is in the table and is reached by the random words;
    the table names no handler that doesn't exist."""
    names = set(_core.op_names())
    stale = sorted(set(M.HANDLERS) - names)
    assert not stale, f"table entries for handlers the core does not have: {stale}"
    rng = random.Random(SEED)
    hit = {_core.decode(w)[0] for w in random_words(rng, 200000)}
    hit |= {_core.decode(w)[0] for ws in asm.class_samples(SEED, 20).values() for _, w in ws}
    unreached = sorted(set(M.HANDLERS) - hit)
    assert not unreached, f"seed {SEED}: no random word decoded to {unreached}"
