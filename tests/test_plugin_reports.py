"""The example plugins' arguments and reports, run in a stand-in host (tests/plugin_host/host.c).

The host replays scripted translations, executions and memory accesses through the plugin API,
so each plugin's logic and report format is checked against hand-computed expectations written
from the specification's section 5, without the emulator core. (Against real guests and against
Debian's qemu-system-aarch64 they are compared by the runtime's tests.)
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INCLUDE = ROOT / "qemu_py"
EXAMPLES = ["hotblocks", "hotpages", "howvec", "insn", "bb", "mem", "execlog"]


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    out = tmp_path_factory.mktemp("host")
    host = out / "host"
    # With glib's headers the host also offers registers (for execlog's reg=).
    glib = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0"], capture_output=True,
                          text=True) if shutil.which("pkg-config") else None
    glib_flags = ["-DHOST_WITH_GLIB", *glib.stdout.split()] if glib and glib.returncode == 0 else []
    subprocess.run(["cc", "-Wall", "-Wextra", "-Werror", "-rdynamic", f"-I{INCLUDE}",
                    str(ROOT / "tests" / "plugin_host" / "host.c"), "-o", str(host), *glib_flags,
                    "-ldl"], check=True)
    (out / "has_glib").write_text("1" if glib_flags else "")
    for name in EXAMPLES:
        subprocess.run(["cc", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", f"-I{INCLUDE}",
                        str(ROOT / "plugins" / f"{name}.c"), "-o", str(out / f"lib{name}.so")],
                       check=True)
    return out


def run(tools, script):
    """Run a host script ({lib} stands for the plugins' folder); returns (stdout, stderr, rc)."""
    r = subprocess.run([str(tools / "host")], input=script.replace("{lib}", str(tools)),
                       capture_output=True, text=True, timeout=60)
    return r.stdout, r.stderr, r.returncode


def ok(tools, script):
    out, err, rc = run(tools, script)
    assert rc == 0, err
    return out


# Two blocks: A = nop; ldr x0,[x1]; ret at 0x40000000, B = add at 0x40001000.
BLOCKS = """
tb A 40000000
insn d503201f "nop "
insn f9400020 "ldr x0, [x1]" main
insn d65f03c0 "ret " main
end
tb B 40001000
insn 91000400 "add x0, x0, #1"
end
"""


# ---- common argument handling ------------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_unknown_argument_is_refused(tools, name):
    out, err, rc = run(tools, f"plugin {{lib}}/lib{name}.so bogus=1\n")
    assert rc == 1 and out == "install returned -1\n"
    assert err == "option parsing failed: bogus=1\n"


@pytest.mark.parametrize("name,flag", [("hotblocks", "inline"), ("hotpages", "io"),
                                       ("howvec", "verbose"), ("insn", "sizes"), ("bb", "idle"),
                                       ("mem", "haddr"), ("execlog", "rdisas")])
def test_bad_boolean_is_refused(tools, name, flag):
    out, err, rc = run(tools, f"plugin {{lib}}/lib{name}.so {flag}=maybe\n")
    assert rc == 1
    assert err == f"boolean argument parsing failed: {flag}=maybe\n"


# ---- bb ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("inline", ["off", "on"])
def test_bb_counts_blocks_and_full_lengths_per_vcpu(tools, inline):
    out = ok(tools, f"smp 3\nplugin {{lib}}/libbb.so inline={inline}\ninit\n{BLOCKS}"
                    "run 0 A\nrun 2 A\nrun 0 B\nrun 0 A\nexit\n")
    # vCPU 1 ran nothing: no line for it.
    assert out == ("CPU0: bb's: 3, insns: 7\n"
                   "CPU2: bb's: 1, insns: 3\n"
                   "Total: bb's: 4, insns: 10\n")


def test_bb_idle_prints_running_totals_of_vcpus_that_ran(tools):
    out = ok(tools, f"smp 2\nplugin {{lib}}/libbb.so idle=on\ninit\nidle 1\n{BLOCKS}"
                    "run 0 A\nidle 0\nidle 1\nrun 0 B\nexit\n")
    assert out == ("Idling CPU0: bb's: 1, insns: 3\n"
                   "CPU0: bb's: 2, insns: 4\n"
                   "Total: bb's: 2, insns: 4\n")


# ---- insn ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("inline", ["off", "on"])
def test_insn_counts_per_vcpu(tools, inline):
    out = ok(tools, f"smp 2\nplugin {{lib}}/libinsn.so inline={inline}\ninit\n{BLOCKS}"
                    "run 0 A\nrun 1 B\nrun 0 B\nexit\n")
    assert out == "cpu 0 insns: 4\ncpu 1 insns: 1\ntotal insns: 5\n"


def test_insn_sizes_count_at_translation(tools):
    # A translated twice (6 instructions), B once; executions don't matter.
    out = ok(tools, f"plugin {{lib}}/libinsn.so sizes=on\ninit\n{BLOCKS}{BLOCKS}"
                    "run 0 A\nrun 0 A\nexit\n")
    assert out == "len 4 bytes: 8 insns\n"


def test_insn_match_and_trace(tools):
    out = ok(tools, f"smp 2\nplugin {{lib}}/libinsn.so match=ldr match=ret match=add "
                    f"trace=on\ninit\n{BLOCKS}run 0 A\nrun 1 A\nrun 0 B\nrun 0 A\nexit\n")
    delta = "\u0394"
    assert out.splitlines() == [
        # Records are announced at translation, in instruction order.
        "Created record for: 40000004 ldr x0, [x1]",
        "Created record for: 40000008 ret ",
        "Created record for: 40001000 add x0, x0, #1",
        # vCPU 0 runs A: the ldr is its 2nd instruction, the ret its 3rd.
        f"0x40000004, 'ldr x0, [x1]', 1 hits , cpu 0, 1 match hits, {delta}+2 since last match, "
        "2 avg insns/match",
        f"0x40000008, 'ret ', 1 hits , cpu 0, 1 match hits, {delta}+3 since last match, "
        "3 avg insns/match",
        f"0x40000004, 'ldr x0, [x1]', 2 hits , cpu 1, 1 match hits, {delta}+2 since last match, "
        "2 avg insns/match",
        f"0x40000008, 'ret ', 2 hits , cpu 1, 1 match hits, {delta}+3 since last match, "
        "3 avg insns/match",
        f"0x40001000, 'add x0, x0, #1', 1 hits , cpu 0, 1 match hits, {delta}+4 since last "
        "match, 4 avg insns/match",
        # vCPU 0's second A: instructions 5..7; ldr at 6 (delta 4), ret at 7 (delta 4).
        f"0x40000004, 'ldr x0, [x1]', 3 hits , cpu 0, 2 match hits, {delta}+4 since last match, "
        "3 avg insns/match",
        f"0x40000008, 'ret ', 3 hits , cpu 0, 2 match hits, {delta}+4 since last match, "
        "3 avg insns/match",
        "cpu 0 insns: 7",
        "cpu 1 insns: 3",
        "total insns: 10",
        "Match: ldr, hits 3",
        "  40000004: ldr x0, [x1] (hits 3)",
        "Match: ret, hits 3",
        "  40000008: ret  (hits 3)",
        "Match: add, hits 1",
        "  40001000: add x0, x0, #1 (hits 1)",
    ]


def test_insn_match_record_created_once_across_translations(tools):
    out = ok(tools, f"plugin {{lib}}/libinsn.so match=ld\ninit\n{BLOCKS}{BLOCKS}"
                    "run 0 A\nexit\n")
    assert out.count("Created record for: 40000004 ldr x0, [x1]\n") == 1
    assert out.endswith("Match: ld, hits 1\n  40000004: ldr x0, [x1] (hits 1)\n")


# ---- hotblocks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("inline", ["off", "on"])
def test_hotblocks_report(tools, inline):
    # A translated twice; a block C of another length at A's address is another key.
    script = (f"smp 2\nplugin {{lib}}/libhotblocks.so inline={inline}\ninit\n{BLOCKS}{BLOCKS}"
              "tb C 40000000\ninsn d503201f \"nop \"\nend\n"
              "run 0 A\nrun 1 A\nrun 0 A\nrun 0 B\nrun 1 B\nrun 0 C\nexit\n")
    out = ok(tools, script)
    assert out == ("collected 3 entries in the hash table\n"
                   "pc, tcount, icount, ecount\n"
                   "0x0000000040000000, 2, 3, 3\n"
                   "0x0000000040001000, 2, 1, 2\n")   # C (1 execution) is the unprinted last


def test_hotblocks_prints_at_most_20_rows(tools):
    lines = ["plugin {lib}/libhotblocks.so", "init"]
    for i in range(25):
        lines += [f"tb T{i} {0x40000000 + 0x100 * i:x}", 'insn d503201f "nop "', "end"]
        lines += [f"run 0 T{i}"] * (i + 1)
    out = ok(tools, "\n".join(lines + ["exit"]) + "\n").splitlines()
    assert out[0] == "collected 25 entries in the hash table"
    assert len(out) == 2 + 20
    assert out[2] == f"0x{0x40000000 + 0x100 * 24:016x}, 1, 1, 25"
    assert out[-1] == f"0x{0x40000000 + 0x100 * 5:016x}, 1, 1, 6"


def test_hotblocks_with_nothing_run(tools):
    assert ok(tools, "plugin {lib}/libhotblocks.so\ninit\nexit\n") == \
        "collected 0 entries in the hash table\n"


# ---- hotpages ------------------------------------------------------------------------------------

PAGES = (  # reads/writes by vCPU, through instruction 1 (the ldr) of A
    "run 0 A 1:r:1000:80001010:ram:3:0 1:r:1008:80001018:ram:3:0 1:w:2000:80002000:ram:3:0\n"
    "run 1 A 1:w:2008:80002008:ram:3:0 1:w:2010:80002010:ram:3:0 1:r:3000:-:ram:2:0\n"
    "run 1 A 1:r:9000010:9000010:io:2:0 1:r:9000014:9000014:io:2:0\n"
)


def test_hotpages_default_sort_by_accesses(tools):
    out = ok(tools, f"smp 2\nplugin {{lib}}/libhotpages.so\ninit\n{BLOCKS}{PAGES}exit\n")
    # Pages: RAM by physical address; no hwaddr or MMIO by virtual address.
    # 0x80002000: 3 writes (cpu0, cpu1) | 0x80001000: 2 reads | 0x9000000: 2 reads | 0x3000: 1
    lines = out.splitlines()
    assert lines[0] == "Addr, RCPUs, Reads, WCPUs, Writes"
    assert lines[1] == "0x0000000080002000, 0x0000, 0, 0x0003, 3"
    assert set(lines[2:4]) == {"0x0000000080001000, 0x0001, 2, 0x0000, 0",
                               "0x0000000009000000, 0x0002, 2, 0x0000, 0"}
    assert len(lines) == 4    # the last (0x3000) is never printed


def test_hotpages_sort_by_address_is_descending(tools):
    out = ok(tools, f"smp 2\nplugin {{lib}}/libhotpages.so sortby=address\ninit\n{BLOCKS}"
                    f"{PAGES}exit\n")
    assert out.splitlines()[1:] == ["0x0000000080002000, 0x0000, 0, 0x0003, 3",
                                    "0x0000000080001000, 0x0001, 2, 0x0000, 0",
                                    "0x0000000009000000, 0x0002, 2, 0x0000, 0"]


def test_hotpages_io_and_pagesize(tools):
    out = ok(tools, f"smp 2\nplugin {{lib}}/libhotpages.so io=on pagesize=8\ninit\n{BLOCKS}"
                    f"{PAGES}exit\n")
    # Only the two MMIO reads count, by virtual address: 0x9000010 and 0x9000014 share a page
    # of 8 bytes... so one page: no rows.
    assert out == "Addr, RCPUs, Reads, WCPUs, Writes\n"
    out = ok(tools, f"smp 2\nplugin {{lib}}/libhotpages.so io=on pagesize=4 sortby=reads\n"
                    f"init\n{BLOCKS}{PAGES}exit\n")
    assert out.splitlines()[0] == "Addr, RCPUs, Reads, WCPUs, Writes"
    assert out.splitlines()[1] in ("0x0000000009000010, 0x0002, 1, 0x0000, 0",
                                   "0x0000000009000014, 0x0002, 1, 0x0000, 0")
    assert len(out.splitlines()) == 2


def test_hotpages_bad_sortby(tools):
    out, err, rc = run(tools, "plugin {lib}/libhotpages.so sortby=size\n")
    assert rc == 1 and err == "invalid value to sortby: size\n"


# ---- howvec --------------------------------------------------------------------------------------

def cls(name, what):
    return f"Class: {name:<24}\t{what}"


@pytest.mark.parametrize("inline", ["off", "on"])
def test_howvec_classes(tools, inline):
    out = ok(tools, f"plugin {{lib}}/libhowvec.so inline={inline}\ninit\n{BLOCKS}"
                    "run 0 A\nrun 0 A\nrun 0 B\nexit\n")
    # nop: NOP row (not counted); ldr x0,[x1] (0xf9400020): ldst reg (imm);
    # ret (0xd65f03c0): Branch (reg); add x0,x0,#1 (0x91000400): Add/Sub (imm).
    assert out.splitlines() == [
        "Instruction Classes:",
        cls("  UDEF", "not counted"),
        cls("  Add/Sub (imm)", "(1 hits)"),
        cls("    NOP", "not counted"),
        cls("  Branch (reg)", "(2 hits)"),
        cls("  ldst reg (imm)", "(2 hits)"),
    ]


def test_howvec_verbose_lists_every_class(tools):
    out = ok(tools, "plugin {lib}/libhowvec.so verbose=on\ninit\nexit\n").splitlines()
    assert out[0] == "Instruction Classes:"
    assert len(out) == 1 + 42
    assert out[3] == cls("Reserved", "(0 hits)")
    assert out[41] == cls("Scalar FP ", "(0 hits)")
    assert out[42] == cls("Unclassified", "(0 hits)")


def test_howvec_count_individually_and_not(tools):
    script = ("plugin {lib}/libhowvec.so count=ldsti count=!asi count=nosuchclass\ninit\n"
              f"{BLOCKS}"
              "tb D 40002000\ninsn f9400441 \"ldr x1, [x2, #8]\"\ninsn f9400020 \"ldr x0, [x1]\"\n"
              "insn f9400862 \"ldr x2, [x3, #16]\"\nend\n"
              "run 0 A\nrun 0 B\nrun 0 D\nrun 0 D\nrun 0 D\nexit\n")
    out = ok(tools, script).splitlines()
    assert out[:6] == [
        "Instruction Classes:",
        cls("  UDEF", "not counted"),
        cls("  Add/Sub (imm)", "not counted"),
        cls("    NOP", "not counted"),
        cls("  Branch (reg)", "(1 hits)"),
        cls("  ldst reg (imm)", "counted individually"),
    ]
    assert out[6] == "Individual Instructions:"
    # Three opcodes: 0xf9400020 4 hits, the other two 3 each; the last sorted is never printed.
    def instr(disas, hits, op):
        return f"Instr: {disas:<24}\t({hits} hits)\t(op=0x{op:08x}/  ldst reg (imm))"
    assert out[7] == instr("ldr x0, [x1]", 4, 0xf9400020)
    assert out[8] in (instr("ldr x1, [x2, #8]", 3, 0xf9400441),
                      instr("ldr x2, [x3, #16]", 3, 0xf9400862))
    assert len(out) == 9


# ---- mem -----------------------------------------------------------------------------------------

MEMRUN = ("run 0 A 1:r:1000:80001000:ram:3:1122334455667788 1:w:9000000:9000000:io:2:41\n"
          "run 1 A 1:w:2000:80002000:ram:0:ff\n")


@pytest.mark.parametrize("how", ["inline=on", "callback=on"])
def test_mem_counts(tools, how):
    out = ok(tools, f"smp 2\nplugin {{lib}}/libmem.so {how}\ninit\n{BLOCKS}{MEMRUN}exit\n")
    assert out == "mem accesses: 3\n"


def test_mem_track_and_haddr(tools):
    out = ok(tools, f"smp 2\nplugin {{lib}}/libmem.so callback=on track=w haddr=on\ninit\n"
                    f"{BLOCKS}{MEMRUN}exit\n")
    assert out == "mem accesses: 1\nio accesses: 1\n"
    # haddr without the callback: io stays 0, and with nothing else enabled there is no mem line.
    out = ok(tools, f"plugin {{lib}}/libmem.so haddr=on\ninit\n{BLOCKS}{MEMRUN}exit\n")
    assert out == "io accesses: 0\n"
    assert ok(tools, f"plugin {{lib}}/libmem.so\ninit\n{BLOCKS}{MEMRUN}exit\n") == ""


def test_mem_argument_errors(tools):
    _, err, rc = run(tools, "plugin {lib}/libmem.so inline=on callback=on\n")
    assert rc == 1 and err == "can't enable inline and callback counting at the same time\n"
    _, err, rc = run(tools, "plugin {lib}/libmem.so track=x\n")
    assert rc == 1 and err == "invalid value for argument track: track=x\n"


def test_mem_print_accesses(tools):
    script = (f"smp 2\nplugin {{lib}}/libmem.so print-accesses=on\ninit\n{BLOCKS}{MEMRUN}"
              "run 0 B 0:r:5000:-:ram:1:beef 0:w:6000:80006000:ram:4:0123456789abcdef:fedcba9876543210\n"
              "exit\n")
    assert ok(tools, script).splitlines() == [
        "insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value",
        "0x40000004,main,0x1000,0x80001000,64,load,0x1122334455667788",
        "0x40000004,main,0x9000000,0x9000000,32,store,0x00000041",
        "0x40000004,main,0x2000,0x80002000,8,store,0xff",
        "0x40001000,,0x5000,0x0,16,load,0xbeef",
        "0x40001000,,0x6000,0x80006000,128,store,0xfedcba98765432100123456789abcdef",
    ]


def test_mem_region_summary(tools):
    script = (f"smp 2\nplugin {{lib}}/libmem.so region-summary=on\ninit\n{BLOCKS}"
              # region 0x40000000: store 4 bytes at +0x10, read them back, then read 2 of them.
              "run 0 A 1:w:40000010:40000010:ram:2:aabbccdd 1:r:40000010:40000010:ram:2:aabbccdd "
              "1:r:40000012:40000012:ram:1:aabb\n"
              # a load of something never stored: warned once per region.
              "run 0 A 1:r:40000100:40000100:ram:3:5 1:r:40000108:40000108:ram:3:6\n"
              # region 0x40004000: a clean byte round trip.
              "run 1 A 1:w:40004001:40004001:ram:0:7f 1:r:40004001:40004001:ram:0:7f\n"
              "exit\n")
    assert ok(tools, script).splitlines() == [
        "Warning: 0x0000000040000000:256 read an un-instrumented value",   # once per region
        "Region Base, Reads, Writes, Seen all",
        "0x0000000040000000, 4, 1, false",
        "0x0000000040004000, 1, 1, true",
    ]


def test_mem_region_summary_one_region_prints_header_only(tools):
    script = (f"plugin {{lib}}/libmem.so region-summary=on callback=on\ninit\n{BLOCKS}"
              "run 0 A 1:w:40000010:40000010:ram:2:1 1:r:40000010:40000010:ram:2:1\nexit\n")
    assert ok(tools, script) == "mem accesses: 2\nRegion Base, Reads, Writes, Seen all\n"


# ---- execlog -------------------------------------------------------------------------------------

def test_execlog_logs_every_instruction_with_accesses(tools):
    script = (f"smp 2\nplugin {{lib}}/libexeclog.so\ninit\n{BLOCKS}"
              "run 0 A 1:r:1000:80001000:ram:3:0\nrun 0 B\n"
              "run 0 A 1:w:9000000:9000000:io:2:0 1:r:7000:-:ram:2:0\nexit\n")
    assert ok(tools, script).splitlines() == [
        '0, 0x40000000, 0xd503201f, "nop "',
        '0, 0x40000004, 0xf9400020, "ldr x0, [x1]", load, 0x80001000, RAM',
        '0, 0x40000008, 0xd65f03c0, "ret "',
        '0, 0x40001000, 0x91000400, "add x0, x0, #1"',
        '0, 0x40000000, 0xd503201f, "nop "',
        '0, 0x40000004, 0xf9400020, "ldr x0, [x1]", store, 0x09000000, pl011, load, 0x00007000',
        # at exit: vCPU 0's pending line, then vCPU 1's empty buffer as a bare newline
        '0, 0x40000008, 0xd65f03c0, "ret "',
        "",
    ]


def test_execlog_filters(tools):
    script = (f"plugin {{lib}}/libexeclog.so ifilter=ret afilter=0x40001000\ninit\n{BLOCKS}"
              "run 0 A 1:r:1000:80001000:ram:3:0\nrun 0 B\nrun 0 A\nexit\n")
    assert ok(tools, script).splitlines() == [
        '0, 0x40000008, 0xd65f03c0, "ret "',
        '0, 0x40001000, 0x91000400, "add x0, x0, #1"',
        '0, 0x40000008, 0xd65f03c0, "ret "',
    ]


@pytest.fixture
def with_registers(tools):
    if not (tools / "has_glib").read_text():
        pytest.skip("glib development files not installed: the host offers no registers")


def test_execlog_register_changes(tools, with_registers):
    # x* matches x0 and x1, fpsr matches FPSR by its lower-case name; pc is not tracked.
    script = (f"plugin {{lib}}/libexeclog.so reg=x* reg=fpsr\ninit\n{BLOCKS}"
              "run 0 A 1:set:x0:1234 2:set:FPSR:10 2:set:pc:99\nrun 0 B\nexit\n")
    assert ok(tools, script).splitlines() == [
        '0, 0x40000000, 0xd503201f, "nop "',
        '0, 0x40000004, 0xf9400020, "ldr x0, [x1]", x0 -> 0x0000000000001234',
        '0, 0x40000008, 0xd65f03c0, "ret ", fpsr -> 0x00000010',
        '0, 0x40001000, 0x91000400, "add x0, x0, #1"',     # at exit: printed unchecked
    ]


def test_execlog_rdisas_checks_after_instructions_naming_a_register(tools, with_registers):
    # Only add is selected by the filter; rdisas logs ldr too (its operands name x1), and the
    # ret after it checks registers without being logged.
    script = (f"plugin {{lib}}/libexeclog.so ifilter=add reg=x1 rdisas=on\ninit\n{BLOCKS}"
              "run 0 A 1:set:x1:5\nexit\n")
    assert ok(tools, script).splitlines() == [
        '0, 0x40000004, 0xf9400020, "ldr x0, [x1]", x1 -> 0x0000000000000005',
        "",
    ]
