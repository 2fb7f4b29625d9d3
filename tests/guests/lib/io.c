/* PL011 output (polled, transmit only) and number formatting. */
#include "guest.h"

#define UART_BASE 0x09000000UL
#define UART_DR   0x00
#define UART_FR   0x18
#define FR_TXFF   (1u << 5)

static inline volatile uint32_t *uart_reg(unsigned off)
{
    return (volatile uint32_t *)(UART_BASE + off);
}

void putc(char ch)
{
    while (*uart_reg(UART_FR) & FR_TXFF)
        ;
    *uart_reg(UART_DR) = (uint8_t)ch;
}

void puts(const char *s)
{
    while (*s)
        putc(*s++);
}

static void put_hex_digits(uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int k = digits - 1; k >= 0; k--)
        putc(hex[(v >> (4 * k)) & 0xf]);
}

void put_hex(uint64_t v)
{
    int digits = 1;
    while (digits < 16 && (v >> (4 * digits)))
        digits++;
    puts("0x");
    put_hex_digits(v, digits);
}

void put_hex64(uint64_t v)
{
    puts("0x");
    put_hex_digits(v, 16);
}

void put_dec(int64_t v)
{
    char buf[24];
    int n = 0;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    if (v < 0)
        putc('-');
    do {
        buf[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        putc(buf[--n]);
}

void put_kv(const char *key, uint64_t value)
{
    puts(key);
    putc(' ');
    put_hex64(value);
    putc('\n');
}

uint64_t mix(uint64_t h, uint64_t v)
{
    /* A 64-bit multiply-xorshift fold: every input bit reaches every output bit. */
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

void *memset(void *d, int c, size_t n)
{
    volatile uint8_t *p = d;        /* volatile: keep GCC from turning this into a memset call */
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    volatile uint8_t *p = d;
    const uint8_t *q = s;
    if (p < q) {
        while (n--)
            *p++ = *q++;
    } else {
        while (n--)
            p[n] = q[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p < *q ? -1 : 1;
    return 0;
}
