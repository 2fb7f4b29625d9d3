/* What the system guests share (lib/sys.c, lib/sys.S): system register access, running code at
   EL0, the GICv2 of the virt board, PSCI calls, stage 1 page tables for any granule. */
#ifndef SYS_H
#define SYS_H

#include "guest.h"

#define MRS(reg) ({ uint64_t v_; __asm__ volatile("mrs %0, " #reg : "=r"(v_)); v_; })
#define MSR(reg, v) __asm__ volatile("msr " #reg ", %0" :: "r"((uint64_t)(v)) : "memory")
#define ISB() __asm__ volatile("isb" ::: "memory")
#define DSB() __asm__ volatile("dsb sy" ::: "memory")

/* ESR fields. */
#define ESR_IL(esr)  (((esr) >> 25) & 1)

/* Sleep in WFI until *p >= value, taking IRQs meanwhile. IRQs are masked around the check, so
   one that arrives between the check and the WFI still ends the WFI (WFI wakes on a pending
   interrupt whatever PSTATE.I says) instead of being missed. Returns with IRQs masked. */
static inline void wfi_until(volatile uint32_t *p, uint32_t value)
{
    for (;;) {
        __asm__ volatile("msr daifset, #2" ::: "memory");
        if (*p >= value)
            break;
        __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb" ::: "memory");
    }
}

/* --- EL0 ---------------------------------------------------------------------------------- */

/* Run fn(arg) at EL0 (EL0t, DAIF from spsr_daif) with SP_EL0 = sp0. It returns through
   "svc #0xffff" (el0_exit), which on_el0_exit turns into a return from run_el0 at EL1 with
   the function's result. Guests call on_el0_exit first in their on_exception. */
typedef uint64_t (*el0_fn)(uint64_t arg);
uint64_t run_el0(el0_fn fn, uint64_t arg, uint64_t sp0, uint64_t spsr_daif);
int on_el0_exit(struct frame *f, int index);
extern char el0_exit[];
#define EL0_EXIT_SVC 0xffff

/* --- GICv2 at the virt board's addresses ----------------------------------------------------- */

#define GICD_BASE 0x08000000UL
#define GICC_BASE 0x08010000UL
#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ISACTIVER  0x300
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_SGIR       0xf00
#define GICC_CTLR  0x00
#define GICC_PMR   0x04
#define GICC_BPR   0x08
#define GICC_IAR   0x0c
#define GICC_EOIR  0x10
#define GICC_RPR   0x14
#define GICC_HPPIR 0x18

static inline uint32_t gicd_r(unsigned off) { return *(volatile uint32_t *)(GICD_BASE + off); }
static inline void gicd_w(unsigned off, uint32_t v) { *(volatile uint32_t *)(GICD_BASE + off) = v; }
static inline uint32_t gicc_r(unsigned off) { return *(volatile uint32_t *)(GICC_BASE + off); }
static inline void gicc_w(unsigned off, uint32_t v) { *(volatile uint32_t *)(GICC_BASE + off) = v; }
void gicd_set_priority(unsigned irq, uint8_t prio);

/* Distributor on, this vCPU's interface on with priority mask 0xff, binary point 0. */
void gic_init_dist(void);
void gic_init_cpu(void);

/* --- PSCI over HVC ------------------------------------------------------------------------ */

#define PSCI_VERSION        0x84000000UL
#define PSCI_CPU_OFF        0x84000002UL
#define PSCI_CPU_ON         0xc4000003UL
#define PSCI_AFFINITY_INFO  0xc4000004UL
int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* --- Stage 1 page tables ------------------------------------------------------------------- */

/* Descriptor bits. */
#define PTE_VALID   (1UL << 0)
#define PTE_TABLE   (1UL << 1)          /* table at levels 0-2, page at level 3 */
#define PTE_PAGE    (1UL << 1)
#define PTE_ATTR(n) ((uint64_t)(n) << 2)
#define PTE_AP_EL0  (1UL << 6)          /* AP[1]: EL0 access */
#define PTE_AP_RO   (1UL << 7)          /* AP[2]: read-only */
#define PTE_SH_INNER (3UL << 8)
#define PTE_AF      (1UL << 10)
#define PTE_NG      (1UL << 11)
#define PTE_PXN     (1UL << 53)
#define PTE_UXN     (1UL << 54)
#define TBL_PXN     (1UL << 59)
#define TBL_UXN     (1UL << 60)
#define TBL_AP_NOEL0 (1UL << 61)
#define TBL_AP_RO   (1UL << 62)

/* MAIR_EL1 indexes the guests use. */
#define ATTR_DEVICE 0                   /* Device-nGnRnE */
#define ATTR_NORMAL 1                   /* Normal, inner/outer write-back */
#define ATTR_NC     2                   /* Normal non-cacheable */
#define MAIR_VALUE  0x000000000044ff00UL

/* A translation regime under construction: granule (12, 14 or 16 bits), input size, and a
   pool the tables come from. */
struct pt {
    unsigned granule;                   /* log2 of the granule */
    unsigned va_bits;                   /* 64 - TnSZ */
    unsigned start_level;
    uint64_t root;                      /* physical = virtual: RAM is identity-mapped */
};

/* The table pool: pt_reset empties it. */
void pt_reset(void);
void pt_init(struct pt *t, unsigned granule, unsigned va_bits);
/* Set the descriptor for va at `level` (allocating tables above it with table_bits on their
   table descriptors), return its address. `desc` is written as is. */
uint64_t *pt_set(struct pt *t, uint64_t va, unsigned level, uint64_t desc, uint64_t table_bits);
/* Size of the region one descriptor at `level` maps. */
uint64_t pt_level_size(const struct pt *t, unsigned level);
/* Pages of the granule's size, zeroed, from the pool. */
uint64_t pt_alloc(const struct pt *t);
/* TCR_EL1 for TTBR0 with this regime (TTBR1 walks disabled), for both when upper != NULL. */
uint64_t pt_tcr(const struct pt *lower, const struct pt *upper);
/* Identity maps for the code (RAM) and the devices (UART, GIC) as blocks. */
void pt_identity(struct pt *t);

/* Turn the MMU on with these registers, and off. TLBs are invalidated around both. */
void mmu_on(uint64_t tcr, uint64_t ttbr0, uint64_t ttbr1);
void mmu_off(void);
void tlbi_all(void);
void tlbi_va(uint64_t va);

#endif
