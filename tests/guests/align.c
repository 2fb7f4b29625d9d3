/* Alignment checks QEMU 7.2 does not make, checked against the Arm ARM instead of QEMU (the
   expected output is align.expected, written by hand from the manual):
   - SP alignment (SCTLR_EL1.SA, set at reset): a load or store whose base register is a
     misaligned SP takes an SP alignment fault, EC 0x26, at the instruction, whatever the
     offset; arithmetic on SP is not checked.
   - Store-exclusive: AArch64.ExclusiveMonitorsPass checks alignment before the monitor, so a
     misaligned STXR faults (EC 0x25, DFSC 0x21, WnR 1) even when the monitor would fail it.
   The handler prints EC, ISS and where the exception was taken relative to the instruction
   under test, then resumes after it. */
#include "guest.h"

static uint64_t probe;                  /* address of the instruction under test */
static uint8_t buf[64] __attribute__((aligned(64)));

int on_exception(struct frame *f, int index)
{
    puts("  exception EC ");
    put_hex(ESR_EC(f->esr));
    puts(" ISS ");
    put_hex(ESR_ISS(f->esr));
    puts(f->elr == probe ? " at the instruction\n" : " elsewhere\n");
    f->elr += 4;
    return 1;
}

/* Runs `body` with SP_EL0 selected and set to the stack top minus `off`; %[p] is &probe and
   label 1 marks the instruction under test. SP is restored afterwards and printed as
   "sp moved by" (a faulting writeback form must not move it). */
#define WITH_SP(label, off, body) do {                                             \
    uint64_t moved_;                                                                \
    puts(label "\n");                                                               \
    __asm__ volatile("mov x9, sp\n\tmsr spsel, #0\n\tmov x10, sp\n\tsub x11, x9, #256\n\t" \
                     "sub x11, x11, #" #off "\n\tmov sp, x11\n\tadr x12, 1f\n\tstr x12, [%[p]]\n\t" \
                     body "\n\tmov x12, sp\n\tsub %[moved], x12, x11\n\tmov sp, x10\n\tmsr spsel, #1" \
                     : [moved] "=&r"(moved_) : [p] "r"(&probe)                      \
                     : "x0", "x1", "x9", "x10", "x11", "x12", "memory");           \
    puts("  sp moved by ");                                                         \
    put_dec((int64_t)moved_);                                                       \
    putc('\n');                                                                     \
} while (0)

int main(void)
{
    puts("align: start\n");
    WITH_SP("ldr x0, [sp] with sp 16-aligned", 0, "1:\tldr x0, [sp]");
    WITH_SP("ldr x0, [sp] with sp 8 off", 8, "1:\tldr x0, [sp]");
    WITH_SP("str x0, [sp, #8] with sp 8 off", 8, "1:\tstr x0, [sp, #8]");
    WITH_SP("ldrb w0, [sp, #1] with sp 1 off", 1, "1:\tldrb w0, [sp, #1]");
    WITH_SP("ldp x0, x1, [sp, #-16]! with sp 4 off", 4, "1:\tldp x0, x1, [sp, #-16]!");
    WITH_SP("str x0, [sp], #8 with sp 8 off", 8, "1:\tstr x0, [sp], #8");
    WITH_SP("add sp, sp, #4 then sub: no access", 0, "add sp, sp, #4\n\tsub sp, sp, #4\n1:\tldr x0, [sp]");
    WITH_SP("ldr x0, [x0] with sp 8 off: not an SP access", 8, "mov x0, sp\n1:\tldr x0, [x0]");

    uint64_t status = 7;
    puts("stxr w to buf+2 with the monitor on buf\n");
    __asm__ volatile("ldxr %w0, [%2]\n\tadr x12, 1f\n\tstr x12, [%3]\n1:\tstxr %w0, %w0, [%1]"
                     : "+r"(status) : "r"(buf + 2), "r"(buf), "r"(&probe) : "x12", "memory");
    puts("stxr w to buf+2 with no monitor\n");
    __asm__ volatile("clrex\n\tadr x12, 1f\n\tstr x12, [%2]\n1:\tstxr %w0, %w0, [%1]"
                     : "+r"(status) : "r"(buf + 2), "r"(&probe) : "x12", "memory");
    puts("stxr x to buf+8 with the monitor on buf+8: aligned, succeeds\n");
    __asm__ volatile("ldxr %0, [%1]\n\tstxr %w0, %0, [%1]" : "+r"(status) : "r"(buf + 8) : "memory");
    put_kv("  status", status);
    puts("align: done\n");
    return 0;
}
