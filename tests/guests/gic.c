/* The GICv2 distributor and CPU interface on one vCPU: identification, register read-back,
   SPIs made pending by software (set/clear pending and active, enable, targets, edge and level
   configuration), the distributor and CPU interface enables, the priority mask, the running
   priority and preemption with binary points, SGIs pended through GICD_SPENDSGIR, and the
   PL011's interrupt (SPI 1, INTID 33) raised by a transmit. Interrupts are taken through the
   vector table; the handler acknowledges, records and EOIs them. Equal priorities are avoided
   (which one wins is IMPLEMENTATION DEFINED). */
#include "sys.h"

#define UART_BASE 0x09000000UL
#define UART_IMSC 0x038
#define UART_RIS 0x03c
#define UART_MIS 0x040
#define UART_ICR 0x044
#define UART_INT_TX (1u << 5)
#define INTID_UART 33

static inline uint32_t uart_r(unsigned off) { return *(volatile uint32_t *)(UART_BASE + off); }
static inline void uart_w(unsigned off, uint32_t v) { *(volatile uint32_t *)(UART_BASE + off) = v; }

static volatile uint32_t log_[32];
static volatile uint32_t nlog;
static volatile int nest;               /* in the handler of this INTID, look for preemption */
static volatile unsigned nest_second;   /* ... by pending this one in its handler */
static volatile int uart_quiet;

static void bit_w(unsigned base, unsigned irq)
{
    gicd_w(base + 4 * (irq / 32), 1u << (irq % 32));
}

static uint32_t bit_r(unsigned base, unsigned irq)
{
    return (gicd_r(base + 4 * (irq / 32)) >> (irq % 32)) & 1;
}

static void set_target(unsigned irq, uint8_t cpus)
{
    *(volatile uint8_t *)(GICD_BASE + GICD_ITARGETSR + irq) = cpus;
}

int on_exception(struct frame *f, int index)
{
    if ((index & 3) != 1) {
        report_exception(f, index);
        return 0;
    }
    uint32_t iar = gicc_r(GICC_IAR);
    uint32_t id = iar & 0x3ff;
    if (nlog < 32)
        log_[nlog++] = iar;
    if (id == 1023)
        return 1;
    if (id == INTID_UART) {
        uart_w(UART_ICR, UART_INT_TX);          /* lower the line before EOI */
        uart_w(UART_IMSC, 0);
    }
    if ((int)id == nest) {
        /* Another interrupt of higher group priority may preempt this one now. */
        nest = -1;
        bit_w(GICD_ISPENDR, nest_second);
        __asm__ volatile("msr daifclr, #2\n\tisb\n\tnop\n\tmsr daifset, #2" ::: "memory");
        if (nlog < 32)
            log_[nlog++] = 0x10000 | gicc_r(GICC_RPR);
    }
    gicc_w(GICC_EOIR, iar);
    return 1;
}

/* Let pending interrupts in (IRQs unmasked around a few instructions), print what came. */
static void take(const char *label)
{
    nlog = 0;
    __asm__ volatile("msr daifclr, #2\n\tisb\n\tnop\n\tnop\n\tmsr daifset, #2" ::: "memory");
    puts(label);
    puts(":");
    if (!nlog)
        puts(" nothing");
    for (uint32_t k = 0; k < nlog; k++) {
        putc(' ');
        if (log_[k] & 0x10000) {
            puts("(rpr ");
            put_hex(log_[k] & 0xff);
            putc(')');
        } else {
            put_dec(log_[k] & 0x3ff);
            if (log_[k] & 0x1c00) {
                puts("/cpu");
                put_dec((log_[k] >> 10) & 7);
            }
        }
    }
    putc('\n');
}

static void show(const char *label, uint32_t v)
{
    puts("  ");
    put_kv(label, v);
}

