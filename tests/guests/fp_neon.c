/* Kernels written with Advanced SIMD intrinsics, as DSP and graphics code is: reciprocal and
   reciprocal square root by estimate and Newton steps (FRECPE/FRECPS, FRSQRTE/FRSQRTS),
   half-precision storage (FCVTL/FCVTN, __fp16 with and without AHP), fixed-point conversions
   (SCVTF/FCVTZS #fbits), a Q15 FIR filter (SQRDMULH, SQDMLAL, SQRSHRN, SQADD saturating, QC),
   vector normalisation with FMLA by lane, pairwise and across-lane FP reductions (FADDP,
   FMAXNMV, FMINV), integer dot products (UMULL/UADALP) and polynomial evaluation by Horner.
   Each under FPCR settings that matter for it; results printed as checksums of bit patterns.
   The MMU is on (RAM Normal memory): intrinsics' loads need only element alignment. */
#include <arm_neon.h>
#include "sys.h"
#include "fp.h"

#define NV 256
static float xs[NV] __attribute__((aligned(16))), ys[NV], zs[NV], out[NV];
static double xd[NV] __attribute__((aligned(16))), outd[NV];
static int16_t sig[NV + 32], coef[32], q15[NV];
static uint64_t seed = 0x3c6ef372fe94f82bUL;

static uint64_t hash_f32(uint64_t h, const float *p, int n)
{
    for (int i = 0; i < n; i++)
        h = mix_f32(h, p[i]);
    return h;
}

static void fill(void)
{
    for (int i = 0; i < NV; i++) {
        uint64_t r = xorshift64(&seed);
        int e = (int)(r % 40) - 20;
        xs[i] = bits_f32((uint32_t)(127 + e) << 23 | (uint32_t)(r >> 41));
        if (i % 29 == 3)
            xs[i] = bits_f32((uint32_t)(r >> 41));                 /* denormal */
        if (i % 31 == 5)
            xs[i] = -xs[i];
        ys[i] = (float)((int32_t)(r >> 32) >> 8) * 0x1p-20f;
        zs[i] = (float)((int32_t)r >> 12) * 0x1p-14f;
        xd[i] = bits_f64((uint64_t)(1023 + e * 20) << 52 | (xorshift64(&seed) >> 12));
    }
    for (int i = 0; i < NV + 32; i++)
        sig[i] = (int16_t)(xorshift64(&seed) >> 48);
    for (int i = 0; i < 32; i++)
        coef[i] = (int16_t)((i < 16 ? i : 31 - i) * 2000 - 1000);
    coef[7] = 32767;
    coef[8] = -32768;
}

