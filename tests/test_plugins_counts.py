"""Counts of the example plugins against the reference: the same plugin sources, built for
QEMU 7.2's plugin API (tests/plugin_compat/), loaded into Debian's qemu-system-aarch64 on the
same deterministic bare-metal guests, must report the same instruction, block and memory-access
counts as under qemu_py."""

import pytest

from plugin_helpers import Plugins, build_asm_guest, report_lines, run_qemu, run_qemu_py

ASM_GUESTS = ["loop"]

# (plugin, arguments): the reports compared line for line.
COUNTERS = [
    ("insn", ""), ("insn", "inline=on"),
    ("bb", ""), ("bb", "inline=on"),
    ("hotblocks", ""), ("hotblocks", "inline=on"),
]


@pytest.fixture(scope="session")
def plugins(tmp_path_factory):
    return Plugins(tmp_path_factory.mktemp("plugins"))


@pytest.fixture(scope="session")
def asm_guest(tmp_path_factory):
    out = tmp_path_factory.mktemp("guests")
    return lambda name: build_asm_guest(name, out)


def qemu_report(proc):
    return [l for l in proc.stderr.decode(errors="replace").splitlines()]


def with_args(path, args):
    return f"{path},{args}" if args else str(path)


@pytest.mark.parametrize("guest", ASM_GUESTS)
@pytest.mark.parametrize("plugin,args", COUNTERS, ids=[f"{p}-{a or 'cb'}" for p, a in COUNTERS])
def test_counts_match_qemu(plugins, asm_guest, guest, plugin, args):
    elf = asm_guest(guest)
    ref = run_qemu(elf, with_args(plugins.v1(plugin), args))
    assert ref.returncode == 0, ref.stderr
    got = run_qemu_py(elf, with_args(plugins.ours(plugin), args))
    assert got.returncode == 0, got.stderr
    assert got.stdout == ref.stdout
    assert report_lines(got) == qemu_report(ref)
