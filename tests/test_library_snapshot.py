"""Snapshots: a run resumed from a snapshot continues exactly as the original did (in memory,
and through a file in a fresh process), and bad snapshot files are refused with a clear error.

The guests are the system guests of the test suite: `timer` (virtual and physical timers
interrupting through the GIC) and `smp` (4 vCPUs, PSCI, SGIs, WFI, spinlocks): state in every
device, virtual time and interrupts whose timing depends on all of it."""

import hashlib
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import qemu_py
from library_helpers import CODE, machine_with
from qemu_py import snapshot as snapfile

ROOT = Path(__file__).resolve().parent.parent
GUESTS = {"timer": (1, 300_000, 620_000), "smp": (4, 1_000_000, 5_520_000)}   # smp, N, M


def fingerprint(m: qemu_py.Machine) -> dict:
    """Everything a resumed run must reproduce: every vCPU's registers and the system
    registers a guest changes, a hash of RAM, the instruction counts."""
    out = {}
    for cpu in m.cpus:
        out[f"cpu{cpu.index}"] = cpu.regs.dump()
        out[f"cpu{cpu.index}.sys"] = {n: cpu.sysregs[n] for n in (
            "elr_el1", "spsr_el1", "esr_el1", "far_el1", "vbar_el1", "sctlr_el1", "tcr_el1",
            "ttbr0_el1", "cntv_ctl_el0", "cntv_cval_el0", "cntp_ctl_el0", "cntp_cval_el0",
            "cntvct_el0")}
        out[f"cpu{cpu.index}.insns"] = cpu.insn_count
    out["ram"] = hashlib.sha256(m.memory.read(m.memory.base, m.memory.size)).hexdigest()
    return out


def run_to(m: qemu_py.Machine, insns: int):
    res = m.run(max_insns=insns)
    return res.reason, res.executed, m.uart.read(), fingerprint(m)


@pytest.mark.parametrize("name", sorted(GUESTS))
def test_resume_from_snapshot_repeats_the_run(guest_elf, name):
    smp, n, m_ = GUESTS[name]
    m = qemu_py.Machine(kernel=str(guest_elf(name)), smp=smp)
    m.run(max_insns=n)
    before = m.uart.read()
    snap = m.snapshot()
    first = run_to(m, m_ - n)
    assert first[0] == "budget" and first[1] == m_ - n
    assert first[2], "the guest should print between N and M"
    m.restore(snap)
    assert run_to(m, m_ - n) == first
    # And to the end: the guest's whole output is what a run without snapshots prints.
    m.restore(snap)
    m.run()
    whole = qemu_py.Machine(kernel=str(guest_elf(name)), smp=smp)
    assert whole.run().reason == "poweroff"
    assert before + m.uart.read() == whole.uart.read()


RESUME = """
import hashlib, json, sys
sys.path.insert(0, {tests!r})
import qemu_py
from test_library_snapshot import run_to
m = qemu_py.Machine.load_state(sys.argv[1])
reason, executed, out, fp = run_to(m, int(sys.argv[2]))
print(json.dumps([reason, executed, out.decode("latin-1"), fp]))
"""


