"""The library's public API (qemu_py.Machine and its views): construction and errors,
registers, system registers, physical and virtual memory, run/step/breakpoints, the UART and the
exit code. Expected values are worked out by hand from the snippets and the Arm ARM (page table
formats, NZCV), or come from the guests' own printed output."""

import io
import struct

import pytest

import qemu_py
from library_helpers import BRK_VECTOR, CODE, SUM_LOOP, VECTORS, asm, machine_with

LOOP = CODE + 8         # the add
BRK = CODE + 20


# --- construction ----------------------------------------------------------------------------


def test_machine_options_and_memory_sizes():
    m = qemu_py.Machine(cpu="cortex-a57", memory="256M", smp=2)
    assert m.memory.size == 256 << 20 and m.memory.base == 0x40000000
    assert len(m.cpus) == 2 and m.cpus[1].index == 1
    assert qemu_py.Machine(memory=8 << 20).memory.size == 8 << 20
    assert qemu_py.Machine(memory="1.5M").memory.size == 1536 << 10
    assert qemu_py.Machine(memory="16").memory.size == 16 << 20      # MiB, as -m
    m = qemu_py.Machine(qemu_py.MachineConfig(cpu="max", memory=32 << 20))
    assert m.config.cpu == "max"
    assert m.cpus[0].sysregs["midr_el1"] == 0x000F0510


@pytest.mark.parametrize("options, words", [
    ({"cpu": "cortex-a99"}, "unable to find CPU model 'cortex-a99'"),
    ({"memory": "lots"}, "memory size 'lots' is not understood"),
    ({"memory": 4097}, "not a multiple of 4 KiB"),
    ({"smp": 9}, "invalid number of vCPUs 9"),
    ({"colour": "red"}, "unknown machine option(s): colour"),
    ({"kernel": "/nonexistent/guest.elf"}, "could not load kernel '/nonexistent/guest.elf'"),
])
def test_bad_configuration_is_a_config_error(options, words):
    with pytest.raises(qemu_py.ConfigError) as e:
        qemu_py.Machine(**options)
    assert words in str(e.value)


def test_secondary_vcpus_wait_for_psci():
    m = machine_with("b .", smp=2)
    m.run(max_insns=100)
    assert m.cpus[0].insn_count == 100 and m.cpus[1].insn_count == 0


# --- registers -------------------------------------------------------------------------------


def test_registers_get_and_set():
    m = machine_with("add x2, x0, x1\nmov x3, sp\nbrk #0")
    regs = m.cpus[0].regs
    regs.x[0] = 40
    regs.x[1] = 2
    regs.sp = 0x40100000
    assert m.step().reason == "step"
    assert regs.x[2] == 42 and regs.pc == CODE + 4
    m.step()
    assert regs.x[3] == 0x40100000
    regs.x[-1] = 7                                # x30
    assert regs.x[30] == 7 and len(regs.x) == 31
    assert list(regs.x)[:4] == [40, 2, 42, 0x40100000]
    regs.x[5] = -1
    assert regs.x[5] == (1 << 64) - 1
    with pytest.raises(IndexError):
        regs.x[31]
    dump = regs.dump()
    assert dump["x2"] == 42 and dump["pc"] == CODE + 8 and dump["el"] == 1


def test_nzcv_both_ways():
    m = machine_with("cmp x0, x1\ncset x2, eq\ncset x3, lt\nbrk #0")
    regs = m.cpus[0].regs
    regs.x[0], regs.x[1] = 1, 2
    m.step()
    assert regs.nzcv == 0x80000000                 # 1 - 2: negative, borrow (C clear)
    regs.nzcv = 0x40000000                         # Z set by hand: EQ holds, LT does not
    m.step()
    m.step()
    assert regs.x[2] == 1 and regs.x[3] == 0


def test_vector_registers_are_128_bit():
    m = machine_with("ins v3.d[1], x0\nins v3.d[0], x1\numov x5, v4.d[1]\nbrk #0")
    m.cpus[0].sysregs["cpacr_el1"] = 3 << 20        # FP/SIMD not trapped
    regs = m.cpus[0].regs
    regs.x[0], regs.x[1] = 0x1122334455667788, 0x99AABBCCDDEEFF00
    regs.v[4] = (0xCAFE << 64) | 1
    m.run(until_pc=CODE + 12)
    assert regs.v[3] == 0x1122334455667788_99AABBCCDDEEFF00
    assert regs.x[5] == 0xCAFE
    assert len(regs.v) == 32 and regs.v[-1] == 0


