/* The compute workload's kernel (tests/guests/compute.c, unchanged: included below) as a bare
   snippet for benchmarks/library.py: no boot code, no vector table, no UART, no OS. The host
   puts the flat image at SNIPPET_BASE (snippet.ld), sets x0 to the number of rounds and the pc
   to _start, and runs until the pc reaches snippet_end. compute.c's output calls land in
   snippet_results instead of on a UART, so both emulators' results can be read from memory.
   Built with the guests' flags (integer only, strict alignment: with the MMU off every data
   access is to Device memory). */
#include <stdint.h>
#include <stddef.h>

long snippet_rounds;                    /* compute.c's SCALE, set from x0 by snippet_main */
#define SCALE snippet_rounds
#define main compute_main
#include "../../tests/guests/compute.c"
#undef main

/* crc32, fnv1a, murmur, sort, prime-sum (put_kv, in that order), primes (put_dec), and
   whether the keys came out sorted (1 for "sorted yes"). */
uint64_t snippet_results[8];
static unsigned n_results;

void put_kv(const char *key, uint64_t value)
{
    (void)key;
    if (n_results < 5)
        snippet_results[n_results++] = value;
}

void put_dec(int64_t v)
{
    snippet_results[5] = (uint64_t)v;
}

void puts(const char *s)
{
    if (s[0] == 's' && s[1] == 'o')     /* "sorted yes\n" / "sorted NO\n" */
        snippet_results[6] = s[7] == 'y';
}

void putc(char ch)
{
    (void)ch;
}

void snippet_main(long rounds)
{
    snippet_rounds = rounds;
    compute_main();
}

/* The entry: a stack, the kernel, then snippet_end, where the host stops the run (it is not
   executed: it would loop). */
__asm__(
    "    .section .text.boot, \"ax\"\n"
    "    .global _start, snippet_end\n"
    "_start:\n"
    "    adrp x1, __stack_top\n"
    "    add  x1, x1, :lo12:__stack_top\n"
    "    mov  sp, x1\n"
    "    bl   snippet_main\n"
    "snippet_end:\n"
    "    b    snippet_end\n"
    "    .text\n");
