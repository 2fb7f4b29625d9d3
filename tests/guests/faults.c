/* Faults caught in the vector table: data aborts on unmapped physical addresses (loads,
   stores, pairs, writeback forms), an instruction abort, PC and SP alignment faults, and the
   alignment checks of exclusive and acquire/release accesses. The handler prints EC, ISS, the
   return address and FAR, then resumes: after the instruction, or for a bad jump at the
   caller (X30). Nothing is at 0x80000000: RAM is 128 MiB from 0x40000000.
   Left out because QEMU 7.2 departs from the architecture there: SP alignment checks (QEMU has
   none) and a misaligned store-exclusive to an address other than the monitor's (QEMU fails it
   with status 1 instead of raising the alignment fault). */
#include "guest.h"

#define UNMAPPED 0x80000000UL

static uint8_t buf[64] __attribute__((aligned(64)));
static int faults;

int on_exception(struct frame *f, int index)
{
    uint32_t ec = ESR_EC(f->esr);
    faults++;
    puts("  fault ");
    report_exception(f, index);
    puts("  far ");
    if (f->far >= (uint64_t)buf && f->far < (uint64_t)buf + sizeof(buf)) {
        puts("buf+");
        put_hex(f->far - (uint64_t)buf);
    } else {
        put_hex(f->far);
    }
    putc('\n');
    if (ec == 0x21 || ec == 0x22)       /* instruction abort, PC alignment: back to the caller */
        f->elr = f->x[30];
    else
        f->elr += 4;
    return 1;
}

#define TRY(label, ...) do { puts(label "\n"); __asm__ volatile(__VA_ARGS__); } while (0)

static void data_aborts(void)
{
    uint64_t v = 0x77, base = UNMAPPED;
    TRY("ldr x from unmapped", "ldr %0, [%1]" : "+r"(v) : "r"(UNMAPPED) : "memory");
    put_kv("  destination kept", v);
    TRY("ldrb from unmapped+5", "ldrb %w0, [%1, #5]" : "+r"(v) : "r"(UNMAPPED) : "memory");
    TRY("str w to unmapped+0x100", "str %w0, [%1, #0x100]" :: "r"(v), "r"(UNMAPPED) : "memory");
    TRY("ldp x from unmapped", "ldp %0, xzr, [%1]" : "+r"(v) : "r"(UNMAPPED) : "memory");
    TRY("stp w to unmapped", "stp %w0, %w0, [%1, #-8]" :: "r"(v), "r"(UNMAPPED) : "memory");
    TRY("ldr x pre-index from unmapped", "ldr %0, [%1, #16]!" : "+r"(v), "+r"(base) :: "memory");
    put_kv("  base not written back", base);
    TRY("str x post-index to unmapped", "str %0, [%1], #16" : "+r"(v), "+r"(base) :: "memory");
    put_kv("  base not written back", base);
    TRY("ldxr from unmapped", "ldxr %0, [%1]" : "+r"(v) : "r"(UNMAPPED) : "memory");
    TRY("ldar from unmapped", "ldar %w0, [%1]" : "+r"(v) : "r"(UNMAPPED) : "memory");
    TRY("ldr from 0x0f000000", "ldr %0, [%1]" : "+r"(v) : "r"(0x0f000000UL) : "memory");
}

static void jumps(void)
{
    TRY("blr to unmapped", "blr %0" :: "r"(UNMAPPED) : "x30", "memory");
    TRY("blr to a misaligned address", "adr x9, 1f\n\tadd x9, x9, #2\n\tblr x9\n\tb 2f\n1:\tnop\n\tnop\n2:"
        ::: "x9", "x30", "memory");
    TRY("ret to a misaligned address", "adr x30, 1f\n\tadd x30, x30, #1\n\tadr x9, 2f\n\tmov x30, x30\n\t"
        "mov x10, x30\n\tmov x30, x9\n\tret x10\n1:\tnop\n2:" ::: "x9", "x10", "x30", "memory");
}

static void alignment(void)
{
    uint64_t v = 0;
    TRY("ldxr x at buf+4", "ldxr %0, [%1]" : "+r"(v) : "r"(buf + 4) : "memory");
    TRY("ldxr w at buf+2", "ldxr %w0, [%1]" : "+r"(v) : "r"(buf + 2) : "memory");
    TRY("ldxrh at buf+1", "ldxrh %w0, [%1]" : "+r"(v) : "r"(buf + 1) : "memory");
    TRY("ldxp x at buf+8", "ldxp %0, xzr, [%1]" : "+r"(v) : "r"(buf + 8) : "memory");
    TRY("ldar x at buf+4", "ldar %0, [%1]" : "+r"(v) : "r"(buf + 4) : "memory");
    TRY("stlr w at buf+1", "stlr %w0, [%1]" :: "r"(v), "r"(buf + 1) : "memory");
    TRY("ldarh at buf+3", "ldarh %w0, [%1]" : "+r"(v) : "r"(buf + 3) : "memory");
    TRY("ldaxr w at buf+6", "ldaxr %w0, [%1]" : "+r"(v) : "r"(buf + 6) : "memory");
    TRY("ldarb at buf+3 is fine", "ldarb %w0, [%1]" : "+r"(v) : "r"(buf + 3) : "memory");
}

int main(void)
{
    puts("faults: start\n");
    data_aborts();
    jumps();
    alignment();
    put_kv("faults", (uint64_t)faults);
    puts("faults: done\n");
    return 0;
}
