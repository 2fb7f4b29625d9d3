"""-symbols FILE: function names for qemu_plugin_insn_symbol from `nm` output or a System.map.

Truth: the guest ELF's own function symbols (pyelftools: STT_FUNC, st_value <= pc < st_value +
st_size) and QEMU 7.2's insn_symbol for the same ELF; the map itself is what binutils' nm prints
for it. The plugin is libmem with print-accesses=on, which prints the symbol of the instruction
making each access."""

import subprocess

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from plugin_helpers import Plugins, run_qemu, run_qemu_py
from test_cli import assert_one_line_error, qemu_py_system

NM = "aarch64-linux-gnu-nm"
GUEST = "branch"            # several C functions (fib, ack, main, puts...) and assembly


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    return Plugins(tmp_path_factory.mktemp("plugins"))


@pytest.fixture(scope="module")
def elf(guest_elf):
    return guest_elf(GUEST)


@pytest.fixture(scope="module")
def nm_map(elf, tmp_path_factory):
    out = tmp_path_factory.mktemp("symbols") / f"{GUEST}.nm"
    res = subprocess.run([NM, str(elf)], capture_output=True, check=True)
    out.write_bytes(res.stdout)
    return out


def elf_functions(elf):
    """(start, end, name) of the ELF's STT_FUNC symbols, by pyelftools."""
    out = []
    with open(elf, "rb") as f:
        for section in ELFFile(f).iter_sections():
            if isinstance(section, SymbolTableSection):
                for sym in section.iter_symbols():
                    if sym["st_info"]["type"] == "STT_FUNC" and sym["st_shndx"] != "SHN_UNDEF":
                        out.append((sym["st_value"], sym["st_value"] + sym["st_size"], sym.name))
    return out


def accesses_symbols(proc):
    """{instruction vaddr: symbol} from print-accesses lines."""
    assert proc.returncode == 0, proc.stderr
    out = {}
    for line in proc.stderr.decode().splitlines()[1:]:
        fields = line.split(",")
        if len(fields) == 7 and fields[0].startswith("0x"):
            out[int(fields[0], 16)] = fields[1]
    assert out, proc.stderr.decode()[:2000]
    return out


def test_nm_map_names_match_the_elf_and_qemu(plugins, elf, nm_map):
    got = accesses_symbols(run_qemu_py(elf, f"{plugins.ours('mem')},print-accesses=on",
                                       extra=("-symbols", nm_map)))
    functions = elf_functions(elf)
    covered = 0
    for pc, name in got.items():
        owners = [n for s, e, n in functions if s <= pc < e]
        if owners:
            assert name == owners[0], hex(pc)
            covered += 1
    assert covered > 0.9 * len(got)
    assert {"fib", "ack", "main", "puts"} <= set(got.values())
    # QEMU 7.2 names the same instructions from the ELF (its rule: STT_FUNC ranges).
    ref = accesses_symbols(run_qemu(elf, f"{plugins.v1('mem')},print-accesses=on"))
    named = {pc: n for pc, n in ref.items() if n}
    assert named and all(got[pc] == n for pc, n in named.items() if pc in got)
    # Instructions outside any function (the assembly start-up) get the text symbol before
    # them in the map, where the ELF rule gives none.
    nm = [line.split() for line in nm_map.read_text().splitlines()]
    text = {int(f[0], 16): f[2] for f in nm if len(f) == 3 and f[1] in "tTW"}
    starts = sorted(int(f[0], 16) for f in nm if len(f) == 3 and f[1] not in "aA")
    for pc, name in got.items():
        if not any(s <= pc < e for s, e, _ in functions):
            start = max(s for s in starts if s <= pc)
            assert start in text and name in [f[2] for f in nm if len(f) == 3 and
                                                int(f[0], 16) == start], hex(pc)


def test_the_map_replaces_the_elf_symbols(plugins, elf, nm_map, tmp_path):
    # A System.map-style file for the same image, every name changed: only the map's names
    # appear, so the ELF's symbols were not consulted.
    renamed = tmp_path / "System.map"
    lines = []
    for line in nm_map.read_text().splitlines():
        f = line.split()
        if len(f) == 3:
            lines.append(f"{f[0]} {f[1]} map_{f[2]}")
    renamed.write_text("\n".join(sorted(lines)) + "\n")
    got = accesses_symbols(run_qemu_py(elf, f"{plugins.ours('mem')},print-accesses=on",
                                       extra=("-symbols", renamed)))
    assert all(name.startswith("map_") for name in got.values()), set(got.values())
    assert "map_fib" in got.values()


def test_map_from_kallsyms_style_lines(plugins, elf, nm_map, tmp_path):
    # /proc/kallsyms lines carry a module name after the symbol; undefined nm lines have no
    # address. Both are accepted.
    odd = tmp_path / "kallsyms"
    text = [line + " [guest]" for line in nm_map.read_text().splitlines()
            if len(line.split()) == 3]
    odd.write_text("                 U undefined_here\n" + "\n".join(text) + "\n")
    got = accesses_symbols(run_qemu_py(elf, f"{plugins.ours('mem')},print-accesses=on",
                                       extra=("-symbols", odd)))
    assert "fib" in got.values()


@pytest.mark.parametrize("content, pattern", [
    (None, r"^qemu-py-system: -symbols .*/missing\.map: No such file or directory$"),
    ("0000000040080000 T _start\nnot a symbol line\n",
     r"^qemu-py-system: -symbols .*/bad\.map:2: cannot read 'not a symbol line'"),
    ("40080000 T _start\nzz4008 T main\n", r"-symbols .*/bad\.map:2: cannot read"),
    ("0000000040080000 Q _start\n", r"-symbols .*/bad\.map:1: cannot read"),
])
def test_bad_symbol_files_are_one_line_errors(plugins, elf, tmp_path, content, pattern):
    path = tmp_path / ("missing.map" if content is None else "bad.map")
    if content is not None:
        path.write_text(content)
    # With a plugin, and without one (the map is checked either way).
    for extra in ((f"-plugin", f"{plugins.ours('mem')}"), ()):
        proc = qemu_py_system("-M", "virt", "-nographic", "-kernel", elf, "-symbols", path,
                              *extra)
        assert_one_line_error(proc, pattern)
        assert proc.stdout == b""
