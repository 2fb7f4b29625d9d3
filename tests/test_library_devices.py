"""Python devices (Machine.map_device): the guest's accesses reach read/write with the offsets,
sizes and values the instructions make (worked out by hand from the snippet), an exception in
the device abandons the instruction and propagates, device state joins snapshots."""

import traceback

import pytest

import qemu_py
from library_helpers import BRK_VECTOR, CODE, machine_with

BASE = 0x0A000000

ACCESSES = """
    movz x1, #0x0a00, lsl #16
    ldr x2, =0x1122334455667788
    strb w2, [x1, #1]
    strh w2, [x1, #2]
    str w2, [x1, #4]
    str x2, [x1, #8]
    ldrb w3, [x1, #0x10]
    ldrh w4, [x1, #0x12]
    ldr w5, [x1, #0x14]
    ldr x6, [x1, #0x18]
    ldrsb x7, [x1, #0x20]
    brk #0
    .ltorg
"""


class Recorder:
    """Answers every read with the same 64-bit pattern; remembers every access."""

    def __init__(self, value=0xF1E2D3C4B5A69788):
        self.value = value
        self.log = []

    def read(self, offset, size):
        self.log.append(("r", offset, size))
        return self.value

    def write(self, offset, size, value):
        self.log.append(("w", offset, size, value))


def test_accesses_reach_the_device():
    m = machine_with(ACCESSES)
    dev = Recorder()
    assert m.map_device(BASE, 0x1000, dev, name="rec") == "rec"
    assert m.devices == {"rec": dev}
    m.run(until_pc=BRK_VECTOR)
    assert dev.log == [
        ("w", 1, 1, 0x88), ("w", 2, 2, 0x7788), ("w", 4, 4, 0x55667788),
        ("w", 8, 8, 0x1122334455667788),
        ("r", 0x10, 1), ("r", 0x12, 2), ("r", 0x14, 4), ("r", 0x18, 8), ("r", 0x20, 1),
    ]
    regs = m.cpus[0].regs
    # Reads are cut to the access size, then extended as the instruction says.
    assert (regs.x[3], regs.x[4], regs.x[5]) == (0x88, 0x9788, 0xB5A69788)
    assert regs.x[6] == 0xF1E2D3C4B5A69788
    assert regs.x[7] == 0xFFFFFFFFFFFFFF88              # LDRSB of 0x88


class Broken(Recorder):
    def __init__(self, fail_at):
        super().__init__()
        self.fail_at = fail_at

    def read(self, offset, size):
        if offset == self.fail_at:
            raise OSError(f"device read at {offset:#x} failed")
        return super().read(offset, size)

    def write(self, offset, size, value):
        if offset == self.fail_at:
            raise OSError(f"device write at {offset:#x} failed")
        super().write(offset, size, value)


@pytest.mark.parametrize("offset, pc", [(0x14, CODE + 32), (4, CODE + 16)])
def test_exception_in_the_device_abandons_the_instruction(offset, pc):
    m = machine_with(ACCESSES)
    dev = Broken(offset)
    m.map_device(BASE, 0x1000, dev)
    with pytest.raises(OSError, match="failed") as e:
        m.run(until_pc=BRK_VECTOR)
    frames = [f.name for f in traceback.extract_tb(e.value.__traceback__)]
    assert frames[-1] in ("read", "write")
    regs = m.cpus[0].regs
    assert regs.pc == pc                                # at the instruction, not after it
    assert regs.x[5] == 0 and m.cpus[0].insn_count == (pc - CODE) // 4
    dev.fail_at = None                                  # repaired: the run goes on from there
    assert m.run(until_pc=BRK_VECTOR).reason == "break"
    assert regs.x[5] == 0xB5A69788


def test_device_that_returns_nonsense():
    class Bad(Recorder):
        def read(self, offset, size):
            return "not a number"
    m = machine_with(ACCESSES)
    m.map_device(BASE, 0x1000, Bad())
    with pytest.raises(ValueError):
        m.run(until_pc=BRK_VECTOR)
    assert m.cpus[0].regs.pc == CODE + 24               # the first load


def test_stop_from_a_device():
    class Stopper(Recorder):
        def write(self, offset, size, value):
            m.stop()
    m = machine_with(ACCESSES)
    m.map_device(BASE, 0x1000, Stopper())
    assert m.run(until_pc=BRK_VECTOR).reason == "stopped"


@pytest.mark.parametrize("base, size, words", [
    (0x40000000, 0x1000, "overlaps RAM"),
    (0x09000800, 0x1000, "overlaps pl011"),
    (0x07FFF000, 0x2000, "overlaps gic_dist"),
    (BASE, 0, "bad device window"),
])
def test_bad_windows(base, size, words):
    m = qemu_py.Machine(memory="16M")
    with pytest.raises(qemu_py.ConfigError, match=words):
        m.map_device(base, size, Recorder())


def test_device_needs_read_and_write():
    m = qemu_py.Machine(memory="16M")
    with pytest.raises(qemu_py.ConfigError, match="needs a write"):
        m.map_device(BASE, 0x1000, type("OnlyRead", (), {"read": lambda s, o, n: 0})())
    m.map_device(BASE, 0x1000, Recorder(), name="a")
    with pytest.raises(qemu_py.ConfigError, match="named 'a'"):
        m.map_device(BASE + 0x1000, 0x1000, Recorder(), name="a")


class Counter:
    """A device with state: reads return how many writes it has seen."""

    def __init__(self):
        self.writes = 0

    def read(self, offset, size):
        return self.writes

    def write(self, offset, size, value):
        self.writes += 1

    def save_state(self):
        return self.writes.to_bytes(8, "little")

    def load_state(self, data):
        self.writes = int.from_bytes(data, "little")


COUNTING = """
    movz x1, #0x0a00, lsl #16
1:  str w0, [x1]
    ldr w2, [x1]
    b 1b
"""


def test_device_state_in_snapshots(tmp_path):
    m = machine_with(COUNTING)
    dev = Counter()
    m.map_device(BASE, 0x1000, dev, name="counter")
    m.run(max_insns=1 + 3 * 10)
    snap = m.snapshot()
    assert dev.writes == 10
    m.run(max_insns=3 * 5)
    assert dev.writes == 15 and m.cpus[0].regs.x[2] == 15
    m.restore(snap)
    assert dev.writes == 10
    m.run(max_insns=3 * 5)
    assert dev.writes == 15 and m.cpus[0].regs.x[2] == 15
    # Through a file: restored into a machine made again with its device.
    snap.save(str(tmp_path / "s.qps"))
    other = machine_with(COUNTING)
    dev2 = Counter()
    other.map_device(BASE, 0x1000, dev2, name="counter")
    other.restore(qemu_py.Snapshot.load(str(tmp_path / "s.qps")))
    assert dev2.writes == 10
    other.run(max_insns=3)
    assert dev2.writes == 11 and other.cpus[0].regs.x[2] == 11
    # Not into a machine without it.
    bare = machine_with(COUNTING)
    with pytest.raises(qemu_py.SnapshotError, match="counter"):
        bare.restore(snap)
