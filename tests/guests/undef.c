/* Undefined encodings: each is caught in the vector table, which prints the exception class,
   ISS and return address and resumes after it. Only encodings undefined on both cortex-a57
   and max (and in QEMU's model of them) are used, plus the LSE atomics, which only max has.
   The last one is left to the library's default handler, which reports it and powers off. */
#include "guest.h"

static int resume = 1;
static int caught;

int on_exception(struct frame *f, int index)
{
    if (!resume)
        return 0;
    caught++;
    puts("  caught ");
    report_exception(f, index);
    f->elr += 4;
    return 1;
}

#define UNDEF(label, word) do {                         \
    puts(label "\n");                                   \
    __asm__ volatile(".inst " #word ::: "memory");      \
} while (0)

static volatile uint64_t cell[2] __attribute__((aligned(16)));

int main(void)
{
    puts("undef: start\n");
    UNDEF("udf #0", 0x00000000);
    UNDEF("udf #0xdead", 0x0000dead);
    UNDEF("hlt #0 (no halting debug)", 0xd4400000);
    UNDEF("hlt #0xf000 (no semihosting)", 0xd45e0000);
    UNDEF("dcps1 (not in debug state)", 0xd4a00001);
    UNDEF("dp 2-source opcode 1", 0x1ac00400);
    UNDEF("sbfm x with N=0", 0x93000000);
    UNDEF("and w imm with N=1", 0x12400000);
    UNDEF("move wide opc=01", 0x32800000);
    UNDEF("movz w hw=2", 0x52c00000);
    UNDEF("ldr x register offset option=000", 0xf8600800);
    UNDEF("mrs x0, hcr_el2 (no EL2)", 0xd53c1100);
    UNDEF("msr midr_el1 (read-only)", 0xd5180000);
    UNDEF("udf #0xbeef", 0x0000beef);

    /* From EL1 with SP_EL0 selected: the "current EL with SP0" vectors. */
    puts("udf #1 with spsel=0\n");
    __asm__ volatile("msr spsel, #0\n\tmov x9, sp\n\tmov x10, sp\n\t.inst 0x00000001\n\tmsr spsel, #1"
                     ::: "x9", "x10", "memory");

    /* LSE atomics: executed by max, undefined on cortex-a57. */
    uint64_t old, cmp;
    cell[0] = 37;
    puts("ldadd x2, x3, [x4]\n");
    __asm__ volatile("mov x2, #5\n\tmov x3, #0\n\tmov x4, %[n]\n\t.inst 0xf8220083\n\tmov %[old], x3"
                     : [old] "=r"(old) : [n] "r"(cell) : "x2", "x3", "x4", "memory");
    put_kv("old", old);
    puts("cas x2, x3, [x4]\n");
    __asm__ volatile("mov x2, #42\n\tmov x3, #1000\n\tmov x4, %[n]\n\t.inst 0xc8a27c83\n\tmov %[cmp], x2"
                     : [cmp] "=r"(cmp) : [n] "r"(cell) : "x2", "x3", "x4", "memory");
    put_kv("x2", cmp);
    put_kv("cell", cell[0]);

    put_kv("caught", (uint64_t)caught);
    resume = 0;
    puts("last one, not handled:\n");
    __asm__ volatile(".inst 0x00000000" ::: "memory");
    puts("undef: not reached\n");
    return 0;
}
