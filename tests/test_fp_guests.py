"""The FP/SIMD guests' results against truth other than QEMU (test_guests.py compares them with
qemu-system-aarch64): fp_dtoa's shortest, %.16e and exact decimal strings against Python's
float repr, format and Decimal, its float32 shortest strings against exact rational
arithmetic; the FFT guest's convolution and spectrum peaks; the fast-path reads."""

import struct
from decimal import Decimal
from fractions import Fraction

import pytest

from test_guests import run_qemu_py

BUILDS = ["o2", "o3"]
_runs = {}


def output(guest_elf, name: str) -> str:
    if name not in _runs:
        res = run_qemu_py(guest_elf(name), "max")
        assert res.returncode == 0, res.stderr.decode(errors="replace")
        _runs[name] = res.stdout.decode()
    return _runs[name]


def f64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def f32_value(bits: int) -> Fraction:
    """A finite positive float32 as an exact fraction."""
    e, f = bits >> 23, bits & 0x7fffff
    return Fraction(f, 1 << 149) if e == 0 else Fraction(f | 0x800000, 1 << 23) * Fraction(2) ** (e - 127)


def nearest_f32(q: Fraction) -> int:
    """The float32 (positive, finite) that q reads as: nearest, ties to even."""
    guess = struct.unpack("<I", struct.pack("<f", float(q)))[0]
    cands = [b for b in (guess - 1, guess, guess + 1) if 0 <= b < 0x7f800000]
    return min(cands, key=lambda b: (abs(f32_value(b) - q), b & 1))


def sci_parts(s: str):
    """'1.25e-3' -> ('125', exponent X) with value 0.125 * 10^X... as digits and point place."""
    mant, exp = s.split("e")
    digits = mant.replace(".", "")
    return digits, int(exp) + 1


@pytest.mark.parametrize("build", BUILDS)
def test_dtoa_digits_are_exact(guest_elf, build):
    lines = [ln.split() for ln in output(guest_elf, f"fp_dtoa_{build}").splitlines()
             if ln.startswith("d ")]
    assert len(lines) >= 150
    for f in lines:
        name, bits, shortest, e17, exact = f[1:6]
        x = f64(int(bits, 16))
        where = f"{name} {bits}"
        if x != x:
            assert (shortest, e17, exact) == ("nan",) * 3, where
            continue
        if x in (float("inf"), float("-inf")) or x == 0:
            sign = "-" if str(x).startswith("-") else ""
            word = "inf" if x != 0 else "0"
            assert (shortest, e17, exact) == (sign + word,) * 3, where
            continue
        assert Decimal(shortest) == Decimal(repr(x)), f"{where}: shortest {shortest}, {x!r}"
        assert e17 == f"{x:.16e}", f"{where}: %.16e {e17}, {x:.16e}"
        assert Decimal(exact) == Decimal(x), f"{where}: exact {exact}"


@pytest.mark.parametrize("build", BUILDS)
def test_dtoa_float32_shortest(guest_elf, build):
    """Each float32 string reads back to its float, no string one digit shorter does, and of
    the strings of its length that do it is the nearest."""
    checked = 0
    for ln in output(guest_elf, f"fp_dtoa_{build}").splitlines():
        if not ln.startswith("d "):
            continue
        f = ln.split()
        bits, s = int(f[f.index("f32") + 1], 16), f[f.index("f32") + 2]
        if (bits & 0x7fffffff) == 0 or (bits & 0x7f800000) == 0x7f800000:
            continue
        s = s.lstrip("-")
        bits &= 0x7fffffff
        digits, point = sci_parts(s)
        n = len(digits)
        q = Fraction(Decimal(s))
        assert nearest_f32(q) == bits, f"{s} does not read back to {bits:#x}"
        v = f32_value(bits)
        if n > 1:
            scale = Fraction(10) ** (n - 1 - point)
            for c in (int(v * scale), int(v * scale) + 1):
                if c:
                    assert nearest_f32(Fraction(c) / scale) != bits, f"{s}: {c} is shorter"
        scale = Fraction(10) ** (n - point)
        readable = [Fraction(c) / scale for c in (int(v * scale), int(v * scale) + 1)
                    if c and nearest_f32(Fraction(c) / scale) == bits]
        assert q == min(readable, key=lambda r: abs(r - v)), f"{s}: not the nearest"
        checked += 1
    assert checked >= 90


@pytest.mark.parametrize("build", BUILDS)
def test_fft_guest_self_checks(guest_elf, build):
    out = output(guest_elf, f"fp_fft_{build}")
    assert "convolution wrong coefficients 0\n" in out
    for ln in out.splitlines():
        if "top bins" in ln:
            assert sorted(map(int, ln.split()[-4:])) == [37, 100, 924, 987], ln


@pytest.mark.parametrize("build", BUILDS)
def test_dtoa_fast_path_reads_back(guest_elf, build):
    """Clinger's fast path (<= 15 digits, |power| <= 22) gives back every double exactly."""
    line = next(ln for ln in output(guest_elf, f"fp_dtoa_{build}").splitlines()
                if ln.startswith("fast path reads"))
    ok, tried = int(line.split()[3]), int(line.split()[5])
    assert tried >= 30 and ok == tried, line
