"""Turning generated sequences into one static AArch64 ELF that runs under qemu-aarch64 (Linux
user mode) and under qemu_py (bare metal at EL1) alike.

Memory layout (all inside qemu_py's RAM, which starts at 0x40000000):

    TEXT_BASE  _start, the vector table, the sequences, `done`
    DATA_BASE  scratch buffers (SCRATCH_SIZE each), then result blocks, then init blocks

A block is BLOCK bytes: X0..X30, SP, NZCV as 64-bit little-endian words. Each sequence loads its
init block, runs, and stores its result block (X30 goes through TPIDR_EL0 so it can address the
block). At `done` the program writes the scratch buffers and the result blocks to stdout and exits;
qemu_py stops before `done` and the same bytes are read from its RAM.
"""

import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from typing import Dict, List

from .gen import SCRATCH_SIZE, Sequence

TEXT_BASE = 0x40100000
DATA_BASE = 0x41000000
BLOCK = 34 * 8
NREGS = 33                              # X0..X30, SP, NZCV

AS = "aarch64-linux-gnu-as"
LD = "aarch64-linux-gnu-ld"
ASFLAGS = ["-march=armv8.1-a+crc"]

_MACROS = """
.macro PROLOGUE off
    clrex
    adrp x30, data_base + \\off
    add x30, x30, :lo12:data_base + \\off
    ldr x0, [x30, #256]
    msr nzcv, x0
    ldr x0, [x30, #248]
    mov sp, x0
    ldp x0, x1, [x30, #0]
    ldp x2, x3, [x30, #16]
    ldp x4, x5, [x30, #32]
    ldp x6, x7, [x30, #48]
    ldp x8, x9, [x30, #64]
    ldp x10, x11, [x30, #80]
    ldp x12, x13, [x30, #96]
    ldp x14, x15, [x30, #112]
    ldp x16, x17, [x30, #128]
    ldp x18, x19, [x30, #144]
    ldp x20, x21, [x30, #160]
    ldp x22, x23, [x30, #176]
    ldp x24, x25, [x30, #192]
    ldp x26, x27, [x30, #208]
    ldp x28, x29, [x30, #224]
    ldr x30, [x30, #240]
.endm

.macro EPILOGUE off
    msr tpidr_el0, x30
    adrp x30, data_base + \\off
    add x30, x30, :lo12:data_base + \\off
    stp x0, x1, [x30, #0]
    stp x2, x3, [x30, #16]
    stp x4, x5, [x30, #32]
    stp x6, x7, [x30, #48]
    stp x8, x9, [x30, #64]
    stp x10, x11, [x30, #80]
    stp x12, x13, [x30, #96]
    stp x14, x15, [x30, #112]
    stp x16, x17, [x30, #128]
    stp x18, x19, [x30, #144]
    stp x20, x21, [x30, #160]
    stp x22, x23, [x30, #176]
    stp x24, x25, [x30, #192]
    stp x26, x27, [x30, #208]
    stp x28, x29, [x30, #224]
    mrs x0, tpidr_el0
    mov x1, sp
    stp x0, x1, [x30, #240]
    mrs x0, nzcv
    str x0, [x30, #256]
.endm
"""

_HEAD = """
    .text
    .globl _start
_start:
    b seq_0

    // qemu_py only: every exception comes here and stops the run at `done` (ELR tells where).
    .balign 2048
vectors:
    .rept 16
    b done
    .balign 128
    .endr
"""

_TAIL = """
    // Write scratch buffers and result blocks to stdout, then exit(0).
done:
    adrp x1, data_base
    add x1, x1, :lo12:data_base
    ldr x2, .Lout_len
1:  mov x0, #1
    mov x8, #64
    svc #0
    cmp x0, #0
    b.le 2f
    add x1, x1, x0
    subs x2, x2, x0
    b.ne 1b
2:  mov x0, #0
    mov x8, #93
    svc #0
    .balign 8
.Lout_len: .quad {out_len}

    .data
data_base:
    .incbin "data.bin"
"""

