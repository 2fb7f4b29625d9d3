"""qemu-py-mkrootfs: the applets read from the busybox binary are those busybox itself lists (run
under qemu-aarch64), the archive is a valid newc cpio (read back by the host's cpio when it is
there), and bad input ends with one line and status 1."""

import gzip
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qemu_py import debian, rootfs

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


@pytest.fixture(scope="module")
def busybox(tmp_path_factory):
    try:
        src = debian.busybox_static()
    except Exception as e:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Debian's busybox-static is not available here: {e}")
    # busybox picks the applet from argv[0]: run it under the name "busybox".
    path = tmp_path_factory.mktemp("bb") / "busybox"
    shutil.copyfile(src, path)
    path.chmod(0o755)
    return path


@pytest.mark.skipif(shutil.which("qemu-aarch64") is None, reason="qemu-aarch64 is not installed")
def test_applets_are_busyboxs_own_list(busybox):
    listed = subprocess.run(["qemu-aarch64", str(busybox), "--list"], capture_output=True,
                            text=True, check=True).stdout.split()
    assert len(listed) > 200
    assert rootfs.applet_names(busybox.read_bytes()) == listed


def test_archive_contents(busybox, tmp_path):
    out = tmp_path / "rootfs.cpio.gz"
    extra = tmp_path / "hello.txt"
    extra.write_text("hi\n")
    run = subprocess.run([sys.executable, "-m", "qemu_py.rootfs", "--busybox", str(busybox),
                          "-o", str(out), "--add", f"{extra}=/data/hello.txt"],
                         capture_output=True, text=True, env=ENV)
    assert (run.returncode, run.stderr) == (0, "")
    raw = gzip.decompress(out.read_bytes())
    entries = _parse_newc(raw)
    assert stat.S_ISREG(entries["init"][0]) and entries["init"][0] & 0o111
    assert entries["dev/console"][0] == stat.S_IFCHR | 0o600 and entries["dev/console"][2] == (5, 1)
    for d in ("proc", "sys", "dev", "bin", "tmp", "data"):
        assert stat.S_ISDIR(entries[d][0]), d
    assert entries["bin/sh"][1] == b"busybox" and entries["bin/poweroff"][1] == b"busybox"
    assert entries["sbin"][1] == b"bin" and entries["usr/bin"][1] == b"../bin"
    assert entries["bin/busybox"][1] == busybox.read_bytes()
    assert entries["data/hello.txt"][1] == b"hi\n"
    init = entries["init"][1].decode()
    assert init.startswith("#!/bin/sh\n")
    for line in ("mount -t proc proc /proc", "mount -t sysfs sysfs /sys"):
        assert line in init
    if shutil.which("cpio"):
        listing = subprocess.run(["cpio", "-it", "--quiet"], input=raw, capture_output=True,
                                 check=True).stdout.decode().split()
        assert sorted(listing) == sorted(entries)


def _parse_newc(raw: bytes) -> dict:
    """name -> (mode, data, (rdevmajor, rdevminor)), checking the headers' padding."""
    entries = {}
    pos = 0
    while True:
        assert raw[pos:pos + 6] == b"070701"
        f = [int(raw[pos + 6 + 8 * k: pos + 14 + 8 * k], 16) for k in range(13)]
        mode, size, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = raw[pos + 110: pos + 110 + namesize - 1].decode()
        assert raw[pos + 110 + namesize - 1] == 0
        pos = (pos + 110 + namesize + 3) & ~3
        data = raw[pos:pos + size]
        pos = (pos + size + 3) & ~3
        if name == "TRAILER!!!":
            return entries
        assert name not in entries, name
        entries[name] = (mode, data, (rmaj, rmin))


@pytest.mark.parametrize("args, message", [
    (["--busybox", "/nonexistent/busybox"], "cannot read /nonexistent/busybox"),
    (["--busybox", sys.executable], "not a busybox binary"),
    (["--busybox", "{bb}", "--add", "nonsense"], "--add nonsense: expected HOST=GUEST"),
])
def test_bad_input(busybox, tmp_path, args, message):
    args = [a.replace("{bb}", str(busybox)) for a in args]
    run = subprocess.run([sys.executable, "-m", "qemu_py.rootfs", "-o", str(tmp_path / "x"),
                          *args], capture_output=True, text=True, env=ENV)
    assert run.returncode == 1
    assert run.stderr.startswith("qemu-py-mkrootfs: ") and message in run.stderr
    assert run.stderr.count("\n") == 1
    assert not (tmp_path / "x").exists()
