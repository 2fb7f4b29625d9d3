"""The kernel loader: where ELF files, arm64 Images and raw binaries, the initrd and the DTB go.

The reference is QEMU itself: the same file booted by qemu-system-aarch64 -M virt, whose -d cpu
log shows the PC and X0 the first kernel instruction sees (after QEMU's boot stub). Refusals are
checked against what the file is (hand-made headers).
"""

import gzip
import os
import shutil
import struct
import subprocess
import time

import pytest

from qemu_py import loader
from qemu_py.errors import ConfigError

RAM = 0x40000000
MiB = 1 << 20
B_SELF = 0x14000000                       # "b ." : the kernel spins where it starts
QEMU = shutil.which("qemu-system-aarch64")


def image(text_offset, image_size, body=b"", magic=b"ARM\x64"):
    """An arm64 Image: the 64-byte header (code0 is "b ." so it spins at its entry) + body."""
    hdr = bytearray(64)
    struct.pack_into("<IIQQQ", hdr, 0, B_SELF, 0, text_offset, image_size, 0xA)
    hdr[56:60] = magic
    return bytes(hdr) + body


def qemu_entry(tmp_path, kernel, *extra):
    """PC and X0 at the kernel's first instruction under QEMU (None if QEMU is missing)."""
    if QEMU is None:
        return None
    log = tmp_path / "qemu.log"
    proc = subprocess.Popen([QEMU, "-M", "virt", "-cpu", "cortex-a57", "-nographic",
                             "-monitor", "none", "-kernel", str(kernel), *extra,
                             "-d", "cpu,nochain", "-D", str(log)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"QEMU exited: {proc.stderr.read().decode()}")
            text = log.read_text() if log.exists() else ""
            for line in text.splitlines():
                if line.startswith(" PC=") and "X00=" in line:
                    pc = int(line.split("PC=")[1].split()[0], 16)
                    x0 = int(line.split("X00=")[1].split()[0], 16)
                    if not RAM <= pc < RAM + 0x1000:     # past QEMU's boot stub
                        return pc, x0
            time.sleep(0.05)
        raise AssertionError("QEMU never reached the kernel")
    finally:
        proc.kill()
        proc.wait()


def check_against_qemu(tmp_path, boot, kernel, *extra):
    # QEMU always passes a DTB (its own when there is no -dtb) to Images and raw kernels: X0 is
    # where the loader puts it. qemu_py's generated DTB comes with the system work.
    ref = qemu_entry(tmp_path, kernel, *extra)
    if ref is not None:
        assert (boot.entry, boot.dtb_addr) == ref


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- arm64 Image ---------------------------------------------------------------------------


@pytest.mark.parametrize("text_offset, image_size, entry", [
    (0, 0x10000, RAM + 2 * MiB),        # text_offset 0 would overlap the boot stub: +2 MiB
    (0x80000, 0x200000, RAM + 0x80000),
    (0x80000, 0, RAM + 0x80000),        # image_size 0: text_offset not valid, 0x80000
    (0x200000, 0x10000, RAM + 0x200000),
])
def test_image_placement(tmp_path, text_offset, image_size, entry):
    path = write(tmp_path, "Image", image(text_offset, image_size, bytes(4096)))
    boot = loader.load_kernel(str(path), RAM, 128 * MiB)
    assert boot.kind == "image"
    assert boot.entry == entry
    assert boot.blobs[0] == (entry, path.read_bytes())
    # No initrd: the DTB goes at RAM + 64 MiB (half of RAM), 2 MiB aligned.
    assert boot.dtb_addr == RAM + 64 * MiB
    check_against_qemu(tmp_path, boot, path)


def test_image_with_initrd(tmp_path):
    kernel = write(tmp_path, "Image", image(0, 0x10000, bytes(4096)))
    initrd = write(tmp_path, "initrd", bytes(3 * MiB + 5))
    boot = loader.load_kernel(str(kernel), RAM, 128 * MiB, initrd=str(initrd))
    assert boot.initrd_start == RAM + 64 * MiB
    assert boot.initrd_size == 3 * MiB + 5
    assert (boot.initrd_start, initrd.read_bytes()) in boot.blobs
    assert boot.dtb_addr == RAM + 68 * MiB             # after the initrd, 2 MiB aligned
    check_against_qemu(tmp_path, boot, kernel, "-initrd", str(initrd))


def test_initrd_at_128m_with_large_ram(tmp_path):
    kernel = write(tmp_path, "Image", image(0, 0x10000, bytes(4096)))
    initrd = write(tmp_path, "initrd", bytes(1000))
    boot = loader.load_kernel(str(kernel), RAM, 1024 * MiB, initrd=str(initrd))
    assert boot.initrd_start == RAM + 128 * MiB
    assert boot.dtb_addr == RAM + 130 * MiB
    check_against_qemu(tmp_path, boot, kernel, "-m", "1024", "-initrd", str(initrd))


def test_initrd_above_a_large_kernel(tmp_path):
    # image_size says the kernel reaches past RAM/2: the initrd goes above it.
    kernel = write(tmp_path, "Image", image(0, 100 * MiB + 0x1234, bytes(4096)))
    initrd = write(tmp_path, "initrd", bytes(4096))
    boot = loader.load_kernel(str(kernel), RAM, 128 * MiB, initrd=str(initrd))
    assert boot.initrd_start == RAM + 2 * MiB + 100 * MiB + 0x2000
    check_against_qemu(tmp_path, boot, kernel, "-initrd", str(initrd))


def test_gzipped_image(tmp_path):
    raw = image(0x80000, 0x10000, bytes(range(256)) * 64)
    path = write(tmp_path, "Image.gz", gzip.compress(raw))
    boot = loader.load_kernel(str(path), RAM, 128 * MiB)
    assert boot.kind == "image"
    assert boot.blobs[0] == (RAM + 0x80000, raw)
    check_against_qemu(tmp_path, boot, path)


def test_truncated_image_header(tmp_path):
    path = write(tmp_path, "Image", image(0, 0x10000)[:62])
    with pytest.raises(ConfigError, match="truncated arm64 Image"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


def pe_image(body_size):
    """An Image with an EFI stub's PE header whose one section spans `body_size` bytes."""
    data = bytearray(image(0, 0x100000, bytes(0x200 + body_size)))
    data[0:2] = b"MZ"
    struct.pack_into("<I", data, 60, 0x40)              # PE header right after the Image header
    data[0x40:0x44] = b"PE\0\0"
    struct.pack_into("<HH", data, 0x44, 0xAA64, 1)      # machine, one section
    struct.pack_into("<H", data, 0x54, 0)               # no optional header
    sect = 0x40 + 24
    struct.pack_into("<II", data, sect + 16, body_size, 0x200)   # SizeOfRawData, Pointer
    return bytes(data)


def test_truncated_pe_image(tmp_path):
    whole = pe_image(0x1000)
    ok = write(tmp_path, "whole", whole)
    assert loader.load_kernel(str(ok), RAM, 128 * MiB).kind == "image"
    cut = write(tmp_path, "cut", whole[:0x800])
    with pytest.raises(ConfigError, match="truncated arm64 Image"):
        loader.load_kernel(str(cut), RAM, 128 * MiB)


def test_truncated_gzip(tmp_path):
    data = gzip.compress(image(0, 0x10000, os.urandom(8192)))
    path = write(tmp_path, "Image.gz", data[:len(data) // 2])
    with pytest.raises(ConfigError, match="truncated gzip"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


# --- raw binaries ------------------------------------------------------------------------------


def test_raw_binary(tmp_path):
    code = struct.pack("<I", B_SELF) + bytes([0x00, 0xFF, 0x13, 0x80]) * 100
    path = write(tmp_path, "raw.bin", code)
    boot = loader.load_kernel(str(path), RAM, 128 * MiB)
    assert boot.kind == "raw"
    assert boot.entry == RAM + 0x80000
    assert boot.blobs == [(RAM + 0x80000, code)]
    assert boot.regs == {"x0": 0, "x1": 0, "x2": 0, "x3": 0}
    check_against_qemu(tmp_path, boot, path)


def test_text_file_refused(tmp_path):
    path = write(tmp_path, "notes.txt", b"These are not the instructions you are looking for.\n" * 20)
    with pytest.raises(ConfigError, match="text file"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


def test_empty_file_refused(tmp_path):
    path = write(tmp_path, "empty", b"")
    with pytest.raises(ConfigError, match="empty"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="could not load kernel .*No such file"):
        loader.load_kernel(str(tmp_path / "nope"), RAM, 128 * MiB)


def test_raw_too_large_for_ram(tmp_path):
    path = write(tmp_path, "big.bin", b"\0\xff" * (MiB // 2))
    with pytest.raises(ConfigError, match="do not fit in RAM"):
        loader.load_kernel(str(path), RAM, MiB)


# --- ELF -------------------------------------------------------------------------------------


def elf(machine=183, segments=(), entry=0, elfclass=2, data_enc=1):
    """A minimal ELF executable: header, program headers, then each segment's file bytes.
    segments: (paddr, file bytes, memsz)."""
    ehsize, phsize = 64, 56
    offset = ehsize + phsize * len(segments)
    phdrs, body = b"", b""
    for paddr, data, memsz in segments:
        phdrs += struct.pack("<IIQQQQQQ", 1, 7, offset + len(body), paddr, paddr,
                             len(data), memsz, 4)
        body += data
    ident = b"\x7fELF" + bytes([elfclass, data_enc, 1]) + bytes(9)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, ehsize if segments else 0,
                              0, 0, ehsize, phsize, len(segments), 64, 0, 0)
    return hdr + phdrs + body


def test_elf_segments(tmp_path):
    path = write(tmp_path, "k.elf", elf(segments=[(RAM + 0x1000, b"\x01\x02\x03\x04", 16),
                                                  (RAM + 0x8000, b"\xaa" * 8, 8)],
                                        entry=RAM + 0x1000))
    boot = loader.load_kernel(str(path), RAM, 128 * MiB)
    assert boot.kind == "elf" and not boot.is_linux
    assert boot.entry == RAM + 0x1000
    assert boot.blobs == [(RAM + 0x1000, b"\x01\x02\x03\x04" + bytes(12)),
                          (RAM + 0x8000, b"\xaa" * 8)]
    assert boot.regs == {}


def test_x86_64_elf_refused(tmp_path):
    path = write(tmp_path, "x86.elf", elf(machine=62, segments=[(RAM, b"\x90" * 4, 4)]))
    with pytest.raises(ConfigError, match="ELF file for x86-64, not AArch64"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


def test_arm32_elf_refused(tmp_path):
    path = write(tmp_path, "arm.elf", elf(machine=40, segments=[(RAM, b"\0" * 4, 4)]))
    with pytest.raises(ConfigError, match="32-bit Arm, not AArch64"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


def test_elf_outside_ram_refused(tmp_path):
    path = write(tmp_path, "low.elf", elf(segments=[(0x1000, b"\0" * 4, 4)], entry=0x1000))
    with pytest.raises(ConfigError, match="do not fit in RAM"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


def test_corrupt_elf_refused(tmp_path):
    path = write(tmp_path, "bad.elf", b"\x7fELF" + b"\xff" * 10)
    with pytest.raises(ConfigError, match="could not load kernel"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


def test_elf_segment_past_end_of_file(tmp_path):
    data = elf(segments=[(RAM, b"\0" * 64, 64)], entry=RAM)
    path = write(tmp_path, "cut.elf", data[:-32])
    with pytest.raises(ConfigError, match="could not load kernel"):
        loader.load_kernel(str(path), RAM, 128 * MiB)


# --- DTB -------------------------------------------------------------------------------------


def make_dtb(tmp_path):
    if shutil.which("dtc") is None:
        pytest.skip("dtc is not installed")
    src = tmp_path / "t.dts"
    src.write_text('/dts-v1/;\n/ { compatible = "test"; #address-cells = <2>; '
                   '#size-cells = <2>; };\n')
    out = tmp_path / "t.dtb"
    subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-o", str(out), str(src)], check=True,
                   capture_output=True)
    return out


def test_dtb_for_image(tmp_path):
    dtb = make_dtb(tmp_path)
    kernel = write(tmp_path, "Image", image(0x80000, 0x10000, bytes(64)))
    boot = loader.load_kernel(str(kernel), RAM, 128 * MiB, dtb=str(dtb))
    assert boot.regs["x0"] == RAM + 64 * MiB
    assert (RAM + 64 * MiB, dtb.read_bytes()) in boot.blobs
    check_against_qemu(tmp_path, boot, kernel, "-dtb", str(dtb))


def test_bad_dtb_refused(tmp_path):
    kernel = write(tmp_path, "Image", image(0x80000, 0x10000, bytes(64)))
    bad = write(tmp_path, "bad.dtb", b"not a device tree at all, no sir" * 4)
    with pytest.raises(ConfigError, match="not a flattened device tree"):
        loader.load_kernel(str(kernel), RAM, 128 * MiB, dtb=str(bad))
