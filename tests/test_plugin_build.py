"""The plugin headers and the example plugins, checked without running the emulator.

Truth is the plugin API specification (QEMU 10.2, API version 5): the 63 signatures, struct
layouts and enum values below are transcribed from it, and the C compiler checks the headers
against them (types compatible, offsets, values). The example plugins are built with the one
documented command and inspected with pyelftools.
"""

import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

ROOT = Path(__file__).resolve().parents[1]
INCLUDE = ROOT / "qemu_py"
PLUGIN_H = INCLUDE / "plugin.h"
QEMU_PLUGIN_H = INCLUDE / "qemu-plugin.h"
PLUGIN_SRC = ROOT / "plugins"
EXAMPLES = ["hotblocks", "hotpages", "howvec", "insn", "bb", "mem", "execlog"]
WARN = ["-Wall", "-Wextra", "-Werror"]

# The API functions, as the specification's tables give them.
API = """
void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_exit_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_idle_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_resume_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_discon_cb(qemu_plugin_id_t id, enum qemu_plugin_discon_type type, qemu_plugin_vcpu_discon_cb_t cb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_syscall_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_syscall_cb_t cb);
void qemu_plugin_register_vcpu_syscall_ret_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_syscall_ret_cb_t cb);
void qemu_plugin_register_flush_cb(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_vcpu_for_each(qemu_plugin_id_t id, qemu_plugin_vcpu_simple_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest, size_t len);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void *qemu_plugin_insn_haddr(const struct qemu_plugin_insn *insn);
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_cond_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, enum qemu_plugin_cond cond, qemu_plugin_u64 entry, uint64_t imm, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, qemu_plugin_u64 entry, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cond_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags, enum qemu_plugin_cond cond, qemu_plugin_u64 entry, uint64_t imm, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, qemu_plugin_u64 entry, uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_vcpu_mem_inline_per_vcpu(struct qemu_plugin_insn *insn, enum qemu_plugin_mem_rw rw, enum qemu_plugin_op op, qemu_plugin_u64 entry, uint64_t imm);
struct qemu_plugin_scoreboard *qemu_plugin_scoreboard_new(size_t element_size);
void qemu_plugin_scoreboard_free(struct qemu_plugin_scoreboard *score);
void *qemu_plugin_scoreboard_find(struct qemu_plugin_scoreboard *score, unsigned int vcpu_index);
void qemu_plugin_u64_add(qemu_plugin_u64 entry, unsigned int vcpu_index, uint64_t added);
uint64_t qemu_plugin_u64_get(qemu_plugin_u64 entry, unsigned int vcpu_index);
void qemu_plugin_u64_set(qemu_plugin_u64 entry, unsigned int vcpu_index, uint64_t val);
uint64_t qemu_plugin_u64_sum(qemu_plugin_u64 entry);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_sign_extended(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_big_endian(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
qemu_plugin_mem_value qemu_plugin_mem_get_value(qemu_plugin_meminfo_t info);
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info, uint64_t vaddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);
const char *qemu_plugin_hwaddr_device_name(const struct qemu_plugin_hwaddr *h);
GArray *qemu_plugin_get_registers(void);
int qemu_plugin_read_register(struct qemu_plugin_register *handle, GByteArray *buf);
int qemu_plugin_write_register(struct qemu_plugin_register *handle, GByteArray *buf);
bool qemu_plugin_read_memory_vaddr(uint64_t addr, GByteArray *data, size_t len);
bool qemu_plugin_write_memory_vaddr(uint64_t addr, GByteArray *data);
enum qemu_plugin_hwaddr_operation_result qemu_plugin_read_memory_hwaddr(uint64_t addr, GByteArray *data, size_t len);
enum qemu_plugin_hwaddr_operation_result qemu_plugin_write_memory_hwaddr(uint64_t addr, GByteArray *data);
bool qemu_plugin_translate_vaddr(uint64_t vaddr, uint64_t *hwaddr);
void qemu_plugin_reset(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb);
void qemu_plugin_uninstall(qemu_plugin_id_t id, qemu_plugin_simple_cb_t cb);
const void *qemu_plugin_request_time_control(void);
void qemu_plugin_update_ns(const void *handle, int64_t time);
void qemu_plugin_outs(const char *string);
bool qemu_plugin_bool_parse(const char *name, const char *val, bool *ret);
int qemu_plugin_num_vcpus(void);
const char *qemu_plugin_path_to_binary(void);
uint64_t qemu_plugin_start_code(void);
uint64_t qemu_plugin_end_code(void);
uint64_t qemu_plugin_entry_code(void);
"""