static void ident(void)
{
    puts("identification\n");
    show("typer it lines, cpus", gicd_r(GICD_TYPER) & 0xff);
    show("pidr2 arch", (gicd_r(0xfe8) >> 4) & 0xf);
    show("icfgr0 (sgis)", gicd_r(GICD_ICFGR));
    show("isenabler0 at reset", gicd_r(GICD_ISENABLER));
    show("itargetsr0 (sgis: this cpu)", gicd_r(GICD_ITARGETSR));
    show("itargetsr7 (ppis: this cpu)", gicd_r(GICD_ITARGETSR + 28));
    gicd_set_priority(40, 0xff);
    show("ipriorityr 40 after 0xff", *(volatile uint8_t *)(GICD_BASE + GICD_IPRIORITYR + 40));
    gicd_w(GICD_IPRIORITYR + 44, 0x12345678);
    show("ipriorityr 44-47 word", gicd_r(GICD_IPRIORITYR + 44));
    set_target(40, 1);
    gicd_w(GICD_ITARGETSR + 44, 0x01010101);
    show("itargetsr 44-47 word", gicd_r(GICD_ITARGETSR + 44));
    gicc_w(GICC_PMR, 0xff);
    show("pmr after 0xff", gicc_r(GICC_PMR));
    gicc_w(GICC_BPR, 7);
    show("bpr after 7", gicc_r(GICC_BPR));
    gicc_w(GICC_BPR, 2);
    show("bpr after 2", gicc_r(GICC_BPR));
    show("rpr idle", gicc_r(GICC_RPR));
    show("iar with nothing pending", gicc_r(GICC_IAR));
    show("hppir with nothing pending", gicc_r(GICC_HPPIR));
}

static void spis(void)
{
    puts("spis pended by software\n");
    for (unsigned irq = 40; irq < 48; irq++) {
        gicd_set_priority(irq, 0x80 - 0x10 * (irq - 40));      /* 47 highest, 40 lowest */
        set_target(irq, 1);
        bit_w(GICD_ISENABLER, irq);
    }
    show("isenabler1", gicd_r(GICD_ISENABLER + 4));
    bit_w(GICD_ISPENDR, 40);
    show("ispendr1", gicd_r(GICD_ISPENDR + 4));
    show("hppir", gicc_r(GICC_HPPIR));
    take("40 pending");
    show("ispendr1 after", gicd_r(GICD_ISPENDR + 4));

    gicd_w(GICD_ISPENDR + 4, (1u << 9) | (1u << 11) | (1u << 10));    /* 41, 43, 42 */
    take("41 42 43 pending: by priority");

    bit_w(GICD_ICENABLER, 44);
    bit_w(GICD_ISPENDR, 44);
    take("44 disabled");
    show("  ispendr1 (44 still pending)", gicd_r(GICD_ISPENDR + 4));
    bit_w(GICD_ISENABLER, 44);
    take("44 enabled again");

    bit_w(GICD_ISPENDR, 45);
    bit_w(GICD_ICPENDR, 45);
    take("45 pended then cleared");

    set_target(46, 0);
    bit_w(GICD_ISPENDR, 46);
    take("46 targets no cpu");
    show("  hppir", gicc_r(GICC_HPPIR));
    set_target(46, 1);
    take("46 targets cpu 0");

    bit_w(GICD_ISACTIVER, 47);
    show("isactiver1", gicd_r(GICD_ISACTIVER + 4));
    bit_w(GICD_ISPENDR, 47);
    take("47 active and pending");
    bit_w(GICD_ICACTIVER, 47);
    take("47 active cleared");

    /* Edge configuration: bit 1 of each field in ICFGR. */
    gicd_w(GICD_ICFGR + 8, 0xaaaa0000);                 /* 40-47 edge, 32-39 level */
    show("icfgr2", gicd_r(GICD_ICFGR + 8));
    bit_w(GICD_ISPENDR, 42);
    take("42 edge, pended");
    gicd_w(GICD_ICFGR + 8, 0);
    show("icfgr2 back to level", gicd_r(GICD_ICFGR + 8));
}

