/* Instruction tests: run one instruction (an inline-asm string) over a table of edge-value
   operands and NZCV inputs, fold every result and the NZCV after it into a checksum, print
   "label 0x<checksum>". One line per instruction form, so a difference names the form.

   In the asm string: %[d] result (x), %w[d] its w form; %[a], %[b], %[c] operands; write the
   instruction alone, the macros add the NZCV set-up and read-back. */
#ifndef ITEST_H
#define ITEST_H

#include "guest.h"

static const uint64_t V[] = {
    0, 1, 2, 3, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000,
    0x8000000000000001, 0xffffffffffffffff, 0xfffffffffffffffe, 0x5555555555555555,
    0xaaaaaaaaaaaaaaaa, 0x123456789abcdef0, 0xfedcba9876543210, 0x00000000deadbeef,
    0xffffffff80000000, 0x0000000180000001,
};
#define NV ((int)(sizeof(V) / sizeof(V[0])))

/* NZCV inputs: two for instructions that ignore the flags (a wrong write still shows), all
   sixteen for the ones that read them. */
static const uint64_t F_SOME[] = { 0x60000000, 0x90000000 };
static const uint64_t F_ALL[] = {
    0x00000000, 0x10000000, 0x20000000, 0x30000000, 0x40000000, 0x50000000, 0x60000000,
    0x70000000, 0x80000000, 0x90000000, 0xa0000000, 0xb0000000, 0xc0000000, 0xd0000000,
    0xe0000000, 0xf0000000,
};
#define NF(set) ((int)(sizeof(set) / sizeof(set[0])))

#define ASM_WRAP(insn) "msr nzcv, %[fi]\n\t" insn "\n\tmrs %[fo], nzcv"

/* One source operand %[a]. */
#define T1(label, insn, FS) do {                                                   \
    uint64_t h_ = 0;                                                                \
    for (int a_ = 0; a_ < NV; a_++)                                                 \
        for (int f_ = 0; f_ < NF(FS); f_++) {                                       \
            uint64_t d_, fo_;                                                       \
            __asm__ volatile(ASM_WRAP(insn)                                         \
                             : [d] "=&r"(d_), [fo] "=&r"(fo_)                       \
                             : [a] "r"(V[a_]), [fi] "r"(FS[f_]) : "cc", "memory", "x9");  \
            h_ = mix(mix(h_, d_), fo_);                                             \
        }                                                                           \
    put_kv(label, h_);                                                              \
} while (0)

/* Two source operands %[a], %[b]. */
#define T2(label, insn, FS) do {                                                   \
    uint64_t h_ = 0;                                                                \
    for (int a_ = 0; a_ < NV; a_++)                                                 \
        for (int b_ = 0; b_ < NV; b_++)                                             \
            for (int f_ = 0; f_ < NF(FS); f_++) {                                   \
                uint64_t d_, fo_;                                                   \
                __asm__ volatile(ASM_WRAP(insn)                                     \
                                 : [d] "=&r"(d_), [fo] "=&r"(fo_)                   \
                                 : [a] "r"(V[a_]), [b] "r"(V[b_]), [fi] "r"(FS[f_]) \
                                 : "cc", "memory", "x9");                                 \
                h_ = mix(mix(h_, d_), fo_);                                         \
            }                                                                       \
    put_kv(label, h_);                                                              \
} while (0)

/* Three source operands: %[c] takes a value derived from the pair, not a third loop. */
#define T3(label, insn, FS) do {                                                   \
    uint64_t h_ = 0;                                                                \
    for (int a_ = 0; a_ < NV; a_++)                                                 \
        for (int b_ = 0; b_ < NV; b_++)                                             \
            for (int f_ = 0; f_ < NF(FS); f_++) {                                   \
                uint64_t d_, fo_;                                                   \
                __asm__ volatile(ASM_WRAP(insn)                                     \
                                 : [d] "=&r"(d_), [fo] "=&r"(fo_)                   \
                                 : [a] "r"(V[a_]), [b] "r"(V[b_]),                  \
                                   [c] "r"(V[(a_ * 7 + b_ * 3) % NV]),              \
                                   [fi] "r"(FS[f_]) : "cc", "memory", "x9");              \
                h_ = mix(mix(h_, d_), fo_);                                         \
            }                                                                       \
    put_kv(label, h_);                                                              \
} while (0)

/* %[d] is read as well as written (MOVK, BFM): it starts as the second table value. */
#define T1D(label, insn, FS) do {                                                  \
    uint64_t h_ = 0;                                                                \
    for (int a_ = 0; a_ < NV; a_++)                                                 \
        for (int b_ = 0; b_ < NV; b_++)                                             \
            for (int f_ = 0; f_ < NF(FS); f_++) {                                   \
                uint64_t d_ = V[b_], fo_;                                           \
                __asm__ volatile(ASM_WRAP(insn)                                     \
                                 : [d] "+&r"(d_), [fo] "=&r"(fo_)                   \
                                 : [a] "r"(V[a_]), [fi] "r"(FS[f_]) : "cc", "memory", "x9"); \
                h_ = mix(mix(h_, d_), fo_);                                         \
            }                                                                       \
    put_kv(label, h_);                                                              \
} while (0)

/* The sixteen condition codes, for X(cond) expansions. */
#define ALL_CONDS(X) X(eq) X(ne) X(cs) X(cc) X(mi) X(pl) X(vs) X(vc) \
                     X(hi) X(ls) X(ge) X(lt) X(gt) X(le) X(al) X(nv)

#endif
