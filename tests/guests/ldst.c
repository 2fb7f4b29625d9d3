/* Loads and stores: every addressing form (unsigned offset, unscaled, pre/post-index with
   writeback, register offset with each extend and shift, literal), every size and sign, pairs
   (LDPSW, non-temporal), exclusives and acquire/release. Each form runs at several bases and
   indices; the loaded values, the written-back base and, for stores, the whole store area are
   folded into a checksum. All accesses are aligned (the MMU is off: memory is Device). */
#include "guest.h"

#define AREA 65536
#define MID 16384

static uint8_t mem[AREA] __attribute__((aligned(4096)));   /* read-only pattern */
static uint8_t st[AREA] __attribute__((aligned(4096)));    /* store target */

/* Base offsets from MID (multiples of 16) and register indices, used pairwise. */
static const int64_t B[] = { 0, 16, -64, 256, -1024, 4096, 32, -4096 };
static const int64_t X_POS[] = { 0, 1, 2, 5, 7, 64, 100, 3 };
static const int64_t X_NEG[] = { 0, 1, -1, 5, -7, 64, -100, -3 };
static const int64_t X_BYTES[] = { 0, 8, 16, 64, -8, -64, 256, -512 };
static const int64_t X_UBYTES[] = { 0, 8, 16, 64, 24, 128, 256, 512 };
#define NB ((int)(sizeof(B) / sizeof(B[0])))

/* %[d], %[e]: results; %[n]: base (read-write for writeback); %[m]: index register. */
#define LOAD(label, insn, IDX) do {                                                \
    uint64_t h_ = 0;                                                                \
    for (int k_ = 0; k_ < NB; k_++) {                                               \
        uint64_t d_ = 0x1111, e_ = 0x2222;                                          \
        uint8_t *n_ = mem + MID + B[k_];                                            \
        __asm__ volatile(insn : [d] "+&r"(d_), [e] "+&r"(e_), [n] "+&r"(n_)         \
                         : [m] "r"(IDX[k_]) : "memory");                            \
        h_ = mix(mix(mix(h_, d_), e_), (uint64_t)(n_ - mem));                       \
    }                                                                               \
    put_kv(label, h_);                                                              \
} while (0)

/* %[d], %[e]: values stored (two table values); %[n], %[m] as for LOAD. */
static const uint64_t SV[] = {
    0x0123456789abcdef, 0xfedcba9876543210, 0xffffffffffffffff, 0x8000000000000001,
    0x00000000ffff0000, 0x7f7f7f7f80808080, 0xa5a5a5a5a5a5a5a5, 0x1,
};

static uint64_t hash_store_area(void)
{
    uint64_t h = 0;
    uint64_t *p = (uint64_t *)st;
    for (int k = 0; k < AREA / 8; k++) {
        if (p[k]) {
            h = mix(mix(h, (uint64_t)k), p[k]);
            p[k] = 0;
        }
    }
    return h;
}

#define STORE(label, insn, IDX) do {                                               \
    uint64_t h_ = 0;                                                                \
    for (int k_ = 0; k_ < NB; k_++) {                                               \
        uint8_t *n_ = st + MID + B[k_];                                             \
        __asm__ volatile(insn : [n] "+&r"(n_)                                       \
                         : [d] "r"(SV[k_]), [e] "r"(SV[(k_ + 3) % NB]),             \
                           [m] "r"(IDX[k_]) : "memory");                            \
        h_ = mix(h_, (uint64_t)(n_ - st));                                          \
    }                                                                               \
    put_kv(label, mix(h_, hash_store_area()));                                      \
} while (0)

