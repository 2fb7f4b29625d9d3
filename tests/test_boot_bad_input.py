"""Bad input for a Linux boot ends in one line on stderr and exit 1 (issue: the system)."""

import struct
import subprocess
import sys

import pytest

MiB = 1 << 20


def fake_image(path, image_size=4 * MiB, body=64 * 1024):
    # A minimal arm64 Image header: text_offset 0, image_size, flags, the magic at 56.
    header = struct.pack("<IIQQQQQQI", 0x91005a4d, 0x14000000, 0, image_size, 0xa, 0, 0, 0,
                         0x644d5241) + b"\0" * 4
    path.write_bytes(header + b"\0" * body)
    return path


def run(*args):
    return subprocess.run([sys.executable, "-m", "qemu_py", "-M", "virt", "-nographic",
                           *map(str, args)], capture_output=True, text=True, timeout=60)


def one_line_error(res, pattern):
    assert res.returncode == 1, res
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert lines[0].startswith("qemu-py-system: ")
    assert pattern in lines[0], lines[0]


def test_broken_image_header(tmp_path):
    # image_size (what the kernel occupies, bss included) smaller than the file itself
    image = fake_image(tmp_path / "Image", image_size=4096, body=64 * 1024)
    one_line_error(run("-kernel", image), "broken arm64 Image header")


def test_misaligned_text_offset(tmp_path):
    image = fake_image(tmp_path / "Image")
    data = bytearray(image.read_bytes())
    data[8:16] = (0x80001).to_bytes(8, "little")
    image.write_bytes(bytes(data))
    one_line_error(run("-kernel", image), "text_offset")


def test_initrd_larger_than_ram(tmp_path):
    initrd = tmp_path / "initrd"
    initrd.write_bytes(b"\x1f" * (80 * MiB))
    one_line_error(run("-m", "64M", "-kernel", fake_image(tmp_path / "Image"), "-initrd", initrd),
                   "initrd")


def test_ram_of_64k_cannot_hold_a_kernel(tmp_path):
    one_line_error(run("-m", "64K", "-kernel", fake_image(tmp_path / "Image")), "do not fit in RAM")


def test_dtb_that_is_not_a_device_tree(tmp_path):
    dtb = tmp_path / "bad.dtb"
    dtb.write_bytes(b"this is no flattened device tree" * 8)
    one_line_error(run("-kernel", fake_image(tmp_path / "Image"), "-dtb", dtb),
                   "not a flattened device tree")
