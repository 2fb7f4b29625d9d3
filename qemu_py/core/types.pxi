# The C-level state of the machine: vCPUs, decoded instructions, translation blocks, the soft TLB
# and the physical memory map. Nothing here is a Python object, so everything that touches it can
# run without the GIL.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t

# Note: Cython treats integer literals of 2**31 and above as Python objects; inside nogil code
# write them with a cast (<uint64_t>0x80000000) or use MASK32.

# Register file indices. The decoder resolves encoding register 31 to XZR or SP once, so handlers
# index the file without a branch: reads of REG_ZR give 0, writes to REG_ZR land in REG_SINK.
cdef enum:
    REG_ZR = 31
    REG_SP = 32
    REG_SINK = 33
    NREGS = 34

cdef enum:
    PAGE_BITS = 12
    PAGE_SIZE = 4096
    TLB_BITS = 8
    TLB_SIZE = 256
    JMP_CACHE_BITS = 12
    JMP_CACHE_SIZE = 4096
    TB_MAX_INSNS = 512      # as QEMU cuts blocks (bb and hotblocks reports depend on it)
    TB_HASH_SIZE = 65536

cdef extern from *:
    """
    #define QP_PAGE_MASK 0xfffffffffffff000ULL
    #define QP_NO_TAG 0xffffffffffffffffULL
    #define QP_MASK32 0xffffffffULL
    """
    const uint64_t MASK32 "QP_MASK32"
    const uint64_t PAGE_MASK "QP_PAGE_MASK"
    const uint64_t NO_TAG "QP_NO_TAG"

# How an instruction handler leaves: carry on with the next record, leave the block having
# completed the instruction (branch taken, exception-generating instruction), or leave it without
# completing it (a fault: ELR points at the instruction itself).
cdef enum:
    NEXT = 0
    JUMP = 1
    FAULT = 2
    LEAVE = 3       # a library hook left the block before this instruction (c.pc set): nothing
                    # completed, no exception (pyhooks.pxi)
    NEXT_SKIP = 4   # a PLUGIN_MEM record ran the next record, its instruction: go on after it

# Why cpu_exec returned to Python.
cdef enum:
    STOP_NONE = 0
    STOP_BUDGET = 1         # the instruction budget of the slice ran out
    STOP_POWEROFF = 2       # PSCI SYSTEM_OFF
    STOP_RESET = 3          # PSCI SYSTEM_RESET
    STOP_EXIT = 4           # semihosting SYS_EXIT / SYS_EXIT_EXTENDED
    STOP_EXC_LOOP = 5       # exceptions with no instruction completing in between
    STOP_DRAIN = 6          # the event log or the UART output needs draining
    STOP_BREAK = 7          # the library asked to stop at an address
    STOP_WFI = 8            # every vCPU waits for an interrupt that cannot come
    STOP_PLUGIN = 9         # a plugin request (reset/uninstall) or a fatal plugin error
    STOP_EXCEPTION = 10     # an exception was entered while Mach.stop_on_exception was set (step)
    STOP_HOOK = 11          # a library hook or Python device asked to stop, or raised
    STOP_IDLE = 12          # every vCPU waits and pace_idle asks the host to wait first


cdef struct Insn:
    # One decoded instruction. Small and fixed-size so a block is one array walked by a switch.
    uint16_t op             # handler number (see _ops.pxi, generated)
    uint8_t rd, rn, rm, ra  # resolved register indices (see REG_* above)
    uint8_t sf              # 1 for 64-bit operation, 0 for 32-bit
    uint8_t size            # access size log2, or element size
    uint8_t cond            # condition code, or a small sub-operation selector
    uint8_t shift           # shift type / extend type
    uint8_t amount          # shift or extend amount
    uint8_t flags           # per-class extra bits (signed, acquire/release, writeback, ...)
    uint8_t rt2, rs         # second transfer register, status register
    int64_t imm             # immediate, offset or branch target
    uint64_t imm2           # second immediate (masks, targets)
    uint64_t pc             # virtual address of this instruction
    uint32_t raw            # the encoding, for ESR.ISS and logs
    int32_t aux             # plugin runtime: bytes from this record to its MemInstr (REPORTED
                            # twins, plugin_runtime.pxi); fits the struct's tail padding


