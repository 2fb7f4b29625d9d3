"""Guest images: ELF executables (pyelftools), arm64 Linux Images (optionally gzipped), raw
binaries, the initrd and a DTB file, placed in RAM where QEMU's virt board puts them.

The loader reads files and decides addresses; it does not touch the machine. It returns a
BootImage: the blobs to copy into RAM (kept, so a reset can copy them again), the entry point and
the registers the boot protocol sets.

Placement, as QEMU's Arm direct kernel boot does it (hw/arm/boot.c behaviour):
- ELF: each PT_LOAD segment at its physical address; entry from the header; registers zero.
  No initrd (QEMU loads one only for Linux images).
- arm64 Image ("ARM\\x64" at offset 56): at RAM base + text_offset, moved up by 2 MiB when
  text_offset would overlap QEMU's boot stub at the bottom of RAM; with image_size 0 (very old
  kernels) text_offset is not valid and the image goes to RAM base + 0x80000.
- Any other file is a raw image, loaded at RAM base + 0x80000 and entered there.
- For Images and raw files the initrd goes to RAM base + min(RAM/2, 128 MiB), or above the
  kernel if that is higher, page aligned; the DTB goes at the next 2 MiB boundary after it, and
  X0 holds its address at entry (X1-X3 zero).
"""

import gzip
import struct
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from .errors import ConfigError

MiB = 1 << 20
PAGE = 4096
RAW_LOAD_OFFSET = 0x80000       # where a raw image or an Image without text_offset goes
BOOT_STUB_SIZE = 4096           # QEMU keeps the bottom of RAM for its boot stub
DTB_ALIGN = 2 * MiB             # early arm64 kernels map the DTB's 2 MiB block
MAX_GUNZIP = 256 * MiB
ARM64_MAGIC = b"ARM\x64"
ARM64_HEADER_SIZE = 64
FDT_MAGIC = 0xD00DFEED
UIMAGE_MAGIC = b"\x27\x05\x19\x56"

_ELF_MACHINES = {"EM_X86_64": "x86-64", "EM_386": "x86", "EM_ARM": "32-bit Arm",
                 "EM_RISCV": "RISC-V", "EM_PPC64": "PowerPC 64", "EM_PPC": "PowerPC",
                 "EM_MIPS": "MIPS", "EM_S390": "s390", "EM_SPARCV9": "SPARC"}


@dataclass
class BootImage:
    """What to put in RAM and how to start vCPU 0."""
    kind: str                                   # "elf", "image" or "raw"
    entry: int
    blobs: List[Tuple[int, bytes]] = field(default_factory=list)  # (physical address, bytes)
    regs: Dict[str, int] = field(default_factory=dict)            # x0=... at entry
    image_low: int = 0
    image_high: int = 0
    initrd_start: int = 0
    initrd_size: int = 0
    dtb_addr: Optional[int] = None              # where a DTB goes (None: nowhere)
    dtb_limit: Optional[int] = None             # the DTB must end below this, if set

    @property
    def is_linux(self) -> bool:
        """Booted with the Linux protocol (X0 = DTB address): Images and raw files."""
        return self.kind != "elf"


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ConfigError(f"could not load {what} '{path}': {e.strerror}") from None


def _check_in_ram(path, what, addr, size, ram_base, ram_size):
    if addr < ram_base or addr + size > ram_base + ram_size:
        raise ConfigError(f"could not load {what} '{path}': {size} bytes at {addr:#x} do not fit "
                          f"in RAM ({ram_base:#x}-{ram_base + ram_size - 1:#x})")


def load_kernel(path: str, ram_base: int, ram_size: int, initrd: Optional[str] = None,
                dtb: Optional[str] = None) -> BootImage:
    """Read the -kernel file (and -initrd, -dtb) and decide where everything goes."""
    data = _read(path, "kernel")
    if data[:4] == b"\x7fELF":
        image = _vmlinux_image(data)
        if image is not None:
            data = image                    # a Linux vmlinux: booted as the Image it holds
    if data[:4] == b"\x7fELF":
        boot = _load_elf(path, data, ram_base, ram_size)
    else:
        boot = _load_linux(path, data, ram_base, ram_size)
        if initrd is not None:
            _place_initrd(boot, initrd, ram_base, ram_size)
        boot.dtb_addr = _align_up(boot.initrd_start + boot.initrd_size, DTB_ALIGN)
        if boot.dtb_addr >= ram_base + ram_size:
            raise ConfigError("not enough space for the DTB after the kernel and initrd")
        boot.regs = {"x0": 0, "x1": 0, "x2": 0, "x3": 0}   # x0 becomes the DTB address
    if dtb is not None:
        place_dtb(boot, _read_dtb(dtb), ram_base, ram_size, path=dtb)
    return boot


