"""Operand values for the differential tests: random numbers biased towards the edges where
integer semantics go wrong (zero, one, all ones, the signed limits at 32 and 64 bits, powers of
two and their neighbours, shift amounts around the register width)."""

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1

EDGES = tuple(v & M64 for v in (
    0, 1, 2, 3, -1, -2,
    (1 << 63), (1 << 63) - 1, (1 << 63) + 1,          # INT64_MIN, INT64_MAX, INT64_MIN + 1
    (1 << 31), (1 << 31) - 1, M32, 1 << 32, -(1 << 31), (1 << 31) + 1,   # INT32 edges
    0xffffffff00000000, 0x8000000080000000, 0x7fffffff7fffffff, 0x00000000ffff0000,
    31, 32, 33, 63, 64, 65, 127, 128, 255, 256, 0xffff, 0x10000, 0x7fff, 0x8000,
))


def edge(rng) -> int:
    return rng.choice(EDGES)


def value(rng) -> int:
    """A 64-bit register value: edges, small numbers, 32-bit and 64-bit randoms."""
    r = rng.random()
    if r < 0.30:
        return edge(rng)
    if r < 0.45:
        return rng.randint(-300, 300) & M64
    if r < 0.55:
        b = rng.randrange(64)
        return ((1 << b) + rng.choice((-1, 0, 1))) & M64
    if r < 0.70:
        v = rng.getrandbits(32)
        return v if rng.random() < 0.5 else (v - (1 << 32) if v >> 31 else v) & M64
    return rng.getrandbits(64)


def scratch_bytes(rng, n: int) -> bytes:
    """Initial contents of a scratch buffer: random bytes with runs of edge patterns."""
    out = bytearray(rng.getrandbits(8 * n).to_bytes(n, "little"))
    for _ in range(n // 32):
        k = rng.randrange(0, n - 8)
        out[k:k + 8] = edge(rng).to_bytes(8, "little")
    return bytes(out)


def logical_imm(rng, width: int) -> int:
    """A value encodable as an A64 logical (bitmask) immediate of `width` bits: a rotated run of
    ones in an element of 2..width bits, replicated."""
    esize = rng.choice([e for e in (2, 4, 8, 16, 32, 64) if e <= width])
    ones = rng.choice((1, esize - 1, rng.randint(1, esize - 1)))
    rot = rng.choice((0, esize - 1, rng.randrange(esize)))
    elem = (1 << ones) - 1
    elem = ((elem >> rot) | (elem << (esize - rot))) & ((1 << esize) - 1)
    v = 0
    for k in range(width // esize):
        v |= elem << (k * esize)
    return v
