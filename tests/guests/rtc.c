/* The PL031 real-time clock at 0x09010000 (SPI 2, INTID 34): its identification registers,
   RTCCR reading 1, loading the count (RTCLR) and reading it back, the match register setting
   the raw status when the count equals it, the mask and clear registers, the level it drives
   into the GIC, and the match interrupt taken two seconds on while the vCPU waits in WFI.
   Nothing that depends on the clock's value is printed (QEMU's follows the host's, qemu_py's
   the virtual time): only what the registers answer and differences between counts. */
#include "sys.h"

#define RTC_BASE 0x09010000UL
#define RTC_DR   0x000
#define RTC_MR   0x004
#define RTC_LR   0x008
#define RTC_CR   0x00c
#define RTC_IMSC 0x010
#define RTC_RIS  0x014
#define RTC_MIS  0x018
#define RTC_ICR  0x01c
#define INTID_RTC 34

static inline uint32_t rtc_r(unsigned off) { return *(volatile uint32_t *)(RTC_BASE + off); }
static inline void rtc_w(unsigned off, uint32_t v) { *(volatile uint32_t *)(RTC_BASE + off) = v; }

static volatile uint32_t taken, bad;
static volatile uint32_t mis_in_handler, dr_in_handler;

int on_exception(struct frame *f, int index)
{
    if ((index & 3) != 1) {
        report_exception(f, index);
        return 0;
    }
    uint32_t iar = gicc_r(GICC_IAR);
    if ((iar & 0x3ff) != INTID_RTC) {
        bad++;
        if ((iar & 0x3ff) != 1023)
            gicc_w(GICC_EOIR, iar);
        return 1;
    }
    mis_in_handler = rtc_r(RTC_MIS);
    dr_in_handler = rtc_r(RTC_DR);
    rtc_w(RTC_ICR, 1);                      /* lower the line before EOI */
    taken++;
    gicc_w(GICC_EOIR, iar);
    return 1;
}

static uint32_t rtc_pending(void)
{
    return (gicd_r(GICD_ISPENDR + 4) >> (INTID_RTC - 32)) & 1;
}

static void show(const char *what, uint32_t v)
{
    puts("  ");
    put_kv(what, v);
}

static void ids(void)
{
    puts("identification\n");
    puts("  periphid");
    for (unsigned k = 0; k < 4; k++) {
        putc(' ');
        put_hex(rtc_r(0xfe0 + 4 * k));
    }
    puts("\n  pcellid");
    for (unsigned k = 0; k < 4; k++) {
        putc(' ');
        put_hex(rtc_r(0xff0 + 4 * k));
    }
    putc('\n');
}

static void registers(void)
{
    puts("registers\n");
    show("cr", rtc_r(RTC_CR));
    rtc_w(RTC_CR, 0);                       /* the clock cannot be stopped */
    show("cr after writing 0", rtc_r(RTC_CR));
    show("imsc at reset", rtc_r(RTC_IMSC));
    show("mis at reset", rtc_r(RTC_MIS));
    rtc_w(RTC_MR, 0xdeadbeef);
    show("mr", rtc_r(RTC_MR));
    rtc_w(RTC_IMSC, 0xffffffff);
    show("imsc after writing all ones", rtc_r(RTC_IMSC));
    rtc_w(RTC_IMSC, 0);

    rtc_w(RTC_LR, 0x12345678);
    uint32_t dr = rtc_r(RTC_DR);
    show("lr", rtc_r(RTC_LR));
    puts("  dr right after the load is the loaded value (or one more): ");
    puts(dr - 0x12345678u <= 1 ? "yes\n" : "no\n");
    rtc_w(RTC_DR, 0);                       /* read only */
    puts("  a write to dr changes nothing: ");
    puts(rtc_r(RTC_DR) - 0x12345678u <= 1 ? "yes\n" : "no\n");
    rtc_w(RTC_LR, 0xfffffffe);              /* the count wraps at 32 bits */
    dr = rtc_r(RTC_DR);
    puts("  dr after loading 0xfffffffe is 0xfffffffe or 0xffffffff: ");
    puts(dr >= 0xfffffffeu ? "yes\n" : "no\n");
}

static void match_status(void)
{
    puts("match status (interrupt masked)\n");
    rtc_w(RTC_LR, 1000);
    rtc_w(RTC_ICR, 1);
    show("ris after clear", rtc_r(RTC_RIS));
    rtc_w(RTC_MR, rtc_r(RTC_DR));           /* equal now: a match at once */
    show("ris, mr = dr", rtc_r(RTC_RIS));
    show("mis, masked", rtc_r(RTC_MIS));
    show("gic pending, masked", rtc_pending());
    rtc_w(RTC_IMSC, 1);
    show("mis, unmasked", rtc_r(RTC_MIS));
    show("gic pending, unmasked", rtc_pending());
    rtc_w(RTC_IMSC, 0);
    show("gic pending, masked again", rtc_pending());
    rtc_w(RTC_ICR, 0);                      /* bit 0 clear: nothing cleared */
    show("ris after writing 0 to icr", rtc_r(RTC_RIS));
    rtc_w(RTC_ICR, 1);
    show("ris after clear", rtc_r(RTC_RIS));
    rtc_w(RTC_MR, rtc_r(RTC_DR) + 100);
    show("ris, mr ahead", rtc_r(RTC_RIS));
}

static void match_interrupt(void)
{
    puts("match interrupt, waiting in wfi\n");
    rtc_w(RTC_IMSC, 1);
    uint32_t dr0 = rtc_r(RTC_DR);
    rtc_w(RTC_MR, dr0 + 2);
    show("ris before", rtc_r(RTC_RIS));
    wfi_until(&taken, 1);
    show("interrupts taken", taken);
    show("mis in the handler", mis_in_handler);
    show("dr - dr0 in the handler", dr_in_handler - dr0);
    show("ris after the handler's clear", rtc_r(RTC_RIS));
    show("gic pending after", rtc_pending());
    uint32_t d = rtc_r(RTC_DR) - dr0;
    puts("  the count keeps going (2 or 3 on): ");
    puts(d == 2 || d == 3 ? "yes\n" : "no\n");
    rtc_w(RTC_IMSC, 0);
}

int main(void)
{
    puts("rtc: start\n");
    __asm__ volatile("msr daifset, #2" ::: "memory");
    gic_init_dist();
    gic_init_cpu();
    gicd_set_priority(INTID_RTC, 0x80);
    *(volatile uint8_t *)(GICD_BASE + GICD_ITARGETSR + INTID_RTC) = 1;
    gicd_w(GICD_ISENABLER + 4, 1u << (INTID_RTC - 32));
    ids();
    registers();
    match_status();
    match_interrupt();
    show("unexpected", bad);
    puts("rtc: done\n");
    return 0;
}
