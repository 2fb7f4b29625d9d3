"""MachineConfig: everything the command line (or a library user) chooses about a machine."""

import calendar
import datetime
import re
import time
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

from .errors import ConfigError


@dataclass
class MachineConfig:
    machine: str = "virt"
    cpu: str = "cortex-a57"
    memory: int = 128 * 1024 * 1024          # bytes
    smp: int = 1
    gic_version: int = 2                    # -M virt,gic-version=N
    kernel: Optional[str] = None
    initrd: Optional[str] = None
    append: str = ""
    dtb: Optional[str] = None
    serial: str = "stdio"                   # "stdio", "mon:stdio" or "none"
    semihosting: bool = False
    semihosting_args: Tuple[str, ...] = ()  # -semihosting-config arg=... (the guest's command line)
    log_items: Tuple[str, ...] = ()         # -d items
    log_file: Optional[str] = None          # -D
    plugins: List[Tuple[str, List[str]]] = field(default_factory=list)  # (path, ["k=v", ...])
    symbols: Optional[str] = None           # -symbols: nm/System.map text symbols for plugins
    icount_shift: Optional[int] = None      # -icount shift=N; -1 for shift=auto
    rtc_base: Union[str, int, None] = None  # -rtc base=: None ("utc"), "localtime", a date, seconds
    no_reboot: bool = False


_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_SHIFT = {"": 20, "k": 10, "m": 20, "g": 30, "t": 40}


def memory_size(value: Union[int, str]) -> int:
    """A RAM size in bytes from an int (bytes) or a string as -m takes it: "256M", "1G",
    "512K", "1.5G", "128" (MiB, as -m assumes without a suffix)."""
    if isinstance(value, bool):
        raise ConfigError(f"memory size must be a number of bytes or a string like '256M', "
                          f"not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            number, unit = m.groups()
            shift = _SHIFT[unit.lower()]
            if "." in number:
                whole, frac = number.split(".")
                size = (int(whole) << shift) + ((int(frac) << shift) // 10 ** len(frac))
            else:
                size = int(number) << shift
            return size
    raise ConfigError(f"memory size {value!r} is not understood: give bytes as an int or a "
                      "string like '256M' or '1G'")


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$")
RTC_MAX = (1 << 32) - 1                     # the PL031 counts seconds in 32 bits: until 2106
RTC_FORMATS = "'utc', 'localtime', '2006-06-17T16:01:21' or '2006-06-17'"


def rtc_seconds(base: Union[str, int, None], now: Optional[float] = None) -> int:
    """The real-time clock's start, in seconds since the epoch (UTC), from -rtc base=: None or
    "utc" (the host's time now), "localtime" (the host's local time now, as if it were UTC),
    "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD" (UTC), or an int of seconds. Raises ConfigError."""
    now = time.time() if now is None else now
    if base is None or base == "utc":
        seconds = int(now)
    elif base == "localtime":
        seconds = calendar.timegm(time.localtime(int(now)))
    elif isinstance(base, int) and not isinstance(base, bool):
        seconds = base
    elif isinstance(base, str) and _DATE.match(base):
        fields = [int(f) for f in _DATE.match(base).groups() if f is not None]
        try:
            when = datetime.datetime(*fields, tzinfo=datetime.timezone.utc)
        except ValueError:
            raise ConfigError(f"rtc base {base!r} is not a valid date and time") from None
        seconds = int(when.timestamp())
    else:
        raise ConfigError(f"rtc base {base!r}: invalid datetime format (valid formats: "
                          f"{RTC_FORMATS})")
    if not 0 <= seconds <= RTC_MAX:
        raise ConfigError(f"rtc base {base!r} is outside what the PL031's 32-bit count holds "
                          f"(1970-01-01 to 2106-02-07T06:28:15)")
    return seconds
