/* Matrix multiply in double and float: the dot-product order (ijk), the order compilers
   vectorise (ikj, a row of C updated by a scalar times a row of B), B transposed, and float
   inputs summed in double. Each runs under the four FPCR rounding modes on ordinary operands,
   then on operands spread over the whole exponent range with infinities, NaNs and denormals
   under FZ and DN. Prints a checksum over every result's bit pattern, a few elements and the
   cumulative FPSR flags, so a difference in one bit of one element shows. */
#include "fp.h"

#define N 24

typedef double matd[N][N];
typedef float matf[N][N];

static matd A, B, BT, C __attribute__((aligned(16)));
static matf Af, Bf, Cf __attribute__((aligned(16)));
static uint64_t seed;

/* Ordinary operands: 53 (24) random bits in [-8, 8). */
static double rand_d(void) { return (double)((int64_t)xorshift64(&seed) >> 11) * 0x1p-50; }
static float rand_f(void) { return (float)((int32_t)(xorshift64(&seed) >> 32) >> 8) * 0x1p-20f; }

/* Wide operands: exponents in three bands, so that products of two reach the denormals, stay
   ordinary, or come near overflow; now and then an infinity, a NaN, -0 or a denormal. */
static int band(uint64_t r, int lo, int hi, int mid)
{
    int b = (int)((r >> 8) % 3), w = (int)((r >> 16) % 64);
    return b == 0 ? lo + w % 16 : b == 1 ? hi + w % 16 : w % (2 * mid + 1) - mid;
}

static double wide_d(void)
{
    uint64_t r = xorshift64(&seed);
    switch (r % 97) {
    case 0: return bits_f64(0x7ff0000000000000UL);             /* +inf */
    case 1: return bits_f64(0xfff0000000000000UL);             /* -inf */
    case 2: return bits_f64(0x7ff8000000000000UL | (r >> 20)); /* quiet NaN with payload */
    case 3: return bits_f64(0x8000000000000000UL);             /* -0 */
    case 4: return bits_f64(r >> 12);                          /* denormal */
    default: break;
    }
    int e = band(r, -540, 495, 30);
    uint64_t sign = (r & 1) << 63;
    return bits_f64(sign | ((uint64_t)(e + 1023) << 52) | (xorshift64(&seed) >> 12));
}

static float wide_f(void)
{
    uint64_t r = xorshift64(&seed);
    switch (r % 97) {
    case 0: return bits_f32(0x7f800000u);
    case 1: return bits_f32(0xff800000u);
    case 2: return bits_f32(0x7fc00000u | (uint32_t)(r >> 44));
    case 3: return bits_f32(0x80000000u);
    case 4: return bits_f32((uint32_t)(r >> 41));              /* denormal */
    default: break;
    }
    int e = band(r, -72, 48, 10);
    uint32_t sign = (uint32_t)(r & 1) << 31;
    return bits_f32(sign | ((uint32_t)(e + 127) << 23) | (uint32_t)(xorshift64(&seed) >> 41));
}

static void fill(int wide)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = wide ? wide_d() : rand_d();
            B[i][j] = wide ? wide_d() : rand_d();
            Af[i][j] = wide ? wide_f() : rand_f();
            Bf[i][j] = wide ? wide_f() : rand_f();
        }
}

static void __attribute__((noinline)) mm_ijk_d(matd c, const matd a, const matd b)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

static void __attribute__((noinline)) mm_ikj_d(matd c, const matd a, const matd b)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            c[i][j] = 0;
        for (int k = 0; k < N; k++) {
            double aik = a[i][k];
            for (int j = 0; j < N; j++)
                c[i][j] += aik * b[k][j];
        }
    }
}

static void __attribute__((noinline)) mm_bt_d(matd c, const matd a, const matd b, matd bt)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            bt[j][i] = b[i][j];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s0 = 0, s1 = 0;          /* two partial sums: a different rounding order */
            for (int k = 0; k < N; k += 2) {
                s0 += a[i][k] * bt[j][k];
                s1 += a[i][k + 1] * bt[j][k + 1];
            }
            c[i][j] = s0 + s1;
        }
}

static void __attribute__((noinline)) mm_ijk_f(matf c, const matf a, const matf b)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            float s = 0;
            for (int k = 0; k < N; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

static void __attribute__((noinline)) mm_ikj_f(matf c, const matf a, const matf b)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            c[i][j] = 0;
        for (int k = 0; k < N; k++) {
            float aik = a[i][k];
            for (int j = 0; j < N; j++)
                c[i][j] += aik * b[k][j];
        }
    }
}

/* Float inputs, double sums, rounded back to float at the end (FCVT both ways). */
static void __attribute__((noinline)) mm_ikj_fd(matf c, const matf a, const matf b, matd acc)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            acc[i][j] = 0;
        for (int k = 0; k < N; k++) {
            double aik = a[i][k];
            for (int j = 0; j < N; j++)
                acc[i][j] += aik * (double)b[k][j];
        }
        for (int j = 0; j < N; j++)
            c[i][j] = (float)acc[i][j];
    }
}

static uint64_t sum_d(const matd m)
{
    uint64_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = mix_f64(h, m[i][j]);
    return h;
}

static uint64_t sum_f(const matf m)
{
    uint64_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = mix_f32(h, m[i][j]);
    return h;
}

static void line(const char *mode, const char *kernel, uint64_t v)
{
    puts(mode);
    putc(' ');
    puts(kernel);
    putc(' ');
    put_hex64(v);
    putc('\n');
}

static void run(const char *mode, uint64_t fpcr, int wide)
{
    seed = 0x243f6a8885a308d3UL ^ fpcr ^ (uint64_t)wide;
    fill(wide);
    fpsr_set(0);
    fpcr_set(fpcr);
    mm_ijk_d(C, A, B);
    line(mode, "ijk.d", sum_d(C));
    mm_ikj_d(C, A, B);
    line(mode, "ikj.d", sum_d(C));
    line(mode, "ikj.d[0][0]", f64_bits(C[0][0]));
    line(mode, "ikj.d[N-1][N-2]", f64_bits(C[N - 1][N - 2]));
    mm_bt_d(C, A, B, BT);
    line(mode, "bt.d", sum_d(C));
    mm_ijk_f(Cf, Af, Bf);
    line(mode, "ijk.f", sum_f(Cf));
    mm_ikj_f(Cf, Af, Bf);
    line(mode, "ikj.f", sum_f(Cf));
    line(mode, "ikj.f[1][2]", f32_bits(Cf[1][2]));
    mm_ikj_fd(Cf, Af, Bf, C);
    line(mode, "ikj.fd", sum_f(Cf));
    uint64_t fpsr = fpsr_get();
    fpcr_set(0);
    line(mode, "fpsr", fpsr);
    fpsr_set(0);
}

int main(void)
{
    run("rn", 0, 0);
    run("rp", FPCR_RMODE(1), 0);
    run("rm", FPCR_RMODE(2), 0);
    run("rz", FPCR_RMODE(3), 0);
    run("rn.wide", 0, 1);
    run("rp.wide", FPCR_RMODE(1), 1);
    run("fz.wide", FPCR_FZ, 1);
    run("dn.wide", FPCR_DN, 1);
    run("fz.dn.rz.wide", FPCR_FZ | FPCR_DN | FPCR_RMODE(3), 1);
    puts("matmul: done\n");
    return 0;
}
