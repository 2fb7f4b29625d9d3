/* What the FP/SIMD guests share: bit patterns of floats, FPCR and FPSR, and output of FP values
   as their exact bit patterns (so a difference in the last bit shows). */
#ifndef FP_H
#define FP_H

#include "guest.h"

static inline uint64_t f64_bits(double d) { uint64_t u; __builtin_memcpy(&u, &d, 8); return u; }
static inline double bits_f64(uint64_t u) { double d; __builtin_memcpy(&d, &u, 8); return d; }
static inline uint32_t f32_bits(float f) { uint32_t u; __builtin_memcpy(&u, &f, 4); return u; }
static inline float bits_f32(uint32_t u) { float f; __builtin_memcpy(&f, &u, 4); return f; }

/* FPCR fields the guests vary. */
#define FPCR_RMODE(m) ((uint64_t)(m) << 22)     /* 0 nearest, 1 +inf, 2 -inf, 3 zero */
#define FPCR_FZ       (1UL << 24)
#define FPCR_DN       (1UL << 25)

/* The "memory" clobbers keep loads and stores on their side of an FPCR change or FPSR read;
   FP_USE(x) makes a value in a register be computed before the next FPSR read. */
static inline uint64_t fpcr_get(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v) :: "memory");
    return v;
}
static inline void fpcr_set(uint64_t v) { __asm__ volatile("msr fpcr, %0" :: "r"(v) : "memory"); }
static inline uint64_t fpsr_get(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v) :: "memory");
    return v;
}
static inline void fpsr_set(uint64_t v) { __asm__ volatile("msr fpsr, %0" :: "r"(v) : "memory"); }
#define FP_USE(x) __asm__ volatile("" :: "w"(x) : "memory")

/* "key 0x<FPSR>\n", then clear the cumulative flags. */
static inline void put_fpsr(const char *key)
{
    put_kv(key, fpsr_get());
    fpsr_set(0);
}

static inline void put_f64(const char *key, double d) { put_kv(key, f64_bits(d)); }
static inline void put_f32(const char *key, float f) { put_kv(key, f32_bits(f)); }
static inline uint64_t mix_f64(uint64_t h, double d) { return mix(h, f64_bits(d)); }
static inline uint64_t mix_f32(uint64_t h, float f) { return mix(h, f32_bits(f)); }

/* A deterministic generator for operands (xorshift64). */
static inline uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

#endif
