/* Exception syndromes where QEMU 7.2 departs from the Arm ARM, checked against exc_arm.expected
   (written from the manual's ISS encoding for EC 0x18) instead of against QEMU:
   - MSR DAIFSet/DAIFClr at EL0 with SCTLR_EL1.UMA clear traps with EC 0x18; the ISS holds
     Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0].
     QEMU 7.2 swaps Op1 and Op2 (DAIFSet is Op1 = 3, Op2 = 6; it reports Op1 = 6, Op2 = 3). */
#include "sys.h"

static uint64_t el0_stack[256] __attribute__((aligned(16)));

__asm__(".text\n.global t_daifset\nt_daifset:\nmsr daifset, #2\nret\n"
        ".global t_daifclr\nt_daifclr:\nmsr daifclr, #0xf\nret\n");
uint64_t t_daifset(uint64_t);
uint64_t t_daifclr(uint64_t);

int on_exception(struct frame *f, int index)
{
    if (on_el0_exit(f, index))
        return 1;
    puts("  exception esr ");
    put_hex(f->esr);
    puts(" iss op0 ");
    put_hex((f->esr >> 20) & 3);
    puts(" op2 ");
    put_hex((f->esr >> 17) & 7);
    puts(" op1 ");
    put_hex((f->esr >> 14) & 7);
    puts(" crn ");
    put_hex((f->esr >> 10) & 0xf);
    puts(" rt ");
    put_hex((f->esr >> 5) & 0x1f);
    puts(" crm ");
    put_hex((f->esr >> 1) & 0xf);
    puts(" dir ");
    put_hex(f->esr & 1);
    putc('\n');
    if (index != 8)
        return 0;
    f->elr += 4;
    return 1;
}

int main(void)
{
    puts("exc_arm: start\n");
    MSR(sctlr_el1, MRS(sctlr_el1) & ~(1UL << 9));       /* UMA clear */
    ISB();
    puts("msr daifset, #2 at EL0\n");
    run_el0(t_daifset, 0, (uint64_t)(el0_stack + 256), 0);
    puts("msr daifclr, #0xf at EL0\n");
    run_el0(t_daifclr, 0, (uint64_t)(el0_stack + 256), 0);
    puts("exc_arm: done\n");
    return 0;
}
