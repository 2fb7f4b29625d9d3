"""Snapshots: a machine's whole state at one moment, in memory or in a file, so that a run
resumed from it continues exactly as the original did.

    s = m.snapshot()            # in memory
    m.restore(s)
    m.save("state.qps")         # on disk, RAM compressed
    m2 = Machine.load_state("state.qps")

What is saved is listed in core/snapshot.pxi (vCPUs, GIC, PL011 with its queued input, the
PL031 real-time clock, the virtual clock, RAM) plus the library's own queued UART input and the state of Python devices
that offer it. Translated code, TLBs and jump caches are dropped and rebuilt; hooks and
breakpoints belong to the debugger, not the guest, and stay as they are on the machine
restored into.

The file: MAGIC, the format version (u32), the header length (u32), a JSON header (qemu_py
version, the core's struct layout, the machine configuration, the sections with their sizes
and compression), the sections, then a SHA-256 of everything before it. A file that is
truncated or altered, from another format version or core layout, or for another machine
configuration is refused with a SnapshotError saying which.
"""

import dataclasses
import hashlib
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

from .errors import SnapshotError

MAGIC = b"QEMUPYSS"
FORMAT_VERSION = 1
_DIGEST = 32
_PREFIX = struct.Struct("<8sII")        # magic, format version, header length
_CLOCK = struct.Struct("<QiI")          # virtual time of the round, exit code, last vCPU

# The configuration fields a snapshot must agree with to be restored into a machine.
MATCHING = ("machine", "cpu", "memory", "smp", "gic_version", "semihosting", "icount_shift")


@dataclass
class Snapshot:
    """The state of a machine at one moment (Machine.snapshot()). `sections` maps a section
    name to its bytes; `config` is the machine's configuration, `insn_count` the instructions
    its vCPUs had completed (for information). save(path) writes it to a file, Snapshot.load
    reads one back (Machine.restore takes either)."""
    config: Dict[str, Any]
    layout: Dict[str, int]
    version: str
    insn_count: int
    sections: Dict[str, bytes] = field(default_factory=dict)

    def save(self, path: str) -> None:
        """Write the snapshot to a file (as Machine.save does)."""
        write(self, path)

    @classmethod
    def load(cls, path: str) -> "Snapshot":
        """A snapshot read back from a file written by save(). Raises SnapshotError for a
        truncated or altered file, or one of another format version."""
        return read(path)

    def describe_config(self) -> str:
        """The snapshot's machine as command-line options: '-M virt -cpu ... -m ... -smp N'."""
        return describe(self.config)


def describe(config: Dict[str, Any]) -> str:
    """A configuration as the command-line options that differ between machines."""
    mem = config["memory"]
    size = f"{mem >> 20}M" if mem % (1 << 20) == 0 else f"{mem}B"
    text = f"-M {config['machine']} -cpu {config['cpu']} -m {size} -smp {config['smp']}"
    if config.get("semihosting"):
        text += " -semihosting"
    if config.get("icount_shift") is not None:
        text += f" -icount shift={config['icount_shift']}"
    return text


def config_dict(config) -> Dict[str, Any]:
    """A MachineConfig as plain JSON-able values."""
    out = dataclasses.asdict(config)
    out["plugins"] = [[path, list(args)] for path, args in out.get("plugins", [])]
    out["semihosting_args"] = list(out.get("semihosting_args", ()))
    out["log_items"] = list(out.get("log_items", ()))
    return out


# --- machine <-> snapshot --------------------------------------------------------------------


def capture(machine) -> Snapshot:
    """The machine's state now (between runs)."""
    from . import __version__
    core = machine.core
    snap = Snapshot(config=config_dict(machine.config), layout=core.state_layout(),
                    version=__version__,
                    insn_count=sum(cpu.insn_count for cpu in machine.cpus))
    sec = snap.sections
    for k in range(core.ncpus):
        sec[f"cpu{k}"] = core.save_cpu(k)
    sec["gic"], sec["pl011"] = core.save_devices()
    sec["pl031"] = core.save_rtc()
    sec["clock"] = _CLOCK.pack(*core.save_clock())
    sec["ram.map"], sec["ram.pages"] = core.save_ram()
    sec["uart.input"] = bytes(machine.uart._state()["pending_input"])
    for name, data in machine._python_device_states().items():
        sec[f"device.{name}"] = data
    return snap


