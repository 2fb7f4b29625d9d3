"""Seeded generator of A64 integer instruction sequences for the differential tests.

A sequence is a short run of random instructions from some encoding classes, with the register
file, SP and NZCV it starts from and the bytes of its scratch buffer. Registers start random
(edge values favoured); the generator keeps track of just enough to stay clear of what the
architecture leaves UNPREDICTABLE or what would fault:

- Every memory operand lands inside the sequence's scratch buffer. A base (or index) register is
  either one no instruction has written yet, whose starting value the generator then chooses
  (`target - offset`), or one whose value it still knows (an earlier base, plus writebacks).
- SP is only a base while it is known and 16-byte aligned, so the SP alignment check (which
  QEMU does not model) never fires; writebacks to SP keep it aligned.
- Branches only go forward inside the sequence, so there are no loops; registers written in code
  a branch may skip become unknown.
- Exclusive pairs are emitted back to back, and a lone store-exclusive only while the monitor is
  known to be clear, so the outcome is architecturally defined.
- No writeback with Rn == Rt, no load pair with Rt == Rt2, no store-exclusive status register
  equal to a data or base register, alignment for exclusives, acquire/release and atomics.
"""

import random
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from .values import M64, M32, edge, value, scratch_bytes, logical_imm

SCRATCH_SIZE = 576          # not a divisor of the page size: some buffers straddle a page boundary
PAGE = 4096
SPK = 31            # SP's key in the register tracking (the zero register is never tracked)

CONDS = ("eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc",
         "hi", "ls", "ge", "lt", "gt", "le", "al", "nv")


class NoRegisters(Exception):
    """The sequence has no register left that the instruction could use as an address."""


def R(r: int, sf: int = 1) -> str:
    """Register name where encoding 31 is the zero register."""
    if r == 31:
        return "xzr" if sf else "wzr"
    return f"{'x' if sf else 'w'}{r}"


def RS(r: int, sf: int = 1) -> str:
    """Register name where encoding 31 is SP."""
    if r == 31:
        return "sp" if sf else "wsp"
    return f"{'x' if sf else 'w'}{r}"


@dataclass
class Sequence:
    index: int
    classes: Tuple[str, ...]
    body: List[str]                 # instructions and labels
    pool: List[str]                 # the literal pool, placed after the sequence
    regs: List[int]                 # X0..X30 at entry
    sp: int
    nzcv: int                       # bits 31:28 as MRS NZCV reads them
    scratch_addr: int
    scratch: bytes
    used: Dict[str, int] = field(default_factory=dict)   # class -> instructions generated
    # What the generator believes about the final state, checked against qemu-aarch64 to keep
    # the generator honest: values of the registers it tracked (31 = SP), and the registers no
    # instruction writes (they must end as they started).
    expect: Dict[int, int] = field(default_factory=dict)
    untouched: Tuple[int, ...] = ()

    def text(self) -> str:
        return "\n".join(self.body + self.pool)


