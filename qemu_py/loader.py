"""Guest images: ELF executables (pyelftools), arm64 Linux Images and raw binaries."""

from elftools.elf.elffile import ELFFile
from elftools.common.exceptions import ELFError

from .errors import ConfigError

EM_AARCH64 = 183


def load_elf(core, path: str) -> int:
    """Copy an AArch64 ELF's PT_LOAD segments to their physical addresses; return the entry."""
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            if elf["e_machine"] != "EM_AARCH64":
                raise ConfigError(f"{path}: ELF for {elf['e_machine']}, not AArch64")
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                    continue
                data = seg.data() + bytes(seg["p_memsz"] - seg["p_filesz"])
                try:
                    core.write_phys(seg["p_paddr"], data)
                except ValueError:
                    raise ConfigError(f"{path}: segment at {seg['p_paddr']:#x} "
                                      f"({seg['p_memsz']} bytes) is outside RAM") from None
            return elf["e_entry"]
    except ELFError as e:
        raise ConfigError(f"{path}: not a valid ELF file ({e})") from None
    except OSError as e:
        raise ConfigError(f"could not open '{path}': {e.strerror}") from None


ARM64_MAGIC = b"ARM\x64"
ARM64_HEADER_SIZE = 64


class ArmImage:
    """An arm64 Linux Image: its bytes and the header's text_offset and image_size."""

    def __init__(self, data: bytes, text_offset: int, image_size: int) -> None:
        self.data = data
        self.text_offset = text_offset
        self.image_size = image_size


def read_arm64_image(path: str, data: bytes) -> "ArmImage | None":
    """Parse the arm64 Image header; None if `data` doesn't carry the magic at offset 56."""
    if len(data) < ARM64_HEADER_SIZE or data[56:60] != ARM64_MAGIC:
        return None
    text_offset = int.from_bytes(data[8:16], "little")
    image_size = int.from_bytes(data[16:24], "little")
    if image_size == 0:
        text_offset = 0x80000      # kernels before 3.17 left the fields zero
    if image_size and len(data) > image_size:
        raise ConfigError(f"{path}: broken Image header (file is larger than image_size)")
    return ArmImage(data, text_offset, image_size)