static void loads_offset(void)
{
    LOAD("ldrb #0", "ldrb %w[d], [%[n]]", X_POS);
    LOAD("ldrb #4095", "ldrb %w[d], [%[n], #4095]", X_POS);
    LOAD("ldrh #8190", "ldrh %w[d], [%[n], #8190]", X_POS);
    LOAD("ldr-w #16380", "ldr %w[d], [%[n], #16380]", X_POS);
    LOAD("ldr-x #32760", "ldr %[d], [%[n], #32760]", X_POS);
    LOAD("ldr-x #8", "ldr %[d], [%[n], #8]", X_POS);
    LOAD("ldrsb-w #1", "ldrsb %w[d], [%[n], #1]", X_POS);
    LOAD("ldrsb-x #7", "ldrsb %[d], [%[n], #7]", X_POS);
    LOAD("ldrsh-w #6", "ldrsh %w[d], [%[n], #6]", X_POS);
    LOAD("ldrsh-x #2", "ldrsh %[d], [%[n], #2]", X_POS);
    LOAD("ldrsw #12", "ldrsw %[d], [%[n], #12]", X_POS);
    LOAD("ldr xzr", "ldr xzr, [%[n]]\n\tmov %[d], xzr", X_POS);
    LOAD("prfm", "prfm pldl1keep, [%[n], #64]\n\tprfm pstl2strm, [%[n], %[m]]", X_POS);
}

static void loads_unscaled(void)
{
    LOAD("ldurb #-256", "ldurb %w[d], [%[n], #-256]", X_POS);
    LOAD("ldurb #255", "ldurb %w[d], [%[n], #255]", X_POS);
    LOAD("ldursb-x #-1", "ldursb %[d], [%[n], #-1]", X_POS);
    LOAD("ldursb-w #3", "ldursb %w[d], [%[n], #3]", X_POS);
    LOAD("ldurh #-2", "ldurh %w[d], [%[n], #-2]", X_POS);
    LOAD("ldursh-x #254", "ldursh %[d], [%[n], #254]", X_POS);
    LOAD("ldursh-w #-6", "ldursh %w[d], [%[n], #-6]", X_POS);
    LOAD("ldur-w #-4", "ldur %w[d], [%[n], #-4]", X_POS);
    LOAD("ldursw #-252", "ldursw %[d], [%[n], #-252]", X_POS);
    LOAD("ldur-x #-256", "ldur %[d], [%[n], #-256]", X_POS);
    LOAD("ldur-x #248", "ldur %[d], [%[n], #248]", X_POS);
}

static void loads_indexed(void)
{
    LOAD("ldr-x pre #-16", "ldr %[d], [%[n], #-16]!", X_POS);
    LOAD("ldr-x pre #248", "ldr %[d], [%[n], #248]!", X_POS);
    LOAD("ldr-w pre #4", "ldr %w[d], [%[n], #4]!", X_POS);
    LOAD("ldrb pre #-1", "ldrb %w[d], [%[n], #-1]!", X_POS);
    LOAD("ldrsh-x pre #2", "ldrsh %[d], [%[n], #2]!", X_POS);
    LOAD("ldrsw pre #-4", "ldrsw %[d], [%[n], #-4]!", X_POS);
    LOAD("ldrsb-w pre #255", "ldrsb %w[d], [%[n], #255]!", X_POS);
    LOAD("ldr-x post #8", "ldr %[d], [%[n]], #8", X_POS);
    LOAD("ldr-x post #-256", "ldr %[d], [%[n]], #-256", X_POS);
    LOAD("ldrh post #-2", "ldrh %w[d], [%[n]], #-2", X_POS);
    LOAD("ldrsb-x post #255", "ldrsb %[d], [%[n]], #255", X_POS);
    LOAD("ldrsw post #-252", "ldrsw %[d], [%[n]], #-252", X_POS);
    LOAD("ldrsh-w post #6", "ldrsh %w[d], [%[n]], #6", X_POS);
}