class Builder:
    """Builds one sequence. Each g_<class> method emits one instruction group of its class."""

    def __init__(self, rng: random.Random, index: int, scratch_addr: int):
        self.rng = rng
        self.index = index
        self.scratch = scratch_addr
        self.lines: List[str] = []
        self.pool: List[str] = []
        self.init: Dict[int, int] = {}      # key -> chosen starting value (0..30, SPK)
        self.known: Dict[int, int] = {}     # key -> value the generator still knows
        self.touched = set()                # keys written by some instruction
        self.regions: List[list] = []       # open forward branches: [label, groups left]
        self.nlabel = 0
        self.monitor = "clear"              # exclusive monitor: clear, open or unknown
        self.used: Dict[str, int] = {}

    # --- emission -------------------------------------------------------------------------

    def label(self) -> str:
        self.nlabel += 1
        return f".L{self.index}_{self.nlabel}"

    def emit(self, *lines: str) -> None:
        """One group of instructions a branch never lands inside."""
        self.lines.extend(lines)
        for reg in self.regions:
            reg[1] -= 1
        self._close(False)

    def _close(self, all_: bool) -> None:
        keep = []
        for lab, left in self.regions:
            if left <= 0 or all_:
                self.lines.append(f"{lab}:")
            else:
                keep.append([lab, left])
        self.regions = keep

    def branch_region(self, lab: str) -> None:
        """Place `lab` after 0-3 more groups."""
        self.regions.append([lab, self.rng.choice((0, 1, 1, 2, 3))])
        self._close(False)

    # --- register bookkeeping --------------------------------------------------------------

    def reg(self, p31: float = 0.08) -> int:
        return 31 if self.rng.random() < p31 else self.rng.randrange(31)

    def wr(self, r: int, sp: bool = False) -> None:
        """Register r (31 = SP when sp, else the zero register) was written."""
        if r == 31 and not sp:
            return
        self.known.pop(r, None)
        self.touched.add(r)

    def set_known(self, k: int, v: int) -> None:
        if self.regions:                    # the write may be skipped: value unknown
            self.wr(k, sp=True)
        else:
            self.known[k] = v & M64
            self.touched.add(k)

    def fresh(self, exclude=(), sp: bool = False) -> List[int]:
        return [k for k in range(32 if sp else 31)
                if k not in self.touched and k not in self.init and k not in exclude]

    def assign(self, k: int, v: int) -> None:
        self.init[k] = v & M64
        self.known[k] = v & M64

    def src_with(self, choices, sf: int = 1) -> int:
        """A source register holding one of `choices` if a fresh one is left, else any."""
        free = self.fresh()
        if free and self.rng.random() < 0.5:
            k = self.rng.choice(free)
            v = self.rng.choice(choices)
            if not sf:
                v = (v & M32) | (self.rng.getrandbits(32) << 32 if self.rng.random() < 0.5 else 0)
            self.assign(k, v)
            return k
        return self.reg()

    # --- addresses -------------------------------------------------------------------------

    def _pick_imm(self, lo: int, hi: int, step: int):
        lo = -(-lo // step) * step
        hi = (hi // step) * step
        if lo > hi:
            return None
        r = self.rng.random()
        if r < 0.15:
            return lo
        if r < 0.30:
            return hi
        if r < 0.40 and lo <= 0 <= hi:
            return 0
        return self.rng.randrange(lo, hi + 1, step)

    def _target(self, size: int, align: int) -> int:
        lo, hi = self.scratch, self.scratch + SCRATCH_SIZE - size
        page = (lo // PAGE + 1) * PAGE
        if page <= hi + size - 1 and size > 1 and self.rng.random() < 0.4:
            # The buffer holds a page boundary: cross it (or end just before it).
            cands = [t for t in range(max(lo, page - size), min(hi, page - 1) + 1)
                     if (t - lo) % align == 0]
            if cands:
                return self.rng.choice(cands)
        t = self.rng.randrange(lo, hi + 1)
        return t - (t - lo) % align

    def address(self, size: int, align: int = 1, lo: int = 0, hi: int = 0, step: int = 1,
                post: bool = False, wb: bool = False, exclude=(), sp_ok: bool = True):
        """A base register and an immediate for an access of `size` bytes aligned to `align`
        inside the scratch buffer: at base + imm, or at base for post-index. The immediate is a
        multiple of `step` in [lo, hi]. With wb the base is updated to base + imm."""
        rng = self.rng
        t_lo, t_hi = self.scratch, self.scratch + SCRATCH_SIZE - size
        choice = None
        cands = [k for k in self.known if k not in exclude and (sp_ok or k != SPK)]
        if cands and rng.random() < 0.4:
            for _ in range(4):
                k = rng.choice(cands)
                v = self.known[k]
                st = step * (16 // step if k == SPK and wb and step < 16 else 1)
                if k == SPK and v % 16:
                    continue
                if post:
                    if t_lo <= v <= t_hi and (v - t_lo) % align == 0:
                        imm = self._pick_imm(lo, hi, st)
                        if imm is not None:
                            choice = (k, imm, v)
                            break
                    continue
                for _ in range(3):
                    imm = self._pick_imm(max(lo, t_lo - v), min(hi, t_hi - v), st)
                    if imm is not None and (v + imm - t_lo) % align == 0:
                        choice = (k, imm, v)
                        break
                if choice:
                    break
        if choice is None:
            free = self.fresh(exclude, sp=sp_ok)
            if not free:
                raise NoRegisters()
            k = SPK if SPK in free and rng.random() < 0.2 else rng.choice(free)
            st = step * (16 // step if k == SPK and wb and step < 16 else 1)
            for _ in range(50):
                imm = self._pick_imm(lo, hi, st)
                if k == SPK:
                    b_lo = (t_lo - (0 if post else imm) + 15) // 16 * 16
                    b_hi = (t_hi - (0 if post else imm)) // 16 * 16
                    if b_lo > b_hi:
                        continue
                    base = rng.randrange(b_lo, b_hi + 1, 16)
                    t = base if post else base + imm
                    if (t - t_lo) % align:
                        continue
                else:
                    t = self._target(size, align)
                    base = t if post else t - imm
                break
            else:
                raise NoRegisters()
            self.assign(k, base)
            choice = (k, imm, base & M64)
        k, imm, v = choice
        if wb:
            self.set_known(k, v + imm)
        return k, imm

    # --- one sequence ----------------------------------------------------------------------

    def finish(self, classes) -> Sequence:
        self._close(True)
        rng = self.rng
        regs = [self.init.get(k, value(rng)) for k in range(31)]
        if SPK in self.init:
            sp = self.init[SPK]
        else:
            sp = value(rng) if rng.random() < 0.3 else self._target(16, 16)
        nzcv = rng.randrange(16) << 28
        return Sequence(self.index, tuple(classes), self.lines, self.pool, regs, sp, nzcv,
                        self.scratch, b"", self.used, dict(self.known),
                        tuple(k for k in range(32) if k not in self.touched))

    # === data processing: immediate ========================================================

    def g_addsub_imm(self):
        rng = self.rng
        op = rng.choice(("add", "adds", "sub", "subs"))
        sf = rng.randrange(2)
        imm = rng.choice((0, 1, 4095, rng.randrange(4096)))
        sh = rng.choice((0, 12))
        rd, rn = self.reg(), self.reg(0.15)
        dname = R(rd, sf) if op.endswith("s") else RS(rd, sf)
        self.emit(f"{op} {dname}, {RS(rn, sf)}, #{imm}, lsl #{sh}")
        self.wr(rd, sp=not op.endswith("s"))

    def g_logic_imm(self):
        rng = self.rng
        op = rng.choice(("and", "orr", "eor", "ands"))
        sf = rng.randrange(2)
        imm = logical_imm(rng, 64 if sf else 32)
        rd, rn = self.reg(), self.reg()
        dname = R(rd, sf) if op == "ands" else RS(rd, sf)
        self.emit(f"{op} {dname}, {R(rn, sf)}, #{imm:#x}")
        self.wr(rd, sp=op != "ands")

    def g_movewide(self):
        rng = self.rng
        op = rng.choice(("movz", "movn", "movk"))
        sf = rng.randrange(2)
        hw = rng.randrange(4 if sf else 2)
        imm = rng.choice((0, 0xffff, 0x8000, 1, rng.randrange(0x10000)))
        rd = self.reg()
        self.emit(f"{op} {R(rd, sf)}, #{imm:#x}, lsl #{16 * hw}")
        self.wr(rd)

    def g_adr(self):
        rng = self.rng
        rd = self.reg()
        if rng.random() < 0.5:
            off = rng.choice((0, 1, -1, (1 << 20) - 1, -(1 << 20), rng.randint(-(1 << 20), (1 << 20) - 1)))
            self.emit(f"adr {R(rd)}, . + ({off})")
        else:
            # Keep the target page in the 32-bit range around the code so the linker can resolve it.
            off = rng.choice((0, 4096, -4096, rng.randint(-0x40000000, 0xbff00000)))
            self.emit(f"adrp {R(rd)}, . + ({off})")
        self.wr(rd)

    def g_bitfield(self):
        rng = self.rng
        sf = rng.randrange(2)
        w = 64 if sf else 32
        rd, rn = self.reg(), self.reg()
        d, n = R(rd, sf), R(rn, sf)
        if rng.random() < 0.6:
            op = rng.choice(("sbfm", "bfm", "ubfm"))
            immr = rng.choice((0, w - 1, rng.randrange(w)))
            imms = rng.choice((0, w - 1, rng.randrange(w)))
            self.emit(f"{op} {d}, {n}, #{immr}, #{imms}")
        else:
            kind = rng.choice(("lsl", "lsr", "asr", "sbfx", "ubfx", "sbfiz", "ubfiz", "bfi",
                               "bfxil", "sxtb", "sxth", "sxtw", "uxtb", "uxth"))
            if kind in ("lsl", "lsr", "asr"):
                sh = rng.choice((0, 1, w - 1, rng.randrange(w)))
                self.emit(f"{kind} {d}, {n}, #{sh}")
            elif kind in ("sxtb", "sxth", "sxtw", "uxtb", "uxth"):
                if kind == "sxtw":
                    sf = 1
                if kind.startswith("u"):
                    sf = 0
                self.emit(f"{kind} {R(rd, sf)}, {R(rn, 0)}")
            else:
                lsb = rng.choice((0, w - 1, rng.randrange(w)))
                width = rng.choice((1, w - lsb, rng.randint(1, w - lsb)))
                self.emit(f"{kind} {d}, {n}, #{lsb}, #{width}")
        self.wr(rd)

    def g_extr(self):
        rng = self.rng
        sf = rng.randrange(2)
        w = 64 if sf else 32
        rd, rn, rm = self.reg(), self.reg(), self.reg()
        lsb = rng.choice((0, w - 1, rng.randrange(w)))
        if rng.random() < 0.2:
            self.emit(f"ror {R(rd, sf)}, {R(rn, sf)}, #{lsb}")
        else:
            self.emit(f"extr {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}, #{lsb}")
        self.wr(rd)

    # === data processing: register =========================================================

    def g_addsub_shift(self):
        rng = self.rng
        op = rng.choice(("add", "adds", "sub", "subs"))
        sf = rng.randrange(2)
        w = 64 if sf else 32
        sh = rng.choice(("lsl", "lsr", "asr"))
        amt = rng.choice((0, 1, w - 1, rng.randrange(w)))
        rd, rn, rm = self.reg(), self.reg(), self.reg()
        self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}, {sh} #{amt}")
        self.wr(rd)

    def g_addsub_ext(self):
        rng = self.rng
        op = rng.choice(("add", "adds", "sub", "subs"))
        sf = rng.randrange(2)
        ext = rng.choice(("uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"))
        amt = rng.choice((0, 4, rng.randrange(5)))
        rd, rn, rm = self.reg(0.15), self.reg(0.2), self.reg()
        msf = 1 if sf and ext.endswith("x") else 0
        dname = R(rd, sf) if op.endswith("s") else RS(rd, sf)
        self.emit(f"{op} {dname}, {RS(rn, sf)}, {R(rm, msf)}, {ext} #{amt}")
        self.wr(rd, sp=not op.endswith("s"))

    def g_logic_shift(self):
        rng = self.rng
        op = rng.choice(("and", "bic", "orr", "orn", "eor", "eon", "ands", "bics"))
        sf = rng.randrange(2)
        w = 64 if sf else 32
        sh = rng.choice(("lsl", "lsr", "asr", "ror"))
        amt = rng.choice((0, 1, w - 1, rng.randrange(w)))
        rd, rn, rm = self.reg(), self.reg(0.15), self.reg()
        self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}, {sh} #{amt}")
        self.wr(rd)

    def g_adc(self):
        rng = self.rng
        op = rng.choice(("adc", "adcs", "sbc", "sbcs"))
        sf = rng.randrange(2)
        rd, rn, rm = self.reg(), self.reg(0.15), self.reg()
        self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}")
        self.wr(rd)

    def g_ccmp(self):
        rng = self.rng
        op = rng.choice(("ccmp", "ccmn"))
        sf = rng.randrange(2)
        cond = rng.choice(CONDS)
        nzcv = rng.randrange(16)
        rn = self.reg()
        if rng.random() < 0.5:
            imm = rng.choice((0, 31, rng.randrange(32)))
            self.emit(f"{op} {R(rn, sf)}, #{imm}, #{nzcv}, {cond}")
        else:
            self.emit(f"{op} {R(rn, sf)}, {R(self.reg(), sf)}, #{nzcv}, {cond}")

    def g_csel(self):
        rng = self.rng
        sf = rng.randrange(2)
        rd, rn, rm = self.reg(), self.reg(), self.reg()
        if rng.random() < 0.7:
            op = rng.choice(("csel", "csinc", "csinv", "csneg"))
            self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}, {rng.choice(CONDS)}")
        else:
            op = rng.choice(("cset", "csetm", "cinc", "cinv", "cneg"))
            cond = rng.choice(CONDS[:14])
            if op in ("cset", "csetm"):
                self.emit(f"{op} {R(rd, sf)}, {cond}")
            else:
                self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {cond}")
        self.wr(rd)

    def g_dp1(self):
        rng = self.rng
        sf = rng.randrange(2)
        ops = ["clz", "cls", "rbit", "rev", "rev16"] + (["rev32"] if sf else [])
        op = rng.choice(ops)
        rd, rn = self.reg(), self.reg()
        self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}")
        self.wr(rd)

    def g_div(self):
        rng = self.rng
        sf = rng.randrange(2)
        op = rng.choice(("sdiv", "udiv"))
        lim = (1 << 63) if sf else (1 << 31)
        rn = self.src_with((lim, lim - 1, 0, 1, -1 & M64), sf)
        rm = self.src_with((0, 0, 1, -1 & M64, 2, lim), sf)
        rd = self.reg()
        self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}")
        self.wr(rd)

    def g_shiftv(self):
        rng = self.rng
        sf = rng.randrange(2)
        op = rng.choice(("lsl", "lsr", "asr", "ror", "lslv", "lsrv", "asrv", "rorv"))
        rn = self.reg()
        rm = self.src_with((0, 1, 31, 32, 63, 64, 65, -1 & M64, 0x1000000000000021), sf)
        rd = self.reg()
        self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}")
        self.wr(rd)

    def g_crc(self):
        rng = self.rng
        sz = rng.choice("bhwx")
        op = f"crc32{rng.choice(('', 'c'))}{sz}"
        rd, rn, rm = self.reg(), self.reg(), self.reg()
        self.emit(f"{op} {R(rd, 0)}, {R(rn, 0)}, {R(rm, 1 if sz == 'x' else 0)}")
        self.wr(rd)

    def g_mul(self):
        rng = self.rng
        rd, rn, rm, ra = self.reg(), self.reg(), self.reg(), self.reg(0.2)
        kind = rng.randrange(4)
        if kind == 0:
            sf = rng.randrange(2)
            op = rng.choice(("madd", "msub"))
            self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}, {R(ra, sf)}")
        elif kind == 1:
            op = rng.choice(("smaddl", "smsubl", "umaddl", "umsubl"))
            self.emit(f"{op} {R(rd)}, {R(rn, 0)}, {R(rm, 0)}, {R(ra)}")
        elif kind == 2:
            op = rng.choice(("smulh", "umulh"))
            self.emit(f"{op} {R(rd)}, {R(rn)}, {R(rm)}")
        else:
            op = rng.choice(("mul", "mneg", "smull", "umull", "smnegl", "umnegl"))
            if op in ("mul", "mneg"):
                sf = rng.randrange(2)
                self.emit(f"{op} {R(rd, sf)}, {R(rn, sf)}, {R(rm, sf)}")
            else:
                self.emit(f"{op} {R(rd)}, {R(rn, 0)}, {R(rm, 0)}")
        self.wr(rd)

    # === system: NZCV and barriers =========================================================

    def g_nzcv(self):
        r = self.reg()
        if self.rng.random() < 0.5:
            self.emit(f"mrs {R(r)}, nzcv")
            self.wr(r)
        else:
            self.emit(f"msr nzcv, {R(r)}")

    def g_barrier(self):
        self.emit(self.rng.choice(("nop", "yield", "dmb ish", "dmb ld", "dsb sy", "isb",
                                   "hint #0x7f", "sevl")))

    # === branches ==========================================================================

    def g_branch(self):
        rng = self.rng
        lab = self.label()
        kind = rng.choice(("b", "bl", "bcond", "bcond", "cbz", "tbz", "br", "blr", "ret"))
        if kind == "b":
            self.emit(f"b {lab}")
        elif kind == "bl":
            self.emit(f"bl {lab}")
            self.wr(30)
        elif kind == "bcond":
            self.emit(f"b.{rng.choice(CONDS)} {lab}")
        elif kind == "cbz":
            sf = rng.randrange(2)
            r = self.src_with((0, 0, 1 << 32, 1 << 63, 1), sf)
            self.emit(f"{rng.choice(('cbz', 'cbnz'))} {R(r, sf)}, {lab}")
        elif kind == "tbz":
            sf = rng.randrange(2)
            bit = rng.choice((0, 31, 63, rng.randrange(64))) if sf else rng.randrange(32)
            if bit >= 32:
                sf = 1
            r = self.reg()
            self.emit(f"{rng.choice(('tbz', 'tbnz'))} {R(r, sf)}, #{bit}, {lab}")
        else:
            r = 30 if kind == "ret" and rng.random() < 0.5 else rng.randrange(31)
            op = f"ret {R(r)}" if kind == "ret" and r != 30 else ("ret" if kind == "ret" else f"{kind} {R(r)}")
            self.emit(f"adr {R(r)}, {lab}", op)
            self.wr(r)
            if kind == "blr":
                self.wr(30)
        self.branch_region(lab)

    # === loads and stores ==================================================================

    # (mnemonic, bytes, register width 1 = X), for the single-register forms.
    LOADS = (("ldrb", 1, 0), ("ldrh", 2, 0), ("ldr", 4, 0), ("ldr", 8, 1), ("ldrsb", 1, 0),
             ("ldrsb", 1, 1), ("ldrsh", 2, 0), ("ldrsh", 2, 1), ("ldrsw", 4, 1))
    STORES = (("strb", 1, 0), ("strh", 2, 0), ("str", 4, 0), ("str", 8, 1))
    PRFOPS = ("pldl1keep", "pldl2strm", "pstl1keep", "plil3strm", "pldl3keep", "pstl2strm")

    def _single(self, unpriv=False):
        rng = self.rng
        load = rng.random() < 0.6
        op, size, sf = rng.choice(self.LOADS if load else self.STORES)
        if unpriv:
            op = op.replace("ldr", "ldtr").replace("str", "sttr")
        return op, size, sf, load

    def _rt(self, exclude=()) -> int:
        while True:
            r = self.reg(0.1)
            if r not in exclude:
                return r

    def _prfop(self):
        if self.rng.random() < 0.2:
            return f"#{self.rng.randrange(32)}"
        return self.rng.choice(self.PRFOPS)

    def g_ldst_uimm(self):
        rng = self.rng
        if rng.random() < 0.05:
            base, imm = self.address(8, lo=0, hi=4095 * 8, step=8)
            self.emit(f"prfm {self._prfop()}, [{RS(base)}, #{imm}]")
            return
        op, size, sf, load = self._single()
        base, imm = self.address(size, lo=0, hi=4095 * size, step=size)
        rt = self._rt()
        self.emit(f"{op} {R(rt, sf)}, [{RS(base)}, #{imm}]")
        if load:
            self.wr(rt)

    def g_ldst_unscaled(self):
        rng = self.rng
        if rng.random() < 0.05:
            base, imm = self.address(8, lo=-256, hi=255)
            self.emit(f"prfum {self._prfop()}, [{RS(base)}, #{imm}]")
            return
        op, size, sf, load = self._single()
        op = op[:2] + "u" + op[2:]
        base, imm = self.address(size, lo=-256, hi=255)
        rt = self._rt()
        self.emit(f"{op} {R(rt, sf)}, [{RS(base)}, #{imm}]")
        if load:
            self.wr(rt)

    def g_ldst_unpriv(self):
        op, size, sf, load = self._single(unpriv=True)
        base, imm = self.address(size, lo=-256, hi=255)
        rt = self._rt()
        self.emit(f"{op} {R(rt, sf)}, [{RS(base)}, #{imm}]")
        if load:
            self.wr(rt)

    def g_ldst_prepost(self):
        rng = self.rng
        op, size, sf, load = self._single()
        post = rng.random() < 0.5
        rt = self._rt()
        base, imm = self.address(size, lo=-256, hi=255, post=post, wb=True, exclude=(rt,))
        if post:
            self.emit(f"{op} {R(rt, sf)}, [{RS(base)}], #{imm}")
        else:
            self.emit(f"{op} {R(rt, sf)}, [{RS(base)}, #{imm}]!")
        if load:
            self.wr(rt)

    def g_ldst_reg(self):
        rng = self.rng
        prf = rng.random() < 0.05
        if prf:
            op, size, sf, load = "prfm", 8, 1, False
        else:
            op, size, sf, load = self._single()
        s = size.bit_length() - 1
        ext = rng.choice(("lsl", "uxtw", "sxtw", "sxtx"))
        scaled = rng.random() < 0.5
        amount = s if scaled else 0
        t0 = t = self._target(size, 1)
        free = self.fresh(sp=True)
        if len([k for k in free if k != SPK]) < 2:
            raise NoRegisters()
        if rng.random() < 0.05:
            idx, off = 31, 0                # XZR: no offset
        else:
            idx = rng.choice([k for k in free if k != SPK])
            free.remove(idx)
            if ext == "uxtw":
                u = rng.choice((0, 1, M32, 1 << 31, rng.randrange(1 << 32), rng.randrange(64)))
                off = u << amount
                iv = u | (rng.getrandbits(32) << 32 if rng.random() < 0.5 else 0)
            elif ext == "sxtw":
                u = rng.choice((0, 1, -1, -(1 << 31), (1 << 31) - 1, rng.randint(-64, 64),
                                rng.randint(-(1 << 31), (1 << 31) - 1)))
                off = u << amount
                iv = (u & M32) | (rng.getrandbits(32) << 32 if rng.random() < 0.5 else 0)
            else:
                u = rng.choice((0, 1, -1, 1 << 63, rng.randint(-64, 64), rng.getrandbits(64)))
                off = u << amount
                iv = u
            self.assign(idx, iv)
        base = SPK if SPK in free and rng.random() < 0.15 else rng.choice([k for k in free if k != SPK])
        bv = (t - off) & M64
        if base == SPK:
            bv -= bv % 16
            t = (bv + off) & M64
            if not self.scratch <= t <= self.scratch + SCRATCH_SIZE - size:
                base = rng.choice([k for k in free if k != SPK])
                bv = (t0 - off) & M64
        self.assign(base, bv)
        xs = 1 if ext in ("lsl", "sxtx") else 0
        if ext == "lsl" and not (scaled or (size == 1 and rng.random() < 0.5)):
            mode = ""                         # [Xn, Xm]: no amount, S = 0
        elif size == 1:
            mode = f", {ext} #0" if scaled or ext == "lsl" else f", {ext}"
        else:
            mode = f", {ext} #{amount}" if scaled else ("" if ext == "lsl" else f", {ext}")
        addr = f"[{RS(base)}, {R(idx, xs)}{mode}]"
        if prf:
            self.emit(f"prfm {self._prfop()}, {addr}")
            return
        rt = self._rt()
        self.emit(f"{op} {R(rt, sf)}, {addr}")
        if load:
            self.wr(rt)

    def g_ldst_literal(self):
        rng = self.rng
        lab = self.label()
        kind = rng.choice(("w", "x", "sw", "prfm"))
        data = rng.getrandbits(64) if rng.random() < 0.7 else edge(rng)
        self.pool.append(".balign 4" if rng.random() < 0.5 else ".balign 8")
        self.pool.append(f"{lab}: .quad {data:#x}")
        rt = self._rt()
        if kind == "prfm":
            self.emit(f"prfm {self._prfop()}, {lab}")
            return
        if kind == "sw":
            self.emit(f"ldrsw {R(rt)}, {lab}")
        else:
            self.emit(f"ldr {R(rt, kind == 'x')}, {lab}")
        self.wr(rt)

    def g_ldst_pair(self):
        rng = self.rng
        kind = rng.choice(("ldp", "stp", "ldpsw", "ldnp", "stnp", "ldp", "stp"))
        sf = 0 if kind == "ldpsw" else rng.randrange(2)
        size = 4 if kind == "ldpsw" else (8 if sf else 4)
        load = kind.startswith("ld")
        mode = "off" if kind.endswith("np") else rng.choice(("off", "pre", "post"))
        rt = self._rt()
        rt2 = self._rt(exclude=(rt,) if load else ())
        wb = mode != "off"
        base, imm = self.address(2 * size, lo=-64 * size, hi=63 * size, step=size,
                                 post=mode == "post", wb=wb, exclude=(rt, rt2) if wb else ())
        d = 1 if kind == "ldpsw" else sf
        regs = f"{R(rt, d)}, {R(rt2, d)}"
        if mode == "off":
            self.emit(f"{kind} {regs}, [{RS(base)}, #{imm}]")
        elif mode == "pre":
            self.emit(f"{kind} {regs}, [{RS(base)}, #{imm}]!")
        else:
            self.emit(f"{kind} {regs}, [{RS(base)}], #{imm}")
        if load:
            self.wr(rt)
            self.wr(rt2)

    def _sfx(self, size):
        return {1: "b", 2: "h", 4: "", 8: ""}[size]

    def g_ldst_excl(self):
        rng = self.rng
        kind = rng.choice(("pair", "pair", "ppair", "ppair", "solo_ld", "solo_st", "clrex"))
        in_region = bool(self.regions)          # before emit() closes any region
        if kind == "clrex":
            self.emit("clrex")
            if not in_region:
                self.monitor = "clear"
            elif self.monitor != "clear":
                self.monitor = "unknown"        # the clear may be skipped
            return
        if kind == "solo_st" and self.monitor != "clear":
            kind = "pair"
        pair = kind == "ppair" or (kind.startswith("solo") and rng.random() < 0.3)
        size = rng.choice((4, 8)) if pair else rng.choice((1, 2, 4, 8))
        sf = 1 if size == 8 else 0
        total = 2 * size if pair else size
        a = rng.choice(("", "a"))
        l = rng.choice(("", "l"))
        ldx, stx = ("xp", "xp") if pair else ("xr" + self._sfx(size),) * 2
        if kind == "solo_st":
            rs = self._rt()
            rt = self._rt(exclude=(rs,))
            rt2 = self._rt(exclude=(rs,))
            base, _ = self.address(total, align=total, exclude=(rs,))
            data = f"{R(rt, sf)}, {R(rt2, sf)}" if pair else R(rt, sf)
            self.emit(f"st{l}{stx} {R(rs, 0)}, {data}, [{RS(base)}]")
            self.wr(rs)
            return
        base, _ = self.address(total, align=total)
        rt = self._rt(exclude=(base,))
        rt2 = self._rt(exclude=(rt, base))
        data = f"{R(rt, sf)}, {R(rt2, sf)}" if pair else R(rt, sf)
        ld = f"ld{a}{ldx} {data}, [{RS(base)}]"
        if kind == "solo_ld":
            self.emit(ld)
            self.monitor = "unknown" if in_region else "open"
        else:
            # Store back new data (or the same) from other registers, status distinct from all.
            st1 = self._rt(exclude=(base,))
            st2 = self._rt(exclude=(base,))
            rs = self._rt(exclude=(base, st1, st2, 31))
            sdata = f"{R(st1, sf)}, {R(st2, sf)}" if pair else R(st1, sf)
            self.emit(ld, f"st{l}{stx} {R(rs, 0)}, {sdata}, [{RS(base)}]")
            if not in_region:
                self.monitor = "clear"
            elif self.monitor != "clear":
                self.monitor = "unknown"
            self.wr(rs)
        self.wr(rt)
        if pair:
            self.wr(rt2)

    def g_ldst_acqrel(self):
        rng = self.rng
        size = rng.choice((1, 2, 4, 8))
        sf = 1 if size == 8 else 0
        base, _ = self.address(size, align=size)
        rt = self._rt()
        if rng.random() < 0.5:
            self.emit(f"ldar{self._sfx(size)} {R(rt, sf)}, [{RS(base)}]")
            self.wr(rt)
        else:
            self.emit(f"stlr{self._sfx(size)} {R(rt, sf)}, [{RS(base)}]")

    ORDER = ("", "a", "l", "al")
    LDOPS = ("add", "clr", "eor", "set", "smax", "smin", "umax", "umin")

    def g_lse_cas(self):
        rng = self.rng
        size = rng.choice((1, 2, 4, 8))
        sf = 1 if size == 8 else 0
        base, _ = self.address(size, align=size)
        rs = self._rt(exclude=(base,))
        rt = self._rt()
        insn = f"cas{rng.choice(self.ORDER)}{self._sfx(size)} {R(rs, sf)}, {R(rt, sf)}, [{RS(base)}]"
        if rs != 31 and rng.random() < 0.5:
            ld = {1: "ldrb", 2: "ldrh", 4: "ldr", 8: "ldr"}[size]
            self.emit(f"{ld} {R(rs, sf)}, [{RS(base)}]", insn)      # the compare will succeed
        else:
            self.emit(insn)
        self.wr(rs)

    def g_lse_casp(self):
        rng = self.rng
        sf = rng.randrange(2)
        size = 8 if sf else 4
        base, _ = self.address(2 * size, align=2 * size)
        evens = [r for r in range(0, 30, 2) if r != base and r + 1 != base]
        rs = rng.choice(evens)
        rt = rng.choice([r for r in evens if r != rs])
        insn = (f"casp{rng.choice(self.ORDER)} {R(rs, sf)}, {R(rs + 1, sf)}, {R(rt, sf)}, "
                f"{R(rt + 1, sf)}, [{RS(base)}]")
        if rng.random() < 0.5:
            self.emit(f"ldp {R(rs, sf)}, {R(rs + 1, sf)}, [{RS(base)}]", insn)
        else:
            self.emit(insn)
        self.wr(rs)
        self.wr(rs + 1)

    def g_lse_ldop(self):
        rng = self.rng
        size = rng.choice((1, 2, 4, 8))
        sf = 1 if size == 8 else 0
        base, _ = self.address(size, align=size)
        op = rng.choice(self.LDOPS)
        order = rng.choice(self.ORDER)
        rs = self._rt()
        rt = self._rt(exclude=(base,))
        sfx = self._sfx(size)
        if rt == 31 and order in ("", "l") and rng.random() < 0.5:
            self.emit(f"st{op}{order}{sfx} {R(rs, sf)}, [{RS(base)}]")
        else:
            self.emit(f"ld{op}{order}{sfx} {R(rs, sf)}, {R(rt, sf)}, [{RS(base)}]")
        self.wr(rt)

    def g_lse_swp(self):
        rng = self.rng
        size = rng.choice((1, 2, 4, 8))
        sf = 1 if size == 8 else 0
        base, _ = self.address(size, align=size)
        rs = self._rt()
        rt = self._rt(exclude=(base,))
        self.emit(f"swp{rng.choice(self.ORDER)}{self._sfx(size)} {R(rs, sf)}, {R(rt, sf)}, [{RS(base)}]")
        self.wr(rt)


