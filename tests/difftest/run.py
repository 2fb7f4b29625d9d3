"""Running a batch of sequences under qemu-aarch64 and qemu_py and comparing what they leave.

`run_batch(seed, group, first, count)` generates, builds, runs both and returns a BatchResult
whose `mismatches` describe every sequence that ended differently, with enough to replay it:
the seed, the group and the sequence's index (see tools/difftest.py).
"""

import bisect
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import List, Optional

from . import build
from .build import BLOCK, DATA_BASE, NREGS, Layout
from .gen import SCRATCH_SIZE, Sequence, generate

BATCH = 2000                    # sequences per ELF; a sequence's index fixes its batch
REG_NAMES = [f"x{k}" for k in range(31)] + ["sp", "nzcv"]


@dataclass
class Mismatch:
    seed: int
    group: str
    seq: Sequence
    regs: List[tuple]           # (name, qemu value, qemu_py value)
    mem: List[tuple]            # (offset, qemu bytes, qemu_py bytes)
    fault: Optional[str] = None # what qemu_py raised or where it stopped, if it did
    options: str = ""           # extra tools/difftest.py options of the run (--mmu, --cpu)

    def report(self) -> str:
        s = self.seq
        lines = [f"MISMATCH seed={self.seed} group={self.group} index={s.index}   replay: "
                 f"python3 tools/difftest.py --seed {self.seed} --group {self.group} "
                 f"--index {s.index}{self.options}",
                 f"  classes: {', '.join(s.classes)}"]
        if self.fault:
            lines.append(f"  qemu_py: {self.fault}")
        lines.append("  init: " + " ".join(f"x{k}={v:#x}" for k, v in enumerate(s.regs))
                     + f" sp={s.sp:#x} nzcv={s.nzcv >> 28:04b} scratch@{s.scratch_addr:#x}")
        lines.append("  code:")
        lines.extend("    " + line for line in s.text().splitlines())
        shown = self.regs if not self.fault else self.regs[:4]
        for name, a, b in shown:
            lines.append(f"  {name:>5}: qemu-aarch64 {a:#018x}  qemu_py {b:#018x}")
        for off, a, b in (self.mem if not self.fault else self.mem[:2]):
            lines.append(f"  mem {s.scratch_addr + off:#x} (+{off}): qemu-aarch64 {a.hex()}  "
                         f"qemu_py {b.hex()}")
        return "\n".join(lines)


@dataclass
class BatchResult:
    seed: int
    group: str
    seqs: List[Sequence]
    mismatches: List[Mismatch] = field(default_factory=list)
    times: dict = field(default_factory=dict)


class HarnessError(Exception):
    """The reference run itself failed: a generator or harness bug, not a qemu_py one."""


