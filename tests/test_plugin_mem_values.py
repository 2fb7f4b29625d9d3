"""Memory callbacks report the accesses QEMU reports, with the right values, whichever way the
runtime observes them: plain loads and stores whose callbacks read no registers are reported from
the registers around the instruction; other instructions, or callbacks that read registers, by
watching each access through the soft TLB (docs/architecture.md, "Plugins").

Truth: QEMU 7.2's addresses for the same guests (its plugin API has no values), and for the
values the watched path, which reads them from memory as the access is made."""

import pytest

from plugin_helpers import Plugins, report_lines, run_qemu, run_qemu_py

# C guests exercising every load/store form (ldst), compiled code (compute, branch), and LSE
# atomics with pairs and CAS (atomics, -cpu max).
GUESTS = [("ldst", "cortex-a57"), ("compute", "cortex-a57"), ("branch", "cortex-a57"),
          ("atomics", "max")]


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    return Plugins(tmp_path_factory.mktemp("plugins"))


def accesses(proc):
    """(insn vaddr, access vaddr, physical address, load/store) of each print-accesses line."""
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.decode().splitlines()
    assert lines[0].startswith("insn_vaddr,insn_symbol,mem_vaddr")
    out = []
    for line in lines[1:]:
        f = line.split(",")
        if len(f) == 7:
            out.append((int(f[0], 16), int(f[2], 16), int(f[3], 16), f[5]))
    return out


@pytest.mark.parametrize("name,cpu", GUESTS, ids=[g for g, _ in GUESTS])
def test_addresses_match_qemu(plugins, guest_elf, name, cpu):
    elf = guest_elf(name)
    ref = run_qemu(elf, f"{plugins.v1('mem')},print-accesses=on", cpu=cpu)
    got = run_qemu_py(elf, f"{plugins.ours('mem')},print-accesses=on", cpu=cpu)
    assert got.stdout == ref.stdout
    theirs, ours = accesses(ref), accesses(got)
    assert len(ours) > 1000
    assert ours == theirs


@pytest.mark.parametrize("name,cpu", GUESTS, ids=[g for g, _ in GUESTS])
def test_values_match_the_watched_path(plugins, guest_elf, name, cpu):
    elf = guest_elf(name)
    direct = run_qemu_py(elf, plugins.case("memtrace"), cpu=cpu)
    watched = run_qemu_py(elf, plugins.case("memtrace", "LEVEL=QEMU_PLUGIN_CB_R_REGS"), cpu=cpu)
    assert direct.returncode == 0 and watched.returncode == 0, (direct.stderr, watched.stderr)
    assert direct.stdout == watched.stdout
    assert report_lines(direct) == report_lines(watched)
    assert report_lines(direct)[0].startswith("accesses ")
