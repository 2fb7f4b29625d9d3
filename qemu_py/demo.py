"""qemu-py-demo: Debian's arm64 Linux booted to a busybox shell on 4 vCPUs, in one command.

Fetches Debian's kernel (linux-image-*-arm64-unsigned) and busybox-static for arm64 with
`apt-get download` the first time (cached under ~/.cache/qemu_py), writes the initramfs
(qemu_py.rootfs) beside them, prints the qemu-py-system command it runs, and runs it. Arguments
are passed on to qemu-py-system after the demo's own, so they can add to or override them
(`qemu-py-demo -smp 1`, `qemu-py-demo -plugin ./libhotblocks.so`). Ctrl-A x quits.
"""

import shlex
import sys
from pathlib import Path
from typing import List, Optional, Tuple

from . import cli, debian, rootfs
from .errors import ConfigError

PROG = "qemu-py-demo"
APPEND = "console=ttyAMA0"


def prepare() -> Tuple[Path, Path]:
    """The kernel Image and the busybox initramfs, fetched and built when missing."""
    kernel = debian.kernel_image()
    busybox = debian.busybox_static()
    data = rootfs.build(busybox.read_bytes())
    initrd = debian.cache_dir() / "rootfs-busybox.cpio.gz"
    if not initrd.exists() or initrd.read_bytes() != data:
        partial = initrd.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(initrd)
    return kernel, initrd


def command(kernel: Path, initrd: Path, extra: List[str]) -> List[str]:
    return ["-M", "virt", "-cpu", "cortex-a57", "-smp", "4", "-m", "512M", "-nographic",
            "-kernel", str(kernel), "-initrd", str(initrd), "-append", APPEND, *extra]


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"]):
        sys.stdout.write(__doc__.split("\n", 1)[1].lstrip() if __doc__ else "")
        return 0
    try:
        kernel, initrd = prepare()
    except ConfigError as e:
        sys.stderr.write(f"{PROG}: {e}\n")
        return 1
    args = command(kernel, initrd, argv)
    sys.stderr.write(f"{PROG}: qemu-py-system {shlex.join(args)}\n")
    sys.stderr.flush()
    return cli.main(args)


def entry_point() -> None:
    status = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    sys.exit(status)


if __name__ == "__main__":
    entry_point()
