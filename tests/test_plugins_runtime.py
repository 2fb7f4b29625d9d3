"""The plugin runtime against independent truth: register reads see what the guest prints
(and QEMU's run of the same guest prints), register and memory writes change the guest's
result, per-vCPU scoreboards with -smp 4 agree with QEMU 7.2 and add up."""

import shutil

import pytest

from plugin_helpers import (CASES, Plugins, build_asm_guest, build_glib_plugin, report_lines,
                            run_qemu, run_qemu_py)


@pytest.fixture(scope="session")
def plugins(tmp_path_factory):
    return Plugins(tmp_path_factory.mktemp("plugins"))


@pytest.fixture(scope="session")
def asm_guest(tmp_path_factory):
    out = tmp_path_factory.mktemp("asm_guests")
    return lambda name: build_asm_guest(name, out)


@pytest.fixture(scope="session")
def regs_plugin(tmp_path_factory):
    return build_glib_plugin(CASES / "regs.c", tmp_path_factory.mktemp("regs") / "libregs.so")


def test_register_reads_see_what_the_guest_prints(asm_guest, regs_plugin):
    elf = asm_guest("regs")
    ref = run_qemu(elf)                     # the guest's own output, under QEMU
    assert ref.returncode == 0, ref.stderr
    computed = ref.stdout.decode().split()[:5]
    got = run_qemu_py(elf, regs_plugin)
    assert got.returncode == 0, got.stderr
    out = got.stdout.decode().split()
    report = report_lines(got)
    assert out[:5] == computed
    assert [l for l in report if l.startswith("x0=")] == [f"x0={v}" for v in computed]
    # Every register was read before every instruction, pc always that instruction's address.
    assert report[-1] == "reads=1084 pc_mismatches=0 bad_sizes=0"


def test_register_and_memory_writes_change_the_guest(asm_guest, regs_plugin):
    elf = asm_guest("regs")
    ref = run_qemu(elf)
    assert ref.stdout.decode().split()[5:] == ["0000000000000000", "5555555555555555"]
    got = run_qemu_py(elf, regs_plugin)
    assert got.returncode == 0, got.stderr
    # x0 set to 0xdecafbad before "mov x10, x10"; the doubleword at cell rewritten before the
    # guest loads it.
    assert got.stdout.decode().split()[5:] == ["00000000decafbad", "1122334455667788"]
    assert "wrote at 40080088" in report_lines(got)
    assert not [l for l in report_lines(got) if "failed" in l]


SMP_EXPECTED_INSNS = ["cpu 0 insns: 3044", "cpu 1 insns: 6014", "cpu 2 insns: 9014",
                      "cpu 3 insns: 12014", "total insns: 30086"]


@pytest.mark.parametrize("plugin", ["insn", "bb"])
def test_smp4_per_vcpu_counts_match_qemu(plugins, asm_guest, plugin):
    """Each vCPU's count, by callback, equals QEMU's (whose inline counts are not per vCPU)."""
    elf = asm_guest("smp")
    ref = run_qemu(elf, plugins.v1(plugin), smp=4, cpu="max")
    assert ref.returncode == 0, ref.stderr
    got = run_qemu_py(elf, plugins.ours(plugin), smp=4, cpu="max")
    assert got.returncode == 0, got.stderr
    assert report_lines(got) == ref.stderr.decode().splitlines()
    if plugin == "insn":
        assert report_lines(got) == SMP_EXPECTED_INSNS


def test_smp4_inline_scoreboards_add_up(plugins, asm_guest, tmp_path):
    """Inline per-vCPU adds and callbacks count the same per vCPU, and each total is the sum
    of the vCPU lines (two copies of a plugin are two plugins)."""
    elf = asm_guest("smp")
    insn2 = tmp_path / "libinsn-copy.so"
    shutil.copy(plugins.ours("insn"), insn2)
    bb2 = tmp_path / "libbb-copy.so"
    shutil.copy(plugins.ours("bb"), bb2)
    got = run_qemu_py(elf, f"{plugins.ours('insn')},inline=on", insn2,
                      f"{plugins.ours('bb')},inline=on", bb2, smp=4, cpu="max")
    assert got.returncode == 0, got.stderr
    lines = report_lines(got)
    # Newest plugin reports first: bb callback, bb inline, insn callback, insn inline.
    bb_cb, bb_inline, insn_cb, insn_inline = lines[0:5], lines[5:10], lines[10:15], lines[15:20]
    assert insn_cb == insn_inline == SMP_EXPECTED_INSNS
    assert bb_cb == bb_inline
    per_vcpu = [int(l.rsplit(" ", 1)[1]) for l in bb_cb[:4]]
    assert sum(per_vcpu) == int(bb_cb[4].rsplit(" ", 1)[1]) == 30086
    blocks = [int(l.split("bb's: ")[1].split(",")[0]) for l in bb_cb]
    assert sum(blocks[:4]) == blocks[4]