def place_dtb(boot: BootImage, blob: bytes, ram_base: int, ram_size: int,
              path: str = "dtb") -> None:
    """Add a flattened device tree to the boot: at its place, X0 pointing at it for Linux
    images. For an ELF it goes at the bottom of RAM only when it fits below the image."""
    if boot.dtb_addr is None:
        return
    if boot.dtb_limit is not None and boot.dtb_addr + len(blob) > boot.dtb_limit:
        return          # no room below an ELF image: QEMU then leaves the DTB out too
    _check_in_ram(path, "dtb", boot.dtb_addr, len(blob), ram_base, ram_size)
    boot.blobs = [(a, b) for a, b in boot.blobs if a != boot.dtb_addr]
    boot.blobs.append((boot.dtb_addr, blob))
    if boot.is_linux:
        boot.regs["x0"] = boot.dtb_addr


def load_elf(core, path: str) -> int:
    """Copy an AArch64 ELF's PT_LOAD segments into a Core's RAM; return the entry point."""
    boot = _load_elf(path, _read(path, "kernel"), core.ram_base, core.ram_size)
    for addr, blob in boot.blobs:
        core.write_phys(addr, blob)
    return boot.entry


def _vmlinux_image(data: bytes) -> Optional[bytes]:
    """The arm64 Image inside a vmlinux ELF, or None if the ELF is not a Linux kernel.

    A vmlinux links at kernel virtual addresses, so its segments can't be loaded where their
    headers say; but laid out from the lowest one, their file contents are the Image itself,
    header (with its magic at offset 56) included. It then boots by the Image protocol."""
    import io
    try:
        elf = ELFFile(io.BytesIO(data))
        if elf["e_machine"] != "EM_AARCH64":
            return None
        segs = sorted((s["p_vaddr"], s.data()) for s in elf.iter_segments()
                      if s["p_type"] == "PT_LOAD" and s["p_filesz"])
    except (ELFError, struct.error, ValueError, KeyError, IndexError):
        return None                         # _load_elf reports what is wrong with it
    if not segs or segs[0][1][56:60] != ARM64_MAGIC:
        return None
    base = segs[0][0]
    image = bytearray()
    for vaddr, blob in segs:
        if vaddr - base > MAX_GUNZIP:
            return None                     # segments too far apart to be one Image
        image[vaddr - base:vaddr - base + len(blob)] = blob
    return bytes(image)


def _load_elf(path, data, ram_base, ram_size) -> BootImage:
    import io
    why = f"could not load kernel '{path}'"
    try:
        elf = ELFFile(io.BytesIO(data))
        machine = elf["e_machine"]
        if machine != "EM_AARCH64":
            name = _ELF_MACHINES.get(machine, str(machine))
            raise ConfigError(f"{why}: it is an ELF file for {name}, not AArch64")
        if elf.elfclass != 64:
            raise ConfigError(f"{why}: 32-bit (ILP32) AArch64 ELF files are not supported")
        if not elf.little_endian:
            raise ConfigError(f"{why}: big-endian ELF files are not supported")
        boot = BootImage("elf", elf["e_entry"])
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                continue
            if seg["p_filesz"] > seg["p_memsz"] or \
                    seg["p_offset"] + seg["p_filesz"] > len(data):
                raise ConfigError(f"{why}: truncated or corrupt ELF segment")
            blob = seg.data() + bytes(seg["p_memsz"] - seg["p_filesz"])
            addr = seg["p_paddr"]
            _check_in_ram(path, "kernel", addr, len(blob), ram_base, ram_size)
            boot.blobs.append((addr, blob))
    except ConfigError:
        raise
    except (ELFError, struct.error, ValueError, KeyError, IndexError) as e:
        raise ConfigError(f"{why}: not a valid ELF file ({e})") from None
    if not boot.blobs:
        raise ConfigError(f"{why}: the ELF file has no loadable segment")
    boot.image_low = min(a for a, _ in boot.blobs)
    boot.image_high = max(a + len(b) for a, b in boot.blobs)
    # QEMU puts the DTB at the bottom of RAM when the image leaves room below itself.
    if boot.image_low > ram_base:
        boot.dtb_addr = ram_base
        boot.dtb_limit = boot.image_low
    return boot


