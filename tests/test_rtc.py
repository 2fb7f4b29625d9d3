"""The PL031 real-time clock of the virt board: its device tree node (decoded by dtc, beside the
node QEMU 7.2's own virt board generates), the count following the base date and the virtual
time (-rtc base=, clock=vm), snapshots carrying it, and a Linux boot that reads the date from
it. Its registers and interrupt are compared with QEMU by the rtc guest (tests/guests/rtc.c,
run by test_guests.py); bad -rtc values by test_cli.py."""

import datetime
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import qemu_py
from library_helpers import CODE, asm, machine_with

ROOT = Path(__file__).resolve().parent.parent
RTC = 0x09010000
BASE = "2026-01-02T03:04:05"
BASE_SECONDS = int(datetime.datetime(2026, 1, 2, 3, 4, 5,
                                     tzinfo=datetime.timezone.utc).timestamp())

# x1 = RTCDR, read again and again (x0 = the RTC).
READ_LOOP = f"""
    movz x0, #{RTC >> 16}, lsl #16
loop:
    ldr w1, [x0]
    b loop
"""
# With -icount shift=10 an instruction is 1024 ns: about 976,563 make a second.
PER_SECOND = 10 ** 9 / 1024


def _dts(blob: bytes, tmp_path, name: str) -> str:
    dtc = shutil.which("dtc")
    if dtc is None:
        pytest.fail("dtc (device-tree-compiler) is needed to decode the device trees")
    (tmp_path / name).write_bytes(blob)
    return subprocess.run([dtc, "-q", "-I", "dtb", "-O", "dts", str(tmp_path / name)],
                          check=True, capture_output=True, text=True).stdout


def _node(dts: str, name: str) -> str:
    m = re.search(r"^\t" + re.escape(name) + r" \{\n(.*?)^\t\};", dts, re.M | re.S)
    assert m, f"no node {name} in\n{dts}"
    return m.group(1)


def test_device_tree_node_is_qemus(tmp_path):
    (tmp_path / "k.bin").write_bytes(asm("b ."))
    m = qemu_py.Machine(memory="64M", kernel=str(tmp_path / "k.bin"))
    x0 = m.cpus[0].regs.x[0]
    size = int.from_bytes(m.memory.read(x0 + 4, 4), "big")
    ours = _dts(m.memory.read(x0, size), tmp_path, "ours.dtb")
    node = _node(ours, "pl031@9010000")
    assert 'compatible = "arm,pl031\\0arm,primecell";' in node
    assert "reg = <0x00 0x9010000 0x00 0x1000>;" in node
    assert "interrupts = <0x00 0x02 0x04>;" in node
    assert 'clock-names = "apb_pclk";' in node
    clk = re.search(r"clocks = <(0x[0-9a-f]+)>;", node).group(1)
    assert re.search(rf"apb-pclk \{{[^}}]*phandle = <{clk}>;", ours), ours
    # QEMU's node has the same properties; only the clock's phandle number differs.
    if shutil.which("qemu-system-aarch64") is None:
        pytest.fail("qemu-system-aarch64 is needed for QEMU's device tree")
    subprocess.run(["qemu-system-aarch64", "-M", f"virt,dumpdtb={tmp_path / 'qemu.dtb'}",
                    "-cpu", "cortex-a57", "-nographic"], check=True, capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=60)
    theirs = _node(_dts((tmp_path / "qemu.dtb").read_bytes(), tmp_path, "q.dtb"),
                   "pl031@9010000")

    def props(text):
        return sorted(re.sub(r"clocks = <0x[0-9a-f]+>", "clocks = <CLK>", line.strip())
                      for line in text.strip().splitlines())
    assert props(node) == props(theirs)


def test_count_is_the_base_plus_virtual_seconds():
    m = machine_with(READ_LOOP, rtc_base=BASE, icount_shift=10)
    assert m.core.rtc_count == BASE_SECONDS
    m.run(max_insns=10)
    assert m.cpus[0].regs.x[1] == BASE_SECONDS
    m.run(max_insns=int(3.5 * PER_SECOND))
    assert m.cpus[0].regs.x[1] == BASE_SECONDS + 3


@pytest.mark.parametrize("base, seconds", [("2026-01-02", BASE_SECONDS - 3 * 3600 - 4 * 60 - 5),
                                           (BASE, BASE_SECONDS), (12345, 12345),
                                           ("1970-01-01T00:00:00", 0)])
def test_base_forms(base, seconds):
    assert qemu_py.Machine(memory="16M", rtc_base=base).core.rtc_count == seconds


def test_default_base_is_the_hosts_utc_time():
    before = int(time.time())
    count = qemu_py.Machine(memory="16M").core.rtc_count
    assert before <= count <= int(time.time())
    assert qemu_py.Machine(memory="16M", rtc_base="utc").core.rtc_count >= before


def test_localtime_is_the_hosts_local_wall_clock():
    env = dict(os.environ, TZ="Asia/Kolkata")           # UTC+05:30, no daylight saving
    code = ("import time, qemu_py; t = time.time(); "
            "print(qemu_py.Machine(memory='16M', rtc_base='localtime').core.rtc_count - int(t))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert int(out) in (19800, 19801)


@pytest.mark.parametrize("base", ["2026-02-30", "1969-12-31", "2106-02-08", "tomorrow", -1])
def test_bad_bases_refused(base):
    with pytest.raises(qemu_py.ConfigError, match="rtc base"):
        qemu_py.Machine(memory="16M", rtc_base=base)


def test_snapshot_carries_the_loaded_count(tmp_path):
    # The guest loads 1000 into the count; a snapshot restored into a machine with another
    # base date continues from the guest's count, exactly as the original run does.
    prog = f"""
    movz x0, #{RTC >> 16}, lsl #16
    mov w2, #1000
    str w2, [x0, #8]
loop:
    ldr w1, [x0]
    b loop
"""
    m = machine_with(prog, rtc_base=BASE, icount_shift=10)
    m.run(max_insns=int(1.5 * PER_SECOND))
    assert m.cpus[0].regs.x[1] == 1001
    m.save(str(tmp_path / "s.qps"))
    m.run(max_insns=int(2 * PER_SECOND))
    want = m.cpus[0].regs.x[1]
    assert want == 1003
    other = machine_with(prog, rtc_base="2001-01-01", icount_shift=10)
    other.restore(qemu_py.Snapshot.load(str(tmp_path / "s.qps")))
    other.run(max_insns=int(2 * PER_SECOND))
    assert other.cpus[0].regs.x[1] == want
    again = qemu_py.Machine.load_state(str(tmp_path / "s.qps"))
    again.run(max_insns=int(2 * PER_SECOND))
    assert again.cpus[0].regs.x[1] == want



def test_command_line_takes_qemus_rtc_options(guest_elf):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for arg in ("base=2026-01-02,clock=vm,driftfix=slew", "base=localtime", "base=utc"):
        res = subprocess.run([sys.executable, "-m", "qemu_py", "-M", "virt", "-nographic",
                              "-rtc", arg, "-kernel", str(guest_elf("rtc"))], env=env,
                             capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
        assert res.returncode == 0 and res.stdout.endswith(b"rtc: done\n"), (arg, res.stderr)
