/* Stage 1 translation, for the 4K and 64K granules and the 16K one when ID_AA64MMFR0 says it
   exists: page tables built here (RAM and devices identity-mapped with blocks, test pages
   elsewhere), the MMU turned on, then accesses from EL1 and EL0 that succeed or fault on purpose:
   translation faults at each level, access flag faults, permission faults (AP, PXN, UXN, the
   implicit PXN of EL0-writable memory, hierarchical APTable/PXNTable/UXNTable), blocks at each
   level that allows them (and faults where they are not allowed), remapping with TLBI, AT and
   PAR_EL1, TTBR1 (the upper half, with its own size), EPD1, and top byte ignore.
   Each fault prints EC, ISS and FAR; each successful read prints the page's signature.
   Not printed: PAR_EL1.NS (UNKNOWN for a Non-secure regime), PAR_EL1[63:56] of a failed AT
   (IMPLEMENTATION DEFINED), FAR[63:56] of a tagged access (UNKNOWN). */
#include "sys.h"

/* The test region's base, and the other regions, chosen so that each granule indexes them at
   every level (all below 2^47, above RAM). */
#define T   0x0000001000000000UL        /* pages, one per slot */
#define T_AP 0x0000001100000000UL       /* under a table descriptor with APTable = read-only */
#define T_NOEL0 0x0000001200000000UL    /* under APTable = no EL0 access */
#define T_XN 0x0000001300000000UL       /* under PXNTable and UXNTable */
#define T_BLOCK 0x0000002000000000UL    /* blocks */
#define T_WALK 0x0000003000000000UL     /* a table descriptor pointing where nothing answers */
#define UPPER 0xffffffffc0000000UL      /* TTBR1 */
#define L1_BLOCK 0x0000400000000000UL   /* a level 1 entry of its own in every granule */
#define L0_BLOCK 0x0000800000000000UL   /* a level 0 entry of its own (4K, 16K) */

/* Built with -DMANUAL as mmu_arm: only the checks where QEMU 7.2 is not the reference. */
#ifdef MANUAL
#define IS_MANUAL 1
#else
#define IS_MANUAL 0
#endif

#define NPAGES 8
static uint64_t page_pa[NPAGES];
static struct pt lo, hi;
static unsigned gran;
static uint64_t P;                      /* page size */

static uint64_t signature(int k)
{
    return 0x5eed000000000000UL | ((uint64_t)gran << 16) | (uint64_t)k;
}

/* --- accesses that may fault ---------------------------------------------------------------- */

__asm__(".text\n"
        ".global do_read\ndo_read:\nldr x0, [x0]\nret\n"
        ".global do_write\ndo_write:\nstr x1, [x0]\nmov x0, #0\nret\n"
        ".global do_write0\ndo_write0:\nstr x0, [x0]\nmov x0, #0\nret\n"
        ".global do_exec\ndo_exec:\nmov x9, x30\nblr x0\nmov x30, x9\nret\n");
uint64_t do_read(uint64_t va);
uint64_t do_exec(uint64_t va);
uint64_t do_write(uint64_t va, uint64_t v);
uint64_t do_write0(uint64_t va);         /* at EL0: writes the address itself */

static volatile int faulted;
static int far_untagged;            /* FAR[63:56] is UNKNOWN for a tagged address */
static int quiet;                   /* data aborts only recorded, for mmu_arm */
static uint64_t last_esr, last_far;

int on_exception(struct frame *f, int index)
{
    if (on_el0_exit(f, index))
        return 1;
    uint32_t ec = ESR_EC(f->esr);
    if ((index & 3) != 0 || (ec != 0x20 && ec != 0x21 && ec != 0x24 && ec != 0x25)) {
        report_exception(f, index);
        return 0;
    }
    faulted = 1;
    last_esr = f->esr;
    last_far = f->far;
    if (quiet) {
        f->elr += 4;
        return 1;
    }
    puts("fault EC ");
    put_hex(ec);
    puts(" ISS ");
    put_hex(ESR_ISS(f->esr));
    puts(" FAR ");
    put_hex(far_untagged ? f->far & 0x00ffffffffffffffUL : f->far);
    if (ec == 0x20 || ec == 0x21) {
        /* Instruction abort: the target of do_exec's BLR; back to do_exec. */
        puts(f->elr == f->far ? " ELR=FAR" : " ELR?");
        f->elr = f->x[30];
    } else {
        puts(f->elr == (uint64_t)do_read || f->elr == (uint64_t)do_write ||
             f->elr == (uint64_t)do_write0 ? " ELR=insn" : " ELR?");
        f->elr += 4;
    }
    putc('\n');
    f->x[0] = 0xdead;
    return 1;
}

