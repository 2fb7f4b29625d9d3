"""System guests that QEMU 7.2 cannot judge because it departs from the Arm ARM there: each
is checked against tests/guests/<name>.expected (or <name>.<cpu>.expected), written by hand
from the manual. (The guests
QEMU can judge are compared with it in test_guests.py.)"""

from pathlib import Path

import pytest

from conftest import load_guest_build
from test_guests import first_difference, run_qemu_py

REPO = Path(__file__).resolve().parent.parent
GUESTS = load_guest_build().GUESTS
GUEST_DIR = REPO / "tests/guests"


def expected_file(name: str, cpu: str) -> Path:
    """<name>.<cpu>.expected where the output depends on the CPU, else <name>.expected."""
    per_cpu = GUEST_DIR / f"{name}.{cpu}.expected"
    return per_cpu if per_cpu.exists() else GUEST_DIR / f"{name}.expected"


MANUAL = [(g.name, cpu) for g in GUESTS.values() for cpu in g.cpus
          if not g.compare and g.name != "align" and expected_file(g.name, cpu).exists()]


@pytest.mark.parametrize("name,cpu", MANUAL, ids=[f"{n}-{c}" for n, c in MANUAL])
def test_guest_follows_the_manual(guest_elf, name, cpu):
    expected = expected_file(name, cpu).read_bytes()
    res = run_qemu_py(guest_elf(name), cpu, timeout=120)
    assert res.stdout == expected, (f"guest {name} (-cpu {cpu}): "
                                    f"{first_difference(expected, res.stdout)}\n"
                                    f"stderr: {res.stderr.decode(errors='replace')}")
    assert res.returncode == 0
