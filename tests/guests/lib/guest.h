/* What every C guest gets from lib/: UART output without printf, the exception frame and hook,
   power-off, and the few libc functions the compiler may call on its own. */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>
#include <stddef.h>

/* Output on the PL011 (polled). */
void putc(char ch);
void puts(const char *s);               /* no newline added */
void put_hex(uint64_t v);               /* 0x and the shortest hex form */
void put_hex64(uint64_t v);             /* 0x and 16 digits */
void put_dec(int64_t v);
void put_kv(const char *key, uint64_t value);   /* "key 0x...\n" */

/* A running checksum: fold values in, print it with put_kv. */
uint64_t mix(uint64_t h, uint64_t v);

/* The context saved by the vector table (lib/vectors.S, FRAME_SIZE). */
struct frame {
    uint64_t x[31];
    uint64_t elr, spsr, esr, far, pad;
};

/* Called for every exception with the vector index (0-15: 4 groups of sync, IRQ, FIQ,
   SError). Return 1 after handling it (the frame is restored and ERET resumes at frame->elr),
   0 to let the default report it and power off. Guests override this weak default. */
int on_exception(struct frame *f, int index);

/* The default report: "exception <kind> EC 0x.. ISS 0x.. ELR +0x..", offsets from the image start. */
void report_exception(struct frame *f, int index);
uint64_t image_offset(uint64_t addr);

void poweroff(void) __attribute__((noreturn));

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* SPSR's NZCV, DAIF and mode fields: the bits later architecture versions add (BTYPE, SSBS,
   PAN, ...) are left out, since -cpu max differs between QEMU and qemu_py there. */
#define SPSR_BASE_BITS 0xf00003ffUL

#define ESR_EC(esr)  (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr) & 0x1ffffff)

#endif
