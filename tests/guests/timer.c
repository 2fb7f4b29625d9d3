/* The generic timer and the GICv2: the virtual timer (PPI 27) and the physical timer (PPI 30)
   programmed through CVAL and TVAL, their CTL status bits, the level they drive into the GIC
   (pending while the condition holds, gone when masked or disabled), waking from WFI with
   interrupts masked, counting interrupts taken through the GIC's acknowledge and EOI, the order
   of two pending interrupts by priority, and preemption of a lower-priority handler.
   Nothing timing-dependent is printed (QEMU's counter follows the host clock, qemu_py's the
   instructions executed): only statuses, interrupt numbers, counts and comparisons. */
#include "sys.h"

#define PPI_VIRT 27
#define PPI_PHYS 30
#define CTL_ENABLE 1
#define CTL_IMASK 2
#define CTL_ISTATUS 4
#define INTERVAL 20000          /* ticks: 320 us at 62.5 MHz */

static volatile uint32_t count[32];
static volatile uint32_t trace[16];
static volatile uint32_t ntrace;
static volatile uint32_t bad;           /* interrupts acknowledged with something unexpected */
static volatile uint32_t rearm_virt, rearm_phys;
static volatile int nest_mode;

static inline uint64_t cntvct(void) { ISB(); return MRS(cntvct_el0); }
static inline uint64_t cntpct(void) { ISB(); return MRS(cntpct_el0); }

static void record(uint32_t v)
{
    if (ntrace < 16)
        trace[ntrace++] = v;
}

static void on_timer_irq(uint32_t irq)
{
    if (irq == PPI_VIRT) {
        uint64_t ctl = MRS(cntv_ctl_el0);
        if (ctl != (CTL_ENABLE | CTL_ISTATUS))
            bad++;
        if (rearm_virt) {
            rearm_virt--;
            MSR(cntv_tval_el0, INTERVAL);
        } else {
            MSR(cntv_ctl_el0, 0);
        }
    } else {
        uint64_t ctl = MRS(cntp_ctl_el0);
        if (ctl != (CTL_ENABLE | CTL_ISTATUS))
            bad++;
        if (rearm_phys) {
            rearm_phys--;
            MSR(cntp_cval_el0, cntpct() + INTERVAL);
        } else {
            MSR(cntp_ctl_el0, 0);
        }
    }
    ISB();
}

int on_exception(struct frame *f, int index)
{
    if ((index & 3) != 1) {
        report_exception(f, index);
        return 0;
    }
    uint32_t iar = gicc_r(GICC_IAR);
    uint32_t irq = iar & 0x3ff;
    if (irq != PPI_VIRT && irq != PPI_PHYS) {
        bad++;
        if (irq != 1023)
            gicc_w(GICC_EOIR, iar);
        return 1;
    }
    count[irq]++;
    record(irq);
    if (gicc_r(GICC_RPR) != (irq == PPI_VIRT ? 0xa0u : 0x80u))
        bad++;
    if (nest_mode && irq == PPI_VIRT) {
        /* Make the higher-priority physical timer fire while this handler runs with IRQs
           unmasked: it preempts. */
        MSR(cntp_cval_el0, 0);
        MSR(cntp_ctl_el0, CTL_ENABLE);
        ISB();
        __asm__ volatile("msr daifclr, #2\n\tisb" ::: "memory");
        while (count[PPI_PHYS] == 0)
            ;
        __asm__ volatile("msr daifset, #2" ::: "memory");
        record(100 + irq);
    }
    on_timer_irq(irq);
    gicc_w(GICC_EOIR, iar);
    return 1;
}

static uint32_t pending_bits(void)
{
    return gicd_r(GICD_ISPENDR) & ((1u << PPI_VIRT) | (1u << PPI_PHYS));
}

static void put_pending(const char *label)
{
    uint32_t p = pending_bits();
    puts(label);
    puts(" pending:");
    if (p & (1u << PPI_VIRT))
        puts(" 27");
    if (p & (1u << PPI_PHYS))
        puts(" 30");
    if (!p)
        puts(" none");
    putc('\n');
}

static void counter(void)
{
    puts("counter\n");
    put_kv("  cntfrq", MRS(cntfrq_el0));
    uint64_t p0 = cntpct(), v0 = cntvct();
    uint64_t x = 0;
    for (int k = 0; k < 1000; k++)
        x = mix(x, k);
    uint64_t p1 = cntpct(), v1 = cntvct();
    puts("  cntpct advances: ");
    puts(p1 > p0 ? "yes" : "no");
    puts(", cntvct advances: ");
    puts(v1 > v0 ? "yes" : "no");
    puts(", cntvct >= the cntpct read before it: ");
    puts(v0 >= p0 && v1 >= p1 ? "yes" : "no");
    putc('\n');
    (void)x;
}

