"""The guest of benchmarks/library.py (the compute kernel as a raw snippet, run through the
library with until_pc) at a tiny size, not timed: its results against compute.c redone in
Python (zlib's CRC-32, the hashes, sorted(), a sieve), so the benchmark's guest cannot rot
silently; its hooks' counts against the run's own instruction count; and, where Unicorn 2 is
installed, the same runs in Unicorn (state after the run, instructions, data accesses)."""

import importlib.util
import struct
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
M64 = (1 << 64) - 1


def _load_snippet_module():
    spec = importlib.util.spec_from_file_location(
        "compute_snippet", ROOT / "benchmarks" / "compute_snippet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cs = _load_snippet_module()


@pytest.fixture(scope="module")
def snippet(tmp_path_factory):
    return cs.build(tmp_path_factory.mktemp("snippet"))


def compute_in_python(rounds: int) -> dict:
    """What tests/guests/compute.c reports after `rounds` rounds, worked out on the host."""
    state = 0x853C49E6748FEA9B

    def xorshift64():
        nonlocal state
        x = state
        x ^= (x << 13) & M64
        x ^= x >> 7
        x ^= (x << 17) & M64
        state = x
        return x

    crc = fnv = murmur = sort_sum = prime_sum = primes = 0
    for rnd in range(rounds):
        buf = b"".join(xorshift64().to_bytes(8, "little") for _ in range(16384 // 8))
        crc ^= zlib.crc32(buf)                  # the same reflected 0xEDB88320 CRC-32
        h = 0xCBF29CE484222325
        for byte in buf:
            h = ((h ^ byte) * 0x100000001B3) & M64
        fnv ^= h
        h = 0x1234567
        for (v,) in struct.iter_unpack("<Q", buf):
            v ^= v >> 33
            v = (v * 0xFF51AFD7ED558CCD) & M64
            v ^= v >> 33
            v = (v * 0xC4CEB9FE1A85EC53) & M64
            v ^= v >> 33
            h = ((h ^ v) * 5 + 0xE6546B64) & M64
            h = ((h << 27) | (h >> 37)) & M64
        murmur ^= h
        for key in sorted(xorshift64() & 0xFFFFFFFF for _ in range(2048)):
            sort_sum = (sort_sum * 31 + key) & M64
        n = 65536 - (rnd & 63)
        composite = bytearray(n)
        found = []
        for p in range(2, n):
            if not composite[p]:
                found.append(p)
                composite[p * p::p] = b"\1" * len(range(p * p, n, p))
        prime_sum = (prime_sum + sum(found)) & M64
        primes = len(found)
    return {"crc32": crc, "fnv1a": fnv, "murmur": murmur, "sort": sort_sum,
            "prime-sum": prime_sum, "primes": primes, "sorted": 1}


def test_snippet_results_match_python(snippet):
    for rounds in (1, 2):
        out = cs.run_qemu_py(snippet, rounds)
        assert out.results == compute_in_python(rounds)
        assert out.regs["pc"] == snippet.end and out.regs["sp"] == snippet.top    # back from the kernel


def test_snippet_hook_counts_match_the_run(snippet):
    plain = cs.run_qemu_py(snippet, 1)
    insns = plain.counts["instructions"]
    assert insns > 1_000_000
    for hook in ("block", "insn", "mem"):
        out = cs.run_qemu_py(snippet, 1, hook)
        assert out.counts["instructions"] == insns
        assert cs.state_differences(plain, out) == []
    assert cs.run_qemu_py(snippet, 1, "insn").counts["insn hook calls"] == insns
    # Blocks with hooks run whole (a vCPU quantum's end does not cut them): their lengths add
    # up to the instructions run.
    assert cs.run_qemu_py(snippet, 1, "block").counts["block instructions"] == insns


@pytest.mark.parametrize("hook", cs.HOOKS)
def test_snippet_agrees_with_unicorn(snippet, hook):
    version = cs.unicorn_version()
    if version is None or int(version.split(".")[0]) < 2:
        pytest.skip("Unicorn 2 is not installed (pip install 'unicorn>=2')")
    q = cs.run_qemu_py(snippet, 1, hook)
    u = cs.run_unicorn(snippet, 1, hook)
    assert cs.state_differences(q, u) == []
    assert u.results == compute_in_python(1)
    bad, _ = cs.expected_counts_agree(q, u, hook)
    assert bad == []
