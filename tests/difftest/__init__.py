"""Instruction-level verification of qemu_py: differential runs against qemu-aarch64 and the
capstone agreement table. SEED is the session's seed (QEMU_PY_DIFF_SEED, else random)."""

import os
import random

SEED = int(os.environ.get("QEMU_PY_DIFF_SEED", random.randrange(1 << 32)))