# class -> (group, weight in its group). Groups are what the tests run (and gate) separately.
CLASSES = {
    "addsub_imm": ("dp_imm", 3), "logic_imm": ("dp_imm", 3), "movewide": ("dp_imm", 2),
    "adr": ("dp_imm", 1), "bitfield": ("dp_imm", 4), "extr": ("dp_imm", 1),
    "addsub_shift": ("dp_reg", 3), "addsub_ext": ("dp_reg", 3), "logic_shift": ("dp_reg", 3),
    "adc": ("dp_reg", 2), "ccmp": ("dp_reg", 2), "csel": ("dp_reg", 3), "dp1": ("dp_reg", 2),
    "div": ("dp_reg", 2), "shiftv": ("dp_reg", 2), "crc": ("dp_reg", 2), "mul": ("dp_reg", 3),
    "nzcv": ("sys", 2), "barrier": ("sys", 1),
    "branch": ("branch", 6),
    "ldst_uimm": ("ldst", 3), "ldst_unscaled": ("ldst", 2), "ldst_unpriv": ("ldst", 1),
    "ldst_prepost": ("ldst", 3), "ldst_reg": ("ldst", 3), "ldst_literal": ("ldst", 1),
    "ldst_pair": ("ldst", 3), "ldst_excl": ("ldst", 2), "ldst_acqrel": ("ldst", 1),
    "lse_cas": ("atomic", 2), "lse_casp": ("atomic", 1), "lse_ldop": ("atomic", 4),
    "lse_swp": ("atomic", 1),
}