/* 1/x and 1/sqrt(x): the estimate, then one and two Newton steps. */
static void estimates(const char *mode)
{
    uint64_t h0 = 0, h1 = 0, h2 = 0;
    for (int i = 0; i < NV; i += 4) {
        float32x4_t x = vld1q_f32(xs + i);
        float32x4_t r = vrecpeq_f32(x);
        h0 = hash_f32(h0, (float *)&r, 4);
        r = vmulq_f32(r, vrecpsq_f32(x, r));
        r = vmulq_f32(r, vrecpsq_f32(x, r));
        vst1q_f32(out + i, r);
        float32x4_t ax = vabsq_f32(x);
        float32x4_t s = vrsqrteq_f32(ax);
        h1 = hash_f32(h1, (float *)&s, 4);
        s = vmulq_f32(s, vrsqrtsq_f32(vmulq_f32(ax, s), s));
        s = vmulq_f32(s, vrsqrtsq_f32(vmulq_f32(ax, s), s));
        h1 = hash_f32(h1, (float *)&s, 4);
        h2 = mix(h2, f32_bits(vgetq_lane_f32(s, 0)) | (uint64_t)f32_bits(vgetq_lane_f32(s, 3)) << 32);
    }
    for (int i = 0; i < NV; i += 2) {
        float64x2_t x = vld1q_f64(xd + i);
        float64x2_t r = vrecpeq_f64(x);
        r = vmulq_f64(r, vrecpsq_f64(x, r));
        float64x2_t s = vrsqrteq_f64(vabsq_f64(x));
        s = vmulq_f64(s, vrsqrtsq_f64(vmulq_f64(vabsq_f64(x), s), s));
        vst1q_f64(outd + i, vaddq_f64(r, s));
        h2 = mix(h2, f64_bits(vgetq_lane_f64(r, 1)) ^ f64_bits(vgetq_lane_f64(s, 0)));
    }
    for (int i = 0; i < NV; i++)
        h2 = mix_f64(h2, outd[i]);
    h2 = hash_f32(h2, out, NV);
    puts(mode);
    put_kv(" frecpe", h0);
    puts(mode);
    put_kv(" frsqrte", h1);
    puts(mode);
    put_kv(" newton", h2);
    /* scalar forms, and FRECPX */
    uint64_t h3 = 0;
    for (int i = 0; i < NV; i++) {
        float x = xs[i];
        double d = xd[i];
        h3 = mix_f32(h3, vrecpes_f32(x));
        h3 = mix_f32(h3, vrsqrtes_f32(__builtin_fabsf(x)));
        h3 = mix_f32(h3, vrecpss_f32(x, ys[i]));
        h3 = mix_f32(h3, vrsqrtss_f32(x, zs[i]));
        h3 = mix_f32(h3, vrecpxs_f32(x));
        h3 = mix_f64(h3, vrecped_f64(d));
        h3 = mix_f64(h3, vrsqrted_f64(__builtin_fabs(d)));
        h3 = mix_f64(h3, vrecpxd_f64(d));
        h3 = mix_f64(h3, vrsqrtsd_f64(d, (double)ys[i]));
    }
    puts(mode);
    put_kv(" scalar estimates", h3);
}

/* Half precision as storage: to half and back, IEEE and alternative (AHP) formats. */
static void halves(const char *mode)
{
    uint64_t h = 0;
    for (int i = 0; i < NV; i += 4) {
        float32x4_t x = vmulq_n_f32(vld1q_f32(xs + i), 1000.0f);
        float16x4_t hx = vcvt_f16_f32(x);
        h = mix(h, vget_lane_u64(vreinterpret_u64_f16(hx), 0));
        float32x4_t back = vcvt_f32_f16(hx);
        h = hash_f32(h, (float *)&back, 4);
        float16x8_t two = vcvt_high_f16_f32(hx, vld1q_f32(zs + i));
        float32x4_t hi = vcvt_high_f32_f16(two);
        h = hash_f32(h, (float *)&hi, 4);
    }
    for (int i = 0; i < NV; i++) {                  /* scalar FCVT h<->s, h<->d */
        __fp16 a = (__fp16)(xs[i] * 3000.0f), b = (__fp16)xd[i];
        uint16_t ua, ub;
        __builtin_memcpy(&ua, &a, 2);
        __builtin_memcpy(&ub, &b, 2);
        h = mix(h, (uint64_t)ua << 16 | ub);
        h = mix_f64(h, (double)b);
        h = mix_f32(h, (float)a);
    }
    puts(mode);
    put_kv(" half", h);
}