static void registers(void)
{
    puts("timer registers\n");
    MSR(cntv_ctl_el0, 0);
    MSR(cntp_ctl_el0, 0);
    MSR(cntv_cval_el0, 0x0123456789abcdefUL);
    put_kv("  cntv_cval", MRS(cntv_cval_el0));
    MSR(cntp_cval_el0, 0xfedcba9876543210UL);
    put_kv("  cntp_cval", MRS(cntp_cval_el0));
    /* CVAL far in the future: enabled, not firing. */
    MSR(cntv_ctl_el0, CTL_ENABLE | CTL_IMASK);
    MSR(cntv_ctl_el0, 0xf8 | CTL_ENABLE | CTL_IMASK);  /* the other bits are RES0 / read-only */
    ISB();
    put_kv("  cntv_ctl, cval ahead", MRS(cntv_ctl_el0));
    /* CVAL in the past: ISTATUS, whatever IMASK says. */
    MSR(cntv_cval_el0, 0);
    ISB();
    put_kv("  cntv_ctl, cval 0", MRS(cntv_ctl_el0));
    int32_t tval = (int32_t)MRS(cntv_tval_el0);
    puts("  cntv_tval with cval 0 is negative: ");
    puts(tval < 0 ? "yes\n" : "no\n");
    /* TVAL writes set CVAL = now + sign-extended TVAL. */
    uint64_t before = cntvct();
    MSR(cntv_tval_el0, 0x10000000);
    ISB();
    uint64_t after = cntvct();
    uint64_t cval = MRS(cntv_cval_el0);
    puts("  cval after tval 0x10000000 is within [before, after] + 0x10000000: ");
    puts(cval >= before + 0x10000000 && cval <= after + 0x10000000 ? "yes\n" : "no\n");
    int64_t t = (int32_t)MRS(cntv_tval_el0);
    puts("  tval reads back in (0x8000000, 0x10000000]: ");
    puts(t > 0x8000000 && t <= 0x10000000 ? "yes\n" : "no\n");
    put_kv("  cntv_ctl", MRS(cntv_ctl_el0));
    MSR(cntv_tval_el0, 0xffffffff);                    /* -1: already expired */
    ISB();
    put_kv("  cntv_ctl after tval -1", MRS(cntv_ctl_el0));
    MSR(cntp_cval_el0, 0);
    MSR(cntp_ctl_el0, CTL_ENABLE);
    ISB();
    put_kv("  cntp_ctl, cval 0", MRS(cntp_ctl_el0));
    MSR(cntv_ctl_el0, 0);
    MSR(cntp_ctl_el0, 0);
    ISB();
}

static void levels(void)
{
    puts("the timers' level in the gic (irqs masked)\n");
    put_pending("  both disabled:");
    MSR(cntv_cval_el0, 0);
    MSR(cntv_ctl_el0, CTL_ENABLE);
    ISB();
    put_pending("  virtual fired:");
    MSR(cntv_ctl_el0, CTL_ENABLE | CTL_IMASK);
    ISB();
    put_pending("  virtual masked by imask:");
    MSR(cntv_ctl_el0, CTL_ENABLE);
    MSR(cntp_cval_el0, 0);
    MSR(cntp_ctl_el0, CTL_ENABLE);
    ISB();
    put_pending("  both fired:");
    puts("  hppir ");
    put_hex(gicc_r(GICC_HPPIR));
    putc('\n');
    MSR(cntv_cval_el0, ~0UL);
    ISB();
    put_pending("  virtual cval moved ahead:");
    MSR(cntp_ctl_el0, 0);
    ISB();
    put_pending("  physical disabled:");
    MSR(cntv_ctl_el0, 0);
    ISB();
}

static void wfi_masked(void)
{
    puts("wfi with irqs masked wakes on the virtual timer\n");
    MSR(cntv_tval_el0, INTERVAL);
    MSR(cntv_ctl_el0, CTL_ENABLE);
    ISB();
    /* Whether the timer fires before the WFI depends on QEMU's host clock; a WFI with an
       interrupt pending completes at once, so waiting in at least one keeps the guest's path
       (and the plugins' counts) the same either way. */
    do
        __asm__ volatile("wfi" ::: "memory");
    while (!(pending_bits() & (1u << PPI_VIRT)));
    put_kv("  cntv_ctl", MRS(cntv_ctl_el0));
    put_kv("  hppir", gicc_r(GICC_HPPIR));
    uint32_t iar = gicc_r(GICC_IAR);
    put_kv("  iar", iar);
    put_kv("  rpr", gicc_r(GICC_RPR));
    put_pending("  after acknowledge (level still high):");
    put_kv("  isactiver0 bit 27", (gicd_r(GICD_ISACTIVER) >> PPI_VIRT) & 1);
    MSR(cntv_ctl_el0, 0);
    ISB();
    gicc_w(GICC_EOIR, iar);
    put_kv("  rpr after eoi", gicc_r(GICC_RPR));
    put_kv("  isactiver0 bit 27 after eoi", (gicd_r(GICD_ISACTIVER) >> PPI_VIRT) & 1);
}

