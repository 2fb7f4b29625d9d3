"""Debian's arm64 Linux boots to a busybox shell on qemu-py-system and answers commands piped into
stdin from the very start (before the kernel has booted), with -smp 4 and -smp 1; the busybox
userspace (glibc-static, FP/SIMD) computes what the host computes for the same data.

The kernel is Debian's linux-image-*-arm64-unsigned and busybox is Debian's busybox-static for
arm64 (apt-get download, cached in ~/.cache/qemu_py); the initramfs is qemu_py.rootfs's.
"""

import base64
import gzip
import hashlib
import math
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qemu_py import debian, rootfs

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
TIMEOUT = 600
# The PL031's start date: fixed, so that two boots are the same to the instruction (the
# default, the host's time, changes the kernel's log and work from run to run).
RTC_BASE = "2025-06-01T12:00:00"

# Lines a healthy boot never prints.
BAD_LINES = re.compile(r"Oops|BUG:|WARNING:|Kernel panic|detected stalls|rcu: INFO|"
                       r"Unhandled|undefined instruction|segfault|Illegal instruction|"
                       r"(timer|GIC|gic).*(warn|fail|broken|error)", re.IGNORECASE)


def _fetch(what):
    try:
        return what()
    except Exception as e:
        if os.environ.get("CI"):
            raise                   # CI provides apt and a network: a failure is real
        pytest.skip(f"Debian's arm64 packages are not available here: {e}")


@pytest.fixture(scope="module")
def kernel():
    return _fetch(debian.kernel_image)


@pytest.fixture(scope="module")
def busybox():
    return _fetch(debian.busybox_static).read_bytes()


# Data for the userspace checks, made here and put in the initramfs.
def _blob() -> bytes:
    rng = random.Random(20240611)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]
    lines = [f"{rng.choice(words)}{rng.randrange(1000)} {rng.randrange(-10**6, 10**6)} "
             f"{rng.random() * 1000:.4f}" for _ in range(6000)]
    return ("\n".join(lines) + "\n").encode() + bytes(rng.randrange(256) for _ in range(70000))


CHECK_SCRIPT = r"""
cd /data
echo "R:sha256:$(sha256sum blob | cut -d' ' -f1)"
echo "R:gzip:$(gzip -9 < blob | gunzip | sha256sum | cut -d' ' -f1)"
echo "R:gzipsize-nonzero:$(gzip -9 < blob | wc -c | awk '{print ($1 > 1000 && $1 < 200000)}')"
echo "R:awk:$(awk 'BEGIN { s = 0; x = 1; for (i = 1; i <= 20000; i++) s += (i * i) % 97;
                           for (i = 1; i <= 60; i++) x = x * 1.1 + 1 / i;
                           printf "%d %.9f %.6e %d", s, x, 22 / 7 / 1e5, int(-7.5 / 2) }')"
echo "R:awkcol:$(head -n 6000 blob | awk '{ n += $2; f += $3 } END { printf "%d %.4f", n, f }')"
echo "R:sort:$(head -n 6000 blob | sort | sha256sum | cut -d' ' -f1)"
echo "R:sortn:$(head -n 6000 blob | sort -k2,2n -k1,1 | sha256sum | cut -d' ' -f1)"
echo "R:dd:$(dd if=blob bs=512 skip=7 count=33 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "R:md5:$(md5sum blob | cut -d' ' -f1)"
echo "R:sha1:$(sha1sum blob | cut -d' ' -f1)"
echo "R:sha512:$(sha512sum blob | cut -d' ' -f1)"
echo "R:sha3:$(sha3sum -a 256 blob | cut -d' ' -f1)"
echo "R:bzip2:$(bzip2 -9 < blob | bunzip2 | sha256sum | cut -d' ' -f1)"
echo "R:base64:$(head -c 3000 blob | base64 | sha256sum | cut -d' ' -f1)"
echo "R:bc:$(echo 'scale=30; sqrt(2); 2^100; 7/3; -11/4' | bc | tr '\n' ' ')"
echo "R:printf:$(printf '%f %e %g %.17g %x' 3.14159 2.5e-10 1e100 0.1 255)"
echo "R:factor:$(factor 600851475143)"
echo "R:ddpipe:$(cat blob | dd bs=1 skip=100 count=5000 2>/dev/null | sha256sum | cut -d' ' -f1)"
"""


