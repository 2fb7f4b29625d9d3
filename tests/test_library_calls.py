"""The public calls the other library tests do not reach: set_entry, load_kernel with its
companions, reset, the physical-memory aliases, the semihosting console, the -d event log,
CPU.step, the stop reasons for stuck guests, virtual time between runs, Hook and Snapshot
details, get_include and the reprs. Expected values are worked out by hand from the snippets,
the Arm ARM (ESR and SPSR layouts), the PSCI and semihosting specifications and the documented
image placement (the device tree is decoded by dtc, not by us)."""

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import qemu_py
from library_helpers import BRK_VECTOR, CODE, SUM_LOOP, VECTORS, asm, machine_with

LOOP = CODE + 8
BRK = CODE + 20
RAM = 0x40000000
KERNEL = RAM + 0x80000          # where a raw image goes, as on QEMU's virt


# --- set_entry -----------------------------------------------------------------------------------


def test_set_entry_sets_registers_and_parks_the_other_vcpus():
    m = qemu_py.Machine(memory="16M", smp=2)
    m.memory.write(CODE, asm("add x2, x0, x1\nmov x3, sp\nmrs x4, vbar_el1\nb ."))
    m.set_entry(CODE, x0=40, x1=2, sp=0x40100000, VBAR_EL1=0x40002000, x5=-1)
    cpu = m.cpus[0]
    assert cpu.regs.pc == CODE and cpu.regs.el == 1
    assert cpu.regs.x[5] == (1 << 64) - 1                   # masked to 64 bits
    m.run(max_insns=1000)
    assert (cpu.regs.x[2], cpu.regs.x[3], cpu.regs.x[4]) == (42, 0x40100000, 0x40002000)
    assert m.cpus[1].insn_count == 0                        # off until PSCI CPU_ON


def test_set_entry_refuses_unknown_registers_before_changing_anything():
    m = machine_with("b .")
    m.cpus[0].regs.x[0] = 7
    for name in ("bogus", "cntvct_el0"):                    # unknown; read-only
        with pytest.raises(KeyError, match=f"set_entry: unknown or read-only register '{name}'"):
            m.set_entry(CODE + 0x100, x0=1, **{name: 1})
    assert m.cpus[0].regs.pc == CODE and m.cpus[0].regs.x[0] == 7


# --- images ----------------------------------------------------------------------------------------


def _dts(blob: bytes, tmp_path: Path) -> str:
    dtc = shutil.which("dtc")
    if dtc is None:
        pytest.fail("dtc (device-tree-compiler) is needed to decode the generated device tree")
    (tmp_path / "out.dtb").write_bytes(blob)
    return subprocess.run([dtc, "-q", "-I", "dtb", "-O", "dts", str(tmp_path / "out.dtb")],
                          check=True, capture_output=True, text=True).stdout


def _fdt_at(m: qemu_py.Machine, addr: int) -> bytes:
    magic, size = struct.unpack(">II", m.memory.read(addr, 8))
    assert magic == 0xD00DFEED
    return m.memory.read(addr, size)


def test_load_kernel_places_a_raw_image_its_initrd_and_the_device_tree(tmp_path):
    (tmp_path / "kernel.bin").write_bytes(asm("nop\nb ."))
    initrd = bytes(range(256)) * 4
    (tmp_path / "initrd.img").write_bytes(initrd)
    m = qemu_py.Machine(memory="64M")
    entry = m.load_kernel(str(tmp_path / "kernel.bin"), initrd=str(tmp_path / "initrd.img"),
                          append="console=ttyAMA0 quiet")
    # Raw image at RAM + 0x80000; the initrd at RAM + min(RAM / 2, 128 MiB); the DTB at the
    # next 2 MiB boundary after the initrd. Linux boot protocol: X0 = the DTB, X1-X3 zero.
    assert entry == KERNEL and m.cpus[0].regs.pc == KERNEL
    assert m.memory.read(KERNEL, 8) == asm("nop\nb .")
    initrd_at = RAM + (32 << 20)
    assert m.memory.read(initrd_at, len(initrd)) == initrd
    regs = m.cpus[0].regs
    assert regs.x[0] == initrd_at + (2 << 20)
    assert (regs.x[1], regs.x[2], regs.x[3]) == (0, 0, 0)
    dts = _dts(_fdt_at(m, regs.x[0]), tmp_path)
    assert 'bootargs = "console=ttyAMA0 quiet";' in dts
    assert f"linux,initrd-start = <0x00 {initrd_at:#010x}>;" in dts        # two address cells
    assert f"linux,initrd-end = <0x00 {initrd_at + len(initrd):#010x}>;" in dts
    assert m.config.kernel == str(tmp_path / "kernel.bin") and m.config.append.endswith("quiet")