/* Fixed point <-> float with fraction bits, and the rounding conversions. */
static void fixed(const char *mode)
{
    uint64_t h = 0;
    for (int i = 0; i < NV; i += 4) {
        float32x4_t x = vmulq_n_f32(vld1q_f32(ys + i), 3.0f);
        h = mix(h, vgetq_lane_u64(vreinterpretq_u64_s32(vcvtq_n_s32_f32(x, 16)), 0));
        h = mix(h, vgetq_lane_u64(vreinterpretq_u64_u32(vcvtq_n_u32_f32(x, 24)), 1));
        h = mix(h, vgetq_lane_u64(vreinterpretq_u64_s32(vcvtnq_s32_f32(x)), 0));
        h = mix(h, vgetq_lane_u64(vreinterpretq_u64_s32(vcvtaq_s32_f32(vmulq_n_f32(x, 2.5f))), 1));
        h = mix(h, vgetq_lane_u64(vreinterpretq_u64_s32(vcvtmq_s32_f32(x)), 0));
        h = mix(h, vgetq_lane_u64(vreinterpretq_u64_u32(vcvtpq_u32_f32(x)), 1));
        int32x4_t q = vld1q_s32((const int32_t *)(sig + i));
        float32x4_t f = vcvtq_n_f32_s32(q, 31);
        h = hash_f32(h, (float *)&f, 4);
        f = vcvtq_n_f32_u32(vreinterpretq_u32_s32(q), 7);
        h = hash_f32(h, (float *)&f, 4);
        float32x4_t r = vrndxq_f32(vmulq_n_f32(x, 7.0f));
        h = hash_f32(h, (float *)&r, 4);
        r = vrndiq_f32(vmulq_n_f32(x, 9.0f));
        h = hash_f32(h, (float *)&r, 4);
        r = vrndaq_f32(vmulq_n_f32(x, 5.0f));
        h = hash_f32(h, (float *)&r, 4);
    }
    for (int i = 0; i < NV; i += 2) {
        float64x2_t x = vld1q_f64(xd + i);
        h = mix(h, vgetq_lane_u64(vreinterpretq_u64_s64(vcvtq_n_s64_f64(x, 40)), 0));
        h = mix(h, vgetq_lane_u64(vcvtq_n_u64_f64(x, 3), 1));
        float32x2_t n = vcvt_f32_f64(x);
        h = mix(h, vget_lane_u64(vreinterpret_u64_f32(n), 0));
        n = vcvtx_f32_f64(x);                       /* round to odd */
        h = mix(h, vget_lane_u64(vreinterpret_u64_f32(n), 0));
    }
    puts(mode);
    put_kv(" fixed", h);
}

/* Q15 FIR filter: 32 taps, saturating doubling multiply-accumulate long, rounding narrow. */
static void fir(void)
{
    uint64_t h = 0;
    __asm__ volatile("msr fpsr, xzr");
    for (int n = 0; n < NV; n += 8) {
        int32x4_t lo = vdupq_n_s32(0), hi = vdupq_n_s32(0);
        for (int k = 0; k < 32; k++) {
            int16x8_t s = vld1q_s16(sig + n + k);
            int16x4_t c = vdup_n_s16(coef[k]);
            lo = vqdmlal_s16(lo, vget_low_s16(s), c);
            hi = vqdmlal_s16(hi, vget_high_s16(s), c);
        }
        int16x8_t y = vcombine_s16(vqrshrn_n_s32(lo, 15), vqrshrn_n_s32(hi, 15));
        y = vqaddq_s16(y, vqrdmulhq_n_s16(vld1q_s16(sig + n), 30000));
        y = vqsubq_s16(y, vqdmulhq_s16(y, vld1q_s16(sig + n + 3)));
        vst1q_s16(q15 + n, y);
    }
    for (int i = 0; i < NV; i += 4)
        h = mix(h, (uint64_t)(uint16_t)q15[i] | (uint64_t)(uint16_t)q15[i + 1] << 16 |
                   (uint64_t)(uint16_t)q15[i + 2] << 32 | (uint64_t)(uint16_t)q15[i + 3] << 48);
    put_kv("fir q15", h);
    put_kv("fir fpsr (QC)", fpsr_get());
    fpsr_set(0);
    /* unsigned widening dot products, 8-bit pixels */
    uint32x4_t acc = vdupq_n_u32(0);
    for (int i = 0; i + 16 <= NV * 2; i += 16) {
        uint8x16_t a = vld1q_u8((const uint8_t *)sig + i), b = vld1q_u8((const uint8_t *)q15 + i);
        acc = vpadalq_u16(acc, vmull_u8(vget_low_u8(a), vget_low_u8(b)));
        acc = vpadalq_u16(acc, vmull_high_u8(a, b));
    }
    put_kv("dot u8", (uint64_t)vaddvq_u32(acc) | (uint64_t)vgetq_lane_u32(acc, 2) << 32);
}