def _expected() -> dict:
    blob = _blob()
    text_lines = blob.split(b"\n")[:6000]
    s = sum((i * i) % 97 for i in range(1, 20001))
    x = 1.0
    for i in range(1, 61):
        x = x * 1.1 + 1 / i
    n = sum(int(line.split()[1]) for line in text_lines)
    f = sum(float(line.split()[2]) for line in text_lines)

    def sha(data):
        return hashlib.sha256(data).hexdigest()

    sorted_n = sorted(text_lines, key=lambda ln: (int(ln.split()[1]), ln.split()[0], ln))
    return {
        "sha256": sha(blob),
        "gzip": sha(gzip.decompress(gzip.compress(blob, 9))),
        "gzipsize-nonzero": "1",
        "awk": f"{s} {x:.9f} {22 / 7 / 1e5:.6e} {int(-7.5 / 2)}",
        "awkcol": f"{n} {f:.4f}",
        "sort": sha(b"".join(ln + b"\n" for ln in sorted(text_lines))),
        "sortn": sha(b"".join(ln + b"\n" for ln in sorted_n)),
        "dd": sha(blob[7 * 512:40 * 512]),
        "ddpipe": sha(blob[100:5100]),
        "md5": hashlib.md5(blob).hexdigest(),
        "sha1": hashlib.sha1(blob).hexdigest(),
        "sha512": hashlib.sha512(blob).hexdigest(),
        "sha3": hashlib.sha3_256(blob).hexdigest(),
        "bzip2": sha(blob),
        "base64": sha(base64.encodebytes(blob[:3000])),
        "bc": " ".join([_truncated_sqrt2(30), str(2 ** 100), "2." + "3" * 30,
                        "-2." + "75".ljust(30, "0")]) + " ",
        "printf": "%f %e %g %.17g %x" % (3.14159, 2.5e-10, 1e100, 0.1, 255),
        "factor": "600851475143: " + " ".join(map(str, _factors(600851475143))),
    }


def _truncated_sqrt2(digits: int) -> str:
    root = math.isqrt(2 * 10 ** (2 * digits))       # floor(sqrt(2) * 10^digits)
    return f"{root // 10 ** digits}.{root % 10 ** digits:0{digits}d}"


def _factors(n: int) -> list:
    found, p = [], 2
    while p * p <= n:
        while n % p == 0:
            found.append(p)
            n //= p
        p += 1
    return found + ([n] if n > 1 else [])


@pytest.fixture(scope="module")
def initrd(tmp_path_factory, busybox):
    path = tmp_path_factory.mktemp("shell") / "rootfs.cpio.gz"
    path.write_bytes(rootfs.build(busybox, [("data/blob", _blob(), 0o644),
                                            ("data/check.sh", CHECK_SCRIPT.encode(), 0o755)]))
    return path


def boot(kernel, initrd, smp, commands: str, *extra):
    cmd = [sys.executable, "-m", "qemu_py", "-M", "virt", "-cpu", "cortex-a57", "-smp", str(smp),
           "-m", "512M", "-nographic", "-kernel", str(kernel), "-initrd", str(initrd),
           "-append", "console=ttyAMA0 panic=-1", "-rtc", f"base={RTC_BASE}", *extra]
    return subprocess.run(cmd, input=commands.encode(), capture_output=True, timeout=TIMEOUT,
                          env=ENV)


def check_healthy(run):
    log = run.stdout.decode(errors="replace")
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr}\n{log[-3000:]}"
    bad = [line for line in log.splitlines() if BAD_LINES.search(line)]
    assert not bad, "\n".join(bad)
    assert "reboot: Power down" in log
    return [line.rstrip("\r") for line in log.splitlines()]