static void counting(void)
{
    puts("counting interrupts with wfi\n");
    ntrace = 0;
    count[PPI_VIRT] = count[PPI_PHYS] = 0;
    rearm_virt = 9;
    MSR(cntv_tval_el0, INTERVAL);
    MSR(cntv_ctl_el0, CTL_ENABLE);
    ISB();
    wfi_until(&count[PPI_VIRT], 10);
    put_kv("  virtual timer interrupts", count[PPI_VIRT]);
    put_kv("  cntv_ctl", MRS(cntv_ctl_el0));

    rearm_phys = 5;
    MSR(cntp_cval_el0, cntpct() + INTERVAL);
    MSR(cntp_ctl_el0, CTL_ENABLE);
    ISB();
    wfi_until(&count[PPI_PHYS], 6);
    put_kv("  physical timer interrupts", count[PPI_PHYS]);
    put_kv("  cntp_ctl", MRS(cntp_ctl_el0));
}

static void put_trace(void)
{
    puts("  order:");
    for (uint32_t k = 0; k < ntrace; k++) {
        putc(' ');
        put_dec(trace[k]);
    }
    putc('\n');
}

/* Unmask IRQs until the timers have interrupted this often, then mask them again. */
static void wait_for(uint32_t nvirt, uint32_t nphys)
{
    wfi_until(&count[PPI_VIRT], nvirt);
    wfi_until(&count[PPI_PHYS], nphys);
}

static void priorities(void)
{
    puts("both pending, then unmasked: the higher priority (physical, 0x80) first\n");
    ntrace = 0;
    count[PPI_VIRT] = count[PPI_PHYS] = 0;
    uint64_t when = cntvct() + INTERVAL;
    MSR(cntv_cval_el0, when);
    MSR(cntp_cval_el0, when);
    MSR(cntv_ctl_el0, CTL_ENABLE);
    MSR(cntp_ctl_el0, CTL_ENABLE);
    ISB();
    do      /* at least one WFI: the same path whether or not they fired already */
        __asm__ volatile("wfi" ::: "memory");
    while (pending_bits() != ((1u << PPI_VIRT) | (1u << PPI_PHYS)));
    wait_for(1, 1);
    put_trace();

    puts("preemption: the physical timer fires inside the virtual timer's handler\n");
    ntrace = 0;
    count[PPI_VIRT] = count[PPI_PHYS] = 0;
    nest_mode = 1;
    MSR(cntv_cval_el0, 0);
    MSR(cntv_ctl_el0, CTL_ENABLE);
    ISB();
    wait_for(1, 1);
    nest_mode = 0;
    put_trace();
    put_kv("  rpr at the end", gicc_r(GICC_RPR));

    puts("priority mask 0x90: only the physical timer gets through\n");
    ntrace = 0;
    count[PPI_VIRT] = count[PPI_PHYS] = 0;
    gicc_w(GICC_PMR, 0x90);
    MSR(cntv_cval_el0, 0);
    MSR(cntv_ctl_el0, CTL_ENABLE);
    MSR(cntp_cval_el0, 0);
    MSR(cntp_ctl_el0, CTL_ENABLE);
    ISB();
    wait_for(0, 1);
    put_trace();
    put_pending(" ");
    gicc_w(GICC_PMR, 0xff);
    wait_for(1, 1);
    put_trace();
}

int main(void)
{
    puts("timer: start\n");
    __asm__ volatile("msr daifset, #2" ::: "memory");
    gic_init_dist();
    gic_init_cpu();
    gicd_set_priority(PPI_VIRT, 0xa0);
    gicd_set_priority(PPI_PHYS, 0x80);
    gicd_w(GICD_ISENABLER, (1u << PPI_VIRT) | (1u << PPI_PHYS));
    put_kv("gicd_isenabler0 timer bits", gicd_r(GICD_ISENABLER) & ((1u << PPI_VIRT) | (1u << PPI_PHYS)));
    put_kv("priorities 27 30", (gicd_r(GICD_IPRIORITYR + 24) >> 24) | (gicd_r(GICD_IPRIORITYR + 28) & 0xff0000));
    put_kv("gicc_pmr", gicc_r(GICC_PMR));
    counter();
    registers();
    levels();
    wfi_masked();
    counting();
    priorities();
    put_kv("unexpected", bad);
    puts("timer: done\n");
    return 0;
}
