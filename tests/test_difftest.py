"""Differential instruction tests: random A64 integer sequences run under qemu-aarch64 (the
reference) and under qemu_py must leave the same X0-X30, SP, NZCV and scratch memory.

QEMU_PY_DIFF_SEED picks the seed (random by default, printed in the test ids and every failure);
QEMU_PY_DIFF_SEQS the total number of sequences (default 20000), shared out among the groups.
A failure prints the sequence and the differences; replay it with tools/difftest.py.
"""

import collections
import os
import tempfile

import pytest

from tests.difftest import SEED, build, gen, run

TOTAL = int(os.environ.get("QEMU_PY_DIFF_SEQS", "20000"))

# Shares of TOTAL per group: each group's classes (see gen.CLASSES), and everything mixed.
SHARES = {"dp_imm": 3, "dp_reg": 4, "sys": 1, "branch": 2, "ldst": 4, "atomic": 2, "mixed": 4}

pytestmark = pytest.mark.skipif(bool(build.tools_present()),
                                reason=f"missing tools: {build.tools_present()}")


@pytest.fixture(scope="module", autouse=True)
def announce_seed(request):
    """Show the seed even when every test passes and output is captured."""
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    if capman is not None and tr is not None:
        with capman.global_and_fixture_disabled():
            tr.write_line(f"\ndifftest: seed {SEED} (QEMU_PY_DIFF_SEED), {TOTAL} sequences "
                          f"(QEMU_PY_DIFF_SEQS)")


def group_count(group: str) -> int:
    return max(1, TOTAL * SHARES[group] // sum(SHARES.values()))


def summarize(mismatches, seqs) -> str:
    """Which classes the failing sequences have in common, worst first."""
    seen = collections.Counter(c for s in seqs for c in s.classes)
    bad = collections.Counter(c for m in mismatches for c in m.seq.classes)
    rows = sorted(bad, key=lambda c: bad[c] / seen[c], reverse=True)
    return "\n".join(f"  {c:>14}: {bad[c]}/{seen[c]} sequences with it differ" for c in rows)


@pytest.mark.parametrize("group", list(SHARES), ids=lambda g: f"{g}-seed{SEED}")
def test_against_qemu_user(group):
    count = group_count(group)
    mismatches, seqs = [], []
    for first in range(0, count, run.BATCH):
        res = run.run_batch(SEED, group, first, min(run.BATCH, count - first))
        mismatches += res.mismatches
        seqs += res.seqs
    print(f"difftest {group}: seed {SEED}, {count} sequences, "
          f"{sum(sum(s.used.values()) for s in seqs)} generated instructions, "
          f"{len(mismatches)} differ")
    if mismatches:
        shown = "\n\n".join(m.report() for m in mismatches[:4])
        pytest.fail(f"{len(mismatches)} of {count} sequences differ (seed {SEED}, group {group})"
                    f"\n{summarize(mismatches, seqs)}\n\n{shown}", pytrace=False)


@pytest.mark.parametrize("granule", list(run.GRANULES), ids=lambda g: f"{g}-seed{SEED}")
def test_against_qemu_user_with_mmu(granule):
    """The same with qemu_py's MMU on (identity map; pages and blocks), so every load and store
    goes through table walks and the soft TLB's translated path."""
    res = run.run_batch(SEED, "mixed", 0, 1000, mmu=granule)
    if res.mismatches:
        pytest.fail(f"{len(res.mismatches)} of 1000 sequences differ with the MMU on "
                    f"({granule} granule, seed {SEED}, group mixed)\n\n"
                    + "\n\n".join(m.report() for m in res.mismatches[:3]), pytrace=False)


def test_generator_model_matches_reference():
    """The harness itself, against qemu-aarch64 alone: the registers the generator tracks (the
    bases its memory operands rely on) hold the values it expects, and the registers nothing
    writes come back unchanged through the init and result blocks."""
    for group in list(SHARES):
        with tempfile.TemporaryDirectory() as d:
            seqs, ref = run.reference_batch(SEED, group, 300, d)
        errors = run.model_errors(seqs, ref)
        assert not errors, f"seed {SEED} group {group}:\n" + "\n\n".join(errors[:3])


def test_every_class_is_generated():
    """Each test group covers all of its classes in a batch (so no class silently drops out)."""
    for group in SHARES:
        seqs = gen.generate(SEED, 500, group, build.DATA_BASE)
        used = {c for s in seqs for c in s.classes}
        want = set(gen.group_weights(group))
        assert want <= used, f"{group}: never generated {sorted(want - used)}"
