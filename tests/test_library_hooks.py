"""Python hooks (Machine.hook_*), stop(), and native plugins loaded from Python. Expected
values are the snippets' own, worked out by hand, or come from the guests (their known output,
the architecture's vector offsets)."""

import gc
import shutil
import subprocess
import traceback
from pathlib import Path

import pytest

import qemu_py
from library_helpers import BRK_VECTOR, CODE, SUM_LOOP, VECTORS, machine_with

LOOP = CODE + 8
BRK = CODE + 20
TRACE = [CODE, CODE + 4] + [LOOP, LOOP + 4, LOOP + 8] * 5      # every pc up to the BRK


@pytest.fixture(autouse=True)
def collect_machines():
    # Machines with native plugins hold the plugin runtime until they are collected.
    yield
    gc.collect()


# --- code and block hooks ----------------------------------------------------------------------


def test_code_hook_on_one_address():
    m = machine_with(SUM_LOOP)
    seen = []
    m.hook_code(lambda cpu, pc: seen.append((pc, cpu.regs.x[0], cpu.regs.pc)), LOOP)
    res = m.run(until_pc=BRK)
    assert res.reason == "break" and res.executed == 17
    assert seen == [(LOOP, x0, LOOP) for x0 in (5, 4, 3, 2, 1)]


def test_code_hook_on_a_range_and_everywhere():
    m = machine_with(SUM_LOOP)
    ranged, everywhere = [], []
    m.hook_code(lambda cpu, pc: ranged.append(pc), LOOP, LOOP + 4)
    m.hook_code(lambda cpu, pc: everywhere.append(pc))
    m.run(until_pc=BRK)
    assert everywhere == TRACE
    assert ranged == [pc for pc in TRACE if LOOP <= pc <= LOOP + 4]


def test_block_hook():
    m = machine_with(SUM_LOOP)
    blocks = []
    m.hook_block(lambda cpu, pc, n: blocks.append((pc, n)))
    m.run(until_pc=BRK)
    # The first block runs from CODE through the first b.ne; then the loop body, 4 times.
    assert blocks == [(CODE, 5)] + [(LOOP, 3)] * 4
    only = []
    m.cpus[0].regs.pc = CODE
    m.remove_hooks()
    m.hook_block(lambda cpu, pc, n: only.append(pc), LOOP, LOOP)
    m.run(until_pc=BRK)
    assert only == [LOOP] * 4


def test_block_hook_sees_each_block_once_across_time_slices():
    # 40,000 passes of a 3-instruction loop: 120,005 instructions, more than a vCPU's time
    # slice (65,536), whose end falls inside a block. That block still runs whole and is seen
    # once, so the blocks' lengths add up to the instructions run.
    m = machine_with(SUM_LOOP.replace("#5", "#40000"))
    blocks = []
    m.hook_block(lambda cpu, pc, n: blocks.append((pc, n)))
    res = m.run(until_pc=BRK)
    assert res.reason == "break" and res.executed == 2 + 3 * 40000
    assert blocks == [(CODE, 5)] + [(LOOP, 3)] * 39999
    assert m.cpus[0].regs.x[1] == 40000 * 40001 // 2


def test_block_hook_run_stops_exactly_at_max_insns():
    # The caller's own limit still cuts a block: the 5-instruction first block, then the add and
    # subs of the loop; the b.ne is next.
    m = machine_with(SUM_LOOP)
    m.hook_block(lambda cpu, pc, n: None)
    res = m.run(max_insns=7)
    assert res.executed == 7 and m.cpus[0].regs.pc == LOOP + 8


def test_hooks_see_and_change_registers():
    m = machine_with(SUM_LOOP)

    def cut_short(cpu, pc):
        cpu.regs.x[0] = 1                       # the subs makes it 0: the loop ends
    m.hook_code(cut_short, LOOP + 4)
    m.run(until_pc=BRK)
    assert m.cpus[0].regs.x[1] == 5 and m.cpus[0].regs.x[0] == 0


