"""The plugin loader's rules (plugin-api.md §4): each refusal is one line on stderr and exit
status 1 with nothing loaded half-way, plugins loaded before a failure still report, -plugin
parsing, ids, and the exported API."""

import re
import subprocess
from pathlib import Path

import pytest

from plugin_helpers import INCLUDE, REPO, Plugins, build_asm_guest, report_lines, run_qemu_py

PREFIX = "qemu-py-system: "


@pytest.fixture(scope="session")
def plugins(tmp_path_factory):
    return Plugins(tmp_path_factory.mktemp("plugins"))


@pytest.fixture(scope="session")
def loop_elf(tmp_path_factory):
    return build_asm_guest("loop", tmp_path_factory.mktemp("guests"))


def our_lines(proc):
    return [l for l in proc.stderr.decode().splitlines() if l.startswith(PREFIX)]


def assert_refused(proc, message):
    """Exit 1, the guest never ran, and exactly one line of ours: the given one."""
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err, err
    assert proc.stdout == b"", proc.stdout
    assert our_lines(proc) == [PREFIX + message], err


def test_missing_api_symbol(plugins, loop_elf):
    so = plugins.case("missing_symbol")
    proc = run_qemu_py(loop_elf, so)
    assert_refused(proc, f"Could not load plugin {so}: {so}: undefined symbol: "
                         "qemu_plugin_not_in_the_api")


@pytest.mark.parametrize("version", [0, 1, 6])
def test_version_out_of_range(plugins, loop_elf, version):
    so = plugins.case("version", f"VERSION={version}")
    proc = run_qemu_py(loop_elf, so)
    assert_refused(proc, f"Could not load plugin {so}: plugin requires API version {version}, "
                         "but qemu_py accepts API versions 2 to 5")