static void enables(void)
{
    puts("enables\n");
    gicd_w(GICD_CTLR, 0);
    bit_w(GICD_ISPENDR, 41);
    show("gicd_ctlr", gicd_r(GICD_CTLR));
    show("iar with the distributor off", gicc_r(GICC_IAR));
    take("distributor off");
    gicd_w(GICD_CTLR, 1);
    gicc_w(GICC_CTLR, 0);
    take("cpu interface off");
    show("gicc_ctlr", gicc_r(GICC_CTLR));
    gicc_w(GICC_CTLR, 1);
    take("both on");

    gicc_w(GICC_PMR, 0x50);
    gicd_w(GICD_ISPENDR + 4, (1u << 8) | (1u << 13));   /* 40 (0x80), 45 (0x30) */
    take("pmr 0x50");
    gicc_w(GICC_PMR, 0x81);
    take("pmr 0x81");
    gicc_w(GICC_PMR, 0xff);
}

static void preemption(void)
{
    puts("preemption: 39 (0x90) arrives while 40 (0xa0) is being handled\n");
    gicd_set_priority(39, 0x90);
    set_target(39, 1);
    bit_w(GICD_ISENABLER, 39);
    gicd_set_priority(40, 0xa0);
    for (unsigned bpr = 0; bpr < 8; bpr++) {
        gicc_w(GICC_BPR, bpr);
        nest = 40;
        nest_second = 39;
        bit_w(GICD_ISPENDR, 40);
        puts("  bpr ");
        put_dec(bpr);
        take("");
        if (bit_r(GICD_ISPENDR, 39)) {
            take("  then");
        }
    }
    gicc_w(GICC_BPR, 0);
    gicd_set_priority(40, 0x80);
    nest = -1;
}

static void sgis(void)
{
    puts("sgis\n");
    gicd_w(GICD_ISENABLER, 0xffff);
    gicd_set_priority(2, 0x40);
    gicd_set_priority(9, 0x20);
    *(volatile uint8_t *)(GICD_BASE + 0xf20 + 2) = 1;      /* SPENDSGIR: SGI 2 from cpu 0 */
    show("spendsgir0", gicd_r(0xf20));
    show("ispendr0", gicd_r(GICD_ISPENDR) & 0xffff);
    take("sgi 2 pended by spendsgir");
    gicd_w(GICD_SGIR, (2u << 24) | 9);
    gicd_w(GICD_SGIR, (2u << 24) | 2);
    take("sgis 9 and 2 to self");
    gicd_w(GICD_SGIR, (2u << 24) | 5);
    *(volatile uint8_t *)(GICD_BASE + 0xf10 + 5) = 1;      /* CPENDSGIR */
    take("sgi 5 sent, then cleared");
    gicd_w(GICD_SGIR, (0u << 24) | 4);
    take("sgi 4 with an empty target list");
}

static void uart(void)
{
    puts("pl011 interrupt\n");
    gicd_set_priority(INTID_UART, 0x90);
    set_target(INTID_UART, 1);
    bit_w(GICD_ISENABLER, INTID_UART);
    uart_w(UART_ICR, 0x7ff);
    show("ris after icr", uart_r(UART_RIS) & UART_INT_TX);
    show("spi pending", bit_r(GICD_ISPENDR, INTID_UART));
    uart_w(UART_IMSC, UART_INT_TX);
    puts("  x\n");
    show("ris tx", uart_r(UART_RIS) & UART_INT_TX);
    show("mis tx", uart_r(UART_MIS) & UART_INT_TX);
    show("spi pending", bit_r(GICD_ISPENDR, INTID_UART));
    take("tx interrupt");
    show("mis after the handler", uart_r(UART_MIS));
    show("spi pending", bit_r(GICD_ISPENDR, INTID_UART));
}

int main(void)
{
    puts("gic: start\n");
    __asm__ volatile("msr daifset, #2" ::: "memory");
    gic_init_dist();
    gic_init_cpu();
    nest = -1;
    ident();
    spis();
    enables();
    preemption();
    sgis();
    uart();
    puts("gic: done\n");
    return 0;
}