static void begin(const char *what, uint64_t va)
{
    puts("  ");
    puts(what);
    putc(' ');
    put_hex(va);
    puts(": ");
    faulted = 0;
}

static void show(uint64_t r)
{
    if (!faulted) {
        puts("ok ");
        put_hex(r);
        putc('\n');
    }
    faulted = 0;
}

static void rd(uint64_t va) { begin("el1 read", va); show(do_read(va)); }
static void wr(uint64_t va, uint64_t v) { begin("el1 write", va); show(do_write(va, v)); }
static void ex(uint64_t va) { begin("el1 exec", va); show(do_exec(va)); }
static void rd0(uint64_t va) { begin("el0 read", va); show(run_el0(do_read, va, 0, 0x3c0)); }
static void wr0(uint64_t va) { begin("el0 write", va); show(run_el0(do_write0, va, 0, 0x3c0)); }
static void ex0(uint64_t va) { begin("el0 exec", va); show(run_el0(do_exec, va, 0, 0x3c0)); }

/* --- AT --------------------------------------------------------------------------------------- */

static uint64_t par_shown(uint64_t par)
{
    par &= ~(1UL << 9);                             /* NS: UNKNOWN here */
    if (par & 1)
        par &= ~(0xffUL << 56);                     /* IMPLEMENTATION DEFINED */
    return par;
}

#define AT_OP(op, va) ({ __asm__ volatile("at " #op ", %0\n\tisb" :: "r"(va) : "memory"); \
                         par_shown(MRS(par_el1)); })

static void at_all(const char *what, uint64_t va)
{
    puts("  at ");
    puts(what);
    puts(" s1e1r ");
    put_hex(AT_OP(s1e1r, va));
    puts(" s1e1w ");
    put_hex(AT_OP(s1e1w, va));
    puts(" s1e0r ");
    put_hex(AT_OP(s1e0r, va));
    puts(" s1e0w ");
    put_hex(AT_OP(s1e0w, va));
    putc('\n');
}

/* --- building the tables -------------------------------------------------------------------- */

#define NORMAL (PTE_VALID | PTE_AF | PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER)

static uint64_t page_desc(int k, uint64_t bits)
{
    return page_pa[k] | NORMAL | PTE_PAGE | bits;
}

static void map_page(uint64_t va, uint64_t desc)
{
    pt_set(&lo, va, 3, desc, 0);
}

static const uint32_t code[] = {
    0xd2800840,         /* mov x0, #0x42 */
    0xd65f03c0,         /* ret */
};

