"""Every guest program of tests/guests/ prints the same under qemu-system-aarch64 (the
reference) and under qemu_py, and ends with the same exit status. The guests QEMU cannot judge
are checked against other truth: runaway (QEMU loops forever) against what the issue asks,
align (QEMU 7.2 lacks those checks) against output written from the Arm ARM."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import load_guest_build

REPO = Path(__file__).resolve().parent.parent
QEMU = "qemu-system-aarch64"
QEMU_TIMEOUT = 60
QEMU_PY_TIMEOUT = 300

GUESTS = load_guest_build().GUESTS
COMPARED = [(g.name, cpu) for g in GUESTS.values() if g.compare for cpu in g.cpus]


def _ids(cases):
    return [f"{name}-{cpu}" for name, cpu in cases]


_qemu_runs = {}


def machine_args(elf: Path) -> list:
    """-smp for the guests that want more than one vCPU."""
    g = GUESTS.get(elf.stem)
    return ["-smp", str(g.smp)] if g is not None and g.smp > 1 else []


def run_qemu(elf: Path, cpu: str) -> subprocess.CompletedProcess:
    """The reference run (kept for the session: the guests are deterministic)."""
    key = (elf, elf.stat().st_mtime_ns, cpu)
    if key not in _qemu_runs:
        if shutil.which(QEMU) is None:
            pytest.fail(f"{QEMU} not found: the test command installs qemu-system-arm")
        _qemu_runs[key] = subprocess.run(
            [QEMU, "-M", "virt", "-cpu", cpu, "-nographic", "-kernel", str(elf)] + machine_args(elf),
            stdin=subprocess.DEVNULL, capture_output=True, timeout=QEMU_TIMEOUT)
    return _qemu_runs[key]


def run_qemu_py(elf: Path, cpu: str, timeout: int = QEMU_PY_TIMEOUT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "qemu_py", "-M", "virt", "-cpu", cpu,
                           "-nographic", "-kernel", str(elf)] + machine_args(elf),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=env)


def first_difference(expected: bytes, got: bytes) -> str:
    a = expected.decode(errors="replace").split("\n")
    b = got.decode(errors="replace").split("\n")
    for k in range(max(len(a), len(b))):
        la = a[k] if k < len(a) else "<end of output>"
        lb = b[k] if k < len(b) else "<end of output>"
        if la != lb:
            return f"first difference at line {k + 1}:\n  qemu:    {la!r}\n  qemu_py: {lb!r}"
    return "outputs are equal"


@pytest.mark.parametrize("name,cpu", COMPARED, ids=_ids(COMPARED))
def test_guest_runs_on_qemu(guest_elf, name, cpu):
    """The reference run itself: the guest reaches its last line and powers off cleanly."""
    res = run_qemu(guest_elf(name), cpu)
    lines = res.stdout.decode(errors="replace").rstrip("\n").split("\n")
    assert res.returncode == 0, f"{name} -cpu {cpu}: QEMU exit {res.returncode}: {res.stderr!r}"
    assert lines[-1] == GUESTS[name].last_line, f"{name} -cpu {cpu}: ended with {lines[-1]!r}"


@pytest.mark.parametrize("name,cpu", COMPARED, ids=_ids(COMPARED))
def test_guest_matches_qemu(guest_elf, name, cpu):
    elf = guest_elf(name)
    ref = run_qemu(elf, cpu)
    got = run_qemu_py(elf, cpu)
    where = f"guest {name} (-cpu {cpu})"
    assert got.stdout == ref.stdout, (f"{where}: {first_difference(ref.stdout, got.stdout)}\n"
                                      f"qemu_py stderr: {got.stderr.decode(errors='replace')}")
    assert got.returncode == ref.returncode, (
        f"{where}: exit status {got.returncode}, QEMU's {ref.returncode}; "
        f"qemu_py stderr: {got.stderr.decode(errors='replace')}")


@pytest.mark.parametrize("cpu", GUESTS["runaway"].cpus)
def test_runaway_guest_ends_in_one_line(guest_elf, cpu):
    """Into unmapped memory with no usable vector table: an exception loop. qemu_py stops with a
    one-line report on stderr and exit status 1, no traceback."""
    res = run_qemu_py(guest_elf("runaway"), cpu, timeout=60)
    err = res.stderr.decode(errors="replace")
    assert res.stdout.decode().rstrip("\n").split("\n")[-1] == GUESTS["runaway"].last_line
    assert res.returncode == 1, f"exit status {res.returncode}, stderr {err!r}"
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, f"expected one line on stderr, got {err!r}"


@pytest.mark.parametrize("cpu", GUESTS["align"].cpus)
def test_align_guest_follows_the_manual(guest_elf, cpu):
    """SP alignment and store-exclusive alignment faults, which QEMU 7.2 does not raise: the
    reference is align.expected, written from the Arm ARM's pseudocode."""
    expected = (REPO / "tests/guests/align.expected").read_bytes()
    res = run_qemu_py(guest_elf("align"), cpu, timeout=60)
    assert res.stdout == expected, (f"guest align (-cpu {cpu}): "
                                    f"{first_difference(expected, res.stdout)}\n"
                                    f"stderr: {res.stderr.decode(errors='replace')}")
    assert res.returncode == 0


COUNTED = ["hello", "compute", "dp_imm", "branch", "ldst"]     # guests that take no exception


@pytest.fixture(scope="session")
def insn_count_plugin(guest_build):
    """benchmarks/insn_count.c built for qemu-system-aarch64 (QEMU's own instruction count)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler for the QEMU counting plugin")
    lib = guest_build.BUILD_DIR / "libinsn_count.so"
    src = REPO / "benchmarks/insn_count.c"
    if not lib.exists() or lib.stat().st_mtime < src.stat().st_mtime:
        guest_build.BUILD_DIR.mkdir(exist_ok=True)
        subprocess.run([cc, "-shared", "-fPIC", "-O2", str(src), "-o", str(lib)], check=True)
    return lib


@pytest.mark.parametrize("name", COUNTED)
def test_instruction_count_matches_qemu(guest_elf, insn_count_plugin, name, tmp_path):
    """qemu_py's count of executed instructions is QEMU's (an inline counter on every
    instruction, from the plugin), for guests that take no exception."""
    from qemu_py.machine import Machine
    elf = guest_elf(name)
    out = tmp_path / "count.txt"
    res = subprocess.run([QEMU, "-M", "virt", "-cpu", "cortex-a57", "-nographic", "-kernel",
                          str(elf), "-plugin", f"{insn_count_plugin},outfile={out}"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=QEMU_TIMEOUT)
    assert res.returncode == 0 and out.exists(), res.stderr
    qemu_count = int(out.read_text().split()[1])
    m = Machine(cpu="cortex-a57")
    m.load(str(elf))
    result = m.run()
    assert result.reason == "poweroff"
    assert result.executed == qemu_count, f"guest {name}: qemu_py ran {result.executed:,} " \
                                          f"instructions, QEMU {qemu_count:,}"
