"""Boot Debian's arm64 Linux to the busybox shell in qemu-system-aarch64 and in qemu_py side by
side (same kernel, same initramfs, -smp 4): wall time to the shell prompt and to poweroff, and
qemu_py's guest instruction count; then check that qemu_py's boot is reproducible (two runs
give the same instruction count and the same boot log, timestamps included). See
benchmarks/README.md.

    python3 benchmarks/boot.py [--smp N] [--repeat N] [--no-qemu] [--no-repro]
"""

import argparse
import os
import select
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from qemu_py import demo  # noqa: E402

QEMU = "qemu-system-aarch64"
PROMPT = b"~# "
RTC_BASE = "2025-06-01T12:00:00"   # the PL031's date, fixed so the reproducibility check holds
TARGET = 4.0                # qemu_py's time to the prompt, at most this many times QEMU's


class Boot:
    """One timed boot: seconds to the prompt, to the end of the process, CPU seconds, log."""

    def __init__(self, prompt, total, cpu, log, status):
        self.prompt, self.total, self.cpu, self.log, self.status = prompt, total, cpu, log, status


def timed_boot(cmd, env=None, timeout=900) -> Boot:
    """Start `cmd`, wait for the shell prompt on its output, type `poweroff -f`, wait for it to
    end. The command is typed after the prompt shows, so QEMU (which drops what is piped in
    before Linux opens the console) and qemu_py are timed the same way."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    log = b""
    prompt_at = None
    fd = proc.stdout.fileno()
    while True:
        if time.perf_counter() - t0 > timeout:
            proc.kill()
            sys.exit(f"{cmd[0]}: no poweroff after {timeout} s:\n{log[-2000:].decode()}")
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        data = os.read(fd, 65536)
        if not data:
            break
        log += data
        if prompt_at is None and PROMPT in log:
            prompt_at = time.perf_counter() - t0
            proc.stdin.write(b"poweroff -f\n")
            proc.stdin.flush()
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or prompt_at is None:
        sys.exit(f"{' '.join(map(str, cmd))}: exit {proc.returncode}, "
                 f"{'prompt seen' if prompt_at else 'no prompt'}:\n"
                 f"{proc.stderr.read().decode(errors='replace')}{log[-2000:].decode()}")
    return Boot(prompt_at, total, usage.ru_utime + usage.ru_stime, log, proc.returncode)


def best(n, cmd, env=None) -> Boot:
    runs = [timed_boot(cmd, env) for _ in range(n)]
    return min(runs, key=lambda b: b.prompt)


def in_process_boot(kernel, initrd, smp, plugins=()):
    """qemu_py through the library: the same boot with `poweroff -f` waiting in the UART's
    input from the start. Returns (instructions to the prompt, instructions in all, log)."""
    from qemu_py.config import MachineConfig
    from qemu_py.machine import Machine
    m = Machine(MachineConfig(kernel=str(kernel), initrd=str(initrd), smp=smp,
                              memory=512 << 20, append=demo.APPEND, serial="mon:stdio",
                              rtc_base=RTC_BASE))
    m.uart.write(b"poweroff -f\n")    # the guest receives it when it listens
    total, at_prompt = 0, None
    while True:
        result = m.run(1 << 21)
        total += result.executed
        if at_prompt is None and PROMPT in m.uart.output:
            at_prompt = total
        if result.reason == "budget":
            continue
        if result.reason != "poweroff":
            sys.exit(f"qemu_py in-process boot stopped: {result.reason}")
        return at_prompt, total, m.uart.output


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1, help="timed boots each; the fastest counts")
    ap.add_argument("--no-qemu", action="store_true", help="time qemu_py only")
    ap.add_argument("--no-repro", action="store_true", help="skip the reproducibility check")
    args = ap.parse_args()

    kernel, initrd = demo.prepare()
    base = demo.command(kernel, initrd, ["-smp", str(args.smp)])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    print(f"kernel {kernel.name}, initramfs {initrd.name} (busybox), -smp {args.smp}, "
          f"best of {args.repeat}")
    q = None if args.no_qemu else best(args.repeat, [QEMU, *base])
    p = best(args.repeat, [sys.executable, "-m", "qemu_py", *base], env)
    insns_prompt, insns, log = in_process_boot(kernel, initrd, args.smp)

    print(f"{'':22}{'to prompt s':>12}{'to poweroff s':>15}{'CPU s':>8}{'guest insns':>16}")
    if q is not None:
        print(f"{QEMU:22}{q.prompt:>12.2f}{q.total:>15.2f}{q.cpu:>8.2f}{'':>16}")
    print(f"{'qemu_py':22}{p.prompt:>12.2f}{p.total:>15.2f}{p.cpu:>8.2f}{insns:>16,}")
    print(f"qemu_py guest instructions: {insns_prompt:,} to the prompt, {insns:,} to poweroff "
          f"(all vCPUs, exact)")
    if q is not None:
        ratio = p.prompt / q.prompt
        verdict = "meets" if ratio <= TARGET else "misses"
        print(f"time to prompt qemu_py/QEMU: {ratio:.2f}x; {verdict} the {TARGET:g}x target")
    if not args.no_repro:
        again = in_process_boot(kernel, initrd, args.smp)
        same = again == (insns_prompt, insns, log)
        print(f"reproducible: {'yes' if same else 'NO'} (two in-process boots: "
              f"{insns:,} and {again[1]:,} instructions, boot logs "
              f"{'identical' if again[2] == log else 'different'}, timestamps included)")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