static void fill_pages(void)
{
    for (int k = 0; k < NPAGES; k++) {
        page_pa[k] = pt_alloc(&lo);
        volatile uint64_t *p = (volatile uint64_t *)page_pa[k];
        p[0] = signature(k);
        p[P / 8 - 1] = signature(k) | 0xff00;
    }
    /* Page 5 holds code. */
    volatile uint32_t *c = (volatile uint32_t *)page_pa[5];
    c[0] = code[0];
    c[1] = code[1];
    __asm__ volatile("dsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::: "memory");
}

static void build(unsigned granule)
{
    pt_reset();
    pt_init(&lo, granule, 48);
    pt_identity(&lo);
    fill_pages();
    map_page(T + 0 * P, page_desc(0, PTE_PXN | PTE_UXN));                    /* EL1 RW */
    map_page(T + 1 * P, page_desc(1, PTE_AP_RO | PTE_PXN | PTE_UXN));        /* EL1 RO */
    map_page(T + 2 * P, page_desc(2, PTE_AP_EL0 | PTE_PXN | PTE_UXN));       /* EL0 RW */
    map_page(T + 3 * P, page_desc(3, PTE_AP_EL0 | PTE_AP_RO | PTE_PXN | PTE_UXN)); /* RO */
    map_page(T + 4 * P, 0);                                                  /* invalid */
    map_page(T + 5 * P, page_desc(4, 0) & ~PTE_AF);                          /* AF = 0 */
    map_page(T + 6 * P, page_desc(5, 0));                                    /* code */
    map_page(T + 7 * P, page_desc(5, PTE_PXN));
    map_page(T + 8 * P, page_desc(5, PTE_UXN));
    map_page(T + 9 * P, page_desc(5, PTE_AP_EL0));          /* EL0-writable: implicit PXN */
    map_page(T + 10 * P, page_desc(6, PTE_AP_EL0 | PTE_UXN | PTE_PXN | PTE_NG));
    map_page(T + 11 * P, (page_desc(7, 0) & ~3UL) | PTE_VALID);  /* level 3, bit 1 clear */

    /* Hierarchical limits, each on a fresh table. */
    pt_set(&lo, T_AP, 3, page_desc(0, PTE_PXN | PTE_UXN), TBL_AP_RO);
    pt_set(&lo, T_NOEL0, 3, page_desc(2, PTE_AP_EL0 | PTE_PXN | PTE_UXN), TBL_AP_NOEL0);
    pt_set(&lo, T_XN, 3, page_desc(5, 0), TBL_PXN);
    pt_set(&lo, T_XN + P, 3, page_desc(5, 0), 0);           /* same table: PXNTable holds */

    /* Blocks: level 2 everywhere, level 1 (4K only allows it), level 0 (nowhere). The block
       maps RAM from 0x40000000, so the pages show through at their physical offset. */
    pt_set(&lo, T_BLOCK, 2, 0x40000000UL | NORMAL, 0);
    pt_set(&lo, T_BLOCK + pt_level_size(&lo, 2), 2, (0x40000000UL | NORMAL) & ~PTE_AF, 0);
    pt_set(&lo, T_BLOCK + 2 * pt_level_size(&lo, 2), 2, 0x40000000UL | NORMAL | PTE_AP_RO, 0);
    if (granule == 12)
        pt_set(&lo, L1_BLOCK, 1, (0x40000000UL & ~(pt_level_size(&lo, 1) - 1)) | NORMAL, 0);

    /* A table descriptor whose next level is where nothing answers. */
    pt_set(&lo, T_WALK, 2, 0x80000000UL | PTE_VALID | PTE_TABLE, 0);
}

/* A read that prints no address (the expected output must not depend on the image layout). */
static void read_page(const char *what, uint64_t va, int k)
{
    puts("  el1 read through a ");
    puts(what);
    puts(": ");
    faulted = 0;
    quiet = 1;
    uint64_t r = do_read(va);
    quiet = 0;
    if (faulted) {
        puts("fault EC ");
        put_hex(ESR_EC(last_esr));
        puts(" ISS ");
        put_hex(ESR_ISS(last_esr));
        puts(last_far == va ? " FAR = the address\n" : " FAR wrong\n");
    } else {
        puts(r == signature(k) ? "ok, the page's data\n" : "ok, wrong data\n");
    }
    faulted = 0;
}

static uint64_t block_va(uint64_t page_index)
{
    return T_BLOCK + (page_pa[page_index] - 0x40000000UL);
}

/* --- the checks ------------------------------------------------------------------------------- */

static void basic(unsigned granule)
{
    puts(" pages\n");
    rd(T + 0 * P);
    rd(T + 0 * P + P - 8);
    wr(T + 0 * P, 0x1234);
    rd(T + 0 * P);
    rd(T + 1 * P);
    wr(T + 1 * P, 1);
    rd(T + 2 * P);
    wr(T + 2 * P + 8, 2);
    rd(T + 3 * P);
    wr(T + 3 * P, 3);
    rd(T + 4 * P);
    wr(T + 4 * P + 0x10, 4);
    rd(T + 5 * P);
    wr(T + 5 * P, 5);
    rd(T + 11 * P);
    puts(" translation faults by level\n");
    rd(0x0000ff8000000000UL);                       /* an empty root table slot */
    rd(L1_BLOCK + pt_level_size(&lo, 1));           /* an empty level 1 slot */
    rd(T + 4 * pt_level_size(&lo, 2));              /* an empty level 2 slot */
    rd(T + 30 * P);                                 /* an empty level 3 slot */
    rd(0x0001000000000000UL);                       /* beyond T0SZ */
    rd(0xff00001000000000UL);                       /* tagged, TBI0 clear */
    rd(T_WALK);
    puts(" execute\n");
    ex(T + 6 * P);
    ex(T + 7 * P);
    ex(T + 8 * P);
    ex(T + 9 * P);
    ex(T + 0 * P);
    puts(" el0\n");
    rd0(T + 0 * P);
    wr0(T + 0 * P);
    rd0(T + 1 * P);
    rd0(T + 2 * P);
    wr0(T + 2 * P);
    rd(T + 2 * P);
    rd0(T + 3 * P);
    wr0(T + 3 * P);
    rd0(T + 4 * P);
    rd0(T + 5 * P);
    ex0(T + 6 * P);             /* AP = EL1 only, UXN clear: execute-only at EL0 */
    ex0(T + 7 * P);
    ex0(T + 8 * P);
    ex0(T + 9 * P);
    ex0(T + 2 * P);
    rd0(T + 10 * P);
    puts(" hierarchical\n");
    rd(T_AP);
    wr(T_AP, 9);
    rd0(T_NOEL0);
    rd(T_NOEL0);
    ex(T_XN);
    ex(T_XN + P);
    ex0(T_XN);
    puts(" blocks\n");
    rd(block_va(0));
    rd(block_va(1) + 8);
    rd(block_va(3) + pt_level_size(&lo, 2));        /* AF = 0 */
    rd(block_va(3) + 2 * pt_level_size(&lo, 2));    /* read-only */
    wr(block_va(3) + 2 * pt_level_size(&lo, 2), 1);
    if (granule == 12)
        rd(L1_BLOCK + (page_pa[2] & (pt_level_size(&lo, 1) - 1)));
}

static void remap(void)
{
    puts(" remap\n");
    uint64_t *e = pt_set(&lo, T + 12 * P, 3, page_desc(0, PTE_PXN | PTE_UXN), 0);
    rd(T + 12 * P);
    *(volatile uint64_t *)e = 0;
    tlbi_va(T + 12 * P);
    rd(T + 12 * P);
    *(volatile uint64_t *)e = page_desc(3, PTE_PXN | PTE_UXN);
    DSB();
    tlbi_va(T + 12 * P);
    rd(T + 12 * P);
    *(volatile uint64_t *)e = page_desc(1, PTE_PXN | PTE_UXN | PTE_AP_RO);
    tlbi_all();
    rd(T + 12 * P);
    wr(T + 12 * P, 1);
    *(volatile uint64_t *)e = page_desc(1, PTE_PXN | PTE_UXN);
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
    wr(T + 12 * P, 0xabc);
    rd(T + 1 * P);
    /* The same physical page at two addresses: a write through one shows through the other. */
    map_page(T + 13 * P, page_desc(1, PTE_PXN | PTE_UXN));
    wr(T + 13 * P + 16, 0x5151);
    rd(T + 12 * P + 16);
    /* A remapped code page runs the new code. */
    uint64_t *c = pt_set(&lo, T + 14 * P, 3, page_desc(5, 0), 0);
    ex(T + 14 * P);
    volatile uint32_t *w = (volatile uint32_t *)(page_pa[6]);
    w[0] = 0xd28000e0;          /* mov x0, #7 */
    w[1] = 0xd65f03c0;
    __asm__ volatile("dsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::: "memory");
    *(volatile uint64_t *)c = page_desc(6, 0);
    tlbi_va(T + 14 * P);
    ex(T + 14 * P);
}

static void at_checks(void)
{
    puts(" at\n");
    at_all("rw el1", T + 0 * P + 0x123);
    at_all("ro el1", T + 1 * P);
    at_all("rw el0", T + 2 * P + 8);
    at_all("ro el0", T + 3 * P);
    at_all("invalid", T + 4 * P);
    at_all("af 0", T + 5 * P);
    at_all("level 2 gap", T + 4 * pt_level_size(&lo, 2));
    at_all("block", block_va(2) + 0x44);
    at_all("ram", 0x40000000UL);
    at_all("tagged", 0x0a00001000000000UL);
    at_all("aptable ro", T_AP);
}

static void upper_half(unsigned granule, unsigned va_bits)
{
    puts(" ttbr1 ");
    put_dec(va_bits);
    puts(" bits\n");
    pt_init(&hi, granule, va_bits);
    pt_set(&hi, UPPER, 3, page_desc(3, PTE_PXN | PTE_UXN), 0);
    pt_set(&hi, UPPER + P, 3, page_desc(2, PTE_AP_EL0 | PTE_PXN | PTE_UXN), 0);
    pt_set(&hi, UPPER + 2 * P, 3, page_desc(5, 0), 0);
    MSR(tcr_el1, pt_tcr(&lo, &hi));
    MSR(ttbr1_el1, hi.root);
    ISB();
    tlbi_all();
    rd(UPPER);
    rd(UPPER + P + P - 8);
    rd0(UPPER + P);
    wr(UPPER, 1);
    rd(UPPER + 4 * P);
    ex(UPPER + 2 * P);
    rd(0xffff000000000000UL);           /* outside a 39..42-bit upper range */
    rd(0x8000000000000000UL);
    at_all("upper", UPPER + P);
    puts(" epd1\n");
    MSR(tcr_el1, pt_tcr(&lo, &hi) | (1UL << 23));
    ISB();
    tlbi_all();
    rd(UPPER);
    at_all("upper epd1", UPPER);
}

static void tbi(void)
{
    puts(" tbi0\n");
    uint64_t tcr = MRS(tcr_el1);
    MSR(tcr_el1, tcr | (1UL << 37));
    ISB();
    tlbi_all();
    rd(0x5a00000000000000UL | (T + 2 * P));
    wr(0xa500000000000000UL | (T + 2 * P + 24), 0x99);
    rd(T + 2 * P + 24);
    rd0(0x1100000000000000UL | (T + 2 * P + 24));
    far_untagged = 1;
    rd(0x7700000000000000UL | (T + 4 * P));
    far_untagged = 0;
    puts(" tbi1\n");
    MSR(tcr_el1, (tcr & ~(1UL << 23)) | (1UL << 38));
    ISB();
    tlbi_all();
    far_untagged = 1;
    rd((UPPER & 0x00ffffffffffffffUL) | (0xc3UL << 56));
    rd(((UPPER + 4 * P) & 0x00ffffffffffffffUL) | (0x3cUL << 56));
    far_untagged = 0;
    MSR(tcr_el1, tcr);
    ISB();
    tlbi_all();
}

static void run(unsigned granule)
{
    gran = granule;
    P = 1UL << granule;
    puts("granule ");
    put_dec(P >> 10);
    puts("K\n");
    build(granule);
    mmu_on(pt_tcr(&lo, NULL), lo.root, 0);
    if (!IS_MANUAL) {
    basic(granule);
    remap();
    at_checks();
    upper_half(granule, granule == 12 ? 39 : granule == 14 ? 36 : 42);
    tbi();
    } else {
    /* Where QEMU 7.2 departs from the manual (mmu_arm.expected):
       - block descriptors are allowed at level 0 and 1 only where AArch64.BlockDescSupported
         says: level 1 with 4K; level 1 with 64K only when the PA size is 52 bits (not on the
         CPUs qemu_py models); level 0 and, with 16K, level 1 only when TCR_EL1.DS is 1 (here
         0). Elsewhere the descriptor is invalid: a translation fault at its level. QEMU 7.2
         takes them as blocks.
       - PAR_EL1.SH after AT reports Outer Shareable (0b10) for Device memory and for Normal
         Non-cacheable memory, whatever the descriptor's SH (AArch64.ReportedOutputAttrs);
         QEMU 7.2 reports the descriptor's SH. */
    puts(" blocks\n");
    pt_set(&lo, L1_BLOCK, 1, (0x40000000UL & ~(pt_level_size(&lo, 1) - 1)) | NORMAL, 0);
    tlbi_all();
    read_page("level 1 block", L1_BLOCK + (page_pa[2] & (pt_level_size(&lo, 1) - 1)), 2);
    if (lo.start_level == 0) {
        pt_set(&lo, L0_BLOCK, 0, NORMAL, 0);
        tlbi_all();
        read_page("level 0 block", L0_BLOCK + page_pa[2], 2);
    }
    puts(" par.sh\n");
    map_page(T + 20 * P, (page_desc(3, PTE_PXN | PTE_UXN) & ~PTE_ATTR(7)) | PTE_ATTR(ATTR_NC));
    map_page(T + 21 * P, (page_desc(3, PTE_PXN | PTE_UXN) & ~PTE_ATTR(7) & ~PTE_SH_INNER)
             | PTE_ATTR(ATTR_DEVICE));
    tlbi_all();
    put_kv("  uart", AT_OP(s1e1r, 0x09000000UL) & ~0xfffffffff000UL);
    put_kv("  normal non-cacheable, inner shareable", AT_OP(s1e1r, T + 20 * P) & ~0xfffffffff000UL);
    put_kv("  device, non-shareable", AT_OP(s1e1r, T + 21 * P) & ~0xfffffffff000UL);
    put_kv("  normal write-back, inner shareable", AT_OP(s1e1r, T) & ~0xfffffffff000UL);
    }
    mmu_off();
}

int main(void)
{
    puts("mmu: start\n");
    uint64_t mmfr0 = MRS(id_aa64mmfr0_el1);
    /* TGran4 and TGran64: 0xf means absent; TGran16: 0 means absent. */
    int has4 = ((mmfr0 >> 28) & 0xf) != 0xf, has64 = ((mmfr0 >> 24) & 0xf) != 0xf;
    int has16 = ((mmfr0 >> 20) & 0xf) != 0;
    puts("granules:");
    puts(has4 ? " 4K" : "");
    puts(has16 ? " 16K" : "");
    puts(has64 ? " 64K" : "");
    putc('\n');
    if (has4)
        run(12);
    if (has64)
        run(16);
    if (has16)
        run(14);
    puts("mmu: done\n");
    return 0;
}
