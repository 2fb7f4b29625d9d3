"""Plugin overhead: the compute workload under qemu-system-aarch64 and under qemu_py with no plugin
and with four plugin configurations, each emulator's time with a plugin divided by its own time
without one. See docs/plugins.md ("Overhead") for the method and figures.

    python3 benchmarks/plugins.py [--scale N] [--repeat N] [--stat median|best] [--cpu cortex-a57|max]

Each round runs every configuration once in both emulators (start-up included), so that a slow
stretch of a shared machine hits all rows alike; a row's time is the median (or best) of its
rounds.

The plugins are the example plugins of plugins/, built for qemu_py against plugin.h and, from
the same sources, for QEMU 7.2's plugin API through tests/plugin_compat/plugin.h.
"""

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BUILD = HERE / "build"

# (label, plugin, arguments); None: no plugin.
ROWS = [
    ("no plugin", None, ""),
    ("insn, inline count", "insn", "inline=on"),
    ("insn, callback every insn", "insn", ""),
    ("mem, callback every access", "mem", "callback=on"),
    ("hotblocks (callback per block)", "hotblocks", ""),
]


def load_runner():
    spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_plugins():
    """lib<name>.so for qemu_py and lib<name>-v1.so for QEMU 7.2, in benchmarks/build/."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        sys.exit("a host C compiler (cc) is needed to build the plugins")
    out = {}
    for name in {p for _, p, _ in ROWS if p}:
        src = REPO / "plugins" / f"{name}.c"
        for tag, include in (("", REPO / "qemu_py"), ("-v1", REPO / "tests" / "plugin_compat")):
            lib = BUILD / f"lib{name}{tag}.so"
            subprocess.run([cc, "-shared", "-fPIC", "-O2", f"-I{include}", str(src), "-o",
                            str(lib)], check=True)
            out[name + tag] = lib
    return out


def plugin_args(libs, plugin, args, v1):
    if plugin is None:
        return []
    lib = libs[plugin + ("-v1" if v1 else "")]
    return ["-plugin", f"{lib},{args}" if args else str(lib)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=100,
                    help="rounds of the compute workload (default 100: ~0.17e9 instructions)")
    ap.add_argument("--cpu", default="cortex-a57", choices=("cortex-a57", "max"))
    ap.add_argument("--repeat", type=int, default=3, help="rounds of timed runs (default 3)")
    ap.add_argument("--stat", default="median", choices=("median", "best"),
                    help="which run of a row's rounds counts (default median)")
    args = ap.parse_args()
    pick = statistics.median if args.stat == "median" else min

    run = load_runner()
    BUILD.mkdir(exist_ok=True)
    gb = run.guest_builder()
    elf = gb.build_elf(f"compute-x{args.scale}", ("compute.c",), cflags=(f"-DSCALE={args.scale}",),
                       out_dir=BUILD)
    hello = gb.build_elf("hello", ("hello.S",), library=False, out_dir=BUILD)
    libs = build_plugins()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))

    def once(cmd, env=None):
        r = run.timed(cmd, env)
        if r.returncode != 0:
            sys.exit(f"{' '.join(map(str, cmd))} failed (exit {r.returncode}):\n"
                     f"{r.stderr.decode(errors='replace')}")
        return r

    q_start, p_start = [], []
    times = {label: ([], []) for label, _, _ in ROWS}
    for _ in range(args.repeat):
        q_start.append(once(run.qemu_cmd(args.cpu, hello)).cpu)
        p_start.append(once(run.qemu_py_cmd(args.cpu, hello), env).cpu)
        for label, plugin, pargs in ROWS:
            q = once(run.qemu_cmd(args.cpu, elf, plugin_args(libs, plugin, pargs, True)))
            p = once(run.qemu_py_cmd(args.cpu, elf) + plugin_args(libs, plugin, pargs, False), env)
            if p.stdout != q.stdout:
                sys.exit(f"{label}: the workload printed different results under QEMU and qemu_py")
            times[label][0].append(q.cpu)
            times[label][1].append(p.cpu)
    qs0, ps0 = pick(q_start), pick(p_start)
    results = [(label, pick(times[label][0]) - qs0, pick(times[label][1]) - ps0)
               for label, _, _ in ROWS]

    q_base, p_base = results[0][1], results[0][2]
    print(f"workload: tests/guests/compute.c, SCALE={args.scale}, -M virt -cpu {args.cpu}, "
          f"{args.stat} of {args.repeat}; CPU seconds minus start-up")
    print(f"{'':32}{'QEMU 7.2 s':>11}{'slowdown':>10}{'qemu_py s':>11}{'slowdown':>10}")
    for label, qs, ps in results:
        print(f"{label:32}{qs:>11.3f}{qs / q_base:>9.2f}x{ps:>11.3f}{ps / p_base:>9.2f}x")


if __name__ == "__main__":
    main()
