"""The library's Python hooks, timed: what a hook on one rarely executed address costs a run of
the compute workload, and qemu_py beside Unicorn 2 on the compute kernel as a raw snippet with
no hook, a Python block hook, a Python instruction hook and a Python memory hook. See
benchmarks/README.md ("The library's hooks") for the method and figures.

    python3 benchmarks/library.py                      # both parts
    python3 benchmarks/library.py --part one-address --scale 200 --repeat 7
    python3 benchmarks/library.py --part unicorn --rounds 20 --repeat 3

Needs aarch64-linux-gnu-gcc, the qemu_py core built, and for the second part Unicorn 2
(pip install 'unicorn>=2', or the "bench" extra: pip install '.[bench]').
"""

import argparse
import gc
import importlib.util
import statistics
import struct
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(HERE)]

import compute_snippet as cs                    # noqa: E402

BUILD = HERE / "build"
TARGET_ONE_ADDRESS = 0.05      # issue 7: a hook on one address costs under 5% of the run
ROW_NAMES = {"none": "no hook", "block": "Python block hook", "insn": "Python insn hook",
             "mem": "Python mem hook"}


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values)


# --- Part 1: a code hook on one address ---------------------------------------------------------


def guest_builder():
    spec = importlib.util.spec_from_file_location("guest_build", REPO / "tests/guests/build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def function_symbols(elf: Path):
    from elftools.elf.elffile import ELFFile
    with open(elf, "rb") as f:
        table = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: (s["st_value"], s["st_size"]) for s in table.iter_symbols()
                if s["st_info"]["type"] == "STT_FUNC"}


