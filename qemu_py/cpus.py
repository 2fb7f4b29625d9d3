"""The CPU models -cpu accepts and the identification registers each one shows the guest.
Each model claims only what the core implements."""

CORTEX_A57 = {
    "midr": 0x411FD070,
    "revidr": 0,
    "ctr": 0x8444C004,
    "dczid": 4,                     # DC ZVA zeroes 64 bytes
    "clidr": 0x0A200023,
    "id_aa64pfr0": 0x00000011,      # EL0, EL1 AArch64 only; FP and AdvSIMD implemented (0)
    "id_aa64pfr1": 0,
    "id_aa64dfr0": 0x10305006,      # debug v8, 6 breakpoints, 4 watchpoints, no PMU
    "id_aa64isar0": 0x00010000,     # CRC32
    "id_aa64isar1": 0,
    "id_aa64mmfr0": 0x00001124,
    "id_aa64mmfr1": 0,
    "id_aa64mmfr2": 0,
}

# -cpu max: everything implemented. LSE atomics (ISAR0.Atomic = 2) on top of the A57's set.
MAX = dict(CORTEX_A57, midr=0x000F0510, id_aa64isar0=0x00010000 | (2 << 20),
           id_aa64mmfr0=0x00001124 | (1 << 20))     # the MMU has the 16K granule too (TGran16)

MODELS = {"cortex-a57": CORTEX_A57, "max": MAX}

# Optional instructions each model has (names of _core.FEATURES).
FEATURES = {"cortex-a57": ("crc32",), "max": ("crc32", "lse")}


def mpidr(index: int) -> int:
    """MPIDR_EL1 of vCPU `index`: bit 31 RES1, Aff0 the index (one cluster, as on virt)."""
    return 0x80000000 | index

# The "compatible" string of each model's cpu nodes in the device tree.
COMPATIBLE = {"cortex-a57": "arm,cortex-a57", "max": "arm,arm-v8"}
