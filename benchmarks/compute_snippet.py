"""The compute workload's kernel as a raw AArch64 snippet (snippet/compute_kernel.c), and the
same run of it in qemu_py (through the library) and in Unicorn 2: the guest of
benchmarks/library.py and of tests/test_library_bench_snippet.py.

The snippet is a flat image (code, constants, data) put at BASE in both emulators, entered at
BASE with x0 = the number of rounds, and run until the pc reaches `end` (qemu_py's until_pc,
Unicorn's `until`): no boot code, no exception vectors, no devices, no OS. Its .bss and stack
follow the image in the same memory; the results (compute.c's checksums) are read from memory.

Each runner takes a hook kind: "none", "block" (count blocks and their instructions), "insn"
(count instructions), "mem" (count data accesses by direction and size). The hooks are
written alike for both emulators: one list update per call.
"""

import gc
import hashlib
import os
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BUILD = HERE / "build"
SOURCE = HERE / "snippet" / "compute_kernel.c"
LDSCRIPT = HERE / "snippet" / "snippet.ld"
COMPUTE_C = REPO / "tests" / "guests" / "compute.c"
GUEST_LIB = REPO / "tests" / "guests" / "lib"
CC = os.environ.get("GUEST_CC", "aarch64-linux-gnu-gcc")
OBJCOPY = "aarch64-linux-gnu-objcopy"

# The guests' flags (tests/guests/build.py): integer only, strict alignment (the MMU is off in
# qemu_py, so every data access is to Device memory), freestanding.
CFLAGS = ("-O2", "-g", "-ffreestanding", "-nostdlib", "-nostartfiles", "-static",
          "-mgeneral-regs-only", "-fno-pie", "-no-pie", "-fno-stack-protector",
          "-fno-asynchronous-unwind-tables", "-fno-tree-loop-distribute-patterns",
          "-mstrict-align", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror",
          "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments")

HOOKS = ("none", "block", "insn", "mem")
RESULT_NAMES = ("crc32", "fnv1a", "murmur", "sort", "prime-sum", "primes", "sorted")
MEM_SLOTS = 64          # mem hook counters: index is_write << 5 | size


@dataclass(frozen=True)
class Snippet:
    image: bytes        # .text, .rodata, .data: flat from base
    base: int           # where it goes and where it is entered
    end: int            # snippet_end: runs stop here, before executing it
    results: int        # snippet_results (8 x u64)
    top: int            # the stack top: [base, top) is the snippet's whole memory
    elf: Path


def build(out_dir: Path = BUILD) -> Snippet:
    """Compile and link the snippet (unless an up-to-date build is there) and read its image
    and symbols. Raises RuntimeError with the compiler's message."""
    out_dir.mkdir(parents=True, exist_ok=True)
    elf, binary, stamp = (out_dir / f"compute_snippet.{ext}" for ext in ("elf", "bin", "key"))
    key = hashlib.sha256()
    key.update(subprocess.run([CC, "--version"], capture_output=True).stdout)
    key.update("\0".join(CFLAGS).encode())
    for path in (SOURCE, LDSCRIPT, COMPUTE_C, GUEST_LIB / "guest.h"):
        key.update(path.read_bytes())
    if not (elf.exists() and binary.exists() and stamp.exists()
            and stamp.read_text() == key.hexdigest()):
        tmp = out_dir / f".compute_snippet.{os.getpid()}.elf"
        cmd = [CC, *CFLAGS, "-I", str(GUEST_LIB), "-T", str(LDSCRIPT), str(SOURCE), "-o", str(tmp)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise RuntimeError(f"building the snippet failed:\n{' '.join(cmd)}\n{res.stderr}")
        subprocess.run([OBJCOPY, "-O", "binary", "-j", ".text", "-j", ".rodata", "-j", ".data",
                        str(tmp), str(binary)], check=True)
        os.replace(tmp, elf)
        stamp.write_text(key.hexdigest())
    syms = _symbols(elf)
    image = binary.read_bytes()
    if syms["__snippet_start"] + len(image) > syms["__bss_start"]:
        raise RuntimeError("the snippet's image overlaps its .bss")
    return Snippet(image, syms["__snippet_start"], syms["snippet_end"], syms["snippet_results"],
                   syms["__stack_top"], elf)


def _symbols(elf: Path) -> Dict[str, int]:
    from elftools.elf.elffile import ELFFile
    with open(elf, "rb") as f:
        table = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: s["st_value"] for s in table.iter_symbols() if s.name}


def memory_image(snip: Snippet) -> bytes:
    """The snippet's whole memory before a run: the image, then zeros (.bss, stack)."""
    return snip.image + bytes(snip.top - snip.base - len(snip.image))


