"""Temporary: which generator classes the core does not decode yet, so their tests can be
marked xfail while the instruction groups land. To be removed once every group is on main."""

from . import gen

_HARNESS = ["adrp x30, .", "add x30, x30, #0x10", "ldr x0, [x30, #256]", "ldp x0, x1, [x30, #16]",
            "stp x0, x1, [x30, #16]", "str x0, [x30, #256]", "mov sp, x0", "mov x1, sp",
            "msr nzcv, x0", "mrs x0, nzcv", "msr tpidr_el0, x30", "mrs x0, tpidr_el0", "clrex"]
_cache = {}


def _fill():
    from qemu_py import _core
    from . import asm
    if not _cache:
        undef = lambda words: any(_core.decode(w)[0] == "UNDEF" for _, w in words)
        _cache["harness"] = undef(asm.assemble(_HARNESS))
        for cls, words in asm.class_samples(1, 40).items():
            _cache[cls] = undef(words)


def missing_classes(group):
    """Classes of `group` whose sample encodings the core still decodes as UNDEF."""
    _fill()
    return [c for c in gen.group_weights(group) if _cache[c]]


def harness_missing():
    _fill()
    return _cache["harness"]
