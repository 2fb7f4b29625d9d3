#!/usr/bin/env python3
"""Differential instruction testing of qemu_py against qemu-aarch64, for long runs and replays.

    tools/difftest.py                          # 100000 sequences, random seed, every group
    tools/difftest.py --seqs 1000000 --jobs 2  # a long run on two cores
    tools/difftest.py --seed S --group G --index I   # replay one failing sequence

Each group (dp_imm, dp_reg, sys, branch, ldst, atomic, mixed) draws from its instruction
classes (tests/difftest/gen.py). Exit status 1 when any sequence differs.
"""

import argparse
import collections
import multiprocessing
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tests.difftest import run  # noqa: E402

SHARES = {"dp_imm": 3, "dp_reg": 4, "sys": 1, "branch": 2, "ldst": 4, "atomic": 2, "mixed": 4}


def _work(job):
    seed, group, first, count, cpu, inject, mmu = job
    try:
        res = run.run_batch(seed, group, first, count, cpu=cpu, inject=inject, mmu=mmu)
    except run.HarnessError as e:
        return group, first, count, None, str(e), 0
    return (group, first, count, [m.report() for m in res.mismatches],
            [c for m in res.mismatches for c in m.seq.classes],
            sum(sum(s.used.values()) for s in res.seqs))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, help="seed (default: random, printed)")
    ap.add_argument("--seqs", type=int, default=100000, help="total sequences (default 100000)")
    ap.add_argument("--group", action="append", choices=list(SHARES),
                    help="only this group (repeatable; default all, in proportion)")
    ap.add_argument("--index", type=int, help="replay one sequence of --seed/--group")
    ap.add_argument("--jobs", type=int, default=1, help="parallel batches (default 1)")
    ap.add_argument("--show", type=int, default=3, help="mismatch reports to print (default 3)")
    ap.add_argument("--cpu", default="max", help="qemu_py CPU model (default max)")
    ap.add_argument("--keep", metavar="DIR", help="with --index: keep the ELF and sources here")
    ap.add_argument("--inject", action="store_true",
                    help="set and read registers from Python around each sequence body instead "
                         "of running the harness's loads and stores in qemu_py (slower)")
    ap.add_argument("--mmu", choices=list(run.GRANULES),
                    help="run qemu_py with the MMU on, identity-mapped with this granule")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)

    if args.index is not None:
        if args.seed is None or not args.group or len(args.group) != 1:
            ap.error("--index needs --seed and one --group")
        group = args.group[0]
        first = args.index - args.index % run.BATCH
        res = run.run_batch(seed, group, first, args.index - first + 1, workdir=args.keep,
                            cpu=args.cpu, inject=args.inject, mmu=args.mmu)
        mm = [m for m in res.mismatches if m.seq.index == args.index]
        if mm:
            print(mm[0].report())
            return 1
        seq = res.seqs[-1]
        print(f"seed={seed} group={group} index={args.index}: qemu_py agrees with qemu-aarch64")
        print("\n".join("    " + ln for ln in seq.text().splitlines()))
        return 0

    groups = args.group or list(SHARES)
    total_share = sum(SHARES[g] for g in groups)
    jobs = []
    for g in groups:
        n = max(1, args.seqs * SHARES[g] // total_share)
        jobs += [(seed, g, first, min(run.BATCH, n - first), args.cpu, args.inject, args.mmu)
                 for first in range(0, n, run.BATCH)]
    print(f"difftest: seed {seed}, {sum(j[3] for j in jobs)} sequences in {len(jobs)} batches, "
          f"groups {', '.join(groups)}", flush=True)
    t0 = time.perf_counter()
    done_seqs = insns = 0
    bad = collections.Counter()
    reports, harness_errors = [], []
    with multiprocessing.Pool(args.jobs) if args.jobs > 1 else _Serial() as pool:
        for group, first, count, rep, classes, n_insns in pool.imap_unordered(_work, jobs):
            done_seqs += count
            insns += n_insns
            if rep is None:
                harness_errors.append(f"{group} batch {first}: {classes}")
            else:
                reports += rep
                bad.update(classes)
            if sys.stdout.isatty():
                print(f"  {done_seqs} sequences, {len(reports)} differ, "
                      f"{time.perf_counter() - t0:.1f} s", end="\r", flush=True)
    dt = time.perf_counter() - t0
    print(f"difftest: seed {seed}: {done_seqs} sequences ({insns} generated instructions) in "
          f"{dt:.1f} s, {len(reports)} differ")
    if bad:
        print("classes in differing sequences: " +
              ", ".join(f"{c} {n}" for c, n in bad.most_common()))
    for r in reports[:args.show]:
        print("\n" + r)
    for e in harness_errors:
        print("HARNESS ERROR " + e)
    return 1 if reports or harness_errors else 0


class _Serial:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def imap_unordered(self, fn, items):
        return map(fn, items)


if __name__ == "__main__":
    sys.exit(main())