@pytest.mark.parametrize("smp", [4, 1])
def test_piped_commands_answered(kernel, initrd, smp):
    # Piped before the kernel has booted: none of it may be lost while Linux opens the console.
    run = boot(kernel, initrd, smp,
               "nproc; uname -m; cat /proc/cpuinfo | grep -c processor; echo done; poweroff -f\n")
    lines = check_healthy(run)
    assert "done" in lines, "\n".join(lines[-40:])
    at = lines.index("done")
    assert lines[at - 3:at] == [str(smp), "aarch64", str(smp)], "\n".join(lines[-40:])
    if smp == 4:
        assert any("SMP: Total of 4 processors activated" in line for line in lines)


def test_date_comes_from_the_rtc(kernel, initrd):
    # Debian's kernel has rtc-pl031 built in and sets the system clock from it at boot (a
    # later -rtc overrides the one boot() gives).
    run = boot(kernel, initrd, 1, "date -u +%Y-%m-%d; poweroff -f\n",
               "-rtc", "base=2026-01-02T03:04:05")
    lines = check_healthy(run)
    assert "2026-01-02" in lines, "\n".join(lines[-40:])
    log = "\n".join(lines)
    assert "rtc-pl031 9010000.pl031: registered as rtc0" in log, log
    assert ("rtc-pl031 9010000.pl031: setting system clock to 2026-01-02T03:04:05 UTC "
            "(1767323045)") in log, log
    bad = [line for line in lines if re.search(r"rtc|pl031", line, re.I)
           and re.search(r"error|fail|unable|invalid|broken|can't|cannot", line, re.I)]
    assert not bad, "\n".join(bad)


def test_userspace_matches_host(kernel, initrd):
    run = boot(kernel, initrd, 4, "sh /data/check.sh; poweroff -f\n")
    lines = check_healthy(run)
    got = dict(m.groups() for line in lines if (m := re.fullmatch(r"R:([\w-]+):(.*)", line)))
    assert got == _expected(), "\n".join(lines[-40:])


class Terminal:
    """qemu-py-system on a pseudo-terminal, as a person at a terminal would run it."""

    def __init__(self, args):
        import pty
        import termios
        self.controller, self.terminal = pty.openpty()
        self.saved = termios.tcgetattr(self.terminal)
        self.proc = subprocess.Popen([sys.executable, "-m", "qemu_py", *map(str, args)],
                                     stdin=self.terminal, stdout=self.terminal,
                                     stderr=subprocess.PIPE, env=ENV)
        self.out = b""

    def read_until(self, marker: bytes, seconds=TIMEOUT) -> bool:
        import select
        import time
        end = time.time() + seconds
        while marker not in self.out and time.time() < end:
            if select.select([self.controller], [], [], 0.2)[0]:
                try:
                    self.out += os.read(self.controller, 4096)
                except OSError:
                    break
        return marker in self.out

    def type(self, data: bytes):
        os.write(self.controller, data)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def restored(self) -> bool:
        import termios
        return termios.tcgetattr(self.terminal) == self.saved

    def close(self):
        self.proc.kill()
        self.proc.wait()
        os.close(self.controller)
        os.close(self.terminal)


def test_terminal_session(kernel, initrd):
    # Raw mode: the guest's tty does the echo and line editing, Ctrl-C interrupts the guest's
    # command (not the emulator), Ctrl-A x quits with status 0 and the terminal comes back as it
    # was.
    t = Terminal(["-M", "virt", "-smp", "2", "-m", "256M", "-nographic", "-kernel", kernel,
                  "-initrd", initrd, "-append", "console=ttyAMA0"])
    try:
        assert t.read_until(b"qemu-py:~# "), t.out[-2000:]
        assert not t.restored()
        t.type(b"echo $((6 * 7))\r")
        assert t.read_until(b"\n42\r", 120), t.out[-2000:]     # the terminal adds \r to \r\n
        # Idle time passes in real time at a terminal: an idle prompt costs no CPU, and
        # `sleep 2` takes two seconds.
        cpu = t.cpu_seconds()
        time.sleep(2)
        assert t.cpu_seconds() - cpu < 0.5
        started = time.monotonic()
        t.type(b"sleep 2; echo slept\r")
        assert t.read_until(b"\nslept\r", 120), t.out[-2000:]
        assert 1.5 < time.monotonic() - started < 60     # up to _MAX_LAG early
        t.out = b""
        t.type(b"sleep 100000\r")
        assert t.read_until(b"sleep 100000\r", 120), t.out[-2000:]
        time.sleep(1)       # as a person would: the shell has put the terminal back (ISIG on)
        t.type(b"\x03")
        assert t.read_until(b"^C", 120), t.out[-2000:]
        assert t.read_until(b"qemu-py:~# ", 120), t.out[-2000:]
        t.type(b"\x01x")
        assert t.read_until(b"QEMU: Terminated", 120), t.out[-2000:]
        assert t.proc.wait(timeout=60) == 0
        assert t.proc.stderr.read() == b""
        assert t.restored()
    finally:
        t.close()