def check_compatible(snap: Snapshot, machine) -> None:
    """Raise SnapshotError unless the snapshot can be restored into this machine."""
    from . import __version__
    layout = machine.core.state_layout()
    if snap.layout != layout:
        raise SnapshotError(f"the snapshot was made by qemu_py {snap.version} whose core keeps "
                            f"its state differently ({_layout_diff(snap.layout, layout)}); "
                            f"this is qemu_py {__version__}")
    mine = config_dict(machine.config)
    wrong = [k for k in MATCHING if snap.config.get(k) != mine.get(k)]
    if wrong:
        raise SnapshotError(f"the snapshot is of a machine '{describe(snap.config)}', this one "
                            f"is '{describe(mine)}' (they differ in {', '.join(wrong)})")
    missing = [f"cpu{k}" for k in range(machine.core.ncpus) if f"cpu{k}" not in snap.sections]
    missing += [s for s in ("gic", "pl011", "pl031", "clock", "ram.map", "ram.pages")
                if s not in snap.sections]
    if missing:
        raise SnapshotError(f"the snapshot lacks sections: {', '.join(missing)}")
    machine._check_python_device_states({name[len("device."):]: data
                                         for name, data in snap.sections.items()
                                         if name.startswith("device.")})


def apply(machine, snap: Snapshot) -> None:
    """Put the machine in the snapshot's state. check_compatible first."""
    core = machine.core
    sec = snap.sections
    try:
        for k in range(core.ncpus):
            core.load_cpu(k, sec[f"cpu{k}"])
        core.load_devices(sec["gic"], sec["pl011"])
        core.load_rtc(sec["pl031"])
        core.load_clock(*_CLOCK.unpack(sec["clock"]))
        core.load_ram(sec["ram.map"], sec["ram.pages"])
    except (ValueError, struct.error) as e:
        raise SnapshotError(f"the snapshot is damaged: {e}") from None
    core.state_loaded()
    machine.uart._set_state({"pending_input": sec.get("uart.input", b"")})
    machine._set_python_device_states({name[len("device."):]: data for name, data in sec.items()
                                       if name.startswith("device.")})


def _layout_diff(a: Dict[str, int], b: Dict[str, int]) -> str:
    keys = sorted(set(a) | set(b))
    return ", ".join(f"{k} {a.get(k)} bytes, here {b.get(k)}" for k in keys if a.get(k) != b.get(k))


# --- files -----------------------------------------------------------------------------------


def write(snap: Snapshot, path: str, level: int = 6) -> None:
    """Write a snapshot file (sections zlib-compressed)."""
    names: List[Tuple[str, int, int]] = []
    payload = []
    for name, data in snap.sections.items():
        packed = zlib.compress(data, level)
        names.append((name, len(data), len(packed)))
        payload.append(packed)
    header = json.dumps({
        "qemu_py": snap.version, "layout": snap.layout, "config": snap.config,
        "insn_count": snap.insn_count,
        "sections": [{"name": n, "size": size, "stored": stored, "codec": "zlib"}
                     for n, size, stored in names],
    }, sort_keys=True).encode()
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for piece in [_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)), header] + payload:
            f.write(piece)
            digest.update(piece)
        f.write(digest.digest())


def read(path: str) -> Snapshot:
    """Read and check a snapshot file. Raises SnapshotError (or OSError for a missing file)."""
    with open(path, "rb") as f:
        blob = f.read()
    where = f"snapshot file '{path}'"
    if len(blob) < _PREFIX.size or blob[:len(MAGIC)] != MAGIC:
        if MAGIC.startswith(blob[:len(MAGIC)]):
            raise SnapshotError(f"{where} is truncated ({len(blob)} bytes)")
        raise SnapshotError(f"{where} is not a qemu_py snapshot")
    _, version, header_len = _PREFIX.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise SnapshotError(f"{where} has format version {version}; this qemu_py reads "
                            f"version {FORMAT_VERSION}")
    start = _PREFIX.size
    if len(blob) < start + header_len + _DIGEST:
        raise SnapshotError(f"{where} is truncated ({len(blob)} bytes)")
    try:
        header = json.loads(blob[start:start + header_len])
        sections = header["sections"]
        expected = start + header_len + sum(s["stored"] for s in sections) + _DIGEST
    except (ValueError, KeyError, TypeError):
        raise SnapshotError(f"{where} is corrupt (its header cannot be read)") from None
    if len(blob) < expected:
        raise SnapshotError(f"{where} is truncated: {len(blob)} bytes of {expected}")
    if len(blob) > expected:
        raise SnapshotError(f"{where} is corrupt: {len(blob) - expected} bytes too many")
    if hashlib.sha256(blob[:-_DIGEST]).digest() != blob[-_DIGEST:]:
        raise SnapshotError(f"{where} is corrupt (checksum mismatch)")
    snap = Snapshot(config=header["config"], layout=header["layout"], version=header["qemu_py"],
                    insn_count=header.get("insn_count", 0))
    pos = start + header_len
    for s in sections:
        data = blob[pos:pos + s["stored"]]
        pos += s["stored"]
        if s.get("codec") == "zlib":
            try:
                data = zlib.decompress(data)
            except zlib.error:
                raise SnapshotError(f"{where} is corrupt (section {s['name']})") from None
        if len(data) != s["size"]:
            raise SnapshotError(f"{where} is corrupt (section {s['name']} has the wrong size)")
        snap.sections[s["name"]] = data
    return snap
