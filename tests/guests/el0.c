/* EL0: the guest drops to EL0 with ERET and tries what user code may and may not do. Each
   exception arrives at the lower-EL vectors; the handler prints EC, ISS, ELR and SPSR and skips
   the instruction. SVC #1 asks EL1 to set SCTLR_EL1's EL0 permissions (UCT, DZE, UMA, UCI) and
   SVC #0 ends the program. */
#include "guest.h"

#define SCTLR_UMA (1UL << 9)
#define SCTLR_DZE (1UL << 14)
#define SCTLR_UCT (1UL << 15)
#define SCTLR_UCI (1UL << 26)

static uint64_t el0_stack[512] __attribute__((aligned(16)));
static uint8_t block[256] __attribute__((aligned(256)));

/* ISS bits not printed for the next exception. QEMU 7.2 swaps Op1 and Op2 in the syndrome of
   a trapped MSR DAIFSet/DAIFClr (ISS[19:14]); the rest of that syndrome is compared. */
static uint32_t iss_hidden;
#define ISS_OP1_OP2 (0x3fu << 14)

int on_exception(struct frame *f, int index)
{
    uint32_t ec = ESR_EC(f->esr);
    f->esr &= ~(uint64_t)iss_hidden;
    iss_hidden = 0;
    puts("  ");
    report_exception(f, index);
    puts("  spsr ");
    put_hex(f->spsr & SPSR_BASE_BITS);
    putc('\n');
    if (ec == 0x15) {
        uint32_t imm = ESR_ISS(f->esr) & 0xffff;
        if (imm == 0) {
            puts("el0: done\n");
            poweroff();
        }
        if (imm == 1) {
            uint64_t s;
            __asm__ volatile("mrs %0, sctlr_el1" : "=r"(s));
            s |= SCTLR_UMA | SCTLR_DZE | SCTLR_UCT | SCTLR_UCI;
            __asm__ volatile("msr sctlr_el1, %0\n\tisb" :: "r"(s));
        }
        return 1;
    }
    if (ec == 0x20)             /* instruction abort: back to the caller */
        f->elr = f->x[30];
    else
        f->elr += 4;
    return 1;
}

#define TRY(label, ...) do { puts(label "\n"); __asm__ volatile(__VA_ARGS__); } while (0)

static void el0_main(void)
{
    uint64_t v = 0;
    puts("at el0\n");
    TRY("svc #0x10", "svc #0x10" ::: "memory");
    TRY("brk #3", "brk #3" ::: "memory");
    TRY("hvc #0", "mov x0, #0x84000000\n\thvc #0" ::: "x0", "memory");
    TRY("smc #0", "mov x0, #0x84000000\n\tsmc #0" ::: "x0", "memory");
    TRY("eret", "eret" ::: "memory");
    TRY("mrs currentel", "mrs %0, currentel" : "+r"(v));
    TRY("mrs sctlr_el1", "mrs %0, sctlr_el1" : "+r"(v));
    TRY("msr vbar_el1", "msr vbar_el1, %0" :: "r"(v));
    TRY("msr spsel, #1", "msr spsel, #1" ::: "memory");
    TRY("mrs daif (UMA 0)", "mrs %0, daif" : "+r"(v));
    iss_hidden = ISS_OP1_OP2;
    TRY("msr daifset, #2 (UMA 0)", "msr daifset, #2" ::: "memory");
    TRY("mrs ctr_el0 (UCT 0)", "mrs %0, ctr_el0" : "+r"(v));
    TRY("mrs dczid_el0 (DZE 0)", "mrs %0, dczid_el0" : "+r"(v));
    put_kv("  dczid", v);
    TRY("dc zva (DZE 0)", "dc zva, %0" :: "r"(block) : "memory");
    TRY("dc civac (UCI 0)", "dc civac, %0" :: "r"(block) : "memory");
    TRY("ic ivau (UCI 0)", "ic ivau, %0" :: "r"(block) : "memory");
    TRY("dc ivac", "dc ivac, %0" :: "r"(block) : "memory");
    TRY("msr tpidrro_el0", "msr tpidrro_el0, %0" :: "r"(v));
    TRY("ldr from unmapped", "ldr %0, [%1]" : "+r"(v) : "r"(0x80000000UL) : "memory");
    TRY("blr to unmapped", "adr x30, 1f\n\tmov x9, #0x80000000\n\tbr x9\n1:" ::: "x9", "x30", "memory");

    __asm__ volatile("msr tpidr_el0, %0" :: "r"(0x1234567UL));
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
    put_kv("tpidr_el0", v);
    __asm__ volatile("mrs %0, tpidrro_el0" : "=r"(v));
    put_kv("tpidrro_el0", v);
    v = 0x90000000UL;
    __asm__ volatile("msr nzcv, %0\n\tmrs %0, nzcv" : "+r"(v));
    put_kv("nzcv", v);

    TRY("svc #1: open up SCTLR_EL1", "svc #1" ::: "memory");
    __asm__ volatile("mrs %0, daif" : "=r"(v));
    put_kv("daif", v);
    __asm__ volatile("msr daifclr, #8\n\tmrs %0, daif" : "=r"(v));
    put_kv("daif after clr", v);
    __asm__ volatile("msr daifset, #8" ::: "memory");
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(v));
    put_kv("ctr_el0", v);
    __asm__ volatile("mrs %0, dczid_el0" : "=r"(v));
    put_kv("dczid", v);
    for (int k = 0; k < 256; k++)
        ((volatile uint8_t *)block)[k] = 0x55;
    __asm__ volatile("dc zva, %0" :: "r"(block + 64) : "memory");
    v = 0;
    for (int k = 0; k < 256; k++)
        v = v * 3 + ((volatile uint8_t *)block)[k];
    put_kv("after dc zva", v);
    __asm__ volatile("dc civac, %0\n\tic ivau, %0\n\tdc cvau, %0" :: "r"(block) : "memory");
    puts("cache maintenance allowed\n");
    __asm__ volatile("svc #0" ::: "memory");
}

int main(void)
{
    puts("el0: start\n");
    __asm__ volatile("msr tpidrro_el0, %0" :: "r"(0xabcdefUL));
    /* ERET to EL0t at el0_main with SP_EL0 on its own stack and interrupts masked. */
    __asm__ volatile("msr sp_el0, %0\n\tmsr elr_el1, %1\n\tmsr spsr_el1, %2\n\teret"
                     :: "r"(el0_stack + 512), "r"(el0_main), "r"(0x3c0UL) : "memory");
    puts("el0: not reached\n");
    return 0;
}
