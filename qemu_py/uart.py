"""The virt board's PL011 UART as a library user sees it: what the guest sent, as a buffer to
read, a callback, or a binary stream to copy to; and bytes for the guest to receive.

    m.uart.read()                       # what the guest sent since the last read
    m.uart.on_output = sys.stdout.buffer  # or any callable(bytes)
    m.uart.write(b"ls\\n")               # the guest receives it as it reads the UART
"""

import io
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

if TYPE_CHECKING:
    from ._core import Core

OutputSink = Union[Callable[[bytes], Any], Any]     # a callable, or an object with write()


class OutputStream:
    """Bytes the guest sends to the host (the UART, the semihosting console): kept in a buffer
    (read()/output) unless `on_output` is set, in which case each piece goes there as the guest
    sends it."""

    def __init__(self):
        self._buffer = bytearray()
        self._sink: Optional[OutputSink] = None
        self._write_out: Optional[Callable[[bytes], Any]] = None

    @property
    def on_output(self) -> Optional[OutputSink]:
        """Where output goes as it comes: a callable taking bytes, or a binary stream (anything
        with write(); it is flushed after each piece). None: kept for read()."""
        return self._sink

    @on_output.setter
    def on_output(self, sink: Optional[OutputSink]) -> None:
        self._sink = sink
        if sink is None:
            self._write_out = None
        elif callable(sink) and not hasattr(sink, "write"):
            self._write_out = sink
        elif hasattr(sink, "write"):
            text = isinstance(sink, io.TextIOBase)

            def write(data: bytes, stream=sink) -> None:
                stream.write(data.decode("utf-8", "replace") if text else data)
                flush = getattr(stream, "flush", None)
                if flush is not None:
                    flush()
            self._write_out = write
        else:
            raise TypeError("on_output takes a callable(bytes), a binary stream or None")

    def read(self) -> bytes:
        """The output kept since the last read(), and forget it."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    @property
    def output(self) -> bytes:
        """The output kept so far (not consumed: read() does that)."""
        return bytes(self._buffer)

    def _deliver(self, data: bytes) -> None:
        # The machine's run loop hands over what the core collected.
        if not data:
            return
        if self._write_out is not None:
            self._write_out(data)
        else:
            self._buffer += data


class UART(OutputStream):
    """The PL011's host side. Output as OutputStream. Input: write() queues bytes;
    the guest receives them as it reads them (as its receive FIFO has room), so when they
    arrive depends only on the guest."""

    def __init__(self, core: "Core"):
        super().__init__()
        self._core = core
        self._input: deque = deque()

    # --- input ---------------------------------------------------------------------------------

    def write(self, data: Union[bytes, str]) -> int:
        """Queue bytes for the guest to receive (str is UTF-8 encoded). Returns how many were
        queued. The guest takes them once it has enabled reception, as its FIFO has room."""
        if isinstance(data, str):
            data = data.encode()
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"UART input is bytes or str, not {type(data).__name__}")
        data = bytes(data)
        self._input.extend(data)
        self._feed()
        return len(data)

    @property
    def pending_input(self) -> int:
        """Bytes written that the guest has not taken into its receive FIFO yet."""
        return len(self._input) + self._core.uart_input_pending

    def _feed(self) -> None:
        # The core queues 4 KiB and hands it to the guest as it reads; the rest waits here.
        if not self._input:
            return
        taken = self._core.queue_uart_input(bytes(self._input))
        for _ in range(taken):
            self._input.popleft()

    def __repr__(self) -> str:
        where = "kept" if self._sink is None else f"to {self._sink!r}"
        return (f"<PL011 UART: output {where} ({len(self._buffer)} bytes unread), "
                f"{self.pending_input} input bytes pending>")

    # --- snapshots -------------------------------------------------------------------------------

    def _state(self) -> dict:
        return {"pending_input": bytes(self._input)}

    def _set_state(self, state: dict) -> None:
        self._input = deque(state.get("pending_input", b""))
