/* Branches: B.cond for all sixteen conditions against all sixteen NZCV values, CBZ/CBNZ and
   TBZ/TBNZ on edge values and bit positions, BL/RET, BR/BLR through registers, RET to another
   register, a jump table, calls through function pointers, recursion. */
#include "itest.h"

#define BCOND(cc) do {                                                             \
    uint64_t taken_ = 0;                                                            \
    for (int f_ = 0; f_ < 16; f_++) {                                               \
        uint64_t t_;                                                                \
        __asm__ volatile("msr nzcv, %[fi]\n\tmov %[t], #0\n\tb." #cc " 1f\n\t"       \
                         "b 2f\n1:\tmov %[t], #1\n2:"                               \
                         : [t] "=&r"(t_) : [fi] "r"(F_ALL[f_]) : "cc");             \
        taken_ |= t_ << f_;                                                         \
    }                                                                               \
    puts("b." #cc " taken for nzcv ");                                              \
    put_hex(taken_);                                                                \
    putc('\n');                                                                     \
} while (0);

static void conditional(void)
{
    ALL_CONDS(BCOND)
}

#define CBX(label, insn) do {                                                      \
    uint64_t taken_ = 0;                                                            \
    for (int a_ = 0; a_ < NV; a_++) {                                               \
        uint64_t t_;                                                                \
        __asm__ volatile("mov %[t], #0\n\t" insn " 1f\n\tb 2f\n1:\tmov %[t], #1\n2:" \
                         : [t] "=&r"(t_) : [a] "r"(V[a_]) : "cc");                  \
        taken_ |= t_ << a_;                                                         \
    }                                                                               \
    puts(label " taken for ");                                                      \
    put_hex(taken_);                                                                \
    putc('\n');                                                                     \
} while (0)

static void compare_and_test(void)
{
    CBX("cbz-x", "cbz %[a],");
    CBX("cbz-w", "cbz %w[a],");
    CBX("cbnz-x", "cbnz %[a],");
    CBX("cbnz-w", "cbnz %w[a],");
    CBX("tbz #0", "tbz %[a], #0,");
    CBX("tbnz #1", "tbnz %[a], #1,");
    CBX("tbz #5", "tbz %w[a], #5,");
    CBX("tbnz #31", "tbnz %w[a], #31,");
    CBX("tbz #32", "tbz %[a], #32,");
    CBX("tbnz #63", "tbnz %[a], #63,");
    CBX("tbz #62", "tbz %[a], #62,");
}

/* Far targets: B and BL across more than a short branch range, and backwards. */
__attribute__((noinline, section(".text.far"))) static uint64_t far_function(uint64_t x)
{
    return x * 3 + 1;
}

static uint64_t calls(void)
{
    uint64_t h = 0, d, lr;
    /* BL sets X30 to the next instruction; RET returns through it. */
    __asm__ volatile("bl 1f\n\tb 2f\n1:\tmov %[lr], x30\n\tret\n2:\tadr %[d], 2b\n\tsub %[d], %[lr], %[d]"
                     : [lr] "=&r"(lr), [d] "=&r"(d) :: "x30");
    h = mix(h, d);
    /* BLR and BR through a register; RET through a register other than X30. */
    __asm__ volatile("adr x16, 1f\n\tblr x16\n\tb 3f\n1:\tmov %[lr], x30\n\tadr x17, 2f\n\tbr x17\n\t"
                     "mov %[lr], #0\n2:\tmov x15, x30\n\tret x15\n3:\tadr %[d], 3b\n\tsub %[d], %[d], %[lr]"
                     : [lr] "=&r"(lr), [d] "=&r"(d) :: "x15", "x16", "x17", "x30");
    h = mix(h, d);
    /* A backward B and a chain of forward ones. */
    __asm__ volatile("mov %[d], #0\n\tb 2f\n1:\tadd %[d], %[d], #1\n\tb 3f\n2:\tadd %[d], %[d], #10\n\tb 1b\n"
                     "3:\tadd %[d], %[d], #100" : [d] "=&r"(d));
    h = mix(h, d);
    h = mix(h, far_function(h));
    put_kv("calls", h);
    return h;
}

static uint64_t fib(uint64_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint64_t ack(uint64_t m, uint64_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

typedef uint64_t (*op_fn)(uint64_t, uint64_t);
__attribute__((noinline)) static uint64_t op_add(uint64_t a, uint64_t b) { return a + b; }
__attribute__((noinline)) static uint64_t op_xor(uint64_t a, uint64_t b) { return a ^ (b << 1); }
__attribute__((noinline)) static uint64_t op_mul(uint64_t a, uint64_t b) { return a * (b | 1); }
__attribute__((noinline)) static uint64_t op_rot(uint64_t a, uint64_t b) { return (a << 7) | (a >> 57); }
static op_fn const ops[] = { op_add, op_xor, op_mul, op_rot };
static volatile int opsel = 0;

/* A dense switch: GCC makes it a jump table, an indirect BR. */
__attribute__((noinline)) static uint64_t dispatch(unsigned k, uint64_t v)
{
    switch (k) {
    case 0: return v + 1;
    case 1: return v * 5;
    case 2: return v ^ 0xabcdef;
    case 3: return v >> 3;
    case 4: return v - 77;
    case 5: return ~v;
    case 6: return v << 9;
    case 7: return v / 3;
    case 8: return v % 1000;
    case 9: return v | 0x100;
    default: return 42;
    }
}

int main(void)
{
    puts("branch: start\n");
    conditional();
    compare_and_test();
    calls();
    put_kv("fib(20)", fib(20));
    put_kv("ack(2,9)", ack(2, 9));
    uint64_t h = 1;
    for (int k = 0; k < 4000; k++)
        h = ops[(k + opsel) & 3](h, (uint64_t)k);
    put_kv("function pointers", h);
    h = 7;
    for (unsigned k = 0; k < 5000; k++)
        h = dispatch((k * 7 + (unsigned)h) % 12, h) + k;
    put_kv("jump table", h);
    puts("branch: done\n");
    return 0;
}
