"""Cross-compile the guest programs of tests/guests/ into tests/guests/build/.

Each guest is one ELF for QEMU's virt board, linked by guest.ld at 0x40080000 with the common
boot code, vector table and output library of lib/ (hello is bare: its own _start, no library).
A build is skipped when a key over the compiler, the flags and every input file is unchanged.

    python3 tests/guests/build.py [NAME...]      build (all by default) and print the paths
"""

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
BUILD_DIR = HERE / "build"
CC = os.environ.get("GUEST_CC", "aarch64-linux-gnu-gcc")

LIB_SOURCES = ("lib/start.S", "lib/vectors.S", "lib/io.c", "lib/exceptions.c")
LIB_HEADERS = ("lib/guest.h", "lib/sys.h", "lib/fp.h")

# No FP/SIMD registers (except in the FP guests, Guest.fp), no PIE, no libc, no stack protector,
# strict alignment: with the MMU off every data access is to Device memory, where an unaligned
# access faults.
CFLAGS = ("-O2", "-g", "-ffreestanding", "-nostdlib", "-static", "-mgeneral-regs-only",
          "-fno-pie", "-no-pie", "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
          "-fno-tree-loop-distribute-patterns", "-mstrict-align", "-Wall", "-Wextra",
          "-Wno-unused-parameter", "-Werror", "-Wl,--build-id=none")

BOTH_CPUS = ("cortex-a57", "max")
# The FP/SIMD guests (issue 4) are built twice: scalar code and what the vectoriser makes.
FP_BUILDS = (("o2", ("-O2",)), ("o3", ("-O3", "-ftree-vectorize")))
FP_BENCH_CFLAGS = ("-O3", "-ftree-vectorize", "-fno-math-errno")
SYS = ("lib/sys.c", "lib/sys.S")


@dataclass(frozen=True)
class Guest:
    name: str
    sources: Tuple[str, ...]
    cpus: Tuple[str, ...] = BOTH_CPUS      # the -cpu models it runs on
    compare: bool = True                   # False: QEMU is not the reference (see test_guests.py)
    library: bool = True                   # link lib/ (boot, vectors, output)
    cflags: Tuple[str, ...] = ()
    what: str = ""
    last_line: str = ""                    # what it prints last when it ran to the end
    smp: int = 1                           # vCPUs (-smp)
    fp: bool = False                       # may use FP/SIMD registers (no -mgeneral-regs-only)

    def __post_init__(self):
        if not self.last_line:
            object.__setattr__(self, "last_line", f"{self.name}: done")


def fp_guests(name: str, sources: Tuple[str, ...], what: str, cflags: Tuple[str, ...] = (),
              **kw) -> Tuple[Guest, ...]:
    """An FP/SIMD guest as fp_<name>_o2 and fp_<name>_o3 (FP_BUILDS); it ends with "<name>: done"."""
    return tuple(Guest(f"fp_{name}_{tag}", sources, fp=True, cflags=opt + cflags,
                       what=f"{what} ({' '.join(opt)})", last_line=f"{name}: done", **kw)
                 for tag, opt in FP_BUILDS)