def test_code_hook_sends_the_vcpu_elsewhere():
    m = machine_with(SUM_LOOP)

    def jump(cpu, pc):
        cpu.regs.pc = BRK                       # skip the loop: the mov x1 does not run
    m.hook_code(jump, CODE + 4)
    m.cpus[0].regs.x[1] = 99
    res = m.run(until_pc=BRK_VECTOR)
    assert res.executed == 1                    # mov x0; the BRK takes its exception
    assert m.cpus[0].regs.x[1] == 99 and m.cpus[0].sysregs["elr_el1"] == BRK


def test_stop_from_a_code_hook_and_resume():
    m = machine_with(SUM_LOOP)
    calls = []

    def hook(cpu, pc):
        calls.append(cpu.regs.x[0])
        if cpu.regs.x[0] == 3:
            m.stop()
    m.hook_code(hook, LOOP)
    res = m.run()
    assert res.reason == qemu_py.StopReason.STOPPED and res.pc == LOOP
    regs = m.cpus[0].regs
    assert (regs.x[0], regs.x[1]) == (3, 5 + 4)          # before the add of the third round
    assert calls == [5, 4, 3]
    res = m.run(until_pc=BRK)                            # not stopped again at the same visit
    assert res.reason == "break" and regs.x[1] == 15
    assert calls == [5, 4, 3, 2, 1]


def test_stop_then_step():
    m = machine_with(SUM_LOOP)
    m.hook_code(lambda cpu, pc: m.stop(), LOOP)
    assert m.run().pc == LOOP
    assert m.step().reason == "step" and m.cpus[0].regs.pc == LOOP + 4


def test_exception_in_a_code_hook_propagates_with_its_traceback():
    m = machine_with(SUM_LOOP)

    def failing_hook(cpu, pc):
        if cpu.regs.x[0] == 2:
            raise KeyError("from the hook")
    hook = m.hook_code(failing_hook, LOOP + 4)
    with pytest.raises(KeyError, match="from the hook") as e:
        m.run(until_pc=BRK)
    frames = [f.name for f in traceback.extract_tb(e.value.__traceback__)]
    assert frames[0] == "test_exception_in_a_code_hook_propagates_with_its_traceback"
    assert frames[-1] == "failing_hook"
    regs = m.cpus[0].regs
    assert regs.pc == LOOP + 4 and regs.x[0] == 2 and regs.x[1] == 5 + 4 + 3 + 2
    hook.remove()
    assert m.run(until_pc=BRK).reason == "break" and regs.x[1] == 15


def test_hooks_come_and_go_inside_hooks():
    m = machine_with(SUM_LOOP)
    later = []

    def once(cpu, pc):
        first.remove()
        m.hook_code(lambda cpu, pc: later.append(pc), LOOP + 8)
    first = m.hook_code(once, LOOP)
    m.run(until_pc=BRK)
    assert later == [LOOP + 8] * 5 and not first.active
    assert len(m.hooks) == 1


def test_a_hook_may_not_run_the_machine():
    m = machine_with(SUM_LOOP)
    m.hook_code(lambda cpu, pc: m.run(max_insns=1), LOOP)
    with pytest.raises(RuntimeError, match="inside a hook"):
        m.run(until_pc=BRK)


def test_step_calls_the_hooks_of_its_instruction():
    m = machine_with(SUM_LOOP)
    seen = []
    m.hook_code(lambda cpu, pc: seen.append(pc))
    for _ in range(4):
        m.step()
    assert seen == TRACE[:4]


def test_two_machines_with_hooks_in_turn():
    a, b = machine_with(SUM_LOOP), machine_with(SUM_LOOP)
    seen_a, seen_b = [], []
    a.hook_code(lambda cpu, pc: seen_a.append(pc), LOOP)
    b.hook_code(lambda cpu, pc: seen_b.append(pc), LOOP + 8)
    a.run(max_insns=6)
    b.run(until_pc=BRK)
    a.run(until_pc=BRK)
    assert seen_a == [LOOP] * 5 and seen_b == [LOOP + 8] * 5