static void loads_register(void)
{
    LOAD("ldr-x [n,m]", "ldr %[d], [%[n], %[m]]", X_BYTES);
    LOAD("ldr-x [n,m,lsl3]", "ldr %[d], [%[n], %[m], lsl #3]", X_NEG);
    LOAD("ldr-x [n,w,uxtw]", "ldr %[d], [%[n], %w[m], uxtw]", X_UBYTES);
    LOAD("ldr-x [n,w,uxtw3]", "ldr %[d], [%[n], %w[m], uxtw #3]", X_POS);
    LOAD("ldr-x [n,w,sxtw3]", "ldr %[d], [%[n], %w[m], sxtw #3]", X_NEG);
    LOAD("ldr-x [n,m,sxtx]", "ldr %[d], [%[n], %[m], sxtx]", X_BYTES);
    LOAD("ldr-w [n,m,lsl2]", "ldr %w[d], [%[n], %[m], lsl #2]", X_NEG);
    LOAD("ldr-w [n,w,sxtw]", "ldr %w[d], [%[n], %w[m], sxtw]", X_BYTES);
    LOAD("ldrb [n,m]", "ldrb %w[d], [%[n], %[m]]", X_NEG);
    LOAD("ldrb [n,m,lsl0]", "ldrb %w[d], [%[n], %[m], lsl #0]", X_NEG);
    LOAD("ldrb [n,w,sxtw]", "ldrb %w[d], [%[n], %w[m], sxtw]", X_NEG);
    LOAD("ldrh [n,w,uxtw1]", "ldrh %w[d], [%[n], %w[m], uxtw #1]", X_POS);
    LOAD("ldrh [n,m,lsl1]", "ldrh %w[d], [%[n], %[m], lsl #1]", X_NEG);
    LOAD("ldrsb-x [n,w,sxtw]", "ldrsb %[d], [%[n], %w[m], sxtw]", X_NEG);
    LOAD("ldrsh-w [n,m,sxtx1]", "ldrsh %w[d], [%[n], %[m], sxtx #1]", X_NEG);
    LOAD("ldrsh-x [n,w,uxtw]", "ldrsh %[d], [%[n], %w[m], uxtw]", X_UBYTES);
    LOAD("ldrsw [n,m,lsl2]", "ldrsw %[d], [%[n], %[m], lsl #2]", X_NEG);
    LOAD("ldrsw [n,w,sxtw2]", "ldrsw %[d], [%[n], %w[m], sxtw #2]", X_NEG);
}

static void loads_pairs(void)
{
    LOAD("ldp-x #-512", "ldp %[d], %[e], [%[n], #-512]", X_POS);
    LOAD("ldp-x #504", "ldp %[d], %[e], [%[n], #504]", X_POS);
    LOAD("ldp-w #-256", "ldp %w[d], %w[e], [%[n], #-256]", X_POS);
    LOAD("ldp-w #252", "ldp %w[d], %w[e], [%[n], #252]", X_POS);
    LOAD("ldp-x pre #16", "ldp %[d], %[e], [%[n], #16]!", X_POS);
    LOAD("ldp-x post #-16", "ldp %[d], %[e], [%[n]], #-16", X_POS);
    LOAD("ldp-w pre #-8", "ldp %w[d], %w[e], [%[n], #-8]!", X_POS);
    LOAD("ldp-w post #12", "ldp %w[d], %w[e], [%[n]], #12", X_POS);
    LOAD("ldpsw #8", "ldpsw %[d], %[e], [%[n], #8]", X_POS);
    LOAD("ldpsw pre #-256", "ldpsw %[d], %[e], [%[n], #-256]!", X_POS);
    LOAD("ldpsw post #252", "ldpsw %[d], %[e], [%[n]], #252", X_POS);
    LOAD("ldnp-x #-64", "ldnp %[d], %[e], [%[n], #-64]", X_POS);
    LOAD("ldnp-w #4", "ldnp %w[d], %w[e], [%[n], #4]", X_POS);
}