def return_address_of_call(elf: Path, caller: str, callee_prefix: str) -> int:
    """The address after the first BL in `caller` to a function named callee_prefix...: an
    instruction the caller runs once per call it makes there."""
    from elftools.elf.elffile import ELFFile
    funcs = function_symbols(elf)
    start, size = funcs[caller]
    targets = {addr for name, (addr, _) in funcs.items() if name.startswith(callee_prefix)}
    with open(elf, "rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        code = text.data()[start - text["sh_addr"]:start - text["sh_addr"] + size]
    for k, (word,) in enumerate(struct.iter_unpack("<I", code)):
        if word & 0xFC000000 == 0x94000000:                 # BL imm26
            offset = (word & 0x03FFFFFF) << 2
            if offset & (1 << 27):
                offset -= 1 << 28
            if start + 4 * k + offset in targets:
                return start + 4 * k + 4
    raise RuntimeError(f"no call from {caller} to {callee_prefix}* in {elf}")


def run_compute(elf: Path, address=None):
    """One run of the compute guest through the library, optionally with a code hook on one
    address: (CPU seconds of run(), instructions, hook calls, UART output)."""
    import qemu_py
    m = qemu_py.Machine(cpu="cortex-a57", kernel=str(elf))
    calls = [0]
    if address is not None:
        def on_code(cpu, pc):
            calls[0] += 1
        m.hook_code(on_code, address)
    gc.collect()                # the last run's machine, not during this one
    t0 = time.process_time()
    result = m.run()
    seconds = time.process_time() - t0
    if result.reason != "poweroff":
        sys.exit(f"the compute guest did not finish: {result}")
    return seconds, result.executed, calls[0], m.uart.read()


def one_address(scale: int, repeat: int) -> None:
    gb = guest_builder()
    elf = gb.build_elf(f"compute-x{scale}", ("compute.c",), cflags=(f"-DSCALE={scale}",),
                       out_dir=BUILD)
    variants = [
        ("no hook", None),
        ("hook on main's first instruction", function_symbols(elf)["main"][0]),
        ("hook after main's call to quicksort", return_address_of_call(elf, "main", "quicksort")),
    ]
    times = {name: [] for name, _ in variants}
    seen = {}
    for k in range(repeat):
        # Interleaved, in a rotating order: drifting load and what a run leaves behind hit
        # every variant alike.
        for name, address in variants[k % 3:] + variants[:k % 3]:
            progress(f"one-address hook: run {k + 1}/{repeat}: {name}")
            seconds, insns, calls, out = run_compute(elf, address)
            times[name].append(seconds)
            if seen.setdefault(name, (insns, calls, out)) != (insns, calls, out):
                sys.exit(f"{name}: a run differs from the first (instructions, hook calls, "
                         "output): the guest is not deterministic?")
    base_insns, _, base_out = seen["no hook"]
    for name, _ in variants[1:]:
        if seen[name][0] != base_insns or seen[name][2] != base_out:
            sys.exit(f"{name}: the hooked run executed or printed something else than the "
                     "run without hooks")
    base = median(times["no hook"])
    print(f"A code hook on one address: tests/guests/compute.c, SCALE={scale} "
          f"({base_insns:,} guest instructions), Machine.run() CPU time, median of {repeat}")
    print(f"{'':40}{'address':>12}{'calls':>8}{'median s':>10}{'min s':>8}{'overhead':>10}")
    worst = None
    for name, address in variants:
        t = median(times[name])
        over = t / base - 1
        if address is not None and (worst is None or over > worst):
            worst = over
        where = f"{address:#x}" if address is not None else ""
        print(f"{name:40}{where:>12}{seen[name][1]:>8,}{t:>10.3f}{min(times[name]):>8.3f}"
              f"{over * 100 if address is not None else 0:>+9.1f}%")
    verdict = "meets" if worst < TARGET_ONE_ADDRESS else "misses"
    print(f"worst overhead {worst * 100:+.1f}%: {verdict} the under-5% target")


# --- Part 2: qemu_py and Unicorn 2 on the snippet ------------------------------------------------


def ensure_unicorn() -> bool:
    version = cs.unicorn_version()
    if version is None or int(version.split(".")[0]) < 2:
        have = f" (found {version})" if version else ""
        progress(f"Unicorn 2 is not installed{have}: pip install 'unicorn>=2' (or "
                 "pip install '.[bench]'), then run again; skipping the Unicorn comparison")
        return False
    return True


def abort(text: str) -> None:
    sys.exit(f"qemu_py and Unicorn disagree, no figures: {text}")


def side_by_side(rounds: int, repeat: int, none_repeat: int) -> None:
    import unicorn
    snip = cs.build(BUILD)
    runners = (("qemu_py", cs.run_qemu_py), ("Unicorn", cs.run_unicorn))
    times = {}
    notes = []
    reference = None            # qemu_py's run without hooks: every run must end like it
    insns = None
    for hook in cs.HOOKS:
        n = none_repeat if hook == "none" else repeat
        for k in range(n):
            pair = {}
            for name, run in (runners if k % 2 == 0 else runners[::-1]):
                progress(f"snippet, {rounds} rounds, {ROW_NAMES[hook]}: run {k + 1}/{n}: {name}")
                out = run(snip, rounds, hook)
                times.setdefault((hook, name), []).append(out.seconds)
                pair[name] = out
            q, u = pair["qemu_py"], pair["Unicorn"]
            if reference is None:
                reference, insns = q, q.counts["instructions"]
            for name, out in pair.items():
                diffs = cs.state_differences(reference, out)
                if diffs:
                    abort(f"{name}, {ROW_NAMES[hook]}, run {k + 1}: the state after the run "
                          f"is not that of qemu_py's run without hooks: {'; '.join(diffs[:6])}")
            if q.counts["instructions"] != insns:
                abort(f"qemu_py, {ROW_NAMES[hook]}: {q.counts['instructions']:,} instructions, "
                      f"{insns:,} without hooks")
            bad, row_notes = cs.expected_counts_agree(q, u, hook)
            if bad:
                abort(f"{ROW_NAMES[hook]}, run {k + 1}: " + "; ".join(bad))
            if k == 0:
                notes += row_notes
                if hook == "insn":
                    notes.append(f"instructions: {insns:,} in both (qemu_py's run count and "
                                 "both instruction hooks' calls)")
                elif hook == "mem":
                    notes.append(
                        f"data accesses: {u.counts['reads']:,} reads ({u.counts['read bytes']:,}"
                        f" bytes), {u.counts['writes']:,} writes ({u.counts['write bytes']:,} "
                        "bytes) in both, counting a pair (LDP/STP of X registers) as two "
                        "8-byte accesses as Unicorn does; qemu_py reports a pair as one 16-byte "
                        f"access ({q.counts['reads of 16 bytes']:,} reads, "
                        f"{q.counts['writes of 16 bytes']:,} writes)")

    results = reference.results
    print(f"qemu_py and Unicorn {unicorn.__version__} on the compute kernel as a raw snippet "
          f"({len(snip.image)} bytes at {snip.base:#x}, until {snip.end:#x}), {rounds} rounds, "
          f"{insns:,} guest instructions; CPU time of the run call, median of {repeat} "
          f"(no hook: {none_repeat})")
    print(f"{'':22}{'qemu_py s':>10}{'MIPS':>8}{'slowdown':>10}"
          f"{'Unicorn s':>12}{'MIPS':>8}{'slowdown':>10}{'Unicorn/qemu_py':>17}")
    base = {name: median(times[("none", name)]) for name, _ in runners}
    for hook in cs.HOOKS:
        tq, tu = median(times[(hook, "qemu_py")]), median(times[(hook, "Unicorn")])
        print(f"{ROW_NAMES[hook]:22}{tq:>10.3f}{insns / tq / 1e6:>8.1f}"
              f"{tq / base['qemu_py']:>9.1f}x{tu:>12.3f}{insns / tu / 1e6:>8.1f}"
              f"{tu / base['Unicorn']:>9.1f}x{tu / tq:>16.2f}x")
    print("agree: registers (x0-x30, sp, pc, nzcv) and the snippet's memory after every run; "
          f"results crc32 {results['crc32']:#x}, primes {results['primes']}")
    for note in notes:
        print(note)
    print("block counts differ by definition: qemu_py reports the blocks of its plugin API, "
          "Unicorn its TCG translation blocks; in both their lengths add up to the instructions run")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=("all", "one-address", "unicorn"), default="all")
    ap.add_argument("--scale", type=int, default=200,
                    help="compute guest rounds for the one-address part (default 200, "
                         "~0.34e9 instructions)")
    ap.add_argument("--rounds", type=int, default=20,
                    help="snippet rounds for the Unicorn part (default 20, ~34e6 instructions)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="timed runs per row and emulator, the median counts (default 3; the "
                         "no-hook row: 3x as many, at least 5; the one-address part: 2x + 1, at least 7)")
    args = ap.parse_args()
    if args.part in ("all", "one-address"):
        one_address(args.scale, max(7, 2 * args.repeat + 1))
        print()
    if args.part in ("all", "unicorn") and ensure_unicorn():
        side_by_side(args.rounds, args.repeat, max(5, 3 * args.repeat))


if __name__ == "__main__":
    main()
