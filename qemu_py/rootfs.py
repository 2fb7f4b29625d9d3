"""qemu-py-mkrootfs: a busybox initramfs (a gzip'd cpio "newc" archive) for Linux on qemu_py.

The archive holds a static busybox as /bin/busybox, a link for each of its applets, /dev/console,
the mount points /proc, /sys and /dev, and an /init shell script that mounts them and starts a
shell on the console; when that shell exits the machine powers off.

Which applets the busybox has is read from the binary itself, not from a fixed list and without
running it (it is an arm64 program; the host may not run those): busybox finds an applet by a
binary search of one table, `applet_names`, a run of NUL-terminated names in strictly ascending
byte order that starts with "[" and "[[" (the test applets) and ends with an empty name. The table
is found by that shape and accepted only if the order holds, so a binary without it is refused
rather than given a wrong list. The links all go in /bin; /sbin, /usr/bin and /usr/sbin are links
to /bin (a merged /usr), so every path busybox would install an applet at (`busybox --list-full`)
resolves.

Standard library only; no root needed (device nodes and owners are written into the archive).
"""

import argparse
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from .cpio import CpioWriter
from .errors import ConfigError

PROG = "qemu-py-mkrootfs"

# The table's first names: "[" and "[[" sort before every letter, so a busybox with the test
# applets starts its table with them (Debian's does).
_TABLE_START = b"\0[\0[[\0"
_APPLET_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.[")

INIT_SCRIPT = """\
#!/bin/sh
# /init of the qemu_py busybox initramfs: mount the kernel's filesystems, start a shell on the
# console (as its controlling terminal, so Ctrl-C and job control work), power off after it.
export PATH=/bin HOME=/root TERM=${TERM:-vt100}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp
mount -t devpts devpts /dev/pts 2>/dev/null
hostname qemu-py
cd /root
echo "qemu_py busybox shell: 'poweroff -f' (or exit) powers off, Ctrl-A x quits the emulator"
setsid cttyhack sh -l
poweroff -f
"""

PROFILE = """\
export PS1='\\h:\\w\\$ '
"""


def applet_names(binary: bytes) -> List[str]:
    """The applets a busybox binary provides, read from its sorted name table."""
    start = binary.find(_TABLE_START)
    while start >= 0:
        names = _table_at(binary, start + 1)
        if names is not None:
            return names
        start = binary.find(_TABLE_START, start + 1)
    raise ConfigError("not a busybox binary with an applet table (no sorted name list found)")


def _table_at(binary: bytes, pos: int) -> Optional[List[str]]:
    names: List[bytes] = []
    while True:
        end = binary.find(b"\0", pos)
        if end < 0:
            return None
        if end == pos:                      # the empty name ends the table
            break
        name = binary[pos:end]
        if len(name) > 64 or not set(name) <= _APPLET_CHARS:
            return None
        if names and name <= names[-1]:     # binary search needs strictly ascending names
            return None
        names.append(name)
        pos = end + 1
    if b"busybox" not in names and len(names) < 8:
        return None
    return [n.decode() for n in names]


def build(busybox: bytes, extra_files: Sequence[Tuple[str, bytes, int]] = (),
          init: str = INIT_SCRIPT, compress: Optional[int] = 9) -> bytes:
    """The initramfs archive. `extra_files`: (path, data, mode) entries added at the end (their
    parent directories are created)."""
    applets = applet_names(busybox)
    archive = CpioWriter()
    dirs = set()

    def directory(path: str, mode: int = 0o755) -> None:
        parent = path.rpartition("/")[0]
        if parent:
            directory(parent)
        if path not in dirs:
            dirs.add(path)
            archive.directory(path, mode)

    for d in ("bin", "dev", "etc", "proc", "root", "sys", "usr", "var"):
        directory(d)
    directory("tmp", 0o1777)
    archive.symlink("sbin", "bin")
    archive.symlink("usr/bin", "../bin")
    archive.symlink("usr/sbin", "../bin")
    archive.char_device("dev/console", 5, 1)
    archive.char_device("dev/null", 1, 3, mode=0o666)
    archive.file("bin/busybox", busybox, mode=0o755)
    for name in applets:
        if name != "busybox" and "/" not in name:
            archive.symlink(f"bin/{name}", "busybox")
    archive.file("etc/profile", PROFILE.encode())
    archive.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    archive.file("etc/group", b"root:x:0:\n")
    archive.file("init", init.encode(), mode=0o755)
    for path, data, mode in extra_files:
        path = path.strip("/")
        parent = path.rpartition("/")[0]
        if parent:
            directory(parent)
        archive.file(path, data, mode=mode)
    return archive.finish(compress)


def default_busybox() -> Path:
    from . import debian
    return debian.busybox_static()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Write a busybox initramfs (gzip'd cpio newc) whose /init "
        "mounts /proc, /sys and /dev and starts a shell on the console.")
    parser.add_argument("-o", "--output", default="rootfs.cpio.gz",
                        help="the archive to write (default: rootfs.cpio.gz)")
    parser.add_argument("--busybox", help="a static arm64 busybox (default: Debian's "
                        "busybox-static, fetched with apt-get download and cached)")
    parser.add_argument("--add", action="append", default=[], metavar="HOST=GUEST",
                        help="also put the host file HOST at GUEST in the archive")
    parser.add_argument("--list", action="store_true",
                        help="print the busybox's applets and write nothing")
    args = parser.parse_args(argv)
    try:
        path = Path(args.busybox) if args.busybox else default_busybox()
        try:
            busybox = path.read_bytes()
        except OSError as e:
            raise ConfigError(f"cannot read {path}: {e.strerror}") from None
        if args.list:
            print("\n".join(applet_names(busybox)))
            return 0
        extra = []
        for spec in args.add:
            host, sep, guest = spec.partition("=")
            if not sep or not guest.strip("/"):
                raise ConfigError(f"--add {spec}: expected HOST=GUEST")
            try:
                extra.append((guest, Path(host).read_bytes(), 0o755 if Path(host).stat().st_mode
                              & 0o111 else 0o644))
            except OSError as e:
                raise ConfigError(f"cannot read {host}: {e.strerror}") from None
        data = build(busybox, extra)
        Path(args.output).write_bytes(data)
    except ConfigError as e:
        sys.stderr.write(f"{PROG}: {e}\n")
        return 1
    return 0


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