def test_system_registers_by_name():
    m = machine_with("mrs x0, vbar_el1\nmsr tpidr_el1, x1\nmrs x2, currentel\nbrk #0")
    cpu = m.cpus[0]
    cpu.regs.x[1] = 0x1234
    m.run(until_pc=CODE + 12)
    assert cpu.regs.x[0] == VECTORS == cpu.sysregs["VBAR_EL1"]
    assert cpu.sysregs["tpidr_el1"] == 0x1234
    assert cpu.regs.x[2] == 4 == cpu.sysregs["currentel"]          # EL1
    assert cpu.sysregs["mpidr_el1"] == 0x80000000
    assert "sctlr_el1" in cpu.sysregs and "vbar_el1" in cpu.sysregs.names()
    with pytest.raises(KeyError, match="unknown system register 'foo_el1'"):
        cpu.sysregs["foo_el1"]
    with pytest.raises(KeyError, match="read-only"):
        cpu.sysregs["cntvct_el0"] = 0


def test_el0_from_python():
    # Dropping to EL0 by hand: the SPs are banked, SVC comes back to EL1 at VBAR+0x400.
    m = machine_with("svc #3")
    cpu = m.cpus[0]
    cpu.sysregs["sp_el1"] = 0x40200000
    cpu.regs.el = 0
    cpu.regs.sp = 0x40300000
    assert cpu.sysregs["sp_el0"] == 0x40300000
    assert m.step().reason == "step"
    assert cpu.regs.el == 1 and cpu.regs.pc == VECTORS + 0x400
    assert cpu.regs.sp == 0x40200000
    assert cpu.sysregs["esr_el1"] >> 26 == 0x15 and cpu.sysregs["esr_el1"] & 0xffff == 3


# --- memory ----------------------------------------------------------------------------------


def test_physical_memory():
    m = qemu_py.Machine(memory="16M")
    m.memory.write(0x40001000, b"hello")
    assert m.memory.read(0x40001000, 5) == b"hello"
    m.memory.write_u64(0x40001008, 0x0102030405060708)
    assert m.memory.read(0x40001008, 2) == b"\x08\x07"
    assert m.memory.read_u32(0x4000100C) == 0x01020304
    top = 0x40000000 + (16 << 20)
    with pytest.raises(qemu_py.MemoryAccessError, match="not all in RAM"):
        m.memory.read(top - 2, 4)
    with pytest.raises(qemu_py.MemoryAccessError):
        m.memory.write(0x09000000, b"x")                # the UART is not memory


def test_memory_write_drops_translated_code():
    m = machine_with("mov x0, #1\nb .")
    m.run(max_insns=10)
    assert m.cpus[0].regs.x[0] == 1
    m.memory.write(CODE, asm("mov x0, #2"))
    m.cpus[0].regs.pc = CODE
    m.run(max_insns=1)
    assert m.cpus[0].regs.x[0] == 2


def _map_pages(m):
    """Stage 1 tables, 4K granule, T0SZ=25 (39-bit VAs start at level 1), by the Arm ARM's
    descriptor formats: VA 0x0000 -> PA 0x40200000 (read/write at EL1), VA 0x1000 ->
    PA 0x40205000 (read-only, AP=0b10), VA 0x2000 unmapped."""
    l1, l2, l3 = 0x40100000, 0x40101000, 0x40102000
    table = 0b11
    page = 0b11 | (1 << 10)                     # valid page, AF; AttrIndx 0
    m.memory.write_u64(l1, l2 | table)
    m.memory.write_u64(l2, l3 | table)
    m.memory.write_u64(l3, 0x40200000 | page)
    m.memory.write_u64(l3 + 8, 0x40205000 | page | (0b10 << 6))
    sys = m.cpus[0].sysregs
    sys["mair_el1"] = 0xff
    sys["ttbr0_el1"] = l1
    sys["tcr_el1"] = 25 | (1 << 23)             # T0SZ=25, TG0=4K, EPD1 (no TTBR1 walks)
    sys["sctlr_el1"] = sys["sctlr_el1"] | 1     # M