def test_load_kernel_with_a_device_tree_file(tmp_path):
    (tmp_path / "kernel.bin").write_bytes(asm("nop\nb ."))
    first = qemu_py.Machine(memory="64M", kernel=str(tmp_path / "kernel.bin"), append="mine")
    blob = _fdt_at(first, first.cpus[0].regs.x[0])
    (tmp_path / "board.dtb").write_bytes(blob)
    m = qemu_py.Machine(memory="64M")
    m.load_kernel(str(tmp_path / "kernel.bin"), dtb=str(tmp_path / "board.dtb"))
    assert _fdt_at(m, m.cpus[0].regs.x[0]) == blob           # that file, not a generated one
    assert 'bootargs = "mine";' in _dts(blob, tmp_path)


# PSCI SYSTEM_RESET (function 0x84000009) over HVC.
RESET = "movz x0, #0x0009\nmovk x0, #0x8400, lsl #16\nhvc #0\nb ."


def test_psci_system_reset_then_reset(tmp_path):
    image = asm(RESET)
    (tmp_path / "kernel.bin").write_bytes(image)
    m = qemu_py.Machine(memory="64M", kernel=str(tmp_path / "kernel.bin"))
    dtb = m.cpus[0].regs.x[0]
    res = m.run(max_insns=100)
    assert res.reason == qemu_py.StopReason.RESET and res.executed == 3
    m.memory.write(KERNEL, bytes(len(image)))               # the guest's RAM changed...
    m.memory.write(RAM + 0x1000, b"kept")
    m.cpus[0].regs.x[0] = 0
    m.reset()                                               # ...the image is copied again
    assert m.memory.read(KERNEL, len(image)) == image
    assert m.memory.read(RAM + 0x1000, 4) == b"kept"        # the rest of RAM is not cleared
    assert m.cpus[0].regs.pc == KERNEL and m.cpus[0].regs.x[0] == dtb
    assert m.run(max_insns=100).reason == "reset"


# --- memory and output aliases ---------------------------------------------------------------------


def test_physical_memory_aliases_and_u32():
    m = qemu_py.Machine(memory="16M")
    m.write_phys(0x40000100, b"\x01\x02\x03\x04")
    assert m.read_phys(0x40000100, 4) == b"\x01\x02\x03\x04"
    m.memory.write_u32(0x40000104, 0x1_DEADBEEF)           # masked to 32 bits
    assert m.read_phys(0x40000104, 4) == b"\xef\xbe\xad\xde"
    assert m.memory.read_u64(0x40000100) == 0xDEADBEEF_04030201
    with pytest.raises(qemu_py.MemoryAccessError):
        m.read_phys(0x3FFFFFFF, 2)


def test_machine_on_output_is_the_uarts(guest_elf):
    pieces = []
    m = qemu_py.Machine(kernel=str(guest_elf("hello")))
    m.on_output = pieces.append
    assert m.on_output is m.uart.on_output
    m.run()
    assert b"".join(pieces) == b"Hello from a bare-metal AArch64 guest!\n"


# SYS_WRITE0 (0x04) of "hi\n", SYS_WRITEC (0x03) of "!", SYS_EXIT (0x18) with status 0.
SEMIHOSTED = """
    adr x1, text
    mov x0, #0x04
    hlt #0xf000
    adr x1, bang
    mov x0, #0x03
    hlt #0xf000
    adr x1, block
    mov x0, #0x18
    hlt #0xf000
    b .
text:  .asciz "hi\\n"
bang:  .ascii "!"
    .balign 8
block: .quad 0x20026, 0
"""


def test_semihosting_console_output():
    m = machine_with(SEMIHOSTED, semihosting=True)
    assert m.run(max_insns=100).reason == "exit" and m.exit_code == 0
    assert m.semihosting_output == b"hi\n!" == m.semihosting_console.output
    assert m.uart.output == b""
    got = []
    m = machine_with(SEMIHOSTED, semihosting=True)
    m.on_semihosting_output = got.append
    assert m.on_semihosting_output == got.append == m.semihosting_console.on_output
    m.run(max_insns=100)
    assert b"".join(got) == b"hi\n!" and m.semihosting_output == b""


# --- the -d event log ------------------------------------------------------------------------------