/* 3-vectors normalised, a 4x4 transform by lanes, reductions. */
static void geometry(const char *mode)
{
    uint64_t h = 0;
    float32x4_t m0 = {0.5f, -1.25f, 2.0f, 0.0f}, m1 = {1.5f, 0.75f, -0.5f, 0.0f};
    float32x4_t m2 = {-2.0f, 0.25f, 1.0f, 0.0f}, m3 = {0.1f, 0.2f, 0.3f, 1.0f};
    float32x4_t maxv = vdupq_n_f32(-1e30f);
    for (int i = 0; i + 4 <= NV; i += 4) {
        float32x4_t v = vld1q_f32(ys + i);
        float32x4_t t = vmulq_laneq_f32(m0, v, 0);
        t = vfmaq_laneq_f32(t, m1, v, 1);
        t = vfmaq_laneq_f32(t, m2, v, 2);
        t = vfmaq_laneq_f32(t, m3, v, 3);
        float32x4_t sq = vmulq_f32(t, t);
        float len2 = vaddvq_f32(sq);
        float inv = 1.0f / __builtin_sqrtf(len2 + 1e-20f);
        t = vmulq_n_f32(t, inv);
        h = hash_f32(h, (float *)&t, 4);
        maxv = vmaxnmq_f32(maxv, t);
        h = mix_f32(h, vmaxnmvq_f32(t));
        h = mix_f32(h, vminvq_f32(t));
        h = mix_f32(h, vpadds_f32(vget_low_f32(t)));
        float32x4_t p = vpaddq_f32(t, sq);
        h = hash_f32(h, (float *)&p, 4);
        float32x4_t d = vabdq_f32(t, v);
        h = hash_f32(h, (float *)&d, 4);
    }
    h = hash_f32(h, (float *)&maxv, 4);
    double s = 0;
    for (int i = 0; i < NV; i += 2) {
        float64x2_t x = vld1q_f64(xd + i);
        s += vaddvq_f64(vmulq_f64(x, x)) * 0x1p-900;
        h = mix_f64(h, vmaxnmvq_f64(x));
        h = mix_f64(h, vpminnmqd_f64(x));
    }
    h = mix_f64(h, s);
    puts(mode);
    put_kv(" geometry", h);
}

/* Horner's rule for a degree-9 polynomial, 4 lanes at a time, fused. */
static void horner(const char *mode)
{
    static const float c[10] = {1.0f, -0.5f, 0.25f, -0.125f, 0.0625f, 3.1f, -2.7f, 1e-3f, 7.0f,
                                -1e5f};
    uint64_t h = 0;
    for (int i = 0; i < NV; i += 4) {
        float32x4_t x = vld1q_f32(zs + i);
        float32x4_t r = vdupq_n_f32(c[9]);
        for (int k = 8; k >= 0; k--)
            r = vfmaq_f32(vdupq_n_f32(c[k]), r, x);
        h = hash_f32(h, (float *)&r, 4);
        r = vfmsq_f32(r, x, vnegq_f32(x));
        h = hash_f32(h, (float *)&r, 4);
    }
    puts(mode);
    put_kv(" horner", h);
}

static void all(const char *mode, uint64_t fpcr)
{
    fpcr_set(fpcr);
    fpsr_set(0);
    estimates(mode);
    halves(mode);
    fixed(mode);
    geometry(mode);
    horner(mode);
    uint64_t fpsr = fpsr_get();
    fpcr_set(0);
    puts(mode);
    put_kv(" fpsr", fpsr);
    fpsr_set(0);
}

int main(void)
{
    struct pt t;
    pt_reset();
    pt_init(&t, 12, 39);
    pt_identity(&t);
    mmu_on(pt_tcr(&t, 0), t.root, 0);
    fill();
    all("rn", 0);
    all("rz", FPCR_RMODE(3));
    all("rp.fz", FPCR_RMODE(1) | FPCR_FZ);
    all("rm.dn.ahp", FPCR_RMODE(2) | FPCR_DN | (1UL << 26));
    all("fz.dn", FPCR_FZ | FPCR_DN);
    fir();
    puts("neon: done\n");
    return 0;
}
