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
