/* String and memory work as libc does it: plain C loops the compiler may vectorise, and
   Advanced SIMD versions written with intrinsics in the way optimised C libraries do (aligned
   16-byte loads past the string's end inside the same granule, CMEQ and a SHRN nibble mask to
   find the first zero, UMAXV, overlapping unaligned head and tail copies, DUP and STP Q for
   memset). The MMU is on with RAM as Normal memory, so unaligned accesses are architecturally
   fine, as in any user program. Every routine runs over all lengths and alignments up to a
   bound; the SIMD ones are checked against byte-at-a-time references and checksums printed. */
#include <arm_neon.h>
#include "sys.h"
#include "fp.h"

#define BUF 4096
static uint8_t src[BUF] __attribute__((aligned(64)));
static uint8_t dst[BUF] __attribute__((aligned(64)));
static uint8_t ref[BUF] __attribute__((aligned(64)));
static uint64_t seed = 0xbb67ae8584caa73bUL;

/* --- byte-at-a-time references (kept scalar) --------------------------------------------------- */

#define SCALAR __attribute__((noinline, optimize("no-tree-vectorize")))

static SCALAR size_t ref_strlen(const char *s)
{
    size_t n = 0;
    while (((volatile const char *)s)[n])
        n++;
    return n;
}

static SCALAR void ref_memcpy(uint8_t *d, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((volatile uint8_t *)d)[i] = s[i];
}

static SCALAR void ref_memset(uint8_t *d, int c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((volatile uint8_t *)d)[i] = (uint8_t)c;
}

static SCALAR const void *ref_memchr(const uint8_t *s, int c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((volatile const uint8_t *)s)[i] == (uint8_t)c)
            return s + i;
    return 0;
}

static SCALAR int ref_memcmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((volatile const uint8_t *)a)[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* --- plain C the compiler sees whole ------------------------------------------------------------ */

static __attribute__((noinline)) void c_memcpy(uint8_t *restrict d, const uint8_t *restrict s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}

static __attribute__((noinline)) void c_memset(uint8_t *d, int c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)c;
}

static __attribute__((noinline)) void c_upper(uint8_t *restrict d, const uint8_t *restrict s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i];
}

static __attribute__((noinline)) void c_rot13(uint8_t *restrict d, const uint8_t *restrict s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = s[i], lo = ch | 32;
        d[i] = lo >= 'a' && lo <= 'z' ? (uint8_t)(ch + (lo <= 'm' ? 13 : -13)) : ch;
    }
}

static __attribute__((noinline)) uint32_t c_sum(const uint8_t *s, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += s[i];
    return sum;
}

static __attribute__((noinline)) uint8_t c_max(const uint8_t *s, size_t n)
{
    uint8_t m = 0;
    for (size_t i = 0; i < n; i++)
        m = s[i] > m ? s[i] : m;
    return m;
}

static __attribute__((noinline)) size_t c_count(const uint8_t *s, size_t n, uint8_t c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

static __attribute__((noinline)) void c_reverse(uint8_t *restrict d, const uint8_t *restrict s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = s[n - 1 - i];
}

static __attribute__((noinline)) void c_xor_key(uint8_t *restrict d, const uint8_t *restrict s, size_t n)
{
    static const uint8_t key[16] = "qemu_py-simd-key";
    for (size_t i = 0; i < n; i++)
        d[i] = s[i] ^ key[i & 15];
}

/* Widen, multiply-add and narrow: a 16-bit weighted blend of two byte strings. */
static __attribute__((noinline)) void c_blend(uint8_t *restrict d, const uint8_t *restrict a,
                                              const uint8_t *restrict b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)((a[i] * 3u + b[i] * 5u + 4) >> 3);
}

/* --- Advanced SIMD, the way an optimised C library does it ------------------------------------ */

/* A 64-bit mask with 4 bits per byte of v (0xf where the byte is non-zero in v). */
static inline uint64_t nibble_mask(uint8x16_t v)
{
    return vget_lane_u64(vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(v), 4)), 0);
}