def _load_linux(path, data, ram_base, ram_size) -> BootImage:
    """An arm64 Image (gzipped or not) or a raw binary."""
    why = f"could not load kernel '{path}'"
    if not data:
        raise ConfigError(f"{why}: the file is empty")
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, why)
    if data[:4] == UIMAGE_MAGIC:
        raise ConfigError(f"{why}: U-Boot uImage files are not supported")
    kind, offset, size = "raw", RAW_LOAD_OFFSET, 0
    if data[56:60] == ARM64_MAGIC:
        kind = "image"
        if len(data) < ARM64_HEADER_SIZE:
            raise ConfigError(f"{why}: truncated arm64 Image (the header alone is "
                              f"{ARM64_HEADER_SIZE} bytes, the file {len(data)})")
        text_offset, size = struct.unpack_from("<QQ", data, 8)
        if size and size < len(data):
            raise ConfigError(f"{why}: broken arm64 Image header (image_size {size} is smaller "
                              f"than the {len(data)}-byte file)")
        if size and text_offset % PAGE:
            raise ConfigError(f"{why}: broken arm64 Image header (text_offset {text_offset:#x} "
                              "is not page aligned)")
        if size:
            offset = text_offset + (2 * MiB if text_offset < BOOT_STUB_SIZE else 0)
        _check_pe_complete(data, why)
    elif _looks_like_text(data):
        raise ConfigError(f"{why}: it is a text file, not an ELF, arm64 Image or raw binary")
    entry = ram_base + offset
    _check_in_ram(path, "kernel", entry, max(len(data), size), ram_base, ram_size)
    boot = BootImage(kind, entry, blobs=[(entry, data)])
    boot.image_low = entry
    boot.image_high = entry + size        # QEMU's view: the size the header promises (0 if raw)
    boot.initrd_start = _align_up(max(ram_base + min(ram_size // 2, 128 * MiB),
                                      boot.image_high), PAGE)
    return boot


def _place_initrd(boot, path, ram_base, ram_size):
    data = _read(path, "initrd")
    _check_in_ram(path, "initrd", boot.initrd_start, len(data), ram_base, ram_size)
    boot.initrd_size = len(data)
    if data:
        boot.blobs.append((boot.initrd_start, data))


def _read_dtb(path) -> bytes:
    data = _read(path, "dtb")
    if len(data) < 40 or struct.unpack_from(">I", data, 0)[0] != FDT_MAGIC:
        raise ConfigError(f"could not load dtb '{path}': not a flattened device tree")
    total = struct.unpack_from(">I", data, 4)[0]
    if total > len(data):
        raise ConfigError(f"could not load dtb '{path}': truncated (header says {total} bytes, "
                          f"the file has {len(data)})")
    return data[:total]


def _gunzip(data, why) -> bytes:
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, MAX_GUNZIP)
        if d.unconsumed_tail:
            raise ConfigError(f"{why}: decompresses to more than {MAX_GUNZIP // MiB} MiB")
        if not d.eof:
            raise ConfigError(f"{why}: truncated gzip data")
        return out
    except (zlib.error, gzip.BadGzipFile) as e:
        raise ConfigError(f"{why}: corrupt gzip data ({e})") from None


def _check_pe_complete(data, why):
    # Kernels built with the EFI stub are also PE/COFF files ("MZ" then a PE header): their
    # section table says how many bytes the file must have, which shows a cut-short Image.
    if data[:2] != b"MZ":
        return
    pe = struct.unpack_from("<I", data, 60)[0]
    if pe + 24 > len(data):
        raise ConfigError(f"{why}: truncated arm64 Image (its PE header is missing)")
    if data[pe:pe + 4] != b"PE\0\0":
        return
    nsect, = struct.unpack_from("<H", data, pe + 6)
    opt_size, = struct.unpack_from("<H", data, pe + 20)
    table = pe + 24 + opt_size
    if table + 40 * nsect > len(data):
        raise ConfigError(f"{why}: truncated arm64 Image (its section table is cut short)")
    end = 0
    for k in range(nsect):
        size, ptr = struct.unpack_from("<II", data, table + 40 * k + 16)
        if size:
            end = max(end, ptr + size)
    if end > len(data):
        raise ConfigError(f"{why}: truncated arm64 Image ({len(data)} bytes, its sections "
                          f"need {end})")


def _looks_like_text(data) -> bool:
    # Machine code is full of zero and high bytes; a file of printable UTF-8 is not a kernel.
    head = data[:65536]
    if b"\0" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:     # not just a character cut at the end of the sample
            return False
        text = head[:e.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\t\n\r\f" for ch in text)
    return printable >= 0.95 * max(len(text), 1)


def _align_up(v, a):
    return (v + a - 1) & ~(a - 1)