# The callback types of the specification (section 2.6), as (name, return, parameters).
CALLBACKS = [
    ("qemu_plugin_simple_cb_t", "void", "qemu_plugin_id_t id"),
    ("qemu_plugin_udata_cb_t", "void", "qemu_plugin_id_t id, void *userdata"),
    ("qemu_plugin_vcpu_simple_cb_t", "void", "qemu_plugin_id_t id, unsigned int vcpu_index"),
    ("qemu_plugin_vcpu_udata_cb_t", "void", "unsigned int vcpu_index, void *userdata"),
    ("qemu_plugin_vcpu_discon_cb_t", "void",
     "qemu_plugin_id_t id, unsigned int vcpu_index, enum qemu_plugin_discon_type type, "
     "uint64_t from_pc, uint64_t to_pc"),
    ("qemu_plugin_vcpu_tb_trans_cb_t", "void", "qemu_plugin_id_t id, struct qemu_plugin_tb *tb"),
    ("qemu_plugin_vcpu_mem_cb_t", "void",
     "unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata"),
    ("qemu_plugin_vcpu_syscall_cb_t", "void",
     "qemu_plugin_id_t id, unsigned int vcpu_index, int64_t num, uint64_t a1, uint64_t a2, "
     "uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8"),
    ("qemu_plugin_vcpu_syscall_ret_cb_t", "void",
     "qemu_plugin_id_t id, unsigned int vcpu_idx, int64_t num, int64_t ret"),
]

# Enum members and their values (section 2.5).
ENUMS = {
    "QEMU_PLUGIN_CB_NO_REGS": 0, "QEMU_PLUGIN_CB_R_REGS": 1, "QEMU_PLUGIN_CB_RW_REGS": 2,
    "QEMU_PLUGIN_MEM_R": 1, "QEMU_PLUGIN_MEM_W": 2, "QEMU_PLUGIN_MEM_RW": 3,
    "QEMU_PLUGIN_MEM_VALUE_U8": 0, "QEMU_PLUGIN_MEM_VALUE_U16": 1,
    "QEMU_PLUGIN_MEM_VALUE_U32": 2, "QEMU_PLUGIN_MEM_VALUE_U64": 3,
    "QEMU_PLUGIN_MEM_VALUE_U128": 4,
    "QEMU_PLUGIN_COND_NEVER": 0, "QEMU_PLUGIN_COND_ALWAYS": 1, "QEMU_PLUGIN_COND_EQ": 2,
    "QEMU_PLUGIN_COND_NE": 3, "QEMU_PLUGIN_COND_LT": 4, "QEMU_PLUGIN_COND_LE": 5,
    "QEMU_PLUGIN_COND_GT": 6, "QEMU_PLUGIN_COND_GE": 7,
    "QEMU_PLUGIN_INLINE_ADD_U64": 0, "QEMU_PLUGIN_INLINE_STORE_U64": 1,
    "QEMU_PLUGIN_DISCON_INTERRUPT": 1, "QEMU_PLUGIN_DISCON_EXCEPTION": 2,
    "QEMU_PLUGIN_DISCON_HOSTCALL": 4, "QEMU_PLUGIN_DISCON_ALL": -1,
    "QEMU_PLUGIN_HWADDR_OPERATION_OK": 0, "QEMU_PLUGIN_HWADDR_OPERATION_ERROR": 1,
    "QEMU_PLUGIN_HWADDR_OPERATION_DEVICE_ERROR": 2,
    "QEMU_PLUGIN_HWADDR_OPERATION_ACCESS_DENIED": 3,
    "QEMU_PLUGIN_HWADDR_OPERATION_INVALID_ADDRESS": 4,
    "QEMU_PLUGIN_HWADDR_OPERATION_INVALID_ADDRESS_SPACE": 5,
}

