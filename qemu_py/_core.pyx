# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The qemu_py core: vCPUs, the interpreter loop, the decode cache, the soft TLB, physical memory
and the machine's own devices, all C-level. `Core` is the one Python-visible object; the rest of
the package (machine.py) drives it.

The core is one extension module so the C compiler sees the whole hot path at once; its source is
split by concern into the .pxi files under core/, included here in dependency order.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdlib cimport calloc, free

include "core/types.pxi"
include "core/_ops.pxi"
include "core/exceptions.pxi"
include "core/memory.pxi"
include "core/mmu.pxi"
include "core/pl011.pxi"
include "core/gic.pxi"
include "core/timer.pxi"
include "core/pl031.pxi"
include "core/hostcalls.pxi"
include "core/decode.pxi"
include "core/sysregs.pxi"
include "core/a64_branch.pxi"
include "core/a64_system.pxi"
include "core/a64_dp_imm.pxi"
include "core/a64_dp_reg.pxi"
include "core/a64_ldst.pxi"
include "core/fpu.pxi"
include "core/a64_simd_fp.pxi"
include "core/a64_simd_ldst.pxi"
include "core/a64_simd_move.pxi"
include "core/a64_simd_int.pxi"
include "core/a64_simd_fpvec.pxi"
include "core/a64_fp_scalar.pxi"
include "core/plugin_runtime.pxi"
include "core/pyhooks.pxi"
include "core/debug.pxi"
include "core/snapshot.pxi"
include "core/translate.pxi"
include "core/_dispatch.pxi"
include "core/loop.pxi"


STOP_REASONS = {
    STOP_NONE: "none", STOP_BUDGET: "budget", STOP_POWEROFF: "poweroff", STOP_RESET: "reset",
    STOP_EXIT: "exit", STOP_EXC_LOOP: "exception-loop", STOP_DRAIN: "drain",
    STOP_BREAK: "break", STOP_WFI: "wfi", STOP_PLUGIN: "plugin", STOP_EXCEPTION: "exception",
    STOP_HOOK: "hook", STOP_IDLE: "idle",
}

HOOK_KINDS = {"code": HK_CODE, "block": HK_BLOCK, "mem": HK_MEM, "exception": HK_EXC,
              "idle": HK_IDLE, "resume": HK_RESUME, "mmio": HK_MMIO}
HOOK_FLAGS = {"read": HF_READ, "write": HF_WRITE, "physical": HF_PHYSICAL,
              "interrupt": DISCON_INTERRUPT, "exception": DISCON_EXCEPTION,
              "hostcall": DISCON_HOSTCALL}

LOG_FLAGS = {"in_asm": LOG_IN_ASM, "exec": LOG_EXEC, "int": LOG_INT}
FEATURES = {"crc32": FEAT_CRC32, "lse": FEAT_LSE}

# The vCPU quantum of the round-robin scheduler, in instructions.
cdef enum:
    QUANTUM = 1 << 16

_GPR_NAMES = {f"x{k}": k for k in range(31)}


def op_names():
    """Names of the instruction handlers, indexed by op number."""
    return OP_NAMES


def decode(uint32_t word, uint64_t pc=0):
    """Decode one instruction word: (handler name, ends_block). For tests and tools."""
    cdef Insn rec
    cdef int res = decode_a64(word, pc, &rec)
    return OP_NAMES[rec.op], res == DEC_END