cdef struct TB:
    uint64_t pc             # virtual PC of the first instruction
    uint64_t phys_pc        # physical PC: the cache key with flags
    uint32_t flags          # CPU state that changes decoding (EL, MMU on)
    uint32_t n_insns        # guest instructions
    uint32_t n_recs         # records: n_insns, plus plugin instrumentation records if any
    uint32_t is_break       # its first instruction is a breakpoint (debug.pxi)
    TB* hash_next           # chain in the physical hash table
    TB* page_next           # chain of the blocks translated from the same RAM page
    Insn* insns             # n_recs records, allocated with the block
    uint32_t* first_rec     # instrumented blocks: record index of each instruction's first
                            # record (n_insns + 1 entries); NULL when records = instructions
    void* plugin_fold       # inline adds to take back on leaving the block early, or NULL
    Insn* pro               # native plugins' block-entry records (callbacks, inline ops), run
    uint32_t n_pro          # before the first instruction outside the switch (loop.pxi)


cdef struct TLBEntry:
    # A hit is one compare: the tag is the page address, or ~0 when that kind of access must take
    # the slow path (MMIO, code page, unmapped, not permitted).
    uint64_t tag_read
    uint64_t tag_write
    uint64_t tag_exec
    uint64_t paddr          # physical page address
    size_t addend           # host pointer = vaddr + addend (RAM only)


cdef struct Mach


cdef struct CPU:
    uint64_t x[NREGS]       # X0-X30, ZR, current SP, write sink
    uint64_t pc
    uint32_t nzcv           # N=8 Z=4 C=2 V=1
    uint32_t el             # current exception level (0 or 1)
    uint32_t spsel          # PSTATE.SP
    uint32_t daif           # PSTATE.{D,A,I,F} in bits 9..6, as the DAIF register shows them
    uint64_t sp_el0, sp_el1 # banked SPs; x[REG_SP] holds the one in use
    uint32_t index          # vCPU number
    uint32_t tb_flags       # cached decode flags: el | mmu_on << 2

    # EL1 system registers a bare-metal program uses.
    uint64_t vbar_el1, elr_el1, spsr_el1, esr_el1, far_el1
    uint64_t sctlr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1, amair_el1, contextidr_el1
    uint64_t cpacr_el1, tpidr_el0, tpidr_el1, tpidrro_el0, sp_el0_saved
    uint64_t mdscr_el1, par_el1, afsr0_el1, afsr1_el1, cntkctl_el1, csselr_el1
    uint64_t cntv_ctl, cntv_cval, cntp_ctl, cntp_cval
    uint64_t fpcr, fpsr
    # V0-V31: register n is v[2n] (bits 63:0) and v[2n+1] (bits 127:64); the B/H/S/D views are
    # the low bytes of the pair (the host is little-endian, like the guest's register views).
    uint64_t v[64]
    uint64_t actlr_el1
    uint64_t dbg_regs[64]   # DBGBVR/BCR/WVR/WCR<n>_EL1: stored, never trigger (no debug events)
    uint64_t mdccint_el1, dbgclaim

    # Identification registers: what the CPU model claims (set from Python per -cpu).
    uint64_t midr, revidr, mpidr, ctr, dczid, clidr, aidr
    uint64_t id_aa64pfr0, id_aa64pfr1, id_aa64dfr0, id_aa64isar0, id_aa64isar1
    uint64_t id_aa64mmfr0, id_aa64mmfr1, id_aa64mmfr2

    # Exclusive monitor (LDXR/STXR): the granule it holds, cleared by CLREX, exceptions and
    # other vCPUs' stores to it.
    uint64_t excl_addr
    uint64_t excl_val
    uint64_t excl_val2
    uint32_t excl_valid

    uint64_t insn_count     # instructions completed
    uint32_t exc_streak     # exceptions taken with no instruction completed since
    uint32_t halted         # in WFI
    uint32_t powered_off
    uint32_t irq_line       # the interrupt controller asserts IRQ to this vCPU
    uint64_t round_insns    # insn_count when the current scheduling round began
    uint64_t deadline_insns # insn_count at which a timer condition next changes
    uint32_t bp_armed       # breakpoints stop this vCPU: set after its first block of a run

    # By privilege: [0] EL0 (and LDTR/STTR), [1] EL1; [2] is never filled, so every access
    # through it misses. tlb_idx selects the set for ordinary accesses (normally the EL),
    # tlb_idx_unpriv for LDTR/STTR (normally 0); both point at [2] while a plugin watches the
    # accesses of the current instruction (plugin_runtime.pxi).
    TLBEntry tlb[3][TLB_SIZE]
    uint32_t tlb_idx, tlb_idx_unpriv
    TB* jmp_cache[JMP_CACHE_SIZE]
    Mach* mach


