"""Debian's arm64 kernel boots on qemu-py-system with -smp 4 and runs an initramfs /init.

The kernel is Debian's linux-image-*-arm64-unsigned (fetched with apt-get download, cached);
/init is tests/linux/init.S, which prints a marker with write(2) and powers off with reboot(2).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qemu_py import debian
from qemu_py.cpio import CpioWriter

HERE = Path(__file__).resolve().parent
MARKER = "QEMU_PY_INIT_OK: the initramfs ran"

# Lines a healthy boot never prints.
BAD_LINES = re.compile(r"Oops|BUG:|WARNING:|Kernel panic|detected stalls|rcu: INFO|"
                       r"(timer|GIC|gic).*(warn|fail|broken|error)", re.IGNORECASE)


@pytest.fixture(scope="module")
def kernel():
    try:
        return debian.kernel_image()
    except Exception as e:
        if os.environ.get("CI"):
            raise                   # CI provides apt and a network: a failure is real
        pytest.skip(f"Debian's arm64 kernel is not available here: {e}")


@pytest.fixture(scope="module")
def initrd(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("linux")
    init = tmp / "init"
    subprocess.run(["aarch64-linux-gnu-gcc", "-nostdlib", "-static", "-o", str(init),
                    str(HERE / "linux" / "init.S")], check=True)
    archive = CpioWriter()
    archive.directory("dev")
    archive.char_device("dev/console", 5, 1)
    archive.file("init", init.read_bytes(), mode=0o755)
    path = tmp / "initrd.cpio.gz"
    path.write_bytes(archive.finish())
    return path


def boot(kernel, initrd, smp, *extra):
    cmd = [sys.executable, "-m", "qemu_py", "-M", "virt", "-cpu", "cortex-a57", "-smp", str(smp),
           "-m", "512M", "-nographic", "-no-reboot", "-kernel", str(kernel), "-initrd", str(initrd),
           "-append", "console=ttyAMA0 panic=-1", "-rtc", "base=2025-06-01T12:00:00", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def test_linux_boots_with_four_cpus(kernel, initrd):
    run = boot(kernel, initrd, 4)
    log = run.stdout
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr}\n{log[-3000:]}"
    assert MARKER in log, log[-3000:]
    assert "SMP: Total of 4 processors activated" in log, log
    assert "reboot: Power down" in log
    bad = [line for line in log.splitlines() if BAD_LINES.search(line)]
    assert not bad, "\n".join(bad)


def test_vmlinux_elf_boots_by_the_image_protocol(tmp_path):
    # A kernel ELF linked at kernel virtual addresses (tests/linux/vmlinux.S stands in for
    # vmlinux) is booted as the Image it holds: in RAM by the Image rules, x0 = the DTB.
    elf = tmp_path / "vmlinux"
    subprocess.run(["aarch64-linux-gnu-gcc", "-nostdlib", "-static", "-Wl,--build-id=none",
                    "-T", str(HERE / "linux" / "vmlinux.ld"), "-o", str(elf),
                    str(HERE / "linux" / "vmlinux.S")], check=True)
    run = subprocess.run([sys.executable, "-m", "qemu_py", "-M", "virt", "-nographic",
                          "-kernel", str(elf)], capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == \
        (0, "vmlinux booted as an Image, x0 = DTB\n", "")