@pytest.mark.parametrize("name", sorted(GUESTS))
def test_resume_from_a_file_in_a_fresh_process(guest_elf, tmp_path, name):
    smp, n, m_ = GUESTS[name]
    m = qemu_py.Machine(kernel=str(guest_elf(name)), smp=smp)
    m.run(max_insns=n)
    m.uart.read()
    path = tmp_path / "state.qps"
    m.save(str(path))
    assert path.stat().st_size < m.memory.size // 100       # zero pages are not stored
    reason, executed, out, fp = run_to(m, m_ - n)
    script = RESUME.format(tests=str(ROOT / "tests"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", script, str(path), str(m_ - n)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    other = json.loads(res.stdout)
    assert other[:3] == [reason, executed, out.decode("latin-1")]
    assert other[3] == json.loads(json.dumps(fp))


def test_restore_brings_back_memory_registers_and_input():
    m = machine_with("b .")
    cpu = m.cpus[0]
    cpu.regs.x[3] = 33
    m.memory.write(0x40100000, b"before")
    m.uart.write(b"queued")
    snap = m.snapshot()
    cpu.regs.x[3] = 0
    cpu.regs.v[1] = 5
    cpu.sysregs["tpidr_el1"] = 9
    m.memory.write(0x40100000, b"after!")
    m.memory.write(0x40200000, b"new page")
    m.run(max_insns=1000)
    m.uart.read()
    m.restore(snap)
    assert cpu.regs.x[3] == 33 and cpu.regs.v[1] == 0 and cpu.sysregs["tpidr_el1"] == 0
    assert cpu.regs.pc == CODE and cpu.insn_count == 0
    assert m.memory.read(0x40100000, 6) == b"before"
    assert m.memory.read(0x40200000, 8) == bytes(8)
    assert m.uart.pending_input == 6


def test_restored_code_is_translated_afresh():
    # The snapshot's code differs from what ran since: the old translation must not be used.
    m = machine_with("mov x0, #1\nb .")
    snap = m.snapshot()
    m.run(max_insns=5)
    m.memory.write(CODE, bytes.fromhex("400080d2"))        # mov x0, #2
    m.cpus[0].regs.pc = CODE
    m.run(max_insns=5)
    assert m.cpus[0].regs.x[0] == 2
    m.restore(snap)
    m.run(max_insns=5)
    assert m.cpus[0].regs.x[0] == 1


def test_load_state_keeps_the_configuration(tmp_path):
    m = qemu_py.Machine(cpu="max", memory="32M", smp=2)
    m.cpus[1].regs.x[7] = 77
    m.save(str(tmp_path / "s.qps"))
    m2 = qemu_py.Machine.load_state(str(tmp_path / "s.qps"))
    assert (m2.config.cpu, m2.config.memory, m2.config.smp) == ("max", 32 << 20, 2)
    assert m2.cpus[1].regs.x[7] == 77


# --- refusals ----------------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    m = machine_with("mov x0, #1\nb .", memory="16M")
    m.run(max_insns=10)
    path = tmp_path / "good.qps"
    m.save(str(path))
    return path


def _refused(path, words):
    with pytest.raises(qemu_py.SnapshotError) as e:
        qemu_py.Machine.load_state(str(path))
    assert words in str(e.value), str(e.value)
    return str(e.value)


@pytest.mark.parametrize("keep", [0, 5, 12, 40, -33, -1])
def test_truncated_file_is_refused(saved, keep):
    blob = saved.read_bytes()
    saved.write_bytes(blob[:keep] if keep >= 0 else blob[:len(blob) + keep])
    _refused(saved, "truncated")


def test_altered_file_is_refused(saved):
    blob = bytearray(saved.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    saved.write_bytes(bytes(blob))
    _refused(saved, "corrupt")


def test_other_files_are_refused(saved):
    saved.write_bytes(b"\x7fELF" + bytes(100))
    _refused(saved, "is not a qemu_py snapshot")


def _rewrite(path, version=None, edit_header=None):
    # As another qemu_py would have written it: a valid file with other contents.
    blob = path.read_bytes()
    magic, fmt, hlen = struct.unpack_from("<8sII", blob)
    header = json.loads(blob[16:16 + hlen])
    if edit_header:
        edit_header(header)
    new_header = json.dumps(header).encode()
    body = struct.pack("<8sII", magic, fmt if version is None else version, len(new_header)) \
        + new_header + blob[16 + hlen:-32]
    path.write_bytes(body + hashlib.sha256(body).digest())


def test_file_of_another_format_version_is_refused(saved):
    _rewrite(saved, version=snapfile.FORMAT_VERSION + 1)
    _refused(saved, f"format version {snapfile.FORMAT_VERSION + 1}")


def test_file_of_another_core_layout_is_refused(saved):
    def bigger_cpu(header):
        header["layout"]["cpu"] += 8
        header["qemu_py"] = "9.9.9"
    _rewrite(saved, edit_header=bigger_cpu)
    message = _refused(saved, "qemu_py 9.9.9")
    assert "keeps its state differently" in message


def test_snapshot_of_another_configuration_is_refused():
    small = qemu_py.Machine(memory="16M")
    big = qemu_py.Machine(memory="32M")
    with pytest.raises(qemu_py.SnapshotError, match="differ in memory"):
        big.restore(small.snapshot())
    with pytest.raises(qemu_py.SnapshotError, match="-cpu cortex-a57 .* -cpu max"):
        qemu_py.Machine(cpu="max", memory="16M").restore(small.snapshot())
    with pytest.raises(qemu_py.SnapshotError, match="smp"):
        qemu_py.Machine(memory="16M", smp=2).restore(small.snapshot())
    big.restore(big.snapshot())                  # its own is fine