cdef class Core:
    """One machine's C state: its vCPUs, RAM, MMIO map and UART."""
    cdef Mach* m
    cdef PL011* uart
    cdef GIC* gic
    cdef PL031* rtc
    cdef int uart_irq
    cdef list _cpu_views        # the Machine's CPU objects, passed to hooks
    cdef list _py_devices       # (object, PyDevice address) of each Python device
    cdef object __weakref__

    def __cinit__(self, uint32_t ncpus, uint64_t ram_base, uint64_t ram_size):
        cdef uint32_t k
        if ncpus < 1 or ncpus > MAX_CPUS:
            raise ValueError(f"vCPU count must be 1 to {MAX_CPUS}")
        self.m = <Mach*>calloc(1, sizeof(Mach))
        if self.m == NULL:
            raise MemoryError()
        self.m.cpus = <CPU*>calloc(ncpus, sizeof(CPU))
        self.m.ram = <uint8_t*>calloc(ram_size, 1)
        self.m.code_pages = <uint8_t*>calloc((ram_size >> PAGE_BITS) + 1, 1)
        self.m.page_tbs = <TB**>calloc((ram_size >> PAGE_BITS) + 1, sizeof(TB*))
        self.m.tb_hash = <TB**>calloc(TB_HASH_SIZE, sizeof(TB*))
        self.uart = <PL011*>calloc(1, sizeof(PL011))
        self.gic = <GIC*>calloc(1, sizeof(GIC))
        self.rtc = <PL031*>calloc(1, sizeof(PL031))
        self.uart_irq = -1
        if not (self.m.cpus and self.m.ram and self.m.code_pages and self.m.page_tbs
                and self.m.tb_hash and self.uart
                and self.gic and self.rtc):
            raise MemoryError(f"cannot allocate {ram_size} bytes of guest RAM")
        self.m.ncpus = ncpus
        self.m.ram_base = ram_base
        self.m.ram_size = ram_size
        self.m.run_only = -1
        pl011_reset(self.uart, self.m)
        gic_reset(self.gic, self.m)
        pl031_reset(self.rtc, self.m)
        for k in range(ncpus):
            self.m.cpus[k].mach = self.m
            self.m.cpus[k].index = k
            self.reset_cpu(k, 0)

    def __dealloc__(self):
        if self.m != NULL:
            if pyhooks_bound(self.m) and not pl_native_loaded():
                pyhooks_unbind()
            plugin_machine_gone(self.m)
            pyhooks_free(self.m)
            if self._py_devices:
                for _, addr in self._py_devices:
                    free(<void*><uintptr_t>addr)
            if self.m.tb_hash != NULL:
                tb_flush(self.m)
                tb_reap(self.m)
            free(self.m.tb_hash)
            free(self.m.breakpoints)
            free(self.m.code_pages)
            free(self.m.page_tbs)
            free(self.m.ram)
            free(self.m.cpus)
            free(self.m)
            self.m = NULL
        free(self.uart)
        free(self.gic)
        free(self.rtc)

    # --- configuration -------------------------------------------------------------------------

    def map_uart(self, uint64_t base, int spi=-1):
        """Place the PL011 at `base` (4 KiB window), its interrupt on SPI `spi` (-1: none)."""
        self._add_region(base, 0x1000, pl011_read, pl011_write, self.uart)
        self.uart.irq_spi = spi

    def map_gic(self, uint64_t dist_base, uint64_t cpu_base):
        """Place the GICv2 distributor and CPU interface and wire the devices' interrupts."""
        self._add_region(dist_base, 0x10000, gicd_read, gicd_write, self.gic)
        self._add_region(cpu_base, 0x10000, gicc_read, gicc_write, self.gic)
        self.m.gic = self.gic
        self.uart.gic = self.gic
        self.rtc.gic = self.gic

    def map_rtc(self, uint64_t base, int spi, uint64_t seconds):
        """Place the PL031 at `base` (4 KiB window), its interrupt on SPI `spi` (-1: none),
        its count at `seconds` (since the epoch, kept modulo 2**32) now."""
        self._add_region(base, 0x1000, pl031_read, pl031_write, self.rtc)
        self.rtc.irq_spi = spi
        self.rtc.offset = <uint32_t>(seconds - self.m.round_start_ns // NS_PER_SEC)
        self.m.rtc = self.rtc

    property rtc_count:
        """The PL031's count of seconds now (between runs)."""
        def __get__(self):
            return pl031_count(self.rtc, self.m.round_start_ns)

    cdef _add_region(self, uint64_t base, uint64_t size, mmio_read_fn rd, mmio_write_fn wr,
                     void* dev):
        cdef Region* r
        if self.m.nregions >= MAX_REGIONS:
            raise ValueError("too many MMIO regions")
        r = &self.m.regions[self.m.nregions]
        r.base = base
        r.size = size
        r.read = rd
        r.write = wr
        r.dev = dev
        self.m.nregions += 1

    def reset_cpu(self, uint32_t k, uint64_t pc, bint powered_on=True):
        """Put vCPU k in its reset state at EL1h, MMU off, interrupts masked, at `pc`."""
        cdef CPU* c = self._cpu(k)
        memset(c.x, 0, sizeof(c.x))
        c.pc = pc
        c.nzcv = 0
        c.el = 1
        c.spsel = 1
        c.daif = DAIF_MASK_ALL
        c.sp_el0 = 0
        c.sp_el1 = 0
        c.sctlr_el1 = 0x00c50838   # as QEMU's Cortex-A57 resets it: MMU off, SP alignment checks on
        c.vbar_el1 = 0
        c.cpacr_el1 = 0
        c.fpcr = 0
        c.fpsr = 0
        memset(c.v, 0, sizeof(c.v))
        c.excl_valid = 0
        c.halted = 0
        c.powered_off = 0 if powered_on else 1
        c.exc_streak = 0
        c.deadline_insns = 0
        cpu_update_tb_flags(c)
        tlb_flush(c)

    def set_cpu_ids(self, uint32_t k, dict ids):
        """Identification register values for vCPU k, by field name (midr, id_aa64pfr0, ...)."""
        for name, value in ids.items():
            self.set_reg(k, name, value)

    property semihosting:
        def __get__(self):
            return bool(self.m.semihosting)
        def __set__(self, bint on):
            self.m.semihosting = on

    property log_mask:
        def __get__(self):
            return self.m.log_mask
        def __set__(self, uint32_t mask):
            self.m.log_mask = mask
            tb_flush(self.m)        # in_asm logs at translation: translate afresh

    # --- breakpoints ---------------------------------------------------------------------------

    def add_breakpoint(self, uint64_t va):
        """Stop any vCPU before it executes the instruction at virtual address va (except the
        first instruction of a run). Returns False if it was set already."""
        cdef int res = breakpoint_add(self.m, va)
        if res < 0:
            raise MemoryError()
        return res == 0

    def remove_breakpoint(self, uint64_t va):
        """Returns False if there was none at va."""
        return breakpoint_remove(self.m, va)

    def breakpoints(self):
        return [self.m.breakpoints[k] for k in range(self.m.nbreakpoints)]

    property features:
        """The FEAT_* bits of the CPU model (which optional instructions exist)."""
        def __get__(self):
            return self.m.features
        def __set__(self, uint32_t bits_):
            self.m.features = bits_
            tb_flush(self.m)

    property icount_shift:
        """Virtual time per instruction: 2**shift ns."""
        def __get__(self):
            return self.m.icount_shift
        def __set__(self, uint32_t shift):
            self.m.icount_shift = shift

    property pace_idle:
        """When every vCPU waits for a timer, stop with 'idle' (idle_wake_ns says when the
        next one fires) instead of jumping virtual time to it: the caller waits and then calls
        advance_idle. Off by default (runs are then deterministic and idle costs nothing)."""
        def __get__(self):
            return self.m.pace_idle
        def __set__(self, bint on):
            self.m.pace_idle = on

    property idle_wake_ns:
        def __get__(self):
            return self.m.idle_wake_ns

    property virtual_ns:
        """Virtual time at the start of the current round (exact after an 'idle' stop)."""
        def __get__(self):
            return self.m.round_start_ns

    def advance_idle(self, uint64_t ns):
        """After an 'idle' stop: move virtual time to `ns`, no later than idle_wake_ns and
        never backwards."""
        if ns > self.m.idle_wake_ns:
            ns = self.m.idle_wake_ns
        if ns > self.m.round_start_ns:
            self.m.round_start_ns = ns

    property ncpus:
        def __get__(self):
            return self.m.ncpus

    property current_cpu:
        """The vCPU that ran last (the one a stop concerns)."""
        def __get__(self):
            return self.m.current_cpu

    property exit_code:
        def __get__(self):
            return self.m.exit_code

    property ram_base:
        def __get__(self):
            return self.m.ram_base

    property ram_size:
        def __get__(self):
            return self.m.ram_size

    # --- state ---------------------------------------------------------------------------------

    cdef CPU* _cpu(self, uint32_t k) except NULL:
        if k >= self.m.ncpus:
            raise IndexError(f"no vCPU {k}")
        return &self.m.cpus[k]

    def get_reg(self, uint32_t k, str name):
        """A register of vCPU k by name: x0-x30, sp, pc, nzcv, el, spsel, daif, sp_el0, sp_el1,
        or a system register field (vbar_el1, sctlr_el1, ...)."""
        cdef CPU* c = self._cpu(k)
        n = _GPR_NAMES.get(name)
        if n is not None:
            return c.x[<int>n]
        if name == "sp":
            return c.x[REG_SP]
        if name == "pc":
            return c.pc
        if name == "nzcv":
            return c.nzcv << 28
        if name[0] == "v" and name[1:].isdigit() and int(name[1:]) < 32:
            n = int(name[1:])
            return int(c.v[2 * <int>n]) | (int(c.v[2 * <int>n + 1]) << 64)
        if name == "el":
            return c.el
        if name == "currentel":
            return c.el << 2
        if name == "spsel":
            return c.spsel
        if name == "daif":
            return c.daif
        if name == "cntvct_el0" or name == "cntpct_el0":
            return counter_now(c)
        if name == "cntfrq_el0":
            return 1000000000 // NS_PER_TICK
        if name == "sp_el0":
            return c.x[REG_SP] if (c.el == 0 or c.spsel == 0) else c.sp_el0
        if name == "sp_el1":
            return c.x[REG_SP] if (c.el == 1 and c.spsel == 1) else c.sp_el1
        return field_ptr(c, name)[0]

    def set_reg(self, uint32_t k, str name, uint64_t value):
        cdef CPU* c = self._cpu(k)
        n = _GPR_NAMES.get(name)
        if n is not None:
            c.x[<int>n] = value
        elif name == "sp":
            c.x[REG_SP] = value
        elif name == "pc":
            c.pc = value
        elif name == "nzcv":
            c.nzcv = (value >> 28) & 0xf
        elif name == "daif":
            c.daif = value & DAIF_MASK_ALL
        elif name == "el" or name == "spsel":
            if name == "el" and value > 1 or name == "spsel" and value > 1:
                raise ValueError(f"{name} must be 0 or 1 (EL2 and EL3 are absent)")
            if name == "el":
                cpu_set_sp_sel(c, <uint32_t>value, c.spsel)
            else:
                cpu_set_sp_sel(c, c.el, <uint32_t>value)
            tlb_flush(c)
        elif name == "sp_el0":
            if c.el == 0 or c.spsel == 0:
                c.x[REG_SP] = value
            else:
                c.sp_el0 = value
        elif name == "sp_el1":
            if c.el == 1 and c.spsel == 1:
                c.x[REG_SP] = value
            else:
                c.sp_el1 = value
        else:
            field_ptr(c, name)[0] = value
            cpu_update_tb_flags(c)
            tlb_flush(c)
            c.deadline_insns = 0        # a timer register may have changed: look again

    def get_x(self, uint32_t k, uint32_t n):
        """X register n (0-30) of vCPU k: the fast path for hooks."""
        if n > 30:
            raise IndexError(f"no X register {n}")
        return self._cpu(k).x[n]

    def set_x(self, uint32_t k, uint32_t n, uint64_t value):
        if n > 30:
            raise IndexError(f"no X register {n}")
        self._cpu(k).x[n] = value

    def get_vreg(self, uint32_t k, uint32_t n):
        """V register n (0-31) of vCPU k as a 128-bit integer."""
        cdef CPU* c = self._cpu(k)
        if n > 31:
            raise IndexError(f"no V register {n}")
        return int(c.v[2 * n]) | (int(c.v[2 * n + 1]) << 64)

    def translate(self, uint32_t k, uint64_t va, str access="r"):
        """Where vCPU k's access to va would go, as it would make it now (its EL, its
        translation registers), without filling the TLB or raising anything in the guest:
        (physical address, 0), or (None, fault status code)."""
        cdef CPU* c = self._cpu(k)
        cdef uint64_t pa = 0
        cdef uint32_t fsc = 0
        cdef int acc = ACC_WRITE if access == "w" else (ACC_EXEC if access == "x" else ACC_READ)
        if debug_translate(c, va, acc, &pa, &fsc):
            return pa, 0
        return None, fsc

    def set_vreg(self, uint32_t k, uint32_t n, value):
        """Set V register n (0-31) of vCPU k to a 128-bit integer."""
        cdef CPU* c = self._cpu(k)
        if n > 31:
            raise IndexError(f"no V register {n}")
        c.v[2 * n] = value & 0xffffffffffffffff
        c.v[2 * n + 1] = (value >> 64) & 0xffffffffffffffff

    def write_phys(self, uint64_t addr, const unsigned char[:] data):
        """Write bytes into RAM at a physical address."""
        cdef size_t n = data.shape[0]
        if n == 0:
            return
        if not ram_contains(self.m, addr, n):
            raise ValueError(f"{n} bytes at {addr:#x} are not all in RAM")
        memcpy(self.m.ram + (addr - self.m.ram_base), &data[0], n)
        tb_flush(self.m)

    def read_phys(self, uint64_t addr, size_t n):
        """Read n bytes of RAM at a physical address."""
        if not ram_contains(self.m, addr, n):
            raise ValueError(f"{n} bytes at {addr:#x} are not all in RAM")
        return PyBytes_FromStringAndSize(<char*>(self.m.ram + (addr - self.m.ram_base)), n)

    # --- running -------------------------------------------------------------------------------

    def run(self, uint64_t budget, bint stop_on_exception=False, int only_cpu=-1,
            bint budget_is_slice=False):
        """Run the vCPUs round-robin for up to `budget` instructions in all. Returns
        (stop reason name, instructions executed). 'drain' means buffers need emptying.
        stop_on_exception: stop as soon as an exception is entered ('exception').
        only_cpu: schedule only that vCPU (the others keep their state).
        budget_is_slice: the budget is a slice of a longer run, not the caller's limit, so a
        block with hooks that crosses it runs whole (its hooks see it once)."""
        cdef uint64_t total
        cdef uint32_t k
        cdef Mach* m = self.m
        if only_cpu >= <int>m.ncpus:
            raise IndexError(f"no vCPU {only_cpu}")
        m.stop_reason = STOP_NONE
        m.hook_action = HOOK_NONE
        if m.pyhooks != NULL:
            pyhooks_reap(<PyHooks*>m.pyhooks)
            (<PyHooks*>m.pyhooks).changed = 0
            if pyhooks_need_runtime(<PyHooks*>m.pyhooks):
                pyhooks_bind(m)
        m.stop_on_exception = stop_on_exception
        m.run_only = only_cpu
        m.budget_is_slice = budget_is_slice
        for k in range(m.ncpus):
            m.cpus[k].bp_armed = 0
        with nogil:
            total = machine_run_plugins(m, budget) if m.plugin_mask else machine_run(m, budget)
        m.stop_on_exception = 0
        m.run_only = -1
        if m.stop_reason == STOP_PLUGIN:
            plugin_raise_fatal()
        if m.stop_reason == STOP_NONE:
            m.stop_reason = STOP_BUDGET
        return STOP_REASONS[m.stop_reason], total

    def take_uart_output(self):
        """The bytes the guest sent to the UART (and semihosting console) since the last call."""
        out = PyBytes_FromStringAndSize(<char*>self.m.uart_out, self.m.uart_out_len)
        self.m.uart_out_len = 0
        return out

    def take_semihosting_output(self):
        """The bytes the guest wrote to the semihosting console since the last call."""
        out = PyBytes_FromStringAndSize(<char*>self.m.semi_out, self.m.semi_out_len)
        self.m.semi_out_len = 0
        return out

    def push_uart_input(self, const unsigned char[:] data):
        """Offer bytes to the UART's receive FIFO; returns how many it took (it takes none until
        the guest enables reception, and no more than it has room for)."""
        cdef size_t k = 0
        while k < <size_t>data.shape[0] and pl011_rx_ready(self.uart):
            pl011_rx_push(self.uart, data[k])
            k += 1
        return k

    def queue_uart_input(self, const unsigned char[:] data):
        """Queue bytes for the UART to receive as the guest makes room in its FIFO (reading
        the data register, enabling reception). Returns how many the queue took (it holds
        4 KiB)."""
        if data.shape[0] == 0:
            return 0
        return pl011_queue_input(self.uart, &data[0], <uint32_t>data.shape[0])

    property uart_input_pending:
        """Bytes queued by queue_uart_input that the guest's FIFO has not taken yet."""
        def __get__(self):
            return self.uart.host_count

    def cpu_power(self, uint32_t k, bint on, uint64_t pc=0, uint64_t x0=0):
        """Power vCPU k on at pc with x0 (as PSCI CPU_ON does), or hold it off."""
        cdef CPU* c = self._cpu(k)
        if on:
            cpu_power_on(c, pc, x0)
        else:
            c.powered_off = 1

    def take_log(self):
        """Drain the -d event log: a list of (kind, cpu, pc, a, b, c, d) tuples."""
        cdef uint32_t k
        cdef LogEvent* e
        kinds = {EV_TB_TRANS: "trans", EV_TB_EXEC: "exec", EV_EXCEPTION: "exception",
                 EV_HOSTCALL: "hostcall"}
        out = []
        for k in range(self.m.log_len):
            e = &self.m.log[k]
            out.append((kinds[e.kind], e.cpu, e.pc, e.a, e.b, e.c, e.d))
        self.m.log_len = 0
        return out

    # --- Python hooks and devices (pyhooks.pxi; qemu_py/hooks.py and devices.py) ----------------

    def hooks_init(self, list cpu_views):
        """The CPU objects hooks receive, by vCPU index."""
        cdef PyHooks* H = <PyHooks*>self.m.pyhooks
        cdef uint32_t k
        if H == NULL:
            H = <PyHooks*>calloc(1, sizeof(PyHooks))
            if H == NULL:
                raise MemoryError()
            self.m.pyhooks = H
        self._cpu_views = list(cpu_views)
        for k in range(self.m.ncpus):
            H.cpus[k] = <PyObject*>self._cpu_views[k]

    def hook_add(self, str kind, fn, uint64_t begin, uint64_t end, uint32_t flags):
        """Register a hook; returns its handle for hook_remove."""
        cdef PyHooks* H = <PyHooks*>self.m.pyhooks
        cdef PyHook* h
        cdef PyHook** grown
        if H == NULL:
            raise RuntimeError("hooks_init first")
        h = <PyHook*>calloc(1, sizeof(PyHook))
        if h == NULL:
            raise MemoryError()
        if H.n == H.cap:
            grown = <PyHook**>realloc(H.hooks, (H.cap * 2 + 8) * sizeof(PyHook*))
            if grown == NULL:
                free(h)
                raise MemoryError()
            H.hooks = grown
            H.cap = H.cap * 2 + 8
        h.kind = HOOK_KINDS[kind]
        h.flags = flags
        h.begin = begin
        h.end = end
        Py_INCREF(fn)
        h.fn = <PyObject*>fn
        h.live = 1
        H.hooks[H.n] = h
        H.n += 1
        H.count[h.kind] += 1
        pyhooks_changed(self.m, h.kind)
        return <uintptr_t>h

    def hook_remove(self, uintptr_t handle):
        """Unregister a hook (it is freed before the next run). False if it was not there."""
        cdef PyHooks* H = <PyHooks*>self.m.pyhooks
        cdef PyHook* h = <PyHook*>handle
        cdef uint32_t k, j
        cdef PyHook** grown
        if H == NULL:
            return False
        for k in range(H.n):
            if H.hooks[k] == h:
                if H.ndead == H.dead_cap:
                    grown = <PyHook**>realloc(H.dead, (H.dead_cap * 2 + 8) * sizeof(PyHook*))
                    if grown == NULL:
                        raise MemoryError()
                    H.dead = grown
                    H.dead_cap = H.dead_cap * 2 + 8
                for j in range(k, H.n - 1):
                    H.hooks[j] = H.hooks[j + 1]
                H.n -= 1
                h.live = 0
                H.dead[H.ndead] = h
                H.ndead += 1
                H.count[h.kind] -= 1
                pyhooks_changed(self.m, h.kind)
                return True
        return False

    def request_stop(self):
        """Machine.stop(): end the run as soon as possible (see pyhooks.pxi)."""
        if self.m.hook_action == HOOK_NONE:
            self.m.hook_action = HOOK_STOP
        if self.m.stop_reason == STOP_NONE:
            self.m.stop_reason = STOP_HOOK

    def take_hook_error(self):
        """The exception a hook or Python device raised during the last run, or None."""
        cdef PyHooks* H = <PyHooks*>self.m.pyhooks
        cdef object exc
        if H == NULL or H.error == NULL:
            return None
        exc = <object>H.error
        Py_XDECREF(H.error)
        H.error = NULL
        return exc

    def forget_hook_resume(self):
        """The next run calls the hooks of the instruction a hook stopped at (after a
        snapshot is restored, for one)."""
        if self.m.pyhooks != NULL:
            (<PyHooks*>self.m.pyhooks).skip_armed = 0

    def map_python_device(self, uint64_t base, uint64_t size, obj):
        """A device window whose reads and writes call obj.read(offset, size) and
        obj.write(offset, size, value)."""
        cdef PyDevice* d
        cdef uint32_t k
        if self._py_devices is None:
            self._py_devices = []
        d = <PyDevice*>calloc(1, sizeof(PyDevice))
        if d == NULL:
            raise MemoryError()
        d.obj = <PyObject*>obj
        d.mach = self.m
        for k in range(9):
            d.mask[k] = NO_TAG if k >= 8 else ((<uint64_t>1 << (8 * k)) - 1)
        try:
            self._add_region(base, size, pydev_read, pydev_write, d)
        except BaseException:
            free(d)
            raise
        self._py_devices.append((obj, <uintptr_t>d))

    def plugins_started(self):
        """The plugin runtime serves this machine and has sent the vCPU start-up events."""
        return g_rt.mach == self.m and g_rt.started != 0

    def release_plugin_runtime(self):
        """Take the plugin runtime from another machine that only uses it for Python hooks
        (those wait until that machine runs again)."""
        if g_rt.mach != NULL and g_rt.mach != self.m and not pl_native_loaded():
            pyhooks_unbind()

    def regions(self):
        """The device windows: (base, size, name) each."""
        cdef Region* r
        out = []
        for k in range(self.m.nregions):
            r = &self.m.regions[k]
            out.append((r.base, r.size, pl_region_name(r).decode()))
        return out

    # --- snapshots (qemu_py/snapshot.py frames these) ---------------------------------------------

    def state_layout(self):
        """Sizes of the state structs: a snapshot made by a core with other sizes is refused."""
        return {"cpu": cpu_state_size(self.m.cpus), "gic": sizeof(GIC), "pl011": sizeof(PL011),
                "pl031": sizeof(PL031), "page": PAGE_SIZE}

    def save_cpu(self, uint32_t k):
        """vCPU k's state (its struct up to the caches) as bytes."""
        cdef CPU* c = self._cpu(k)
        return PyBytes_FromStringAndSize(<char*>c, cpu_state_size(c))

    def load_cpu(self, uint32_t k, const unsigned char[:] data):
        cdef CPU* c = self._cpu(k)
        if <size_t>data.shape[0] != cpu_state_size(c):
            raise ValueError("vCPU state of the wrong size")
        memcpy(c, &data[0], cpu_state_size(c))
        c.index = k
        cpu_state_loaded(c)

    def save_devices(self):
        """(GIC, PL011) state as bytes, their pointers zeroed."""
        cdef GIC g = self.gic[0]
        cdef PL011 u = self.uart[0]
        g.mach = NULL
        u.mach = NULL
        u.gic = NULL
        return (PyBytes_FromStringAndSize(<char*>&g, sizeof(GIC)),
                PyBytes_FromStringAndSize(<char*>&u, sizeof(PL011)))

    def load_devices(self, const unsigned char[:] gic, const unsigned char[:] uart):
        cdef Mach* gm = self.gic.mach
        cdef Mach* um = self.uart.mach
        cdef void* ug = self.uart.gic
        cdef int spi = self.uart.irq_spi
        if <size_t>gic.shape[0] != sizeof(GIC) or <size_t>uart.shape[0] != sizeof(PL011):
            raise ValueError("device state of the wrong size")
        memcpy(self.gic, &gic[0], sizeof(GIC))
        memcpy(self.uart, &uart[0], sizeof(PL011))
        self.gic.mach = gm
        self.uart.mach = um
        self.uart.gic = ug
        self.uart.irq_spi = spi

    def save_rtc(self):
        """The PL031's state as bytes, its pointers zeroed."""
        cdef PL031 r = self.rtc[0]
        r.mach = NULL
        r.gic = NULL
        return PyBytes_FromStringAndSize(<char*>&r, sizeof(PL031))

    def load_rtc(self, const unsigned char[:] data):
        cdef Mach* m = self.rtc.mach
        cdef void* g = self.rtc.gic
        cdef int spi = self.rtc.irq_spi
        if <size_t>data.shape[0] != sizeof(PL031):
            raise ValueError("RTC state of the wrong size")
        memcpy(self.rtc, &data[0], sizeof(PL031))
        self.rtc.mach = m
        self.rtc.gic = g
        self.rtc.irq_spi = spi

    def save_clock(self):
        """(virtual time of the round, exit code, the vCPU that ran last)."""
        return self.m.round_start_ns, self.m.exit_code, self.m.current_cpu

    def load_clock(self, uint64_t round_start_ns, int32_t exit_code, uint32_t current_cpu):
        self.m.round_start_ns = round_start_ns
        self.m.exit_code = exit_code
        self.m.current_cpu = current_cpu

    def save_ram(self):
        """RAM without its all-zero pages: (bitmap of the pages kept, their bytes in order)."""
        cdef uint64_t npages = self.m.ram_size >> PAGE_BITS
        cdef bytearray bitmap = bytearray((npages + 7) // 8)
        cdef uint8_t* bm = bitmap
        cdef uint64_t count
        cdef bytearray data
        cdef uint8_t* out
        with nogil:
            count = ram_nonzero_pages(self.m, bm)
        data = bytearray(count * PAGE_SIZE)
        if count:
            out = <uint8_t*>(<char*>data)
            with nogil:
                ram_copy_pages(self.m, bm, out)
        return bytes(bitmap), data

    def load_ram(self, const unsigned char[:] bitmap, const unsigned char[:] data):
        cdef uint64_t npages = self.m.ram_size >> PAGE_BITS, k, count = 0
        if <uint64_t>bitmap.shape[0] != (npages + 7) // 8:
            raise ValueError("RAM page map of the wrong size")
        for k in range(npages):
            if bitmap[k >> 3] & (1 << (k & 7)):
                count += 1
        if <uint64_t>data.shape[0] != count * PAGE_SIZE:
            raise ValueError("RAM pages missing or left over")
        with nogil:
            ram_fill_pages(self.m, &bitmap[0], &data[0] if count else NULL)

    def state_loaded(self):
        """After loading state: translated code and every vCPU's caches start afresh."""
        cdef uint32_t k
        tb_flush(self.m)
        tb_reap(self.m)
        for k in range(self.m.ncpus):
            cpu_state_loaded(&self.m.cpus[k])

    def flush_tbs(self):
        tb_flush(self.m)


cdef uint64_t* field_ptr(CPU* c, str name) except NULL:
    # System register fields by name, for the Python side (never on the hot path).
    cdef uint64_t* p = NULL
    if name == "vbar_el1": p = &c.vbar_el1
    elif name == "elr_el1": p = &c.elr_el1
    elif name == "spsr_el1": p = &c.spsr_el1
    elif name == "esr_el1": p = &c.esr_el1
    elif name == "far_el1": p = &c.far_el1
    elif name == "sctlr_el1": p = &c.sctlr_el1
    elif name == "tcr_el1": p = &c.tcr_el1
    elif name == "ttbr0_el1": p = &c.ttbr0_el1
    elif name == "ttbr1_el1": p = &c.ttbr1_el1
    elif name == "mair_el1": p = &c.mair_el1
    elif name == "cpacr_el1": p = &c.cpacr_el1
    elif name == "tpidr_el0": p = &c.tpidr_el0
    elif name == "tpidr_el1": p = &c.tpidr_el1
    elif name == "tpidrro_el0": p = &c.tpidrro_el0
    elif name == "par_el1": p = &c.par_el1
    elif name == "fpcr": p = &c.fpcr
    elif name == "fpsr": p = &c.fpsr
    elif name == "midr": p = &c.midr
    elif name == "revidr": p = &c.revidr
    elif name == "mpidr": p = &c.mpidr
    elif name == "ctr": p = &c.ctr
    elif name == "dczid": p = &c.dczid
    elif name == "clidr": p = &c.clidr
    elif name == "aidr": p = &c.aidr
    elif name == "id_aa64pfr0": p = &c.id_aa64pfr0
    elif name == "id_aa64pfr1": p = &c.id_aa64pfr1
    elif name == "id_aa64dfr0": p = &c.id_aa64dfr0
    elif name == "id_aa64isar0": p = &c.id_aa64isar0
    elif name == "id_aa64isar1": p = &c.id_aa64isar1
    elif name == "id_aa64mmfr0": p = &c.id_aa64mmfr0
    elif name == "id_aa64mmfr1": p = &c.id_aa64mmfr1
    elif name == "id_aa64mmfr2": p = &c.id_aa64mmfr2
    elif name == "amair_el1": p = &c.amair_el1
    elif name == "contextidr_el1": p = &c.contextidr_el1
    elif name == "mdscr_el1": p = &c.mdscr_el1
    elif name == "afsr0_el1": p = &c.afsr0_el1
    elif name == "afsr1_el1": p = &c.afsr1_el1
    elif name == "cntkctl_el1": p = &c.cntkctl_el1
    elif name == "csselr_el1": p = &c.csselr_el1
    elif name == "actlr_el1": p = &c.actlr_el1
    elif name == "cntv_ctl_el0": p = &c.cntv_ctl
    elif name == "cntv_cval_el0": p = &c.cntv_cval
    elif name == "cntp_ctl_el0": p = &c.cntp_ctl
    elif name == "cntp_cval_el0": p = &c.cntp_cval
    elif name == "insn_count": p = &c.insn_count
    else:
        raise KeyError(f"unknown register {name!r}")
    return p


include "core/plugin_api.pxi"
include "core/plugin_host.pxi"
