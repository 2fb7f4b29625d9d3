/* The PL011 as a driver sees it: identification registers, reset values of the control
   registers, register writes read back, and the raw and masked interrupt status around a
   transmission. Nothing is typed on the console (stdin is empty). */
#include "guest.h"

#define UART 0x09000000UL
enum { DR = 0x00, RSR = 0x04, FR = 0x18, ILPR = 0x20, IBRD = 0x24, FBRD = 0x28, LCR_H = 0x2c,
       CR = 0x30, IFLS = 0x34, IMSC = 0x38, RIS = 0x3c, MIS = 0x40, ICR = 0x44, DMACR = 0x48 };

static inline uint32_t rd(unsigned off) { return *(volatile uint32_t *)(UART + off); }
static inline void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(UART + off) = v; }

static void show(const char *name, unsigned off)
{
    puts(name);
    putc(' ');
    put_hex(rd(off));
    putc('\n');
}

int main(void)
{
    puts("uart: start\n");
    uint32_t id = 0;
    for (int k = 0; k < 8; k++)
        id = (id << 4) ^ rd(0xfe0 + 4 * k);
    put_kv("periph/cell id fold", id);
    for (int k = 0; k < 8; k++) {
        puts("id ");
        put_hex(0xfe0 + 4 * k);
        putc(' ');
        put_hex(rd(0xfe0 + 4 * k));
        putc('\n');
    }
    show("fr", FR);
    show("rsr", RSR);
    show("ibrd", IBRD);
    show("fbrd", FBRD);
    show("lcr_h", LCR_H);
    show("cr", CR);
    show("ifls", IFLS);
    show("imsc", IMSC);
    show("dmacr", DMACR);

    wr(IBRD, 0x27);
    wr(FBRD, 0x04);
    wr(LCR_H, 0x70);            /* 8 bits, FIFOs on */
    wr(IFLS, 0x12);
    show("ibrd after write", IBRD);
    show("fbrd after write", FBRD);
    show("lcr_h after write", LCR_H);
    show("ifls after write", IFLS);

    wr(ICR, 0x7ff);
    wr(IMSC, 0x20);             /* TX interrupt only */
    show("imsc after write", IMSC);
    puts("sent with the TX interrupt unmasked\n");
    show("ris after tx", RIS);
    show("mis after tx", MIS);
    wr(ICR, 0x20);
    show("mis after icr", MIS);
    wr(IMSC, 0);
    show("mis masked", MIS);
    show("fr at end", FR);
    puts("uart: done\n");
    return 0;
}