def test_terminal_restored_on_signal(kernel, initrd):
    import signal
    t = Terminal(["-M", "virt", "-nographic", "-kernel", kernel, "-initrd", initrd,
                  "-append", "console=ttyAMA0"])
    try:
        assert t.read_until(b"Booting Linux"), t.out[-2000:]
        t.proc.send_signal(signal.SIGTERM)
        assert t.proc.wait(timeout=60) == 1
        assert t.proc.stderr.read() == b"qemu-py-system: terminating on signal 15\n"
        assert t.restored()
    finally:
        t.close()


def test_terminal_restored_on_poweroff():
    t = Terminal(["-M", "virt", "-nographic", "-kernel", ROOT / "demo" / "hello.elf"])
    try:
        assert t.read_until(b"Hello from the qemu_py demo guest!")
        assert t.proc.wait(timeout=60) == 0
        assert t.restored()
    finally:
        t.close()


def test_plugins_report_on_the_whole_boot(kernel, initrd, tmp_path):
    # libinsn (per-vCPU counts, inline) and libhotblocks (a hash table of blocks, callbacks)
    # together on a -smp 4 boot to the shell and back: both print their reports at exit.
    libs = []
    for name in ("insn", "hotblocks"):
        lib = tmp_path / f"lib{name}.so"
        subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2",
                        f"-I{ROOT / 'qemu_py'}", str(ROOT / "plugins" / f"{name}.c"), "-o",
                        str(lib)], check=True)
        libs += ["-plugin", str(lib)]
    run = boot(kernel, initrd, 4, "echo done; poweroff -f\n", *libs)
    assert "done" in check_healthy(run)
    lines = run.stderr.decode().splitlines()         # plugin output goes to stderr, as in QEMU
    counts = {m.group(1): int(m.group(2)) for line in lines
              if (m := re.fullmatch(r"(cpu \d|total) insns: (\d+)", line))}
    assert sorted(counts) == ["cpu 0", "cpu 1", "cpu 2", "cpu 3", "total"], lines[-30:]
    assert counts["total"] == sum(v for k, v in counts.items() if k != "total")
    assert counts["total"] > 500_000_000 and min(counts.values()) > 1_000_000
    at = lines.index("pc, tcount, icount, ecount")
    assert re.fullmatch(r"collected \d{4,} entries in the hash table", lines[at - 1])
    hot = [line.split(", ") for line in lines[at + 1:at + 21]]
    assert len(hot) == 20 and all(row[0].startswith("0xffff8000") for row in hot)
    execs = [int(row[3]) for row in hot]
    assert execs == sorted(execs, reverse=True) and execs[0] > 100_000


def test_library_input_queued_before_boot(kernel, initrd):
    # Through the library: m.uart.write() before the first instruction; the guest gets every
    # byte once its shell reads, and the same run twice is the same to the byte.
    from qemu_py import Machine, MachineConfig

    def run():
        m = Machine(MachineConfig(kernel=str(kernel), initrd=str(initrd), smp=2,
                                  memory=256 << 20, append="console=ttyAMA0",
                                  rtc_base=RTC_BASE))
        m.uart.write("nproc; echo $((1 << 40)); poweroff -f\n")
        result = m.run(timeout_insns=5_000_000_000)
        return str(result.reason), result.executed, m.uart.output

    first = run()
    assert first[0] == "poweroff"
    lines = [ln.rstrip("\r") for ln in first[2].decode(errors="replace").splitlines()]
    at = lines.index("1099511627776")
    assert lines[at - 1] == "2", lines[-20:]
    assert run() == first