@dataclass
class Outcome:
    """One run: seconds (CPU time of the run call), the hook's counts, the state after."""
    seconds: float
    counts: Dict[str, int]
    regs: Dict[str, int]        # x0-x30, sp, pc, nzcv
    memory: bytes               # [base, top)
    results: Dict[str, int]     # compute.c's checksums (RESULT_NAMES)


def _outcome(snip: Snippet, seconds: float, counts: Dict[str, int], regs: Dict[str, int],
             memory: bytes) -> Outcome:
    at = snip.results - snip.base
    results = dict(zip(RESULT_NAMES, struct.unpack("<7Q", memory[at:at + 56])))
    return Outcome(seconds, counts, regs, memory, results)


def _mem_counts(slots: List[int]) -> Dict[str, int]:
    # By direction: accesses, bytes, and accesses with 16-byte ones (a pair of X registers,
    # reported by qemu_py as one access, by Unicorn as two) counted as two 8-byte ones.
    out = {}
    for w, name in ((0, "read"), (1, "write")):
        by_size = {size: slots[w << 5 | size] for size in (1, 2, 4, 8, 16)}
        out[f"{name}s"] = sum(by_size.values())
        out[f"{name} bytes"] = sum(size * n for size, n in by_size.items())
        out[f"{name}s, pairs as two"] = out[f"{name}s"] + by_size[16]
        out[f"{name}s of 16 bytes"] = by_size[16]
    return out


# --- qemu_py ----------------------------------------------------------------------------------


def run_qemu_py(snip: Snippet, rounds: int, hook: str = "none") -> Outcome:
    """A fresh machine with the snippet, one run to `end` (timed: the run() call only)."""
    import qemu_py
    m = qemu_py.Machine(cpu="cortex-a57", memory="16M")
    m.memory.write(snip.base, memory_image(snip))
    regs = m.cpus[0].regs
    for n in range(31):
        regs.x[n] = 0
    regs.x[0] = rounds
    regs.sp = 0
    regs.nzcv = 0
    regs.pc = snip.base
    counts: Dict[str, int] = {}
    if hook == "block":
        blocks = [0, 0]

        def on_block(cpu, pc, n):
            blocks[0] += 1
            blocks[1] += n
        m.hook_block(on_block)
    elif hook == "insn":
        insns = [0]

        def on_insn(cpu, pc):
            insns[0] += 1
        m.hook_code(on_insn)
    elif hook == "mem":
        slots = [0] * MEM_SLOTS

        def on_mem(cpu, address, size, is_write, value):
            slots[is_write << 5 | size] += 1
        m.hook_mem(on_mem)
    elif hook != "none":
        raise ValueError(f"unknown hook kind {hook!r}")
    gc.collect()                # earlier runs' garbage, not during this one
    t0 = time.process_time()
    result = m.run(until_pc=snip.end, timeout_insns=1 << 40)
    seconds = time.process_time() - t0
    if result.reason != "break" or result.pc != snip.end:
        raise RuntimeError(f"qemu_py: the snippet did not reach its end ({result})")
    counts["instructions"] = result.executed
    if hook == "block":
        counts["blocks"], counts["block instructions"] = blocks
    elif hook == "insn":
        counts["insn hook calls"] = insns[0]
    elif hook == "mem":
        counts.update(_mem_counts(slots))
    state = {f"x{n}": v for n, v in enumerate(regs.x)}
    state.update(sp=regs.sp, pc=regs.pc, nzcv=regs.nzcv)
    return _outcome(snip, seconds, counts, state, m.memory.read(snip.base, snip.top - snip.base))


# --- Unicorn 2 --------------------------------------------------------------------------------


def unicorn_version() -> Optional[str]:
    """Unicorn's version if the unicorn module (2.x) is importable, else None."""
    try:
        import unicorn
    except ImportError:
        return None
    return unicorn.__version__