def test_log_events_reach_on_log():
    m = machine_with(SUM_LOOP)
    events = []
    m.on_log = events.extend
    m.set_log_mask("exec")
    m.run(until_pc=BRK)
    # One event per block run: CODE through the first b.ne, then the loop body four times.
    assert [(kind, cpu, pc) for kind, cpu, pc, *_ in events] == \
        [("exec", 0, CODE)] + [("exec", 0, LOOP)] * 4
    events.clear()
    m.set_log_mask(["int"])
    m.run(until_pc=BRK_VECTOR)
    # The BRK's exception: ELR = the brk, ESR = EC 0x3C | IL | imm16 7, SPSR = EL1h with DAIF
    # masked (as after reset) and Z and C set by the last subs, the new pc the vector.
    assert events == [("exception", 0, BRK, 0xF2000007, 0x600003C5, BRK_VECTOR, 0)]
    with pytest.raises(qemu_py.ConfigError, match="unknown log item"):
        m.set_log_mask("in_asm,nonsense")
    m.set_log_mask(0)
    events.clear()
    m.cpus[0].regs.pc = CODE
    m.run(until_pc=BRK)
    assert events == []


# --- stepping one vCPU and stuck guests --------------------------------------------------------


def test_cpu_step_runs_only_that_vcpu():
    # vCPU 0 starts vCPU 1 at CODE + 0x100 with PSCI CPU_ON (context id 5 in its x0).
    m = machine_with("""
        movz x0, #0x0003
        movk x0, #0xc400, lsl #16
        mov x1, #1
        adr x2, second
        mov x3, #5
        hvc #0
        b .
        .balign 0x100
    second:
        add x0, x0, #10
        b second
    """, smp=2)
    m.run(max_insns=6)
    assert m.cpus[1].insn_count == 0 and m.cpus[1].regs.x[0] == 5
    before = m.cpus[0].insn_count
    res = m.cpus[1].step()
    assert (res.reason, res.cpu, res.pc, res.executed) == ("step", 1, CODE + 0x104, 1)
    assert m.cpus[1].regs.x[0] == 15 and m.cpus[0].insn_count == before
    with pytest.raises(IndexError, match="no vCPU 2"):
        m.step(cpu=2)


def test_stuck_guests_stop_with_a_reason():
    m = qemu_py.Machine(memory="16M")
    m.memory.write(CODE, asm("udf #0"))
    m.set_entry(CODE)                      # VBAR_EL1 is 0: nothing there, the vector faults
    res = m.run(max_insns=10_000)
    assert res.reason == qemu_py.StopReason.EXCEPTION_LOOP and str(res.reason) == "exception-loop"
    assert m.cpus[0].sysregs["elr_el1"] & ~0xFFF == 0       # faulting in the (empty) vectors
    m = machine_with("wfi\nb .")            # interrupts masked, no timer: nothing can wake it
    res = m.run(max_insns=10_000)
    assert res.reason == qemu_py.StopReason.WFI and res.executed == 1


# --- virtual time ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shift", [0, 3])
def test_counter_between_runs_follows_the_instructions(shift):
    # CNTVCT at 62.5 MHz (16 ns a tick), 2**shift ns per instruction: the guest's own read
    # after 801 instructions, and the library's after 802, in one run or in pieces.
    source = "mov x5, #400\n1: subs x5, x5, #1\nb.ne 1b\nmrs x0, cntvct_el0\nb ."
    for pieces in ([802], [400, 402], [1] * 802):
        m = machine_with(source, icount_shift=shift)
        for n in pieces:
            m.run(max_insns=n)
        cpu = m.cpus[0]
        assert cpu.insn_count == 802
        assert cpu.regs.x[0] == (801 << shift) // 16
        assert cpu.sysregs["cntvct_el0"] == (802 << shift) // 16
    assert cpu.sysregs["cntfrq_el0"] == 62_500_000


# --- Hook, Snapshot, RunResult, reprs --------------------------------------------------------------


def test_hook_attributes():
    m = machine_with(SUM_LOOP)

    def at_loop(cpu, pc):
        pass
    one = m.hook_code(at_loop, LOOP)
    span = m.hook_mem(lambda *a: None, 0x40100000, 0x401000FF, access="w")
    everywhere = m.hook_block(at_loop)
    assert (one.kind, one.fn, one.begin, one.end, one.active) == ("code", at_loop, LOOP, LOOP, True)
    assert (span.kind, span.begin, span.end) == ("mem", 0x40100000, 0x401000FF)
    assert repr(one) == f"<code hook {LOOP:#x} -> at_loop>"
    assert repr(span) == "<mem hook 0x40100000-0x401000ff -> <lambda>>"
    assert repr(everywhere) == "<block hook -> at_loop>"
    assert m.hooks == [one, span, everywhere]
    one.remove()
    one.remove()                                    # twice is harmless
    assert not one.active and repr(one).endswith("(removed)>") and m.hooks == [span, everywhere]
    with pytest.raises(TypeError, match="a hook must be callable"):
        m.hook_code(42, LOOP)
    with pytest.raises(ValueError, match="bad address range"):
        m.hook_code(at_loop, LOOP + 8, LOOP)
    with pytest.raises(ValueError, match="access must be"):
        m.hook_mmio(at_loop, 0x09000000, 0x09000FFF, access="x")
    with pytest.raises(ValueError, match="kinds are among"):
        m.hook_exception(at_loop, kinds="syscall")


