"""Helpers of the plugin tests (tests/test_plugins_*.py): building plugins (qemu_py's and, for the
reference, the same sources for QEMU 7.2's API version 1 through tests/plugin_compat/), building
the small assembly guests of tests/plugin_guests/, and running both emulators with plugins.

The reference is Debian's qemu-system-aarch64 7.2, run with `-accel tcg,thread=single` and
`-d plugin` (QEMU prints plugin output only then)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
INCLUDE = REPO / "qemu_py"
COMPAT = TESTS / "plugin_compat"
PLUGINS = REPO / "plugins"
CASES = TESTS / "plugin_cases"
ASM_GUESTS = TESTS / "plugin_guests"
QEMU = "qemu-system-aarch64"
CC = os.environ.get("CC", "cc")
GUEST_AS = "aarch64-linux-gnu-as"
GUEST_LD = "aarch64-linux-gnu-ld"


def build_plugin(source: Path, out: Path, defines=(), v1=False) -> Path:
    """Compile one plugin source: against plugin.h, or with v1 for QEMU 7.2."""
    include = COMPAT if v1 else INCLUDE
    cmd = [CC, "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{include}",
           *[f"-D{d}" for d in defines], str(source), "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail(f"building {source.name} failed:\n{' '.join(cmd)}\n{res.stderr}")
    return out


def build_asm_guest(name: str, out_dir: Path) -> Path:
    """tests/plugin_guests/NAME.S linked at 0x40080000, where -kernel puts an ELF on virt."""
    for tool in (GUEST_AS, GUEST_LD):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: the test command installs binutils-aarch64-linux-gnu")
    obj = out_dir / f"{name}.o"
    elf = out_dir / f"{name}.elf"
    subprocess.run([GUEST_AS, "-march=armv8.1-a", str(ASM_GUESTS / f"{name}.S"), "-o", str(obj)],
                   check=True)
    subprocess.run([GUEST_LD, "-Ttext=0x40080000", str(obj), "-o", str(elf)], check=True)
    return elf


def run_qemu_py(elf, *plugins, smp=1, cpu="cortex-a57", extra=(), timeout=300):
    """qemu-py-system with one -plugin per item of `plugins`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "qemu_py", "-M", "virt", "-cpu", cpu, "-nographic",
           "-smp", str(smp), "-kernel", str(elf), *extra]
    for p in plugins:
        cmd += ["-plugin", str(p)]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                          env=env)


def run_qemu(elf, *plugins, smp=1, cpu="cortex-a57", extra=(), timeout=120):
    """The reference: QEMU 7.2 with the plugins, their output on stderr (-d plugin)."""
    if shutil.which(QEMU) is None:
        pytest.fail(f"{QEMU} not found: the test command installs qemu-system-arm")
    cmd = [QEMU, "-M", "virt", "-cpu", cpu, "-nographic", "-accel", "tcg,thread=single",
           "-smp", str(smp), "-kernel", str(elf), "-d", "plugin", *extra]
    for p in plugins:
        cmd += ["-plugin", str(p)]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


class Plugins:
    """The example plugins built for qemu_py (lib<name>.so) and for QEMU 7.2 (lib<name>-v1.so)."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir

    def ours(self, name: str) -> Path:
        out = self.out_dir / f"lib{name}.so"
        if not out.exists():
            build_plugin(PLUGINS / f"{name}.c", out)
        return out

    def v1(self, name: str) -> Path:
        out = self.out_dir / f"lib{name}-v1.so"
        if not out.exists():
            build_plugin(PLUGINS / f"{name}.c", out, v1=True)
        return out

    def case(self, name: str, *defines: str) -> Path:
        tag = "-".join(d.replace("=", "") for d in defines)
        out = self.out_dir / f"case-{name}{'-' + tag if tag else ''}.so"
        if not out.exists():
            build_plugin(CASES / f"{name}.c", out, defines)
        return out


def report_lines(proc) -> list:
    """The plugin report lines a run printed on stderr (qemu_py's own lines left out)."""
    return [line for line in proc.stderr.decode(errors="replace").splitlines()
            if not line.startswith("qemu-py-system: ")]


def glib_flags():
    """(cflags, libs) for glib, or skip the test without glib's headers."""
    if shutil.which("pkg-config") is None:
        pytest.skip("pkg-config not found")
    res = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0"], capture_output=True,
                         text=True)
    if res.returncode != 0:
        pytest.skip("glib's headers are not installed (apt-get install libglib2.0-dev)")
    return res.stdout.split()


def build_glib_plugin(source: Path, out: Path) -> Path:
    """A plugin written as for QEMU: qemu-plugin.h, glib's flags, linked with glib."""
    flags = glib_flags()
    cmd = [CC, "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{INCLUDE}",
           str(source), "-o", str(out), *flags]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail(f"building {source.name} failed:\n{' '.join(cmd)}\n{res.stderr}")
    return out