# (type, member, offset) on LP64, plus sizes (sections 2.3 and 2.4).
OFFSETS = [
    ("qemu_info_t", "target_name", 0), ("qemu_info_t", "version.min", 8),
    ("qemu_info_t", "version.cur", 12), ("qemu_info_t", "system_emulation", 16),
    ("qemu_info_t", "system.smp_vcpus", 20), ("qemu_info_t", "system.max_vcpus", 24),
    ("qemu_plugin_u64", "score", 0), ("qemu_plugin_u64", "offset", 8),
    ("qemu_plugin_mem_value", "type", 0), ("qemu_plugin_mem_value", "data", 8),
    ("qemu_plugin_mem_value", "data.u128.low", 8), ("qemu_plugin_mem_value", "data.u128.high", 16),
    ("qemu_plugin_reg_descriptor", "handle", 0), ("qemu_plugin_reg_descriptor", "name", 8),
    ("qemu_plugin_reg_descriptor", "feature", 16),
]
SIZES = {"qemu_info_t": 32, "qemu_plugin_u64": 16, "qemu_plugin_mem_value": 24,
         "qemu_plugin_reg_descriptor": 24, "qemu_plugin_meminfo_t": 4, "qemu_plugin_id_t": 8}


def api_signatures():
    """[(name, return type, parameters)] of the 63 functions."""
    out = []
    for line in API.strip().splitlines():
        m = re.fullmatch(r"(.*?)\b(qemu_plugin_\w+)\((.*)\);", line.strip())
        out.append((m.group(2), m.group(1).strip(), m.group(3)))
    return out


API_NAMES = {name for name, _, _ in api_signatures()}


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout}{r.stderr}"
    return r