def run_unicorn(snip: Snippet, rounds: int, hook: str = "none") -> Outcome:
    """A fresh Unicorn AArch64 engine with the snippet, one emu_start to `end` (timed: the
    emu_start call only). Its instruction count comes from the "insn" hook only."""
    from unicorn import (UC_ARCH_ARM64, UC_HOOK_BLOCK, UC_HOOK_CODE, UC_HOOK_MEM_READ,
                         UC_HOOK_MEM_WRITE, UC_MODE_ARM, UC_MEM_READ, Uc)
    from unicorn import arm64_const as a64
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    size = (snip.top - snip.base + 0xFFFF) & ~0xFFFF
    uc.mem_map(snip.base, size)
    uc.mem_write(snip.base, memory_image(snip))
    xregs = [getattr(a64, f"UC_ARM64_REG_X{n}") for n in range(31)]
    for r in xregs:
        uc.reg_write(r, 0)
    uc.reg_write(a64.UC_ARM64_REG_X0, rounds)
    uc.reg_write(a64.UC_ARM64_REG_SP, 0)
    uc.reg_write(a64.UC_ARM64_REG_NZCV, 0)
    counts: Dict[str, int] = {}
    if hook == "block":
        blocks = [0, 0]

        def on_block(uc, address, size, user_data):
            blocks[0] += 1
            blocks[1] += size
        uc.hook_add(UC_HOOK_BLOCK, on_block)
    elif hook == "insn":
        insns = [0]

        def on_insn(uc, address, size, user_data):
            insns[0] += 1
        uc.hook_add(UC_HOOK_CODE, on_insn)
    elif hook == "mem":
        slots = [0] * MEM_SLOTS

        def on_mem(uc, access, address, size, value, user_data):
            slots[(access - UC_MEM_READ) << 5 | size] += 1     # UC_MEM_WRITE is READ + 1
        uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, on_mem)
    elif hook != "none":
        raise ValueError(f"unknown hook kind {hook!r}")
    gc.collect()
    t0 = time.process_time()
    uc.emu_start(snip.base, snip.end)
    seconds = time.process_time() - t0
    pc = uc.reg_read(a64.UC_ARM64_REG_PC)
    if pc != snip.end:
        raise RuntimeError(f"unicorn: the snippet stopped at {pc:#x}, not at its end "
                           f"{snip.end:#x}")
    if hook == "block":
        counts["blocks"], counts["block instructions"] = blocks[0], blocks[1] // 4
    elif hook == "insn":
        counts["instructions"] = counts["insn hook calls"] = insns[0]
    elif hook == "mem":
        counts.update(_mem_counts(slots))
    state = {f"x{n}": uc.reg_read(r) for n, r in enumerate(xregs)}
    state.update(sp=uc.reg_read(a64.UC_ARM64_REG_SP), pc=pc,
                 nzcv=uc.reg_read(a64.UC_ARM64_REG_NZCV))
    return _outcome(snip, seconds, counts, state,
                    bytes(uc.mem_read(snip.base, snip.top - snip.base)))


def state_differences(a: Outcome, b: Outcome) -> List[str]:
    """What differs between two runs' final states (registers; memory, by first offset)."""
    diffs = [f"{name}: {a.regs[name]:#x} vs {b.regs[name]:#x}"
             for name in a.regs if a.regs[name] != b.regs.get(name)]
    if a.memory != b.memory:
        first = next(k for k in range(min(len(a.memory), len(b.memory)))
                     if a.memory[k] != b.memory[k])
        diffs.append(f"memory differs first at offset {first:#x}")
    return diffs


def expected_counts_agree(q: Outcome, u: Outcome, hook: str) -> Tuple[List[str], List[str]]:
    """(disagreements, notes) between qemu_py's and Unicorn's counts where the notions match:
    instructions (qemu_py's run count vs Unicorn's insn hook calls, and both insn hooks),
    data accesses by direction (bytes, and accesses with qemu_py's 16-byte pair accesses
    counted as Unicorn's two). Block counts are not compared, only that each emulator's
    block lengths add up to the instructions run: see benchmarks/README.md."""
    bad, notes = [], []

    def same(name, x, y):
        if x != y:
            bad.append(f"{name}: qemu_py {x:,}, Unicorn {y:,}")
    if hook == "insn":
        same("instructions", q.counts["instructions"], u.counts["instructions"])
        same("instruction hook calls", q.counts["insn hook calls"], u.counts["insn hook calls"])
    elif hook == "mem":
        for d in ("read", "write"):
            same(f"{d} bytes", q.counts[f"{d} bytes"], u.counts[f"{d} bytes"])
            same(f"{d}s (a pair counted as two)", q.counts[f"{d}s, pairs as two"],
                 u.counts[f"{d}s"])
            if u.counts[f"{d}s of 16 bytes"]:
                bad.append(f"Unicorn reported {u.counts[f'{d}s of 16 bytes']} 16-byte {d}s")
    elif hook == "block":
        # Each emulator's blocks must add up to the instructions it ran, whatever its blocks.
        same("block lengths summed against instructions run", q.counts["block instructions"],
             q.counts["instructions"])
        same("Unicorn's block lengths summed against instructions run",
             u.counts["block instructions"], q.counts["instructions"])
        notes.append(f"blocks: qemu_py {q.counts['blocks']:,} "
                     f"({q.counts['block instructions']:,} instructions by their lengths), "
                     f"Unicorn {u.counts['blocks']:,} ({u.counts['block instructions']:,})")
    return bad, notes
