"""The benchmark runners at a tiny size, not timed: each must still run to the end against
QEMU and find the same guest output and instruction count, so a change of the library or CLI
cannot break them unnoticed (benchmarks/run.py once read an attribute the library had dropped)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-system-aarch64") is None or shutil.which("aarch64-linux-gnu-gcc") is None,
    reason="needs qemu-system-aarch64 and the aarch64 cross compiler")


def run_benchmark(script, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_run_py_counts_agree_with_qemu():
    out = run_benchmark("run.py", "--scale", "1", "--repeat", "1")
    assert "QEMU's insn_count plugin agrees" in out
    assert "warning" not in out


def test_plugins_py_runs_every_row():
    # It exits non-zero if any row's guest output differs between the emulators.
    out = run_benchmark("plugins.py", "--scale", "1", "--repeat", "1", "--stat", "best")
    for row in ("no plugin", "insn, inline count", "insn, callback every insn",
                "mem, callback every access", "hotblocks"):
        assert row in out
