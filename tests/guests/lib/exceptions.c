/* The C side of the vector table: pass the exception to the guest's hook, or report it in one
   line and power off. */
#include "guest.h"

extern char __image_start[];

static const char *const kinds[4] = { "sync", "irq", "fiq", "serror" };
static const char *const origins[4] = { "el1t", "el1h", "el0-a64", "el0-a32" };

uint64_t image_offset(uint64_t addr)
{
    return addr - (uint64_t)__image_start;
}

__attribute__((weak)) int on_exception(struct frame *f, int index)
{
    (void)f;
    (void)index;
    return 0;
}

void report_exception(struct frame *f, int index)
{
    puts("exception ");
    puts(kinds[index & 3]);
    putc(' ');
    puts(origins[index >> 2]);
    puts(" EC ");
    put_hex(ESR_EC(f->esr));
    puts(" ISS ");
    put_hex(ESR_ISS(f->esr));
    puts(" ELR +");
    put_hex(image_offset(f->elr));
    putc('\n');
}

void exception_entry(struct frame *f, int index)
{
    if (on_exception(f, index))
        return;
    report_exception(f, index);
    puts("unhandled exception: powering off\n");
    poweroff();
}
