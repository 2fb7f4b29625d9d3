"""A writer for the cpio "newc" format, the format of Linux initramfs archives.

Each entry is a 110-byte ASCII header (magic 070701 and thirteen 8-digit hex fields), the
NUL-terminated name, padding to 4 bytes, the data, padding to 4 bytes; a "TRAILER!!!" entry ends
the archive. No root privileges are needed: ownership and device numbers are written as given.
"""

import gzip
import stat
from typing import List, Optional


class CpioWriter:
    def __init__(self) -> None:
        self._parts: List[bytes] = []
        self._ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev_major: int = 0,
               rdev_minor: int = 0, nlink: int = 1) -> None:
        name_bytes = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev_major, rdev_minor,
                  len(name_bytes), 0)
        self._ino += 1
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._parts.append(header + name_bytes + _pad(len(header) + len(name_bytes)))
        self._parts.append(data + _pad(len(data)))

    def directory(self, name: str, mode: int = 0o755) -> None:
        self._entry(name, stat.S_IFDIR | mode, nlink=2)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def char_device(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        self._entry(name, stat.S_IFCHR | mode, rdev_major=major, rdev_minor=minor)

    def finish(self, compress: Optional[int] = 9) -> bytes:
        """The archive, gzip'd at `compress` level (None: uncompressed)."""
        self._entry("TRAILER!!!", 0, nlink=1)
        raw = b"".join(self._parts)
        return raw if compress is None else gzip.compress(raw, compresslevel=compress, mtime=0)


def _pad(n: int) -> bytes:
    return b"\0" * (-n % 4)