# --- memory hooks --------------------------------------------------------------------------------

MEM = """
    movz x1, #0x4010, lsl #16
    mov x2, #7
    str x2, [x1]                // 0x40100000, 8 bytes
    ldr w3, [x1, #4]            // 0x40100004, 4 bytes
    strb w2, [x1, #0x20]        // outside the range below
    stp x2, x2, [x1, #8]        // one 16-byte access, as the plugin API reports a pair
    ldr x4, [x1, #8]
    brk #0
"""


def test_memory_hook_ranges_kinds_and_values():
    m = machine_with(MEM)
    every, writes = [], []
    m.hook_mem(lambda cpu, a, n, w, v: every.append((a, n, w, v, cpu.regs.pc)),
               0x40100000, 0x4010001F)
    m.hook_mem(lambda cpu, a, n, w, v: writes.append(a), access="w")
    m.run(until_pc=BRK_VECTOR)
    assert every == [
        (0x40100000, 8, True, 7, CODE + 8),
        (0x40100004, 4, False, 0, CODE + 12),
        (0x40100008, 16, True, 7 | (7 << 64), CODE + 20),
        (0x40100008, 8, False, 7, CODE + 24),
    ]
    assert writes == [0x40100000, 0x40100020, 0x40100008]


def test_memory_hook_by_physical_address():
    from test_library_api import _map_pages
    m = machine_with("ldr x0, [x1]\nstr x0, [x1, #8]\nb .")
    _map_pages(m)                               # VA 0 -> PA 0x40200000, from here on
    m.memory.write(0x40200000 + 0x100, m.memory.read(CODE, 12))
    m.cpus[0].regs.pc = 0x100
    m.cpus[0].regs.x[1] = 0x10
    virt, phys = [], []
    m.hook_mem(lambda cpu, a, n, w, v: virt.append(a), 0, 0xFFFF)
    m.hook_mem(lambda cpu, a, n, w, v: phys.append(a), 0x40200000, 0x40200FFF, physical=True)
    m.run(max_insns=2)
    assert virt == [0x10, 0x18] and phys == [0x40200010, 0x40200018]


def test_stop_and_errors_from_a_memory_hook_come_after_the_instruction():
    m = machine_with(MEM)
    m.hook_mem(lambda cpu, a, n, w, v: m.stop(), 0x40100004, 0x40100004, access="r")
    res = m.run()
    assert res.reason == "stopped" and m.cpus[0].regs.pc == CODE + 16     # after the ldr
    m = machine_with(MEM)

    def failing(cpu, a, n, w, v):
        raise RuntimeError("mem")
    m.hook_mem(failing, 0x40100008, 0x40100008, access="w")
    with pytest.raises(RuntimeError, match="mem"):
        m.run()
    assert m.cpus[0].regs.pc == CODE + 24                                 # the stp completed
    assert m.memory.read_u64(0x40100010) == 7


# --- exceptions, device accesses, idle and resume -------------------------------------------------


def test_exception_hook():
    m = machine_with("svc #5\nbrk #0")
    m.memory.write(VECTORS + 0x200, bytes.fromhex("e0039fd6"))     # eret
    seen = []

    def hook(cpu, kind, src, dst):
        seen.append((kind, src, dst, cpu.regs.pc, cpu.sysregs["esr_el1"] >> 26))
    m.hook_exception(hook)
    m.run(max_insns=3)
    # SVC: preferred return after it; BRK: the BRK itself (its return address), EC 0x15, 0x3c.
    assert seen[0] == ("exception", CODE + 4, VECTORS + 0x200, VECTORS + 0x200, 0x15)
    assert seen[1] == ("exception", CODE + 4, VECTORS + 0x200, VECTORS + 0x200, 0x3C)


