/* System helpers for the guests: leaving EL0, the GIC, PSCI, stage 1 page tables. */
#include "sys.h"

extern char el0_resume[];

int on_el0_exit(struct frame *f, int index)
{
    /* "svc #0xffff" at el0_exit, from EL0: resume run_el0 at EL1h with the result in x0. */
    if (index != 8 || ESR_EC(f->esr) != 0x15 || ESR_ISS(f->esr) != EL0_EXIT_SVC ||
        f->elr != (uint64_t)el0_exit + 4)
        return 0;
    f->elr = (uint64_t)el0_resume;
    f->spsr = 0x3c5;
    return 1;
}

__attribute__((weak)) void secondary_main(uint64_t index)
{
    (void)index;
}

/* --- GIC --------------------------------------------------------------------------------- */

void gicd_set_priority(unsigned irq, uint8_t prio)
{
    *(volatile uint8_t *)(GICD_BASE + GICD_IPRIORITYR + irq) = prio;
}

void gic_init_dist(void)
{
    gicd_w(GICD_CTLR, 1);
}

void gic_init_cpu(void)
{
    gicc_w(GICC_PMR, 0xff);
    gicc_w(GICC_BPR, 0);
    gicc_w(GICC_CTLR, 1);
}

/* --- PSCI -------------------------------------------------------------------------------- */

int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (int64_t)x0;
}

/* --- Page tables ------------------------------------------------------------------------- */

#define POOL_SIZE (2UL << 20)
static uint8_t pool[POOL_SIZE] __attribute__((aligned(65536)));
static uint64_t pool_used;

void pt_reset(void)
{
    pool_used = 0;
}

uint64_t pt_alloc(const struct pt *t)
{
    uint64_t size = 1UL << t->granule;
    pool_used = (pool_used + size - 1) & ~(size - 1);
    if (pool_used + size > POOL_SIZE) {
        puts("page table pool exhausted\n");
        poweroff();
    }
    uint64_t p = (uint64_t)pool + pool_used;
    pool_used += size;
    for (uint64_t k = 0; k < size; k += 8)
        *(volatile uint64_t *)(p + k) = 0;
    return p;
}

static unsigned level_shift(const struct pt *t, unsigned level)
{
    return t->granule + (3 - level) * (t->granule - 3);
}

uint64_t pt_level_size(const struct pt *t, unsigned level)
{
    return 1UL << level_shift(t, level);
}

void pt_init(struct pt *t, unsigned granule, unsigned va_bits)
{
    t->granule = granule;
    t->va_bits = va_bits;
    t->start_level = 3 - (va_bits - granule - 1) / (granule - 3);
    t->root = pt_alloc(t);
}

uint64_t *pt_set(struct pt *t, uint64_t va, unsigned level, uint64_t desc, uint64_t table_bits)
{
    uint64_t table = t->root;
    uint64_t oa_mask = 0x0000fffffffff000UL & ~((1UL << t->granule) - 1);
    for (unsigned l = t->start_level;; l++) {
        unsigned shift = level_shift(t, l);
        unsigned bits = t->va_bits - shift;
        if (bits > t->granule - 3)
            bits = t->granule - 3;
        volatile uint64_t *e = (volatile uint64_t *)table + ((va >> shift) & ((1UL << bits) - 1));
        if (l == level) {
            *e = desc;
            DSB();
            return (uint64_t *)e;
        }
        if ((*e & 3) != 3)
            *e = pt_alloc(t) | PTE_VALID | PTE_TABLE | table_bits;
        table = *e & oa_mask;
    }
}

static unsigned block_level(const struct pt *t)
{
    return t->granule == 12 ? 1 : 2;
}

static void map_blocks(struct pt *t, uint64_t start, uint64_t end, uint64_t attrs)
{
    unsigned level = block_level(t);
    uint64_t size = pt_level_size(t, level);
    for (uint64_t a = start & ~(size - 1); a < end; a += size)
        pt_set(t, a, level, a | PTE_VALID | attrs, 0);
}

void pt_identity(struct pt *t)
{
    /* GIC and UART: Device memory, never executable. The RAM: Normal write-back, EL1
       read/write, executable at EL1 and (execute-only) at EL0. */
    map_blocks(t, 0x08000000UL, 0x0a000000UL,
               PTE_ATTR(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN);
    map_blocks(t, 0x40000000UL, 0x48000000UL,
               PTE_ATTR(ATTR_NORMAL) | PTE_AF | PTE_SH_INNER);
}

static uint64_t tg0(unsigned granule)
{
    return granule == 12 ? 0 : granule == 16 ? 1 : 2;
}

static uint64_t tg1(unsigned granule)
{
    return granule == 12 ? 2 : granule == 16 ? 3 : 1;
}

uint64_t pt_tcr(const struct pt *lower, const struct pt *upper)
{
    /* Walks: inner/outer write-back, inner shareable. IPS 36 bits covers the board. */
    uint64_t tcr = (1UL << 32);
    tcr |= (64 - lower->va_bits) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (tg0(lower->granule) << 14);
    if (upper)
        tcr |= ((uint64_t)(64 - upper->va_bits) << 16) | (1UL << 24) | (1UL << 26) | (3UL << 28)
            | (tg1(upper->granule) << 30);
    else
        tcr |= (1UL << 23) | (tg1(12) << 30);       /* EPD1 */
    return tcr;
}

void tlbi_all(void)
{
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
}

void tlbi_va(uint64_t va)
{
    __asm__ volatile("dsb ishst\n\ttlbi vaae1is, %0\n\tdsb ish\n\tisb" :: "r"((va >> 12) & 0xfffffffffffUL)
                     : "memory");
}

void mmu_on(uint64_t tcr, uint64_t ttbr0, uint64_t ttbr1)
{
    MSR(mair_el1, MAIR_VALUE);
    MSR(tcr_el1, tcr);
    MSR(ttbr0_el1, ttbr0);
    MSR(ttbr1_el1, ttbr1);
    ISB();
    tlbi_all();
    uint64_t sctlr = MRS(sctlr_el1);
    sctlr |= (1UL << 0) | (1UL << 2) | (1UL << 12);     /* M, C, I */
    sctlr &= ~(1UL << 1);                               /* no alignment checks */
    MSR(sctlr_el1, sctlr);
    ISB();
}

void mmu_off(void)
{
    uint64_t sctlr = MRS(sctlr_el1);
    sctlr &= ~((1UL << 0) | (1UL << 2) | (1UL << 12));
    MSR(sctlr_el1, sctlr);
    ISB();
    tlbi_all();
}
