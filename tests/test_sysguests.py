"""System guests that QEMU 7.2 cannot judge because it departs from the Arm ARM there: each
is checked against tests/guests/<name>.expected, written by hand from the manual. (The guests
QEMU can judge are compared with it in test_guests.py.)"""

from pathlib import Path

import pytest

from conftest import load_guest_build
from test_guests import first_difference, run_qemu_py

REPO = Path(__file__).resolve().parent.parent
GUESTS = load_guest_build().GUESTS
MANUAL = [(g.name, cpu) for g in GUESTS.values()
          if not g.compare and g.name != "align"
          and (REPO / "tests/guests" / f"{g.name}.expected").exists() for cpu in g.cpus]


@pytest.mark.parametrize("name,cpu", MANUAL, ids=[f"{n}-{c}" for n, c in MANUAL])
def test_guest_follows_the_manual(guest_elf, name, cpu):
    expected = (REPO / "tests/guests" / f"{name}.expected").read_bytes()
    res = run_qemu_py(guest_elf(name), cpu, timeout=120)
    assert res.stdout == expected, (f"guest {name} (-cpu {cpu}): "
                                    f"{first_difference(expected, res.stdout)}\n"
                                    f"stderr: {res.stderr.decode(errors='replace')}")
    assert res.returncode == 0