@pytest.mark.parametrize("version", [2, 5])
def test_version_in_range_loads(plugins, loop_elf, version):
    proc = run_qemu_py(loop_elf, plugins.case("version", f"VERSION={version}"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""


def test_no_version_symbol(plugins, loop_elf):
    so = plugins.case("version", "NO_VERSION")
    proc = run_qemu_py(loop_elf, so)
    assert_refused(proc, f"Could not load plugin {so}: plugin does not declare API version "
                         "(no qemu_plugin_version symbol); qemu_py accepts API versions 2 to 5")


@pytest.mark.parametrize("rc", [1, -1])
def test_install_refuses(plugins, loop_elf, rc):
    so = plugins.case("refuse", f"RC={rc}")
    proc = run_qemu_py(loop_elf, so)
    assert_refused(proc, f"Could not load plugin {so}: qemu_plugin_install returned error code {rc}")
    # Uninstalled on its behalf: its atexit callback is gone.
    assert b"refused plugin reported" not in proc.stderr


def test_not_a_shared_object(loop_elf, tmp_path):
    text = tmp_path / "libtext.so"
    text.write_text("not an ELF file, just text: " + "x" * 100 + "\n")
    proc = run_qemu_py(loop_elf, text)
    assert_refused(proc, f"Could not load plugin {text}: {text}: invalid ELF header")


def test_missing_file(loop_elf, tmp_path):
    missing = tmp_path / "libnothere.so"
    proc = run_qemu_py(loop_elf, missing)
    assert_refused(proc, f"Could not load plugin {missing}: {missing}: cannot open shared "
                         "object file: No such file or directory")


def test_so_suffix_is_tried(plugins, loop_elf):
    so = plugins.ours("insn")
    proc = run_qemu_py(loop_elf, str(so)[:-3])
    assert proc.returncode == 0, proc.stderr
    assert report_lines(proc)[-1] == "total insns: 4005"


def test_unknown_argument_is_the_plugins_error(plugins, loop_elf):
    so = plugins.ours("insn")
    proc = run_qemu_py(loop_elf, f"{so},bogus=1")
    assert proc.returncode == 1
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert lines == ["option parsing failed: bogus=1",
                     f"{PREFIX}Could not load plugin {so}: qemu_plugin_install returned error "
                     "code -1"]


def test_uninstall_during_install(plugins, loop_elf):
    so = plugins.case("uninstall_in_install")
    proc = run_qemu_py(loop_elf, so)
    assert_refused(proc, f"Could not load plugin {so}: Calling qemu_plugin_uninstall from the "
                         "install function is a bug. Instead, return !0 from the install "
                         "function.")


def test_earlier_plugins_report_after_a_failure(plugins, loop_elf):
    """A failing plugin stops the loading; the ones installed before it report an empty run,
    the ones after it are never loaded."""
    bb, bad, insn = plugins.ours("bb"), plugins.case("version", "VERSION=6"), plugins.ours("insn")
    proc = run_qemu_py(loop_elf, bb, bad, insn)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert our_lines(proc) == [f"{PREFIX}Could not load plugin {bad}: plugin requires API "
                               "version 6, but qemu_py accepts API versions 2 to 5"]
    assert report_lines(proc) == ["Total: bb's: 0, insns: 0"]


def test_several_plugins_report_in_reverse_load_order(plugins, loop_elf):
    proc = run_qemu_py(loop_elf, plugins.ours("insn"), plugins.ours("bb"))
    assert proc.returncode == 0, proc.stderr
    assert report_lines(proc) == ["CPU0: bb's: 1001, insns: 4005",
                                  "Total: bb's: 1001, insns: 4005",
                                  "cpu 0 insns: 4005", "total insns: 4005"]


def test_same_plugin_twice_accumulates_arguments(plugins, loop_elf):
    so = plugins.ours("insn")
    proc = run_qemu_py(loop_elf, f"{so},inline=on", f"{so},match=eor")
    assert proc.returncode == 0, proc.stderr
    lines = report_lines(proc)
    assert "Created record for: 4008000c eor x2, x0, x1, lsl #3" in lines
    assert lines[-3:] == ["total insns: 4005", "Match: eor, hits 1000",
                          "  4008000c: eor x2, x0, x1, lsl #3 (hits 1000)"]


def test_help(loop_elf):
    proc = run_qemu_py(loop_elf, "help")
    assert proc.returncode == 0
    assert proc.stdout.decode() == ("Plugin options\n  file=<path/to/plugin.so>\n"
                                    "  plugin specific arguments\n")


def test_short_form_booleans_warn(plugins, loop_elf):
    so = plugins.ours("insn")
    proc = run_qemu_py(loop_elf, f"{so},inline,nosizes")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().splitlines()[:4] == [
        f"{PREFIX}warning: short-form boolean option 'inline' deprecated",
        "Please use inline=on instead",
        f"{PREFIX}warning: short-form boolean option 'nosizes' deprecated",
        "Please use sizes=off instead"]
    assert report_lines(proc)[-1] == "total insns: 4005"


def test_deprecated_arg_form(plugins, loop_elf):
    so = plugins.ours("insn")
    proc = run_qemu_py(loop_elf, f"{so},arg=inline")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().splitlines()[:2] == [
        f"{PREFIX}warning: using 'arg=inline' is deprecated", "Please use 'inline=on' directly"]


def test_outs_goes_to_the_D_file(plugins, loop_elf, tmp_path):
    log = tmp_path / "plugin.log"
    proc = run_qemu_py(loop_elf, plugins.ours("insn"), extra=("-D", str(log)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    assert log.read_text() == "cpu 0 insns: 4005\ntotal insns: 4005\n"


def test_ids_follow_the_specification():
    from qemu_py.plugins import plugin_id

    def xorshift(x):
        m = (1 << 64) - 1
        x ^= x >> 12
        x ^= (x << 25) & m
        x ^= x >> 27
        return (x * 2685821657736338717) & m
    ids = [plugin_id(k) for k in range(1, 5)]
    assert ids == [xorshift(k) for k in range(1, 5)]
    assert len(set(ids)) == 4 and 0 not in ids


def test_only_the_api_is_exported():
    """The core exports the 63 functions plugin.h declares, and PyInit__core: nothing else."""
    from qemu_py import _core
    out = subprocess.run(["nm", "-D", "--defined-only", _core.__file__], capture_output=True,
                         text=True, check=True).stdout
    exported = {line.split()[-1] for line in out.splitlines() if line.strip()}
    header = (INCLUDE / "plugin.h").read_text()
    declared = set(re.findall(r"QEMU_PLUGIN_API\s*\n[^;]*?\b(qemu_plugin_\w+)\s*\(", header))
    assert len(declared) == 63
    assert exported == declared | {"PyInit__core"}
