"""Fetching Debian's arm64 kernel and busybox for the Linux demo and tests.

Packages come from the machine's own apt sources with `apt-get download` (the arm64
architecture is added to dpkg first when it is missing, which needs root once) and are unpacked
with `dpkg-deb`; results are cached under ~/.cache/qemu_py (or $QEMU_PY_CACHE).
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import List

from .errors import ConfigError

KERNEL_PACKAGE = re.compile(r"^linux-image-(\d+\.\d+\.\d+-\d+)-arm64-unsigned$")


def cache_dir() -> Path:
    path = Path(os.environ.get("QEMU_PY_CACHE", Path.home() / ".cache" / "qemu_py"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run(cmd: List[str], what: str, cwd=None) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    except FileNotFoundError:
        raise ConfigError(f"{what}: '{cmd[0]}' is not installed (this needs Debian's apt)") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ConfigError(f"{what}: {' '.join(cmd)}: {last}")
    return done.stdout


def _sudo() -> List[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


def ensure_arm64_architecture() -> None:
    """Let apt see arm64 packages (dpkg --add-architecture arm64 and apt-get update, once)."""
    foreign = _run(["dpkg", "--print-foreign-architectures"], "checking dpkg architectures")
    if "arm64" in foreign.split():
        return
    _run(_sudo() + ["dpkg", "--add-architecture", "arm64"], "adding the arm64 architecture")
    _run(_sudo() + ["apt-get", "update", "-qq"], "updating apt's package lists")


def newest_kernel_package() -> str:
    out = _run(["apt-cache", "search", "--names-only", "^linux-image-.*-arm64-unsigned$"],
               "looking for Debian's arm64 kernel")
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    found = [(tuple(int(x) for x in re.split(r"[.-]", m.group(1))), name)
             for name in names if (m := KERNEL_PACKAGE.match(name))]
    if not found:
        raise ConfigError("no linux-image-*-arm64-unsigned package in the apt sources")
    return max(found)[1]


def download_and_extract(package: str, member: str, dest: Path) -> Path:
    """apt-get download `package` (arm64) and copy `member` (a path inside it) to dest."""
    if dest.exists():
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        spec = package if ":" in package else package + ":arm64"
        _run(["apt-get", "download", "-qq", spec], f"downloading {package}", cwd=tmp)
        debs = list(Path(tmp).glob("*.deb"))
        if not debs:
            raise ConfigError(f"downloading {package}: apt-get produced no .deb file")
        root = Path(tmp) / "root"
        _run(["dpkg-deb", "-x", str(debs[0]), str(root)], f"unpacking {package}")
        matches = sorted(root.glob(member.lstrip("/")))
        if not matches:
            raise ConfigError(f"{package} has no file matching {member}")
        partial = dest.with_suffix(dest.suffix + ".part")
        shutil.copyfile(matches[-1], partial)
        os.replace(partial, dest)
    return dest


def kernel_image() -> Path:
    """Debian's arm64 kernel as a raw Image (the -unsigned package's vmlinuz), cached."""
    cached = sorted(cache_dir().glob("vmlinuz-*-arm64"))
    if cached:
        return cached[-1]
    ensure_arm64_architecture()
    package = newest_kernel_package()
    version = KERNEL_PACKAGE.match(package).group(1)
    return download_and_extract(package, "boot/vmlinuz-*", cache_dir() / f"vmlinuz-{version}-arm64")


def busybox_static() -> Path:
    """Debian's static arm64 busybox, cached."""
    dest = cache_dir() / "busybox-arm64"
    if dest.exists():
        return dest
    ensure_arm64_architecture()
    return download_and_extract("busybox-static", "bin/busybox", dest)