def test_exception_hook_kinds_on_guests(guest_elf):
    m = qemu_py.Machine(kernel=str(guest_elf("timer")))
    kinds = {}

    def hook(cpu, kind, src, dst):
        kinds.setdefault(kind, set()).add(dst - cpu.sysregs["vbar_el1"])
    m.hook_exception(hook, kinds=("interrupt", "hostcall"))
    assert m.run().reason == "poweroff"
    assert kinds["interrupt"] == {0x280}        # IRQ, current EL with SP_ELx
    assert "exception" not in kinds and "hostcall" in kinds     # PSCI SYSTEM_OFF over HVC


HELLO = b"Hello from a bare-metal AArch64 guest!\n"


def test_mmio_hook_sees_the_uart_writes(guest_elf):
    m = qemu_py.Machine(kernel=str(guest_elf("hello")))
    sent = bytearray()
    m.hook_mmio(lambda cpu, a, n, w, v: sent.append(v & 0xFF) if a == 0x09000000 else None,
                0x09000000, 0x09000FFF, access="w")
    reads = []
    m.hook_mmio(lambda cpu, a, n, w, v: reads.append(a - 0x09000000), 0x09000000, 0x09000FFF,
                access="r")
    m.run()
    assert bytes(sent) == HELLO == m.uart.read()
    assert set(reads) == {0x18} and len(reads) == len(HELLO)       # UARTFR before each byte


def test_idle_and_resume_hooks(guest_elf):
    m = qemu_py.Machine(kernel=str(guest_elf("smp")), smp=4)
    events = []
    m.hook_idle(lambda cpu: events.append(("idle", cpu.index)))
    m.hook_resume(lambda cpu: events.append(("resume", cpu.index)))
    assert m.run().reason == "poweroff"
    for k in (1, 2, 3):
        mine = [e for e, cpu in events if cpu == k]
        # Off at start (idle), CPU_ON (resume), then WFI sleeps and wake-ups, alternating.
        assert mine[:2] == ["idle", "resume"]
        assert all(a != b for a, b in zip(mine, mine[1:]))
    assert ("idle", 0) not in events[:3]


# --- native plugins from Python -------------------------------------------------------------------

OFF = """
    mov x0, #5
    mov x1, #0
loop:
    add x1, x1, x0
    subs x0, x0, #1
    b.ne loop
    movz x0, #0x0008
    movk x0, #0x8400, lsl #16
    hvc #0
"""


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    cc = shutil.which("cc")
    if cc is None:
        pytest.fail("a host C compiler is needed to build the example plugins")
    out = tmp_path_factory.mktemp("plugins")
    root = Path(__file__).resolve().parent.parent
    subprocess.run(["make", "-s", "-C", str(root / "plugins"), f"OUT={out}/"], check=True)
    return out


def test_native_plugin_from_python(plugins):
    m = machine_with(OFF)
    pid = m.add_plugin(plugins / "libinsn.so", inline=True)
    assert pid
    seen = []
    m.hook_code(lambda cpu, pc: seen.append(pc), LOOP)     # hooks and plugins together
    assert m.run().reason == "poweroff"
    report = m.finish_plugins()
    assert "total insns: 20" in report             # 2 + 5 * 3 + 3, counted by the plugin
    assert seen == [LOOP] * 5
    assert m.plugin_output == report


def test_native_plugin_errors(plugins, tmp_path):
    m = machine_with(OFF)
    with pytest.raises(qemu_py.PluginError, match="Could not load plugin"):
        m.add_plugin(tmp_path / "libmissing.so")
    m = machine_with(OFF)
    m.hook_code(lambda cpu, pc: None, LOOP)
    m.run(max_insns=3)
    with pytest.raises(qemu_py.PluginError, match="before the machine first runs"):
        m.add_plugin(plugins / "libinsn.so")