GUESTS: Dict[str, Guest] = {g.name: g for g in (
    Guest("hello", ("hello.S",), library=False, what="asm only: a string on the UART, PSCI off",
          last_line="Hello from a bare-metal AArch64 guest!"),
    Guest("compute", ("compute.c",), what="CRC32, quicksort, sieve, FNV-1a, murmur mix"),
    Guest("dp_imm", ("dp_imm.c",), what="data processing, immediate"),
    Guest("dp_reg", ("dp_reg.c",), cflags=("-march=armv8-a+crc",),
          what="data processing, register; flags, conditional ops"),
    Guest("ldst", ("ldst.c",), what="loads and stores of every addressing form, exclusives"),
    Guest("atomics", ("atomics.c",), cpus=("max",), cflags=("-march=armv8.1-a",),
          what="LSE atomics (CAS, CASP, LD<op>, SWP), every ordering variant"),
    Guest("branch", ("branch.c",), what="B, BL, BR, BLR, RET, B.cond, CBZ/CBNZ, TBZ/TBNZ"),
    Guest("system", ("system.c",), what="MRS/MSR, DC ZVA, SVC/HVC/BRK caught by the vectors"),
    Guest("undef", ("undef.c",), what="undefined encodings caught in the vector table",
          last_line="unhandled exception: powering off"),
    Guest("faults", ("faults.c",), what="aborts and alignment faults caught in the vector table"),
    Guest("el0", ("el0.c",), what="EL0: SVC, traps and UNDEFs of what user code may not do"),
    Guest("selfmod", ("selfmod.c",), what="self-modifying code with the architected maintenance"),
    Guest("uart", ("uart.c",), what="the PL011's registers: IDs, reset values, interrupt status"),
    Guest("align", ("align.c",), compare=False,
          what="SP and store-exclusive alignment faults, against align.expected (QEMU 7.2 lacks them)"),
    Guest("runaway", ("runaway.S",), library=False, compare=False,
          what="jumps into unmapped memory with no vector table: must end in a one-line report",
          last_line="runaway: jumping to 0x20000000"),
    # System guests (issue 3): lib/sys.* holds their EL0, GIC, PSCI and page table helpers.
    Guest("exc", ("exc.c",) + SYS, what="each exception taken and returned from, EL1 and EL0"),
    Guest("exc_arm", ("exc_arm.c",) + SYS, compare=False,
          what="trap syndromes QEMU 7.2 gets wrong, against exc_arm.expected"),
    Guest("mmu", ("mmu.c",) + SYS, what="4K/16K/64K page tables, faults, TLBI, AT, TTBR1, TBI"),
    Guest("mmu_arm", ("mmu.c",) + SYS, compare=False, cflags=("-DMANUAL",),
          what="block levels and PAR_EL1.SH QEMU 7.2 gets wrong, against mmu_arm.expected",
          last_line="mmu: done"),
    Guest("timer", ("timer.c",) + SYS, what="virtual and physical timers through the GICv2"),
    Guest("gic", ("gic.c",) + SYS, what="GICv2 registers, SPIs, enables, priorities, BPR, SGIs, PL011 irq"),
    Guest("rtc", ("rtc.c",) + SYS, what="PL031 real-time clock: IDs, load, match status, "
          "its level in the GIC, the match interrupt from WFI"),
    Guest("smp", ("smp.c",) + SYS, smp=4,
          what="PSCI CPU_ON/OFF/AFFINITY_INFO, SGIs between 4 vCPUs, spinlock and LDXR/STXR counter"),
    # FP/SIMD guests (issue 4): C kernels built scalar and vectorised, bit-exact output.
    *fp_guests("matmul", ("fp_matmul.c",),
               "double/float matrix multiply in 4 orders, every rounding mode, FZ, DN, specials"),
    *fp_guests("fft", ("fp_fft.c",), "radix-2 FFT double/float, inverse, FFT convolution",
               cflags=("-fno-math-errno",)),
    *fp_guests("mandel", ("fp_mandel.c",), "Mandelbrot/Julia: escape loops, ASCII art, branch-free"),
    *fp_guests("dtoa", ("fp_dtoa.c",), "exact double-to-string (shortest, %.16e, exact), FP printer,"
               " fast-path reading, FRINT/FCVT in each rounding mode", cflags=("-fno-math-errno",)),
    *fp_guests("string", ("fp_string.c",) + SYS, "memcpy/memset/strlen/memchr/memcmp in C and SIMD"
               " intrinsics, all lengths and alignments, MMU on", cflags=("-mno-strict-align",)),
    *fp_guests("neon", ("fp_neon.c",) + SYS, "SIMD intrinsics: FRECPE/FRSQRTE and steps, half"
               " precision and AHP, fixed point, Q15 FIR (QC), lanes, reductions",
               cflags=("-mno-strict-align", "-fno-math-errno")),
    Guest("fp_bench", ("fp_bench.c",), fp=True, cflags=FP_BENCH_CFLAGS,
          what="benchmarks/run.py --workload fp at SCALE=1: matmul, FFT, Mandelbrot"),
)}


def _key(sources: Sequence[Path], flags: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update(subprocess.run([CC, "--version"], capture_output=True).stdout)
    h.update("\0".join(flags).encode())
    for path in sources:
        h.update(str(path.relative_to(HERE)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def build_elf(name: str, sources: Sequence[str], library: bool = True,
              cflags: Sequence[str] = (), out_dir: Path = BUILD_DIR, fp: bool = False) -> Path:
    """Compile and link `sources` (relative to tests/guests/) into out_dir/name.elf, unless an
    up-to-date build is already there; `fp` lets the compiler use the FP/SIMD registers.
    Raises RuntimeError with the compiler's message."""
    srcs = [HERE / s for s in sources]
    inputs = list(srcs) + [HERE / "guest.ld"]
    base = [f for f in CFLAGS if not (fp and f == "-mgeneral-regs-only")]
    flags = base + list(cflags) + ["-T", str(HERE / "guest.ld")]
    if library:
        srcs += [HERE / s for s in LIB_SOURCES]
        inputs += [HERE / s for s in LIB_SOURCES + LIB_HEADERS]
        flags += ["-I", str(HERE / "lib")]
    else:
        flags += ["-nostartfiles"]
    out_dir.mkdir(parents=True, exist_ok=True)
    elf = out_dir / f"{name}.elf"
    stamp = out_dir / f"{name}.key"
    key = _key(inputs, flags)
    if elf.exists() and stamp.exists() and stamp.read_text() == key:
        return elf
    tmp = out_dir / f".{name}.{os.getpid()}.elf"
    cmd = [CC] + flags + [str(s) for s in srcs] + ["-o", str(tmp)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"building guest {name} failed:\n{' '.join(cmd)}\n{res.stderr}")
    os.replace(tmp, elf)
    stamp.write_text(key)
    return elf


def build(name: str) -> Path:
    g = GUESTS[name]
    return build_elf(g.name, g.sources, g.library, g.cflags, fp=g.fp)


def main(argv: Optional[Sequence[str]] = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or list(GUESTS)
    for name in names:
        if name not in GUESTS:
            print(f"unknown guest '{name}' (known: {', '.join(GUESTS)})", file=sys.stderr)
            return 1
        try:
            print(build(name))
        except RuntimeError as e:
            print(e, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