static __attribute__((noinline)) size_t simd_strlen(const char *s)
{
    /* The first load is aligned down: it may start before s but never leaves the granule. */
    const uint8_t *p = (const uint8_t *)((uintptr_t)s & ~(uintptr_t)15);
    unsigned skip = (unsigned)((uintptr_t)s & 15) * 4;
    uint64_t m = nibble_mask(vceqq_u8(vld1q_u8(p), vdupq_n_u8(0))) >> skip;
    if (m)
        return (size_t)(__builtin_ctzll(m) / 4);
    for (;;) {
        p += 16;
        uint8x16_t z = vceqq_u8(vld1q_u8(p), vdupq_n_u8(0));
        if (vmaxvq_u8(z)) {
            m = nibble_mask(z);
            return (size_t)(p - (const uint8_t *)s) + (size_t)(__builtin_ctzll(m) / 4);
        }
    }
}

static __attribute__((noinline)) const void *simd_memchr(const uint8_t *s, int c, size_t n)
{
    uint8x16_t want = vdupq_n_u8((uint8_t)c);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16_t eq = vceqq_u8(vld1q_u8(s + i), want);
        if (vmaxvq_u8(eq))
            return s + i + __builtin_ctzll(nibble_mask(eq)) / 4;
    }
    for (; i < n; i++)
        if (s[i] == (uint8_t)c)
            return s + i;
    return 0;
}

static __attribute__((noinline)) void simd_memcpy(uint8_t *d, const uint8_t *s, size_t n)
{
    if (n < 16) {
        if (n >= 8) {                   /* two overlapping 8-byte moves */
            uint64_t a, b;
            __builtin_memcpy(&a, s, 8);
            __builtin_memcpy(&b, s + n - 8, 8);
            __builtin_memcpy(d, &a, 8);
            __builtin_memcpy(d + n - 8, &b, 8);
        } else {
            for (size_t i = 0; i < n; i++)
                d[i] = s[i];
        }
        return;
    }
    uint8x16_t tail = vld1q_u8(s + n - 16);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint8x16x2_t v = vld1q_u8_x2(s + i);
        vst1q_u8_x2(d + i, v);
    }
    if (i + 16 <= n) {
        vst1q_u8(d + i, vld1q_u8(s + i));
    }
    vst1q_u8(d + n - 16, tail);
}

static __attribute__((noinline)) void simd_memset(uint8_t *d, int c, size_t n)
{
    uint8x16_t v = vdupq_n_u8((uint8_t)c);
    if (n < 16) {
        for (size_t i = 0; i < n; i++)
            d[i] = (uint8_t)c;
        return;
    }
    vst1q_u8(d, v);
    uint8_t *p = (uint8_t *)(((uintptr_t)d + 16) & ~(uintptr_t)15);     /* aligned body */
    uint8_t *end = d + n;
    for (; p + 32 <= end; p += 32)
        __asm__ volatile("stp %q1, %q1, [%0]" :: "r"(p), "w"(v) : "memory");
    for (; p + 16 <= end; p += 16)
        vst1q_u8(p, v);
    vst1q_u8(end - 16, v);
}

static __attribute__((noinline)) int simd_memcmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16_t ne = vmvnq_u8(vceqq_u8(vld1q_u8(a + i), vld1q_u8(b + i)));
        if (vmaxvq_u8(ne)) {
            i += __builtin_ctzll(nibble_mask(ne)) / 4;
            return a[i] < b[i] ? -1 : 1;
        }
    }
    for (; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Byte sum with widening pairwise adds (UADDLP/UADALP) and a final ADDV. */
static __attribute__((noinline)) uint32_t simd_sum(const uint8_t *s, size_t n)
{
    uint32x4_t acc = vdupq_n_u32(0);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        acc = vpadalq_u16(acc, vpaddlq_u8(vld1q_u8(s + i)));
    uint32_t sum = vaddvq_u32(acc);
    for (; i < n; i++)
        sum += s[i];
    return sum;
}

/* Table lookup (TBL): a 32-entry translation of each byte's low 5 bits. */
static __attribute__((noinline)) void simd_tbl(uint8_t *d, const uint8_t *s, size_t n)
{
    static const uint8_t table[32] = "ZYXWVUTSRQPONMLKJIHGFEDCBA012345";
    uint8x16x2_t t = vld1q_u8_x2(table);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        vst1q_u8(d + i, vqtbl2q_u8(t, vandq_u8(vld1q_u8(s + i), vdupq_n_u8(31))));
    for (; i < n; i++)
        d[i] = table[s[i] & 31];
}

/* --- the workload ------------------------------------------------------------------------------ */

static void fill_text(void)
{
    static const char alphabet[] = "etaoin shrdlu cmfwyp ETAOIN,.;:!?0123456789\n\t";
    for (int i = 0; i < BUF; i++) {
        uint64_t r = xorshift64(&seed);
        src[i] = (uint8_t)(r % 53 == 0 ? 0 : r % 53 == 1 ? (r >> 8) | 0x80
                           : alphabet[(r >> 16) % (sizeof alphabet - 1)]);
    }
}

static uint64_t hash_buf(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = 0;
        for (size_t k = 0; k < 8 && i + k < n; k++)
            v |= (uint64_t)p[i + k] << (8 * k);
        h = mix(h, v);
    }
    return h;
}