def glib_flags(kind):
    if not shutil.which("pkg-config"):
        pytest.skip("pkg-config not installed")
    r = subprocess.run(["pkg-config", kind, "glib-2.0"], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("glib development files not installed (apt-get install libglib2.0-dev)")
    return r.stdout.split()


# ---- the header --------------------------------------------------------------------------------

def test_spec_lists_63_functions():
    assert len(API_NAMES) == 63 == len(api_signatures())


def test_header_has_63_markers_one_per_api_function():
    text = PLUGIN_H.read_text()
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    assert len(re.findall(r"\bQEMU_PLUGIN_API\b", code)) == 63 + 1   # 63 markers + the #define
    assert len(re.findall(r"^QEMU_PLUGIN_API$", text, re.M)) == 63
    marked = re.findall(r"^QEMU_PLUGIN_API\s*\n(?:[^;(]*?)\b(qemu_plugin_\w+)\s*\(", text, re.M)
    assert len(marked) == 63
    assert set(marked) == API_NAMES
    declared = set(re.findall(r"\b(qemu_plugin_\w+)\s*\(", text)) - {"qemu_plugin_install"}
    declared -= {"qemu_plugin_scoreboard_u64", "qemu_plugin_scoreboard_u64_in_struct"}  # macros
    assert declared == API_NAMES


def test_header_needs_no_glib_and_has_guards():
    text = PLUGIN_H.read_text()
    assert "#include <glib" not in text
    for inc in ("<inttypes.h>", "<stdbool.h>", "<stddef.h>"):
        assert f"#include {inc}" in text
    assert 'extern "C"' in text
    assert re.search(r"#ifndef __G_ARRAY_H__\s*\ntypedef struct _GArray GArray;\s*\n"
                     r"typedef struct _GByteArray GByteArray;\s*\n#endif", text)
    guard = re.search(r"#ifndef (\w+)\s*\n#define \1\b", text)
    assert guard and text.rstrip().endswith("#endif /* %s */" % guard.group(1))


def test_qemu_plugin_h_includes_glib_then_plugin_h():
    includes = re.findall(r'^#include\s+(\S+)', QEMU_PLUGIN_H.read_text(), re.M)
    assert includes == ["<glib.h>", '"plugin.h"']


@pytest.mark.parametrize("lang", ["c11", "c99", "gnu17", "c++11", "c++17"])
def test_header_compiles_alone(tmp_path, lang):
    cxx = lang.startswith("c++")
    src = tmp_path / ("t.cc" if cxx else "t.c")
    src.write_text('#include "plugin.h"\n#include "plugin.h"\n')   # twice: the guard works
    # C99 has no anonymous unions, which qemu_info_t's layout uses (as QEMU's header does).
    pedantic = [] if lang in ("gnu17", "c99") else ["-pedantic"]
    run(["g++" if cxx else "cc", f"-std={lang}", *WARN, *pedantic, "-fsyntax-only",
         f"-I{INCLUDE}", str(src)])


@pytest.mark.parametrize("order", ["glib_first", "plugin_first", "qemu_plugin_h"])
@pytest.mark.parametrize("compiler", ["cc", "g++"])
def test_header_with_glib(tmp_path, order, compiler):
    """Plugins that use glib: the forward declarations agree with glib's, in either order."""
    cflags = glib_flags("--cflags")
    body = {"glib_first": "#include <glib.h>\n#include \"plugin.h\"\n",
            "plugin_first": "#include \"plugin.h\"\n#include <glib.h>\n",
            "qemu_plugin_h": "#include <qemu-plugin.h>\n"}[order]
    # A glib user's typical calls: the register list and a byte array for reads.
    body += """
int read_all(void);
int read_all(void)
{
    GArray *regs = qemu_plugin_get_registers();
    GByteArray *buf = g_byte_array_new();
    int total = 0;
    for (guint i = 0; regs && i < regs->len; i++) {
        qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
        total += qemu_plugin_read_register(d->handle, buf);
    }
    g_byte_array_free(buf, TRUE);
    if (regs) {
        g_array_free(regs, TRUE);
    }
    return total;
}
"""
    src = tmp_path / ("t.cc" if compiler == "g++" else "t.c")
    src.write_text(body)
    run([compiler, *WARN, "-fsyntax-only", f"-I{INCLUDE}", *cflags, str(src)])


def layout_program():
    """C source whose compilation asserts the specification's ABI facts about plugin.h."""
    lines = ['#include "plugin.h"', "#include <assert.h>", "#include <stdint.h>",
             "#define SAME(a, b) __builtin_types_compatible_p(__typeof__(a), b)",
             "_Static_assert(QEMU_PLUGIN_VERSION == 5, \"version\");"]
    for name, value in ENUMS.items():
        lines.append(f"_Static_assert({name} == {value}, \"{name}\");")
    for typ, member, off in OFFSETS:
        lines.append(f"_Static_assert(offsetof({typ}, {member}) == {off}, \"{typ}.{member}\");")
    for typ, size in SIZES.items():
        lines.append(f"_Static_assert(sizeof({typ}) == {size}, \"sizeof {typ}\");")
    # Member types.
    lines += [
        "static qemu_info_t info;",
        "_Static_assert(SAME(info.target_name, const char *), \"target_name\");",
        "_Static_assert(SAME(info.version.min, int) && SAME(info.version.cur, int), \"version\");",
        "_Static_assert(SAME(info.system_emulation, bool), \"system_emulation\");",
        "_Static_assert(SAME(info.system.smp_vcpus, int) && SAME(info.system.max_vcpus, int), \"system\");",
        "static qemu_plugin_mem_value mv;",
        "_Static_assert(SAME(mv.type, enum qemu_plugin_mem_value_type), \"mv.type\");",
        "_Static_assert(SAME(mv.data.u8, uint8_t) && SAME(mv.data.u16, uint16_t), \"mv small\");",
        "_Static_assert(SAME(mv.data.u32, uint32_t) && SAME(mv.data.u64, uint64_t), \"mv big\");",
        "_Static_assert(SAME(mv.data.u128.low, uint64_t) && SAME(mv.data.u128.high, uint64_t), \"u128\");",
        "static qemu_plugin_u64 e;",
        "_Static_assert(SAME(e.score, struct qemu_plugin_scoreboard *) && SAME(e.offset, size_t), \"u64\");",
        "static qemu_plugin_reg_descriptor rd;",
        "_Static_assert(SAME(rd.handle, struct qemu_plugin_register *), \"rd.handle\");",
        "_Static_assert(SAME(rd.name, const char *) && SAME(rd.feature, const char *), \"rd strings\");",
        "_Static_assert(SAME(qemu_plugin_id_t, uint64_t), \"id\");",
        "_Static_assert(SAME(qemu_plugin_meminfo_t, uint32_t), \"meminfo\");",
        "_Static_assert(SAME(&qemu_plugin_version, int *), \"qemu_plugin_version\");",
        "_Static_assert(SAME(&qemu_plugin_install, int (*)(qemu_plugin_id_t, const qemu_info_t *,"
        " int, char **)), \"qemu_plugin_install\");",
    ]
    for name, ret, params in CALLBACKS:
        lines.append(f"_Static_assert(SAME({name}, {ret} (*)({params})), \"{name}\");")
    for name, ret, params in api_signatures():
        # "T *f(...)" → pointer type "T *(*)(...)"
        lines.append(f"_Static_assert(SAME(&{name}, {ret} (*)({params})), \"{name}\");")
    # The scoreboard macros build the entries plugins pass by value.
    lines += [
        "struct pair { uint64_t a; uint64_t b; };",
        "qemu_plugin_u64 entry_b(struct qemu_plugin_scoreboard *s);",
        "qemu_plugin_u64 entry_b(struct qemu_plugin_scoreboard *s)",
        "{",
        "    qemu_plugin_u64 whole = qemu_plugin_scoreboard_u64(s);",
        "    qemu_plugin_u64 b = qemu_plugin_scoreboard_u64_in_struct(s, struct pair, b);",
        "    return whole.offset == 0 && b.score == s ? b : whole;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def test_layouts_enums_and_signatures_match_the_spec(tmp_path):
    src = tmp_path / "layout.c"
    src.write_text(layout_program())
    run(["cc", "-std=gnu11", *WARN, "-c", f"-I{INCLUDE}", str(src), "-o", str(tmp_path / "l.o")])


def test_layout_check_catches_a_wrong_header(tmp_path):
    """The check above can fail: a header with one value changed is rejected."""
    broken = tmp_path / "inc"
    broken.mkdir()
    text = PLUGIN_H.read_text().replace("QEMU_PLUGIN_COND_GE = 7", "QEMU_PLUGIN_COND_GE = 8")
    text = text.replace("size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest,"
                        " size_t len);",
                        "const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);")
    (broken / "plugin.h").write_text(text)
    src = tmp_path / "layout.c"
    src.write_text(layout_program())
    r = subprocess.run(["cc", "-std=gnu11", "-c", f"-I{broken}", str(src), "-o",
                        str(tmp_path / "l.o")], capture_output=True, text=True)
    assert r.returncode != 0
    assert "QEMU_PLUGIN_COND_GE" in r.stderr and "qemu_plugin_insn_data" in r.stderr


def test_export_macros_keep_the_plugin_symbols_visible(tmp_path):
    """With -fvisibility=hidden, QEMU_PLUGIN_EXPORT still exports and QEMU_PLUGIN_LOCAL hides."""
    src = tmp_path / "vis.c"
    src.write_text('#include "plugin.h"\n'
                   "QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;\n"
                   "QEMU_PLUGIN_LOCAL int helper_value = 3;\n"
                   "int also_hidden = 4;\n"
                   "QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,\n"
                   "    const qemu_info_t *info, int argc, char **argv)\n"
                   "{ (void)id; (void)info; (void)argc; (void)argv;\n"
                   "  return helper_value + also_hidden - 7; }\n")
    lib = tmp_path / "libvis.so"
    run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", *WARN, f"-I{INCLUDE}", str(src),
         "-o", str(lib)])
    names = {s.name for s in dynamic_symbols(lib) if s["st_shndx"] != "SHN_UNDEF"}
    assert {"qemu_plugin_version", "qemu_plugin_install"} <= names
    assert not {"helper_value", "also_hidden"} & names


