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


# --- memory accesses and discontinuities, checked by hand (tests/plugin_guests/memops.S) ------

MEMOPS_EVENTS = [
    # ldr x20, =0x09000000 (literal)
    "mem 40080010 va=40080a40 size=8 store=0 sign=0 be=0 type=3 "
    "value=00000000000000000000000009000000 io=0 pa=40080a40 dev=RAM",
    # ldp x1, x2, [x19]: one 16-byte access, low half first in memory
    "mem 40080014 va=40080a20 size=16 store=0 sign=0 be=0 type=4 "
    "value=ffeeddccbbaa99888877665544332211 io=0 pa=40080a20 dev=RAM",
    # stp x2, x1, [x19, #16]
    "mem 40080018 va=40080a30 size=16 store=1 sign=0 be=0 type=4 "
    "value=8877665544332211ffeeddccbbaa9988 io=0 pa=40080a30 dev=RAM",
    # ldrsb x3, [x19, #7]: sign-extending, the value as loaded
    "mem 4008001c va=40080a27 size=1 store=0 sign=1 be=0 type=0 "
    "value=00000000000000000000000000000088 io=0 pa=40080a27 dev=RAM",
    # ldp w4, w5, [x19]: one 8-byte access
    "mem 40080020 va=40080a20 size=8 store=0 sign=0 be=0 type=3 "
    "value=00000000000000008877665544332211 io=0 pa=40080a20 dev=RAM",
    # ldr w6, [x20, #0x18]: PL011 UARTFR (TXFE | RXFE)
    "mem 40080024 va=9000018 size=4 store=0 sign=0 be=0 type=2 "
    "value=00000000000000000000000000000090 io=1 pa=9000018 dev=pl011",
    # ldr x8, [x7] from nowhere: no access reported, the abort is from the instruction
    "discon 2 from=4008002c to=40080a00",
    # ldxr x9, [x12] misaligned: alignment fault
    "discon 2 from=40080034 to=40080a00",
    # svc: the preferred return is the next instruction
    "discon 2 from=4008003c to=40080a00",
    # hvc PSCI_VERSION, then SYSTEM_OFF: host calls, returning to the next instruction
    "discon 4 from=40080048 to=40080048",
    "discon 4 from=40080054 to=40080054",
]


@pytest.fixture(scope="session")
def case(tmp_path_factory):
    p = Plugins(tmp_path_factory.mktemp("cases"))
    return p.case


def test_memory_accesses_and_discontinuities(asm_guest, case):
    got = run_qemu_py(asm_guest("memops"), case("events"))
    assert got.returncode == 0, got.stderr
    lines = report_lines(got)
    assert [l for l in lines if not l.startswith("exec ")] == MEMOPS_EVENTS
    # Faulting instructions still had their instruction callback, just before the exception.
    for pc in ("4008002c", "40080034"):
        k = lines.index(f"exec {pc}")
        assert lines[k + 1] == f"discon 2 from={pc} to=40080a00"


# --- API misuse: one line, exit 1, no crash, no report after it -------------------------------

@pytest.mark.parametrize("mode,message", [
    ("tb_exec", "qemu_plugin_tb_n_insns: block handle used outside the translation callback "
                "that made it"),
    ("insn_atexit", "qemu_plugin_insn_vaddr: instruction handle used outside the translation "
                    "callback that made it"),
    ("sb_index", "qemu_plugin_u64_add: vCPU index beyond the vCPUs"),
    ("reg_atexit", "qemu_plugin_read_register: called outside a vCPU callback"),
])
def test_misuse_is_fatal(asm_guest, case, mode, message):
    got = run_qemu_py(asm_guest("loop"), f"{case('misuse')},mode={mode}")
    assert got.returncode == 1
    err = got.stderr.decode()
    assert "Traceback" not in err
    ours = [l for l in err.splitlines() if l.startswith("qemu-py-system: ")]
    assert ours == [f"qemu-py-system: plugin API misuse: {message}"]
    if mode in ("tb_exec", "sb_index"):
        # The run stopped at the end of that block: no further callback, no atexit.
        assert report_lines(got) == ["block callback"]


# --- reset and uninstall from a callback -------------------------------------------------------

def test_uninstall_from_a_callback(asm_guest, plugins, case):
    got = run_qemu_py(asm_guest("loop"), plugins.ours("bb"), case("flushwatch"),
                      f"{case('selfremove')},n=100")
    assert got.returncode == 0, got.stderr
    assert report_lines(got) == [
        "flush seen",
        "uninstalled: blocks=100 since_request=0 resets=0 flushes=0",
        # The other plugins keep counting as if nothing happened.
        "CPU0: bb's: 1001, insns: 4005", "Total: bb's: 1001, insns: 4005"]


def test_reset_then_uninstall(asm_guest, plugins, case):
    got = run_qemu_py(asm_guest("loop"), plugins.ours("bb"), case("flushwatch"),
                      f"{case('selfremove')},n=100,reset=on")
    assert got.returncode == 0, got.stderr
    assert report_lines(got) == [
        "flush seen",
        "reset: blocks=100 since_request=0 resets=1 flushes=0",
        "flush seen",
        # Counting resumed after the reset (re-registered in its callback).
        "uninstalled: blocks=200 since_request=0 resets=1 flushes=0",
        "CPU0: bb's: 1001, insns: 4005", "Total: bb's: 1001, insns: 4005"]


# --- conditional callbacks, against hand-computed counts -----------------------------------------