def test_virtual_memory_through_the_mmu():
    m = qemu_py.Machine(memory="16M")
    _map_pages(m)
    cpu = m.cpus[0]
    m.memory.write(0x40200FF8, b"ABCDEFGH")
    m.memory.write(0x40205000, b"12345678")
    assert cpu.translate(0x10) == 0x40200010
    assert cpu.translate(0x1008, "r") == 0x40205008
    assert cpu.read_virt(0xFFC, 8) == b"EFGH1234"               # across the page boundary
    cpu.write_virt(0xFF8, b"ab")
    assert m.memory.read(0x40200FF8, 2) == b"ab"
    with pytest.raises(qemu_py.MemoryAccessError, match="permission fault, level 3") as e:
        cpu.write_virt(0xFFE, b"xyzw")                           # second page is read-only
    assert e.value.address == 0x1000 or e.value.address == 0xFFE
    assert m.memory.read(0x40200FFE, 2) == b"GH"                # nothing written
    with pytest.raises(qemu_py.MemoryAccessError, match="translation fault, level 3"):
        cpu.read_virt(0x2000, 4)
    with pytest.raises(qemu_py.MemoryAccessError, match="translation fault"):
        cpu.read_virt(0xFFFF000000000000, 4)                    # TTBR1 walks disabled
    # The guest agrees with the library about the mapping.
    m.memory.write(0x40200000 + 0x100, asm("ldr x0, [x1]\nbrk #0"))
    cpu.sysregs["vbar_el1"] = 0x800
    cpu.regs.x[1] = 0x1000
    cpu.regs.pc = 0x100
    m.step()
    assert cpu.regs.x[0] == int.from_bytes(b"12345678", "little")


# --- running ---------------------------------------------------------------------------------


def test_run_to_max_insns_is_exact():
    m = machine_with(SUM_LOOP)
    res = m.run(max_insns=7)          # mov, mov, add, subs, b.ne, add, subs
    assert res.reason == qemu_py.StopReason.BUDGET and res.executed == 7
    regs = m.cpus[0].regs
    assert (regs.x[0], regs.x[1], regs.pc) == (3, 9, CODE + 16)
    res = m.run(until_pc=BRK_VECTOR)
    assert res.reason == "break" and res.executed == 17 - 7
    assert regs.x[1] == 15 and m.cpus[0].sysregs["elr_el1"] == BRK


def test_step_is_one_instruction_or_one_exception():
    m = machine_with(SUM_LOOP)
    regs = m.cpus[0].regs
    pcs = []
    while True:
        pcs.append(regs.pc)
        res = m.step()
        if res.reason != "step":
            break
        assert res.executed == 1
    # 2 movs, then 5 rounds of add/subs/b.ne, then the BRK enters its exception.
    assert len(pcs) == 2 + 15 + 1
    assert pcs[:5] == [CODE, CODE + 4, LOOP, LOOP + 4, LOOP + 8] and pcs[-1] == BRK
    assert res.reason == qemu_py.StopReason.EXCEPTION and res.executed == 0
    assert regs.pc == BRK_VECTOR and m.cpus[0].sysregs["elr_el1"] == BRK
    assert m.cpus[0].sysregs["esr_el1"] >> 26 == 0x3C           # BRK from AArch64


def test_breakpoints():
    m = machine_with(SUM_LOOP)
    regs = m.cpus[0].regs
    m.add_breakpoint(LOOP)
    m.add_breakpoint(BRK)
    m.add_breakpoint(LOOP)                     # twice is once
    assert m.breakpoints == [LOOP, BRK]
    hits = []
    while True:
        res = m.run()
        assert res.reason == "break"
        hits.append((res.pc, regs.x[0]))
        if res.pc == BRK:
            break
    assert hits == [(LOOP, 5), (LOOP, 4), (LOOP, 3), (LOOP, 2), (LOOP, 1), (BRK, 0)]
    m.remove_breakpoint(LOOP)
    with pytest.raises(KeyError):
        m.remove_breakpoint(LOOP)
    regs.pc = CODE
    res = m.run()
    assert res.reason == "break" and res.pc == BRK and res.executed == 17