# ---- the example plugins ----------------------------------------------------------------------

def dynamic_symbols(path):
    with open(path, "rb") as f:
        elf = ELFFile(f)
        return list(elf.get_section_by_name(".dynsym").iter_symbols())


@pytest.fixture(scope="module")
def header_only_include(tmp_path_factory):
    """A folder holding plugin.h and nothing else: the plugins must need no other header."""
    inc = tmp_path_factory.mktemp("include")
    shutil.copy(PLUGIN_H, inc / "plugin.h")
    return inc


@pytest.fixture(scope="module")
def built(tmp_path_factory, header_only_include):
    """Each example built with the documented one-line command."""
    out = tmp_path_factory.mktemp("plugins")
    libs = {}
    for name in EXAMPLES:
        lib = out / f"lib{name}.so"
        run(["cc", "-shared", "-fPIC", *WARN, f"-I{header_only_include}",
             str(PLUGIN_SRC / f"{name}.c"), "-o", str(lib)])
        libs[name] = lib
    return libs


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_is_a_shared_object(built, name):
    with open(built[name], "rb") as f:
        elf = ELFFile(f)
        assert elf["e_type"] == "ET_DYN"
        needed = [t.needed for t in elf.get_section_by_name(".dynamic").iter_tags()
                  if t.entry.d_tag == "DT_NEEDED"]
    # Links against nothing of qemu_py (nor glib): the C library at most.
    assert all(re.fullmatch(r"lib(c|dl)\.so\.\d+", n) for n in needed), needed


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_imports_only_api_functions(built, name):
    syms = dynamic_symbols(built[name])
    undefined = {s.name for s in syms if s["st_shndx"] == "SHN_UNDEF" and s.name}
    from_us = {n for n in undefined if n.startswith("qemu_")}
    assert from_us, "a plugin calls the API"
    assert from_us <= API_NAMES, from_us - API_NAMES
    defined = {s.name for s in syms if s["st_shndx"] != "SHN_UNDEF"}
    assert not defined & API_NAMES, "a plugin must not define API functions"
    assert {n for n in defined if n.startswith("qemu_")} == {"qemu_plugin_version",
                                                            "qemu_plugin_install"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_exports_version_5_and_install(built, name):
    with open(built[name], "rb") as f:
        elf = ELFFile(f)
        syms = {s.name: s for s in elf.get_section_by_name(".dynsym").iter_symbols()}
        install = syms["qemu_plugin_install"]
        assert install["st_info"]["type"] == "STT_FUNC"
        assert install["st_info"]["bind"] == "STB_GLOBAL"
        assert install["st_other"]["visibility"] == "STV_DEFAULT"
        assert install["st_shndx"] != "SHN_UNDEF"
        version = syms["qemu_plugin_version"]
        assert version["st_info"]["type"] == "STT_OBJECT"
        assert version["st_info"]["bind"] == "STB_GLOBAL"
        assert version["st_size"] == 4
        section = elf.get_section(version["st_shndx"])
        offset = version["st_value"] - section["sh_addr"]
        value, = struct.unpack_from("<i", section.data(), offset)
    assert value == 5


def test_makefile_builds_every_example(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make not installed")
    run(["make", "-s", "-C", str(PLUGIN_SRC), f"OUT={tmp_path}"])
    assert sorted(p.name for p in tmp_path.glob("lib*.so")) == sorted(
        f"lib{n}.so" for n in EXAMPLES)


def test_python_m_qemu_py_include_names_the_header_folder():
    r = subprocess.run([sys.executable, "-m", "qemu_py", "--include"], capture_output=True,
                       text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    if r.returncode != 0:
        pytest.skip("python -m qemu_py --include not available yet")
    folder = Path(r.stdout.strip())
    assert (folder / "plugin.h").is_file() and (folder / "qemu-plugin.h").is_file()
    assert folder.resolve() == INCLUDE.resolve()


def test_guide_example_builds_with_the_guide_command(tmp_path, header_only_include):
    """docs/plugins.md's example plugin compiles with the command the guide gives."""
    guide = (ROOT / "docs" / "plugins.md").read_text()
    example = re.search(r"```c\n(.*?)```", guide, re.S).group(1)
    assert "qemu_plugin_install" in example
    src = tmp_path / "foo.c"
    src.write_text(example)
    assert "cc -shared -fPIC -Wall -Wextra -Werror -I" in guide
    run(["cc", "-shared", "-fPIC", *WARN, f"-I{header_only_include}", str(src), "-o",
         str(tmp_path / "libfoo.so")])