def start_reference(elf: str) -> subprocess.Popen:
    return subprocess.Popen(["qemu-aarch64", "-cpu", "max", elf], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def reference_output(proc: subprocess.Popen, out_len: int) -> bytes:
    out, err = proc.communicate(timeout=300)
    if proc.returncode != 0 or len(out) != out_len:
        raise HarnessError(f"qemu-aarch64 exited {proc.returncode} with {len(out)} of {out_len} "
                           f"bytes: {err.decode(errors='replace')[:2000]}")
    return out


TABLES = 0x44000000             # page tables for the MMU runs, out of the program's way
GRANULES = {"4k": 12, "16k": 14, "64k": 16}


def mmu_regs(m, granule: str, text_end: int, data_end: int) -> dict:
    """Identity-map the program with stage 1 tables in qemu_py's RAM and return the system
    register values that turn the MMU on (39-bit VAs, TTBR0 only). Code is read-only at EL1
    (with 2 MB blocks where the granule is 4K), data read-write at EL0 and EL1 (LDTR/STTR
    check EL0's permissions) and never executable. Every load and store then walks or hits
    the soft TLB, including page-crossing ones."""
    g = GRANULES[granule]
    stride = g - 3
    inputsize = 39
    start = 4 - (inputsize - g + stride - 1) // stride
    tsize = 1 << g
    tables = {}                             # address -> bytearray

    def new_table():
        addr = TABLES + len(tables) * tsize
        tables[addr] = bytearray(tsize)
        return addr

    root = new_table()

    def index(va, level):
        lo = g + (3 - level) * stride
        return (va >> lo) & ((1 << stride) - 1)

    def map_(va, level, attrs):
        t = root
        for lv in range(start, level):
            e = index(va, lv) * 8
            d = int.from_bytes(tables[t][e:e + 8], "little")
            if d == 0:
                d = new_table() | 3
                tables[t][e:e + 8] = d.to_bytes(8, "little")
            t = d & ~(tsize - 1) & ((1 << 48) - 1)
        e = index(va, level) * 8
        desc = va | attrs | (3 if level == 3 else 1)
        tables[t][e:e + 8] = desc.to_bytes(8, "little")

    af, sh = 1 << 10, 3 << 8
    pxn, uxn = 1 << 53, 1 << 54
    text_attrs = af | sh | (2 << 6) | uxn           # EL1 read-only, EL0 none, EL1 executable
    data_attrs = af | sh | (1 << 6) | pxn | uxn     # EL0 and EL1 read-write
    base = m.core.ram_base
    if g == 12:
        for va in range(base, (text_end + (1 << 21) - 1) & ~((1 << 21) - 1), 1 << 21):
            map_(va, 2, text_attrs)
    else:
        for va in range(base, text_end, tsize):
            map_(va, 3, text_attrs)
    for va in range(DATA_BASE, data_end + tsize, tsize):
        map_(va - va % tsize, 3, data_attrs)
    for addr, data in tables.items():
        m.write_phys(addr, bytes(data))
    tg0 = {12: 0, 14: 2, 16: 1}[g]
    tcr = (64 - inputsize) | (tg0 << 14) | (1 << 23) | (3 << 12) | (1 << 10) | (1 << 8)
    return {"mair_el1": 0xff, "tcr_el1": tcr, "ttbr0_el1": root}


def run_qemu_py(elf: str, nseqs: int, out_len: int, cpu: str = "max", mmu: Optional[str] = None):
    """Run the ELF in qemu_py up to `done`. After an exception (the vector table branches to
    `done`) or a runaway, note it and go on with the next sequence. Returns (bytes, faults)
    where faults maps a sequence index to a description. With mmu ("4k", "16k" or "64k") the
    program runs with the MMU on, identity-mapped."""
    from qemu_py.machine import Machine
    from qemu_py import _core

    syms = build.symbols(elf)
    starts = [syms[f"seq_{k}"] for k in range(nseqs + 1)]
    done = syms["done"]
    m = Machine(cpu=cpu)
    pc = m.load(elf)
    faults = {}
    budget = 400 * nseqs + 10000
    regs = {}
    if mmu:
        regs = mmu_regs(m, mmu, syms["done"] + 4096, DATA_BASE + out_len + nseqs * BLOCK)
        regs["sctlr_el1"] = 0x00c50838 | 1          # last: the MMU goes on with the tables set
    while True:
        m.set_entry(pc, vbar_el1=syms["vectors"], elr_el1=1, **regs)
        res = m.run(max_insns=budget, until_pc=done)
        core = m.core
        elr = core.get_reg(0, "elr_el1")
        stop_pc = core.get_reg(0, "pc")
        if res.reason == "break" and elr == 1:
            break                                   # reached `done` cleanly
        where = elr if res.reason == "break" else stop_pc
        k = bisect.bisect_right(starts, where) - 1
        if not 0 <= k < nseqs:
            raise HarnessError(f"qemu_py stopped ({res.reason}) outside the sequences at "
                               f"{where:#x}, ESR {core.get_reg(0, 'esr_el1'):#x}")
        if res.reason == "break":
            esr = core.get_reg(0, "esr_el1")
            word = struct.unpack("<I", m.read_phys(elr, 4))[0] if elr % 4 == 0 and \
                _in_ram(m, elr) else None
            what = f"exception ESR={esr:#x} (EC {esr >> 26:#x}) at {elr:#x}"
            if word is not None:
                name, _ = _core.decode(word)
                what += f" on word {word:#010x} (decoded as {name})"
            if esr >> 26 in (0x20, 0x21, 0x24, 0x25):
                what += f", FAR={core.get_reg(0, 'far_el1'):#x}"
            if elr < syms[f"body_{k}"]:
                what += " -- in the harness prologue (ADRP/ADD/LDR/LDP/MSR/CLREX)"
            elif elr >= syms[f"epilogue_{k}"] and elr < syms[f"epilogue_{k}"] + 4 * 24:
                what += " -- in the harness epilogue (MSR/ADRP/ADD/STP/MRS/STR)"
        else:
            what = f"stopped ({res.reason}) at pc {stop_pc:#x}"
        faults.setdefault(k, what)
        pc = starts[k + 1]
        if k + 1 == nseqs:
            break
    return m.read_phys(DATA_BASE, out_len), faults


def run_qemu_py_injected(elf: str, nseqs: int, out_len: int, cpu: str = "max"):
    """Like run_qemu_py, but qemu_py runs only the sequence bodies: the starting registers are
    set from Python and the final ones read back, so the harness's own loads and stores (the
    prologue and epilogue) are not needed. Slower; for while those instructions are missing
    or suspect. Same return value as run_qemu_py."""
    from qemu_py.machine import Machine
    from qemu_py import _core

    syms = build.symbols(elf)
    m = Machine(cpu=cpu)
    m.load(elf)
    lay = Layout(nseqs)
    image = bytearray(m.read_phys(DATA_BASE, out_len))
    faults = {}
    for k in range(nseqs):
        init = struct.unpack_from("<34Q", m.read_phys(DATA_BASE + lay.inits + k * BLOCK, BLOCK))
        regs = {f"x{j}": init[j] for j in range(31)}
        m.set_entry(syms[f"body_{k}"], vbar_el1=syms["vectors"], elr_el1=1, **regs)
        m.core.set_reg(0, "sp", init[31])
        m.core.set_reg(0, "nzcv", init[32])
        res = m.run(max_insns=4000, until_pc=syms[f"epilogue_{k}"])
        core = m.core
        elr = core.get_reg(0, "elr_el1")
        if res.reason != "break" or elr != 1:
            if elr != 1:
                esr = core.get_reg(0, "esr_el1")
                word = struct.unpack("<I", m.read_phys(elr, 4))[0] if elr % 4 == 0 and \
                    _in_ram(m, elr) else None
                what = f"exception ESR={esr:#x} (EC {esr >> 26:#x}) at {elr:#x}"
                if word is not None:
                    what += f" on word {word:#010x} (decoded as {_core.decode(word)[0]})"
            else:
                what = f"stopped ({res.reason}) at pc {core.get_reg(0, 'pc'):#x}"
            faults[k] = what
            continue
        final = [core.get_reg(0, f"x{j}") for j in range(31)]
        final += [core.get_reg(0, "sp"), core.get_reg(0, "nzcv")]
        struct.pack_into(f"<{NREGS}Q", image, lay.results + k * BLOCK, *final)
    scratch = m.read_phys(DATA_BASE, lay.results)
    image[:lay.results] = scratch
    return bytes(image), faults


def _in_ram(m, addr: int) -> bool:
    return m.core.ram_base <= addr < m.core.ram_base + m.core.ram_size - 4


def compare(seed: int, group: str, seqs: List[Sequence], ref: bytes, got: bytes,
            faults: dict) -> List[Mismatch]:
    lay = Layout(len(seqs))
    out = []
    for k, seq in enumerate(seqs):
        so = k * SCRATCH_SIZE
        ro = lay.results + k * BLOCK
        if ref[so:so + SCRATCH_SIZE] == got[so:so + SCRATCH_SIZE] and \
                ref[ro:ro + BLOCK] == got[ro:ro + BLOCK] and k not in faults:
            continue
        a = struct.unpack_from(f"<{NREGS}Q", ref, ro)
        b = struct.unpack_from(f"<{NREGS}Q", got, ro)
        regs = [(REG_NAMES[j], a[j], b[j]) for j in range(NREGS) if a[j] != b[j]]
        mem = []
        for off in range(0, SCRATCH_SIZE, 8):
            x, y = ref[so + off:so + off + 8], got[so + off:so + off + 8]
            if x != y:
                mem.append((off, x, y))
        out.append(Mismatch(seed, group, seq, regs, mem, faults.get(k)))
    return out


def run_batch(seed: int, group: str, first: int, count: int, workdir: Optional[str] = None,
              cpu: str = "max", inject: bool = False, mmu: Optional[str] = None) -> BatchResult:
    """Generate sequences first .. first+count-1 of (seed, group) (first a multiple of BATCH,
    count at most BATCH), run them in both and compare."""
    assert first % BATCH == 0 and 0 < count <= BATCH
    t0 = time.perf_counter()
    seqs = generate(seed, count, group, DATA_BASE, first_index=first)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="difftest-") as tmp:
        wd = workdir or tmp
        elf = build.build(seqs, wd)
        t2 = time.perf_counter()
        out_len = Layout(count).out_len
        proc = start_reference(elf)             # runs while qemu_py does
        try:
            if inject:
                got, faults = run_qemu_py_injected(elf, count, out_len, cpu)
            else:
                got, faults = run_qemu_py(elf, count, out_len, cpu, mmu)
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
        t3 = time.perf_counter()
        ref = reference_output(proc, out_len)
        t4 = time.perf_counter()
    result = BatchResult(seed, group, seqs)
    result.mismatches = compare(seed, group, seqs, ref, got, faults)
    opts = (f" --mmu {mmu}" if mmu else "") + (f" --cpu {cpu}" if cpu != "max" else "") + \
        (" --inject" if inject else "")
    for mm in result.mismatches:
        mm.options = opts
    result.times = {"generate": t1 - t0, "build": t2 - t1, "qemu_py": t3 - t2,
                    "qemu-aarch64 (after)": t4 - t3}
    return result


