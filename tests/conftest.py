"""Shared pytest fixtures. Guest programs: `guest_elf(name)` cross-compiles tests/guests/<name>
(cached in tests/guests/build/, rebuilt when a source changes) and returns the ELF's path."""

import importlib.util
import shutil
from pathlib import Path

import pytest

_GUEST_BUILD = Path(__file__).parent / "guests" / "build.py"


def load_guest_build():
    """tests/guests/build.py as a module (the guest table and the builder)."""
    spec = importlib.util.spec_from_file_location("guest_build", _GUEST_BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def guest_build():
    module = load_guest_build()
    if shutil.which(module.CC) is None:
        pytest.fail(f"{module.CC} not found: the test command installs gcc-aarch64-linux-gnu")
    return module


@pytest.fixture(scope="session")
def guest_elf(guest_build):
    def get(name: str) -> Path:
        return guest_build.build(name)
    return get