def cond_expected(base):
    """Firings over the loop guest's 4005 instructions: the counter is base + 1 .. base + 4005
    (mod 2^64) when the conditions look, compared with base + 999, + 1000, + 1001."""
    m = (1 << 64) - 1
    values = [(base + k) & m for k in range(1, 4006)]
    imms = [(base + 1000 + d) & m for d in (-1, 0, 1)]
    tests = {"never": lambda v, i: False, "always": lambda v, i: True,
             "eq": lambda v, i: v == i, "ne": lambda v, i: v != i, "lt": lambda v, i: v < i,
             "le": lambda v, i: v <= i, "gt": lambda v, i: v > i, "ge": lambda v, i: v >= i}
    lines = ["count=4005"]
    for name, test in tests.items():
        lines.append(" ".join([name] + [str(sum(test(v, i) for v in values)) for i in imms]))
    # 1001 block starts; a STORE before the condition is seen each time, one after it from the
    # second time on.
    lines.append("first=1001 early=1001 late=1000")
    return lines


@pytest.mark.parametrize("where", ["insn", "block"])
@pytest.mark.parametrize("base", [0, 1 << 63, (1 << 64) - 616])
def test_conditional_callbacks(asm_guest, case, base, where):
    # where=block puts the order check on the block: a prologue of five entries (callback,
    # STORE, two conditional callbacks, STORE) run before the first instruction.
    got = run_qemu_py(asm_guest("loop"), f"{case('cond')},base={base},where={where}")
    assert got.returncode == 0, got.stderr
    assert report_lines(got) == cond_expected(base)


# --- vCPU events ------------------------------------------------------------------------------

def test_vcpu_init_idle_resume(asm_guest, case):
    """-smp 4: vCPUs 1-3 start powered off (idle after every init), vCPU 0 powers them on
    (resume) and each powers itself off when done (idle); the last one ends the run."""
    got = run_qemu_py(asm_guest("smp"), case("vcpu"), smp=4, cpu="max")
    assert got.returncode == 0, got.stderr
    assert report_lines(got) == [
        "install: aarch64 v2..5 system=1 smp=4 max=4 num_vcpus=0",
        "init 0 (num_vcpus 1)", "init 1 (num_vcpus 2)", "init 2 (num_vcpus 3)",
        "init 3 (num_vcpus 4)",
        "idle 1 (num_vcpus 4)", "idle 2 (num_vcpus 4)", "idle 3 (num_vcpus 4)",
        "idle 0 (num_vcpus 4)",
        "resume 1 (num_vcpus 4)", "idle 1 (num_vcpus 4)",
        "resume 2 (num_vcpus 4)", "idle 2 (num_vcpus 4)",
        "resume 3 (num_vcpus 4)"]


def test_bb_reports_idling_vcpus(asm_guest, plugins):
    got = run_qemu_py(asm_guest("smp"), f"{plugins.ours('bb')},idle=on", smp=4, cpu="max")
    assert got.returncode == 0, got.stderr
    assert report_lines(got)[:3] == ["Idling CPU0: bb's: 1008, insns: 3044",
                                     "Idling CPU1: bb's: 2001, insns: 6014",
                                     "Idling CPU2: bb's: 3001, insns: 9014"]


# --- the library -----------------------------------------------------------------------------

LIBRARY_SCRIPT = """
import sys
from qemu_py import Machine, MachineConfig
from qemu_py.errors import PluginError
from qemu_py.plugins import PluginHost, parse_options
elf, insn, bb, misuse = sys.argv[1:5]
for spec in (insn + ",inline=on", bb):
    m = Machine(MachineConfig(kernel=elf))
    host = PluginHost(m, 1)                 # reports on stdout
    host.load(parse_options([spec]))
    host.start()
    print(m.run().executed, flush=True)
    host.close()                            # reports; the next machine may have plugins
m = Machine(MachineConfig(kernel=elf))
host = PluginHost(m, 1)
host.load(parse_options([misuse + ",mode=tb_exec"]))
host.start()
try:
    m.run()
except PluginError as e:
    print("PluginError:", e, flush=True)
"""


def test_library_machines_one_after_another(asm_guest, plugins, case, tmp_path):
    import subprocess
    import sys
    from plugin_helpers import REPO
    script = tmp_path / "lib.py"
    script.write_text(LIBRARY_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), str(asm_guest("loop")),
                           str(plugins.ours("insn")), str(plugins.ours("bb")),
                           str(case("misuse"))], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "4005", "cpu 0 insns: 4005", "total insns: 4005",
        "4005", "CPU0: bb's: 1001, insns: 4005", "Total: bb's: 1001, insns: 4005",
        "block callback",
        "PluginError: plugin API misuse: qemu_plugin_tb_n_insns: block handle used outside the "
        "translation callback that made it"]


# --- time control ----------------------------------------------------------------------------

def test_time_control_moves_the_virtual_clock(asm_guest, case):
    """The plugin moves the clock to 1 s (the counter runs at 62.5 MHz: 62,500,000 ticks) before
    the guest's second read; moving it back, or with a wrong handle, does nothing."""
    elf = asm_guest("clock")
    plain = run_qemu_py(elf)
    assert [int(v, 16) for v in plain.stdout.split()][1] < 1000
    got = run_qemu_py(elf, case("clock"))
    assert got.returncode == 0, got.stderr
    before, after = (int(v, 16) for v in got.stdout.split())
    assert before < 1000
    assert 62_500_000 <= after < 62_500_000 + 1000