_LINK = """
ENTRY(_start)
SECTIONS {{
  . = {text:#x};
  .text : {{ *(.text*) }}
  . = {data:#x};
  .data : {{ *(.data*) }}
  /DISCARD/ : {{ *(.note*) *(.comment) *(.ARM.attributes) }}
}}
"""


@dataclass
class Layout:
    count: int

    @property
    def results(self) -> int:             # offset of the result blocks from DATA_BASE
        return self.count * SCRATCH_SIZE

    @property
    def inits(self) -> int:
        return self.results + self.count * BLOCK

    @property
    def out_len(self) -> int:             # bytes the program prints: scratch + results
        return self.inits

    def scratch_addr(self, k: int) -> int:
        return DATA_BASE + k * SCRATCH_SIZE


def init_block(seq: Sequence) -> bytes:
    return struct.pack("<34Q", *seq.regs, seq.sp, seq.nzcv, 0)


def assembly(seqs: List[Sequence]) -> str:
    lay = Layout(len(seqs))
    out = [_MACROS, _HEAD]
    for k, seq in enumerate(seqs):
        out.append(f"seq_{k}:")
        out.append(f"    PROLOGUE {lay.inits + k * BLOCK}")
        out.append(f"body_{k}:")
        out.extend(line if line.endswith(":") else "    " + line for line in seq.body)
        out.append(f"epilogue_{k}:")
        out.append(f"    EPILOGUE {lay.results + k * BLOCK}")
        if seq.pool:
            out.append(f"    b seq_{k + 1}")
            out.extend(seq.pool)
    out.append(f"seq_{len(seqs)}:")          # the last sequence runs into `done`
    out.append(_TAIL.format(out_len=lay.out_len))
    return "\n".join(out)


def data_image(seqs: List[Sequence]) -> bytes:
    lay = Layout(len(seqs))
    parts = [s.scratch for s in seqs]
    parts.append(bytes(len(seqs) * BLOCK))
    parts.extend(init_block(s) for s in seqs)
    img = b"".join(parts)
    assert len(img) == lay.inits + len(seqs) * BLOCK
    return img


class BuildError(Exception):
    pass


def build(seqs: List[Sequence], workdir: str) -> str:
    """Assemble and link the sequences in `workdir`; returns the ELF's path."""
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "seqs.s")
    text = assembly(seqs)
    with open(src, "w") as f:
        f.write(text)
    with open(os.path.join(workdir, "data.bin"), "wb") as f:
        f.write(data_image(seqs))
    with open(os.path.join(workdir, "link.ld"), "w") as f:
        f.write(_LINK.format(text=TEXT_BASE, data=DATA_BASE))
    obj = os.path.join(workdir, "seqs.o")
    elf = os.path.join(workdir, "seqs.elf")
    r = subprocess.run([AS, *ASFLAGS, "-o", obj, src], cwd=workdir, capture_output=True, text=True)
    if r.returncode:
        raise BuildError(f"{AS} failed:\n{r.stderr[:4000]}")
    r = subprocess.run([LD, "-static", "-nostdlib", "-T", "link.ld", "-o", elf, obj],
                       cwd=workdir, capture_output=True, text=True)
    if r.returncode:
        raise BuildError(f"{LD} failed:\n{r.stderr[:4000]}")
    return elf


def symbols(elf: str) -> Dict[str, int]:
    """The symbols of the ELF (seq_K, body_K, epilogue_K, done, vectors, ...). Read with
    struct: pyelftools takes a second for the ten thousand symbols of a batch."""
    data = open(elf, "rb").read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + k * shentsize)
                for k in range(shnum)]
    out = {}
    for sh in sections:
        if sh[1] != 2:                      # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]            # sh_link: its string table
        str_off = strtab[4]
        for name, _info, _other, _shndx, value, _size in struct.iter_unpack(
                "<IBBHQQ", data[sh[4]:sh[4] + sh[5]]):
            if name:
                end_ = data.index(b"\0", str_off + name)
                out[data[str_off + name:end_].decode()] = value
    return out


def tools_present() -> List[str]:
    """The external tools the differential tests need that are missing."""
    return [t for t in (AS, LD, "qemu-aarch64") if shutil.which(t) is None]