def test_breakpoint_set_after_the_code_ran():
    # The block holding the address was translated already: it must be split.
    m = machine_with(SUM_LOOP)
    m.run(max_insns=4)                          # up to the first b.ne
    m.add_breakpoint(LOOP + 4)
    res = m.run()                               # b.ne, add
    assert res.reason == "break" and res.pc == LOOP + 4 and res.executed == 2
    assert m.cpus[0].regs.x[0] == 4 and m.cpus[0].regs.x[1] == 5 + 4


def test_until_pc_and_timeout():
    m = machine_with(SUM_LOOP)
    res = m.run(until_pc=BRK)
    assert res.reason == "break" and res.executed == 17 and m.cpus[0].regs.x[1] == 15
    assert m.breakpoints == []                  # until_pc leaves nothing behind
    m = machine_with("b .")
    res = m.run(timeout_insns=1000)
    assert res.reason == qemu_py.StopReason.TIMEOUT and res.executed == 1000
    res = m.run(max_insns=10, timeout_insns=1000)
    assert res.reason == "budget" and res.executed == 10


def test_exit_code_through_semihosting():
    m = machine_with("""
        adr x1, block
        mov x0, #0x20            // SYS_EXIT_EXTENDED
        hlt #0xf000
        b .
    block:
        .quad 0x20026, 42        // ADP_Stopped_ApplicationExit, status
    """, semihosting=True)
    res = m.run(max_insns=100)
    assert res.reason == "exit" and m.exit_code == 42


# --- the UART --------------------------------------------------------------------------------

HELLO = b"Hello from a bare-metal AArch64 guest!\n"


def test_uart_output_buffer_callback_and_stream(guest_elf):
    elf = str(guest_elf("hello"))
    m = qemu_py.Machine()
    assert m.load(elf) == 0x40080000
    assert m.run().reason == "poweroff"
    assert m.uart.output == HELLO and m.uart.read() == HELLO and m.uart.read() == b""

    pieces = []
    m = qemu_py.Machine(kernel=elf)
    m.uart.on_output = pieces.append
    m.run()
    assert b"".join(pieces) == HELLO and m.uart.read() == b""

    stream = io.BytesIO()
    m = qemu_py.Machine(kernel=elf)
    m.uart.on_output = stream
    m.run()
    assert stream.getvalue() == HELLO

    text = io.StringIO()
    m = qemu_py.Machine(kernel=elf)
    m.uart.on_output = text
    m.run()
    assert text.getvalue() == HELLO.decode()


# Echo what the UART receives in upper case until a newline, then power off.
ECHO = """
    movz x1, #0x0900, lsl #16
    mov w2, #0x301               // UARTCR: UARTEN, TXE, RXE
    str w2, [x1, #0x30]
1:  ldr w3, [x1, #0x18]          // UARTFR
    tbnz w3, #4, 1b              // RXFE: nothing received yet
    ldr w4, [x1]
    and w4, w4, #0xff
    cmp w4, #'a'
    b.lo 2f
    cmp w4, #'z'
    b.hi 2f
    sub w4, w4, #32
2:  str w4, [x1]
    cmp w4, #10
    b.ne 1b
    movz x0, #0x0008
    movk x0, #0x8400, lsl #16
    hvc #0
"""


def test_uart_input():
    m = machine_with(ECHO)
    text = "Hello, qemu_py! " * 8 + "\n"        # longer than the 16-byte receive FIFO
    assert m.uart.write(text) == len(text)
    res = m.run(timeout_insns=10_000_000)
    assert res.reason == "poweroff"
    assert m.uart.read() == text.upper().encode()
    assert m.uart.pending_input == 0


def test_uart_input_given_between_runs():
    m = machine_with(ECHO)
    assert m.run(max_insns=5000).reason == "budget"     # polling an empty FIFO
    m.uart.write(b"ab")
    m.run(max_insns=5000)
    assert m.uart.read() == b"AB"
    m.uart.write(b"c\n")
    assert m.run().reason == "poweroff"
    assert m.uart.read() == b"C\n"


def test_run_result_names_the_cpu_and_pc():
    m = machine_with(SUM_LOOP)
    res = m.run(until_pc=LOOP)
    assert (res.cpu, res.pc) == (0, LOOP)
    assert str(res.reason) == "break"
    assert struct.calcsize("<Q") == 8
