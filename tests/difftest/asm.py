"""Assembling loose instruction lines to their encodings (for the capstone agreement test and
for finding which instruction classes the core decodes)."""

import os
import random
import subprocess
import tempfile
from typing import Dict, List, Tuple

from .build import AS, ASFLAGS, DATA_BASE
from .gen import CLASSES, Builder, NoRegisters

OBJCOPY = "aarch64-linux-gnu-objcopy"


def assemble(lines: List[str], tail: List[str] = ()) -> List[Tuple[str, int]]:
    """(line, encoding) for every instruction line of `lines` (labels are skipped); `tail` is
    assembled after them (literal pools) and not returned."""
    insns = [ln for ln in lines if not ln.rstrip().endswith(":")]
    with tempfile.TemporaryDirectory(prefix="difftest-asm-") as d:
        src, obj, binf = (os.path.join(d, n) for n in ("a.s", "a.o", "a.bin"))
        with open(src, "w") as f:
            f.write("\n".join(["    .text"] + list(lines) + list(tail)) + "\n")
        r = subprocess.run([AS, *ASFLAGS, "-o", obj, src], capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"{AS} failed:\n{r.stderr[:3000]}")
        subprocess.run([OBJCOPY, "-O", "binary", "-j", ".text", obj, binf], check=True)
        data = open(binf, "rb").read()
    return [(ln, int.from_bytes(data[4 * k:4 * k + 4], "little")) for k, ln in enumerate(insns)]


def class_samples(seed: int, per_class: int) -> Dict[str, List[Tuple[str, int]]]:
    """`per_class` generated instructions of every class with their encodings (register
    branches come with the ADR that sets them up, CAS with its preparing load)."""
    rng = random.Random(seed)
    lines, pool, owner = [], [], []
    for idx, cls in enumerate(CLASSES):
        for j in range(per_class):
            b = Builder(rng, 1000 * idx + j, DATA_BASE)
            try:
                getattr(b, "g_" + cls)()
            except NoRegisters:
                continue
            b._close(True)
            lines.extend(b.lines)
            pool.extend(b.pool)
            owner.extend(cls for ln in b.lines if not ln.endswith(":"))
    words = assemble(lines, pool)
    out: Dict[str, List[Tuple[str, int]]] = {c: [] for c in CLASSES}
    for cls, lw in zip(owner, words):
        out[cls].append(lw)
    return out
