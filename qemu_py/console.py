"""The serial console on the host side: stdin bytes waiting for the guest's UART.

When stdin is a terminal or a pipe its bytes go to the PL011's receive FIFO between run slices;
what the FIFO does not take yet waits here. A terminal is put in raw mode as QEMU does (no echo,
no line editing); with -nographic (mon:stdio) Ctrl-A is the escape key: Ctrl-A x quits,
Ctrl-A Ctrl-A sends one Ctrl-A, and Ctrl-C goes to the guest.
"""

import os
import select
import stat
import sys
import time

CTRL_A = 0x01
_MUX_HELP = (b"\r\nC-a h    print this help\r\nC-a x    exit emulator\r\n"
             b"C-a C-a  sends C-a\r\n")
_MAX_PENDING = 1 << 16
# How far virtual time may fall behind real time before the lag is forgiven (see idle).
_MAX_LAG = 0.1


class Quit(Exception):
    """The user asked to leave (Ctrl-A x)."""


class Console:
    def __init__(self, fd: int, mux: bool, is_tty: bool):
        self.fd = fd
        self.mux = mux
        self.pending = bytearray()
        self.eof = False
        self._escape = False
        self._saved_tty = None
        self.is_tty = is_tty
        self._host_ref = float("-inf")     # the host time that virtual time 0 corresponds to
        if is_tty:
            self._raw_mode()

    @classmethod
    def open(cls, mux: bool):
        """A console on stdin if it is a terminal or a pipe, else None (no input)."""
        try:
            fd = sys.stdin.fileno()
            mode = os.fstat(fd).st_mode
        except (AttributeError, OSError, ValueError):
            return None
        is_tty = os.isatty(fd)
        if not (is_tty or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            return None
        return cls(fd, mux, is_tty)

    def _raw_mode(self):
        import termios
        try:
            self._saved_tty = termios.tcgetattr(self.fd)
        except termios.error:
            return
        attrs = termios.tcgetattr(self.fd)
        attrs[0] &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP |
                      termios.INLCR | termios.IGNCR | termios.ICRNL | termios.IXON)
        attrs[1] |= termios.OPOST
        attrs[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.IEXTEN)
        if self.mux:
            attrs[3] &= ~termios.ISIG       # Ctrl-C is the guest's; Ctrl-A x quits
        attrs[2] &= ~(termios.CSIZE | termios.PARENB)
        attrs[2] |= termios.CS8
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)

    def close(self):
        if self._saved_tty is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSANOW, self._saved_tty)
            self._saved_tty = None

    def _read(self, timeout) -> bool:
        """Read what stdin has (waiting up to `timeout` seconds, None: forever). False at EOF."""
        if self.eof or len(self.pending) >= _MAX_PENDING:
            return not self.eof
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return False
        self._take(data)
        return True

    def _take(self, data: bytes):
        if not self.mux:
            self.pending += data
            return
        for ch in data:
            if self._escape:
                self._escape = False
                if ch == ord("x"):
                    os.write(sys.stdout.fileno(), b"QEMU: Terminated\r\n")
                    raise Quit()
                if ch == ord("h"):
                    os.write(sys.stdout.fileno(), _MUX_HELP)
                elif ch == CTRL_A:
                    self.pending.append(CTRL_A)
                continue            # other escapes (monitor, break...) do nothing here
            if ch == CTRL_A:
                self._escape = True
            else:
                self.pending.append(ch)

    def feed(self, core) -> None:
        """Give the UART what it will take of stdin's bytes, without waiting."""
        self._read(0)
        if self.pending:
            taken = core.push_uart_input(bytes(self.pending))
            del self.pending[:taken]

    def wait(self, core, timeout=None) -> bool:
        """The guest sleeps until an interrupt: wait for input that might wake it, for up to
        `timeout` seconds (None: no limit). True when new bytes reached the UART, False when
        there will be none (EOF), it takes none, or the time ran out."""
        while True:
            if self.pending:
                before = len(self.pending)
                self.feed(core)
                return len(self.pending) < before
            if not self._read(timeout):
                return False
            if timeout is not None and not self.pending:
                return False

    def idle(self, core) -> None:
        """Every vCPU waits for a timer (core.pace_idle is on, for a person at a terminal):
        let that much real time pass, taking input meanwhile, then move virtual time on by what
        passed. Idle virtual time then keeps pace with the clock on the wall (`sleep 5` takes
        five seconds, an idle prompt costs no CPU), as in QEMU; busy time still runs at the
        emulation's speed, and the lag that leaves is not made up beyond _MAX_LAG."""
        now = time.monotonic()
        self._host_ref = max(self._host_ref, now - core.virtual_ns / 1e9 - _MAX_LAG)
        target = self._host_ref + core.idle_wake_ns / 1e9
        if target > now:
            self.wait(core, target - now)
            now = time.monotonic()
        core.advance_idle(int((now - self._host_ref) * 1e9))