def replay(seed: int, group: str, index: int, cpu: str = "max", inject: bool = False,
           mmu: Optional[str] = None) -> Optional[Mismatch]:
    """Re-run the batch holding sequence `index` and return its mismatch (None: it agrees)."""
    first = index - index % BATCH
    res = run_batch(seed, group, first, index - first + 1, cpu=cpu, inject=inject, mmu=mmu)
    for mm in res.mismatches:
        if mm.seq.index == index:
            return mm
    return None


def model_errors(seqs: List[Sequence], ref: bytes) -> List[str]:
    """Where the reference's final state contradicts what the generator believed it tracked
    (a generator bug: its memory operands could then leave the scratch buffer)."""
    lay = Layout(len(seqs))
    errors = []
    for k, seq in enumerate(seqs):
        final = struct.unpack_from(f"<{NREGS}Q", ref, lay.results + k * BLOCK)
        start = list(seq.regs) + [seq.sp]
        for r, v in seq.expect.items():
            if final[r if r < 31 else 31] != v:
                errors.append(f"seq {seq.index}: {REG_NAMES[r]} is {final[r]:#x}, "
                              f"generator tracked {v:#x}\n{seq.text()}")
        for r in seq.untouched:
            if final[r] != start[r]:
                errors.append(f"seq {seq.index}: {REG_NAMES[r]} changed {start[r]:#x} -> "
                              f"{final[r]:#x} though nothing writes it\n{seq.text()}")
    return errors


def reference_batch(seed: int, group: str, count: int, workdir: str):
    """Generate and run a batch under qemu-aarch64 only: (sequences, output bytes)."""
    seqs = generate(seed, count, group, DATA_BASE)
    elf = build.build(seqs, workdir)
    return seqs, reference_output(start_reference(elf), Layout(count).out_len)