GROUPS = sorted({g for g, _ in CLASSES.values()})

# What each test group mixes in besides its own classes, so that branches have visible effects
# and loads see computed values.
GROUP_EXTRA = {
    "branch": {"movewide": 2, "addsub_imm": 2, "csel": 1, "ccmp": 1, "nzcv": 1},
    "sys": {"addsub_shift": 2, "movewide": 1},
}


def group_weights(group: str) -> Dict[str, int]:
    """Class weights for a test group ('mixed' means every class)."""
    if group == "mixed":
        return {c: w for c, (g, w) in CLASSES.items()}
    out = {c: w * 3 for c, (g, w) in CLASSES.items() if g == group}
    out.update(GROUP_EXTRA.get(group, {}))
    return out


def generate(seed: int, count: int, group: str, scratch_base: int, first_index: int = 0,
             min_len: int = 3, max_len: int = 10) -> List[Sequence]:
    """`count` sequences drawn from `group`'s classes; sequence k uses the scratch buffer at
    scratch_base + k * SCRATCH_SIZE. The same arguments give the same sequences."""
    rng = random.Random(f"{seed}:{group}:{first_index}")
    if group == "mixed":
        min_len, max_len = 2 * min_len, 2 * max_len    # more interplay between classes
    weights = group_weights(group)
    names = list(weights)
    cum = []
    total = 0
    for n in names:
        total += weights[n]
        cum.append(total)
    seqs = []
    for k in range(count):
        b = Builder(rng, first_index + k, scratch_base + k * SCRATCH_SIZE)
        n = rng.randint(min_len, max_len)
        tries = 0
        while sum(b.used.values()) < n and tries < 4 * n:
            tries += 1
            cls = rng.choices(names, cum_weights=cum)[0]
            try:
                getattr(b, "g_" + cls)()
            except NoRegisters:
                continue
            b.used[cls] = b.used.get(cls, 0) + 1
        seq = b.finish(sorted(b.used))
        seq.scratch = scratch_bytes(rng, SCRATCH_SIZE)
        seqs.append(seq)
    return seqs