static void loads_literal(void)
{
    uint64_t h = 0, d;
    __asm__ volatile("ldr %0, 1f\n\tb 2f\n\t.balign 8\n1:\t.quad 0x8877665544332211\n2:" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("ldr %w0, 1f\n\tb 2f\n\t.balign 4\n1:\t.word 0x89abcdef\n2:" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("ldrsw %0, 1f\n\tb 2f\n\t.balign 4\n1:\t.word 0x89abcdef\n2:" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("ldrsw %0, 1f\n\tb 2f\n\t.balign 4\n1:\t.word 0x79abcdef\n2:" : "=r"(d));
    h = mix(h, d);
    __asm__ volatile("b 2f\n\t.balign 8\n1:\t.quad 0x0102030405060708\n2:\tldr %0, 1b\n\tprfm pldl1keep, 1b" : "=r"(d));
    h = mix(h, d);
    put_kv("ldr literal", h);
}

static void stores(void)
{
    STORE("strb #0", "strb %w[d], [%[n]]", X_POS);
    STORE("strb #4095", "strb %w[d], [%[n], #4095]", X_POS);
    STORE("strh #8190", "strh %w[d], [%[n], #8190]", X_POS);
    STORE("str-w #16380", "str %w[d], [%[n], #16380]", X_POS);
    STORE("str-x #32760", "str %[d], [%[n], #32760]", X_POS);
    STORE("str xzr", "str %[d], [%[n]]\n\tstr xzr, [%[n], #8]\n\tstr %[e], [%[n], #16]\n\tstr wzr, [%[n], #20]", X_POS);
    STORE("sturb #-256", "sturb %w[d], [%[n], #-256]", X_POS);
    STORE("sturh #254", "sturh %w[d], [%[n], #254]", X_POS);
    STORE("stur-w #-4", "stur %w[d], [%[n], #-4]", X_POS);
    STORE("stur-x #-8", "stur %[d], [%[n], #-8]", X_POS);
    STORE("str-x pre #-16", "str %[d], [%[n], #-16]!", X_POS);
    STORE("str-w pre #252", "str %w[d], [%[n], #252]!", X_POS);
    STORE("strb pre #-1", "strb %w[d], [%[n], #-1]!", X_POS);
    STORE("strh post #-2", "strh %w[d], [%[n]], #-2", X_POS);
    STORE("str-x post #8", "str %[d], [%[n]], #8", X_POS);
    STORE("str-w post #-256", "str %w[d], [%[n]], #-256", X_POS);
    STORE("str-x [n,m,lsl3]", "str %[d], [%[n], %[m], lsl #3]", X_NEG);
    STORE("str-x [n,w,sxtw]", "str %[d], [%[n], %w[m], sxtw]", X_BYTES);
    STORE("str-w [n,w,uxtw2]", "str %w[d], [%[n], %w[m], uxtw #2]", X_POS);
    STORE("strh [n,m,sxtx1]", "strh %w[d], [%[n], %[m], sxtx #1]", X_NEG);
    STORE("strb [n,w,uxtw]", "strb %w[d], [%[n], %w[m], uxtw]", X_POS);
    STORE("stp-x #-512", "stp %[d], %[e], [%[n], #-512]", X_POS);
    STORE("stp-x pre #16", "stp %[d], %[e], [%[n], #16]!", X_POS);
    STORE("stp-x post #-16", "stp %[d], %[e], [%[n]], #-16", X_POS);
    STORE("stp-w #252", "stp %w[d], %w[e], [%[n], #252]", X_POS);
    STORE("stp-w pre #-8", "stp %w[d], %w[e], [%[n], #-8]!", X_POS);
    STORE("stp-w post #4", "stp %w[d], %w[e], [%[n]], #4", X_POS);
    STORE("stp xzr", "stp xzr, %[e], [%[n], #32]\n\tstp %w[d], wzr, [%[n], #48]", X_POS);
    STORE("stnp-x #504", "stnp %[d], %[e], [%[n], #504]", X_POS);
    STORE("stnp-w #-256", "stnp %w[d], %w[e], [%[n], #-256]", X_POS);
    STORE("stlr-x", "stlr %[d], [%[n]]", X_POS);
    STORE("stlr-w", "stlr %w[d], [%[n]]", X_POS);
    STORE("stlrh", "stlrh %w[d], [%[n]]", X_POS);
    STORE("stlrb", "stlrb %w[d], [%[n]]", X_POS);
    STORE("str sp-based", "mov x9, sp\n\tmov sp, %[n]\n\tstr %[d], [sp, #-16]!\n\tstp %[e], %[d], [sp, #32]\n\tmov %[n], sp\n\tmov sp, x9", X_POS);
}

static void acquire_release(void)
{
    LOAD("ldar-x", "ldar %[d], [%[n]]", X_POS);
    LOAD("ldar-w", "ldar %w[d], [%[n]]", X_POS);
    LOAD("ldarh", "ldarh %w[d], [%[n]]", X_POS);
    LOAD("ldarb", "ldarb %w[d], [%[n]]", X_POS);
    LOAD("ldr sp-based", "mov x9, sp\n\tmov sp, %[n]\n\tldr %[d], [sp, #-16]!\n\tldp %[e], xzr, [sp, #32]\n\tmov %[n], sp\n\tmov sp, x9", X_POS);
}

/* Exclusives: an exclusive pair on the same address succeeds (status 0); a store-exclusive
   with no monitor (after CLREX) fails (status 1) and writes nothing. */
#define EXCL(label, insn) do {                                                     \
    uint64_t h_ = 0;                                                                \
    for (int k_ = 0; k_ < NB; k_++) {                                               \
        uint64_t d_ = 0, e_ = 0, s_ = 7, t_ = 7;                                    \
        uint8_t *n_ = st + MID + B[k_];                                             \
        *(volatile uint64_t *)n_ = SV[k_];                                          \
        *(volatile uint64_t *)(n_ + 8) = SV[(k_ + 5) % NB];                         \
        __asm__ volatile(insn : [d] "+&r"(d_), [e] "+&r"(e_), [s] "+&r"(s_),        \
                         [t] "+&r"(t_)                                              \
                         : [n] "r"(n_), [v] "r"(SV[(k_ + 1) % NB]),                 \
                           [w] "r"(SV[(k_ + 2) % NB]) : "memory");                  \
        h_ = mix(mix(mix(mix(h_, d_), e_), s_), t_);                                \
    }                                                                               \
    put_kv(label, mix(h_, hash_store_area()));                                      \
} while (0)

static void exclusives(void)
{
    EXCL("ldxr/stxr-x", "ldxr %[d], [%[n]]\n\tstxr %w[s], %[v], [%[n]]");
    EXCL("ldxr/stxr-w", "ldxr %w[d], [%[n]]\n\tstxr %w[s], %w[v], [%[n]]");
    EXCL("ldxrh/stxrh", "ldxrh %w[d], [%[n]]\n\tstxrh %w[s], %w[v], [%[n]]");
    EXCL("ldxrb/stxrb", "ldxrb %w[d], [%[n]]\n\tstxrb %w[s], %w[v], [%[n]]");
    EXCL("ldaxr/stlxr-x", "ldaxr %[d], [%[n]]\n\tstlxr %w[s], %[v], [%[n]]");
    EXCL("ldaxrh/stlxrh", "ldaxrh %w[d], [%[n]]\n\tstlxrh %w[s], %w[v], [%[n]]");
    EXCL("ldaxrb/stlxrb", "ldaxrb %w[d], [%[n]]\n\tstlxrb %w[s], %w[v], [%[n]]");
    EXCL("ldxp/stxp-x", "ldxp %[d], %[e], [%[n]]\n\tstxp %w[s], %[v], %[w], [%[n]]");
    EXCL("ldxp/stxp-w", "ldxp %w[d], %w[e], [%[n]]\n\tstxp %w[s], %w[v], %w[w], [%[n]]");
    EXCL("ldaxp/stlxp-x", "ldaxp %[d], %[e], [%[n]]\n\tstlxp %w[s], %[v], %[w], [%[n]]");
    EXCL("clrex/stxr fails", "ldxr %[d], [%[n]]\n\tclrex\n\tstxr %w[s], %[v], [%[n]]");
    EXCL("stxr twice", "ldxr %[d], [%[n]]\n\tstxr %w[s], %[v], [%[n]]\n\tstxr %w[t], %[w], [%[n]]");
    EXCL("stlxr-w no monitor", "clrex\n\tstlxr %w[s], %w[v], [%[n]]\n\tldr %[d], [%[n]]");
    EXCL("stxp no monitor", "clrex\n\tstxp %w[s], %[v], %[w], [%[n]]\n\tldp %[d], %[e], [%[n]]");
    EXCL("ldxr-w retry loop", "1:\tldxr %w[d], [%[n]]\n\tadd %w[d], %w[d], #1\n\tstxr %w[s], %w[d], [%[n]]\n\tcbnz %w[s], 1b\n\tldr %[e], [%[n]]");
}

int main(void)
{
    puts("ldst: start\n");
    uint64_t x = 0x243f6a8885a308d3ULL;
    for (int k = 0; k < AREA; k += 8) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        *(volatile uint64_t *)(mem + k) = x ^ (x >> 29);
    }
    loads_offset();
    loads_unscaled();
    loads_indexed();
    loads_register();
    loads_pairs();
    loads_literal();
    acquire_release();
    stores();
    exclusives();
    puts("ldst: done\n");
    return 0;
}