def test_snapshot_details(tmp_path):
    m = qemu_py.Machine(cpu="max", memory="16M", smp=2)
    m.memory.write(CODE, asm("b ."))
    m.set_entry(CODE)
    m.run(max_insns=123)
    snap = m.snapshot()
    assert snap.describe_config() == "-M virt -cpu max -m 16M -smp 2"
    assert snap.insn_count == 123 and snap.version == qemu_py.__version__
    snap.save(str(tmp_path / "s.qps"))
    again = qemu_py.Snapshot.load(str(tmp_path / "s.qps"))
    assert again.describe_config() == snap.describe_config() and again.insn_count == 123


def test_reprs_and_stop_reason_values():
    m = machine_with(SUM_LOOP, smp=2)
    res = m.run(until_pc=LOOP)
    assert repr(res) == f"RunResult(reason='break', executed=2, cpu=0, pc={LOOP:#x})"
    assert repr(m) == "<Machine virt -cpu cortex-a57 -m 64M -smp 2>"
    assert repr(m.cpus[0]) == f"<vCPU 0 pc={LOOP:#x} EL1>"
    assert repr(m.cpus[0].regs) == f"<registers of vCPU 0: pc={LOOP:#x} sp=0x0>"
    assert repr(m.cpus[1].sysregs) == "<system registers of vCPU 1>"
    assert repr(m.cpus[0].regs.v) == "<V0-V31 of vCPU 0>"
    assert repr(m.memory) == "<RAM 0x40000000-0x43ffffff>"
    m.uart.write(b"abc")
    assert repr(m.uart) == "<PL011 UART: output kept (0 bytes unread), 3 input bytes pending>"
    assert {r.value for r in qemu_py.StopReason} == {
        "budget", "timeout", "step", "break", "exception", "stopped", "poweroff", "reset",
        "exit", "exception-loop", "wfi", "plugin", "idle"}
    assert qemu_py.StopReason("exit") is qemu_py.StopReason.EXIT


def test_configuration_errors_of_the_constructor():
    with pytest.raises(qemu_py.ConfigError, match="either a MachineConfig or keyword options"):
        qemu_py.Machine(qemu_py.MachineConfig(), smp=2)
    with pytest.raises(qemu_py.ConfigError, match="only 'virt'"):
        qemu_py.Machine(machine="sbsa-ref")
    with pytest.raises(qemu_py.ConfigError, match="not a multiple of 4 KiB"):
        qemu_py.Machine(qemu_py.MachineConfig(memory=5000))


def test_get_include_holds_the_plugin_headers():
    include = Path(qemu_py.get_include())
    assert (include / "plugin.h").is_file() and (include / "qemu-plugin.h").is_file()
    assert "qemu_plugin_register_vcpu_tb_trans_cb" in (include / "plugin.h").read_text()
    assert '#include "plugin.h"' in (include / "qemu-plugin.h").read_text()


def test_bad_arguments_are_clear_errors():
    m = machine_with("b .")
    regs = m.cpus[0].regs
    with pytest.raises(IndexError, match="no register -32 in X0-X30"):
        regs.x[-32]
    with pytest.raises(IndexError, match="no register 32 in V0-V31"):
        regs.v[32] = 1
    assert regs.x[-31] == regs.x[0]
    with pytest.raises(TypeError, match="restore\\(\\) takes a Snapshot"):
        m.restore("state.qps")
    with pytest.raises(ValueError, match="breakpoint -0x4 is not a 64-bit virtual address"):
        m.add_breakpoint(-4)
    with pytest.raises(ValueError, match="until_pc 0x10000000000000000 is not"):
        m.run(until_pc=1 << 64)
    with pytest.raises(TypeError, match="UART input is bytes or str, not int"):
        m.uart.write(5)
    assert m.uart.pending_input == 0                 # nothing was queued
    with pytest.raises(ValueError, match="max_insns must not be negative"):
        m.run(max_insns=-1)
    with pytest.raises(ValueError, match="negative length"):
        m.memory.read(CODE, -1)
    with pytest.raises(ValueError, match="access must be 'r', 'w' or 'x'"):
        m.cpus[0].translate(CODE, "rw")
    with pytest.raises(ValueError, match="el must be 0 or 1"):
        regs.el = 2
    assert m.breakpoints == [] and m.run(max_insns=5).executed == 5