# A device register window: the machine's own devices are C functions, so MMIO never enters
# Python unless the library maps a Python device.
ctypedef bint (*mmio_read_fn)(void* dev, uint64_t off, uint32_t size, uint64_t* out) noexcept nogil
ctypedef bint (*mmio_write_fn)(void* dev, uint64_t off, uint32_t size, uint64_t val) noexcept nogil

cdef enum:
    MAX_REGIONS = 16
    MAX_CPUS = 8
    LOG_SIZE = 4096
    UART_OUT_SIZE = 65536

cdef struct Region:
    uint64_t base
    uint64_t size
    mmio_read_fn read
    mmio_write_fn write
    void* dev

# Events for -d logging, drained and formatted by Python between slices.
cdef enum:
    EV_TB_TRANS = 1         # a: physical pc, b: instruction count
    EV_TB_EXEC = 2
    EV_EXCEPTION = 3        # a: ESR, b: ELR, c: vector address, d: exception type
    EV_HOSTCALL = 4         # a: call number

cdef enum:
    LOG_IN_ASM = 1
    LOG_EXEC = 2
    LOG_INT = 4

cdef struct LogEvent:
    uint32_t kind
    uint32_t cpu
    uint64_t pc
    uint64_t a, b, c, d


# Optional architecture features the CPU model has (Mach.features). Handlers of optional
# instructions check their bit and are UNDEFINED without it, as on a CPU that lacks them.
cdef enum:
    FEAT_CRC32 = 1 << 0
    FEAT_LSE = 1 << 1


# What a library hook or Python device asked the core for (Mach.hook_action).
cdef enum:
    HOOK_NONE = 0
    HOOK_STOP = 1           # Machine.stop(): stop as soon as possible
    HOOK_ERROR = 2          # a hook raised: stop, the exception waits in PyHooks.error
    HOOK_ABANDON = 3        # a Python device raised: the access's instruction is abandoned


cdef struct Mach:
    CPU* cpus
    uint32_t features
    uint32_t ncpus
    uint8_t* ram
    uint64_t ram_base
    uint64_t ram_size
    uint8_t* code_pages     # one byte per RAM page: 1 when translated code came from it
    TB** page_tbs           # per RAM page, the blocks translated from it (page_next chains)
    Region regions[MAX_REGIONS]
    uint32_t nregions
    TB** tb_hash            # TB_HASH_SIZE chains, keyed by physical pc
    uint64_t tb_count
    TB* tb_dead             # flushed blocks, freed between blocks (translate.pxi: tb_reap)

    uint32_t current_cpu    # the vCPU running now (banked device registers)
    void* gic               # the interrupt controller (GIC*), NULL before the board wires it
    void* rtc               # the real-time clock (PL031*), NULL before the board wires it
    uint64_t round_start_ns # virtual time when the current round began
    uint32_t icount_shift   # each instruction takes 2**shift ns of virtual time
    bint pace_idle          # stop (STOP_IDLE) rather than jump over idle time
    uint64_t idle_wake_ns   # with STOP_IDLE: the deadline time would have jumped to

    uint32_t plugin_mask    # PM_* bits: which plugin hooks are live (plugin_runtime.pxi)

    uint32_t stop_reason
    int32_t exit_code
    uint32_t semihosting
    uint64_t* breakpoints   # the library's stop addresses (sorted, debug.pxi)
    uint32_t nbreakpoints
    uint32_t stop_on_exception  # stop as soon as an exception is entered (single-stepping)
    int32_t run_only        # schedule only this vCPU (single-stepping one); -1: all
    uint32_t budget_is_slice    # the run's budget is a slice of the caller's (instrumented blocks run whole)
    uint32_t hook_action    # HOOK_*: what a library hook or Python device asked for
    uint32_t n_mmio_hooks   # library hooks on device accesses (phys_read/phys_write call them)
    void* pyhooks           # the library's Python hooks (PyHooks*, pyhooks.pxi), or NULL

    uint32_t log_mask
    uint32_t log_len
    LogEvent log[LOG_SIZE]

    uint8_t uart_out[UART_OUT_SIZE]
    uint32_t uart_out_len
    uint8_t semi_out[UART_OUT_SIZE]     # the semihosting console (QEMU sends it to stderr)
    uint32_t semi_out_len
