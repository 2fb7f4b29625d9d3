/* Taking and returning from each kind of exception, from EL1 and from EL0 (entered with ERET,
   SPSR = EL0t): SVC, BRK, HVC that is not a PSCI call, undefined instructions, system register
   and cache maintenance traps (SCTLR_EL1.UCT/DZE/UCI/UMA, CNTKCTL_EL1), WFI/WFE traps, the
   FP/SIMD trap, data and instruction aborts, PC alignment, an illegal exception return, and IRQs
   (a GIC SGI to ourselves) taken at EL1 and at EL0. For each the handler prints the vector,
   ESR, the return address as an offset from the instruction that trapped, SPSR, and FAR for
   aborts; then execution resumes after that instruction.
   The MMU is off: EL0 reaches all of memory, and nothing answers at 0x80000000.
   Left out because QEMU 7.2 departs from the manual there (exc_arm tests them against
   exc_arm.expected): the ISS of a trapped MSR DAIFSet/DAIFClr at EL0. Left out as well: SP
   alignment (QEMU 7.2 has no SP alignment check; the align guest tests it), and HPPIR under
   the priority mask (the GIC specification does not say clearly whether the mask applies). */
#include "sys.h"

#define UNMAPPED 0x80000000UL

/* Each test is an asm function whose trapping instruction is at the label <name>_at. It is
   called at EL1 directly or at EL0 through run_el0; x0 is its argument (often NZCV). */