static void report(const char *what, uint64_t h, unsigned bad)
{
    puts(what);
    putc(' ');
    put_hex64(h);
    puts(" mismatches ");
    put_dec(bad);
    putc('\n');
}

#define MAXLEN 128

static void copies(void)
{
    uint64_t hc = 0, hs = 0;
    unsigned bad_c = 0, bad_s = 0;
    for (size_t n = 0; n <= MAXLEN; n++)
        for (int so = 0; so < 16; so++)
            for (int dof = 0; dof < 16; dof += 6) {
                uint8_t *d = dst + 64 + dof, *r = ref + 64 + dof;
                const uint8_t *s = src + 512 + so + n * 7;
                size_t span = 64 + 16 + n + 16;         /* the copy and a guard after it */
                ref_memset(dst, 0xa5, span);
                ref_memset(ref, 0xa5, span);
                ref_memcpy(r, s, n);
                c_memcpy(d, s, n);
                bad_c += ref_memcmp(dst, ref, span) != 0;
                hc = mix(hc, hash_buf(n, d, n));
                ref_memset(dst, 0xa5, span);
                simd_memcpy(d, s, n);
                bad_s += ref_memcmp(dst, ref, span) != 0;
                hs = mix(hs, hash_buf(n, d, n));
            }
    report("memcpy.c", hc, bad_c);
    report("memcpy.simd", hs, bad_s);
}

static void sets(void)
{
    uint64_t hc = 0, hs = 0;
    unsigned bad_c = 0, bad_s = 0;
    for (size_t n = 0; n <= MAXLEN; n++)
        for (int off = 0; off < 16; off++) {
            int c = (int)(n * 31 + (size_t)off);
            ref_memset(ref, 0x5a, n + 32);
            ref_memset(ref + off, c, n);
            ref_memset(dst, 0x5a, n + 32);
            c_memset(dst + off, c, n);
            bad_c += ref_memcmp(dst, ref, n + 32) != 0;
            hc = mix(hc, hash_buf(0, dst, n + 32));
            ref_memset(dst, 0x5a, n + 32);
            simd_memset(dst + off, c, n);
            bad_s += ref_memcmp(dst, ref, n + 32) != 0;
            hs = mix(hs, hash_buf(0, dst, n + 32));
        }
    report("memset.c", hc, bad_c);
    report("memset.simd", hs, bad_s);
}

static void lengths(void)
{
    uint64_t h = 0;
    unsigned bad = 0;
    for (size_t n = 0; n <= MAXLEN; n++)
        for (int off = 0; off < 16; off++) {
            char *s = (char *)dst + 128 + off;
            for (size_t i = 0; i < n; i++)
                s[i] = (char)('A' + (i * 7 + (size_t)off) % 26);
            s[n] = 0;
            s[n + 1] = 'x';
            size_t a = ref_strlen(s), b = simd_strlen(s);
            bad += a != n || b != n;
            h = mix(h, b);
        }
    /* the text itself: a NUL every 53 bytes or so, lengths from every start */
    for (int i = 0; i < 1024; i++) {
        size_t a = ref_strlen((const char *)src + i), b = simd_strlen((const char *)src + i);
        bad += a != b;
        h = mix(h, b);
    }
    report("strlen.simd", h, bad);
}