#define SNIPPET(name, body)                                                         \
    __asm__(".text\n.balign 4\n.global " #name "\n.type " #name ", %function\n"    \
            #name ":\n" body "\n.size " #name ", . - " #name "\n");               \
    extern char name##_at[];                                                        \
    uint64_t name(uint64_t)

#define AT(name) ".global " #name "_at\n" #name "_at:\n"

SNIPPET(t_svc, "msr nzcv, x0\n" AT(t_svc) "svc #0x1234\nmov x0, #1\nret");
SNIPPET(t_svc0, "msr nzcv, x0\n" AT(t_svc0) "svc #0\nmov x0, #2\nret");
SNIPPET(t_brk, "msr nzcv, x0\n" AT(t_brk) "brk #0x42\nmov x0, #3\nret");
SNIPPET(t_hvc, "mov x9, x0\nmovz x0, #0x8600, lsl #16\nmsr nzcv, x9\n" AT(t_hvc) "hvc #7\nret");
SNIPPET(t_udf, "msr nzcv, x0\n" AT(t_udf) "udf #0x77\nmov x0, #4\nret");
SNIPPET(t_mrs_el1, AT(t_mrs_el1) "mrs x0, sctlr_el1\nret");
SNIPPET(t_msr_el1, AT(t_msr_el1) "msr vbar_el1, xzr\nret");
SNIPPET(t_mrs_spel0, AT(t_mrs_spel0) "mrs x0, sp_el0\nret");
SNIPPET(t_eret, AT(t_eret) "eret\nret");
SNIPPET(t_hlt, AT(t_hlt) "hlt #0x99\nret");
SNIPPET(t_tlbi, AT(t_tlbi) "tlbi vmalle1\nret");
SNIPPET(t_ldr_unmapped, "mov x1, #0x80000000\n" AT(t_ldr_unmapped) "ldr x2, [x1, #0x18]\nret");
SNIPPET(t_strb_unmapped, "mov x1, #0x80000000\n" AT(t_strb_unmapped) "strb w1, [x1, #3]\nret");
SNIPPET(t_ldp_unmapped, "mov x1, #0x80000000\n" AT(t_ldp_unmapped) "ldp x2, x3, [x1, #16]\nret");
SNIPPET(t_jump_unmapped, "mov x1, #0x80000000\nmov x9, x30\n" AT(t_jump_unmapped)
        "blr x1\nmov x30, x9\nret");
SNIPPET(t_jump_misaligned, "adr x1, 1f\nadd x1, x1, #2\nmov x9, x30\n" AT(t_jump_misaligned)
        "blr x1\n1: mov x30, x9\nret");
SNIPPET(t_ret_misaligned, "adr x1, 1f\nadd x1, x1, #1\nmov x9, x30\n" AT(t_ret_misaligned)
        "ret x1\n1: mov x30, x9\nret");
SNIPPET(t_wfi, AT(t_wfi) "wfi\nret");
SNIPPET(t_wfe, "sevl\n" AT(t_wfe) "wfe\nret");
SNIPPET(t_ctr, AT(t_ctr) "mrs x0, ctr_el0\nret");
SNIPPET(t_dczva, "mov x1, sp\nsub x1, x1, #256\n" AT(t_dczva) "dc zva, x1\nret");
SNIPPET(t_dc_cvau, AT(t_dc_cvau) "dc cvau, x30\nret");
SNIPPET(t_dc_civac, AT(t_dc_civac) "dc civac, x30\nret");
SNIPPET(t_ic_ivau, AT(t_ic_ivau) "ic ivau, x30\nret");
SNIPPET(t_dc_ivac, AT(t_dc_ivac) "dc ivac, x30\nret");
SNIPPET(t_mrs_daif, AT(t_mrs_daif) "mrs x0, daif\nret");
SNIPPET(t_msr_daif, AT(t_msr_daif) "msr daif, xzr\nret");
SNIPPET(t_cntvct, AT(t_cntvct) "mrs x0, cntvct_el0\nmov x0, #0\nret");
SNIPPET(t_cntv_ctl, AT(t_cntv_ctl) "mrs x0, cntv_ctl_el0\nret");
SNIPPET(t_cntfrq, AT(t_cntfrq) "mrs x0, cntfrq_el0\nret");
SNIPPET(t_fmov, AT(t_fmov) "fmov d0, xzr\nret");
SNIPPET(t_fpcr, AT(t_fpcr) "mrs x0, fpcr\nret");
/* An IRQ pending when the function starts: taken before its first instruction. */
SNIPPET(t_irq_entry, AT(t_irq_entry) "mov x0, #5\nret");
SNIPPET(t_irq_unmask, "msr daifset, #2\n" AT(t_irq_unmask) "msr daifclr, #2\nmov x0, #6\nret");

/* PSTATE.BTYPE, which QEMU's max (with FEAT_BTI) records after BLR; qemu_py has no BTI. */
#define SPSR_BTYPE (3UL << 10)

static const char *const vec_names[16] = {
    "el1t sync", "el1t irq", "el1t fiq", "el1t serror",
    "el1h sync", "el1h irq", "el1h fiq", "el1h serror",
    "el0 sync", "el0 irq", "el0 fiq", "el0 serror",
    "a32 sync", "a32 irq", "a32 fiq", "a32 serror",
};

static uint64_t at;                 /* the trapping instruction of the running test */
static int taken;
static int irq_expected;

static void put_off(const char *what, uint64_t addr)
{
    puts(what);
    if (addr >= at - 0x100 && addr < at + 0x100) {
        puts("at");
        if (addr >= at) {
            putc('+');
            put_hex(addr - at);
        } else {
            putc('-');
            put_hex(at - addr);
        }
    } else {
        put_hex(addr);
    }
}

static void on_irq(struct frame *f, int index)
{
    uint32_t iar = gicc_r(GICC_IAR);
    puts("  irq: ");
    puts(vec_names[index]);
    puts(" iar ");
    put_hex(iar);
    puts(" rpr ");
    put_hex(gicc_r(GICC_RPR));
    put_off(" elr ", f->elr);
    puts(" spsr ");
    put_hex(f->spsr & ~SPSR_BTYPE);
    putc('\n');
    gicc_w(GICC_EOIR, iar);
    puts("  after eoi: rpr ");
    put_hex(gicc_r(GICC_RPR));
    puts(" iar ");
    put_hex(gicc_r(GICC_IAR) & 0x3ff);
    putc('\n');
}

int on_exception(struct frame *f, int index)
{
    if (on_el0_exit(f, index))
        return 1;
    taken++;
    if ((index & 3) == 1 && irq_expected) {
        on_irq(f, index);
        irq_expected = 0;
        return 1;
    }
    uint32_t ec = ESR_EC(f->esr);
    puts("  ");
    puts(vec_names[index]);
    puts(" esr ");
    put_hex(f->esr);
    put_off(" elr ", f->elr);
    puts(" spsr ");
    put_hex(f->spsr & ~SPSR_BTYPE);
    if (ec == 0x20 || ec == 0x21 || ec == 0x22 || ec == 0x24 || ec == 0x25)
        put_off(" far ", f->far);
    putc('\n');
    if ((index & 3) != 0 || at == 0) {
        report_exception(f, index);
        return 0;
    }
    if (ec == 0x0e)                             /* illegal state: clear PSTATE.IL on return */
        f->spsr &= ~(1UL << 20);
    f->elr = at + 4;
    return 1;
}

static uint64_t el0_stack[512] __attribute__((aligned(16)));
#define EL0_SP ((uint64_t)(el0_stack + 512))

static void el1(const char *label, uint64_t (*fn)(uint64_t), char *where, uint64_t arg)
{
    puts(label);
    puts(" at EL1\n");
    at = (uint64_t)where;
    uint64_t r = fn(arg);
    at = 0;
    puts("  returned ");
    put_hex(r);
    putc('\n');
}

static void el0(const char *label, uint64_t (*fn)(uint64_t), char *where, uint64_t arg)
{
    puts(label);
    puts(" at EL0\n");
    at = (uint64_t)where;
    uint64_t r = run_el0(fn, arg, EL0_SP, 0);
    at = 0;
    puts("  returned ");
    put_hex(r);
    puts(", back at EL");
    put_hex(MRS(currentel) >> 2);
    putc('\n');
}

#define BOTH(label, name, arg) do { el1(label, name, name##_at, arg); el0(label, name, name##_at, arg); } while (0)
#define EL1(label, name, arg) el1(label, name, name##_at, arg)
#define EL0(label, name, arg) el0(label, name, name##_at, arg)

static void calls(void)
{
    BOTH("svc #0x1234", t_svc, 0x60000000);
    BOTH("svc #0", t_svc0, 0x90000000);
    BOTH("brk #0x42", t_brk, 0x30000000);
    BOTH("hvc #7, function 0x86000000 (not PSCI)", t_hvc, 0xc0000000);
    BOTH("udf #0x77", t_udf, 0xf0000000);
    BOTH("hlt #0x99", t_hlt, 0);
    EL0("eret", t_eret, 0);
    EL0("mrs sctlr_el1", t_mrs_el1, 0);
    EL0("msr vbar_el1", t_msr_el1, 0);
    EL0("mrs sp_el0", t_mrs_spel0, 0);
    EL0("tlbi vmalle1", t_tlbi, 0);
}

static void set_sctlr_bits(uint64_t set, uint64_t clear)
{
    MSR(sctlr_el1, (MRS(sctlr_el1) | set) & ~clear);
    ISB();
}

#define UCI  (1UL << 26)
#define NTWE (1UL << 18)
#define NTWI (1UL << 16)
#define UCT  (1UL << 15)
#define DZE  (1UL << 14)
#define UMA  (1UL << 9)

static void el0_traps(void)
{
    uint64_t saved = MRS(sctlr_el1);
    puts("sctlr_el1 UCI UCT DZE UMA nTWI nTWE all clear\n");
    set_sctlr_bits(0, UCI | UCT | DZE | UMA | NTWI | NTWE);
    EL0("mrs ctr_el0", t_ctr, 0);
    EL0("dc zva", t_dczva, 0);
    EL0("dc cvau", t_dc_cvau, 0);
    EL0("dc civac", t_dc_civac, 0);
    EL0("ic ivau", t_ic_ivau, 0);
    EL0("dc ivac", t_dc_ivac, 0);
    EL0("mrs daif", t_mrs_daif, 0);
    EL0("msr daif", t_msr_daif, 0);
    EL0("wfi", t_wfi, 0);
    EL0("wfe", t_wfe, 0);
    puts("sctlr_el1 UCI UCT DZE UMA set\n");
    set_sctlr_bits(UCI | UCT | DZE | UMA, 0);
    EL0("mrs ctr_el0", t_ctr, 0);
    EL0("dc cvau", t_dc_cvau, 0);
    EL0("ic ivau", t_ic_ivau, 0);
    EL0("dc ivac", t_dc_ivac, 0);
    EL0("mrs daif", t_mrs_daif, 0);
    MSR(sctlr_el1, saved);
    ISB();

    puts("cntkctl_el1 0\n");
    MSR(cntkctl_el1, 0);
    ISB();
    EL0("mrs cntvct_el0", t_cntvct, 0);
    EL0("mrs cntv_ctl_el0", t_cntv_ctl, 0);
    EL0("mrs cntfrq_el0", t_cntfrq, 0);
    puts("cntkctl_el1 EL0VCTEN EL0VTEN\n");
    MSR(cntkctl_el1, (1 << 1) | (1 << 8));
    ISB();
    EL0("mrs cntvct_el0", t_cntvct, 0);
    EL0("mrs cntfrq_el0", t_cntfrq, 0);
    MSR(cntkctl_el1, 0);
    ISB();
}

static void fp_traps(void)
{
    uint64_t saved = MRS(cpacr_el1);
    puts("cpacr_el1.fpen 0\n");
    MSR(cpacr_el1, 0);
    ISB();
    BOTH("fmov d0, xzr", t_fmov, 0);
    BOTH("mrs fpcr", t_fpcr, 0);
    puts("cpacr_el1.fpen 1: EL0 traps only\n");
    MSR(cpacr_el1, 1UL << 20);
    ISB();
    BOTH("mrs fpcr", t_fpcr, 0);
    MSR(cpacr_el1, saved);
    ISB();
}

static void aborts(void)
{
    BOTH("ldr x2, [0x80000018]", t_ldr_unmapped, 0);
    BOTH("strb w1, [0x80000003]", t_strb_unmapped, 0);
    BOTH("ldp x2, x3, [0x80000010]", t_ldp_unmapped, 0);
    BOTH("blr to 0x80000000", t_jump_unmapped, 0);
    BOTH("blr to a misaligned address", t_jump_misaligned, 0);
    BOTH("ret to a misaligned address", t_ret_misaligned, 0);
}

static void spsel0(void)
{
    puts("svc with spsel 0 at EL1\n");
    at = (uint64_t)t_svc_at;
    uint64_t sp_el0 = MRS(sp_el0);
    MSR(sp_el0, EL0_SP);
    __asm__ volatile("msr spsel, #0\n\tmov x0, #0x40000000\n\tbl t_svc\n\tmsr spsel, #1"
                     ::: "x0", "x1", "x9", "x30", "memory", "cc");
    MSR(sp_el0, sp_el0);
    at = 0;
}

/* ERET to EL2h, which does not exist: an illegal return. PSTATE.IL is set, NZCV and DAIF come
   from SPSR, and the instruction at ELR takes an Illegal Execution state exception. */
SNIPPET(t_illegal, "adr x1, 1f\nmsr elr_el1, x1\nmsr spsr_el1, x0\nmov x0, #7\neret\n"
        AT(t_illegal) "1: nop\nret");

static void illegal_return(void)
{
    puts("eret with spsr M = EL2h\n");
    at = (uint64_t)t_illegal_at;
    uint64_t r = t_illegal(0xa0000009 | (0xfUL << 6));
    put_kv("  daif after", MRS(daif));
    put_kv("  nzcv after", MRS(nzcv));
    puts("  returned ");
    put_hex(r);
    putc('\n');
    puts("eret with spsr M = EL1h and IL set\n");
    r = t_illegal(0x50000005 | (1UL << 20) | (0xfUL << 6));
    puts("  returned ");
    put_hex(r);
    putc('\n');
    at = 0;
    __asm__ volatile("msr daifset, #0xf\n\tmsr nzcv, xzr");
}

static void irqs(void)
{
    gic_init_dist();
    gic_init_cpu();
    gicd_w(GICD_ISENABLER, 0xffff);                 /* the SGIs */
    gicd_set_priority(3, 0x80);
    gicd_set_priority(5, 0x40);
    __asm__ volatile("msr daifset, #2");

    puts("sgi 3 to self, irq masked, then daifclr at EL1\n");
    gicd_w(GICD_SGIR, (2u << 24) | 3);              /* TargetListFilter: this vCPU only */
    puts("  hppir ");
    put_hex(gicc_r(GICC_HPPIR));
    puts(" ispendr0 ");
    put_hex(gicd_r(GICD_ISPENDR));
    putc('\n');
    at = (uint64_t)t_irq_unmask_at;
    irq_expected = 1;
    uint64_t r = t_irq_unmask(0);
    put_kv("  returned", r);
    put_kv("  irq pending still", (uint64_t)irq_expected);
    __asm__ volatile("msr daifset, #2");

    puts("sgi 5 to self (cpu list), then eret to EL0 with irq unmasked\n");
    gicd_w(GICD_SGIR, (1u << 16) | 5);
    at = (uint64_t)t_irq_entry_at;
    irq_expected = 1;
    r = run_el0(t_irq_entry, 0, EL0_SP, 0);
    at = 0;
    put_kv("  returned", r);
    put_kv("  irq pending still", (uint64_t)irq_expected);

    puts("sgi 3 with the priority mask at 0x80\n");
    gicc_w(GICC_PMR, 0x80);
    gicd_w(GICD_SGIR, (2u << 24) | 3);
    puts("  iar ");
    put_hex(gicc_r(GICC_IAR));
    putc('\n');
    irq_expected = 1;
    at = (uint64_t)t_irq_unmask_at;
    r = t_irq_unmask(0);
    put_kv("  irq pending still (masked by pmr)", (uint64_t)irq_expected);
    gicc_w(GICC_PMR, 0xff);
    r = t_irq_unmask(0);
    put_kv("  irq pending still (pmr 0xff)", (uint64_t)irq_expected);
    at = 0;
    __asm__ volatile("msr daifset, #2");
}

int main(void)
{
    puts("exc: start\n");
    put_kv("daif at entry", MRS(daif));
    calls();
    el0_traps();
    fp_traps();
    aborts();
    spsel0();
    illegal_return();
    irqs();
    put_kv("exceptions taken", (uint64_t)taken);
    puts("exc: done\n");
    return 0;
}