static void searches(void)
{
    uint64_t h = 0;
    unsigned bad = 0;
    for (size_t n = 0; n <= MAXLEN; n += 3)
        for (int off = 0; off < 16; off++)
            for (int c = 0; c < 256; c += 37) {
                const uint8_t *s = src + 100 + off + n;
                const void *a = ref_memchr(s, c, n), *b = simd_memchr(s, c, n);
                bad += a != b;
                h = mix(h, b ? (uint64_t)((const uint8_t *)b - s) : ~0UL);
            }
    report("memchr.simd", h, bad);
    h = 0;
    bad = 0;
    for (size_t n = 0; n <= 80; n++)
        for (size_t at = 0; at <= n; at++) {      /* equal, or one byte up or down at `at` */
            ref_memcpy(dst, src + 300, n);
            for (int delta = -1; delta <= 1; delta++) {
                if (at < n)
                    dst[at] = (uint8_t)(src[300 + at] + delta);
                else if (delta)
                    continue;
                int a = ref_memcmp(src + 300, dst, n), b = simd_memcmp(src + 300, dst, n);
                bad += a != b;
                h = mix(h, (uint64_t)(int64_t)b);
            }
        }
    report("memcmp.simd", h, bad);
}

static void transforms(void)
{
    uint64_t h = 0;
    for (size_t n = 0; n <= 512; n += 17) {
        for (int off = 0; off < 4; off++) {
            const uint8_t *s = src + off;
            c_upper(dst, s, n);
            h = hash_buf(h, dst, n);
            c_rot13(dst, s, n);
            h = hash_buf(h, dst, n);
            c_reverse(dst, s, n);
            h = hash_buf(h, dst, n);
            c_xor_key(dst, s, n);
            h = hash_buf(h, dst, n);
            c_blend(dst, s, src + 1000, n);
            h = hash_buf(h, dst, n);
            simd_tbl(dst, s, n);
            h = hash_buf(h, dst, n);
            h = mix(h, c_sum(s, n));
            h = mix(h, simd_sum(s, n));
            h = mix(h, c_max(s, n));
            h = mix(h, c_count(s, n, 'e'));
        }
    }
    put_kv("transforms", h);
    /* the two sums must agree everywhere */
    unsigned bad = 0;
    for (size_t n = 0; n < 300; n++)
        bad += c_sum(src + n, n) != simd_sum(src + n, n);
    puts("sum.simd mismatches ");
    put_dec(bad);
    putc('\n');
}

/* A document built with the library's own string calls: lengths and a checksum. */
static void document(void)
{
    static char doc[BUF];
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
                                  "theta", "iota", "kappa", "lambda", "mu"};
    size_t len = 0;
    for (int i = 0; i < 400 && len < BUF - 16; i++) {
        const char *w = words[xorshift64(&seed) % 12];
        size_t n = simd_strlen(w);
        simd_memcpy((uint8_t *)doc + len, (const uint8_t *)w, n);
        len += n;
        doc[len++] = i % 9 == 8 ? '\n' : ' ';
    }
    doc[len] = 0;
    size_t words_seen = 0;
    for (size_t i = 0; i < len; i++)
        words_seen += (doc[i] == ' ' || doc[i] == '\n');
    puts("document length ");
    put_dec((int64_t)simd_strlen(doc));
    puts(" words ");
    put_dec((int64_t)words_seen);
    putc('\n');
    put_kv("document", hash_buf(0, (const uint8_t *)doc, len));
    doc[80] = 0;
    puts(doc);
    putc('\n');
}

int main(void)
{
    struct pt t;
    pt_reset();
    pt_init(&t, 12, 39);
    pt_identity(&t);
    mmu_on(pt_tcr(&t, 0), t.root, 0);
    fill_text();
    copies();
    sets();
    lengths();
    searches();
    transforms();
    document();
    put_fpsr("fpsr");
    puts("string: done\n");
    return 0;
}
